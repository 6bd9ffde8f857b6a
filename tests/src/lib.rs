//! Test harness: starts the real `skillmap` binary (as built by cargo-leptos,
//! serving the real site) on a free port, against a fresh database: a new
//! SQLite file per test, or a new PostgreSQL database per test when
//! `TEST_DATABASE_URL` points at a PostgreSQL server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub mod balancer;
pub mod oidc;
pub mod smtp;

use rand::Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;

pub const DEMO_PASSWORD: &str = "skillmap-demo-2026";
pub const STAFF: &str = "staff@skillmap.example";
pub const MANAGER: &str = "manager@skillmap.example";
pub const HR: &str = "hr@skillmap.example";
pub const ADMIN: &str = "admin@skillmap.example";
/// The demo log-ins of the second demo organisation (a community trust),
/// in a system seeded with `TestServer::start_system`.
pub const OTHER_HR: &str = "hr@eastvale.skillmap.example";
pub const OTHER_ADMIN: &str = "admin@eastvale.skillmap.example";
pub const OTHER_STAFF: &str = "staff@eastvale.skillmap.example";
pub const OTHER_MANAGER_LOGIN: &str = "manager@eastvale.skillmap.example";
/// The demo system's workforce lead (no organisation).
pub const LEAD: &str = "lead@skillmap.example";

/// The checkout being tested. Found from the working directory (cargo runs
/// tests in `tests/`), not baked in at compile time: checkouts that share a
/// target directory (CI's cache) can reuse each other's test binaries.
pub fn workspace_root() -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|dir| {
            dir.ancestors()
                .find(|d| {
                    std::fs::read_to_string(d.join("Cargo.toml"))
                        .is_ok_and(|t| t.contains("[workspace]"))
                })
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("tests/ is in the workspace")
                .to_path_buf()
        })
}

/// The release binary `cargo xtask build` built (`cargo xtask test` builds it first).
pub fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("SKILLMAP_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let bin = target.join("release/skillmap");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo xtask test`, which builds the site and the server first",
        bin.display()
    );
    bin
}

/// A database that exists for one test.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
    /// Another test's database, used by a second instance of Skillmap:
    /// left alone when dropped.
    Shared { url: String, postgres: bool },
}

