//! `skillmap-dev bench-find`: how fast is the expertise directory's search
//! on a large trust?
//!
//! Seeds the demo organisation with `--staff` people (20,000 by default),
//! each of whom has assessed every skill, lists a third of them in the
//! directory (a sixth showing their self-assessed levels), and has every
//! listed person offer help with each skill agreed at Practitioner or
//! above. Then, alternating so that machine noise hits both sides alike,
//! it times four searches through `expertise::service::find` (as HR, who
//! is not listed) against one hand-written SQL query each that returns
//! the same matching people's ids, without ordering, paging or details:
//!
//! 1. the most common skill at level 3 (the default search);
//! 2. the two most common skills at level 2;
//! 3. the most common skill at level 3, people who would help, in the
//!    largest unit below the trust;
//! 4. no skills: everyone listed, first page.
//!
//! Goal: a median of 20 ms or less per search at 20,000 staff. The
//! hand-written query's count must equal the search's `matching` (and the
//! page's people must be among its ids), so the run is a cross-check of
//! the search's rules too. Ratios are printed because these machines are
//! noisy; the absolute figures are printed for the goal.

use std::collections::HashSet;
use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use skillmap_core::auth::model::{CurrentUser, Role};
use skillmap_core::expertise::model::{FindQuery, FindResults, PAGE_SIZE};
use skillmap_core::expertise::service;

use crate::bench_reports::{median, open, percentile};

/// The goal: a search's median, in milliseconds.
const GOAL_MS: f64 = 20.0;

/// A third of the staff join the directory; a sixth show self-assessed
/// levels where none is agreed yet.
const LIST_SQL: &str = "INSERT INTO directory_entry (person_id, show_self_assessed, contact, joined_at) \
     SELECT id, CASE WHEN id % 6 = 0 THEN TRUE ELSE FALSE END, '', ? \
     FROM person WHERE id % 3 = 0";

/// Every listed person offers help with each skill agreed at Practitioner
/// or above (what the interests page allows).
const HELP_SQL: &str = "INSERT INTO skill_interest (person_id, skill_code, develop, help, updated_at) \
     SELECT DISTINCT a.person_id, a.skill_code, FALSE, TRUE, ? FROM assessment a \
     WHERE a.status = 'agreed' AND a.agreed_level >= 3 \
     AND a.person_id IN (SELECT person_id FROM directory_entry)";

/// The two skills most often agreed at Practitioner or above.
const SKILLS_SQL: &str = "SELECT skill_code FROM assessment \
     WHERE status = 'agreed' AND agreed_level >= 3 \
     GROUP BY skill_code ORDER BY COUNT(*) DESC, skill_code LIMIT 2";

/// The unit with the most people, below the trust (it has a parent).
const UNIT_SQL: &str = "SELECT p.org_unit_id AS id, o.name AS name, \
     CAST(COUNT(*) AS INTEGER) AS n \
     FROM person p JOIN org_unit o ON o.id = p.org_unit_id \
     WHERE o.parent_id IS NOT NULL \
     GROUP BY p.org_unit_id, o.name ORDER BY COUNT(*) DESC, p.org_unit_id LIMIT 1";

/// The level that counts for a person and a skill: agreed, else
/// self-assessed when they chose to show it, else none (NULL, which no
/// level satisfies).
const LEVEL: &str = "CASE WHEN a.status = 'agreed' AND a.agreed_level IS NOT NULL \
     THEN a.agreed_level WHEN d.show_self_assessed THEN a.self_level END";

/// The hand-written query for a search: the ids of the listed people
/// (active accounts only) at `level` or above in every skill asked for,
/// who would help with one of them (or with anything, when no skill is
/// asked for) when `help`, in the unit or any unit below it. Written
/// independently of the search's SQL (one EXISTS per skill, a recursive
/// query for the units), with `?` placeholders.
fn baseline_sql(q: &FindQuery) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    let mut from = String::from("FROM directory_entry d");
    if let Some(unit) = q.unit {
        sql.push_str(
            "WITH RECURSIVE sub(id) AS (SELECT id FROM org_unit WHERE id = ? \
             UNION SELECT o.id FROM org_unit o JOIN sub s ON o.parent_id = s.id) ",
        );
        values.push(unit.into());
        from.push_str(" JOIN person p ON p.id = d.person_id JOIN sub u ON u.id = p.org_unit_id");
    }
    sql.push_str("SELECT d.person_id AS id ");
    sql.push_str(&from);
    sql.push_str(
        " WHERE NOT EXISTS (SELECT 1 FROM account ac WHERE ac.person_id = d.person_id \
         AND ac.disabled)",
    );
    for code in &q.skills {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM assessment a WHERE a.person_id = d.person_id \
             AND a.skill_code = ? AND {LEVEL} >= ?)"
        ));
        values.push(code.clone().into());
        values.push(i32::from(q.level).into());
    }
    if q.help {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM skill_interest i WHERE i.person_id = d.person_id \
             AND i.help",
        );
        if !q.skills.is_empty() {
            sql.push_str(&format!(
                " AND i.skill_code IN ({})",
                vec!["?"; q.skills.len()].join(",")
            ));
            values.extend(q.skills.iter().map(|s| Value::from(s.clone())));
        }
        sql.push(')');
    }
    (sql, values)
}

