//! Scale-out (issue 27): several release instances of Skillmap on one
//! PostgreSQL behind a real HAProxy (`skillmap_tests::balancer`), started
//! by the tests: instances starting together, requests landing on every
//! instance, a framework published on one and seen on the others, an
//! instance killed with `kill -9` during saves, a rolling restart under
//! a steady load, and health checks slow to answer (not a reason to take
//! an instance out).
//!
//! They need PostgreSQL (several instances on one SQLite file is not a
//! deployment Skillmap supports), so they run in the PostgreSQL pass of
//! `cargo xtask test` (`TEST_DATABASE_URL`); in the SQLite pass each says
//! it was left out.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::Value;
use skillmap_tests::balancer::{Cluster, answered_by};
use skillmap_tests::*;

const PASSWORD: &str = "scale-out-password-2026";

/// Many sign-ins from one address (the tests' clients), and no waiting on
/// the mail or job queue.
const ENV: [(&str, &str); 3] = [
    ("SKILLMAP_LOGIN_BURST", "1000"),
    ("SKILLMAP_LOGIN_PER_MINUTE", "10000"),
    ("SKILLMAP_JOB_POLL_MS", "100"),
];

/// A fresh PostgreSQL database, or None (with a note) in the SQLite pass.
fn postgres(test: &str) -> Option<TestDb> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Some(TestDb::postgres(&url)),
        _ => {
            eprintln!("{test}: left out: it runs with TEST_DATABASE_URL=postgres://...");
            None
        }
    }
}

