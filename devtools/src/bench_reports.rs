//! `skillmap-dev bench-reports`: how fast are the team heatmap and the
//! organisation view on a large trust?
//!
//! Seeds the demo organisation with `--staff` people (20,000 by default),
//! each of whom has assessed every skill, then in the same run, alternating
//! so that machine noise hits both sides alike:
//!
//! - the team heatmap's work (access check, one team query, requirements,
//!   matrix, sort) for the largest team, against one hand-written SQL query
//!   returning the same matrix; goal: at most 1.2 times the query;
//! - the whole-organisation view (from the capability summaries), against
//!   one aggregate scan of every assessment (what it would cost without
//!   them); goal: a median of 50 ms or less.
//!
//! - HR's recognition report (six months, by unit and month), against two
//!   hand-written aggregate queries (recognition per unit, staff per unit)
//!   that give the same totals without the months.
//!
//! - with `--organisations N` (an integrated care system of N demo
//!   organisations sharing the staff 50:20:15:8:7), also the workforce
//!   lead's system view as its page asks for it (every organisation, from
//!   the summaries, with primary and secondary suppression planned over
//!   every unit, and the review counts); goal: a median of 50 ms or less. The heatmap and the organisation view are
//!   then the first (largest) organisation's, as its HR sees them.
//!
//! Ratios are printed because these machines are noisy; the absolute
//! figures are printed too, for the organisation view's goal.

use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use skillmap_core::auth::model::{CurrentUser, Role};
use skillmap_core::team::{service, summary};

/// A migrated connection to `url` (the benches that seed a trust share it).
pub(crate) async fn open(url: &str) -> Result<DatabaseConnection, String> {
    let settings = skillmap_core::kernel::Settings {
        database_url: url.to_string(),
        // Seeding is batch work, not a request: at 100,000 staff on
        // PostgreSQL one of its statements (the badges' organisations) ran
        // past the server's 30 seconds and the seed rolled back after 45
        // minutes.
        db_statement_timeout: std::time::Duration::from_secs(3600),
        ..skillmap_core::kernel::Settings::default()
    };
    let db = skillmap::connect(&settings)
        .await
        .map_err(|e| e.to_string())?;
    skillmap::migrate(&db).await.map_err(|e| e.to_string())?;
    Ok(db)
}

pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub(crate) fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

const HAND_SQL: &str = "SELECT p.id, p.given_name, p.family_name, j.code, j.title, \
     a.skill_code, CAST(a.self_level AS INTEGER) AS own, CAST(a.agreed_level AS INTEGER) AS agreed, \
     a.status, CAST(r.level AS INTEGER) AS required \
     FROM person p LEFT JOIN job_role j ON j.id = p.job_role_id \
     LEFT JOIN assessment a ON a.person_id = p.id \
     LEFT JOIN role_requirement r ON r.job_role_id = p.job_role_id AND r.skill_code = a.skill_code \
     WHERE p.line_manager_id = ? ORDER BY p.id";

const SCAN_SQL: &str = "SELECT p.org_unit_id, a.skill_code, \
     CAST(COUNT(*) AS INTEGER) AS n, \
     CAST(SUM(CASE WHEN COALESCE(a.agreed_level, a.self_level) >= 2 THEN 1 ELSE 0 END) AS INTEGER) AS m \
     FROM assessment a JOIN person p ON p.id = a.person_id \
     GROUP BY p.org_unit_id, a.skill_code";

const RECOGNITION_SQL: &str = "SELECT p.org_unit_id, CAST(COUNT(*) AS INTEGER) AS n, \
     CAST(COUNT(DISTINCT r.person_id) AS INTEGER) AS people \
     FROM recognition r JOIN person p ON p.id = r.person_id GROUP BY p.org_unit_id";

const STAFF_SQL: &str =
    "SELECT org_unit_id, CAST(COUNT(*) AS INTEGER) AS n FROM person GROUP BY org_unit_id";

/// Person id, name, skill, own level, agreed level, required level.
type MatrixRow = (
    i32,
    String,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
);