impl TestDb {
    /// A fresh database: PostgreSQL when `TEST_DATABASE_URL` names a
    /// server, otherwise a new SQLite file.
    pub fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => Self::postgres(&admin_url),
            _ => Self::sqlite(),
        }
    }

    /// A new SQLite file in a temporary folder.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("skillmap.db").display()
        );
        TestDb::Sqlite { _dir: dir, url }
    }

    /// A new database on the PostgreSQL server `admin_url` reaches (dropped
    /// again when this is dropped).
    pub fn postgres(admin_url: &str) -> Self {
        let name = format!("skillmap_test_{:016x}", rand::thread_rng().r#gen::<u64>());
        psql(admin_url, &format!("CREATE DATABASE {name}"));
        let url = with_database(admin_url, &name);
        TestDb::Postgres {
            admin_url: admin_url.to_string(),
            name,
            url,
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. }
            | TestDb::Postgres { url, .. }
            | TestDb::Shared { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(
            self,
            TestDb::Postgres { .. } | TestDb::Shared { postgres: true, .. }
        )
    }

    /// The same database, for a second instance.
    pub fn share(&self) -> TestDb {
        TestDb::Shared {
            url: self.url().to_string(),
            postgres: self.is_postgres(),
        }
    }

    /// Runs a query with psql and returns its rows, tab-separated (PostgreSQL
    /// only: for reading what the instances wrote).
    pub fn query(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                self.url(),
                "-v",
                "ON_ERROR_STOP=1",
                "-qAt",
                "-F",
                "\t",
                "-c",
                sql,
            ])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            psql(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .expect("psql (PostgreSQL client) is needed for TEST_DATABASE_URL");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix_end = base
        .rfind('/')
        .filter(|&i| i > "postgres://".len())
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..prefix_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs a `skillmap` subcommand against a database; returns (success, stdout+stderr).
pub fn cli(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(binary())
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("run skillmap");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Creates accounts with `create-user`, four at a time: (email, role,
/// employee number), all with one password.
pub fn create_accounts(db: &TestDb, accounts: &[(String, &str, String)], password: &str) {
    std::thread::scope(|s| {
        for chunk in accounts.chunks(accounts.len().div_ceil(4).max(1)) {
            s.spawn(move || {
                for (email, role, number) in chunk {
                    let (ok, out) = cli(
                        db,
                        &[
                            "create-user",
                            "--email",
                            email,
                            "--role",
                            role,
                            "--employee-number",
                            number,
                        ],
                        &[("SKILLMAP_PASSWORD", password)],
                    );
                    assert!(ok, "create-user {email}: {out}");
                }
            });
        }
    });
}

pub struct TestServer {
    pub base: String,
    pub db: TestDb,
    env: Vec<(String, String)>,
    /// Behind a lock so that `kill9` works through a shared reference,
    /// while clients are using the server. None for a front (`at`): the
    /// address of something else that answers for Skillmap.
    child: std::sync::Mutex<Option<Child>>,
}

/// Starts `skillmap serve` on `db` at a free port; returns it and its address.
/// Skillmap needs its public URL before it binds (links and credentials
/// name it), so the port is chosen first; if another process takes it in
/// between, the start fails and is tried again on another port.
fn spawn(db: &TestDb, env: &[(String, String)]) -> (Child, String) {
    for _ in 0..5 {
        if let Some(started) = try_spawn(db, env) {
            return started;
        }
    }
    panic!("skillmap did not start on any of five free ports");
}

/// A port nothing listens on now (the OS picks it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn try_spawn(db: &TestDb, env: &[(String, String)]) -> Option<(Child, String)> {
    try_spawn_at(db, env, free_port())
}

fn try_spawn_at(db: &TestDb, env: &[(String, String)], port: u16) -> Option<(Child, String)> {
    let root = workspace_root();
    let mut child = Command::new(binary())
        .arg("serve")
        .current_dir(&root)
        .env("DATABASE_URL", db.url())
        .env("SKILLMAP_ADDR", format!("127.0.0.1:{port}"))
        .env("SKILLMAP_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "skillmap")
        .env("LEPTOS_SITE_ROOT", root.join("target/site"))
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start skillmap");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("Skillmap listening on ") {
                let _ = tx.send(Some(addr.trim().to_string()));
            }
        }
        // Standard output closed: the process ended without listening.
        let _ = tx.send(None);
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Some(base)) => Some((child, base)),
        Ok(None) => {
            let status = child.wait().expect("wait");
            eprintln!("skillmap exited before listening on port {port} ({status}); trying another");
            None
        }
        Err(_) => {
            let _ = child.kill();
            panic!("skillmap did not start within 60 s");
        }
    }
}

impl TestServer {
    /// A server with a small demo organisation (and the four demo log-ins).
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(env: &[(&str, &str)]) -> Self {
        Self::start_with_staff(120, env)
    }

    /// A server with a demo organisation of about `staff` people.
    pub fn start_with_staff(staff: usize, env: &[(&str, &str)]) -> Self {
        let db = TestDb::new();
        let (ok, out) = cli(&db, &["seed-demo", "--staff", &staff.to_string()], &[]);
        assert!(ok, "seed-demo failed: {out}");
        Self::start_on(db, env)
    }

    /// A server with a demo integrated care system of `organisations`
    /// organisations sharing about `staff` people (each with its demo
    /// log-ins: `demo_login`).
    pub fn start_system(organisations: usize, staff: usize, env: &[(&str, &str)]) -> Self {
        let db = TestDb::new();
        let (ok, out) = cli(
            &db,
            &[
                "seed-demo",
                "--staff",
                &staff.to_string(),
                "--organisations",
                &organisations.to_string(),
            ],
            &[],
        );
        assert!(ok, "seed-demo failed: {out}");
        Self::start_on(db, env)
    }

    /// The server on an existing database.
    pub fn start_on(db: TestDb, env: &[(&str, &str)]) -> Self {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (child, base) = spawn(&db, &env);
        TestServer {
            base,
            db,
            env,
            child: std::sync::Mutex::new(Some(child)),
        }
    }