/// One search to time, with its hand-written query.
struct Case {
    label: &'static str,
    query: FindQuery,
    sql: String,
    values: Vec<Value>,
    find: Vec<f64>,
    hand: Vec<f64>,
    matching: usize,
}

async fn time_find(
    db: &DatabaseConnection,
    user: &CurrentUser,
    q: &FindQuery,
) -> Result<(f64, FindResults), String> {
    let q = q.clone();
    let t = Instant::now();
    let results = service::find(db, user, q)
        .await
        .map_err(|e| e.to_string())?;
    Ok((t.elapsed().as_secs_f64(), results))
}

async fn time_hand(
    db: &DatabaseConnection,
    sql: &str,
    values: &[Value],
) -> Result<(f64, Vec<i32>), String> {
    let backend = db.get_database_backend();
    let statement = Statement::from_sql_and_values(backend, sql.to_string(), values.to_vec());
    let t = Instant::now();
    let rows = db
        .query_all_raw(statement)
        .await
        .map_err(|e| e.to_string())?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<i32>("", "id").map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((t.elapsed().as_secs_f64(), ids))
}

/// The search and the hand-written query must find the same people.
fn check(
    name: &str,
    label: &str,
    results: &FindResults,
    ids: &[i32],
    listed: usize,
) -> Result<(), String> {
    if results.matching != ids.len() {
        return Err(format!(
            "{name}: {label}: the search says {} match, the hand-written query found {}",
            results.matching,
            ids.len()
        ));
    }
    let found: HashSet<i32> = ids.iter().copied().collect();
    if let Some(p) = results.people.iter().find(|p| !found.contains(&p.id)) {
        return Err(format!(
            "{name}: {label}: the search shows person {} whom the hand-written query did not find",
            p.id
        ));
    }
    if results.people.len() != results.matching.min(PAGE_SIZE) {
        return Err(format!(
            "{name}: {label}: the first page shows {} people of {} matching",
            results.people.len(),
            results.matching
        ));
    }
    if results.listed != listed {
        return Err(format!(
            "{name}: {label}: the search says {} are listed, the directory has {listed}",
            results.listed
        ));
    }
    Ok(())
}

