use leptos::prelude::*;

use super::model::HomeOverview;
use crate::error::AppError;

/// What the signed-in person's home page shows.
#[server(endpoint = "home/overview")]
pub async fn load_home() -> Result<HomeOverview, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    platform::reply(super::service::overview(&db, &user).await)
}
