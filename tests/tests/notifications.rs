//! Notifications, email and the job queue, end to end: the real server, a
//! real SMTP server (`aiosmtpd`, tests/smtp/sink.py) that records what it
//! accepts, and on PostgreSQL two Skillmap instances sharing one queue.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::Value;
use skillmap_tests::smtp::{Mail, SmtpSink};
use skillmap_tests::{ADMIN, DEMO_PASSWORD, HR, MANAGER, STAFF, TestServer, cli, staff_tree_csv};

/// Skillmap sending to `sink`, with a queue quick enough for a test.
fn env_for(sink: &SmtpSink, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = sink.env();
    env.push(("SKILLMAP_JOB_POLL_MS".into(), "100".into()));
    env.push(("SKILLMAP_JOB_RETRY_BASE_MS".into(), "300".into()));
    env.push(("SKILLMAP_NOTIFY_BATCH_SECONDS".into(), "2".into()));
    env.push(("SKILLMAP_LOGIN_BURST".into(), "100".into()));
    env.push(("SKILLMAP_JOB_LEASE_SECONDS".into(), "5".into()));
    for (k, v) in extra {
        env.retain(|(name, _)| name != k);
        env.push((k.to_string(), v.to_string()));
    }
    env
}

fn start(sink: &SmtpSink, extra: &[(&str, &str)]) -> TestServer {
    let env = env_for(sink, extra);
    let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestServer::start_with(&refs)
}

fn mail_to<'a>(all: &'a [Mail], to: &str, about: &str) -> Vec<&'a Mail> {
    skillmap_tests::smtp::about_to(all, to, about)
}

fn wait_mail(sink: &SmtpSink, to: &str, about: &str, n: usize, timeout: Duration) -> Vec<Mail> {
    sink.wait_mail(to, about, n, timeout)
}

/// The unread count the page's header shows.
fn unread_in(html: &str) -> Option<u64> {
    let at = html.find("data-testid=\"unread-count\"")?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')? + start;
    rest[start..end].trim().parse().ok()
}

async fn person_id(app: &TestServer, client: &reqwest::Client) -> String {
    app.whoami(client).await["person_id"].to_string()
}

