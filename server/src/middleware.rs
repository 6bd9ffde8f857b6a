//! The security layers around every request: the session, the cross-site
//! request check, and response headers.

use std::net::SocketAddr;

use app::platform::{AppState, audit, guard};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use skillmap_core::audit::model::Action;
use skillmap_core::auth::model::encode_next;
use skillmap_core::kernel::session::{self, SessionContext};

/// Resolves the session cookie into the signed-in user (in the request's
/// extensions, where `platform::current_user()` finds it). Anonymous visitors
/// asking for a page are sent to the log-in page and brought back after.
pub async fn session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = session::token_from_cookies(
        session::cookie_name(&state.settings),
        req.headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    );
    let mut resolved: Option<(SessionContext, Option<i64>)> = None;
    // A page shows the unread count in its header (nothing else needs it):
    // read with the session, in the same statement.
    let unread =
        is_page_request(&req).then_some(skillmap_core::notifications::service::UNREAD_OF_SESSION);
    if let Some(token) = token {
        match session::resolve_with(
            &state.db,
            &token,
            &state.settings,
            chrono::Utc::now(),
            unread,
        )
        .await
        {
            Ok(found) => resolved = found,
            Err(e) => {
                tracing::error!(error = %e, "could not read the session");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Skillmap cannot reach its database.",
                )
                    .into_response();
            }
        }
    }
    let signed_in = resolved.is_some();
    let actor = resolved.as_ref().map(|(ctx, _)| ctx.user.account_id);
    let organisation = resolved
        .as_ref()
        .and_then(|(ctx, _)| ctx.user.organisation_id);
    if let Some((ctx, unread)) = resolved {
        if let Some(n) = unread {
            req.extensions_mut()
                .insert(skillmap_core::notifications::model::Unread(
                    u64::try_from(n).unwrap_or_default(),
                ));
        }
        req.extensions_mut().insert(ctx);
    }
    let refusals = guard::Refusals::default();
    req.extensions_mut().insert(refusals.clone());
    if !signed_in && needs_sign_in(&req) {
        let target = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let location = if target == "/" {
            "/login".to_string()
        } else {
            format!("/login?next={}", encode_next(target))
        };
        return Redirect::to(&location).into_response();
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let ip = guard::client_ip_of(req.headers(), peer, state.settings.trusted_proxies);
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    // The guards note their refusals; a handler or layer that answers 403
    // itself (a CSV download, a cross-site request) is noted here.
    let mut refused = refusals.take();
    refused.dedup();
    if refused.is_empty() && signed_in && res.status() == StatusCode::FORBIDDEN {
        refused.push(path);
    }
    for what in refused {
        let by = audit::Actor::new(actor, ip).in_organisation(organisation);
        // Repeats within a minute add to one row's count: a signed-in
        // caller cannot grow the trail without bound.
        let recorded = audit::record_repeat(&state.db, by, Action::Refused, None, what).await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record a refusal in the audit trail");
        }
    }
    res
}

/// Runs the request with no reactive owner inherited from its thread.
/// Leptos makes each request's owner (`Owner::new`) a child of whatever
/// owner is current on the thread, and one left current by other work on
/// that thread (a task polled there before) became the parent of requests
/// that had nothing to do with it: a context not found in the request's own
/// owner (the nonce, on a server function) was looked up in the stranger,
/// and when the stranger was dropped on another thread during that look-up
/// its cleanup waited for a lock the look-up held, and the worker thread
/// hung for good (seen under the load bench). Cleared before every poll,
/// each request's owner is a root.
pub async fn own_owner(req: Request, next: Next) -> Response {
    use std::future::Future;
    let mut inner = Box::pin(next.run(req));
    std::future::poll_fn(move |cx| {
        if let Some(stranger) = leptos::prelude::Owner::current() {
            stranger.unset();
        }
        inner.as_mut().poll(cx)
    })
    .await
}

