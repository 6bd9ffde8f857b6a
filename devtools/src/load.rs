//! `skillmap-dev load`: the Monday-morning
//! rush, as a bench (never a timed test).
//!
//! Seeds a trust of `--staff` people (20,000 by default) who have each
//! assessed every skill, starts the real server on a free port, signs in
//! `--users` people (64: a quarter of them team leads with the manager
//! role, the rest staff), and has each of them work through their own
//! script, one request after another, for `--seconds`:
//!
//! - staff: "my skills" (`GET /skills`), then save a self-assessment
//!   (`POST /api/profile/save`, with the revision the last save returned);
//! - team leads: the team heatmap (`GET /team`), the organisation view of
//!   their unit (`GET /organisation`), "my skills", then a save.
//!
//! It runs the scripts twice:
//!
//! - **flat out** (a closed loop): each user sends their next request as
//!   soon as the last is answered, which measures the most the server can
//!   answer; latency here is only queueing (64 users / throughput);
//! - **at a set rate** (`--rate N` a second, or `--rate-of-baseline F`,
//!   0.05 of the `/healthz` baseline by default, an open loop):
//!   each user sends on a fixed timetable, their share of the rate, whether
//!   or not the last answer came back, as real people at their desks do.
//!   Latency is counted from when a request was due, not when it was sent,
//!   so a server that falls behind cannot hide it (no coordinated
//!   omission). This is the goal's measure: p99 at 0.05 of the baseline.
//!
//! In the same run, the same users ask for `/healthz` flat out for a third
//! of the time first: the baseline, since these machines are noisy. Prints
//! requests a second, p50 and p99 per route, and every error; exits
//! non-zero if any request failed. The load comes from this process on the
//! same machine, over loopback, so it shares the cores with the server.
//! With `--postgres URL` it then does the same against PostgreSQL, with
//! `--instances N` on N instances behind HAProxy (Debian's), started as the
//! scale-out tests start them (`skillmap_tests::balancer`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};
use skillmap_tests::*;

const PASSWORD: &str = "load-bench-password-2026";

struct Options {
    staff: usize,
    users: usize,
    seconds: u64,
    /// The steady load: a number of requests a second, or this fraction
    /// of the `/healthz` baseline measured in the same run.
    rate: Rate,
    postgres: Option<String>,
    /// Instances on PostgreSQL, behind HAProxy when more than one.
    instances: usize,
}

#[derive(Clone, Copy)]
enum Rate {
    PerSecond(f64),
    OfBaseline(f64),
}

fn options(args: Vec<String>) -> Result<Options, String> {
    let mut o = Options {
        staff: 20_000,
        users: 64,
        seconds: 30,
        rate: Rate::OfBaseline(0.05),
        postgres: None,
        instances: 1,
    };
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--staff" => o.staff = value()?.parse().map_err(|e| format!("--staff: {e}"))?,
            "--users" => o.users = value()?.parse().map_err(|e| format!("--users: {e}"))?,
            "--seconds" => o.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--rate" => {
                o.rate = Rate::PerSecond(value()?.parse().map_err(|e| format!("--rate: {e}"))?)
            }
            "--rate-of-baseline" => {
                o.rate = Rate::OfBaseline(
                    value()?
                        .parse()
                        .map_err(|e| format!("--rate-of-baseline: {e}"))?,
                )
            }
            "--postgres" => o.postgres = Some(value()?),
            "--instances" => {
                o.instances = value()?.parse().map_err(|e| format!("--instances: {e}"))?
            }
            other => {
                return Err(format!(
                    "unknown argument {other}; use --staff N --users N --seconds N \
                     --rate N | --rate-of-baseline F --postgres URL --instances N"
                ));
            }
        }
    }
    let (Rate::PerSecond(r) | Rate::OfBaseline(r)) = o.rate;
    if r.is_nan() || r <= 0.0 {
        return Err("--rate, --rate-of-baseline: more than 0".into());
    }
    if o.instances == 0 || o.instances > 8 {
        return Err("--instances: 1 to 8".into());
    }
    if o.users < 4 {
        return Err("--users: at least 4".into());
    }
    Ok(o)
}

/// What one request did: its route, how long it took, and its failure.
struct Sample {
    route: &'static str,
    took: Duration,
    error: Option<String>,
}

struct User {
    saver: Saver,
    lead: bool,
}