/// The hand-written query, decoded into a matrix of plain tuples.
async fn hand_written(db: &DatabaseConnection, manager: i32) -> Result<usize, String> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            skillmap_core::kernel::db::placeholders(backend, HAND_SQL),
            [manager.into()],
        ))
        .await
        .map_err(|e| e.to_string())?;
    let mut matrix: Vec<MatrixRow> = Vec::with_capacity(rows.len());
    for r in rows {
        let get = |e: sea_orm::DbErr| e.to_string();
        matrix.push((
            r.try_get("", "id").map_err(get)?,
            r.try_get::<String>("", "given_name").map_err(get)?
                + " "
                + &r.try_get::<String>("", "family_name").map_err(get)?,
            r.try_get("", "skill_code").map_err(get)?,
            r.try_get("", "own").map_err(get)?,
            r.try_get("", "agreed").map_err(get)?,
            r.try_get("", "required").map_err(get)?,
        ));
    }
    Ok(matrix.len())
}

async fn bench_one(
    name: &str,
    url: &str,
    staff: usize,
    runs: usize,
    organisations: usize,
) -> Result<Vec<String>, String> {
    let db = open(url).await?;
    let backend = db.get_database_backend();
    let already = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM person",
        ))
        .await
        .map_err(|e| e.to_string())?
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    if already > 0 {
        // A kept database (`--keep`) seeded by an earlier run: its
        // summaries are rebuilt below, by this build's code.
        println!("{name}: reusing {already} people seeded by an earlier run");
    } else {
        let started = Instant::now();
        let seeded = skillmap::demo::seed_system(&db, staff, true, organisations)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "{name}: seeded {} people in {organisations} organisation(s), each assessing every skill, in {:.0} s",
            seeded.people,
            started.elapsed().as_secs_f64()
        );
    }
    let count = |sql: &str| {
        let db = &db;
        let sql = sql.to_string();
        async move {
            db.query_one_raw(Statement::from_string(backend, sql))
                .await
                .map_err(|e| e.to_string())?
                .ok_or("no row")?
                .try_get_by_index::<i64>(0)
                .map_err(|e| e.to_string())
        }
    };
    let assessments = count("SELECT COUNT(*) FROM assessment").await?;
    // The largest team: its manager.
    let lead = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT line_manager_id AS id, COUNT(*) AS n FROM person \
             WHERE line_manager_id IS NOT NULL GROUP BY line_manager_id ORDER BY n DESC LIMIT 1",
        ))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no managers")?
        .try_get::<i32>("", "id")
        .map_err(|e| e.to_string())?;
    let hr = CurrentUser {
        account_id: 0,
        person_id: None,
        email: "bench@skillmap.example".into(),
        display_name: "Bench".into(),
        role: Role::Hr,
        // The first organisation the demo seeds (the largest).
        organisation_id: Some(1),
    };
    let lead_user = CurrentUser {
        role: Role::Lead,
        organisation_id: None,
        ..hr.clone()
    };

    // Warm up, then alternate.
    let started = Instant::now();
    summary::rebuild(&db).await.map_err(|e| e.to_string())?;
    let rebuild = started.elapsed().as_secs_f64();
    let mut team = Vec::new();
    let mut hand = Vec::new();
    let mut org = Vec::new();
    let mut scan = Vec::new();
    let mut recog = Vec::new();
    let mut recog_sql = Vec::new();
    let mut system = Vec::new();
    let mut recognised = 0;
    let mut people = 0;
    let mut cells = 0;
    for i in 0..runs + 2 {
        let t = Instant::now();
        let manager = service::heatmap_access(&db, &hr, Some(lead))
            .await
            .map_err(|e| e.to_string())?;
        let map = service::heatmap(&db, manager, false)
            .await
            .map_err(|e| e.to_string())?
            .shaped(skillmap_core::team::model::HeatQuery::default());
        let a = t.elapsed().as_secs_f64();
        people = map.rows.len();
        cells = map.rows.len() * map.skills.len();

        let t = Instant::now();
        let n = hand_written(&db, lead).await?;
        let b = t.elapsed().as_secs_f64();
        if n < people {
            return Err(format!(
                "hand-written query returned {n} rows for {people} people"
            ));
        }

        let t = Instant::now();
        let unit = service::report_access(&db, &hr, None)
            .await
            .map_err(|e| e.to_string())?;
        let report = service::org_report(&db, &hr, unit, None)
            .await
            .map_err(|e| e.to_string())?;
        let c = t.elapsed().as_secs_f64();
        if report.total.people == 0 {
            return Err("the organisation view came back empty".into());
        }

        let t = Instant::now();
        let rows = db
            .query_all_raw(Statement::from_string(backend, SCAN_SQL))
            .await
            .map_err(|e| e.to_string())?;
        let d = t.elapsed().as_secs_f64();
        if rows.is_empty() {
            return Err("the scan found no assessments".into());
        }
        let t = Instant::now();
        let hr_org = hr.organisation().map_err(|e| e.to_string())?;
        let r = skillmap_core::recognition::service::report(&db, hr_org, None, chrono::Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        let e = t.elapsed().as_secs_f64();
        recognised = r.total.recognised;

        let t = Instant::now();
        let by_unit = db
            .query_all_raw(Statement::from_string(backend, RECOGNITION_SQL))
            .await
            .map_err(|e| e.to_string())?;
        let staff_by_unit = db
            .query_all_raw(Statement::from_string(backend, STAFF_SQL))
            .await
            .map_err(|e| e.to_string())?;
        let f = t.elapsed().as_secs_f64();
        if by_unit.is_empty() || staff_by_unit.is_empty() {
            return Err("the demo has no recognition to report".into());
        }
        let t = Instant::now();
        if organisations > 1 {
            // What the page asks for: the view and its review counts.
            let report =
                service::organisation(&db, &lead_user, None, None, chrono::Utc::now().date_naive())
                    .await
                    .map_err(|e| e.to_string())?;
            if report.children.len() != organisations {
                return Err(format!(
                    "the system view has {} rows for {organisations} organisations",
                    report.children.len()
                ));
            }
        }
        let g = t.elapsed().as_secs_f64();
        if i >= 2 {
            system.push(g);
            team.push(a);
            hand.push(b);
            org.push(c);
            scan.push(d);
            recog.push(e);
            recog_sql.push(f);
        }
    }
    // One save's summary refresh, in a transaction rolled back.
    let mut refresh = Vec::new();
    for _ in 0..runs {
        use sea_orm::TransactionTrait;
        let txn = db.begin().await.map_err(|e| e.to_string())?;
        let t = Instant::now();
        summary::refresh_assessment(&txn, lead, "DAT-VIS")
            .await
            .map_err(|e| e.to_string())?;
        refresh.push(t.elapsed().as_secs_f64());
        txn.rollback().await.map_err(|e| e.to_string())?;
    }
    let ms = |s: f64| s * 1000.0;
    let (team_p50, hand_p50) = (median(&mut team), median(&mut hand));
    let (org_p50, org_p95) = (median(&mut org), percentile(&mut org, 0.95));
    let scan_p50 = median(&mut scan);
    println!(
        "{name}: {assessments} assessments; largest team {people} people x {} skills = {cells} cells; {runs} runs each",
        cells / people.max(1)
    );
    println!(
        "{:<11} {:<46} {:>10} {:>10}",
        "database", "what", "p50 ms", "p95 ms"
    );
    println!(
        "{name:<11} {:<46} {:>10.1} {:>10.1}",
        "team heatmap (server function's work)",
        ms(team_p50),
        ms(percentile(&mut team, 0.95))
    );
    println!(
        "{name:<11} {:<46} {:>10.1} {:>10.1}",
        "hand-written SQL, same matrix (baseline)",
        ms(hand_p50),
        ms(percentile(&mut hand, 0.95))
    );
    println!(
        "{name:<11} {:<46} {:>10.1} {:>10.1}",
        "organisation view, whole trust",
        ms(org_p50),
        ms(org_p95)
    );
    println!(
        "{name:<11} {:<46} {:>10.1} {:>10.1}",
        "scan of every assessment (no summaries)",
        ms(scan_p50),
        ms(percentile(&mut scan, 0.95))
    );
    println!(
        "{name:<11} {:<46} {:>10.1} {:>10.1}",
        "summary refresh after one save",
        ms(median(&mut refresh)),
        ms(percentile(&mut refresh, 0.95))
    );
    println!(
        "{name:<11} {:<46} {:>10.1}",
        "full summary rebuild (imports, framework)",
        ms(rebuild)
    );
    let (recog_p50, recog_sql_p50) = (median(&mut recog), median(&mut recog_sql));
    println!(
        "{name:<11} {:<46} {:>10.1} {:>10.1}",
        format!("recognition report ({recognised} recognised)"),
        ms(recog_p50),
        ms(percentile(&mut recog, 0.95))
    );
    println!(
        "{name:<11} {:<46} {:>10.1} {:>10.1}",
        "two aggregate queries, same totals (baseline)",
        ms(recog_sql_p50),
        ms(percentile(&mut recog_sql, 0.95))
    );
    if organisations > 1 {
        println!(
            "{name:<11} {:<46} {:>10.1} {:>10.1}",
            format!("system view, {organisations} organisations (lead)"),
            ms(median(&mut system)),
            ms(percentile(&mut system, 0.95))
        );
    }
    println!();
    let mut lines = Vec::new();
    if organisations > 1 {
        lines.push(format!(
            "{name}: system view p50 {:.1} ms (goal <= 50 ms), {:.2} of one scan of all assessments",
            ms(median(&mut system)),
            median(&mut system) / scan_p50
        ));
    }
    lines.extend([
        format!(
            "{name}: heatmap / hand-written SQL = {:.2} (goal <= 1.20)",
            team_p50 / hand_p50
        ),
        format!(
            "{name}: organisation view p50 {:.1} ms (goal <= 50 ms), {:.2} of one scan of all assessments",
            ms(org_p50),
            org_p50 / scan_p50
        ),
        format!(
            "{name}: recognition report / aggregate queries = {:.2}",
            recog_p50 / recog_sql_p50
        ),
    ]);
    Ok(lines)
}

