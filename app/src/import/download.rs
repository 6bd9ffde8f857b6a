//! The import's files for HR and administrators: a template for each kind
//! of import file, and the problems found in an uploaded file.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::error::AppError;
use crate::platform::AppState;
use crate::platform::guard::HrOrAdmin;
use crate::routes::respond::{csv_download, internal_error};

/// A template for each kind of import file: the header row and an example.
pub(crate) async fn import_template(Path(file): Path<String>, _: HrOrAdmin) -> Response {
    use super::model::Kind;
    match file.strip_suffix(".csv").and_then(Kind::parse) {
        Some(kind) => csv_download(
            &format!("skillmap-{}-template.csv", kind.as_str()),
            super::check::template(kind),
        ),
        None => (StatusCode::NOT_FOUND, "No such template.\n").into_response(),
    }
}

/// Every problem found in an imported file of the caller's organisation,
/// as CSV (another organisation's import is not found, as a missing one
/// is not).
pub(crate) async fn import_problems(
    State(state): State<AppState>,
    Path(id): Path<i32>,
    HrOrAdmin(user): HrOrAdmin,
) -> Response {
    let Ok(org) = user.organisation() else {
        return (StatusCode::NOT_FOUND, "No such import.\n").into_response();
    };
    match super::service::report_csv(&state.db, org, id).await {
        Ok((name, body)) => csv_download(&name, body),
        Err(AppError::NotFound(_)) => (StatusCode::NOT_FOUND, "No such import.\n").into_response(),
        Err(e) => internal_error(
            "import report failed",
            &e,
            "The report could not be made.\n",
        ),
    }
}
