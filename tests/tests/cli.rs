//! The `skillmap` command: create-user, seed-demo, migrate, start-up checks.

use skillmap_tests::*;

#[tokio::test]
async fn create_user_then_log_in() {
    let db = TestDb::new();
    let (ok, out) = cli(
        &db,
        &[
            "create-user",
            "--email",
            "New.Person@Trust.nhs.uk",
            "--role",
            "hr",
        ],
        &[("SKILLMAP_PASSWORD", "a long enough passphrase")],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("new.person@trust.nhs.uk"),
        "stored lower-cased: {out}"
    );
    // The same email again is refused, whatever its case.
    let (ok, out) = cli(
        &db,
        &[
            "create-user",
            "--email",
            "new.person@trust.nhs.uk",
            "--role",
            "hr",
        ],
        &[("SKILLMAP_PASSWORD", "a long enough passphrase")],
    );
    assert!(!ok && out.contains("already exists"), "{out}");
    let app = TestServer::start_on(db, &[]);
    let client = app
        .login("NEW.person@trust.nhs.uk", "a long enough passphrase")
        .await;
    assert_eq!(app.whoami(&client).await["role"], "hr");
}

#[test]
fn create_user_rejects_bad_input_clearly() {
    let db = TestDb::new();
    let (ok, out) = cli(
        &db,
        &["create-user", "--email", "a@b.nhs.uk", "--role", "root"],
        &[],
    );
    assert!(!ok && out.contains("--role must be one of"), "{out}");
    let (ok, out) = cli(
        &db,
        &["create-user", "--email", "a@b.nhs.uk", "--role", "staff"],
        &[("SKILLMAP_PASSWORD", "short")],
    );
    assert!(
        !ok && out.contains("password: Password must be 12 characters or more"),
        "{out}"
    );
    let (ok, out) = cli(
        &db,
        &["create-user", "--email", "not-an-email", "--role", "staff"],
        &[("SKILLMAP_PASSWORD", "a long enough passphrase")],
    );
    assert!(!ok && out.contains("email:"), "{out}");
    // A generated password is printed once and works.
    let (ok, out) = cli(
        &db,
        &["create-user", "--email", "gen@b.nhs.uk", "--role", "staff"],
        &[],
    );
    assert!(ok && out.contains("Password (shown once): "), "{out}");
}

#[test]
fn demo_data_is_a_realistic_trust_and_loads_once() {
    let db = TestDb::new();
    let (ok, out) = cli(&db, &["seed-demo", "--staff", "800"], &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("6 directorates, 40 teams, 800 people"),
        "{out}"
    );
    for email in [STAFF, MANAGER, HR, ADMIN] {
        assert!(out.contains(email), "log-in {email} printed: {out}");
    }
    let (ok, out) = cli(&db, &["seed-demo"], &[]);
    assert!(!ok && out.contains("already has people"), "{out}");
}

#[test]
fn migrate_is_idempotent() {
    let db = TestDb::new();
    for _ in 0..2 {
        let (ok, out) = cli(&db, &["migrate"], &[]);
        assert!(ok && out.contains("up to date"), "{out}");
    }
}

#[test]
fn a_broken_database_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.db");
    std::fs::write(&path, b"this is not a SQLite database, it is text").unwrap();
    let out = std::process::Command::new(binary())
        .arg("serve")
        .env("DATABASE_URL", format!("sqlite://{}", path.display()))
        .env("SKILLMAP_ADDR", "127.0.0.1:0")
        .env("SKILLMAP_PUBLIC_URL", "http://127.0.0.1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(stderr.contains("database"), "{stderr}");
}
