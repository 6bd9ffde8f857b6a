//! `cargo run --release -p skillmap-tests --bin load`: the Monday-morning
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
//! In the same run, the same users ask for `/healthz` for a third of the
//! time first: the baseline, since these machines are noisy. Prints
//! requests a second, p50 and p99 per route, and every error; exits
//! non-zero if any request failed. The load comes from this process on the
//! same machine, over loopback, so it shares the cores with the server.
//! With `--postgres URL` it then does the same against PostgreSQL.

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
    postgres: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        staff: 20_000,
        users: 64,
        seconds: 30,
        postgres: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--staff" => o.staff = value()?.parse().map_err(|e| format!("--staff: {e}"))?,
            "--users" => o.users = value()?.parse().map_err(|e| format!("--users: {e}"))?,
            "--seconds" => o.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--postgres" => o.postgres = Some(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other}; use --staff N --users N --seconds N --postgres URL"
                ));
            }
        }
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

/// Runs every user's script until `until`; returns what each request did.
async fn run(
    app: &Arc<TestServer>,
    users: Vec<User>,
    until: Instant,
    baseline: bool,
) -> (Vec<User>, Vec<Sample>) {
    let mut tasks = Vec::new();
    for mut user in users {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut step = 0usize;
            while Instant::now() < until {
                let route: &'static str = if baseline {
                    "GET /healthz (baseline)"
                } else if user.lead {
                    ["GET /team", "GET /organisation", "GET /skills", "POST save"][step % 4]
                } else {
                    ["GET /skills", "POST save"][step % 2]
                };
                step += 1;
                let started = Instant::now();
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
                    took: started.elapsed(),
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
fn report(engine: &str, samples: &[Sample], seconds: f64) -> (f64, Vec<String>) {
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
            "| {engine} | {route} | {} | {:.0} | {:.1} | {:.1} | {failed} |",
            ms.len(),
            ms.len() as f64 / seconds,
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
        );
    }
    (samples.len() as f64 / seconds, errors)
}

async fn bench(engine: &str, db: TestDb, o: &Options) -> Result<(), String> {
    let t = Instant::now();
    let (ok, out) = cli(
        &db,
        &["seed-demo", "--staff", &o.staff.to_string(), "--all-skills"],
        &[],
    );
    if !ok {
        return Err(format!("seed-demo: {out}"));
    }
    eprintln!(
        "{engine}: seeded {} staff in {:.0} s",
        o.staff,
        t.elapsed().as_secs_f64()
    );
    let people = users(&db, o.users).await;
    let accounts: Vec<(String, &str, String)> = people
        .iter()
        .map(|(email, role, number, _)| (email.clone(), *role, number.clone()))
        .collect();
    create_accounts(&db, &accounts, PASSWORD);
    let app = Arc::new(TestServer::start_on(
        db,
        &[
            ("SKILLMAP_LOGIN_BURST", "1000"),
            ("SKILLMAP_LOGIN_PER_MINUTE", "10000"),
        ],
    ));
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
    )
    .await;
    let third = Duration::from_secs(o.seconds.div_ceil(3));
    let started = Instant::now();
    let (signed_in, base) = run(&app, signed_in, started + third, true).await;
    let base_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (_, samples) = run(
        &app,
        signed_in,
        started + Duration::from_secs(o.seconds),
        false,
    )
    .await;
    let secs = started.elapsed().as_secs_f64();
    let (base_rate, base_errors) = report(engine, &base, base_secs);
    let (rate, errors) = report(engine, &samples, secs);
    println!(
        "{engine}: {} users, {rate:.0} requests/s over {secs:.0} s = {:.2} of the /healthz baseline \
         ({base_rate:.0}/s); {} errors",
        o.users,
        rate / base_rate,
        errors.len() + base_errors.len()
    );
    let mut all_errors = base_errors;
    all_errors.extend(errors);
    if all_errors.is_empty() {
        Ok(())
    } else {
        all_errors.sort();
        all_errors.dedup();
        Err(format!("{engine}: requests failed: {all_errors:#?}"))
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    println!("| database | route | requests | per second | p50 ms | p99 ms | errors |");
    println!("|----------|-------|---------:|-----------:|-------:|-------:|-------:|");
    let mut failed = false;
    if let Err(e) = bench("SQLite", TestDb::sqlite(), &o).await {
        eprintln!("{e}");
        failed = true;
    }
    if let Some(url) = &o.postgres
        && let Err(e) = bench("PostgreSQL", TestDb::postgres(url), &o).await
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
