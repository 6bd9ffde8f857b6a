//! Server functions for data rights: HR and administrators see what
//! erasing a person would remove, erase a leaver, and review long-disabled
//! accounts; a person looks over and imports the skills passport they
//! uploaded. (A person's own download, their passport's download and its
//! upload are plain routes in `download`, for the signed-in user only.)

use leptos::prelude::*;

use super::model::{ErasePreview, Retention};
use crate::error::AppError;

/// What erasing this person would remove: HR and administrators of the
/// person's organisation.
#[server(endpoint = "privacy/erase_preview")]
pub async fn preview_erasure(person_id: i32) -> Result<ErasePreview, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::service::erase_preview(&db, org, person_id).await)
}

/// Erases a leaver's personal data once HR has typed their employee number
/// (`confirm`): HR and administrators of the person's organisation (the
/// service checks it). A plain form post goes on to the retention review,
/// which says it is done.
#[server(endpoint = "privacy/erase")]
pub async fn erase_person(person_id: i32, confirm: String) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let db = platform::db()?;
    platform::reply(
        super::service::erase(&db, crate::platform::actor(), &user, person_id, &confirm).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/admin/retention?erased=1");
    }
    Ok(())
}

/// The organisation's accounts disabled longer than the retention period:
/// HR and administrators.
#[server(endpoint = "privacy/retention")]
pub async fn retention_review() -> Result<Retention, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let state = platform::state()?;
    let months = state.settings.retention_months;
    platform::reply(super::service::retention(&state.db, org, months, chrono::Utc::now()).await)
}

/// Where skills passports may come from, as this deployment is set up.
#[cfg(feature = "ssr")]
fn trust_of(state: &crate::platform::AppState) -> super::passport::Trust<'_> {
    super::passport::Trust {
        base_url: state.settings.public_base(),
        trusted: &state.settings.trusted_issuers,
    }
}

/// What the signed-in person's uploaded skills passport would bring,
/// checked afresh: their own upload only (anyone else's is not found).
#[server(endpoint = "privacy/passport_preview")]
pub async fn passport_preview(upload_id: i32) -> Result<super::model::PassportPreview, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let state = platform::state()?;
    let (db, trust) = (&state.db, trust_of(&state));
    platform::reply(super::passport::preview(db, &trust, &user, upload_id).await)
}

/// Imports the signed-in person's uploaded skills passport: its levels
/// become their own, for their manager to agree. A plain form post goes on
/// to their skills, which say how many came.
#[server(endpoint = "privacy/passport_import")]
pub async fn import_passport(upload_id: i32) -> Result<usize, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let state = platform::state()?;
    let (db, trust) = (&state.db, trust_of(&state));
    let added = platform::reply(
        super::passport::import(db, &trust, platform::actor(), &user, upload_id).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!("/skills?passport={added}"));
    }
    Ok(added)
}
