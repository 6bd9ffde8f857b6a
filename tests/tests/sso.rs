//! Single sign-on against a real OpenID provider (the certified npm
//! `oidc-provider`, run by tests/oidc/provider.mjs): signing in as the
//! person HR imported, every refusal with a clear page and nothing
//! changed, key rotation without a restart, both kinds of logout, client
//! authentication by private key, and password sign-in kept for
//! break-glass administrators. The browser journey is in browser.rs.

use reqwest::redirect::Policy;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use skillmap_tests::oidc::{self, IdpAccount, OidcProvider};
use skillmap_tests::*;

struct Sso {
    app: TestServer,
    idp: OidcProvider,
}

/// Skillmap (demo data) and a provider that knows the demo staff member,
/// the demo administrator, and a few people Skillmap should refuse.
fn start(extra_env: &[(&str, &str)]) -> Sso {
    let mut idp = OidcProvider::port();
    let mut env: Vec<(String, String)> = idp.skillmap_env();
    env.push(("SKILLMAP_LOGIN_BURST".into(), "200".into()));
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestServer::start_with(&env);
    idp.start(
        vec![OidcProvider::client(&app.base, oidc::PROVIDER, json!({}))],
        &accounts(),
        true,
    );
    Sso { app, idp }
}

fn accounts() -> Vec<IdpAccount> {
    let mut unverified = IdpAccount::new("unverified", "sub-unverified", MANAGER);
    unverified.email_verified = false;
    let mut weak = IdpAccount::new("weak", "sub-weak", HR);
    weak.acr = "AAL1";
    vec![
        IdpAccount::new("staff", "sub-staff", STAFF),
        IdpAccount::new("admin", "sub-admin", ADMIN),
        IdpAccount::new("stranger", "sub-stranger", "nobody.here@nhs.net"),
        IdpAccount::new("wren", "sub-wren", "wren.webb@upload.example"),
        IdpAccount::new("disabled", "sub-disabled", "leaver@skillmap.example"),
        unverified,
        weak,
    ]
}

/// A browser-like client: keeps cookies, follows redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::limited(20))
        .build()
        .unwrap()
}

/// Signs in at the provider as `login` (the provider's test mode takes the
/// login hint as the person), following every redirect. Returns the last
/// URL and page.
async fn sign_in(app: &TestServer, client: &reqwest::Client, login: &str) -> (String, String) {
    let res = client
        .get(app.url(&format!("/auth/sso/{}?login_hint={login}", oidc::PROVIDER)))
        .send()
        .await
        .expect("sign in");
    let url = res.url().to_string();
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    assert!(status.is_success(), "{login}: {status} at {url}");
    (url, body)
}

async fn conn(app: &TestServer) -> DatabaseConnection {
    Database::connect(app.db.url()).await.expect("connect")
}

/// The one value a query returns.
async fn one<T: sea_orm::TryGetable>(conn: &DatabaseConnection, sql: &str) -> T {
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a row from {sql}"))
        .try_get_by_index::<T>(0)
        .unwrap()
}

async fn count(conn: &DatabaseConnection, sql: &str) -> i64 {
    one(conn, sql).await
}

