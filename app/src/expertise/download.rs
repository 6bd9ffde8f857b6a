//! A directory search as a CSV file, for HR.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::platform::guard::HrOrAdmin;
use crate::platform::{AppState, audit};
use crate::routes::respond::{actor, csv_download, failed};

/// Every person a search finds (`/find.csv?skill=...`, the page's own
/// query), for HR and administrators. HR sees no one the page would not
/// show: only people of their organisation who chose to be listed. The
/// download is recorded in the audit trail with the search.
pub(crate) async fn find_csv(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    HrOrAdmin(user): HrOrAdmin,
) -> Response {
    use super::model::{FindQuery, to_csv};
    let (query, errors) =
        FindQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !errors.is_empty() {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        return (StatusCode::UNPROCESSABLE_ENTITY, lines.join("\n") + "\n").into_response();
    }
    let db = &state.db;
    let by = actor(&state, &user, &headers, peer);
    let result = async {
        let org = user.organisation()?;
        let people = super::service::find_all(db, org, &query).await?;
        let fw = crate::framework::read::current_for(db, org).await?;
        let described = query.describe(|c| {
            fw.skill(c)
                .map_or_else(|| c.to_string(), |s| s.name.clone())
        });
        audit::record(
            db,
            by,
            crate::audit::model::Action::DirectoryExported,
            None,
            format!("{} people; {described}", people.len()),
        )
        .await?;
        let csv = to_csv(
            &query,
            |c| {
                fw.skill(c)
                    .map_or_else(|| c.to_string(), |s| s.name.clone())
            },
            &people,
        );
        Ok::<_, AppError>(csv)
    }
    .await;
    match result {
        Ok(csv) => csv_download("skillmap-expertise.csv", csv),
        Err(e) => failed("directory export", &e),
    }
}