/// A browser asking for a page (not a server function, a download or a
/// static file).
fn is_page_request(req: &Request) -> bool {
    let path = req.uri().path();
    req.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

/// A server function whose arguments could not be read never ran, so no
/// guard set its status and Leptos answers 500. Here it answers 400 with
/// the message naming the field (`AppError::Request`), or 401 when nobody
/// is signed in and the function is not public: an anonymous caller learns
/// nothing about a function's arguments. Runs inside `session`.
pub async fn bad_arguments(req: Request, next: Next) -> Response {
    use leptos::server_fn::ServerFn;
    use leptos::server_fn::error::FromServerFnError;
    use skillmap_core::error::AppError;
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    let signed_in = req.extensions().get::<SessionContext>().is_some();
    let refuse = |answer: AppError| {
        let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            answer.ser(),
        )
            .into_response()
    };
    // server_fn's multipart decoder panics on a body that is not
    // multipart (the connection is dropped): check the same way first.
    let multipart = [
        app::import::api::UploadImport::PATH,
        app::pathways::api::ImportCatalogue::PATH,
    ];
    if multipart.contains(&path.as_str()) {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if multer::parse_boundary(content_type).is_err() {
            return refuse(if signed_in {
                AppError::Request(
                    "The request could not be read: send the file as a form upload \
                     (multipart/form-data with a boundary)"
                        .into(),
                )
            } else {
                AppError::Unauthorized
            });
        }
    }
    // A form's fields, kept to name the one that could not be read.
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (req, form) = if is_form {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, crate::BODY_LIMIT).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.\n").into_response();
        };
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        (Request::from_parts(parts, Body::from(bytes)), fields)
    } else {
        (req, Vec::new())
    };
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // An error message is small; anything else is left as it was.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.").into_response();
    };
    let answer = match AppError::de(bytes.clone()) {
        AppError::Request(_) if !signed_in && !app::app::is_public_server_fn(&path) => {
            AppError::Unauthorized
        }
        AppError::Request(message) => AppError::Request(name_the_field(message, &form)),
        _ => return Response::from_parts(parts, Body::from(bytes)),
    };
    parts.status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::BAD_REQUEST);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(answer.ser()))
}

/// The decoder names a missing field, but not one whose value it could not
/// read ("invalid digit found in string"): name the fields sent whose
/// values are not of the kind it wanted.
fn name_the_field(message: String, form: &[(String, String)]) -> String {
    type Wrong = fn(&str) -> bool;
    let (wrong, wanted): (Wrong, &str) = if message.contains("invalid digit") {
        (|v| !v.is_empty() && !is_whole_number(v), "a whole number")
    } else if message.contains("empty string") {
        (str::is_empty, "a value")
    } else if message.contains("too large") || message.contains("too small") {
        (|v| is_whole_number(v) && v.len() > 9, "a smaller number")
    } else if message.contains("float") {
        (|v| v.parse::<f64>().is_err(), "a number")
    } else if message.contains("`true` or `false`") {
        (|v| v != "true" && v != "false", "true or false")
    } else {
        return message;
    };
    let fields: Vec<&str> = form
        .iter()
        .filter(|(_, v)| wrong(v))
        .map(|(k, _)| k.as_str())
        .collect();
    if fields.is_empty() {
        return message;
    }
    format!("{}: enter {wanted}", fields.join(", "))
}

fn is_whole_number(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Pages (not the log-in page, server functions or static files) need a session.
fn needs_sign_in(req: &Request) -> bool {
    if req.method() != Method::GET {
        return false;
    }
    let path = req.uri().path();
    // Checking a badge, and the issuer and keys it names, are for anyone;
    // so is signing in at a provider (`/auth/sso/`).
    let open = [
        "/login",
        "/set-password",
        "/healthz",
        "/readyz",
        "/favicon.ico",
        "/robots.txt",
        "/verify",
        "/issuer",
    ];
    let open_prefixes = [
        "/api/",
        "/pkg/",
        "/vendor/",
        "/assets/",
        "/issuer/",
        "/auth/sso/",
    ];
    !(open.contains(&path) || open_prefixes.iter().any(|p| path.starts_with(p)))
}

/// Refuses state-changing requests that another site made the browser send
/// (CSRF). Browsers say where a request came from in `Sec-Fetch-Site`, or
/// failing that in `Origin`; a request with neither is not from a browser
/// form or script on another site.
pub async fn reject_cross_site(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // A provider's back-channel logout comes from its server, carries no
    // cookie, and is authorized by the signature on its logout token.
    let back_channel = req.uri().path().starts_with("/auth/sso/")
        && req.uri().path().ends_with("/backchannel-logout");
    if !safe && !back_channel && is_cross_site(&req) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return (
            StatusCode::FORBIDDEN,
            "This request came from another website, so Skillmap refused it.",
        )
            .into_response();
    }
    next.run(req).await
}

