//! `skillmap bench-import`: how fast is the staff import compared with the
//! fastest plain way to put the same rows into the same schema?
//!
//! Every measured phase runs in its own child process on its own fresh
//! database (so peak memory is that phase's alone), in the same run on the
//! same machine, and the result is printed as a ratio: these machines are
//! noisy, so absolute times mean little.
//!
//! - SQLite: one prepared `INSERT` per row (person and account) in one
//!   transaction, against `skillmap import` of the same rows as a CSV file
//!   (read, check, plan, write, commit).
//! - PostgreSQL: `COPY ... FROM STDIN` of the same rows, against the import.

use std::path::{Path, PathBuf};
use std::time::Instant;

use app::import::model::Kind;
use app::import::read::Limits;
use app::import::service::{self, NewJob};
use app::platform::Settings;
use sea_orm::{ConnectionTrait, DatabaseConnection};

const TEAMS: usize = 100;
const ROLES: [(&str, &str, &str, &str); 4] = [
    (
        "BR-RN5",
        "Staff Nurse",
        "Nursing and Midwifery Registered",
        "Band 5",
    ),
    (
        "BR-HCA3",
        "Healthcare Assistant",
        "Additional Clinical Services",
        "Band 3",
    ),
    (
        "BR-ADM4",
        "Administrator",
        "Administrative and Clerical",
        "Band 4",
    ),
    (
        "BR-ANA6",
        "Analyst",
        "Administrative and Clerical",
        "Band 6",
    ),
];

/// One generated staff member; person `i` reports to person `(i - 1) / 8`.
struct Staff {
    number: String,
    given: String,
    family: String,
    email: String,
    team: String,
    role: usize,
    manager: Option<usize>,
}

fn staff(i: usize) -> Staff {
    const GIVEN: [&str; 8] = [
        "Asha", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Hamza",
    ];
    const FAMILY: [&str; 8] = [
        "Patel", "Jones", "Okafor", "Smith", "Nowak", "Khan", "Evans", "Murphy",
    ];
    Staff {
        number: format!("E{i:07}"),
        given: GIVEN[i % 8].to_string(),
        family: format!("{}-{}", FAMILY[(i / 8) % 8], i),
        email: format!("person{i}@bench.example"),
        team: format!("BT-{:03}", i % TEAMS),
        role: i % ROLES.len(),
        manager: (i > 0).then(|| (i - 1) / 8),
    }
}

fn staff_csv(rows: usize) -> String {
    let mut out = String::with_capacity(rows * 120);
    out.push_str("Employee number,First name,Last name,Email,Org unit code,Job role code,Line manager employee number,Staff group,Band\n");
    for i in 0..rows {
        let s = staff(i);
        let (code, _, group, band) = ROLES[s.role];
        let manager = s.manager.map(|m| staff(m).number).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{code},{manager},{group},{band}\n",
            s.number, s.given, s.family, s.email, s.team
        ));
    }
    out
}

fn base_files() -> (String, String) {
    let mut org = String::from("Code,Name,Parent code\nBT,Bench Trust,\n");
    for d in 0..10 {
        org.push_str(&format!("BD-{d},Directorate {d},BT\n"));
    }
    for t in 0..TEAMS {
        org.push_str(&format!("BT-{t:03},Team {t},BD-{}\n", t % 10));
    }
    let mut roles = String::from("Role code,Title,Staff group,Band\n");
    for (code, title, group, band) in ROLES {
        roles.push_str(&format!("{code},{title},{group},{band}\n"));
    }
    (org, roles)
}

async fn open(url: &str) -> Result<DatabaseConnection, String> {
    let settings = Settings {
        database_url: url.to_string(),
        ..Settings::default()
    };
    let db = crate::connect(&settings).await.map_err(|e| e.to_string())?;
    crate::migrate(&db).await.map_err(|e| e.to_string())?;
    Ok(db)
}

