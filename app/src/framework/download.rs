//! The current framework as a file to save (JSON in the exchange format,
//! or CSV), for anyone signed in; with `?own=1`, their organisation's own
//! skills (to edit and import as its next version).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::platform::AppState;
use crate::platform::guard::{MaybeSignedIn, check_user};
use crate::routes::respond::{download, internal_error};

#[derive(serde::Deserialize)]
pub(crate) struct ExportQuery {
    own: Option<String>,
}

pub(crate) async fn export_json(
    State(state): State<AppState>,
    user: MaybeSignedIn,
    Query(q): Query<ExportQuery>,
) -> Response {
    export(&state, user, q.own.is_some(), false).await
}

pub(crate) async fn export_csv(
    State(state): State<AppState>,
    user: MaybeSignedIn,
    Query(q): Query<ExportQuery>,
) -> Response {
    export(&state, user, q.own.is_some(), true).await
}

/// The current framework, or the caller's organisation's own skills, as a
/// download, for anyone signed in.
async fn export(state: &AppState, user: MaybeSignedIn, own: bool, csv: bool) -> Response {
    let Ok(user) = check_user(user.0) else {
        return (
            StatusCode::UNAUTHORIZED,
            "Sign in to download the framework.\n",
        )
            .into_response();
    };
    let read = async {
        if !own {
            return super::read::current(&state.db).await.map(Some);
        }
        let Some(org) = user.organisation_id else {
            return Ok(None);
        };
        super::read::own_view(&state.db, org).await
    };
    let view = match read.await {
        Ok(Some(v)) => v,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                "Your organisation has no skills of its own yet.\n",
            )
                .into_response();
        }
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