/// A PostgreSQL database with the small demo organisation in it.
fn seeded(test: &str) -> Option<TestDb> {
    let db = postgres(test)?;
    let (ok, out) = cli(&db, &["seed-demo", "--staff", "120"], &[]);
    assert!(ok, "seed-demo failed: {out}");
    Some(db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_started_together_migrate_once() {
    let Some(db) = postgres("three_instances_started_together_migrate_once") else {
        return;
    };
    // An empty database: all three find every migration pending, the
    // framework, the catalogue and the signing key missing, at once.
    let cluster = tokio::task::block_in_place(|| Cluster::start(db, 3, &ENV));
    let conn = connect(&cluster.front.db).await;
    for (what, sql, want) in [
        ("badge-signing keys", "SELECT COUNT(*) FROM issuer_key", 1),
        ("framework versions", "SELECT COUNT(*) FROM framework", 1),
        ("form-error keys", "SELECT COUNT(*) FROM server_secret", 1),
        (
            "learning resources loaded twice",
            "SELECT COUNT(*) - COUNT(DISTINCT title) FROM learning_resource",
            0,
        ),
    ] {
        assert_eq!(number(&conn, sql).await, want, "{what}");
    }
    // Every instance is ready, and says so through the balancer.
    for server in &cluster.instances {
        let res = reqwest::get(server.url("/readyz")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.text().await.unwrap(),
            "ok: database reachable and migrated\n"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_land_on_every_instance_and_a_publish_is_seen_on_all_within_a_second() {
    let Some(db) = seeded("requests_land_on_every_instance") else {
        return;
    };
    let cluster = tokio::task::block_in_place(|| Cluster::start(db, 3, &ENV));
    let front = &cluster.front;
    // One session, every instance: sessions live in the database.
    let staff = front.login_demo(STAFF).await;
    let mut answered: HashMap<String, usize> = HashMap::new();
    for _ in 0..12 {
        let res = staff.get(front.url("/skills")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let who = answered_by(&res);
        assert!(res.text().await.unwrap().contains("My skills - Skillmap"));
        *answered.entry(who).or_default() += 1;
    }
    eprintln!("/skills answered by {answered:?}");
    assert_eq!(answered.len(), 3, "round robin reaches every instance");

    // A new framework version, published through the balancer...
    let admin = front.login_demo(ADMIN).await;
    let csv = admin
        .get(front.url("/framework/export.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let renamed = "Digital foundations and online safety";
    let edited = csv.replacen("Digital foundations and safety", renamed, 1);
    assert_ne!(edited, csv, "the export names the first skill");
    let res = front
        .call(
            &admin,
            "/api/framework/upload",
            &[("document", &edited), ("source_name", "renamed.csv")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let draft = res.json::<Value>().await.unwrap().to_string();
    for s in &cluster.instances {
        // Every instance has the first version in its cache.
        let v = s.json(&staff, "/api/framework/current", &[]).await;
        assert_eq!(v["version"], 1);
    }
    let res = front
        .call(&admin, "/api/framework/publish", &[("draft_id", &draft)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let published = Instant::now();
    let who = answered_by(&res);
    // ...is what every instance serves, asked directly, within a second.
    let mut seen_after = Vec::new();
    for s in &cluster.instances {
        loop {
            let v = s.json(&staff, "/api/framework/current", &[]).await;
            if v["version"] == 2 && v["domains"][0]["skills"][0]["name"] == renamed {
                seen_after.push(published.elapsed());
                break;
            }
            assert!(
                published.elapsed() < Duration::from_secs(1),
                "{} still serves version {} a second after {who} published 2",
                s.base,
                v["version"]
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let page = staff
            .get(s.url("/skills"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(renamed), "{}'s /skills page", s.base);
    }
    eprintln!("published on {who}; seen by each instance after {seen_after:?}");

    // Guessing one account's password meets one back-off, whichever
    // instance each guess lands on: the count is in the database. (The
    // per-address limit is per instance, and set high here.)
    let guesser = front.client();
    let mut answers = Vec::new();
    for _ in 0..14 {
        let res = front
            .call(
                &guesser,
                "/api/auth/login",
                &[("email", MANAGER), ("password", "not-the-password")],
            )
            .await;
        let who = answered_by(&res);
        answers.push((res.status().as_u16(), who));
    }
    eprintln!("guesses answered: {answers:?}");
    let checked = answers.iter().filter(|(status, _)| *status != 429).count();
    assert_eq!(
        checked, 10,
        "ten failures before the delay, across three instances: {answers:?}"
    );
    assert!(answers[10..].iter().all(|(status, _)| *status == 429));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_readiness_check_keeps_instances_in_the_rotation() {
    let Some(db) = postgres("a_slow_readiness_check_keeps_instances_in_the_rotation") else {
        return;
    };
    let cluster = tokio::task::block_in_place(|| Cluster::start(db, 2, &ENV));
    // Every instance's /readyz reads the migrations table: locked, each
    // check waits (as on a machine too busy to answer within a check's
    // interval). Slow is not unready: nobody should be turned away.
    let conn = connect(&cluster.front.db).await;
    let lock = conn.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE seaql_migrations IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let client = cluster.front.client();
    let started = Instant::now();
    let mut answers: HashMap<u16, usize> = HashMap::new();
    while started.elapsed() < Duration::from_millis(1500) {
        let res = client
            .get(cluster.front.url("/healthz"))
            .send()
            .await
            .unwrap();
        *answers.entry(res.status().as_u16()).or_default() += 1;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    lock.rollback().await.unwrap();
    eprintln!("/healthz through the balancer while the checks waited: {answers:?}");
    assert_eq!(
        answers.keys().copied().collect::<Vec<_>>(),
        vec![200],
        "a slow check took instances out of the rotation (503 is HAProxy's \"no server\")"
    );
}

/// Saves until `stop`, retrying through the balancer after anything but a
/// 200 (reading the profile again, as the browser's form does after a
/// conflict); returns the failures seen.
async fn save_until(front: &TestServer, saver: &mut Saver, stop: &AtomicBool) -> Vec<String> {
    let mut failures = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        if let Err(e) = saver.save_next(front).await {
            failures.push(e);
            // The save may or may not have been stored before its instance
            // died: what the database holds now is the truth.
            saver.load(front).await;
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_killed_during_saves_loses_nothing_answered() {
    const SAVERS: usize = 8;
    let Some(db) = seeded("an_instance_killed_during_saves") else {
        return;
    };
    let accounts = staff_accounts(&db, SAVERS, PASSWORD).await;
    let cluster = Arc::new(tokio::task::block_in_place(|| Cluster::start(db, 2, &ENV)));
    let conn = connect(&cluster.front.db).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (email, id) in accounts {
        let (cluster, stop) = (cluster.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut saver = Saver::sign_in(&cluster.front, &email, PASSWORD, id).await;
            let failures = save_until(&cluster.front, &mut saver, &stop).await;
            (saver, failures)
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = cluster.balancer.requests_per_instance();
    cluster.instances[0].kill9();
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.store(true, Ordering::SeqCst);
    let after = cluster.balancer.requests_per_instance();
    eprintln!(
        "requests per instance before the kill {before:?}, at the end {after:?} \
         ({:?} after the kill)",
        killed.elapsed()
    );
    let mut saves = 0;
    let mut failures = 0;
    for task in tasks {
        let (saver, failed) = task.await.unwrap();
        saves += saver.saves;
        failures += failed.len();
        for f in &failed {
            eprintln!(
                "person {}: a save failed and was retried: {f}",
                saver.person_id
            );
        }
        saver.assert_stored(&stored(&conn, saver.person_id).await, "after the kill");
        assert!(saver.saves > 0, "person {} saved", saver.person_id);
    }
    eprintln!("{saves} saves answered, {failures} failed and were retried");
    // The survivor took over: it answered saves after the kill.
    let survivor = |counts: &[(String, u64)]| {
        counts
            .iter()
            .find(|(name, _)| name == "s2")
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    assert!(
        survivor(&after) > survivor(&before) + 20,
        "s2 answered after s1 was killed: {before:?} then {after:?}"
    );
    // At most the saves under way when it died can have failed.
    assert!(failures <= SAVERS, "{failures} saves failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_under_steady_load_fails_no_request() {
    const USERS: usize = 8;
    let Some(db) = seeded("a_rolling_restart_under_steady_load") else {
        return;
    };
    let accounts = staff_accounts(&db, USERS, PASSWORD).await;
    // Each instance, on SIGTERM, answers 503 on /readyz for a second while
    // still serving, so HAProxy (checking every 250 ms) moves new requests
    // to the others before its listener closes.
    let mut env = ENV.to_vec();
    env.push(("SKILLMAP_SHUTDOWN_DRAIN_SECONDS", "1"));
    let mut cluster = tokio::task::block_in_place(|| Cluster::start(db, 3, &env));
    let front = Arc::new(TestServer::at(
        &cluster.front.base,
        cluster.front.db.share(),
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (i, (email, id)) in accounts.into_iter().enumerate() {
        let (front, stop, sent) = (front.clone(), stop.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut saver = Saver::sign_in(&front, &email, PASSWORD, id).await;
            let mut failures = Vec::new();
            let mut by_instance: HashMap<String, usize> = HashMap::new();
            // A steady load: each user a request every 40 ms (200 a second
            // in all), a page and a save in turn.
            let mut tick = tokio::time::interval(Duration::from_millis(40));
            let mut n = i;
            while !stop.load(Ordering::SeqCst) {
                tick.tick().await;
                n += 1;
                sent.fetch_add(1, Ordering::SeqCst);
                if n % 2 == 0 {
                    match saver.client.get(front.url("/skills")).send().await {
                        Ok(res) if res.status() == StatusCode::OK => {
                            let who = answered_by(&res);
                            *by_instance.entry(who).or_default() += 1;
                        }
                        Ok(res) => failures.push(format!("GET /skills: {}", res.status())),
                        Err(e) => failures.push(format!("GET /skills: {e}")),
                    }
                } else if let Err(e) = saver.save_next(&front).await {
                    failures.push(format!("save: {e}"));
                    saver.load(&front).await;
                }
            }
            (saver, failures, by_instance)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for i in 0..cluster.instances.len() {
        let (clean, took) = tokio::task::block_in_place(|| cluster.instances[i].terminate());
        assert!(clean, "instance {} exited cleanly on SIGTERM", i + 1);
        assert!(
            took >= Duration::from_secs(1),
            "it drained for a second first ({took:?})"
        );
        eprintln!("s{} stopped in {took:?}; starting it again", i + 1);
        tokio::task::block_in_place(|| {
            cluster.instances[i].start_again();
            cluster.wait_back(i, Duration::from_secs(30));
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let conn = connect(&cluster.front.db).await;
    let mut all_failures = Vec::new();
    let mut by_instance: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        let (saver, failures, seen) = task.await.unwrap();
        saver.assert_stored(&stored(&conn, saver.person_id).await, "after the restarts");
        all_failures.extend(failures);
        for (k, v) in seen {
            *by_instance.entry(k).or_default() += v;
        }
    }
    eprintln!(
        "{} requests during the rolling restart; pages answered by {by_instance:?}; \
         HAProxy's counts {:?}",
        sent.load(Ordering::SeqCst),
        cluster.balancer.requests_per_instance()
    );
    assert!(
        all_failures.is_empty(),
        "requests failed: {all_failures:#?}"
    );
    assert_eq!(by_instance.len(), 3, "every instance served pages");
}