/// A page's HTML, as this client sees it.
async fn page(app: &TestServer, client: &reqwest::Client, path: &str) -> String {
    client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// An account made with `skillmap create-user` (with a password); its id,
/// as the administrator's account list gives it.
async fn new_account(app: &TestServer, admin: &reqwest::Client, email: &str, role: &str) -> String {
    let (ok, out) = cli(
        &app.db,
        &["create-user", "--email", email, "--role", role],
        &[("SKILLMAP_PASSWORD", "a long enough password")],
    );
    assert!(ok, "{out}");
    app.json(admin, "/api/admin/accounts", &[("query", email)])
        .await[0]["id"]
        .to_string()
}

/// An administrator marks an account break-glass (`on`) or not: the answer.
async fn set_break_glass(
    app: &TestServer,
    admin: &reqwest::Client,
    account: &str,
    on: bool,
) -> reqwest::Response {
    let on = on.to_string();
    app.call(
        admin,
        "/api/admin/set_break_glass",
        &[("account_id", account), ("on", &on)],
    )
    .await
}

/// An administrator opens password sign-in to everyone of their
/// organisation, or closes it to all but break-glass: the answer.
async fn passwords_for_everyone(
    app: &TestServer,
    admin: &reqwest::Client,
    everyone: bool,
) -> reqwest::Response {
    let everyone = everyone.to_string();
    app.call(
        admin,
        "/api/admin/set_password_sign_in",
        &[("everyone", &everyone)],
    )
    .await
}

/// An administrator marks `account` break-glass, then keeps password
/// sign-in for break-glass administrators only: both succeed.
async fn break_glass_only(app: &TestServer, admin: &reqwest::Client, account: &str) {
    let marked = set_break_glass(app, admin, account, true).await;
    assert_eq!(marked.status(), 200, "{}", marked.text().await.unwrap());
    let closed = passwords_for_everyone(app, admin, false).await;
    assert_eq!(closed.status(), 200, "{}", closed.text().await.unwrap());
}

/// Audit events with this action code.
async fn events(conn: &DatabaseConnection, action: &str) -> i64 {
    count(
        conn,
        &format!("SELECT COUNT(*) FROM audit_event WHERE action = '{action}'"),
    )
    .await
}

#[tokio::test]
async fn an_imported_person_signs_in_with_their_role_and_is_linked_once() {
    let Sso { app, idp: _idp } = start(&[]);
    let db = conn(&app).await;
    let client = browser();
    let started = std::time::Instant::now();
    let (url, _) = sign_in(&app, &client, "staff").await;
    let round_trip = started.elapsed();
    assert!(url.ends_with('/'), "home after signing in: {url}");
    let me = app.whoami(&client).await;
    assert_eq!(me["email"], STAFF);
    assert_eq!(
        me["role"], "staff",
        "the role is Skillmap's, not the token's"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM sso_link WHERE subject = 'sub-staff'"
        )
        .await,
        1
    );
    assert_eq!(events(&db, "sso_linked").await, 1);

    // Again, from another browser: found by the link, not linked again.
    let again = browser();
    let started = std::time::Instant::now();
    sign_in(&app, &again, "staff").await;
    let warm = started.elapsed();
    assert_eq!(app.whoami(&again).await["email"], STAFF);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sso_link").await, 1);
    assert_eq!(events(&db, "sso_linked").await, 1);
    assert!(
        count(&db, "SELECT COUNT(*) FROM audit_event WHERE action = 'sign_in' AND detail LIKE 'single sign-on%'").await >= 2
    );
    // The sign-in page offers the provider by its configured name.
    let login = page(&app, &client, "/login").await;
    assert!(login.contains(oidc::LABEL), "the provider's button");
    assert!(login.contains("href=\"/auth/sso/test\""));
    // What a person waits, measured, not asserted: printed with
    // `--nocapture` (the closing note and docs/performance.md quote it).
    let started = std::time::Instant::now();
    app.login_demo(STAFF).await;
    let password = started.elapsed();
    eprintln!(
        "single sign-on round trip (Skillmap -> provider -> Skillmap home): first {} ms (discovery included), then {} ms; a password sign-in in the same run: {} ms",
        round_trip.as_millis(),
        warm.as_millis(),
        password.as_millis()
    );
}

/// The sign-in page a refusal lands on: the message, signed by the server.
async fn refused(app: &TestServer, login: &str, expect: &str) {
    let client = browser();
    let (url, body) = sign_in(app, &client, login).await;
    assert!(
        url.contains("/login?"),
        "{login}: back at the sign-in page, not {url}"
    );
    assert!(
        url.contains("__sig="),
        "{login}: the message is signed: {url}"
    );
    let text = body.replace("&#x27;", "'").replace("&quot;", "\"");
    assert!(
        text.contains(expect),
        "{login}: the page says {expect:?}; it says:\n{}",
        text.split("There is a problem")
            .nth(1)
            .unwrap_or(&text)
            .chars()
            .take(600)
            .collect::<String>()
    );
    assert!(
        app.whoami(&client).await.is_null(),
        "{login}: not signed in"
    );
}