/// The people who sign in: team leads (manager role) and members of their
/// teams (staff role), none of whom has an account yet.
async fn users(db: &TestDb, n: usize) -> Vec<(String, &'static str, String, i32)> {
    let conn = Database::connect(db.url()).await.expect("connect");
    let backend = conn.get_database_backend();
    let leads = n / 4;
    let lead_sql = format!(
        "SELECT p.id, p.employee_number FROM person p JOIN org_unit u ON u.id = p.org_unit_id \
         WHERE u.kind = 'team' AND EXISTS (SELECT 1 FROM person r WHERE r.line_manager_id = p.id) \
         AND p.id NOT IN (SELECT person_id FROM account WHERE person_id IS NOT NULL) \
         ORDER BY p.id LIMIT {leads}"
    );
    let staff_sql = format!(
        "SELECT p.id, p.employee_number FROM person p \
         WHERE NOT EXISTS (SELECT 1 FROM person r WHERE r.line_manager_id = p.id) \
         AND p.id NOT IN (SELECT person_id FROM account WHERE person_id IS NOT NULL) \
         ORDER BY p.id LIMIT {}",
        n - leads
    );
    let mut out = Vec::new();
    for (sql, role) in [(lead_sql, "manager"), (staff_sql, "staff")] {
        for r in conn
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .expect("people")
        {
            let id: i32 = r.try_get_by_index(0).unwrap();
            let number: String = r.try_get_by_index(1).unwrap();
            out.push((format!("load{id}@bench.example"), role, number, id));
        }
    }
    assert_eq!(out.len(), n, "enough people to sign in");
    out
}

async fn get(app: &TestServer, client: &reqwest::Client, path: &str) -> Option<String> {
    match client.get(app.url(path)).send().await {
        Ok(res) if res.status().is_success() => match res.bytes().await {
            Ok(_) => None,
            Err(e) => Some(format!("GET {path}: {e}")),
        },
        Ok(res) => Some(format!("GET {path}: {}", res.status())),
        Err(e) => Some(format!("GET {path}: {e}")),
    }
}

/// How the users send: flat out, or each on a timetable of `rate`
/// requests a second shared between them all.
#[derive(Clone, Copy)]
enum Pace {
    FlatOut,
    Rate(f64),
}

/// Runs every user's script until `until`; returns what each request did.
async fn run(
    app: &Arc<TestServer>,
    users: Vec<User>,
    until: Instant,
    baseline: bool,
    pace: Pace,
) -> (Vec<User>, Vec<Sample>) {
    let n = users.len();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, mut user) in users.into_iter().enumerate() {
        let app = app.clone();
        // Each user's interval, and a start spread evenly across it.
        let timetable = match pace {
            Pace::FlatOut => None,
            Pace::Rate(rate) => {
                let every = Duration::from_secs_f64(n as f64 / rate);
                Some((every, start + every.mul_f64(i as f64 / n as f64)))
            }
        };
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut step = 0usize;
            loop {
                let due = match timetable {
                    Some((every, first)) => first + every.mul_f64(step as f64),
                    None => Instant::now(),
                };
                if due >= until {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                let route: &'static str = if baseline {
                    "GET /healthz (baseline)"
                } else if user.lead {
                    ["GET /team", "GET /organisation", "GET /skills", "POST save"][step % 4]
                } else {
                    ["GET /skills", "POST save"][step % 2]
                };
                step += 1;
                let error = match route {
                    "POST save" => user.saver.save_next(&app).await.err(),
                    "GET /healthz (baseline)" => get(&app, &user.saver.client, "/healthz").await,
                    other => get(&app, &user.saver.client, &other[4..]).await,
                };
                if error.is_some() && route == "POST save" {
                    user.saver.load(&app).await;
                }
                samples.push(Sample {
                    route,
                    took: due.elapsed(),
                    error,
                });
            }
            (user, samples)
        }));
    }
    let mut users = Vec::new();
    let mut samples = Vec::new();
    for t in tasks {
        let (u, s) = t.await.expect("user task");
        users.push(u);
        samples.extend(s);
    }
    (users, samples)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Prints one table row per route and the total; returns (req/s, errors).
fn report(engine: &str, run: &str, samples: &[Sample], seconds: f64) -> (f64, Vec<String>) {
    let mut by_route: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut errors = Vec::new();
    for s in samples {
        by_route
            .entry(s.route)
            .or_default()
            .push(s.took.as_secs_f64() * 1000.0);
        if let Some(e) = &s.error {
            errors.push(e.clone());
        }
    }
    let mut all: Vec<f64> = samples
        .iter()
        .map(|s| s.took.as_secs_f64() * 1000.0)
        .collect();
    all.sort_by(f64::total_cmp);
    if by_route.len() > 1 {
        by_route.insert("all", all);
    }
    for (route, mut ms) in by_route {
        ms.sort_by(f64::total_cmp);
        let failed = if route == "all" {
            errors.len()
        } else {
            samples
                .iter()
                .filter(|s| s.route == route && s.error.is_some())
                .count()
        };
        println!(
            "| {engine} | {run} | {route} | {} | {:.0} | {:.1} | {:.1} | {failed} |",
            ms.len(),
            ms.len() as f64 / seconds,
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
        );
    }
    (samples.len() as f64 / seconds, errors)
}

