//! The current framework as a file to save (JSON in the exchange format,
//! or CSV), for anyone signed in.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::platform::AppState;
use crate::platform::guard::{MaybeSignedIn, check_user};
use crate::routes::respond::{download, internal_error};

pub(crate) async fn export_json(State(state): State<AppState>, user: MaybeSignedIn) -> Response {
    export(&state, user, false).await
}

pub(crate) async fn export_csv(State(state): State<AppState>, user: MaybeSignedIn) -> Response {
    export(&state, user, true).await
}

/// The current framework as a download, for anyone signed in.
async fn export(state: &AppState, user: MaybeSignedIn, csv: bool) -> Response {
    if check_user(user.0).is_err() {
        return (
            StatusCode::UNAUTHORIZED,
            "Sign in to download the framework.\n",
        )
            .into_response();
    }
    let view = match super::read::current(&state.db).await {
        Ok(v) => v,
        Err(e) => {
            return internal_error(
                "framework export failed",
                &e,
                "The framework could not be exported.\n",
            );
        }
    };
    let doc = super::read::to_doc(&view);
    let stem = format!("{}-v{}", doc.code.to_lowercase(), doc.version);
    let (body, kind, ext) = if csv {
        (
            super::exchange::to_csv(&doc),
            "text/csv; charset=utf-8",
            "csv",
        )
    } else {
        (
            serde_json::to_string_pretty(&doc).unwrap_or_default(),
            "application/json",
            "json",
        )
    };
    download(&format!("{stem}.{ext}"), kind, body)
}