async fn bench_one(
    name: &str,
    url: &str,
    staff: usize,
    runs: usize,
) -> Result<Vec<String>, String> {
    let db = open(url).await?;
    let started = Instant::now();
    skillmap::demo::seed(&db, staff, true)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{name}: seeded {staff} people, each assessing every skill, in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let backend = db.get_database_backend();
    let sql = |s: &str| skillmap_core::kernel::db::placeholders(backend, s);
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

    // The directory: a third listed, and their offers of help (the demo's
    // own listings and interests are replaced by these, so the figures do
    // not move with the demo).
    for table in ["skill_interest", "directory_level", "directory_entry"] {
        db.execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .map_err(|e| e.to_string())?;
    }
    let now = chrono::Utc::now();
    let listed = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql(LIST_SQL),
            [now.into()],
        ))
        .await
        .map_err(|e| e.to_string())?
        .rows_affected() as usize;
    let helps = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql(HELP_SQL),
            [now.into()],
        ))
        .await
        .map_err(|e| e.to_string())?
        .rows_affected();
    // The directory's levels, as the summaries keep them on every write.
    skillmap_core::team::summary::rebuild(&db)
        .await
        .map_err(|e| e.to_string())?;
    if backend == sea_orm::DatabaseBackend::Postgres {
        // What autovacuum would have done on a live server by now.
        db.execute_unprepared("ANALYZE")
            .await
            .map_err(|e| e.to_string())?;
    }
    let showing = count("SELECT COUNT(*) FROM directory_entry WHERE show_self_assessed").await?;
    let helpers = count("SELECT COUNT(DISTINCT person_id) FROM skill_interest WHERE help").await?;
    if listed == 0 {
        return Err(format!("{name}: nobody was listed in the directory"));
    }

    // What to search for: the commonest skills, the largest unit.
    let skills: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, SKILLS_SQL))
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| {
            r.try_get::<String>("", "skill_code")
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    if skills.len() < 2 {
        return Err(format!(
            "{name}: fewer than two skills are agreed at level 3"
        ));
    }
    let unit_row = db
        .query_one_raw(Statement::from_string(backend, UNIT_SQL))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no unit below the trust has people")?;
    let unit = unit_row
        .try_get::<i32>("", "id")
        .map_err(|e| e.to_string())?;
    let unit_name = unit_row
        .try_get::<String>("", "name")
        .map_err(|e| e.to_string())?;
    let unit_people = unit_row
        .try_get::<i32>("", "n")
        .map_err(|e| e.to_string())?;
    println!(
        "{name}: {listed} listed ({showing} showing self-assessed levels), \
         {helps} offers of help from {helpers} people; skills {}, {}; \
         unit \"{unit_name}\" ({unit_people} people)",
        skills[0], skills[1]
    );

    let hr = CurrentUser {
        account_id: 0,
        person_id: None,
        email: "bench@skillmap.example".into(),
        display_name: "Bench".into(),
        role: Role::Hr,
        // The demo seeds one organisation, the first.
        organisation_id: Some(1),
    };
    let searches = [
        (
            "1 skill, level 3",
            FindQuery {
                skills: vec![skills[0].clone()],
                ..FindQuery::default()
            },
        ),
        (
            "2 skills, level 2",
            FindQuery {
                skills: skills.clone(),
                level: 2,
                ..FindQuery::default()
            },
        ),
        (
            "1 skill, level 3, helps, in unit",
            FindQuery {
                skills: vec![skills[0].clone()],
                help: true,
                unit: Some(unit),
                ..FindQuery::default()
            },
        ),
        ("no skills (everyone listed)", FindQuery::default()),
    ];
    let mut cases: Vec<Case> = searches
        .into_iter()
        .map(|(label, query)| {
            let (text, values) = baseline_sql(&query);
            Case {
                label,
                sql: sql(&text),
                values,
                query,
                find: Vec::with_capacity(runs),
                hand: Vec::with_capacity(runs),
                matching: 0,
            }
        })
        .collect();

    // Warm up twice, then alternate (which goes first alternates too).
    for i in 0..runs + 2 {
        for c in cases.iter_mut() {
            let (f, results, h, ids) = if i % 2 == 0 {
                let (f, results) = time_find(&db, &hr, &c.query).await?;
                let (h, ids) = time_hand(&db, &c.sql, &c.values).await?;
                (f, results, h, ids)
            } else {
                let (h, ids) = time_hand(&db, &c.sql, &c.values).await?;
                let (f, results) = time_find(&db, &hr, &c.query).await?;
                (f, results, h, ids)
            };
            check(name, c.label, &results, &ids, listed)?;
            c.matching = results.matching;
            if i >= 2 {
                c.find.push(f);
                c.hand.push(h);
            }
        }
    }

    let ms = |s: f64| s * 1000.0;
    println!("{name}: {runs} runs each");
    println!(
        "{:<11} {:<34} {:>8} {:>9} {:>9} {:>9} {:>6}",
        "database", "search", "matching", "p50 ms", "p95 ms", "SQL p50", "ratio"
    );
    let mut summary = Vec::new();
    for c in cases.iter_mut() {
        let (find_p50, find_p95) = (median(&mut c.find), percentile(&mut c.find, 0.95));
        let hand_p50 = median(&mut c.hand);
        let ratio = find_p50 / hand_p50;
        println!(
            "{name:<11} {:<34} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>6.2}",
            c.label,
            c.matching,
            ms(find_p50),
            ms(find_p95),
            ms(hand_p50),
            ratio
        );
        summary.push(format!(
            "{name}: {}: p50 {:.1} ms, {ratio:.2} x the hand-written query; goal: p50 <= {GOAL_MS:.0} ms: {}",
            c.label,
            ms(find_p50),
            if ms(find_p50) <= GOAL_MS {
                "met"
            } else {
                "not met"
            }
        ));
    }
    println!();
    Ok(summary)
}

/// The benchmark: SQLite, then PostgreSQL when a server is given.
pub async fn run(staff: usize, runs: usize, postgres: Option<&str>) -> Result<(), String> {
    let runs = runs.max(3);
    let dir = std::env::temp_dir().join(format!("skillmap-bench-find-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    println!("Expertise directory search benchmark: {staff} staff, every skill assessed.\n");
    let result = bench_one(
        "SQLite",
        &format!("sqlite://{}/find.db?mode=rwc", dir.display()),
        staff,
        runs,
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let mut summary = result?;
    if let Some(base) = postgres {
        let admin = sea_orm::Database::connect(base)
            .await
            .map_err(|e| e.to_string())?;
        let name = "skillmap_bench_find";
        let url = crate::bench_import::recreate_database(&admin, base, name).await?;
        let result = bench_one("PostgreSQL", &url, staff, runs).await;
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        summary.extend(result?);
    }
    for s in summary {
        println!("{s}");
    }
    Ok(())
}
