//! A person's own data as a file to save (their right of access).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};

use crate::platform::AppState;
use crate::platform::guard::{MaybeSignedIn, check_user};
use crate::routes::respond::{actor, download, internal_error};

/// Everything Skillmap holds about the signed-in user, as a zip (their
/// right of access): only ever their own. Served at `view::DOWNLOAD_PATH`.
pub(crate) async fn my_data(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    user: MaybeSignedIn,
) -> Response {
    let Ok(user) = check_user(user.0) else {
        return (StatusCode::UNAUTHORIZED, "Sign in to download your data.\n").into_response();
    };
    let by = actor(&state, &user, &headers, peer);
    match super::service::export(&state.db, &user, by).await {
        Ok(zip) => download("skillmap-my-data.zip", "application/zip", zip),
        Err(e) => internal_error(
            "data export failed",
            &e,
            "Your data could not be put together. Try again.\n",
        ),
    }
}
