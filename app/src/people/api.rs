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
