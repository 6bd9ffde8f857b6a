//! The security review's findings (issue 20), each attacked the way the
//! review did, against the real server: HR taking over HR and admin
//! accounts through set-password links and sign-in emails; open redirects
//! after sign-in; words of someone else's on the sign-in page; links and
//! credentials built from a request's `Host`; formulas in a CSV header.

use std::time::{Duration, Instant};

use reqwest::{StatusCode, Url};
use serde_json::Value;
use skillmap_tests::*;

/// Uploads a staff file and commits it; returns the finished job.
async fn import_staff(app: &TestServer, client: &reqwest::Client, csv: &str) -> Value {
    let res = app
        .upload(client, "staff", "staff.csv", csv.as_bytes().to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.text().await.unwrap();
    let job = app
        .json(client, "/api/import/job", &[("job_id", &id)])
        .await;
    if job["status"] != "ready" {
        return job;
    }
    let res = app
        .call(client, "/api/import/commit", &[("job_id", &id)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let started = Instant::now();
    loop {
        let job = app
            .json(client, "/api/import/job", &[("job_id", &id)])
            .await;
        if job["status"] != "ready" && job["status"] != "importing" {
            return job;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "import hung");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const STAFF_HEADER: &str =
    "Employee number,First name,Last name,Email,Org unit code,Staff group,Band,Skillmap role\n";

fn person(number: &str, given: &str, email: &str, role: &str) -> String {
    format!("{number},{given},Test,{email},RNF-D1-T01,Administrative and Clerical,Band 5,{role}\n")
}

/// The set-password links HR or an administrator downloads: email -> token.
async fn links(app: &TestServer, client: &reqwest::Client) -> Vec<(String, String)> {
    let res = client
        .post(app.url("/admin/import/links.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let token = r[2].split("token=").nth(1).unwrap().to_string();
            (r[0].to_string(), token)
        })
        .collect()
}

async fn set_password(app: &TestServer, token: &str) -> StatusCode {
    let pw = "a long enough passphrase";
    app.call(
        &app.client(),
        "/api/auth/set_password",
        &[("token", token), ("password", pw), ("confirm", pw)],
    )
    .await
    .status()
}

/// Finding 1: HR could download a set-password link for a new
/// administrator, set its password and sign in as admin; and could change
/// the sign-in email of an HR or admin account by import.
#[tokio::test]
async fn hr_cannot_take_over_hr_or_admin_accounts() {
    let app = TestServer::start();
    let admin = app.login_demo(ADMIN).await;
    let hr = app.login_demo(HR).await;

    // An administrator imports a new administrator, a new HR officer and a
    // new staff member, none with a password yet.
    let file = format!(
        "{STAFF_HEADER}{}{}{}",
        person("SEC001", "Ada", "ada.admin@sec.example", "admin"),
        person("SEC002", "Hal", "hal.hr@sec.example", "hr"),
        person("SEC003", "Sam", "sam.staff@sec.example", ""),
    );
    let job = import_staff(&app, &admin, &file).await;
    assert_eq!(job["status"], "imported", "{job}");

    // HR's links are for the staff member only.
    let for_hr = links(&app, &hr).await;
    let emails: Vec<&str> = for_hr.iter().map(|(e, _)| e.as_str()).collect();
    assert!(emails.contains(&"sam.staff@sec.example"), "{emails:?}");
    assert!(
        !emails.contains(&"ada.admin@sec.example") && !emails.contains(&"hal.hr@sec.example"),
        "HR was given links to HR or admin accounts: {emails:?}"
    );
    let sam_token = for_hr
        .iter()
        .find(|(e, _)| e == "sam.staff@sec.example")
        .map(|(_, t)| t.clone())
        .unwrap();

    // The staff member is made an administrator afterwards: the link HR
    // holds no longer opens the account.
    let promote = format!(
        "{STAFF_HEADER}{}",
        person("SEC003", "Sam", "sam.staff@sec.example", "admin")
    );
    let job = import_staff(&app, &admin, &promote).await;
    assert_eq!(job["status"], "imported", "{job}");
    assert_eq!(
        set_password(&app, &sam_token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an HR-issued link opened an administrator account"
    );

    // An administrator is given links for all three, and they work.
    let for_admin = links(&app, &admin).await;
    let mut emails: Vec<&str> = for_admin.iter().map(|(e, _)| e.as_str()).collect();
    emails.sort();
    assert_eq!(
        emails,
        [
            "ada.admin@sec.example",
            "hal.hr@sec.example",
            "sam.staff@sec.example"
        ]
    );
    for (_, token) in &for_admin {
        assert_eq!(set_password(&app, token).await, StatusCode::OK);
    }

    // HR cannot change an HR account's sign-in email by import (it would
    // lock its owner out and hand HR the account).
    let moved = format!(
        "{STAFF_HEADER}{}",
        person("SEC002", "Hal", "somebody.else@sec.example", "")
    );
    let job = import_staff(&app, &hr, &moved).await;
    assert_eq!(job["status"], "rejected", "{job}");
    assert!(
        job.to_string()
            .contains("Only an administrator can change the sign-in email"),
        "{job}"
    );
    let ok = app
        .login("hal.hr@sec.example", "a long enough passphrase")
        .await;
    assert_eq!(app.whoami(&ok).await["role"], "hr");

    // Every link issued is in the audit trail, with whom it was for.
    let audit = app
        .json(&admin, "/api/audit/search", &[("action", "link_issued")])
        .await;
    let text = audit.to_string();
    let issued = text.matches("\"link_issued\"").count();
    assert!(issued >= 4, "four links issued, each audited: {text}");
    assert!(text.contains("admin account"), "{text}");
}

/// Finding 2: `next` after sign-in could leave the site. Each form below
/// is a known way past a naive check; after signing in, the browser must
/// still be on this site.
#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = TestServer::start_with(&[("SKILLMAP_LOGIN_BURST", "200")]);
    let base = Url::parse(&app.url("/")).unwrap();
    let bypasses = [
        "//evil.example",
        "///evil.example",
        "////evil.example/",
        "https://evil.example",
        "http:evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/ /evil.example",
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "/%255Cevil.example",
        "/%2F%2Fevil.example",
        "/..//evil.example",
        "/.//evil.example",
        "/./\\evil.example",
        "//evil.example@127.0.0.1/",
        "/\u{3000}/evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "/\u{0}/evil.example",
        "//%65vil.example",
    ];
    assert!(bypasses.len() >= 20);
    let mut failures = Vec::new();
    for next in bypasses {
        let res = app
            .client()
            .post(app.url("/api/auth/login"))
            .header("accept", "text/html")
            .form(&[
                ("email", STAFF),
                ("password", DEMO_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        if res.status() != StatusCode::FOUND {
            failures.push(format!("{next:?}: status {}", res.status()));
            continue;
        }
        let location = res.headers()["location"].to_str().unwrap().to_string();
        // Resolved as a browser would (WHATWG parsing drops tabs and
        // newlines, reads backslashes as slashes).
        match base.join(&location) {
            Ok(to) if to.origin() == base.origin() => {}
            other => failures.push(format!("{next:?} -> {location:?} -> {other:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "off-site after sign-in:\n{}",
        failures.join("\n")
    );
    // A genuine next is still followed.
    let res = app
        .client()
        .post(app.url("/api/auth/login"))
        .header("accept", "text/html")
        .form(&[
            ("email", STAFF),
            ("password", DEMO_PASSWORD),
            ("next", "/profile?tab=evidence#skills"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/profile?tab=evidence#skills");
}

/// A page as a signed-out browser gets it.
async fn page_text(app: &TestServer, url: &str) -> String {
    let res = app.client().get(url).send().await.unwrap();
    res.text().await.unwrap()
}

/// Finding 7: any `__err` in a link was shown on the real sign-in page as
/// if the server had said it. Only errors the server signed are shown.
#[tokio::test]
async fn only_errors_the_server_issued_are_shown() {
    use base64::Engine;
    let app = TestServer::start();
    let message = "Your password has expired, re-enter it at https://evil.example/login";
    let forged = base64::engine::general_purpose::URL_SAFE
        .encode(serde_json::json!({ "Conflict": message }).to_string());
    let page = app
        .client()
        .get(app.url("/login"))
        .query(&[("__path", "/api/auth/login"), ("__err", forged.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("has expired"), "a forged error was shown");

    // A real failed sign-in without JavaScript: back to the form, with the
    // server's own (signed) error, which the page shows.
    let res = app
        .client()
        .post(app.url("/api/auth/login"))
        .header("accept", "text/html")
        .header("referer", app.url("/login"))
        .form(&[("email", STAFF), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("__sig="), "{location}");
    let page = page_text(&app, &location).await;
    assert!(
        page.contains("The email address or password is not correct"),
        "the server's own error is shown"
    );
    // The same signature on other words shows nothing.
    let tampered = location.replace("__err=", &format!("__err={}", &forged[..8]));
    let page = page_text(&app, &tampered).await;
    assert!(
        !page.contains("nhsuk-error-summary"),
        "a changed error was shown"
    );
}

/// Finding 8: with no public URL, a badge credential and the set-password
/// links named whatever host the request said. They name the configured
/// public URL whatever the `Host`; and the server will not start without
/// one outside the demo.
#[tokio::test]
async fn links_and_credentials_never_name_the_requests_host() {
    let app = TestServer::start();
    let hr = app.login_demo(HR).await;
    let evil = "trust.evil.example";
    let res = hr
        .post(app.url("/admin/import/links.csv"))
        .header("host", evil)
        .send()
        .await
        .unwrap();
    // A Host that is not ours is also not a same-site form post; either
    // way, nothing names it.
    let text = res.text().await.unwrap();
    assert!(!text.contains(evil), "{text}");
    let issuer: Value = reqwest::Client::new()
        .get(app.url("/issuer"))
        .header("host", evil)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = issuer.to_string();
    assert!(!text.contains(evil), "{text}");
    assert!(text.contains(&app.url("/issuer")), "{text}");

    // Outside --demo, no public URL: no start.
    let mut child = std::process::Command::new(binary())
        .arg("serve")
        .env("DATABASE_URL", app.db.url())
        .env("SKILLMAP_ADDR", "127.0.0.1:0")
        .env_remove("SKILLMAP_PUBLIC_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("skillmap started without SKILLMAP_PUBLIC_URL");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && text.contains("SKILLMAP_PUBLIC_URL"),
        "{text}"
    );
    assert!(!text.contains("listening"), "{text}");
}

/// Finding 11: the heatmap CSV's header carried skill names unescaped, so
/// a skill named like a formula ran in the manager's spreadsheet.
#[tokio::test]
async fn no_csv_cell_can_start_a_formula() {
    let app = TestServer::start();
    let admin = app.login_demo(ADMIN).await;
    let manager = app.login_demo(MANAGER).await;
    let csv_text = admin
        .get(app.url("/framework/export.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let edited = csv_text.replacen(
        "Digital foundations and safety",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        1,
    );
    assert_ne!(edited, csv_text);
    let res = app
        .call(
            &admin,
            "/api/framework/upload",
            &[("document", &edited), ("source_name", "formula.csv")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let draft = res.json::<Value>().await.unwrap().to_string();
    let res = app
        .call(&admin, "/api/framework/publish", &[("draft_id", &draft)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let heatmap = manager
        .get(app.url("/team/heatmap.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(heatmap.contains("SUM(1+1)"), "the renamed skill is there");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(heatmap.as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell that starts a formula: {cell:?}"
            );
        }
    }
}
