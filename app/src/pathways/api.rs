//! Server functions for learning pathways. Each authorizes first: a person
//! works on their own pathway only; a manager sees the progress of the
//! people they manage; HR and administrators keep the catalogue and see
//! uptake across the organisation.

// A server function's arguments are its form's fields: the resource form
// has ten, and the generated browser-side function repeats them.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

use super::model::{CatalogueView, MyLearning, Resource, TeamLearning, UptakeRow};
use crate::error::AppError;

/// "" and unreadable numbers from a form's select are "none chosen".
#[cfg(feature = "ssr")]
fn number<T: std::str::FromStr>(s: Option<String>) -> Option<T> {
    s.and_then(|s| s.trim().parse().ok())
}

#[cfg(feature = "ssr")]
fn no_person() -> AppError {
    AppError::Conflict(
        "Your account is not linked to a staff record, so it has no learning pathway. Ask your Skillmap administrator to link it."
            .into(),
    )
}

/// The signed-in user's staff record: a pathway is always the caller's own.
#[cfg(feature = "ssr")]
fn own_person(user: &crate::auth::model::CurrentUser) -> Result<i32, AppError> {
    match user.person_id {
        Some(id) => Ok(id),
        None => crate::platform::reply(Err(no_person())),
    }
}

/// The signed-in person's gaps, recommended pathway, mentors and accepted
/// pathway; `aspiration` is a job role they aim for, `weekly` the minutes a
/// week they can give.
#[server(endpoint = "learning/mine")]
pub async fn get_my_learning(
    aspiration: Option<String>,
    weekly: Option<String>,
) -> Result<MyLearning, AppError> {
    use crate::platform;
    let person = own_person(&platform::require_user()?)?;
    let db = platform::db()?;
    platform::reply(
        super::service::my_learning(&db, person, number(aspiration), number(weekly)).await,
    )
}

/// Accepts the recommended pathway the person saw (`plan`: its resources in
/// order, so a pathway that changed meanwhile is not accepted unseen).
#[server(endpoint = "learning/accept")]
pub async fn accept_pathway(
    aspiration: Option<String>,
    weekly: Option<String>,
    plan: String,
) -> Result<usize, AppError> {
    use crate::platform;
    let person = own_person(&platform::require_user()?)?;
    let db = platform::db()?;
    let n = platform::reply(
        super::service::accept(&db, person, number(aspiration), number(weekly), &plan).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/learning?accepted=1#pathway");
    }
    Ok(n)
}

/// Starts, finishes, resets, removes or moves a step of the person's own
/// pathway (`action`: start, done, reset, remove, up or down).
#[server(endpoint = "learning/step")]
pub async fn update_step(step_id: i32, action: String) -> Result<(), AppError> {
    use super::model::StepAction;
    use crate::platform;
    let person = own_person(&platform::require_user()?)?;
    let db = platform::db()?;
    let Some(act) = StepAction::parse(&action) else {
        return platform::reply(Err(AppError::validation(
            "action",
            "Choose start, done, reset, remove, up or down",
        )));
    };
    platform::reply(super::service::update_step(&db, person, step_id, act).await)?;
    if platform::guard::is_form_post() {
        if act == StepAction::Done {
            leptos_axum::redirect(&format!("/learning?done={step_id}#done"));
        } else {
            leptos_axum::redirect(&format!("/learning#step-{step_id}"));
        }
    }
    Ok(())
}

/// Adds mentoring with a colleague of the person's organisation (who offers
/// it, with an agreed Expert level in the skill) to the person's pathway.
#[server(endpoint = "learning/add_mentor")]
pub async fn add_mentor(mentor_id: i32, skill_code: String) -> Result<(), AppError> {
    use crate::platform;
    let person = own_person(&platform::require_user()?)?;
    let db = platform::db()?;
    platform::reply(super::service::add_mentor(&db, person, mentor_id, &skill_code).await)?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/learning#pathway");
    }
    Ok(())
}

/// The person offers (or stops offering) to mentor colleagues.
#[server(endpoint = "learning/mentoring")]
pub async fn set_mentoring(offer: Option<String>) -> Result<(), AppError> {
    use crate::platform;
    let person = own_person(&platform::require_user()?)?;
    let db = platform::db()?;
    // A checkbox sends its value only when ticked.
    let offer = offer.is_some_and(|v| v != "false");
    platform::reply(super::service::set_mentoring(&db, person, offer).await)?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/learning#mentoring");
    }
    Ok(())
}

/// A manager's team and their pathway progress (the caller's own team when
/// `manager` is empty): the manager, anyone above them, HR and
/// administrators.
#[server(endpoint = "learning/team")]
pub async fn get_team_learning(manager: Option<i32>) -> Result<TeamLearning, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let manager = platform::reply(crate::team::service::heatmap_access(&db, &user, manager).await)?;
    platform::reply(super::service::team_progress(&db, manager).await)
}

/// Pathway uptake by org unit of the caller's organisation: HR and
/// administrators.
#[server(endpoint = "learning/uptake")]
pub async fn learning_uptake() -> Result<Vec<UptakeRow>, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::service::uptake(&db, org).await)
}