/// The framework's skill codes.
async fn skill_codes(app: &TestServer, client: &reqwest::Client) -> Vec<String> {
    let profile = app.json(client, "/api/profile/get", &[]).await;
    profile["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["skill"]["code"].as_str().unwrap().to_string())
        .collect()
}

async fn endorse(app: &TestServer, by: &reqwest::Client, person: &str, skill: &str) {
    app.json(
        by,
        "/api/recognition/give",
        &[
            ("person_id", person),
            ("kind", "endorsement"),
            ("skill_code", skill),
            ("message", "Thank you for your help on the ward."),
        ],
    )
    .await;
}

async fn inbox(app: &TestServer, client: &reqwest::Client) -> Value {
    app.json(client, "/api/notifications/inbox", &[]).await
}

/// A manager hears once for a burst of saves; the person hears of an agreed
/// level, a badge and an endorsement, in the inbox and by email, and the
/// email's link opens the page.
#[tokio::test]
async fn people_hear_what_needs_them_in_the_inbox_and_by_email_with_links_that_work() {
    let sink = SmtpSink::start();
    let app = start(&sink, &[]);
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let person = person_id(&app, &staff).await;

    // Three saves in a burst: one notice and one email for the manager.
    let profile = app.json(&staff, "/api/profile/get", &[]).await;
    let fresh: Vec<String> = profile["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["assessment"].is_object())
        .map(|i| i["skill"]["code"].as_str().unwrap().to_string())
        .filter(|c| c != "DAT-VIS")
        .take(3)
        .collect();
    assert_eq!(
        fresh.len(),
        3,
        "three skills the demo person has not assessed"
    );
    for code in &fresh {
        app.json(
            &staff,
            "/api/profile/save",
            &[
                ("skill_code", code),
                ("level", "2"),
                ("revision", "0"),
                ("evidence", "Did it on the ward"),
            ],
        )
        .await;
    }
    let waiting = wait_mail(
        &sink,
        MANAGER,
        "waiting for your agreement",
        1,
        Duration::from_secs(20),
    );
    let m = &waiting[0];
    assert!(m.text.contains("/team/reviews"), "{}", m.text);
    // The batch closed: no second email for the same saves.
    std::thread::sleep(Duration::from_secs(3));
    let all = sink.messages();
    assert_eq!(
        mail_to(&all, MANAGER, "waiting for your agreement").len(),
        1,
        "one email for a burst of saves"
    );
    let manager_inbox = inbox(&app, &manager).await;
    let batched: Vec<&Value> = manager_inbox["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "LevelsWaiting")
        .collect();
    assert_eq!(batched.len(), 1, "{manager_inbox}");

    // Agreed, badged and endorsed: three notices, three emails.
    skillmap_tests::agreed_and_endorsed(&app, &staff, &manager, &person).await;
    let agreed = wait_mail(
        &sink,
        STAFF,
        "agreed your level for",
        1,
        Duration::from_secs(20),
    );
    wait_mail(
        &sink,
        STAFF,
        "You have a new badge",
        1,
        Duration::from_secs(20),
    );
    wait_mail(&sink, STAFF, "endorsed you for", 1, Duration::from_secs(20));
    let m = &agreed[0];
    assert!(m.subject.ends_with(": Practitioner"), "{}", m.subject);
    assert!(
        m.html
            .as_deref()
            .is_some_and(|h| h.contains("Open in Skillmap"))
    );
    assert!(
        m.text.contains("/notifications/settings"),
        "a way to change preferences"
    );
    assert!(m.message_id.starts_with("<notice-"), "{}", m.message_id);
    let link = m
        .links()
        .into_iter()
        .find(|l| l.ends_with("/skills"))
        .expect("a link to the page to act on");
    assert!(link.starts_with(&app.base), "{link} is on {}", app.base);
    let page = staff
        .get(&link)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(
        unread_in(&html),
        Some(3),
        "the header counts three unread notices"
    );
    // Signed out, the same link asks to sign in first.
    let anonymous = app.client().get(&link).send().await.unwrap();
    assert_eq!(anonymous.status(), 303);

    let mine = inbox(&app, &staff).await;
    assert_eq!(mine["unread"], 3, "{mine}");
    let first = mine["notices"][0]["id"].to_string();
    let opened = app
        .json(&staff, "/api/notifications/open", &[("id", &first)])
        .await;
    assert!(opened.as_str().unwrap().starts_with('/'));
    assert_eq!(inbox(&app, &staff).await["unread"], 2);
    // The manager cannot open the person's notice.
    let res = app
        .call(&manager, "/api/notifications/open", &[("id", &first)])
        .await;
    assert_eq!(res.status(), 404);
    app.json(&staff, "/api/notifications/mark", &[]).await;
    assert_eq!(inbox(&app, &staff).await["unread"], 0);
}

/// The mail server goes away, and Skillmap is killed (`kill -9`) while
/// email waits: after both are back, every message arrives exactly once.
#[tokio::test]
async fn email_waits_out_a_mail_server_outage_and_a_kill_9_and_arrives_exactly_once() {
    let mut sink = SmtpSink::start();
    let mut app = start(&sink, &[]);
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let person = person_id(&app, &staff).await;
    let skills = skill_codes(&app, &staff).await;

    sink.stop();
    let sent = 8;
    for code in skills.iter().take(sent) {
        endorse(&app, &manager, &person, code).await;
    }
    // Attempts fail (connection refused) and are tried again later. (Only
    // the endorsements count: the demo's daily reminders may have mailed
    // someone whose review falls due soon before the server stopped.)
    std::thread::sleep(Duration::from_secs(2));
    assert!(mail_to(&sink.messages(), STAFF, "endorsed you for").is_empty());
    app.kill9();
    app.restart();
    sink.restart();
    let got = wait_mail(
        &sink,
        STAFF,
        "endorsed you for",
        sent,
        Duration::from_secs(60),
    );
    // Nothing more comes: none was sent twice.
    std::thread::sleep(Duration::from_secs(3));
    let all = sink.messages();
    let endorsements = mail_to(&all, STAFF, "endorsed you for");
    assert_eq!(endorsements.len(), sent, "each endorsement emailed once");
    let ids: HashSet<&str> = endorsements.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), sent, "no Message-ID twice");
    println!(
        "outage: {sent} emails written while the mail server was down and Skillmap was killed; {} delivered after both came back, {} duplicates",
        got.len(),
        endorsements.len() - ids.len()
    );
}

/// A kind turned off reaches the inbox only; a daily summary gathers the
/// rest into one email.
#[tokio::test]
async fn email_choices_are_honoured_and_a_daily_summary_gathers_notices() {
    let sink = SmtpSink::start();
    let app = start(&sink, &[]);
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let person = person_id(&app, &staff).await;
    // Not the two skills `agreed_and_endorsed` uses.
    let skills: Vec<String> = skill_codes(&app, &staff)
        .await
        .into_iter()
        .filter(|c| c != "DIG-FOUND" && c != "DAT-VIS")
        .collect();

    // Everything but endorsements.
    let prefs = app
        .json(
            &staff,
            "/api/notifications/save_preferences",
            &[
                ("level_agreed", "on"),
                ("badge_issued", "on"),
                ("review_due", "on"),
                ("mentor_chosen", "on"),
            ],
        )
        .await;
    let recognised = prefs["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "Recognised")
        .unwrap();
    assert_eq!(recognised["email"], false);
    // Staff are not offered managers' notices.
    assert!(
        prefs["choices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["kind"] != "LevelsWaiting")
    );
    endorse(&app, &manager, &person, &skills[0]).await;
    skillmap_tests::agreed_and_endorsed(&app, &staff, &manager, &person).await;
    // The agreement's email comes; the endorsements' do not (they were
    // written before it, and the queue is first come, first served).
    wait_mail(
        &sink,
        STAFF,
        "agreed your level for",
        1,
        Duration::from_secs(20),
    );
    std::thread::sleep(Duration::from_secs(2));
    let all = sink.messages();
    assert!(
        mail_to(&all, STAFF, "endorsed you").is_empty(),
        "turned off"
    );
    let mine = inbox(&app, &staff).await;
    let in_inbox = mine["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "Recognised")
        .count();
    assert_eq!(in_inbox, 2, "still in the inbox: {mine}");

    // One summary a day, endorsements included.
    app.json(
        &staff,
        "/api/notifications/save_preferences",
        &[("daily_digest", "true"), ("recognised", "on")],
    )
    .await;
    endorse(&app, &manager, &person, &skills[1]).await;
    endorse(&app, &manager, &person, &skills[2]).await;
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        mail_to(&sink.messages(), STAFF, "endorsed you").is_empty(),
        "waiting for the summary"
    );
    let (ok, out) = cli(&app.db, &["send-digests"], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("1 summary emails queued"), "{out}");
    let digest = wait_mail(
        &sink,
        STAFF,
        "Skillmap: 2 new notifications",
        1,
        Duration::from_secs(20),
    );
    let text = &digest[0].text;
    assert_eq!(text.matches("endorsed you for").count(), 2, "{text}");
    // Asking again the same day sends nothing more.
    let (ok, out) = cli(&app.db, &["send-digests"], &[]);
    assert!(ok && out.contains("0 summary emails queued"), "{out}");
}

/// A mail server that refuses an address for good: the job fails at once,
/// an administrator sees it, and tries it again once the cause is fixed.
#[tokio::test]
async fn a_refused_email_is_shown_to_administrators_who_can_try_it_again() {
    let sink = SmtpSink::start();
    let app = start(&sink, &[]);
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let admin = app.login_demo(ADMIN).await;
    let person = person_id(&app, &staff).await;
    let skills = skill_codes(&app, &staff).await;

    // The only email to refuse is the endorsement's. Past the daily hour
    // the day's job runs soon after the start and may remind the demo
    // staff of a review due: with cycles off it writes no reminder, and
    // any email it already queued goes out before the server refuses mail
    // (CI once saw two dead jobs here, on a busy machine).
    app.json(
        &admin,
        "/api/profile/save_review_cycle",
        &[
            ("months", "0"),
            ("remind_before_days", "14"),
            ("remind_after_days", "7"),
        ],
    )
    .await;
    let start = Instant::now();
    loop {
        let q = app.json(&admin, "/api/audit/jobs", &[]).await;
        // (Not "queued": it counts jobs due later, such as tomorrow's.)
        let idle = ["running", "retrying", "email_waiting"]
            .iter()
            .all(|k| q[k] == 0);
        if idle {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the emails never went: {q}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    sink.reject(true);
    endorse(&app, &manager, &person, &skills[0]).await;
    let start = Instant::now();
    let queue = loop {
        let q = app.json(&admin, "/api/audit/jobs", &[]).await;
        if q["dead"] == 1 {
            break q;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no dead job: {q}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let job = &queue["jobs"][0];
    assert_eq!(job["what"], "Send an email");
    assert_eq!(job["attempts"], 1, "a permanent refusal is not retried");
    assert!(job["last_error"].as_str().unwrap().contains("550"), "{job}");
    // Staff and HR cannot see or retry jobs.
    let hr = app.login_demo(HR).await;
    assert_eq!(app.call(&hr, "/api/audit/jobs", &[]).await.status(), 403);
    let id = job["id"].to_string();
    assert_eq!(
        app.call(&staff, "/api/audit/retry_job", &[("id", &id)])
            .await
            .status(),
        403
    );

    sink.reject(false);
    app.json(&admin, "/api/audit/retry_job", &[("id", &id)])
        .await;
    wait_mail(&sink, STAFF, "endorsed you for", 1, Duration::from_secs(20));
    let q = app.json(&admin, "/api/audit/jobs", &[]).await;
    assert_eq!(q["dead"], 0, "{q}");
    // Retrying twice is refused, not repeated.
    assert_eq!(
        app.call(&admin, "/api/audit/retry_job", &[("id", &id)])
            .await
            .status(),
        409
    );
}

/// People an import gives an account get a welcome email of their own with
/// a set-password link that works; HR hears the import finished.
#[tokio::test]
async fn an_import_welcomes_each_new_person_with_their_own_set_password_link() {
    let sink = SmtpSink::start();
    let app = start(&sink, &[]);
    let hr = app.login_demo(HR).await;
    let res = app
        .upload(&hr, "staff", "welcome.csv", staff_tree_csv("WEL", 2))
        .await;
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap().to_string();
    app.json(&hr, "/api/import/commit", &[("job_id", &id)])
        .await;
    let welcomes = wait_mail(
        &sink,
        "wel0@import.example",
        "Welcome to Skillmap",
        1,
        Duration::from_secs(30),
    );
    wait_mail(
        &sink,
        "wel1@import.example",
        "Welcome to Skillmap",
        1,
        Duration::from_secs(30),
    );
    let hr_inbox = inbox(&app, &hr).await;
    let finished = hr_inbox["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "ImportFinished")
        .unwrap_or_else(|| panic!("HR hears the import finished: {hr_inbox}"));
    assert!(finished["title"].as_str().unwrap().contains("welcome.csv"));

    let link = welcomes[0]
        .links()
        .into_iter()
        .find(|l| l.contains("/set-password?token="))
        .expect("a set-password link");
    assert!(link.starts_with(&app.base));
    // Nobody else's welcome carries the same link.
    let other = &wait_mail(
        &sink,
        "wel1@import.example",
        "Welcome",
        1,
        Duration::from_secs(1),
    )[0];
    assert!(!other.text.contains(&link));
    let token = link.split("token=").nth(1).unwrap();
    let page = app.client().get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let client = app.client();
    let password = "a brand new passphrase";
    app.json(
        &client,
        "/api/auth/set_password",
        &[
            ("token", token),
            ("password", password),
            ("confirm", password),
        ],
    )
    .await;
    let signed_in = app.login("wel0@import.example", password).await;
    let me = app.whoami(&signed_in).await;
    assert_eq!(me["email"], "wel0@import.example");
    // The welcome is in their inbox too.
    let theirs = inbox(&app, &signed_in).await;
    assert_eq!(theirs["notices"][0]["kind"], "Welcome", "{theirs}");
}

/// An import under way when Skillmap is killed is taken up again at the
/// next start and finishes: all of it, once. (No mail server: twenty
/// thousand welcome emails are not the point here.)
#[tokio::test]
async fn an_import_cut_short_by_a_kill_9_is_resumed_after_the_restart() {
    let mut app = TestServer::start_with(&[
        ("SKILLMAP_JOB_POLL_MS", "100"),
        ("SKILLMAP_JOB_LEASE_SECONDS", "5"),
    ]);
    let hr = app.login_demo(HR).await;
    let rows = 20_000;
    let res = app
        .upload(&hr, "staff", "big.csv", staff_tree_csv("RES", rows))
        .await;
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap().to_string();
    app.json(&hr, "/api/import/commit", &[("job_id", &id)])
        .await;
    // Killed as soon as it has got going.
    let start = Instant::now();
    loop {
        let (status, p) = progress(&app, &hr, &id).await;
        if p["done"].as_u64().is_some_and(|d| d > 0) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60) && status != "imported",
            "not seen under way: {status} {p}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    app.kill9();
    app.restart();
    let hr = app.login_demo(HR).await;
    let start = Instant::now();
    loop {
        let (status, _) = progress(&app, &hr, &id).await;
        if status == "imported" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "not imported after the restart: {status}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let job = app.json(&hr, "/api/import/job", &[("job_id", &id)]).await;
    assert_eq!(job["counts"]["create"], rows, "{job}");
    println!(
        "resumed: the {rows}-row import finished {:?} after a kill -9 part-way",
        start.elapsed()
    );
}

async fn progress(app: &TestServer, hr: &reqwest::Client, id: &str) -> (String, Value) {
    let p = app
        .json(hr, "/api/import/progress", &[("job_id", id)])
        .await;
    // The status as serialised ("importing", "imported").
    (p[0].as_str().unwrap_or_default().to_string(), p[1].clone())
}

/// On PostgreSQL: two instances share one queue, and every email is sent
/// once, by one of them.
#[tokio::test]
async fn two_instances_share_the_queue_without_running_a_job_twice() {
    let sink = SmtpSink::start();
    let first = start(&sink, &[]);
    if !first.db.is_postgres() {
        eprintln!("two instances share one database only on PostgreSQL: skipped on SQLite");
        return;
    }
    let env = env_for(&sink, &[]);
    let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let second = first.another_instance(&refs);
    let staff = first.login_demo(STAFF).await;
    let person = person_id(&first, &staff).await;
    let skills = skill_codes(&first, &staff).await;
    let manager = first.login_demo(MANAGER).await;
    let hr = second.login_demo(HR).await;
    for code in &skills {
        endorse(&first, &manager, &person, code).await;
        endorse(&second, &hr, &person, code).await;
    }
    let expected = skills.len() * 2;
    wait_mail(
        &sink,
        STAFF,
        "endorsed you for",
        expected,
        Duration::from_secs(60),
    );
    std::thread::sleep(Duration::from_secs(2));
    let all = sink.messages();
    let got = mail_to(&all, STAFF, "endorsed you for");
    let ids: HashSet<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(got.len(), expected, "every email once");
    assert_eq!(ids.len(), expected);
    let by_instance = first
        .db
        .query("SELECT locked_by, count(*) FROM job WHERE kind = 'mail.notice' GROUP BY locked_by");
    println!("emails sent by instance:\n{by_instance}");
    // Every email job (the endorsements', and any reminder the demo's
    // daily job wrote) ran once, by one instance.
    let jobs = first.db.query(
        "SELECT count(*) FROM job WHERE kind = 'mail.notice' AND status = 'done' AND attempts = 1",
    );
    let others = first.db.query(
        "SELECT count(*) FROM job WHERE kind = 'mail.notice' AND NOT (status = 'done' AND attempts = 1)",
    );
    assert_eq!(others.trim(), "0", "each job ran once");
    let jobs: usize = jobs.trim().parse().unwrap();
    assert!(
        jobs >= expected,
        "{jobs} email jobs done for {expected} emails"
    );
}

/// On PostgreSQL: an instance that runs no jobs shows the progress of an
/// import another instance is running.
#[tokio::test]
async fn an_imports_progress_is_read_through_an_instance_not_running_it() {
    let first = TestServer::start_with(&[("SKILLMAP_JOB_POLL_MS", "100")]);
    if !first.db.is_postgres() {
        eprintln!("two instances share one database only on PostgreSQL: skipped on SQLite");
        return;
    }
    let watcher = first.another_instance(&[("SKILLMAP_JOB_WORKERS", "0")]);
    let hr_watch = watcher.login(HR, DEMO_PASSWORD).await;
    let res = watcher
        .upload(
            &hr_watch,
            "staff",
            "watched.csv",
            staff_tree_csv("TWO", 20_000),
        )
        .await;
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap().to_string();
    watcher
        .json(&hr_watch, "/api/import/commit", &[("job_id", &id)])
        .await;
    let mut seen = Vec::new();
    let start = Instant::now();
    loop {
        let (status, p) = progress(&watcher, &hr_watch, &id).await;
        if p.is_object() {
            seen.push((p["done"].as_u64().unwrap(), p["total"].as_u64().unwrap()));
        }
        if status == "imported" {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(180), "{status}");
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("progress read through the other instance: {seen:?}");
    assert!(
        seen.iter().any(|(done, total)| done < total && *total > 0),
        "progress under way was visible through the instance not running it"
    );
    let runner = first.db.query(&format!(
        "SELECT j.locked_by FROM job j JOIN import_job i ON i.queue_job_id = j.id WHERE i.id = {id}"
    ));
    println!("the import ran on: {runner}");
}
