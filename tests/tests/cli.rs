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

/// Each thread of a process: its name and its nice value (Linux).
fn threads_of(pid: u32) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let Ok(stat) = std::fs::read_to_string(task.unwrap().path().join("stat")) else {
            continue;
        };
        let (head, tail) = stat.rsplit_once(')').unwrap();
        let name = head.split_once('(').unwrap().1.to_string();
        // After the name: state (field 3) ... nice (field 19).
        let nice = tail.split_whitespace().nth(16).unwrap().parse().unwrap();
        out.push((name, nice));
    }
    out
}

/// The request workers run at the default nice of 5, below SQLite's write
/// lane (which must not inherit a worker's priority, or the writer waits
/// behind page renders again); a nice out of range stops the start,
/// naming the setting.
#[tokio::test]
async fn request_workers_yield_to_the_write_lane() {
    let app = TestServer::start();
    let client = app.client();
    for path in ["/healthz", "/login"] {
        let res = client.get(app.url(path)).send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }
    let threads = threads_of(app.pid());
    // ("tokio-rt-worker": tokio's workers and blocking threads.)
    let workers: Vec<_> = threads
        .iter()
        .filter(|(name, _)| name.starts_with("tokio-r"))
        .collect();
    assert!(!workers.is_empty(), "{threads:?}");
    assert!(workers.iter().all(|(_, nice)| *nice == 5), "{threads:?}");
    if app.db.url().starts_with("sqlite") {
        let lane: Vec<_> = threads
            .iter()
            .filter(|(name, _)| name == "sqlite-writes")
            .collect();
        assert_eq!(lane.len(), 1, "{threads:?}");
        assert_eq!(lane[0].1, 0, "the write lane keeps the process's priority");
    }

    let db = TestDb::new();
    let out = std::process::Command::new(binary())
        .arg("migrate")
        .env("DATABASE_URL", db.url())
        .env("SKILLMAP_WORKER_NICE", "-3")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SKILLMAP_WORKER_NICE"), "{stderr}");
}
