//! The single sign-on routes: all redirects and one form post from the
//! provider, so they work with JavaScript off. Starting and finishing are
//! public (that is what signing in is); the back-channel logout is
//! authorized by the provider's signature on its logout token. A refusal
//! goes back to the sign-in page with its message (signed by the response
//! layer, like every form error, so nobody can write one into a link).

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use leptos::server_fn::error::ServerFnUrlError;
use serde::Deserialize;

use super::model::SSO_ERROR_PATH;
use crate::error::AppError;
use crate::platform::{AppState, Settings, guard, session};
use skillmap_core::auth::sso::{flow, logout};

#[derive(Debug, Deserialize)]
pub(crate) struct StartQuery {
    next: Option<String>,
    login_hint: Option<String>,
}

/// `GET /auth/sso/{provider}`: off to the provider's sign-in page.
pub(crate) async fn start(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(provider): Path<String>,
    Query(query): Query<StartQuery>,
    parts: Parts,
) -> Response {
    // Only a navigation starts a sign-in: an image or script another page
    // points here (the browser says so in `Sec-Fetch-Mode`) stores nothing
    // and counts against nobody.
    let fetch_mode = parts
        .headers
        .get("sec-fetch-mode")
        .and_then(|v| v.to_str().ok());
    if fetch_mode.is_some_and(|m| m != "navigate") {
        return (
            StatusCode::BAD_REQUEST,
            "Open this address in the browser to sign in.\n",
        )
            .into_response();
    }
    // Each start stores a row: limited per network, apart from passwords.
    let ip = guard::client_ip_of(&parts.headers, Some(peer), state.settings.trusted_proxies);
    if let Some(ip) = ip
        && !state.sso_starts.allow(ip)
    {
        return back_to_login(
            &state.settings,
            "There have been too many sign-in attempts from your network. Wait a minute, then try again.",
        );
    }
    let binding = binding_of(&parts, &state.settings);
    match flow::start(
        &state.db,
        &state.sso,
        &state.settings,
        &provider,
        query.login_hint.as_deref(),
        query.next.as_deref(),
        binding.as_deref(),
    )
    .await
    {
        Ok(started) => see_other(&started.location, &[started.set_cookie]),
        Err(refused) => {
            tracing::warn!(provider, reason = %refused.reason, "single sign-on could not start");
            back_to_login(&state.settings, &refused.message)
        }
    }
}

/// `GET /auth/sso/{provider}/callback`: the provider sends the browser
/// back here with a code; signed in, or back to the sign-in page with why.
pub(crate) async fn callback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(provider): Path<String>,
    Query(params): Query<flow::Callback>,
    parts: Parts,
) -> Response {
    let ip = guard::client_ip_of(&parts.headers, Some(peer), state.settings.trusted_proxies);
    let binding = binding_of(&parts, &state.settings);
    match flow::finish(
        &state.db,
        &state.sso,
        &state.settings,
        &provider,
        params,
        binding.as_deref(),
        ip,
    )
    .await
    {
        Ok(done) => {
            // A fresh session id at sign-in: the one the browser came with ends.
            if let Some(old) = parts.extensions.get::<session::SessionContext>()
                && let Err(e) = session::destroy(&state.db, &old.session_id).await
            {
                tracing::error!(error = %e, "could not end the session replaced at sign-in");
            }
            let cookie = session::cookie(&done.session_token, &state.settings);
            let clear = flow::clear_binding_cookie(&state.settings);
            see_other(&done.next, &[cookie, clear])
        }
        // The binding cookie stays (it expires with the sign-ins it binds):
        // another sign-in begun in this browser may still finish.
        Err(refused) => back_to_login(&state.settings, &refused.message),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct LogoutForm {
    logout_token: String,
}

/// `POST /auth/sso/{provider}/backchannel-logout`: the provider ends the
/// sessions a person began there (OpenID Connect Back-Channel Logout 1.0).
pub(crate) async fn back_channel_logout(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Form(form): Form<LogoutForm>,
) -> Response {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    match logout::back_channel(&state.db, &state.sso, &provider, &form.logout_token).await {
        Ok(_) => (StatusCode::OK, no_store).into_response(),
        Err(bad) => {
            tracing::warn!(provider, reason = %bad.0, "back-channel logout refused");
            // The reason is logged; the caller learns only that it failed.
            let body = serde_json::json!({
                "error": "invalid_request",
                "error_description": "The logout token was not accepted.",
            });
            (
                StatusCode::BAD_REQUEST,
                [
                    (header::CACHE_CONTROL, "no-store"),
                    (header::CONTENT_TYPE, "application/json"),
                ],
                body.to_string(),
            )
                .into_response()
        }
    }
}

/// The browser-binding cookie's value, if the browser sent one.
fn binding_of(parts: &Parts, settings: &Settings) -> Option<String> {
    let cookies = parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    session::token_from_cookies(flow::binding_cookie_name(settings), cookies)
}

fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    for c in cookies {
        append_cookie(&mut res, c);
    }
    res
}

fn append_cookie(res: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Back to the sign-in page, showing `message` (the response layer signs
/// it; the page shows only what it signed).
fn back_to_login(settings: &Settings, message: &str) -> Response {
    let error = ServerFnUrlError::new(SSO_ERROR_PATH, AppError::Conflict(message.to_string()));
    match error.to_url(&format!("{}/login", settings.public_base())) {
        Ok(url) => see_other(url.as_str(), &[]),
        Err(_) => see_other("/login", &[]),
    }
}