#[tokio::test]
async fn every_refusal_says_why_and_changes_nothing() {
    let Sso { app, idp } = start(&[]);
    let db = conn(&app).await;
    // A disabled account with an address the provider vouches for.
    let admin = app.login_demo(ADMIN).await;
    let leaver = new_account(&app, &admin, "leaver@skillmap.example", "staff").await;
    app.json(
        &admin,
        "/api/admin/set_account_disabled",
        &[("account_id", &leaver), ("disabled", "true")],
    )
    .await;
    let accounts_before = count(&db, "SELECT COUNT(*) FROM account").await;
    let sessions_before = count(&db, "SELECT COUNT(*) FROM session").await;

    for (mode, expect) in [
        ("alg-none", "could not be trusted"),
        ("unknown-key", "could not be trusted"),
        ("wrong-aud", "could not be trusted"),
        ("expired", "could not be trusted"),
        ("wrong-nonce", "could not be trusted"),
        ("wrong-iss", "could not be trusted"),
        ("hs256-with-public-key", "could not be trusted"),
        ("acr-low", "stronger sign-in"),
    ] {
        idp.tamper(mode).await;
        refused(&app, "staff", expect).await;
    }
    refused(
        &app,
        "stranger",
        "Skillmap has no record that matches the email address you use with",
    )
    .await;
    refused(&app, "disabled", "account is disabled").await;
    refused(&app, "unverified", "has not confirmed your email address").await;
    refused(&app, "weak", "stronger sign-in").await;

    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM sso_link").await,
        0,
        "nobody linked"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM account").await,
        accounts_before,
        "nobody created"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM session").await,
        sessions_before,
        "no session begun"
    );
    // Each refusal is in the audit trail with its reason.
    let reasons = count(
        &db,
        "SELECT COUNT(*) FROM audit_event WHERE action = 'sso_refused'",
    )
    .await;
    assert!(reasons >= 5, "refusals recorded: {reasons}");
    for reason in [
        "nonce",
        "audience",
        "expired",
        "acr too low",
        "no account matches",
        "account disabled",
        "email not verified",
    ] {
        let n = count(
            &db,
            &format!("SELECT COUNT(*) FROM audit_event WHERE action = 'sso_refused' AND LOWER(detail) LIKE '%{reason}%'"),
        )
        .await;
        assert!(n >= 1, "a refusal recorded with the reason {reason:?}");
    }
    // A provider that is not configured: back to sign in, nothing recorded.
    let res = browser()
        .get(app.url("/auth/sso/no-such-provider/callback?state=x&code=y"))
        .send()
        .await
        .unwrap();
    assert!(res.url().path().starts_with("/login"));
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM audit_event WHERE detail LIKE '%no-such-provider%'"
        )
        .await,
        0,
        "a caller's path is not written into the trail"
    );
    // A start another page embeds (an image, not a navigation) stores
    // nothing.
    let logins = count(&db, "SELECT COUNT(*) FROM sso_login").await;
    let res = browser()
        .get(app.url("/auth/sso/test"))
        .header("sec-fetch-mode", "no-cors")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sso_login").await, logins);
    // After all that, a good sign-in still works.
    let client = browser();
    sign_in(&app, &client, "staff").await;
    assert_eq!(app.whoami(&client).await["email"], STAFF);
}

