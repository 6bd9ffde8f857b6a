//! `skillmap-dev bench-import`: how fast is the staff import compared with the
//! fastest plain way to put the same rows into the same schema?
//!
//! Every measured phase runs in its own child process on its own fresh
//! database (so peak memory is that phase's alone), in the same run on the
//! same machine, and the result is printed as a ratio, import rows per
//! second / baseline rows per second: these machines are noisy, so absolute
//! times mean little. The goal is an SQLite ratio of at least 0.5.
//!
//! - SQLite: the baseline is the fastest plain way that needs no other C
//!   library. The same person and account rows, generated in memory, go
//!   through the same sqlx connection (`skillmap::connect`, so foreign keys
//!   on, WAL) into the same migrated schema (same foreign keys and indexes)
//!   in one `BEGIN IMMEDIATE` transaction, as multi-row
//!   `INSERT ... VALUES (...), (...), ...` statements of `BATCH` (500) rows with
//!   bound parameters: one statement, so one round trip to SQLite's worker
//!   thread, per batch and table rather than one awaited `INSERT` per row.
//!   Every full batch has the same SQL, so sqlx prepares it once and reuses
//!   it from its statement cache. Each person's line manager is set in the
//!   person `INSERT` itself, as the import does (it reserves ids, managers
//!   first): ids are given in order and a manager always comes before their
//!   reports, so no second `UPDATE` is needed. Accounts go in after their
//!   batch of people. The baseline's clock starts with its rows in memory;
//!   the import's covers reading the CSV file, checking, planning, writing
//!   and committing.
//!
//!   (The baseline used to be one `INSERT` per row, each awaited: it
//!   measured the round trips more than SQLite, ran at 5,000 to 19,000 rows
//!   a second on the same machine, and the ratio swung from 0.5 to 8.)
//! - PostgreSQL: `COPY ... FROM STDIN` of the same rows, one per table, in
//!   one transaction, against the import.
//!
//! After each phase the child counts what is in its database (people,
//! accounts, people with a line manager) and fails unless both sides wrote
//! every row.

use std::path::{Path, PathBuf};
use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionSession, Value};
use skillmap_core::import::model::Kind;
use skillmap_core::import::service::{self, NewJob};
use skillmap_core::kernel::Settings;
use skillmap_core::kernel::table::Limits;

const TEAMS: usize = 100;

/// People (and accounts) per multi-row `INSERT` in the SQLite baseline.
/// A person row binds `PERSON_COLUMNS` (11) parameters, so a batch binds 5,500:
/// far under SQLite's limit of 32,766 bound parameters per statement (the
/// default since SQLite 3.32; sqlx bundles a newer one). Larger batches save
/// nothing measurable: at 500 rows, 100,000 people take 400 statements.
const BATCH: usize = 500;
const PERSON_COLUMNS: usize = 11;
const _: () = assert!(BATCH * PERSON_COLUMNS <= 32_766);

/// The goal for the SQLite ratio (import rows/s / baseline rows/s).
const SQLITE_GOAL: f64 = 0.5;

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
    let db = skillmap::connect(&settings)
        .await
        .map_err(|e| e.to_string())?;
    skillmap::migrate(&db).await.map_err(|e| e.to_string())?;
    Ok(db)
}

