//! A real HAProxy (Debian's package) in front of Skillmap instances, as
//! `deploy/haproxy.cfg` sets it up, for the scale-out tests: round robin,
//! health checks on `/readyz`, a retry on another instance when one
//! refuses the connection or closes it without an answer, and the name of
//! the instance that answered in `X-Skillmap-Instance`.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Balancer {
    pub base: String,
    /// HAProxy's statistics page (CSV at `{stats}/;csv`).
    stats: String,
    child: Child,
    _dir: tempfile::TempDir,
}

/// The header naming the instance that answered (`s1`, `s2`, ...).
pub const INSTANCE_HEADER: &str = "x-skillmap-instance";

/// The instance that answered `res` through the balancer.
pub fn answered_by(res: &reqwest::Response) -> String {
    res.headers()[INSTANCE_HEADER]
        .to_str()
        .expect("an instance name")
        .to_string()
}

impl Balancer {
    /// HAProxy on `port` in front of `ports` (instances on 127.0.0.1,
    /// started or not), named `s1`, `s2`, ... in that order. `wait_ready`
    /// waits for the instances.
    pub fn start(port: u16, ports: &[u16]) -> Balancer {
        let dir = tempfile::tempdir().expect("temp dir");
        let stats_port = crate::free_port();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("    server s{} 127.0.0.1:{p} check\n", i + 1))
            .collect();
        // As deploy/haproxy.cfg, with checks fast enough for a test: an
        // instance answering 503 on /readyz is out after one check (250 ms)
        // and back after two. A check slow to answer is not a failed one:
        // without `timeout check` HAProxy gives a check only `inter` in
        // all, and on a busy machine one /readyz over 250 ms took both
        // instances out together, so a journey's first page was HAProxy's
        // own 503.
        let config = format!(
            "global\n\
             \x20   maxconn 2000\n\
             defaults\n\
             \x20   mode http\n\
             \x20   timeout connect 2s\n\
             \x20   timeout client 60s\n\
             \x20   timeout server 60s\n\
             \x20   timeout queue 30s\n\
             \x20   timeout check 2s\n\
             \x20   retries 3\n\
             \x20   option redispatch 1\n\
             \x20   retry-on conn-failure empty-response response-timeout\n\
             frontend skillmap\n\
             \x20   bind 127.0.0.1:{port}\n\
             \x20   option forwardfor\n\
             \x20   default_backend instances\n\
             listen stats\n\
             \x20   bind 127.0.0.1:{stats_port}\n\
             \x20   stats enable\n\
             \x20   stats uri /\n\
             backend instances\n\
             \x20   balance roundrobin\n\
             \x20   option httpchk GET /readyz\n\
             \x20   http-check expect status 200\n\
             \x20   default-server inter 250ms fall 1 rise 2\n\
             \x20   http-response set-header X-Skillmap-Instance %s\n\
             {servers}"
        );
        let path = dir.path().join("haproxy.cfg");
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(config.as_bytes()))
            .expect("write haproxy.cfg");
        let check = Command::new(haproxy())
            .args(["-c", "-q", "-f"])
            .arg(&path)
            .output()
            .expect("run haproxy -c: install Debian's haproxy");
        assert!(
            check.status.success(),
            "haproxy refused the configuration: {}\n{config}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new(haproxy())
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start haproxy");
        Balancer {
            base: format!("http://127.0.0.1:{port}"),
            stats: format!("http://127.0.0.1:{stats_port}"),
            child,
            _dir: dir,
        }
    }

    /// HTTP requests each instance has been sent, by name, from HAProxy's
    /// own statistics (`req_tot`).
    pub fn requests_per_instance(&self) -> Vec<(String, u64)> {
        let (_, csv) = get(&self.stats, "/;csv").unwrap_or_default();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap_or_default()
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let column = |name: &str| header.iter().position(|h| *h == name);
        let (Some(proxy), Some(server), Some(requests)) =
            (column("pxname"), column("svname"), column("req_tot"))
        else {
            panic!("HAProxy's statistics lack pxname, svname or req_tot: {csv}");
        };
        lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| {
                f.get(proxy) == Some(&"instances")
                    && f.get(server).is_some_and(|s| s.starts_with('s'))
            })
            .map(|f| {
                (
                    f[server].to_string(),
                    f.get(requests).and_then(|r| r.parse().ok()).unwrap_or(0),
                )
            })
            .collect()
    }

    /// Waits until `/readyz` through the balancer has been answered by `n`
    /// different instances (checks take a moment to mark them up).
    pub fn wait_ready(&self, n: usize, timeout: Duration) {
        let started = Instant::now();
        let mut seen = std::collections::HashSet::new();
        loop {
            if let Some(name) = instance_of(&self.base, "/readyz") {
                seen.insert(name);
            }
            if seen.len() >= n {
                return;
            }
            assert!(
                started.elapsed() < timeout,
                "the balancer at {} did not reach {n} ready instances within {timeout:?} (saw {seen:?})",
                self.base
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The instance that answered a GET of `base` + `path` with 200, if one did.
fn instance_of(base: &str, path: &str) -> Option<String> {
    let (head, _) = get(base, path)?;
    if !head.lines().next()?.contains(" 200 ") {
        return None;
    }
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(INSTANCE_HEADER)
            .then(|| v.trim().to_string())
    })
}

/// A plain HTTP/1.0 GET: the head and the body.
fn get(base: &str, path: &str) -> Option<(String, String)> {
    use std::io::Read;
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_string()
    };
    Some((head.to_string(), body))
}