/// A fresh database with the organisation and roles the staff refer to.
async fn prepare(url: &str) -> Result<(), String> {
    let db = open(url).await?;
    let (org, roles) = base_files();
    for (kind, text) in [(Kind::Org, org), (Kind::Roles, roles)] {
        let plan = service::import_file(
            &db,
            NewJob {
                kind,
                file_name: "bench.csv",
                actor: "bench",
                created_by: None,
            },
            text.as_bytes(),
            Limits::default(),
            false,
            &|_| {},
        )
        .await
        .map_err(|e| e.to_string())?;
        if plan.has_errors() {
            return Err(format!("bench set-up file has errors: {:?}", plan.problems));
        }
    }
    db.close().await.map_err(|e| e.to_string())
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs one phase in a child process: (seconds, peak memory in KB).
fn child(phase: &str, url: &str, rows: usize, file: &Path) -> Result<(f64, u64), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .args(["bench-import", "--phase", phase, "--database", url])
        .args(["--rows", &rows.to_string()])
        .env("SKILLMAP_BENCH_FILE", file)
        .env("RUST_LOG", "warn")
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| {
            format!(
                "phase {phase} failed: {}{}",
                stdout,
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let mut parts = line.split_whitespace();
    let secs = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    let kb = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((secs, kb))
}

/// The whole benchmark: prepares the databases, runs each phase, prints.
pub async fn run(rows: usize, postgres: Option<&str>) -> Result<(), String> {
    let dir: PathBuf = std::env::temp_dir().join(format!("skillmap-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("staff.csv");
    std::fs::write(&file, staff_csv(rows)).map_err(|e| e.to_string())?;
    println!(
        "Staff import benchmark: {rows} rows (a person and an account each), one transaction per run.\n"
    );
    println!(
        "{:<11} {:<34} {:>12} {:>10}",
        "database", "method", "rows/s", "peak MB"
    );
    let mut summary = Vec::new();
    let mut measure = async |db_name: &str, base: &str, urls: [String; 2]| -> Result<(), String> {
        let mut results = Vec::new();
        for (phase, url) in [base, "import"].into_iter().zip(&urls) {
            prepare(url).await?;
            let (secs, kb) = child(phase, url, rows, &file)?;
            let method = match phase {
                "raw" => "prepared INSERT per row (baseline)",
                "copy" => "COPY FROM STDIN (baseline)",
                _ => "skillmap import (check + write)",
            };
            println!(
                "{db_name:<11} {method:<34} {:>12.0} {:>10.1}",
                rows as f64 / secs,
                kb as f64 / 1024.0
            );
            results.push((secs, kb));
        }
        let ratio = results[0].0 / results[1].0;
        summary.push(format!(
            "{db_name}: import rate / baseline rate = {ratio:.2}; import peak memory {:.0} MB",
            results[1].1 as f64 / 1024.0
        ));
        Ok(())
    };
    measure(
        "SQLite",
        "raw",
        ["raw", "import"].map(|p| format!("sqlite://{}/{p}.db?mode=rwc", dir.display())),
    )
    .await?;
    if let Some(base) = postgres {
        let admin = open_plain(base).await?;
        let mut urls = Vec::new();
        for p in ["copy", "import"] {
            urls.push(recreate_database(&admin, base, &format!("skillmap_bench_{p}")).await?);
        }
        let urls: [String; 2] = urls.try_into().expect("two urls");
        measure("PostgreSQL", "copy", urls).await?;
        for p in ["copy", "import"] {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS skillmap_bench_{p}"))
                .await;
        }
    }
    println!();
    for s in summary {
        println!("{s}");
    }
    println!("Goals: SQLite ratio at least 0.50; peak memory under 300 MB.");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn open_plain(url: &str) -> Result<DatabaseConnection, String> {
    sea_orm::Database::connect(url)
        .await
        .map_err(|e| e.to_string())
}

/// Drops and creates database `name` on the server `admin` is connected to
/// (at `base`); returns its URL.
pub(crate) async fn recreate_database(
    admin: &DatabaseConnection,
    base: &str,
    name: &str,
) -> Result<String, String> {
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .map_err(|e| e.to_string())?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(replace_db(base, name))
}

fn replace_db(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => format!("{url}/{name}"),
    }
}

/// One measured phase (in a child process). Prints `RESULT secs peak_kb`.
pub async fn phase(phase: &str, url: &str, rows: usize) -> Result<(), String> {
    let db = open(url).await?;
    let secs = match phase {
        "import" => {
            let path = std::env::var("SKILLMAP_BENCH_FILE").map_err(|e| e.to_string())?;
            let started = Instant::now();
            let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
            let plan = service::import_file(
                &db,
                NewJob {
                    kind: Kind::Staff,
                    file_name: "staff.csv",
                    actor: "bench",
                    created_by: None,
                },
                &bytes,
                Limits::default(),
                false,
                &|_| {},
            )
            .await
            .map_err(|e| e.to_string())?;
            if plan.has_errors() || plan.counts.create != rows {
                return Err(format!(
                    "import did not create every row: {:?}",
                    plan.counts
                ));
            }
            started.elapsed().as_secs_f64()
        }
        "raw" => raw_sqlite(&db, rows).await?,
        "copy" => copy_postgres(&db, rows).await?,
        other => return Err(format!("unknown phase {other}")),
    };
    println!("RESULT {secs} {}", peak_rss_kb());
    Ok(())
}

async fn ids(
    db: &DatabaseConnection,
    table: &str,
) -> Result<std::collections::HashMap<String, i32>, String> {
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT id, code FROM {table}"),
        ))
        .await
        .map_err(|e| e.to_string())?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "code").map_err(|e| e.to_string())?,
                r.try_get::<i32>("", "id").map_err(|e| e.to_string())?,
            ))
        })
        .collect()
}

