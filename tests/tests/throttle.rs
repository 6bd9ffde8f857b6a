//! Sign-in throttling on the real server (issue 20, item 4): the limit per
//! client network cannot be escaped by writing `X-Forwarded-For` or by
//! hopping between IPv6 addresses of one /64; guessing one account from
//! many addresses meets a per-account back-off; a flood of attempts is
//! answered with memory bounded; and repeated failures and refusals make
//! one audit row per source and minute, with a count.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use skillmap_tests::*;

/// What a sign-in was answered with.
struct Answer {
    status: StatusCode,
    session: bool,
    body: String,
}

/// Signs in as if through our one proxy, which appended `forwarded`: the
/// client may have written anything to the left of it.
async fn sign_in_via(
    app: &TestServer,
    client: &reqwest::Client,
    forwarded: &str,
    email: &str,
    password: &str,
) -> Answer {
    let res = client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", forwarded)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("an answer");
    let status = res.status();
    let session = session_cookie(&res).is_some();
    let body = res.text().await.unwrap_or_default();
    Answer {
        status,
        session,
        body,
    }
}

/// Settings for a server behind one proxy of ours. The older flag is set
/// too: before this fix it meant "believe the leftmost entry".
const ONE_PROXY: [(&str, &str); 2] = [
    ("SKILLMAP_TRUSTED_PROXIES", "1"),
    ("SKILLMAP_TRUST_FORWARDED_FOR", "true"),
];

/// The server's peak resident memory, in KiB.
fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("/proc/<pid>/status (these tests run on Linux)");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

/// Waits, if need be, for a minute with at least `secs` seconds left in it
/// (the server shares this machine's clock).
async fn a_minute_with(secs: u64) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let left = 60 - now.as_secs() % 60;
    if left < secs {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
}

#[tokio::test]
async fn a_spoofed_leftmost_forwarded_for_does_not_escape_the_limit() {
    let mut env = ONE_PROXY.to_vec();
    env.extend([
        ("SKILLMAP_LOGIN_BURST", "3"),
        ("SKILLMAP_LOGIN_PER_MINUTE", "1"),
    ]);
    let app = TestServer::start_with(&env);
    let client = app.client();
    // A fresh leftmost entry each time; our proxy saw one address.
    let mut statuses = Vec::new();
    for i in 0..6 {
        let forwarded = format!("198.51.100.{i}, 203.0.113.7");
        let email = format!("guess{i}@nowhere.example");
        let answer = sign_in_via(&app, &client, &forwarded, &email, "not the password").await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                answer
                    .body
                    .contains("too many sign-in attempts from your network"),
                "{}",
                answer.body
            );
        }
        statuses.push(answer.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
    // Another client behind the same proxy has its own limit.
    let other = sign_in_via(
        &app,
        &client,
        "198.51.100.1, 203.0.113.8",
        "guess@nowhere.example",
        "not the password",
    )
    .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED, "{}", other.body);

    // The trail names the addresses our proxy saw, never the written ones.
    let conn = Database::connect(app.db.url()).await.unwrap();
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT DISTINCT ip FROM audit_event WHERE action = 'sign_in_failed' ORDER BY ip",
        ))
        .await
        .unwrap();
    let ips: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    assert_eq!(ips, ["203.0.113.7", "203.0.113.8"]);
}

