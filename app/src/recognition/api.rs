//! Server functions for badges. Each authorizes first: a person's badges
//! are seen by themself, their managers (not the hidden ones), HR and
//! administrators; only the person hides theirs; only HR and
//! administrators revoke; anyone may verify a credential.

use leptos::prelude::*;

use super::model::{Badges, Verification};
use crate::error::AppError;

/// The issuer as the request addresses it (see `service::public_base`).
#[cfg(feature = "ssr")]
async fn issuer() -> Result<super::credential::Issuer, AppError> {
    use crate::platform;
    let parts = use_context::<http::request::Parts>();
    let host = parts
        .as_ref()
        .and_then(|p| p.headers.get(http::header::HOST))
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let https = platform::state()?.settings.secure_cookies;
    let db = platform::db()?;
    super::service::issuer(&db, super::service::public_base(host.as_deref(), https)).await
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
    platform::reply(super::service::set_hidden(&db, me, badge_id, hidden).await)?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/badges");
    }
    Ok(())
}

/// HR and administrators revoke a badge, with a reason.
#[server(endpoint = "recognition/revoke")]
pub async fn revoke_badge(badge_id: i32, reason: String) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    platform::require_role(&[Role::Hr, Role::Admin])?;
    let db = platform::db()?;
    platform::reply(super::service::revoke(&db, badge_id, &reason).await)
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
    let issuer = platform::reply(issuer().await)?;
    platform::reply(super::service::verify(&db, &issuer, &credential, email.as_deref()).await)
}
