//! A migration that fails leaves the database as it was, on both engines;
//! once the cause is fixed, the next start applies it and the server runs
//! on the existing database.

use sea_orm::{ConnectionTrait, Database};
use skillmap_tests::*;

const AUDIT: &str = "m20261126_000010_audit";
const LATER: &str = "m20261126_000011_account_disabled_at";

/// The table lines of `skillmap check`: every table's rows and checksum.
fn tables(db: &TestDb) -> Vec<String> {
    let (ok, out) = cli(db, &["check"], &[]);
    assert!(ok, "{out}");
    out.lines()
        .filter(|l| l.contains(" rows  "))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_failed_migration_changes_nothing_and_the_next_start_applies_it() {
    let db = TestDb::new();
    let (ok, out) = cli(&db, &["seed-demo", "--staff", "60"], &[]);
    assert!(ok, "{out}");
    let conn = Database::connect(db.url()).await.unwrap();
    let sqlite = !db.is_postgres();

    // Back to the database as it was before the audit trail, with one thing
    // in the way of that migration's last step (its trigger, or on
    // PostgreSQL the trigger's function, already exists): its table and
    // indexes go in first, then it fails.
    let mut setup = vec![
        "DROP TABLE audit_event".to_string(),
        format!("DELETE FROM seaql_migrations WHERE version IN ('{AUDIT}', '{LATER}')"),
        "ALTER TABLE account DROP COLUMN disabled_at".to_string(),
    ];
    if sqlite {
        setup.push(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON account \
             BEGIN SELECT 1; END"
                .into(),
        );
    }
    for sql in &setup {
        conn.execute_unprepared(sql).await.unwrap();
    }
    let before = tables(&db);
    assert!(!before.iter().any(|l| l.starts_with("audit_event ")));

    let (ok, out) = cli(&db, &["migrate"], &[]);
    assert!(!ok, "the migration must fail: {out}");
    assert!(out.contains("already exists"), "{out}");
    assert_eq!(
        tables(&db),
        before,
        "a failed migration leaves the database as it was"
    );
    let (ok, out) = cli(
        &db,
        &["serve"],
        &[
            ("SKILLMAP_ADDR", "127.0.0.1:0"),
            ("SKILLMAP_PUBLIC_URL", "http://127.0.0.1"),
        ],
    );
    assert!(
        !ok && !out.contains("listening"),
        "nor does the server start: {out}"
    );

    // Mend the cause: the next start applies both migrations.
    let mend = if sqlite {
        "DROP TRIGGER audit_event_no_update"
    } else {
        "DROP FUNCTION audit_event_append_only()"
    };
    conn.execute_unprepared(mend).await.unwrap();
    conn.close().await.ok();
    let server = TestServer::start_on(db, &[]);
    let hr = server.login_demo(HR).await;
    let page = server
        .json(&hr, "/api/audit/search", &[("action", "sign_in")])
        .await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 1, "{page}");
}
