//! What the plain routes answer with: a file to save, JSON, or a plain
//! message when something failed; and who is asking, for the audit trail.

use std::net::SocketAddr;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};

use crate::auth::model::CurrentUser;
use crate::error::AppError;
use crate::platform::{AppState, audit, guard};

/// Who is asking, and from where, for the audit trail.
pub(crate) fn actor(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> audit::Actor {
    let trust = state.settings.trusted_proxies;
    audit::Actor::new(
        Some(user.account_id),
        guard::client_ip_of(headers, Some(peer), trust),
    )
    .in_organisation(user.organisation_id)
}

/// A file to save: its type and the name the browser saves it under.
pub(crate) fn download(name: &str, content_type: &str, body: impl Into<Body>) -> Response {
    let body: Body = body.into();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub(crate) fn csv_download(name: &str, body: String) -> Response {
    download(name, "text/csv; charset=utf-8", body)
}

/// A 500 for a download that could not be made: the cause is logged, the
/// user gets a plain message.
pub(crate) fn internal_error(
    what: &str,
    e: &dyn std::fmt::Display,
    message: &'static str,
) -> Response {
    tracing::error!(error = %e, "{what}");
    (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
}

/// The error's own status and message (a server error is logged).
pub(crate) fn failed(what: &str, e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(error = %e, "{what} failed");
    }
    (status, format!("{e}\n")).into_response()
}

pub(crate) fn json_response(body: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