async fn raw_sqlite(db: &DatabaseConnection, rows: usize) -> Result<f64, String> {
    use sea_orm::sqlx;
    let teams = ids(db, "org_unit").await?;
    let roles = ids(db, "job_role").await?;
    let people: Vec<Staff> = (0..rows).map(staff).collect();
    let now = chrono::Utc::now();
    let pool = db.get_sqlite_connection_pool();
    let started = Instant::now();
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    for (i, s) in people.iter().enumerate() {
        let (code, _, group, band) = ROLES[s.role];
        sqlx::query(
            "INSERT INTO person (id, employee_number, given_name, family_name, email, staff_group, band, org_unit_id, job_role_id, line_manager_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(i as i32 + 1)
        .bind(&s.number)
        .bind(&s.given)
        .bind(&s.family)
        .bind(&s.email)
        .bind(group)
        .bind(band)
        .bind(teams[&s.team])
        .bind(roles[code])
        .bind(s.manager.map(|m| m as i32 + 1))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
        sqlx::query(
            "INSERT INTO account (email, password_hash, role, disabled, person_id, created_at) VALUES (?, '', 'staff', false, ?, ?)",
        )
        .bind(&s.email)
        .bind(i as i32 + 1)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(started.elapsed().as_secs_f64())
}

async fn copy_postgres(db: &DatabaseConnection, rows: usize) -> Result<f64, String> {
    let teams = ids(db, "org_unit").await?;
    let roles = ids(db, "job_role").await?;
    let now = chrono::Utc::now().to_rfc3339();
    let mut people = String::with_capacity(rows * 140);
    let mut accounts = String::with_capacity(rows * 80);
    for i in 0..rows {
        let s = staff(i);
        let (code, _, group, band) = ROLES[s.role];
        let manager = s.manager.map(|m| (m + 1).to_string()).unwrap_or_default();
        people.push_str(&format!(
            "{},{},{},{},{},\"{group}\",{band},{},{},{manager},{now}\n",
            i + 1,
            s.number,
            s.given,
            s.family,
            s.email,
            teams[&s.team],
            roles[code]
        ));
        accounts.push_str(&format!("{},\"\",staff,false,{},{now}\n", s.email, i + 1));
    }
    let pool = db.get_postgres_connection_pool();
    let started = Instant::now();
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    for (sql, data) in [
        (
            "COPY person (id, employee_number, given_name, family_name, email, staff_group, band, org_unit_id, job_role_id, line_manager_id, created_at) FROM STDIN WITH (FORMAT csv)",
            people,
        ),
        (
            "COPY account (email, password_hash, role, disabled, person_id, created_at) FROM STDIN WITH (FORMAT csv)",
            accounts,
        ),
    ] {
        let mut copy = tx.copy_in_raw(sql).await.map_err(|e| e.to_string())?;
        copy.send(data.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        copy.finish().await.map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(started.elapsed().as_secs_f64())
}