    /// An instance on `port` (one a load balancer was told of), on `db`.
    pub fn start_at(db: TestDb, port: u16, env: &[(&str, &str)]) -> Self {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (child, base) = try_spawn_at(&db, &env, port)
            .unwrap_or_else(|| panic!("skillmap did not start on port {port}"));
        TestServer {
            base,
            db,
            env,
            child: std::sync::Mutex::new(Some(child)),
        }
    }

    /// Skillmap as reached at `base` (a load balancer in front of
    /// instances), on `db`: the same calls, and nothing to stop.
    pub fn at(base: &str, db: TestDb) -> Self {
        TestServer {
            base: base.trim_end_matches('/').to_string(),
            db,
            env: Vec::new(),
            child: std::sync::Mutex::new(None),
        }
    }

    /// Stops the server as a service manager does (SIGTERM), and waits for
    /// it to exit: whether it exited cleanly, and how long it took.
    pub fn terminate(&self) -> (bool, Duration) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let Some(c) = child.as_mut() else {
            return (true, Duration::ZERO);
        };
        let started = std::time::Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(sent.success(), "kill -TERM failed");
        let status = c.wait().expect("wait");
        (status.success(), started.elapsed())
    }

    /// Starts the server again on its own port and database (after
    /// `terminate` or `kill9`): what a rolling restart does.
    pub fn start_again(&mut self) {
        self.kill9();
        let port: u16 = self
            .base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the base URL ends with its port");
        let (child, base) = try_spawn_at(&self.db, &self.env, port)
            .unwrap_or_else(|| panic!("skillmap did not start again on port {port}"));
        *self.child.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
        self.base = base;
    }

    /// A second instance of Skillmap on this server's database.
    pub fn another_instance(&self, env: &[(&str, &str)]) -> TestServer {
        TestServer::start_on(self.db.share(), env)
    }

    /// Stops the server with SIGKILL (`kill -9`: no clean-up runs) and
    /// waits for it to be gone. `restart` starts it again on the same
    /// database (and a new port).
    pub fn kill9(&self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The server process's id (its memory use is in /proc/<pid>/status).
    pub fn pid(&self) -> u32 {
        self.child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .expect("a server this harness started")
            .id()
    }

    /// Starts the server again on the same database, after `kill9`.
    pub fn restart(&mut self) {
        self.kill9();
        let (child, base) = spawn(&self.db, &self.env);
        self.child = std::sync::Mutex::new(Some(child));
        self.base = base;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client that keeps cookies and does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Posts a server function (form-encoded, as the browser does).
    pub async fn call(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Posts a server function, giving back a failed request (a server
    /// that was just killed, say) as an error instead of failing the test.
    pub async fn try_call(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<reqwest::Response, String> {
        client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .map_err(|e| e.to_string())
    }

    /// Posts a server function and reads its JSON answer; anything but 200
    /// fails the test, showing the body.
    pub async fn json(&self, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> Value {
        let res = self.call(client, path, form).await;
        let status = res.status();
        let body = res.text().await.expect("body");
        assert_eq!(status, reqwest::StatusCode::OK, "{path} {form:?}: {body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// Sends only the head of a POST that declares a `content_length`-byte
    /// body, and returns the status the server answers with. A real client
    /// still writing a refused body can see the connection close under it
    /// (hyper's `IncompleteMessage`), so size limits are tested this way.
    pub fn declare_body(&self, path: &str, content_length: usize) -> u16 {
        use std::io::{Read, Write};
        let host = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(host).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .expect("timeout");
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {content_length}\r\n\r\n"
        )
        .expect("send head");
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).expect("status line");
        let line = String::from_utf8_lossy(&head);
        line["HTTP/1.1 ".len()..]
            .trim()
            .parse()
            .expect("status code")
    }

    /// Uploads an import file as a browser form does (multipart).
    pub async fn upload(
        &self,
        client: &reqwest::Client,
        kind: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        self.upload_to(
            client,
            "/api/import/upload",
            &[("kind", kind)],
            file_name,
            bytes,
        )
        .await
    }

    /// Posts a file (as `file`) and text fields to a multipart server
    /// function, as a browser form does.
    pub async fn upload_to(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
        );
        client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// A client signed in with a demo (or other) account.
    /// The status of a demo log-in as `email` on a fresh client (for
    /// tests that expect it refused).
    pub async fn demo_login_status(&self, email: &str) -> reqwest::StatusCode {
        self.call(
            &self.client(),
            "/api/auth/login",
            &[("email", email), ("password", DEMO_PASSWORD)],
        )
        .await
        .status()
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        let res = self
            .call(
                &client,
                "/api/auth/login",
                &[("email", email), ("password", password)],
            )
            .await;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "log-in as {email}: {status} {body}");
        client
    }

    pub async fn login_demo(&self, email: &str) -> reqwest::Client {
        self.login(email, DEMO_PASSWORD).await
    }

    /// `auth/whoami` for this client: the user, or Null.
    pub async fn whoami(&self, client: &reqwest::Client) -> Value {
        let res = self.call(client, "/api/auth/whoami", &[]).await;
        assert!(res.status().is_success());
        res.json().await.expect("json")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A person saving their own self-assessments over HTTP, one after another,
/// as a browser does: each save sends the revision the last one returned,
/// and changes the level, so each save makes one history event.
pub struct Saver {
    pub person_id: i32,
    pub client: reqwest::Client,
    pub skills: Vec<String>,
    /// Skill -> (level, revision) of the last save the server answered 200.
    pub acked: std::collections::HashMap<String, (i64, i64)>,
    /// The save sent and not yet answered: skill, level, revision it makes.
    pub in_flight: Option<(String, i64, i64)>,
    pub saves: usize,
}

impl Saver {
    pub async fn sign_in(app: &TestServer, email: &str, password: &str, person_id: i32) -> Saver {
        let client = app.login(email, password).await;
        let mut saver = Saver {
            person_id,
            client,
            skills: Vec::new(),
            acked: std::collections::HashMap::new(),
            in_flight: None,
            saves: 0,
        };
        saver.load(app).await;
        saver
    }

    /// Reads the profile: the skills and each one's level and revision.
    pub async fn load(&mut self, app: &TestServer) {
        let profile = app.json(&self.client, "/api/profile/get", &[]).await;
        self.skills.clear();
        for item in profile["items"].as_array().expect("items") {
            let code = item["skill"]["code"].as_str().unwrap().to_string();
            let a = &item["assessment"];
            let now = if a.is_object() {
                (
                    a["self_level"].as_i64().unwrap(),
                    a["revision"].as_i64().unwrap(),
                )
            } else {
                (0, 0)
            };
            self.acked.insert(code.clone(), now);
            self.skills.push(code);
        }
    }

    /// Every save the server answered is in `stored` (skill -> level and
    /// revision, as read from the database).
    pub fn assert_stored(
        &self,
        stored: &std::collections::HashMap<String, (i64, i64)>,
        when: &str,
    ) {
        for (code, acked) in &self.acked {
            if acked.1 > 0 {
                assert_eq!(
                    stored.get(code),
                    Some(acked),
                    "{when}: person {} {code}: an answered save was lost",
                    self.person_id
                );
            }
        }
    }

    /// One save of the next skill at the next level: Ok when the server
    /// answered 200, otherwise Err with the status and body (or the
    /// connection error).
    pub async fn save_next(&mut self, app: &TestServer) -> Result<(), String> {
        let code = self.skills[self.saves % self.skills.len()].clone();
        let (level, revision) = self.acked[&code];
        let next = level % 4 + 1;
        self.in_flight = Some((code.clone(), next, revision + 1));
        let res = app
            .try_call(
                &self.client,
                "/api/profile/save",
                &[
                    ("skill_code", code.as_str()),
                    ("level", &next.to_string()),
                    ("evidence", "Saved during the fault test"),
                    ("revision", &revision.to_string()),
                ],
            )
            .await?;
        let status = res.status();
        let body = res.text().await.map_err(|e| e.to_string())?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("{status} {body}"));
        }
        let saved: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
        let got = (
            saved["self_level"].as_i64().unwrap(),
            saved["revision"].as_i64().unwrap(),
        );
        assert_eq!(got, (next, revision + 1), "the save's answer");
        self.acked.insert(code, got);
        self.in_flight = None;
        self.saves += 1;
        Ok(())
    }
}

/// A staff file of `rows` new people in one team, numbered from `prefix`,
/// in a line-management tree among themselves.
pub fn staff_tree_csv(prefix: &str, rows: usize) -> Vec<u8> {
    let mut text = String::from(
        "Employee number,First name,Last name,Email,Org unit code,Line manager employee number,Staff group,Band\n",
    );
    for i in 0..rows {
        let manager = if i == 0 {
            String::new()
        } else {
            format!("{prefix}{:06}", (i - 1) / 8)
        };
        text.push_str(&format!(
            "{prefix}{i:06},Kay,Number{i},{p}{i}@import.example,RNF-D1-T01,{manager},Administrative and Clerical,Band 3\n",
            p = prefix.to_lowercase()
        ));
    }
    text.into_bytes()
}

/// A client signed in from `address`, as a proxy the server trusts would
/// say in `X-Forwarded-For` (start the server with
/// `SKILLMAP_TRUSTED_PROXIES=1`).
pub async fn login_from(
    app: &TestServer,
    email: &str,
    password: &str,
    address: &str,
) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        reqwest::header::HeaderValue::from_str(address).unwrap(),
    );
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap();
    let res = app
        .call(
            &client,
            "/api/auth/login",
            &[("email", email), ("password", password)],
        )
        .await;
    let status = res.status();
    assert!(
        status.is_success(),
        "log-in as {email}: {status} {}",
        res.text().await.unwrap_or_default()
    );
    client
}

/// The staff member assesses DAT-VIS at Practitioner with evidence, their
/// manager agrees it (a badge) and endorses them for DIG-FOUND.
pub async fn agreed_and_endorsed(
    app: &TestServer,
    staff: &reqwest::Client,
    manager: &reqwest::Client,
    person: &str,
) {
    app.json(
        staff,
        "/api/profile/save",
        &[
            ("skill_code", "DAT-VIS"),
            ("level", "3"),
            ("revision", "0"),
            ("evidence", "Built the ward's dashboard"),
        ],
    )
    .await;
    let agree = [
        ("person_id", person),
        ("skill_code", "DAT-VIS"),
        ("decision", "agree"),
        ("revision", "1"),
    ];
    app.json(manager, "/api/profile/review", &agree).await;
    let endorse = [
        ("person_id", person),
        ("kind", "endorsement"),
        ("skill_code", "DIG-FOUND"),
        ("message", "Showed everyone the new rostering app."),
    ];
    app.json(manager, "/api/recognition/give", &endorse).await;
}

/// The value of our session cookie in a response's Set-Cookie headers.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("skillmap_session=") || v.starts_with("__Host-skillmap_session="))
        .map(str::to_string)
}

/// A connection to the test's database, to read what the server wrote.
pub async fn connect(db: &TestDb) -> DatabaseConnection {
    sea_orm::Database::connect(db.url()).await.expect("connect")
}

/// One integer from a query that returns one row with one column.
pub async fn number(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a row from {sql}"));
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Staff accounts (role staff, all with `password`) for `n` people who have no
/// account yet; returns their emails and person ids.
pub async fn staff_accounts(db: &TestDb, n: usize, password: &str) -> Vec<(String, i32)> {
    let conn = connect(db).await;
    let sql = format!(
        "SELECT id, employee_number FROM person WHERE id NOT IN \
         (SELECT person_id FROM account WHERE person_id IS NOT NULL) \
         AND line_manager_id IS NOT NULL ORDER BY id LIMIT {n}"
    );
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap();
    let people: Vec<(i32, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
            )
        })
        .collect();
    assert_eq!(people.len(), n, "enough people without accounts");
    let accounts: Vec<(String, &str, String)> = people
        .iter()
        .map(|(id, number)| (format!("saver{id}@faults.example"), "staff", number.clone()))
        .collect();
    create_accounts(db, &accounts, password);
    accounts
        .into_iter()
        .zip(&people)
        .map(|((email, _, _), (id, _))| (email, *id))
        .collect()
}

/// Every skill's level and revision in the database for one person.
pub async fn stored(
    conn: &DatabaseConnection,
    person_id: i32,
) -> std::collections::HashMap<String, (i64, i64)> {
    let sql = format!(
        "SELECT skill_code, CAST(self_level AS BIGINT), CAST(revision AS BIGINT) \
         FROM assessment WHERE person_id = {person_id}"
    );
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                (
                    r.try_get_by_index(1).unwrap(),
                    r.try_get_by_index(2).unwrap(),
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
