//! Backup and restore on the real binary: `skillmap backup` copies a busy
//! SQLite database while the server keeps writing; the copy passes its
//! checks; a quiet copy restores into an empty database with every table's
//! rows and checksum equal to the live one; the restored database serves;
//! and restore refuses what it should. On PostgreSQL, `backup` points to
//! pg_dump and `check` summarises the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use skillmap_tests::*;

/// The table lines of a `check`, `backup` or `restore` output.
fn tables(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.contains(" rows  "))
        .map(str::to_string)
        .collect()
}

fn check_file(path: &std::path::Path) -> (bool, String) {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let out = std::process::Command::new(binary())
        .arg("check")
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run skillmap check");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn a_busy_database_backs_up_and_restores_with_every_table_equal() {
    let app = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    if app.db.is_postgres() {
        let (ok, out) = cli(
            &app.db,
            &["backup", dir.path().join("x.db").to_str().unwrap()],
            &[],
        );
        assert!(!ok && out.contains("pg_dump"), "{out}");
        let (ok, out) = cli(&app.db, &["check"], &[]);
        assert!(ok && out.starts_with("integrity: ok"), "{out}");
        assert!(
            tables(&out).iter().any(|l| l.starts_with("audit_event")),
            "{out}"
        );
        return;
    }

    // Four HR sessions keep creating job roles while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let saved = Arc::new(AtomicUsize::new(0));
    let app = Arc::new(app);
    let mut writers = Vec::new();
    for w in 0..4 {
        let hr = app.login_demo(HR).await;
        let (app, stop, saved) = (app.clone(), stop.clone(), saved.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let code = format!("busy-{w}-{i}");
                let form = [
                    ("code", code.as_str()),
                    ("title", "Busy role"),
                    ("staff_group", "Additional Clinical Services"),
                    ("band", "Band 4"),
                ];
                let res = app.call(&hr, "/api/roles/save", &form).await;
                assert!(res.status().is_success(), "{code}: {}", res.status());
                saved.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    while saved.load(Ordering::Relaxed) < 20 {
        assert!(
            !writers.iter().any(|w| w.is_finished()),
            "a writer stopped early (see its panic above)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let busy = dir.path().join("busy.db");
    let during = saved.load(Ordering::Relaxed);
    let (ok, out) = {
        let (db_url, path) = (app.db.url().to_string(), busy.clone());
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new(binary())
                .args(["backup", path.to_str().unwrap()])
                .env("DATABASE_URL", db_url)
                .env("RUST_LOG", "warn")
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).to_string()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        })
        .await
        .unwrap()
    };
    let after = saved.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(ok, "backup while busy: {out}");
    // It holds password hashes and the signing key: its owner's alone.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&busy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "backup file mode {mode:o}");
    }
    assert!(
        after > during,
        "the writers kept going during the backup ({during} -> {after})"
    );
    assert!(out.contains("integrity: ok"), "{out}");
    let (ok, checked) = check_file(&busy);
    assert!(ok, "the busy copy passes its checks: {checked}");
    assert_eq!(
        tables(&checked),
        tables(&out),
        "check reads the copy as backup did"
    );

    // Quiet now: a second copy equals the live database, table by table.
    let quiet = dir.path().join("quiet.db");
    let (ok, out) = cli(&app.db, &["backup", quiet.to_str().unwrap()], &[]);
    assert!(ok, "{out}");
    let (ok, live) = cli(&app.db, &["check"], &[]);
    assert!(ok, "{live}");
    assert_eq!(tables(&out), tables(&live));
    let roles = tables(&live)
        .into_iter()
        .find(|l| l.starts_with("job_role "))
        .unwrap();
    assert!(roles.len() > 20, "{roles}");

    // Never overwrite a backup.
    let (ok, again) = cli(&app.db, &["backup", quiet.to_str().unwrap()], &[]);
    assert!(!ok && again.contains("already exists"), "{again}");

    // Restore into an empty database: every table equal.
    let target = TestDb::new();
    let (ok, restored) = cli(&target, &["restore", quiet.to_str().unwrap()], &[]);
    assert!(ok, "{restored}");
    assert_eq!(tables(&restored), tables(&live));
    // Not into one that holds data, not from a damaged file.
    let (ok, refused) = cli(&target, &["restore", busy.to_str().unwrap()], &[]);
    assert!(
        !ok && refused.contains("already holds a database"),
        "{refused}"
    );
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database, just some bytes").unwrap();
    let empty = TestDb::new();
    let (ok, refused) = cli(&empty, &["restore", junk.to_str().unwrap()], &[]);
    assert!(
        !ok && (refused.contains("nothing was restored") || refused.contains("not a readable")),
        "{refused}"
    );

    // The restored database serves: the busy roles are there.
    let server = TestServer::start_on(target, &[]);
    let hr = server.login_demo(HR).await;
    let list = server.json(&hr, "/api/roles/list", &[]).await;
    let busy_roles = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            let code = r["code"].as_str().unwrap_or_default();
            code.to_lowercase().starts_with("busy-")
        })
        .count();
    assert_eq!(busy_roles, saved.load(Ordering::Relaxed));
}
