//! A migration that fails leaves the database as it was, on both engines;
//! once the cause is fixed, the next start applies it and the server runs
//! on the existing database.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};
use skillmap_tests::*;

/// The migration that changes most tables (organisations: a new table, a
/// column on seven, triggers, the audit trail's guard); seven newer ones
/// follow it.
const NEWEST: &str = "m20261207_000024_organisations";

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

    // Back to the database as it was before that migration (its own
    // `down`, after the seven migrations since: issuers and moves, head
    // counts, passport uploads, own skills, review days, each
    // organisation's password sign-in and review cycle), with one thing in the way of its last
    // step (an index of the name it makes last already exists): its table,
    // columns and triggers go in first, then it fails.
    Migrator::down(&conn, Some(8)).await.unwrap();
    let applied: Vec<String> = Migrator::get_applied_migrations(&conn)
        .await
        .unwrap()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    assert!(!applied.contains(&NEWEST.to_string()), "{applied:?}");
    conn.execute_unprepared("CREATE INDEX idx_audit_event_organisation ON audit_event (at)")
        .await
        .unwrap();
    // The deployment had closed password sign-in (one switch for all).
    conn.execute_unprepared(
        "INSERT INTO app_setting (name, value, updated_at) \
         VALUES ('password_sign_in', 'break_glass_only', '2026-12-01T09:00:00+00:00')",
    )
    .await
    .unwrap();
    // And had saved a review cycle of its own (one rule for all): every
    // six months, reminders ten days before (and the default after).
    conn.execute_unprepared("DELETE FROM app_setting WHERE name LIKE 'review_%'")
        .await
        .unwrap();
    conn.execute_unprepared(
        "INSERT INTO app_setting (name, value, updated_at) VALUES \
         ('review_months', '6', '2026-12-01T09:00:00+00:00'), \
         ('review_remind_before_days', '10', '2026-12-01T09:00:00+00:00')",
    )
    .await
    .unwrap();
    let before = tables(&db);
    assert!(!before.iter().any(|l| l.starts_with("organisation ")));

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

    // Mend the cause: the next start applies the migration.
    conn.execute_unprepared("DROP INDEX idx_audit_event_organisation")
        .await
        .unwrap();
    conn.close().await.ok();
    let server = TestServer::start_on(db, &[]);
    let conn = Database::connect(server.db.url()).await.unwrap();
    // The deployment's switch became its organisation's.
    let closed = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT (SELECT COUNT(*) FROM organisation WHERE password_break_glass_only) AS closed, \
             (SELECT COUNT(*) FROM app_setting WHERE name = 'password_sign_in') AS left_over",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            closed.try_get::<i64>("", "closed").unwrap(),
            closed.try_get::<i64>("", "left_over").unwrap()
        ),
        (1, 0)
    );

    // And its review cycle the organisation's.
    let rule = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT review_months, review_remind_before_days, review_remind_after_days, \
             (SELECT COUNT(*) FROM app_setting WHERE name LIKE 'review_%') AS left_over \
             FROM organisation",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            rule.try_get::<i32>("", "review_months").unwrap(),
            rule.try_get::<i32>("", "review_remind_before_days")
                .unwrap(),
            rule.try_get::<i32>("", "review_remind_after_days").unwrap(),
            rule.try_get::<i64>("", "left_over").unwrap(),
        ),
        (6, 10, 7, 0)
    );

    let hr = server.login_demo(HR).await;
    let page = server
        .json(&hr, "/api/audit/search", &[("action", "sign_in")])
        .await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 1, "{page}");
}
