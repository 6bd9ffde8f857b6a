use leptos::prelude::*;

use super::model::FrameworkView;
use crate::error::AppError;

/// The current framework, optionally narrowed to skills matching `query`.
#[server(endpoint = "framework/current")]
pub async fn current_framework(query: Option<String>) -> Result<FrameworkView, AppError> {
    use crate::platform;
    platform::require_user()?;
    let db = platform::db()?;
    let view = platform::reply(super::service::current(&db).await)?;
    Ok(view.filtered(query.as_deref().unwrap_or_default()))
}