/// Seeds the demo trust at `staff` people who have each assessed every
/// skill (the load bench's and bench-pages' data), saying how long it took.
pub(crate) fn seed_trust(engine: &str, db: &TestDb, staff: usize) -> Result<(), String> {
    let t = Instant::now();
    let (ok, out) = cli(
        db,
        &["seed-demo", "--staff", &staff.to_string(), "--all-skills"],
        &[],
    );
    if !ok {
        return Err(format!("{engine}: seed-demo: {out}"));
    }
    eprintln!(
        "{engine}: seeded {staff} staff in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn bench(engine: &str, db: TestDb, instances: usize, o: &Options) -> Result<(), String> {
    seed_trust(engine, &db, o.staff)?;
    let people = users(&db, o.users).await;
    let accounts: Vec<(String, &str, String)> = people
        .iter()
        .map(|(email, role, number, _)| (email.clone(), *role, number.clone()))
        .collect();
    create_accounts(&db, &accounts, PASSWORD);
    let env = [
        ("SKILLMAP_LOGIN_BURST", "1000"),
        ("SKILLMAP_LOGIN_PER_MINUTE", "10000"),
    ];
    // More than one instance: HAProxy in front of them, as deploy/ sets it
    // up, and the users (and the baseline) go through it.
    let (app, _cluster) = if instances > 1 {
        let cluster = tokio::task::block_in_place(|| {
            skillmap_tests::balancer::Cluster::start(db, instances, &env)
        });
        let front = TestServer::at(&cluster.front.base, cluster.front.db.share());
        (Arc::new(front), Some(cluster))
    } else {
        (Arc::new(TestServer::start_on(db, &env)), None)
    };
    let engine = &*if instances > 1 {
        format!("{engine}, {instances} instances")
    } else {
        engine.to_string()
    };
    let mut signed_in = Vec::new();
    for (email, role, _, id) in &people {
        signed_in.push(User {
            saver: Saver::sign_in(&app, email, PASSWORD, *id).await,
            lead: *role == "manager",
        });
    }
    // Warm up: every user's script once.
    let (signed_in, _) = run(
        &app,
        signed_in,
        Instant::now() + Duration::from_secs(3),
        false,
        Pace::FlatOut,
    )
    .await;
    let third = Duration::from_secs(o.seconds.div_ceil(3));
    let started = Instant::now();
    let (signed_in, base) = run(&app, signed_in, started + third, true, Pace::FlatOut).await;
    let base_secs = started.elapsed().as_secs_f64();
    let (base_rate, mut all_errors) = report(engine, "/healthz", &base, base_secs);
    let mut signed_in = signed_in;
    let rate = match o.rate {
        Rate::PerSecond(r) => r,
        Rate::OfBaseline(f) => (f * base_rate).round(),
    };
    for (label, pace) in [
        ("flat out", Pace::FlatOut),
        (&*format!("at {rate:.0}/s"), Pace::Rate(rate)),
    ] {
        let started = Instant::now();
        let (users, samples) = run(
            &app,
            signed_in,
            started + Duration::from_secs(o.seconds),
            false,
            pace,
        )
        .await;
        signed_in = users;
        let secs = started.elapsed().as_secs_f64();
        let (rate, errors) = report(engine, label, &samples, secs);
        let mut all: Vec<f64> = samples
            .iter()
            .map(|s| s.took.as_secs_f64() * 1000.0)
            .collect();
        all.sort_by(f64::total_cmp);
        println!(
            "{engine}, {label}: {} users, {rate:.0} requests/s over {secs:.0} s = {:.2} of the \
             /healthz baseline ({base_rate:.0}/s), p99 {:.1} ms; {} errors",
            o.users,
            rate / base_rate,
            percentile(&all, 0.99),
            errors.len()
        );
        all_errors.extend(errors);
    }
    if all_errors.is_empty() {
        Ok(())
    } else {
        all_errors.sort();
        all_errors.dedup();
        Err(format!("{engine}: requests failed: {all_errors:#?}"))
    }
}

/// Runs the load bench with its own arguments (`--staff N --users N
/// --seconds N --rate N --postgres URL`).
pub async fn main_with(args: Vec<String>) -> std::process::ExitCode {
    let o = match options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    println!("| database | load | route | requests | per second | p50 ms | p99 ms | errors |");
    println!("|----------|------|-------|---------:|-----------:|-------:|-------:|-------:|");
    let mut failed = false;
    if let Err(e) = bench("SQLite", TestDb::sqlite(), 1, &o).await {
        eprintln!("{e}");
        failed = true;
    }
    if let Some(url) = &o.postgres
        && let Err(e) = bench("PostgreSQL", TestDb::postgres(url), o.instances, &o).await
    {
        eprintln!("{e}");
        failed = true;
    }
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