#[tokio::test]
async fn ipv6_addresses_in_one_64_share_one_limit() {
    let mut env = ONE_PROXY.to_vec();
    env.extend([
        ("SKILLMAP_LOGIN_BURST", "3"),
        ("SKILLMAP_LOGIN_PER_MINUTE", "1"),
    ]);
    let app = TestServer::start_with(&env);
    let client = app.client();
    let same_64 = [
        "2001:db8:7:1::1",
        "2001:db8:7:1::2",
        "2001:db8:7:1:aaaa:bbbb:cccc:dddd",
        "2001:db8:7:1::4",
        "2001:db8:7:1:ffff:ffff:ffff:ffff",
        "[2001:db8:7:1::6]:4711",
    ];
    let mut statuses = Vec::new();
    for (i, address) in same_64.iter().enumerate() {
        let email = format!("hop{i}@nowhere.example");
        let answer = sign_in_via(&app, &client, address, &email, "not the password").await;
        statuses.push(answer.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
    let elsewhere = sign_in_via(
        &app,
        &client,
        "2001:db8:7:2::1",
        "hop@nowhere.example",
        "not the password",
    )
    .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::UNAUTHORIZED,
        "another /64 is another client: {}",
        elsewhere.body
    );
}

#[tokio::test]
async fn guessing_one_account_from_many_addresses_meets_the_back_off() {
    let mut env = ONE_PROXY.to_vec();
    env.push(("SKILLMAP_ACCOUNT_FAILURES_BEFORE_DELAY", "5"));
    let app = TestServer::start_with(&env);
    let client = app.client();
    let mut next = 0;
    let mut from = move || {
        next += 1;
        format!("198.51.100.{next}")
    };
    let busy = "too many attempts to sign in with this email address";

    // Five wrong guesses, each from a new address: each is checked.
    for _ in 0..5 {
        let answer = sign_in_via(&app, &client, &from(), STAFF, "not the password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    }
    // The next must wait, from wherever it comes, even with the right
    // password: it is refused without being checked.
    let answer = sign_in_via(&app, &client, &from(), STAFF, DEMO_PASSWORD).await;
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        answer.body
    );
    assert!(answer.body.contains(busy), "{}", answer.body);
    assert!(!answer.session);

    // After the wait (one second) a guess is checked again, and the wait
    // doubles.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let answer = sign_in_via(&app, &client, &from(), STAFF, "not the password").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    let answer = sign_in_via(&app, &client, &from(), STAFF, DEMO_PASSWORD).await;
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        answer.body
    );
    assert!(answer.body.contains("2 seconds"), "{}", answer.body);

    // The person, after the wait, signs in; that starts the count again.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let answer = sign_in_via(&app, &client, &from(), STAFF, DEMO_PASSWORD).await;
    assert!(answer.status.is_success(), "{}", answer.body);
    assert!(answer.session);
    for _ in 0..4 {
        let answer = sign_in_via(&app, &app.client(), &from(), STAFF, "wrong").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    }

    // An address with no account is treated alike: the back-off tells
    // nobody which accounts exist.
    let nobody = "nobody-here@skillmap.example";
    for _ in 0..5 {
        let answer = sign_in_via(&app, &client, &from(), nobody, "not the password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    }
    let answer = sign_in_via(&app, &client, &from(), nobody, "not the password").await;
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        answer.body
    );
    assert!(answer.body.contains(busy), "{}", answer.body);
}

#[tokio::test]
async fn a_flood_of_sign_ins_is_answered_with_memory_bounded() {
    const ATTEMPTS: usize = 300;
    let app = TestServer::start_with(&[
        ("SKILLMAP_LOGIN_BURST", "1000"),
        ("SKILLMAP_LOGIN_PER_MINUTE", "10000"),
        ("SKILLMAP_MAX_CONCURRENT_HASHES", "2"),
    ]);
    let pid = app.pid();
    // The start-up already hashed once (the timing equaliser).
    let before = peak_memory_kib(pid);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let url = app.url("/api/auth/login");
    let attempts = (0..ATTEMPTS).map(|i| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let email = format!("flood{i}@nowhere.example");
            client
                .post(url)
                .form(&[("email", email.as_str()), ("password", "not the password")])
                .send()
                .await
                .map(|res| res.status().as_u16())
                .map_err(|e| e.to_string())
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let after = peak_memory_kib(pid);

    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for answer in &answers {
        let key = match answer {
            Ok(status) => status.to_string(),
            Err(e) => format!("error: {e}"),
        };
        *tally.entry(key).or_default() += 1;
    }
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, Ok(401) | Ok(429) | Ok(503))),
        "every attempt answered 401, 429 or 503: {tally:?}"
    );
    // 19 MiB a hash: 300 at once would be over 5 GiB; two at once, and
    // the waiting line, fit in far less than this.
    let grown_mib = after.saturating_sub(before) / 1024;
    assert!(
        grown_mib < 200,
        "peak memory grew by {grown_mib} MiB (from {} MiB) under {ATTEMPTS} simultaneous sign-ins: {tally:?}",
        before / 1024
    );
    // And the server still signs people in.
    app.login_demo(STAFF).await;
}

#[tokio::test]
async fn repeated_failures_in_a_minute_are_one_audit_row_with_their_count() {
    // Enough free failures that the per-account back-off stays out of it.
    let app = TestServer::start_with(&[("SKILLMAP_ACCOUNT_FAILURES_BEFORE_DELAY", "20")]);
    let staff = app.login_demo(STAFF).await;
    let hr = app.login_demo(HR).await;
    a_minute_with(20).await;
    let stranger = app.client();
    for _ in 0..8 {
        let res = app
            .call(
                &stranger,
                "/api/auth/login",
                &[("email", STAFF), ("password", "not the password")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Refusals too: a staff member asking again and again for what they
    // may not see.
    for _ in 0..3 {
        let res = app
            .call(&staff, "/api/people/search", &[("query", "a")])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }

    let conn = Database::connect(app.db.url()).await.unwrap();
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT e.action, e.ip, COALESCE(r.count, 1) FROM audit_event e \
             LEFT JOIN audit_repeat r ON r.event_id = e.id \
             WHERE e.action IN ('sign_in_failed', 'refused') ORDER BY e.id",
        ))
        .await
        .expect("the trail and its counts");
    let found: Vec<(String, Option<String>, i32)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
            )
        })
        .collect();
    let local = Some("127.0.0.1".to_string());
    assert_eq!(
        found,
        vec![
            ("sign_in_failed".to_string(), local.clone(), 8),
            ("refused".to_string(), local, 3),
        ]
    );

    // HR sees the count on the page's data and in the CSV.
    let page = app
        .json(&hr, "/api/audit/search", &[("action", "sign_in_failed")])
        .await;
    let listed = page["rows"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{page}");
    assert_eq!(listed[0]["count"], 8);
    let csv = hr
        .get(app.url("/admin/audit.csv?action=refused"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",ip,count"), "{csv}");
    assert!(lines.next().unwrap().ends_with(",127.0.0.1,3"), "{csv}");
    assert_eq!(lines.next(), None, "{csv}");
}