/// The learning catalogue, for anyone signed in: filtered by words in the
/// title, provider or description, and by skill. HR and administrators
/// also see retired resources.
#[server(endpoint = "learning/catalogue")]
pub async fn catalogue(
    query: Option<String>,
    skill: Option<String>,
) -> Result<CatalogueView, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let editable = user.is_one_of(&[Role::Hr, Role::Admin]);
    let all = platform::reply(super::service::resources(&db, editable).await)?;
    let fw = platform::reply(crate::framework::read::current(&db).await)?;
    let skills: Vec<(String, String)> = fw
        .skills()
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect();
    let total = all.len();
    let words: Vec<String> = query
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let skill = skill.filter(|s| !s.trim().is_empty());
    let resources = all
        .into_iter()
        .filter(|r| {
            let text =
                format!("{} {} {} {}", r.code, r.title, r.provider, r.description).to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
                && skill
                    .as_ref()
                    .is_none_or(|s| r.covers.iter().any(|c| &c.skill_code == s))
        })
        .collect();
    Ok(CatalogueView {
        resources,
        skills,
        total,
        editable,
    })
}

/// One catalogue resource, for anyone signed in.
#[server(endpoint = "learning/resource")]
pub async fn learning_resource(resource_id: i32) -> Result<Resource, AppError> {
    use crate::platform;
    platform::require_user()?;
    let db = platform::db()?;
    platform::reply(super::service::resource(&db, resource_id).await)
}

/// Adds a resource (no `resource_id`) or changes one: HR and administrators.
#[server(endpoint = "learning/save_resource")]
pub async fn save_resource(
    resource_id: Option<i32>,
    code: String,
    title: String,
    provider: String,
    url: String,
    format: String,
    minutes: String,
    cost: String,
    description: String,
    skills: String,
) -> Result<i32, AppError> {
    use super::model::ResourceInput;
    use crate::auth::model::Role;
    use crate::platform;
    platform::require_role(&[Role::Hr, Role::Admin])?;
    let db = platform::db()?;
    let input = ResourceInput {
        code,
        title,
        provider,
        url,
        format,
        minutes,
        cost,
        description,
        skills,
    };
    let id = platform::reply(
        super::service::save_resource(&db, crate::platform::actor(), resource_id, &input).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!("/learning/catalogue?saved={id}"));
    }
    Ok(id)
}

/// Removes a resource: HR and administrators. One that someone's pathway
/// uses is retired instead (kept for them, never recommended again).
#[server(endpoint = "learning/remove_resource")]
pub async fn remove_resource(resource_id: i32) -> Result<bool, AppError> {
    use super::service::Removed;
    use crate::auth::model::Role;
    use crate::platform;
    platform::require_role(&[Role::Hr, Role::Admin])?;
    let db = platform::db()?;
    let removed = platform::reply(
        super::service::remove_resource(&db, crate::platform::actor(), resource_id).await,
    )?;
    let retired = removed == Removed::Retired;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!(
            "/learning/catalogue?{}",
            if retired { "retired=1" } else { "deleted=1" }
        ));
    }
    Ok(retired)
}

/// Imports a catalogue file (multipart: `file`, CSV or Excel): HR and
/// administrators. Every row is checked first; any problem changes nothing.
#[server(endpoint = "learning/import", input = MultipartFormData)]
pub async fn import_catalogue(
    data: MultipartData,
) -> Result<super::model::CatalogueImport, AppError> {
    use crate::auth::model::Role;
    use crate::error::FieldError;
    use crate::platform;
    platform::require_role(&[Role::Hr, Role::Admin])?;
    let state = platform::state()?;
    let limits = state.settings.import_limits;
    let unreadable = |e: &dyn std::fmt::Display| {
        let err = AppError::Request(format!("The upload could not be read ({e}). Try again."));
        platform::guard::set_error_status(&err);
        err
    };
    let mut multipart = data.into_inner().ok_or(AppError::Internal)?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| unreadable(&e))? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(&e))? {
            if bytes.len() + chunk.len() > limits.max_bytes {
                return platform::reply(Err(AppError::validation(
                    "file",
                    format!(
                        "The file is larger than the {} limit. Split it into smaller files, or ask an administrator to raise SKILLMAP_IMPORT_MAX_BYTES.",
                        skillmap_core::kernel::table::size(limits.max_bytes)
                    ),
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if !(name.is_empty() && bytes.is_empty()) {
            file = Some((name, bytes));
        }
    }
    let Some((name, bytes)) = file else {
        return platform::reply(Err(AppError::validation(
            "file",
            "Choose a CSV or Excel file to upload",
        )));
    };
    let problems_error = |problems: Vec<crate::import::model::Problem>| {
        // The first 20 (a message each), then how many more.
        let more = problems.len().saturating_sub(20);
        let mut errors: Vec<FieldError> = problems
            .iter()
            .take(20)
            .map(|p| FieldError::new("file", p.describe()))
            .collect();
        if more > 0 {
            errors.push(FieldError::new(
                "file",
                format!("And {more} more problems. Nothing was imported."),
            ));
        }
        AppError::Validation(errors)
    };
    // Read off the async workers, within the import bounds; a file over
    // them is refused with a message naming the limit, like any problem.
    let read = platform::reply(
        crate::import::service::read_file(std::sync::Arc::new(bytes), &name, limits).await,
    )?;
    let table = match read {
        Ok(t) => t,
        Err(e) => return platform::reply(Err(problems_error(vec![e.into()]))),
    };
    let outcome = match platform::reply(
        super::service::import_catalogue(&state.db, crate::platform::actor(), &table).await,
    )? {
        Ok(o) => o,
        Err(problems) => return platform::reply(Err(problems_error(problems))),
    };
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!(
            "/learning/catalogue?created={}&updated={}&unchanged={}",
            outcome.created, outcome.updated, outcome.unchanged
        ));
    }
    Ok(outcome)
}
