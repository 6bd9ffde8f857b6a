use leptos::prelude::*;

use super::model::{FrameworkAdmin, FrameworkView, ImportPreview};
use crate::error::AppError;

/// The current framework with the viewer's organisation's own skills,
/// optionally narrowed to skills matching `query`.
#[server(endpoint = "framework/current")]
pub async fn current_framework(query: Option<String>) -> Result<FrameworkView, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    // The shared framework, with the viewer's organisation's own skills.
    let view = platform::reply(match user.organisation_id {
        Some(org) => super::read::current_for(&db, org).await,
        None => super::read::current(&db).await,
    })?;
    Ok(view.filtered(query.as_deref().unwrap_or_default()))
}

/// The administrators' framework page: what is in use and what the caller
/// may publish (their organisation's own skills; the shared framework for
/// the workforce lead, or in a deployment of one organisation).
#[server(endpoint = "framework/admin")]
pub async fn manage_framework() -> Result<FrameworkAdmin, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin, Role::Lead])?;
    let db = platform::db()?;
    platform::reply(super::service::admin_view(&db, &user).await)
}

/// Checks a framework file (JSON or CSV, pasted) and keeps it as a draft to
/// preview, as the next version of the caller's organisation's own skills
/// (`scope` "own") or of the shared framework ("shared"): administrators,
/// and the workforce lead (the shared framework). A plain form post goes on
/// to the preview.
#[server(endpoint = "framework/upload")]
pub async fn upload_framework(
    document: String,
    source_name: Option<String>,
    scope: Option<String>,
) -> Result<i32, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let admin = platform::require_role(&[Role::Admin, Role::Lead])?;
    let db = platform::db()?;
    let publisher = platform::reply(super::service::publisher(&db, &admin).await)?;
    // "own": the caller's organisation's own skills; "shared": the shared
    // framework. Without a choice, the shared one for whoever may publish
    // it (as before organisations had their own), else their own.
    let scope = platform::reply(match scope.as_deref().unwrap_or_default() {
        "own" => publisher.organisation.map(Some).ok_or_else(|| {
            AppError::validation(
                "scope",
                "You belong to no organisation: choose the shared framework",
            )
        }),
        "shared" if publisher.shared => Ok(None),
        "shared" => Err(AppError::validation(
            "scope",
            "The workforce lead publishes the shared framework for every organisation: choose your organisation's own skills",
        )),
        "" if publisher.shared => Ok(None),
        "" => Ok(publisher.organisation),
        _ => Err(AppError::validation(
            "scope",
            "Choose your organisation's own skills or the shared framework",
        )),
    })?;
    let id = platform::reply(
        super::service::create_draft(
            &db,
            admin.account_id,
            scope,
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

/// What publishing an uploaded file would change: administrators (their
/// organisation's own skills) and the workforce lead (the shared framework).
#[server(endpoint = "framework/preview")]
pub async fn preview_import(draft_id: i32) -> Result<ImportPreview, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin, Role::Lead])?;
    let db = platform::db()?;
    let publisher = platform::reply(super::service::publisher(&db, &user).await)?;
    platform::reply(super::service::preview(&db, publisher, draft_id).await)
}

/// Publishes an uploaded file as the next version of the framework it was
/// checked for: administrators (their organisation's own skills) and the
/// workforce lead (the shared framework).
#[server(endpoint = "framework/publish")]
pub async fn publish_import(draft_id: i32) -> Result<i32, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Admin, Role::Lead])?;
    let db = platform::db()?;
    let publisher = platform::reply(super::service::publisher(&db, &user).await)?;
    let published = platform::reply(
        super::service::publish_draft(&db, crate::platform::actor(), publisher, draft_id).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(if published.own {
            "/framework?published=own"
        } else {
            "/framework?published=1"
        });
    }
    Ok(published.version)
}
