use leptos::prelude::*;

use super::model::{JobRoleDetail, JobRoleRow};
use crate::error::AppError;

/// Every job role of the caller's organisation, with how many skills it
/// requires and people hold it.
#[server(endpoint = "roles/list")]
pub async fn list_roles() -> Result<Vec<JobRoleRow>, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::service::list(&db, org).await)
}

/// One job role and its required skills.
#[server(endpoint = "roles/detail")]
pub async fn role_detail(role_id: i32) -> Result<JobRoleDetail, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_user()?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    let editable = user.is_one_of(&[Role::Hr, Role::Admin]);
    platform::reply(super::service::detail(&db, org, role_id, editable).await)
}

/// Creates a job role (no `role_id`) or changes one: HR and administrators.
#[server(endpoint = "roles/save")]
pub async fn save_role(
    role_id: Option<i32>,
    code: String,
    title: String,
    staff_group: String,
    band: String,
) -> Result<i32, AppError> {
    use super::model::JobRoleInput;
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    let input = JobRoleInput {
        code,
        title,
        staff_group,
        band,
    };
    let id = platform::reply(
        super::service::save(&db, crate::platform::actor(), org, role_id, &input).await,
    )?;
    if platform::guard::is_form_post() {
        leptos_axum::redirect(&format!("/roles/{id}"));
    }
    Ok(id)
}

/// Requires a skill at a level (or changes it): HR and administrators.
#[server(endpoint = "roles/set_requirement")]
pub async fn set_requirement(
    role_id: i32,
    skill_code: String,
    level: Option<u8>,
    essential: Option<String>,
) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    use crate::platform::tenant::Owned;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    // Checked here, not in the service: tests and seeding set requirements
    // with no user.
    platform::require_in_organisation(&user, Owned::JobRole, role_id).await?;
    let db = platform::db()?;
    // A checkbox sends its value only when ticked.
    let essential = essential.is_some_and(|v| v != "false");
    platform::reply(
        super::service::set_requirement(
            &db,
            crate::platform::actor(),
            role_id,
            &skill_code,
            level,
            essential,
        )
        .await,
    )
}

/// Stops requiring a skill: HR and administrators.
#[server(endpoint = "roles/remove_requirement")]
pub async fn remove_requirement(role_id: i32, skill_code: String) -> Result<(), AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    use crate::platform::tenant::Owned;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    platform::require_in_organisation(&user, Owned::JobRole, role_id).await?;
    let db = platform::db()?;
    platform::reply(
        super::service::remove_requirement(&db, crate::platform::actor(), role_id, &skill_code)
            .await,
    )
}
