use leptos::prelude::*;

use super::model::{FrameworkView, ImportPreview};
use crate::error::AppError;

/// The current framework, optionally narrowed to skills matching `query`.
#[server(endpoint = "framework/current")]
pub async fn current_framework(query: Option<String>) -> Result<FrameworkView, AppError> {
    use crate::platform;
    platform::require_user()?;
    let db = platform::db()?;
    let view = platform::reply(super::read::current(&db).await)?;
    Ok(view.filtered(query.as_deref().unwrap_or_default()))
}

/// Checks a framework file (JSON or CSV, pasted) and keeps it as a draft to
/// preview: administrators only. A plain form post goes on to the preview.
#[server(endpoint = "framework/upload")]
pub async fn upload_framework(
    document: String,
    source_name: Option<String>,
) -> Result<i32, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let admin = platform::require_role(&[Role::Admin])?;
    let db = platform::db()?;
    let id = platform::reply(
        super::service::create_draft(
            &db,
            admin.account_id,
            source_name.as_deref().unwrap_or_default(),
            &document,
        )
        .await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!("/admin/framework/imports/{id}"));
    }
    Ok(id)
}

/// What publishing an uploaded file would change: administrators only.
#[server(endpoint = "framework/preview")]
pub async fn preview_import(draft_id: i32) -> Result<ImportPreview, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    platform::require_role(&[Role::Admin])?;
    let db = platform::db()?;
    platform::reply(super::service::preview(&db, draft_id).await)
}

/// Publishes an uploaded file as the next framework version: administrators only.
#[server(endpoint = "framework/publish")]
pub async fn publish_import(draft_id: i32) -> Result<i32, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    platform::require_role(&[Role::Admin])?;
    let db = platform::db()?;
    let version = platform::reply(
        super::service::publish_draft(&db, crate::platform::actor(), draft_id).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect("/framework?published=1");
    }
    Ok(version)
}
