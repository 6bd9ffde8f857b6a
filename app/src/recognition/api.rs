//! Server functions for recognition. Each authorizes first:
//!
//! - a person's badges, endorsements and awards are seen by themself, their
//!   managers (not the hidden ones), HR and administrators; only the person
//!   hides theirs;
//! - anyone signed in endorses a colleague (not themself); awards come from
//!   the person's managers, HR and administrators; administrators define the
//!   award kinds;
//! - a team's recent recognition is for its manager (and above), HR and
//!   administrators; recognition by unit over time is for HR and
//!   administrators;
//! - only HR and administrators revoke a badge; anyone may verify one.

// The server macro generates a browser-side stub for `give`, where a
// function-level allow does not reach.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use super::model::{
    AwardKind, Badges, Colleague, GiveForm, RecognitionReport, TeamRecognition, Verification,
};
use crate::error::AppError;

/// The configured public URL, that issuers' addresses start with: never
/// the `Host` a request supplied, so nobody can have a genuine credential
/// name another site.
#[cfg(feature = "ssr")]
fn public_base() -> Result<String, AppError> {
    Ok(crate::platform::state()?.settings.public_base().to_string())
}

/// A person's badges (the caller's own when `person_id` is empty).
#[server(endpoint = "recognition/badges")]
pub async fn person_badges(person_id: Option<i32>) -> Result<Badges, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(id) = person_id.or(user.person_id) else {
        return platform::reply(Err(AppError::Conflict(
            "Your account is not linked to a staff record, so it has no badges.".into(),
        )));
    };
    let user = platform::require_person_access(id).await?;
    let db = platform::db()?;
    platform::reply(super::service::badges(&db, id, &user).await)
}

/// The holder hides one of their badges from others, or shows it again.
#[server(endpoint = "recognition/hide")]
pub async fn hide_badge(badge_id: i32, hidden: Option<String>) -> Result<(), AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return platform::reply(Err(AppError::NotFound("That badge".into())));
    };
    let db = platform::db()?;
    let hidden = hidden.is_some_and(|v| v != "false");
    platform::reply(
        super::service::set_hidden(&db, crate::platform::actor(), me, badge_id, hidden).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/recognition");
    }
    Ok(())
}

/// HR and administrators revoke a badge of someone in their organisation,
/// with a reason.
#[server(endpoint = "recognition/revoke")]
pub async fn revoke_badge(badge_id: i32, reason: String) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(
        super::service::revoke(&db, crate::platform::actor(), org, badge_id, &reason).await,
    )
}

/// Verifies a credential: anyone may ask, signed in or not.
#[server(endpoint = "recognition/verify")]
pub async fn verify_credential(
    credential: String,
    email: Option<String>,
) -> Result<Verification, AppError> {
    // public_endpoint: anyone may check a credential (an employer, a
    // wallet); the answer says only what the credential itself claims, and
    // whether this organisation revoked it.
    use crate::platform;
    let db = platform::db()?;
    let base = platform::reply(public_base())?;
    platform::reply(super::service::verify(&db, &base, &credential, email.as_deref()).await)
}

/// The recipient hides an endorsement or award from others, or shows it.
#[server(endpoint = "recognition/hide_item")]
pub async fn hide_item(item_id: i32, hidden: Option<String>) -> Result<(), AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return platform::reply(Err(AppError::NotFound("That recognition".into())));
    };
    let db = platform::db()?;
    let hidden = hidden.is_some_and(|v| v != "false");
    platform::reply(
        super::service::set_item_hidden(&db, crate::platform::actor(), me, item_id, hidden).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/recognition#received");
    }
    Ok(())
}

/// Colleagues to recognise, found by name in the caller's organisation:
/// anyone signed in.
#[server(endpoint = "recognition/colleagues")]
pub async fn find_colleagues(query: Option<String>) -> Result<Vec<Colleague>, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    let query = query.as_deref().unwrap_or_default();
    platform::reply(super::service::colleagues(&db, org, user.person_id, query).await)
}

/// What the caller may give `person_id`: anyone signed in, but not to
/// themself (someone of another organisation is not found).
#[server(endpoint = "recognition/gift_form")]
pub async fn gift_form(person_id: i32) -> Result<GiveForm, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    platform::reply(super::service::give_form(&db, &user, person_id).await)
}

/// Endorses a colleague's skill (`kind` "endorsement", `skill_code`,
/// `message`), or gives them an award (`kind` "award", `award_kind_id`,
/// `citation`): anyone signed in endorses; awards need the person's
/// manager, HR or an administrator.
#[server(endpoint = "recognition/give")]
pub async fn give(
    person_id: i32,
    kind: String,
    skill_code: Option<String>,
    award_kind_id: Option<String>,
    message: Option<String>,
    citation: Option<String>,
) -> Result<(), AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let text = message.or(citation).unwrap_or_default();
    let gift = platform::reply(
        super::service::give(
            &db,
            crate::platform::actor(),
            &user,
            person_id,
            &kind,
            skill_code.as_deref(),
            // Sent as text, so an unchosen "" is a named field error.
            award_kind_id.and_then(|v| v.trim().parse().ok()),
            &text,
        )
        .await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!("/recognise/{person_id}?sent={}", gift.as_str()));
    }
    Ok(())
}

/// The recognition a manager's team received lately: the manager (and
/// anyone above them), HR and administrators.
#[server(endpoint = "recognition/team")]
pub async fn get_team_recognition(manager: Option<i32>) -> Result<TeamRecognition, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let manager = platform::reply(crate::team::service::heatmap_access(&db, &user, manager).await)?;
    platform::reply(super::service::team_recent(&db, manager, chrono::Utc::now()).await)
}

/// Recognition received per org unit, month by month: HR and
/// administrators.
#[server(endpoint = "recognition/report")]
pub async fn get_recognition_report(unit: Option<i32>) -> Result<RecognitionReport, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::service::report(&db, org, unit, chrono::Utc::now()).await)
}

/// The award kinds of the caller's organisation: anyone signed in sees the
/// ones on offer; administrators also see retired ones.
#[server(endpoint = "recognition/award_kinds")]
pub async fn award_kinds() -> Result<Vec<AwardKind>, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_user()?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::service::award_kinds(&db, org, user.role == Role::Admin).await)
}

/// Administrators add an award kind to their organisation, change one of
/// its kinds, or retire it (`active` unset) and bring it back.
#[server(endpoint = "recognition/save_award_kind")]
pub async fn save_award_kind(
    id: Option<String>,
    name: String,
    description: Option<String>,
    active: Option<String>,
) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    let active = active.is_some_and(|v| v != "false");
    platform::reply(
        super::service::save_award_kind(
            &db,
            crate::platform::actor(),
            org,
            id.and_then(|v| v.trim().parse().ok()),
            &name,
            description.as_deref().unwrap_or_default(),
            active,
        )
        .await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/admin/awards?saved=1");
    }
    Ok(())
}
