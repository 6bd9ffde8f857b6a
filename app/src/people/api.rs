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
