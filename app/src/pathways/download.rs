//! The learning catalogue as a file to save.

use axum::extract::State;
use axum::response::Response;

use crate::platform::AppState;
use crate::platform::guard::HrOrAdmin;
use crate::routes::respond::{csv_download, internal_error};

/// The learning catalogue (retired resources too) as CSV, in the columns
/// its import reads: HR and administrators.
pub(crate) async fn catalogue_csv(State(state): State<AppState>, _: HrOrAdmin) -> Response {
    match super::service::resources(&state.db, true).await {
        Ok(all) => csv_download(
            "skillmap-learning-catalogue.csv",
            super::catalogue::to_csv(&all),
        ),
        Err(e) => internal_error(
            "catalogue export failed",
            &e,
            "The catalogue could not be exported.\n",
        ),
    }
}
