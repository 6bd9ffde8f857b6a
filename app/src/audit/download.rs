//! The audit trail as a file to save.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};

use crate::error::AppError;
use crate::platform::guard::HrOrAdmin;
use crate::platform::{AppState, audit};
use crate::routes::respond::{actor, csv_download, failed, internal_error};

/// The audit trail as CSV: every event of the caller's organisation the
/// filters match (up to `EXPORT_MAX`), for HR and administrators. The
/// download is itself recorded in that trail, with the filters used.
pub(crate) async fn audit_csv(
    State(state): State<AppState>,
    Query(query): Query<super::model::AuditQuery>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    HrOrAdmin(user): HrOrAdmin,
) -> Response {
    use super::model::{Action, EXPORT_MAX, to_csv};
    let filters = match query.check() {
        Ok(f) => f,
        Err(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            return (StatusCode::UNPROCESSABLE_ENTITY, lines.join("\n") + "\n").into_response();
        }
    };
    let org = match user.organisation() {
        Ok(org) => org,
        Err(e) => return failed("audit export", &e),
    };
    let db = &state.db;
    let by = actor(&state, &user, &headers, peer).in_organisation(Some(org));
    let result = async {
        let rows = super::service::search(db, org, &filters, EXPORT_MAX).await?;
        let detail = format!("{} events; {}", rows.len(), query.filter_names());
        audit::record(db, by, Action::AuditExported, None, detail).await?;
        Ok::<_, AppError>(rows)
    }
    .await;
    match result {
        Ok(rows) => csv_download("skillmap-audit.csv", to_csv(&rows)),
        Err(e) => internal_error(
            "audit export failed",
            &e,
            "The audit trail could not be exported.\n",
        ),
    }
}