fn is_cross_site(req: &Request<Body>) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("\u{0}");
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// Signs the error a failed no-JavaScript form post is sent back with
/// (`skillmap_core::kernel::flash`): Leptos puts it in the `Location` as `__path`
/// and `__err`; this adds `__exp` and `__sig`, which the page checks before
/// showing it. A redirect without an error loses any stale signature.
pub async fn sign_form_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let Some(location) = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
    else {
        return res;
    };
    if !location.contains("__err=") && !location.contains("__sig=") {
        return res;
    }
    let Ok(mut url) = url::Url::parse(location) else {
        return res;
    };
    // Leptos appends the new error to the form's address, which may still
    // carry the last one: only the newest `__path` and `__err` count.
    let all: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let newest = |name: &str| {
        all.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let error = newest("__path").zip(newest("__err"));
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        query.extend_pairs(
            all.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "__path" | "__err" | "__exp" | "__sig")),
        );
        if let Some((path, err)) = &error {
            let expires =
                chrono::Utc::now().timestamp() + skillmap_core::kernel::flash::LIFETIME_SECS;
            query.append_pair("__path", path);
            query.append_pair("__err", err);
            query.append_pair("__exp", &expires.to_string());
            query.append_pair("__sig", &state.form_errors.sign(path, err, expires));
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    if let Ok(value) = HeaderValue::from_str(url.as_str()) {
        res.headers_mut().insert(header::LOCATION, value);
    }
    res
}

