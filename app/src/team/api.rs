//! Server functions for the team heatmap and the organisation view. Each
//! authorizes first: a manager sees the people they manage, a unit's leader
//! that unit and the units below it, HR and administrators everything.

use leptos::prelude::*;

use super::model::{Choice, Heatmap, OrgReport};
use crate::error::AppError;

/// A manager's team as a heatmap (the caller's own team when `manager` is
/// empty), filtered and sorted as `HeatQuery` describes, one page of people
/// at a time.
#[server(endpoint = "team/heatmap")]
pub async fn team_heatmap(
    manager: Option<i32>,
    all: Option<bool>,
    sort: Option<String>,
    domain: Option<String>,
    role: Option<String>,
    required: Option<bool>,
    page: Option<usize>,
) -> Result<Heatmap, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let manager = platform::reply(super::service::heatmap_access(&db, &user, manager).await)?;
    let all = all.unwrap_or(false);
    let map = platform::reply(super::service::heatmap(&db, manager, all).await)?;
    Ok(map
        .shaped(super::model::HeatQuery {
            manager: Some(manager),
            all,
            sort,
            domain,
            role,
            required: required.unwrap_or(false),
            page,
        })
        .one_page(super::model::HEAT_PAGE_SIZE))
}

/// Everyone who manages someone, to choose a team: HR and administrators.
#[server(endpoint = "team/managers")]
pub async fn team_managers() -> Result<Vec<Choice>, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    platform::require_role(&[Role::Hr, Role::Admin])?;
    let db = platform::db()?;
    platform::reply(super::service::managers(&db).await)
}

/// The organisation view of a unit (the viewer's own by default).
#[server(endpoint = "team/organisation")]
pub async fn organisation_report(
    unit: Option<i32>,
    domain: Option<String>,
) -> Result<OrgReport, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let unit = platform::reply(super::service::report_access(&db, &user, unit).await)?;
    platform::reply(super::service::org_report(&db, &user, unit, domain).await)
}
