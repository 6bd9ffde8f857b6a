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
    let saved = platform::reply(
        platform::in_write_lane(db, move |db| async move {
            super::service::save_self(&db, person_id, &user, &input).await
        })
        .await,
    )?;
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
    let actor = platform::actor();
    platform::reply(
        platform::in_write_lane(db, move |db| async move {
            super::service::review(
                &db,
                actor,
                person_id,
                &user,
                &skill_code,
                decision,
                level,
                comment.as_deref().unwrap_or_default(),
                revision,
            )
            .await
        })
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

/// The signed-in person's next skills review.
#[server(endpoint = "profile/review_status")]
pub async fn review_status() -> Result<super::model::ReviewStatus, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return platform::reply(Err(no_person()));
    };
    let db = platform::db()?;
    let today = chrono::Utc::now().date_naive();
    platform::reply(super::reviews::status(&db, me, today).await)
}

/// The signed-in person's review form: every skill they assessed, with
/// their last answer.
#[server(endpoint = "profile/review_form")]
pub async fn review_form() -> Result<super::model::ReviewForm, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return platform::reply(Err(no_person()));
    };
    let db = platform::db()?;
    let today = chrono::Utc::now().date_naive();
    platform::reply(super::reviews::form(&db, me, today).await)
}

/// Completes the signed-in person's review. `answers` maps each assessed
/// skill's code to "keep" or a level from 0 to 4 (the form's fields are
/// `answers[CODE]`). A plain form post goes back to `/skills`.
#[server(endpoint = "profile/complete_review")]
pub async fn complete_review(
    answers: std::collections::BTreeMap<String, String>,
) -> Result<(usize, usize), AppError> {
    use super::reviews::Answer;
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return platform::reply(Err(no_person()));
    };
    let mut parsed = Vec::with_capacity(answers.len());
    let mut errors = Vec::new();
    for (code, value) in answers {
        match value.trim() {
            "keep" => parsed.push((code, Answer::Keep)),
            v => match v.parse::<u8>() {
                Ok(level) => parsed.push((code, Answer::Change(level))),
                Err(_) => errors.push(crate::error::FieldError::new(
                    code,
                    "Choose \u{201c}Still right\u{201d} or a level from 0 to 4",
                )),
            },
        }
    }
    if !errors.is_empty() {
        return platform::reply(Err(AppError::Validation(errors)));
    }
    let db = platform::db()?;
    let done = platform::reply(
        super::reviews::complete(&db, me, &user, &parsed, chrono::Utc::now()).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!("/skills?reviewed={}", done.1));
    }
    Ok(done)
}

/// People below the signed-in manager whose skills review is overdue.
#[server(endpoint = "profile/overdue_reviews")]
pub async fn overdue_reviews() -> Result<Vec<super::model::OverdueReview>, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let Some(me) = user.person_id else {
        return Ok(Vec::new());
    };
    let db = platform::db()?;
    let today = chrono::Utc::now().date_naive();
    platform::reply(super::reviews::team_overdue(&db, me, today).await)
}

/// How many profiles are up to date in a part of the organisation: whoever
/// may see that part's organisation view.
#[server(endpoint = "profile/review_counts")]
pub async fn review_counts(unit: Option<i32>) -> Result<super::model::ReviewCounts, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let unit = platform::reply(crate::team::service::report_access(&db, &user, unit).await)?;
    let org = platform::reply(user.organisation())?;
    let today = chrono::Utc::now().date_naive();
    let counts = platform::reply(super::reviews::counts(&db, org, unit, today).await)?;
    // The organisation view's small-number rule, here rather than in the
    // page: the figures of a handful of people are not sent at all.
    Ok(super::reviews::shown_to(&user, counts))
}

/// The review cycle's settings and units' fixed dates: administrators.
#[server(endpoint = "profile/review_cycle")]
pub async fn review_cycle() -> Result<super::model::CyclePage, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::reviews::admin_page(&db, org).await)
}

/// Saves the administrator's organisation's review cycle (another
/// organisation's is its own administrators'). Each field is checked and
/// named when wrong; nothing is saved unless all are right.
#[server(endpoint = "profile/save_review_cycle")]
pub async fn save_review_cycle(
    months: String,
    remind_before_days: String,
    remind_after_days: String,
) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let settings = super::cycle::check_settings(&months, &remind_before_days, &remind_after_days)
        .map_err(|errors| {
            AppError::Validation(
                errors
                    .into_iter()
                    .map(|(f, m)| crate::error::FieldError::new(f, m))
                    .collect(),
            )
        });
    let settings = platform::reply(settings)?;
    let db = platform::db()?;
    platform::reply(super::reviews::save_settings(&db, platform::actor(), org, settings).await)?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/admin/reviews?saved=1");
    }
    Ok(())
}

/// Gives a unit a fixed due date (`date` as YYYY-MM-DD): administrators.
#[server(endpoint = "profile/set_fixed_date")]
pub async fn set_fixed_date(unit_id: String, date: String) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::error::FieldError;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let unit = unit_id.trim().parse::<i32>();
    let day = super::cycle::parse_date(&date);
    let mut errors = Vec::new();
    if unit.is_err() {
        errors.push(FieldError::new("unit_id", "Choose a unit from the list"));
    }
    if let Err(m) = &day {
        errors.push(FieldError::new("date", m.clone()));
    }
    let (Ok(unit_id), Ok(date)) = (unit, day) else {
        return platform::reply(Err(AppError::Validation(errors)));
    };
    let db = platform::db()?;
    platform::reply(
        super::reviews::set_fixed_date(&db, platform::actor(), org, unit_id, date).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/admin/reviews?saved=1");
    }
    Ok(())
}

/// Removes a unit's fixed date: administrators.
#[server(endpoint = "profile/remove_fixed_date")]
pub async fn remove_fixed_date(unit_id: i32) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::reviews::remove_fixed_date(&db, platform::actor(), org, unit_id).await)?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/admin/reviews?saved=1");
    }
    Ok(())
}

#[cfg(feature = "ssr")]
fn no_person() -> AppError {
    AppError::Conflict(
        "Your account is not linked to a staff record. Ask your Skillmap administrator to link it."
            .into(),
    )
}