/// The benchmark: SQLite, then PostgreSQL when a server is given.
pub async fn run(
    staff: usize,
    runs: usize,
    organisations: usize,
    postgres: Option<&str>,
    keep: Option<&std::path::Path>,
    postgres_only: bool,
) -> Result<(), String> {
    let runs = runs.max(3);
    // With `--keep DIR` the seeded databases outlive the run (SQLite in
    // DIR, PostgreSQL as a database named for the size) and a later run of
    // the same size reuses them: seeding 100,000 people takes half an hour.
    let dir = match keep {
        Some(d) => d.to_path_buf(),
        None => std::env::temp_dir().join(format!("skillmap-bench-reports-{}", std::process::id())),
    };
    let file = match keep {
        Some(_) => format!("reports-{staff}-{organisations}.db"),
        None => "reports.db".to_string(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    println!(
        "Reports benchmark: {staff} staff in {organisations} organisation(s), every skill assessed.\n"
    );
    let mut summary = if postgres_only {
        Vec::new()
    } else {
        bench_one(
            "SQLite",
            &format!("sqlite://{}/{file}?mode=rwc", dir.display()),
            staff,
            runs,
            organisations,
        )
        .await?
    };
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Some(base) = postgres {
        let admin = sea_orm::Database::connect(base)
            .await
            .map_err(|e| e.to_string())?;
        let result = if keep.is_some() {
            let name = format!("skillmap_bench_reports_{staff}_{organisations}");
            let exists = admin
                .query_one_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
                ))
                .await
                .map_err(|e| e.to_string())?
                .is_some();
            if !exists {
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let url = crate::bench_import::replace_db(base, &name);
            bench_one("PostgreSQL", &url, staff, runs, organisations).await
        } else {
            let name = "skillmap_bench_reports";
            let url = crate::bench_import::recreate_database(&admin, base, name).await?;
            let result = bench_one("PostgreSQL", &url, staff, runs, organisations).await;
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            result
        };
        summary.extend(result?);
    }
    for s in summary {
        println!("{s}");
    }
    Ok(())
}