/// Headers on every response. Pages get a Content-Security-Policy with a
/// per-response nonce (see `content_security_policy`); everything else gets
/// a policy that allows nothing to run. Served over https (the public URL
/// says so), browsers are told to use nothing else for a year (HSTS).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_static = is_static_asset(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if state.settings.is_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Same-origin: no-JavaScript form posts need the Referer to find their
    // way back to the form; other sites never see our URLs.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ));
    // Personal data must not linger in shared caches or on shared PCs.
    // Static files are public; those with a content hash in their name never
    // change under that name, so a browser may keep them for a year without
    // asking again (a new build is a new name).
    let cache = match is_static {
        StaticAsset::Hashed => "public, max-age=31536000, immutable",
        StaticAsset::Plain => "public, max-age=300",
        StaticAsset::No => "no-store",
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

#[derive(Debug, PartialEq, Eq)]
enum StaticAsset {
    No,
    Plain,
    Hashed,
}

fn is_static_asset(path: &str) -> StaticAsset {
    let is_static = ["/pkg/", "/assets/"].iter().any(|p| path.starts_with(p))
        || path == "/favicon.ico"
        || path == "/robots.txt";
    if !is_static {
        StaticAsset::No
    } else if path.starts_with("/pkg/") && has_content_hash(path) {
        StaticAsset::Hashed
    } else {
        StaticAsset::Plain
    }
}

/// `name.HASH.ext`, HASH being what `cargo xtask build` (16 hex digits) or
/// cargo-leptos (22 base64url characters) puts there.
fn has_content_hash(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = file.split('.').collect();
    parts.len() == 3
        && parts[1].len() >= 16
        && parts[1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Runs inside Leptos's rendering context: sets the page's CSP with the
/// nonce Leptos put on its own scripts. Scripts load only from here and
/// with the nonce; WebAssembly may compile; nothing may frame the page.
pub fn content_security_policy() {
    use leptos::prelude::use_context;
    if let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        // Signing out of a session begun at a provider posts the sign-out
        // form and is redirected on to the provider's end-session page: a
        // form's redirects must be allowed by `form-action` too.
        let providers: String = use_context::<AppState>()
            .map(|state| sso_origins(&state.settings))
            .unwrap_or_default();
        let csp = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'{providers}"
        );
        if let Ok(value) = HeaderValue::from_str(&csp) {
            res.insert_header(header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// The origins of the configured single sign-on providers, each after a
/// space, for a CSP source list.
fn sso_origins(settings: &skillmap_core::kernel::Settings) -> String {
    settings
        .sso
        .iter()
        .filter_map(|p| url::Url::parse(&p.issuer).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .collect()
}

/// Request bodies are small (`BODY_LIMIT`), except the two file uploads (an
/// HR import and the learning catalogue), which may be as large as the
/// import limit: their readers bound what a file may unpack to. Too large:
/// 413 before reading it.
pub async fn limit_body(
    axum::extract::State(upload_limit): axum::extract::State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use leptos::server_fn::ServerFn;
    let uploads = [
        app::import::api::UploadImport::PATH,
        app::pathways::api::ImportCatalogue::PATH,
    ];
    let limit = if uploads.contains(&request.uri().path()) {
        upload_limit
    } else {
        crate::BODY_LIMIT
    };
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return (
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "The request is too large.\n",
        )
            .into_response();
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_files_are_cached_for_a_year() {
        assert_eq!(
            is_static_asset("/pkg/skillmap.0123456789abcdef.wasm"),
            StaticAsset::Hashed
        );
        assert_eq!(
            is_static_asset("/pkg/skillmap.Abc-def_ghiJKLmnopqrst.css"),
            StaticAsset::Hashed
        );
        assert_eq!(is_static_asset("/pkg/skillmap.css"), StaticAsset::Plain);
        assert_eq!(
            is_static_asset("/pkg/skillmap.short.js"),
            StaticAsset::Plain
        );
        assert_eq!(
            is_static_asset("/assets/images/favicon.svg"),
            StaticAsset::Plain
        );
        assert_eq!(is_static_asset("/skills"), StaticAsset::No);
        assert_eq!(
            is_static_asset("/pkgs/skillmap.0123456789abcdef.js"),
            StaticAsset::No
        );
    }

    fn request(method: Method, headers: &[(&str, &str)]) -> Request<Body> {
        let mut b = Request::builder().method(method).uri("/api/auth/logout");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn cross_site_detection() {
        let host = ("host", "127.0.0.1:3000");
        assert!(is_cross_site(&request(
            Method::POST,
            &[("sec-fetch-site", "cross-site")]
        )));
        assert!(is_cross_site(&request(
            Method::POST,
            &[("sec-fetch-site", "same-site")]
        )));
        assert!(!is_cross_site(&request(
            Method::POST,
            &[("sec-fetch-site", "same-origin")]
        )));
        assert!(is_cross_site(&request(
            Method::POST,
            &[host, ("origin", "https://evil.example")]
        )));
        assert!(!is_cross_site(&request(
            Method::POST,
            &[host, ("origin", "http://127.0.0.1:3000")]
        )));
        assert!(is_cross_site(&request(
            Method::POST,
            &[host, ("origin", "null")]
        )));
        // Not a browser: nothing to forge.
        assert!(!is_cross_site(&request(Method::POST, &[host])));
    }

    #[test]
    fn login_and_assets_are_open() {
        let get = |p: &str| Request::builder().uri(p).body(Body::empty()).unwrap();
        assert!(!needs_sign_in(&get("/login")));
        assert!(!needs_sign_in(&get("/pkg/skillmap.js")));
        assert!(needs_sign_in(&get("/")));
        assert!(needs_sign_in(&get("/people/3")));
        assert!(!needs_sign_in(&get("/verify")));
        assert!(!needs_sign_in(&get("/auth/sso/cis2/callback")));
        assert!(!needs_sign_in(&get("/issuer/keys/abc")));
        assert!(needs_sign_in(&get("/badges/1/credential.jwt")));
    }

    #[test]
    fn unreadable_values_are_named() {
        let form = [
            ("person_id".to_string(), "abc".to_string()),
            ("skill_code".to_string(), "DIG-FOUND".to_string()),
            ("level".to_string(), "2".to_string()),
        ];
        let named = name_the_field("invalid digit found in string".into(), &form);
        assert_eq!(named, "person_id, skill_code: enter a whole number");
        let kept = name_the_field("something else".into(), &form);
        assert_eq!(kept, "something else");
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(encode_next("/people/3?x=a b"), "/people/3%3Fx%3Da%20b");
    }
}
