//! One-time set-password links, as a file for HR to send: for the people
//! an import created, who have no password yet.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use http::HeaderMap;

use crate::platform::AppState;
use crate::platform::guard::HrOrAdmin;
use crate::routes::respond::{actor, csv_download, failed, internal_error};

/// One-time set-password links for every account of the caller's
/// organisation without a password yet (people an import created), as CSV
/// for HR to send; never another organisation's. A POST: each download
/// replaces the unused links it covers.
pub(crate) async fn set_password_links(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    HrOrAdmin(user): HrOrAdmin,
) -> Response {
    use super::links::{LINK_DAYS, issue_for_accounts_without_password};
    let org = match user.organisation() {
        Ok(org) => org,
        Err(e) => return failed("set-password links", &e),
    };
    let by = actor(&state, &user, &headers, peer);
    let links = match issue_for_accounts_without_password(&state.db, by, org, user.role).await {
        Ok(links) => links,
        Err(e) => {
            return internal_error(
                "set-password links failed",
                &e,
                "The links could not be made.\n",
            );
        }
    };
    let base = state.settings.public_base();
    let expires = (chrono::Utc::now() + chrono::Duration::days(LINK_DAYS))
        .format("%-d %b %Y")
        .to_string();
    let mut w = skillmap_core::kernel::csv::SafeCsv::default();
    w.row(["Email", "Name", "Set-password link", "Link expires"]);
    for l in &links {
        let link = format!("{}/set-password?token={}", base, l.token);
        w.row([
            l.email.as_str(),
            l.name.as_str(),
            link.as_str(),
            expires.as_str(),
        ]);
    }
    let body = w.finish();
    tracing::info!(links = links.len(), "set-password links issued");
    csv_download("skillmap-set-password-links.csv", body)
}