/// A chunked body, joined (HAProxy's statistics come chunked even to an
/// HTTP/1.0 request).
fn dechunk(mut rest: &str) -> Option<String> {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.push_str(after.get(..size)?);
        rest = after.get(size..)?.strip_prefix("\r\n")?;
    }
}

fn haproxy() -> &'static str {
    if std::path::Path::new("/usr/sbin/haproxy").exists() {
        "/usr/sbin/haproxy"
    } else {
        "haproxy"
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Instances of Skillmap on one database behind a balancer, each told the
/// balancer's address as its public URL, as a deployment is.
pub struct Cluster {
    pub instances: Vec<crate::TestServer>,
    pub balancer: Balancer,
    /// Skillmap as its users reach it: through the balancer.
    pub front: crate::TestServer,
}

impl Cluster {
    /// `n` instances on `db` (started together, as after a deployment)
    /// behind HAProxy, with `env` besides; returns once every instance is
    /// answering through the balancer.
    pub fn start(db: crate::TestDb, n: usize, env: &[(&str, &str)]) -> Cluster {
        let port = crate::free_port();
        let ports: Vec<u16> = (0..n).map(|_| crate::free_port()).collect();
        let balancer = Balancer::start(port, &ports);
        let public = balancer.base.clone();
        let mut env: Vec<(&str, &str)> = env.to_vec();
        env.push(("SKILLMAP_PUBLIC_URL", &public));
        env.push(("SKILLMAP_TRUSTED_PROXIES", "1"));
        let instances: Vec<crate::TestServer> = std::thread::scope(|s| {
            let started: Vec<_> = ports
                .iter()
                .map(|p| {
                    let (db, env) = (db.share(), &env);
                    s.spawn(move || crate::TestServer::start_at(db, *p, env))
                })
                .collect();
            started
                .into_iter()
                .map(|h| h.join().expect("an instance started"))
                .collect()
        });
        balancer.wait_ready(n, Duration::from_secs(30));
        let front = crate::TestServer::at(&balancer.base, db);
        Cluster {
            instances,
            balancer,
            front,
        }
    }

    /// Waits until instance `i` (0-based) answers through the balancer
    /// again, after a restart.
    pub fn wait_back(&self, i: usize, timeout: Duration) {
        let name = format!("s{}", i + 1);
        let started = Instant::now();
        while instance_of(&self.balancer.base, "/readyz").as_deref() != Some(&name) {
            assert!(
                started.elapsed() < timeout,
                "{name} did not come back within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