/// A fresh database with the organisation and roles the staff refer to.
async fn prepare(url: &str) -> Result<(), String> {
    let db = open(url).await?;
    let organisation_id = skillmap_core::kernel::tenant::chosen(&db, None).await?;
    let (org, roles) = base_files();
    for (kind, text) in [(Kind::Org, org), (Kind::Roles, roles)] {
        let plan = service::import_file(
            &db,
            NewJob {
                organisation_id,
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
        "Staff import benchmark: {rows} rows (a person and an account each), one transaction per run."
    );
    println!(
        "Baseline, SQLite: the same rows from memory through the same sqlx connection in one\n  \
         transaction, as multi-row INSERT ... VALUES statements of {BATCH} rows with bound\n  \
         parameters (people with their line managers, then their accounts): no round trip per row."
    );
    if postgres.is_some() {
        println!(
            "Baseline, PostgreSQL: COPY ... FROM STDIN of the same rows, one per table, one transaction."
        );
    }
    println!("Ratio: import rows/s / baseline rows/s (1.00 = as fast as the baseline).\n");
    println!(
        "{:<11} {:<38} {:>12} {:>10}",
        "database", "method", "rows/s", "peak MB"
    );
    let mut summary = Vec::new();
    let mut measure = async |db_name: &str,
                             base: &str,
                             urls: [String; 2],
                             goal: Option<f64>|
           -> Result<(), String> {
        let mut rates = Vec::new();
        let mut peaks = Vec::new();
        for (phase, url) in [base, "import"].into_iter().zip(&urls) {
            prepare(url).await?;
            let (secs, kb) = child(phase, url, rows, &file)?;
            let method = match phase {
                "batch" => format!("multi-row INSERT x{BATCH} (baseline)"),
                "copy" => "COPY FROM STDIN (baseline)".to_string(),
                _ => "skillmap import (read, check, write)".to_string(),
            };
            let rate = rows as f64 / secs;
            println!(
                "{db_name:<11} {method:<38} {rate:>12.0} {:>10.1}",
                kb as f64 / 1024.0
            );
            rates.push(rate);
            peaks.push(kb);
        }
        let (baseline, import) = (rates[0], rates[1]);
        let ratio = import / baseline;
        let goal = match goal {
            Some(g) if ratio >= g => format!("goal at least {g:.2}: met"),
            Some(g) => format!("goal at least {g:.2}: NOT met"),
            None => "no goal".to_string(),
        };
        summary.push(format!(
            "{db_name}: import {import:.0} rows/s / baseline {baseline:.0} rows/s = {ratio:.2} \
             ({goal}); import peak memory {:.0} MB",
            peaks[1] as f64 / 1024.0
        ));
        Ok(())
    };
    measure(
        "SQLite",
        "batch",
        ["batch", "import"].map(|p| format!("sqlite://{}/{p}.db?mode=rwc", dir.display())),
        Some(SQLITE_GOAL),
    )
    .await?;
    if let Some(base) = postgres {
        let admin = open_plain(base).await?;
        let mut urls = Vec::new();
        for p in ["copy", "import"] {
            urls.push(recreate_database(&admin, base, &format!("skillmap_bench_{p}")).await?);
        }
        let urls: [String; 2] = urls.try_into().expect("two urls");
        measure("PostgreSQL", "copy", urls, None).await?;
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
    println!(
        "Goals: SQLite ratio at least {SQLITE_GOAL:.2} (against the batched INSERT baseline); \
         import peak memory under 300 MB."
    );
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

pub(crate) fn replace_db(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => format!("{url}/{name}"),
    }
}

/// One measured phase (in a child process). Prints `RESULT secs peak_kb`
/// once the rows it wrote have been counted (after the clock stops).
pub async fn phase(phase: &str, url: &str, rows: usize) -> Result<(), String> {
    let db = open(url).await?;
    let secs = match phase {
        "import" => {
            let path = std::env::var("SKILLMAP_BENCH_FILE").map_err(|e| e.to_string())?;
            let organisation_id = skillmap_core::kernel::tenant::chosen(&db, None).await?;
            let started = Instant::now();
            let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
            let plan = service::import_file(
                &db,
                NewJob {
                    organisation_id,
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
        "batch" => batch_sqlite(&db, rows).await?,
        "copy" => copy_postgres(&db, rows).await?,
        other => return Err(format!("unknown phase {other}")),
    };
    check_written(&db, rows).await?;
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

/// Fails unless the database holds exactly what both sides must write:
/// `rows` people, `rows` accounts, and every person but the first with a
/// line manager.
async fn check_written(db: &DatabaseConnection, rows: usize) -> Result<(), String> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT (SELECT COUNT(*) FROM person) AS people, \
             (SELECT COUNT(*) FROM account WHERE person_id IS NOT NULL) AS accounts, \
             (SELECT COUNT(line_manager_id) FROM person) AS managed",
        ))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no row counts")?;
    let count = |name: &str| row.try_get::<i64>("", name).map_err(|e| e.to_string());
    let found = (count("people")?, count("accounts")?, count("managed")?);
    let rows = rows as i64;
    let wanted = (rows, rows, (rows - 1).max(0));
    if found != wanted {
        return Err(format!(
            "wrote (people, accounts, people with a manager) = {found:?}, wanted {wanted:?}"
        ));
    }
    Ok(())
}

/// `head` followed by `n` copies of `row`, comma-separated: a multi-row
/// `INSERT ... VALUES` of `n` rows.
fn values_sql(head: &str, row: &str, n: usize) -> String {
    let mut sql = String::with_capacity(head.len() + n * (row.len() + 1));
    sql.push_str(head);
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(row);
    }
    sql
}

/// The SQLite baseline (see the module comment): the same rows through the
/// same connection in one transaction, `BATCH` rows per `INSERT`.
async fn batch_sqlite(db: &DatabaseConnection, rows: usize) -> Result<f64, String> {
    const PERSON: &str = "INSERT INTO person (id, employee_number, given_name, family_name, \
        email, staff_group, band, org_unit_id, job_role_id, line_manager_id, created_at) VALUES ";
    const PERSON_ROW: &str = "(?,?,?,?,?,?,?,?,?,?,?)";
    // The literals are what the import binds for a new account from a staff
    // file with no application role: no password yet, role staff, enabled.
    const ACCOUNT: &str =
        "INSERT INTO account (email, password_hash, role, disabled, person_id, created_at) VALUES ";
    const ACCOUNT_ROW: &str = "(?,'','staff',false,?,?)";
    let teams = ids(db, "org_unit").await?;
    let roles = ids(db, "job_role").await?;
    let people: Vec<Staff> = (0..rows).map(staff).collect();
    let backend = db.get_database_backend();
    // Every full batch runs this same SQL: sqlx prepares it once.
    let full_person = values_sql(PERSON, PERSON_ROW, BATCH);
    let full_account = values_sql(ACCOUNT, ACCOUNT_ROW, BATCH);
    let now = chrono::Utc::now();
    let started = Instant::now();
    let txn = skillmap_core::kernel::begin_write(db)
        .await
        .map_err(|e| e.to_string())?;
    for (b, batch) in people.chunks(BATCH).enumerate() {
        let mut person: Vec<Value> = Vec::with_capacity(batch.len() * PERSON_COLUMNS);
        let mut account: Vec<Value> = Vec::with_capacity(batch.len() * 3);
        for (k, s) in batch.iter().enumerate() {
            // Ids in order, so a manager ((i - 1) / 8) is always inserted
            // before, or in the same statement as, their reports.
            let id = (b * BATCH + k) as i32 + 1;
            let (code, _, group, band) = ROLES[s.role];
            person.extend([
                Value::from(id),
                s.number.as_str().into(),
                s.given.as_str().into(),
                s.family.as_str().into(),
                s.email.as_str().into(),
                group.into(),
                band.into(),
                teams[&s.team].into(),
                roles[code].into(),
                s.manager.map(|m| m as i32 + 1).into(),
                now.into(),
            ]);
            account.extend([Value::from(s.email.as_str()), id.into(), now.into()]);
        }
        let (person_sql, account_sql) = if batch.len() == BATCH {
            (full_person.clone(), full_account.clone())
        } else {
            (
                values_sql(PERSON, PERSON_ROW, batch.len()),
                values_sql(ACCOUNT, ACCOUNT_ROW, batch.len()),
            )
        };
        for (sql, values) in [(person_sql, person), (account_sql, account)] {
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    txn.commit().await.map_err(|e| e.to_string())?;
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