/// Follows redirects until the provider sends the browser back to
/// Skillmap's callback; returns that callback URL (code and state).
async fn callback_url(app: &TestServer, client: &reqwest::Client, login: &str) -> String {
    let mut url = app.url(&format!("/auth/sso/{}?login_hint={login}", oidc::PROVIDER));
    for _ in 0..20 {
        let res = client.get(&url).send().await.unwrap();
        let next = res
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("a redirect from {url}"))
            .to_str()
            .unwrap()
            .to_string();
        let next = res.url().join(&next).unwrap().to_string();
        if next.contains("/callback?") {
            return next;
        }
        url = next;
    }
    panic!("never sent back to the callback");
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Where a callback sends the browser, and whether that is a sign-in.
async fn finish(client: &reqwest::Client, url: &str) -> String {
    let res = client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 303, "{url}");
    res.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn state_is_bound_to_the_browser_used_once_and_codes_are_not_replayed() {
    let Sso { app, idp: _idp } = start(&[]);
    let db = conn(&app).await;

    // Another browser cannot finish a sign-in this one began.
    let mine = no_redirects();
    let url = callback_url(&app, &mine, "staff").await;
    let thief = no_redirects();
    let to = finish(&thief, &url).await;
    assert!(to.contains("/login?"), "refused in another browser: {to}");
    assert!(app.whoami(&thief).await.is_null());
    // ...and having tried, the sign-in is used up for the owner too.
    let to = finish(&mine, &url).await;
    assert!(to.contains("/login?"), "used once: {to}");

    // A state that was never issued.
    let url = callback_url(&app, &mine, "staff").await;
    let forged = url.replace("state=", "state=x");
    assert!(finish(&mine, &forged).await.contains("/login?"));
    // The real one still works, once.
    let to = finish(&mine, &url).await;
    assert_eq!(to, "/", "signed in");
    assert_eq!(app.whoami(&mine).await["email"], STAFF);
    assert!(finish(&mine, &url).await.contains("/login?"), "not twice");

    // A code already exchanged, under a fresh state of this browser: the
    // provider refuses it, and so does Skillmap.
    let old_code = url
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let fresh = callback_url(&app, &mine, "staff").await;
    let fresh_code = fresh
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let replay = fresh.replace(&fresh_code, &old_code);
    let to = finish(&mine, &replay).await;
    assert!(to.contains("/login?"), "replayed code refused: {to}");
    let refusal = count(
        &db,
        "SELECT COUNT(*) FROM audit_event WHERE action = 'sso_refused' AND detail LIKE '%token endpoint refused%'",
    )
    .await;
    assert_eq!(refusal, 1, "the provider's refusal is the reason recorded");
}

#[tokio::test]
async fn the_providers_new_signing_key_is_fetched_without_a_restart() {
    let Sso { app, mut idp } = start(&[]);
    let client = browser();
    sign_in(&app, &client, "staff").await;
    assert_eq!(app.whoami(&client).await["email"], STAFF);
    // The provider rotates its key; Skillmap has the old one cached.
    idp.rotate_keys();
    let client = browser();
    sign_in(&app, &client, "staff").await;
    assert_eq!(
        app.whoami(&client).await["email"],
        STAFF,
        "signed in with a token signed by the new key"
    );
}

#[tokio::test]
async fn the_provider_ends_sessions_by_back_channel_and_forged_logouts_are_refused() {
    let Sso { app, idp } = start(&[]);
    let db = conn(&app).await;
    let client = browser();
    sign_in(&app, &client, "staff").await;
    assert_eq!(app.whoami(&client).await["email"], STAFF);
    let password_session = app.login_demo(STAFF).await;

    // A logout token signed by someone else ends nothing.
    let sid: String = one(
        &db,
        "SELECT sso_sid FROM session WHERE sso_provider = 'test'",
    )
    .await;
    let forged = idp
        .control(
            "/__test/forge-logout",
            json!({
                "sub": "sub-staff",
                "sid": sid,
                "aud": oidc::CLIENT_ID,
                "uri": app.url("/auth/sso/test/backchannel-logout"),
            }),
        )
        .await;
    assert_eq!(forged["status"], 400, "forged logout token refused");
    assert_eq!(app.whoami(&client).await["email"], STAFF, "still signed in");

    // The person's session at the provider ends (a smartcard pulled out):
    // the provider tells Skillmap, which ends the session begun there.
    let told = idp
        .control("/__test/end-session", json!({ "sub": "sub-staff" }))
        .await;
    assert!(told["notified"].as_i64().unwrap() >= 1, "{told}");
    assert!(
        app.whoami(&client).await.is_null(),
        "signed out by the provider"
    );
    assert_eq!(
        app.whoami(&password_session).await["email"],
        STAFF,
        "a password session is not the provider's to end"
    );
    assert_eq!(events(&db, "sso_logout").await, 1);
}

