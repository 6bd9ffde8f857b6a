use leptos::prelude::*;

use super::model::PersonDetail;
use crate::error::AppError;

/// A person's details: for themself, their managers, HR and administrators.
#[server(endpoint = "people/detail")]
pub async fn get_person(person_id: i32) -> Result<PersonDetail, AppError> {
    use crate::platform;
    platform::require_person_access(person_id).await?;
    let db = platform::db()?;
    platform::reply(super::service::detail(&db, person_id).await)
}

/// Finds people by name, employee number or email: HR and administrators.
#[server(endpoint = "people/search")]
pub async fn search_people(
    query: Option<String>,
) -> Result<(Vec<super::model::PersonSummary>, u64), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(
        super::service::search(&db, org, query.as_deref().unwrap_or_default(), 50).await,
    )
}

/// What moving this person to another organisation of the system would
/// do: HR and administrators of the person's organisation.
#[server(endpoint = "people/move_preview")]
pub async fn preview_move(person_id: i32) -> Result<super::model::MovePreview, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::transfer::move_preview(&db, org, person_id).await)
}

/// Moves a person to another organisation of the system (`to`, its code)
/// once HR has typed their employee number (`confirm`): HR and
/// administrators of the person's organisation (the service checks it).
/// Their skills record goes with them. A plain form post goes on to the
/// people page, which says where they went.
#[server(endpoint = "people/move")]
pub async fn move_person(
    person_id: i32,
    to: Option<String>,
    confirm: String,
) -> Result<String, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let db = platform::db()?;
    let to = to.unwrap_or_default();
    let moved_to = platform::reply(
        super::transfer::move_person(&db, platform::actor(), &user, person_id, &to, &confirm).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/people?moved=1");
    }
    Ok(moved_to)
}
