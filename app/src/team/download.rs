//! A team heatmap as a file to save.

use axum::extract::{Query, State};
use axum::response::Response;

use crate::platform::AppState;
use crate::platform::guard::SignedIn;
use crate::routes::respond::{csv_download, failed};

/// A team heatmap as CSV: the same matrix, with the same authorization as
/// the page (a manager their own team, HR and administrators any of their
/// organisation's; another organisation's manager is not found).
pub(crate) async fn heatmap_csv(
    State(state): State<AppState>,
    Query(query): Query<super::model::HeatQuery>,
    SignedIn(user): SignedIn,
) -> Response {
    use super::service;
    let db = &state.db;
    let result = async {
        let manager = service::heatmap_access(db, &user, query.manager).await?;
        let map = service::heatmap(db, manager, query.all).await?;
        service::with_interest(db, map, query.interest.as_deref()).await
    }
    .await;
    match result {
        Ok(map) => {
            let map = map.shaped(query);
            csv_download(
                &format!("skillmap-team-{}.csv", map.manager_id),
                map.to_csv(),
            )
        }
        // A 403 here (another manager's team) is noted as a refusal by the
        // session middleware, as before.
        Err(e) => failed("heatmap export", &e),
    }
}
