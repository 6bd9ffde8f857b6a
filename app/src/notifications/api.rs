//! Server functions for the inbox and email choices: each person their
//! own, and nobody else's.

use leptos::prelude::*;

use super::model::{Inbox, Preferences};
use crate::error::AppError;

/// A page of the signed-in person's notices.
#[server(endpoint = "notifications/inbox")]
pub async fn get_inbox(page: Option<u64>) -> Result<Inbox, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    platform::reply(super::service::inbox(&db, user.account_id, page.unwrap_or(1)).await)
}

/// Opens one of the person's notices: marks it read and, for a plain form
/// post, goes to the page it is about.
#[server(endpoint = "notifications/open")]
pub async fn open_notice(id: i32) -> Result<String, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let link = platform::reply(super::service::open(&db, user.account_id, id).await)?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&link);
    }
    Ok(link)
}

/// Marks one notice read or unread (`read` "true" or "false"), or with no
/// id every notice read. A plain form post goes back to the inbox.
#[server(endpoint = "notifications/mark")]
pub async fn mark_notices(
    id: Option<i32>,
    read: Option<String>,
    page: Option<u64>,
) -> Result<u64, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let read = read.as_deref() != Some("false");
    let changed = platform::reply(super::service::set_read(&db, user.account_id, id, read).await)?;
    if platform::guard::is_form_post() {
        let page = page.unwrap_or(1).max(1);
        leptos_axum::redirect(&format!("/notifications?page={page}"));
    }
    Ok(changed)
}

/// The signed-in person's email choices.
#[server(endpoint = "notifications/preferences")]
pub async fn get_preferences() -> Result<Preferences, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    platform::reply(super::service::preferences(&db, user.account_id, user.role).await)
}

/// Saves the person's email choices. Each field is a checkbox: present
/// (any value) for "email me about this". Kinds a person's job needs stay
/// on whatever is sent.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "notifications/save_preferences")]
pub async fn save_preferences(
    daily_digest: Option<String>,
    level_agreed: Option<String>,
    recognised: Option<String>,
    badge_issued: Option<String>,
    review_due: Option<String>,
    mentor_chosen: Option<String>,
    import_finished: Option<String>,
) -> Result<Preferences, AppError> {
    use super::model::Kind;
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let wanted: Vec<Kind> = [
        (Kind::LevelAgreed, level_agreed),
        (Kind::Recognised, recognised),
        (Kind::BadgeIssued, badge_issued),
        (Kind::ReviewDue, review_due),
        (Kind::MentorChosen, mentor_chosen),
        (Kind::ImportFinished, import_finished),
    ]
    .into_iter()
    .filter_map(|(kind, on)| on.map(|_| kind))
    .collect();
    let saved = platform::reply(
        super::service::save_preferences(
            &db,
            user.account_id,
            user.role,
            daily_digest.is_some_and(|d| d != "false"),
            &wanted,
        )
        .await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/notifications/settings?saved=1");
    }
    Ok(saved)
}