#[tokio::test]
async fn signing_out_ends_the_session_at_the_provider_too() {
    let Sso { app, idp } = start(&[]);
    let client = browser();
    sign_in(&app, &client, "staff").await;
    let res = client
        .post(app.url("/api/auth/logout"))
        .header("accept", "text/html")
        .header("referer", app.url("/"))
        .send()
        .await
        .unwrap();
    let url = res.url().to_string();
    assert!(
        url.ends_with("/login?signed_out=1"),
        "back from the provider: {url}"
    );
    assert!(app.whoami(&client).await.is_null());
    // The provider's session ended too: it sent Skillmap its logout token.
    let last = idp.read("/__test/last-logout").await;
    assert_eq!(
        last["sub"], "sub-staff",
        "the provider ended its session: {last}"
    );
    let (url, _) = sign_in(&app, &client, "staff").await;
    assert!(url.ends_with('/'), "signs in again: {url}");
}

#[tokio::test]
async fn password_sign_in_can_be_kept_for_break_glass_administrators() {
    let Sso { app, idp: _idp } = start(&[]);
    let admin = app.login_demo(ADMIN).await;
    let me = app.whoami(&admin).await;
    let admin_id = me["account_id"].to_string();
    // Not before someone can still get in when single sign-on fails.
    let res = passwords_for_everyone(&app, &admin, false).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("break-glass"));
    // Only administrators can be break-glass.
    let staff_id = app.whoami(&app.login_demo(STAFF).await).await["account_id"].to_string();
    let res = set_break_glass(&app, &admin, &staff_id, true).await;
    assert_eq!(res.status(), 409);
    break_glass_only(&app, &admin, &admin_id).await;

    // Staff with the right password are refused, like a wrong one.
    let staff = app.client();
    let res = app
        .call(
            &staff,
            "/api/auth/login",
            &[("email", STAFF), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 401);
    assert!(app.whoami(&staff).await.is_null());
    // The break-glass administrator still gets in with a password.
    let admin2 = app.login_demo(ADMIN).await;
    assert_eq!(app.whoami(&admin2).await["email"], ADMIN);
    // Staff sign in by single sign-on instead.
    let client = browser();
    sign_in(&app, &client, "staff").await;
    assert_eq!(app.whoami(&client).await["email"], STAFF);
    // Set-password links are not needed any more.
    let res = admin
        .post(app.url("/admin/import/links.csv"))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 200, "no links while password sign-in is off");
    // The last break-glass administrator stays while passwords are closed.
    let res = set_break_glass(&app, &admin, &admin_id, false).await;
    assert_eq!(res.status(), 409);
    // Nor can the last one be disabled: with a second break-glass
    // administrator, the first may step down, and then the second is the
    // last way in.
    let second = new_account(&app, &admin, "second.admin@skillmap.example", "admin").await;
    assert_eq!(
        set_break_glass(&app, &admin, &second, true).await.status(),
        200
    );
    assert_eq!(
        set_break_glass(&app, &admin, &admin_id, false)
            .await
            .status(),
        200
    );
    let res = app
        .call(
            &admin,
            "/api/admin/set_account_disabled",
            &[("account_id", &second), ("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), 409, "the last way in cannot be disabled");
    assert_eq!(
        set_break_glass(&app, &admin, &admin_id, true)
            .await
            .status(),
        200
    );
    // The sign-in page says who may use a password.
    let login = page(&app, &app.client(), "/login").await;
    assert!(login.contains("Break-glass administrator sign-in"));
    // Opening it again lets staff use passwords.
    assert_eq!(
        passwords_for_everyone(&app, &admin, true).await.status(),
        200
    );
    app.login_demo(STAFF).await;
    // Every change is in the audit trail.
    let db = conn(&app).await;
    assert_eq!(events(&db, "sign_in_policy").await, 2);
    assert_eq!(events(&db, "break_glass_set").await, 4);
}

/// In a system of two organisations, password sign-in is each
/// organisation's to close: the second's administrator closing it leaves
/// the first's staff signing in with passwords (and the sign-in page open
/// to them), while the second's staff are refused theirs. Closing it needs
/// a break-glass administrator of the organisation itself: the other
/// organisation's does not count.
#[tokio::test]
async fn password_sign_in_is_each_organisations_to_close() {
    let mut idp = OidcProvider::port();
    let mut env: Vec<(String, String)> = idp.skillmap_env();
    env.push(("SKILLMAP_LOGIN_BURST".into(), "200".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestServer::start_system(2, 300, &env);
    idp.start(
        vec![OidcProvider::client(&app.base, oidc::PROVIDER, json!({}))],
        &accounts(),
        true,
    );
    let ours = app.login_demo(ADMIN).await;
    let theirs = app.login_demo(OTHER_ADMIN).await;
    let our_admin = app.whoami(&ours).await["account_id"].to_string();
    let their_admin = app.whoami(&theirs).await["account_id"].to_string();
    // Our break-glass administrator is not a way into theirs.
    assert_eq!(
        set_break_glass(&app, &ours, &our_admin, true)
            .await
            .status(),
        200
    );
    let res = passwords_for_everyone(&app, &theirs, false).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("break-glass"));
    break_glass_only(&app, &theirs, &their_admin).await;

    // Their staff are refused a right password; ours are not.
    assert_eq!(app.demo_login_status(OTHER_STAFF).await, 401);
    let staff = app.login_demo(STAFF).await;
    assert_eq!(app.whoami(&staff).await["email"], STAFF);
    // Each administrator's page tells their own organisation's state; the
    // sign-in page stays open while one organisation keeps passwords.
    let mine = page(&app, &ours, "/admin/accounts").await;
    assert!(
        mine.contains("Password sign-in is open to everyone"),
        "{mine}"
    );
    let yours = page(&app, &theirs, "/admin/accounts").await;
    assert!(yours.contains("Password sign-in is off, except for break-glass"));
    let login = page(&app, &app.client(), "/login").await;
    assert!(
        login.contains("Or sign in with a Skillmap password"),
        "{login}"
    );
    assert!(!login.contains("Break-glass administrator sign-in"));
    // Ours may still step down as break-glass (our passwords are open),
    // and their last one may not.
    assert_eq!(
        set_break_glass(&app, &ours, &our_admin, false)
            .await
            .status(),
        200
    );
    let res = set_break_glass(&app, &theirs, &their_admin, false).await;
    assert_eq!(res.status(), 409);
    // Once both have closed it, the sign-in page folds the form away.
    break_glass_only(&app, &ours, &our_admin).await;
    let login = page(&app, &app.client(), "/login").await;
    assert!(login.contains("Break-glass administrator sign-in"));
    assert_eq!(app.demo_login_status(STAFF).await, 401);
}

/// A trust's own provider (its Entra ID tenant, say) signs in that
/// trust's people alone: a verified address it sends for another
/// organisation's person matches no one (the page says what it says of no
/// match, the attempt is in that organisation's audit trail), the other
/// organisation cannot close password sign-in on it, and a signed-in
/// person of the other organisation is offered no button for it, and a
/// person linked to it who moves to another organisation is signed in by
/// it no more. A limit naming no organisation of the system stops the
/// start. Before, any provider signed in anyone whose address it vouched
/// for.
#[tokio::test]
async fn a_trusts_own_provider_signs_in_its_people_alone() {
    let mut idp = OidcProvider::port();
    let mut env: Vec<(String, String)> = idp.skillmap_env();
    env.push(("SKILLMAP_LOGIN_BURST".into(), "200".into()));
    let limited = ("SKILLMAP_OIDC_TEST_ORGANISATIONS", "rxe");
    env.push((limited.0.into(), limited.1.into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestServer::start_system(2, 120, &env);
    let mut people = accounts();
    people.push(IdpAccount::new("eastvale", "sub-eastvale", OTHER_STAFF));
    idp.start(
        vec![OidcProvider::client(&app.base, oidc::PROVIDER, json!({}))],
        &people,
        true,
    );
    let conn = conn(&app).await;
    let refusals = "SELECT COUNT(*) FROM audit_event a JOIN organisation o \
                    ON o.id = a.organisation_id WHERE a.action = 'sso_refused' AND o.code = 'RNF'";
    let before = count(&conn, refusals).await;
    refused(&app, "staff", "Skillmap has no record that matches").await;
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM sso_link").await, 0);
    assert_eq!(
        count(&conn, refusals).await,
        before + 1,
        "in the first organisation's trail"
    );
    let client = browser();
    sign_in(&app, &client, "eastvale").await;
    assert_eq!(app.whoami(&client).await["email"], OTHER_STAFF);

    // The first organisation has no provider of its own to close passwords
    // on; the buttons a signed-in person is offered are their own's.
    let admin = app.login_demo(ADMIN).await;
    let me = app.whoami(&admin).await["account_id"].to_string();
    assert_eq!(set_break_glass(&app, &admin, &me, true).await.status(), 200);
    let res = passwords_for_everyone(&app, &admin, false).await;
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("no single sign-on provider signs in this organisation")
    );
    let accounts_page = page(&app, &admin, "/admin/accounts").await;
    assert!(
        accounts_page.contains("Everyone signs in with a Skillmap password"),
        "the first organisation's administrator is told no provider serves it"
    );
    let staff = app.login_demo(STAFF).await;
    let choices = async |c: &reqwest::Client| -> Value {
        app.json(c, "/api/auth/sign_in_choices", &[]).await
    };
    assert_eq!(choices(&staff).await["providers"], json!([]));
    assert_eq!(choices(&client).await["providers"][0]["id"], oidc::PROVIDER);
    assert_eq!(
        choices(&app.client()).await["providers"][0]["id"],
        oidc::PROVIDER,
        "the sign-in page, before anyone is known, shows every provider"
    );

    // Linked, then moved to the first organisation: the link no longer
    // signs them in, and the page says why.
    let other_hr = app.login_demo(OTHER_HR).await;
    let person = app.whoami(&client).await["person_id"].to_string();
    let preview = app
        .json(
            &other_hr,
            "/api/people/move_preview",
            &[("person_id", &person)],
        )
        .await;
    let number = preview["employee_number"].as_str().unwrap().to_string();
    app.json(
        &other_hr,
        "/api/people/move",
        &[("person_id", &person), ("to", "RNF"), ("confirm", &number)],
    )
    .await;
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM sso_link").await, 1);
    refused(
        &app,
        "eastvale",
        "does not sign in people of your organisation",
    )
    .await;

    // A code that names no organisation here stops the start, named.
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| *k != limited.0);
    wrong.extend([
        (limited.0, "RXE,RZZ"),
        ("SKILLMAP_ADDR", "127.0.0.1:0"),
        ("SKILLMAP_PUBLIC_URL", "http://127.0.0.1"),
    ]);
    let (ok, out) = cli(&app.db, &["serve"], &wrong);
    assert!(!ok, "{out}");
    assert!(
        out.contains("SKILLMAP_OIDC_TEST_ORGANISATIONS") && out.contains("RZZ"),
        "{out}"
    );
}

#[tokio::test]
async fn admins_see_and_remove_links() {
    let Sso { app, idp: _idp } = start(&[]);
    let client = browser();
    sign_in(&app, &client, "staff").await;
    let admin = app.login_demo(ADMIN).await;
    let rows = app
        .json(&admin, "/api/admin/accounts", &[("query", STAFF)])
        .await;
    let links = rows[0]["sso_links"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["provider_label"], oidc::LABEL);
    let link = links[0]["id"].to_string();
    app.json(&admin, "/api/admin/remove_sso_link", &[("link_id", &link)])
        .await;
    assert!(app.whoami(&client).await.is_null(), "its sessions ended");
    let rows = app
        .json(&admin, "/api/admin/accounts", &[("query", STAFF)])
        .await;
    assert!(rows[0]["sso_links"].as_array().unwrap().is_empty());
    let db = conn(&app).await;
    assert_eq!(events(&db, "sso_unlinked").await, 1);
}

/// NHS CIS2's way: the client proves itself with a JWT signed by its
/// private key, and people are matched by their employee number.
#[tokio::test]
async fn private_key_jwt_and_matching_by_employee_number() {
    let key = std::process::Command::new("node")
        .arg("-e")
        .arg(
            "const c=require('crypto');const {privateKey,publicKey}=c.generateKeyPairSync('ec',{namedCurve:'P-256'});\
             console.log(JSON.stringify({pem:privateKey.export({type:'pkcs8',format:'pem'}),jwk:{...publicKey.export({format:'jwk'}),kid:'skillmap-1',use:'sig',alg:'ES256'}}))",
        )
        .output()
        .expect("node");
    let key: Value = serde_json::from_slice(&key.stdout).expect("a key from node");
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("client.pem");
    std::fs::write(&pem, key["pem"].as_str().unwrap()).unwrap();
    let pem = pem.display().to_string();

    let mut idp = OidcProvider::port();
    let mut env = idp.skillmap_env();
    env.retain(|(k, _)| !k.ends_with("_CLIENT_SECRET") && !k.ends_with("_AUTH"));
    env.extend([
        (
            "SKILLMAP_OIDC_TEST_AUTH".to_string(),
            "private_key_jwt".to_string(),
        ),
        ("SKILLMAP_OIDC_TEST_PRIVATE_KEY_FILE".to_string(), pem),
        (
            "SKILLMAP_OIDC_TEST_KEY_ID".to_string(),
            "skillmap-1".to_string(),
        ),
        (
            "SKILLMAP_OIDC_TEST_SCOPES".to_string(),
            "openid employee".to_string(),
        ),
        (
            "SKILLMAP_OIDC_TEST_CLAIM".to_string(),
            "employee_number".to_string(),
        ),
        (
            "SKILLMAP_OIDC_TEST_MATCH_TO".to_string(),
            "employee_number".to_string(),
        ),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestServer::start_with(&env);
    let db = conn(&app).await;
    let number: String = one(
        &db,
        &format!(
            "SELECT p.employee_number FROM person p JOIN account a ON a.person_id = p.id WHERE a.email = '{MANAGER}'"
        ),
    )
    .await;
    let mut person = IdpAccount::new("nurse", "sub-nurse", "someone.else@nhs.net");
    person.employee_number = Box::leak(number.into_boxed_str());
    idp.start(
        vec![{
            let mut client = OidcProvider::client(
                &app.base,
                oidc::PROVIDER,
                json!({
                    "token_endpoint_auth_method": "private_key_jwt",
                    "token_endpoint_auth_signing_alg": "ES256",
                    "jwks": { "keys": [key["jwk"]] },
                }),
            );
            client.as_object_mut().unwrap().remove("client_secret");
            client
        }],
        &[person],
        true,
    );
    let client = browser();
    sign_in(&app, &client, "nurse").await;
    let me = app.whoami(&client).await;
    assert_eq!(
        me["email"], MANAGER,
        "matched by employee number, from userinfo"
    );
    assert_eq!(me["role"], "manager");
}

/// HR imports a new person; with single sign-on they need no set-password
/// link: they sign in with the provider at once.
#[tokio::test]
async fn people_an_import_creates_sign_in_by_single_sign_on() {
    let Sso { app, idp: _idp } = start(&[]);
    let hr = app.login_demo(HR).await;
    let file = "Employee number,First name,Last name,Email,Org unit code,Staff group,Band\n\
                W0001,Wren,Webb,wren.webb@upload.example,RNF-D1-T01,Administrative and Clerical,Band 5\n";
    let res = app
        .upload(&hr, "staff", "staff.csv", file.as_bytes().to_vec())
        .await;
    assert_eq!(res.status(), 200);
    let id = res.text().await.unwrap();
    app.json(&hr, "/api/import/commit", &[("job_id", &id)])
        .await;
    for _ in 0..100 {
        let job = app.json(&hr, "/api/import/job", &[("job_id", &id)]).await;
        if job["status"] == "imported" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let result = page(&app, &hr, &format!("/admin/import/{id}")).await;
    assert!(
        result.contains(
            "1 new account signs in with the test provider: no set-password link is needed"
        ),
        "the result page says how the new people sign in"
    );
    let client = browser();
    sign_in(&app, &client, "wren").await;
    let me = app.whoami(&client).await;
    assert_eq!(me["email"], "wren.webb@upload.example");
    assert_eq!(me["role"], "staff");
}
