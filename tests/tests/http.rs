//! HTTP behaviour of the real server: log-in, sessions, security layers.

use std::time::Duration;

use reqwest::StatusCode;
use skillmap_tests::*;

#[tokio::test]
async fn login_sets_a_hardened_session_cookie() {
    let app = TestServer::start();
    let client = app.client();
    let res = app
        .call(
            &client,
            "/api/auth/login",
            &[("email", STAFF), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = session_cookie(&res).expect("session cookie set");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        cookie.contains("Max-Age=28800"),
        "absolute timeout 8 h: {cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    // 256-bit token, hex.
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("skillmap_session=");
    assert_eq!(token.len(), 64);
    let me = app.whoami(&client).await;
    assert_eq!(me["email"], STAFF);
    assert_eq!(me["role"], "staff");
}

#[tokio::test]
async fn secure_cookie_when_served_over_https() {
    let app = TestServer::start_with(&[("SKILLMAP_PUBLIC_URL", "https://skillmap.example.nhs.uk")]);
    let res = app
        .call(
            &app.client(),
            "/api/auth/login",
            &[("email", STAFF), ("password", DEMO_PASSWORD)],
        )
        .await;
    let cookie = session_cookie(&res).unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    // The __Host- prefix: no other host, and no plain-http page, can set it.
    assert!(cookie.starts_with("__Host-skillmap_session="), "{cookie}");
    assert!(
        cookie.contains("; Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
    // HSTS on every response, pages and server functions alike.
    for res in [
        res,
        app.client().get(app.url("/login")).send().await.unwrap(),
    ] {
        assert_eq!(
            res.headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=31536000"),
            "{:?}",
            res.url()
        );
    }
    // Over plain http, neither.
    let plain = TestServer::start();
    let res = plain
        .client()
        .get(plain.url("/login"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn failed_logins_look_the_same_and_set_nothing() {
    let app = TestServer::start();
    let client = app.client();
    let wrong = app
        .call(
            &client,
            "/api/auth/login",
            &[("email", STAFF), ("password", "not the password")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong).is_none());
    let wrong_body = wrong.text().await.unwrap();
    let unknown = app
        .call(
            &client,
            "/api/auth/login",
            &[
                ("email", "nobody@skillmap.example"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&unknown).is_none());
    assert_eq!(unknown.text().await.unwrap(), wrong_body);
    assert_eq!(wrong_body, "\"LoginFailed\"", "one error for both");
    // Empty fields are named.
    let empty = app
        .call(
            &client,
            "/api/auth/login",
            &[("email", ""), ("password", "")],
        )
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = empty.text().await.unwrap();
    assert!(
        body.contains("\"email\"") && body.contains("\"password\""),
        "{body}"
    );
    assert!(app.whoami(&client).await.is_null());
}

#[tokio::test]
async fn session_id_is_renewed_at_login() {
    let app = TestServer::start();
    let client = app.client();
    let first = app
        .call(
            &client,
            "/api/auth/login",
            &[("email", STAFF), ("password", DEMO_PASSWORD)],
        )
        .await;
    let first = session_cookie(&first).unwrap();
    let second = app
        .call(
            &client,
            "/api/auth/login",
            &[("email", STAFF), ("password", DEMO_PASSWORD)],
        )
        .await;
    let second = session_cookie(&second).unwrap();
    assert_ne!(first, second);
    // The first session ended when the second began.
    let replay = reqwest::Client::new()
        .post(app.url("/api/home/overview"))
        .header("cookie", first.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.whoami(&client).await["email"], STAFF);
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestServer::start();
    let client = app.client();
    let res = app
        .call(
            &client,
            "/api/auth/login",
            &[("email", MANAGER), ("password", DEMO_PASSWORD)],
        )
        .await;
    let cookie = session_cookie(&res).unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let out = app.call(&client, "/api/auth/logout", &[]).await;
    assert!(out.status().is_success());
    let cleared = session_cookie(&out).expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // Replaying the old cookie gets nothing: the session is gone server-side.
    let replay = reqwest::Client::new()
        .post(app.url("/api/home/overview"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn disabling_an_account_cuts_it_off_at_once() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let admin = app.login_demo(ADMIN).await;
    let staff_account = app.whoami(&staff).await["account_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let res = app
        .call(
            &admin,
            "/api/admin/set_account_disabled",
            &[("account_id", &staff_account), ("disabled", "true")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    // The open session is gone...
    let res = app.call(&staff, "/api/home/overview", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // ...and signing in again is refused with the usual message.
    let res = app
        .call(
            &app.client(),
            "/api/auth/login",
            &[("email", STAFF), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Re-enabled, the account works again.
    app.call(
        &admin,
        "/api/admin/set_account_disabled",
        &[("account_id", &staff_account), ("disabled", "false")],
    )
    .await;
    app.login_demo(STAFF).await;
    // An administrator cannot lock themself out.
    let admin_account = app.whoami(&admin).await["account_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let res = app
        .call(
            &admin,
            "/api/admin/set_account_disabled",
            &[("account_id", &admin_account), ("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn login_is_rate_limited_per_client_address() {
    let app = TestServer::start_with(&[
        ("SKILLMAP_LOGIN_BURST", "3"),
        ("SKILLMAP_LOGIN_PER_MINUTE", "1"),
    ]);
    let client = app.client();
    for _ in 0..3 {
        let res = app
            .call(
                &client,
                "/api/auth/login",
                &[("email", STAFF), ("password", "wrong password")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .call(
            &client,
            "/api/auth/login",
            &[("email", STAFF), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(session_cookie(&res).is_none());
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("too many sign-in attempts")
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestServer::start();
    let client = app.login_demo(STAFF).await;
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = client
            .post(app.url("/api/auth/logout"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    // Still signed in: the refused requests changed nothing.
    assert_eq!(app.whoami(&client).await["email"], STAFF);
    let same = client
        .post(app.url("/api/auth/logout"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert!(same.status().is_success());
}

#[tokio::test]
async fn server_functions_refuse_get() {
    let app = TestServer::start();
    let client = app.login_demo(ADMIN).await;
    for path in [
        "/api/auth/logout",
        "/api/admin/set_account_disabled",
        "/api/auth/login",
    ] {
        let res = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    assert_eq!(app.whoami(&client).await["email"], ADMIN);
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = TestServer::start();
    let client = app.client();
    let page = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "'nonce-",
        "'wasm-unsafe-eval'",
    ] {
        assert!(csp.contains(part), "{part} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["cache-control"], "no-store");
    // The nonce in the header is the one on the page's scripts, and differs per response.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "script nonce matches header"
    );
    let again = client.get(app.url("/login")).send().await.unwrap();
    assert!(
        !again.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(&nonce)
    );
    // Server functions and static files get headers too.
    let api = app.call(&client, "/api/auth/whoami", &[]).await;
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert!(
        api.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let css = client
        .get(app.url(&stylesheet_of(&html)))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(css.headers()["x-content-type-options"], "nosniff");
}

/// The stylesheet a page links to: `/pkg/skillmap.<content hash>.css`.
fn stylesheet_of(html: &str) -> String {
    let at = html
        .find("href=\"/pkg/skillmap.")
        .expect("the page links its stylesheet under /pkg")
        + "href=\"".len();
    let end = html[at..].find('"').unwrap() + at;
    html[at..end].to_string()
}

/// Issue 25: the stylesheet (like the JavaScript and wasm) is named by its
/// content and cached for a year; static files go out in the compressed
/// copy the build made (brotli or gzip), pages are gzipped as they are
/// sent, and a client that asks for neither gets them plain.
#[tokio::test]
async fn assets_are_hashed_cached_and_compressed() {
    let app = TestServer::start();
    let client = app.client();
    let plain = client.get(app.url("/login")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let html = plain.text().await.unwrap();
    let css = stylesheet_of(&html);
    let name = css.rsplit('/').next().unwrap();
    let hash = name.split('.').nth(1).unwrap();
    assert!(
        hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{css} is named by a content hash"
    );
    let get = |path: &str, encoding: Option<&str>| {
        let mut req = client.get(app.url(path));
        if let Some(e) = encoding {
            req = req.header("accept-encoding", e);
        }
        req.send()
    };
    let raw = get(&css, None).await.unwrap();
    assert_eq!(
        raw.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(raw.headers().get("content-encoding").is_none());
    let raw_len = raw.bytes().await.unwrap().len();
    for encoding in ["br", "gzip"] {
        let res = get(&css, Some(encoding)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-encoding"], encoding);
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let len = res.bytes().await.unwrap().len();
        assert!(
            len * 5 < raw_len,
            "{encoding}: {len} bytes against {raw_len} plain"
        );
    }
    // Pages are gzipped as they are sent (brotli costs too much CPU per
    // request to do on the fly), and sent plain to a client that takes
    // only brotli.
    let page = get("/login", Some("gzip, br")).await.unwrap();
    assert_eq!(page.headers()["content-encoding"], "gzip", "/login");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["vary"], "accept-encoding");
    let page = get("/login", Some("br")).await.unwrap();
    assert!(page.headers().get("content-encoding").is_none());
    // Files without a content hash in their name are kept for five minutes.
    let favicon = get("/assets/images/favicon.svg", None).await.unwrap();
    assert_eq!(favicon.status(), StatusCode::OK);
    assert_eq!(favicon.headers()["cache-control"], "public, max-age=300");
}

#[tokio::test]
async fn pages_need_a_session_and_come_back_after_login() {
    let app = TestServer::start();
    let client = app.client();
    let res = client.get(app.url("/")).send().await.unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()["location"], "/login");
    let res = client.get(app.url("/people/1")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/login?next=/people/1");
    // The no-JavaScript form post: a 302 to `next` with the cookie.
    let res = client
        .post(app.url("/api/auth/login"))
        .header("accept", "text/html")
        .header("referer", app.url("/login?next=/people/1"))
        .form(&[
            ("email", ADMIN),
            ("password", DEMO_PASSWORD),
            ("next", "/people/1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/people/1");
    assert!(session_cookie(&res).is_some());
    let page = client.get(app.url("/people/1")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    // Never off-site.
    let res = app
        .client()
        .post(app.url("/api/auth/login"))
        .header("accept", "text/html")
        .header("referer", app.url("/login"))
        .form(&[
            ("email", ADMIN),
            ("password", DEMO_PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn no_javascript_login_errors_come_back_to_the_form() {
    let app = TestServer::start();
    let client = app.client();
    let res = client
        .post(app.url("/api/auth/login"))
        .header("accept", "text/html")
        .header("referer", app.url("/login"))
        .form(&[("email", STAFF), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("__err="), "{location}");
    assert!(session_cookie(&res).is_none());
    let page = client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("There is a problem"), "error summary shown");
    assert!(page.contains("The email address or password is not correct."));
}

#[tokio::test]
async fn liveness_and_readiness() {
    let app = TestServer::start();
    let res = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok: alive\n");
    let res = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        "ok: database reachable and migrated\n"
    );
}

/// On SIGTERM with a drain time, `/readyz` answers 503 (a load balancer
/// takes the instance out) while pages are still served, then the server
/// exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_then_stops() {
    let app = std::sync::Arc::new(TestServer::start_with(&[(
        "SKILLMAP_SHUTDOWN_DRAIN_SECONDS",
        "2",
    )]));
    let staff = app.login_demo(STAFF).await;
    let stopping = {
        let app = app.clone();
        std::thread::spawn(move || app.terminate())
    };
    let started = std::time::Instant::now();
    let mut saw_draining = false;
    while started.elapsed() < Duration::from_millis(1500) {
        let ready = reqwest::get(app.url("/readyz")).await.unwrap();
        if ready.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(ready.text().await.unwrap(), "unavailable: shutting down\n");
            saw_draining = true;
            // Still serving while the balancer notices.
            let page = staff.get(app.url("/skills")).send().await.unwrap();
            assert_eq!(page.status(), StatusCode::OK);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(saw_draining, "/readyz never answered 503 after SIGTERM");
    let (clean, took) = stopping.join().unwrap();
    assert!(clean, "exited with success");
    assert!(took >= Duration::from_secs(2), "drained first: {took:?}");
    assert!(took < Duration::from_secs(10), "then stopped: {took:?}");
}

#[tokio::test]
async fn oversized_requests_are_refused() {
    let app = TestServer::start();
    // Refused from the declared length alone, before any body is read.
    let status = app.declare_body("/api/auth/login", 256 * 1024 + 1);
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE.as_u16());
    // A body that is within the limit is read and answered as usual.
    let res = app
        .call(
            &app.client(),
            "/api/auth/login",
            &[("email", STAFF), ("password", &"x".repeat(1000))],
        )
        .await;
    assert_ne!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn unknown_pages_are_404_with_a_way_home() {
    let app = TestServer::start();
    let client = app.login_demo(STAFF).await;
    let res = client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

/// A page the person may not see, or about something that is not there,
/// says so in its status as well as in words (it was a 200 with the
/// message, so tools, proxies and logs saw a success).
#[tokio::test]
async fn refused_and_missing_pages_answer_with_their_status() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let hr = app.login_demo(HR).await;
    let res = staff.get(app.url("/organisation")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("permission"));
    let res = staff.get(app.url("/people")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = hr.get(app.url("/people/999999")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = hr
        .get(app.url("/organisation/pipeline?unit=999999&group=leaders"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Pages the person may see still answer 200.
    for page in ["/", "/skills", "/find", "/skills/interests"] {
        let res = staff.get(app.url(page)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{page}");
    }
}
