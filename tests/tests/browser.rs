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
