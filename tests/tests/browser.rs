//! Real-browser journeys: the server on a free port, headless Chromium
//! driven by tests/browser/e2e.mjs (playwright-core). Screenshots land in
//! test-artifacts/.

use std::process::Command;

use skillmap_tests::*;

#[test]
fn each_role_signs_in_uses_the_page_and_signs_out() {
    // The journeys sign in some 20 times from one address within a minute:
    // more than the log-in rate limit allows (http.rs tests the limit).
    let app = TestServer::start_with(&[("SKILLMAP_LOGIN_BURST", "100")]);
    let root = workspace_root();
    let artifacts = root.join("test-artifacts");
    let status = Command::new("node")
        .arg(root.join("tests/browser/e2e.mjs"))
        .current_dir(&root)
        .env("BASE_URL", &app.base)
        .env("DEMO_PASSWORD", DEMO_PASSWORD)
        .env("ARTIFACTS_DIR", &artifacts)
        .status()
        .expect("node is needed for the browser tests");
    assert!(
        status.success(),
        "browser journeys failed (see the output above and test-artifacts/)"
    );
    assert!(artifacts.join("home-staff.png").exists());
}

#[test]
fn single_sign_on_in_a_real_browser() {
    use skillmap_tests::oidc::{self, IdpAccount, OidcProvider};
    let mut idp = OidcProvider::port();
    let env = idp.skillmap_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestServer::start_with(&env);
    idp.start(
        vec![OidcProvider::client(
            &app.base,
            oidc::PROVIDER,
            serde_json::json!({}),
        )],
        &[
            IdpAccount::new("staff", "sub-staff", STAFF),
            IdpAccount::new("stranger", "sub-stranger", "nobody.here@nhs.net"),
        ],
        false,
    );
    let root = workspace_root();
    let artifacts = root.join("test-artifacts");
    let status = Command::new("node")
        .arg(root.join("tests/browser/sso.mjs"))
        .current_dir(&root)
        .env("BASE_URL", &app.base)
        .env("IDP_URL", &idp.issuer)
        .env("PROVIDER_LABEL", oidc::LABEL)
        .env("IDP_PASSWORD", oidc::PASSWORD)
        .env("DEMO_PASSWORD", DEMO_PASSWORD)
        .env("ARTIFACTS_DIR", &artifacts)
        .status()
        .expect("node is needed for the browser tests");
    assert!(
        status.success(),
        "single sign-on journeys failed (see the output above and test-artifacts/)"
    );
}

#[test]
fn notifications_in_a_real_browser() {
    use skillmap_tests::smtp::SmtpSink;
    let sink = SmtpSink::start();
    let mut env = sink.env();
    env.push(("SKILLMAP_JOB_POLL_MS".into(), "100".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestServer::start_with(&env);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let staff = app.login_demo(STAFF).await;
        let manager = app.login_demo(MANAGER).await;
        let person = app.whoami(&staff).await["person_id"].to_string();
        // A skill assessed, so there is a profile to review.
        app.json(
            &staff,
            "/api/profile/save",
            &[
                ("skill_code", "DIG-FOUND"),
                ("level", "2"),
                ("revision", "0"),
                ("evidence", "Use the e-rostering app daily"),
            ],
        )
        .await;
        app.json(
            &manager,
            "/api/recognition/give",
            &[
                ("person_id", person.as_str()),
                ("kind", "endorsement"),
                ("skill_code", "DIG-FOUND"),
                ("message", "Showed everyone the new rostering app."),
            ],
        )
        .await;
    });
    // The email has gone before the browser looks for it.
    let start = std::time::Instant::now();
    while sink.messages().is_empty() {
        assert!(
            start.elapsed().as_secs() < 20,
            "the endorsement's email did not arrive"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let root = workspace_root();
    let artifacts = root.join("test-artifacts");
    let status = Command::new("node")
        .arg(root.join("tests/browser/notifications.mjs"))
        .current_dir(&root)
        .env("BASE_URL", &app.base)
        .env("DEMO_PASSWORD", DEMO_PASSWORD)
        .env("STAFF_EMAIL", STAFF)
        .env("ADMIN_EMAIL", ADMIN)
        .env("MAIL_FILE", sink.dir().join("messages.jsonl"))
        .env("ARTIFACTS_DIR", &artifacts)
        .status()
        .expect("node is needed for the browser tests");
    assert!(
        status.success(),
        "notification journeys failed (see the output above and test-artifacts/)"
    );
}
