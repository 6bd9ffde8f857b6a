//! Server functions for self-assessment and agreement.

use leptos::prelude::*;

use super::model::{AssessmentView, Decision, HistoryEntry, PendingReview, ProfileView};
use crate::error::AppError;

/// A person's profile (their own when `person_id` is empty): themself, their
/// managers, HR and administrators.
#[server(endpoint = "profile/get")]
pub async fn get_profile(person_id: Option<i32>) -> Result<ProfileView, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let id = match person_id.or(user.person_id) {
        Some(id) => id,
        None => return platform::reply(Err(no_person())),
    };
    let user = platform::require_person_access(id).await?;
    let db = platform::db()?;
    platform::reply(super::service::profile(&db, id, &user).await)
}

/// Saves the signed-in person's own assessment of one skill. A plain form
/// post then goes to `next` (the next skill), so the profile can be done
/// a page at a time without JavaScript.
#[server(endpoint = "profile/save")]
#[allow(clippy::too_many_arguments)]
pub async fn save_assessment(
    skill_code: String,
    level: Option<u8>,
    confidence: Option<u8>,
    evidence: Option<String>,
    evidence_url: Option<String>,
    revision: i32,
    next: Option<String>,
) -> Result<AssessmentView, AppError> {
    use super::model::SelfAssessmentInput;
    use crate::platform;
    let user = platform::require_user()?;
    let Some(person_id) = user.person_id else {
        return platform::reply(Err(no_person()));
    };
    let db = platform::db()?;
    let input = SelfAssessmentInput {
        skill_code,
        level,
        confidence,
        evidence: evidence.unwrap_or_default(),
        evidence_url: evidence_url.unwrap_or_default(),
        revision,
    };
    let saved = platform::reply(super::service::save_self(&db, person_id, &user, &input).await)?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&crate::auth::model::safe_next(next.as_deref()));
    }
    Ok(saved)
}

/// A manager agrees a level, or sets a different one with a comment.
#[server(endpoint = "profile/review")]
#[allow(clippy::too_many_arguments)]
pub async fn review_assessment(
    person_id: i32,
    skill_code: String,
    decision: Decision,
    level: Option<u8>,
    comment: Option<String>,
    revision: i32,
) -> Result<AssessmentView, AppError> {
    use crate::platform;
    let user = platform::require_manager_of(person_id).await?;
    let db = platform::db()?;
    platform::reply(
        super::service::review(
            &db,
            crate::platform::actor(),
            person_id,
            &user,
            &skill_code,
            decision,
            level,
            comment.as_deref().unwrap_or_default(),
            revision,
        )
        .await,
    )
}

/// Every change to a person's assessments: who, when, from, to, comment.
#[server(endpoint = "profile/history")]
pub async fn assessment_history(person_id: Option<i32>) -> Result<Vec<HistoryEntry>, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(id) = person_id.or(user.person_id) else {
        return platform::reply(Err(no_person()));
    };
    platform::require_person_access(id).await?;
    let db = platform::db()?;
    platform::reply(super::service::history(&db, id).await)
}

/// People the signed-in manager manages who have levels waiting to be agreed.
#[server(endpoint = "profile/pending")]
pub async fn pending_reviews() -> Result<Vec<PendingReview>, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return Ok(Vec::new());
    };
    let db = platform::db()?;
    platform::reply(super::service::pending_reviews(&db, me).await)
}

#[cfg(feature = "ssr")]
fn no_person() -> AppError {
    AppError::Conflict(
        "Your account is not linked to a staff record. Ask your Skillmap administrator to link it."
            .into(),
    )
}
