//! A person's own data as a file to save (their right of access), and
//! their skills passport: downloaded with their consent, uploaded to bring
//! it here.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};

use crate::error::AppError;

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

/// The signed-in person's skills passport (`passport::export`), from the
/// "Your data" page's form: only with the consent box ticked; without it,
/// back to the page, which asks for it.
pub(crate) async fn skills_passport(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    user: MaybeSignedIn,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let Ok(user) = check_user(user.0) else {
        return (
            StatusCode::UNAUTHORIZED,
            "Sign in to download your skills passport.\n",
        )
            .into_response();
    };
    let consent = form.iter().any(|(k, v)| k == "consent" && v == "yes");
    if !consent {
        return Redirect::to("/my-data?passport=consent#passport").into_response();
    }
    let by = actor(&state, &user, &headers, peer);
    let base = state.settings.public_base().to_string();
    match super::passport::export(&state.db, &base, &user, by, true).await {
        Ok(token) => download(PASSPORT_FILE, "application/jwt", token),
        Err(AppError::NotFound(_)) => {
            Redirect::to("/my-data?passport=no-person#passport").into_response()
        }
        Err(AppError::Conflict(_)) => {
            Redirect::to("/my-data?passport=no-email#passport").into_response()
        }
        Err(e) => internal_error(
            "skills passport export failed",
            &e,
            "Your skills passport could not be put together. Try again.\n",
        ),
    }
}

/// What the passport file is saved as.
pub const PASSPORT_FILE: &str = "skills-passport.jwt";

/// A skills passport uploaded from the "Your data" page (a plain form, no
/// JavaScript): kept for the person to look over, then on to that page;
/// a file that is missing, too big or not a passport goes back with why.
pub(crate) async fn passport_upload(
    State(state): State<AppState>,
    user: MaybeSignedIn,
    mut form: Multipart,
) -> Response {
    let Ok(user) = check_user(user.0) else {
        return (
            StatusCode::UNAUTHORIZED,
            "Sign in to bring your skills passport.\n",
        )
            .into_response();
    };
    let back = |problem: &str| {
        Redirect::to(&format!("/my-data?upload={problem}#passport-import")).into_response()
    };
    let mut token = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(b) if b.len() > super::passport::MAX_PASSPORT_BYTES => {
                    return back("too-big");
                }
                Ok(b) => token = Some(String::from_utf8_lossy(&b).trim().to_string()),
                Err(_) => return back("unreadable"),
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return back("unreadable"),
        }
    }
    let token = token.unwrap_or_default();
    if token.is_empty() {
        return back("empty");
    }
    match super::passport::upload(&state.db, &user, &token).await {
        Ok(id) => Redirect::to(&format!("/my-data/passport/{id}")).into_response(),
        Err(AppError::Validation(_)) => back("not-passport"),
        Err(AppError::NotFound(_)) => back("no-person"),
        Err(e) => internal_error(
            "skills passport upload failed",
            &e,
            "Your skills passport could not be kept. Try again.\n",
        ),
    }
}
