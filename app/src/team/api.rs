//! Server functions for the team heatmap and the organisation view. Each
//! authorizes first: a manager sees the people they manage, a unit's leader
//! that unit and the units below it, HR and administrators everything of
//! their own organisation (another organisation's people and units are not
//! found).

// The heatmap's server function takes each filter of its query string as
// an argument (eight), as the page's GET form sends them.
#![allow(clippy::too_many_arguments)]

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
    interest: Option<String>,
    page: Option<usize>,
) -> Result<Heatmap, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let manager = platform::reply(super::service::heatmap_access(&db, &user, manager).await)?;
    let all = all.unwrap_or(false);
    let map = platform::reply(super::service::heatmap(&db, manager, all).await)?;
    let map = platform::reply(super::service::with_interest(&db, map, interest.as_deref()).await)?;
    Ok(map
        .shaped(super::model::HeatQuery {
            manager: Some(manager),
            all,
            sort,
            domain,
            role,
            required: required.unwrap_or(false),
            interest,
            page,
        })
        .one_page(super::model::HEAT_PAGE_SIZE))
}

/// Whether the heatmap's key is new to this browser: the first view shows
/// it open and a cookie remembers that it was read, so later views fold it
/// out of the way of the table. Anyone signed in (it says nothing about
/// anyone).
#[server(endpoint = "team/legend")]
pub async fn legend_first_view() -> Result<bool, AppError> {
    use crate::platform;
    use http::{HeaderValue, header};
    platform::require_user()?;
    const SEEN: &str = "skillmap_legend=seen";
    let seen = use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(';').any(|c| c.trim() == SEEN))
    });
    if !seen {
        let secure = if platform::state()?.settings.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        if let (Some(res), Ok(v)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            HeaderValue::from_str(&format!(
                "{SEEN}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}"
            )),
        ) {
            res.append_header(header::SET_COOKIE, v);
        }
    }
    Ok(!seen)
}

/// The people behind one figure of the integrative-leader pipeline
/// (`group`: "leaders", "near" or "interested") in `unit` and below it:
/// those who may see that unit's organisation view (HR, administrators,
/// the unit's leader and leaders above it).
#[server(endpoint = "team/pipeline_people")]
pub async fn get_pipeline_people(
    unit: i32,
    group: String,
) -> Result<super::model::PipelinePeople, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let unit = platform::reply(super::service::report_access(&db, &user, Some(unit)).await)?;
    let Some(group) = super::model::PipelineGroup::parse(&group) else {
        return platform::reply(Err(AppError::Validation(vec![
            crate::error::FieldError::new("group", "Choose leaders, near or interested"),
        ])));
    };
    let org = platform::reply(user.organisation())?;
    platform::reply(super::service::pipeline_people(&db, org, unit, group).await)
}

/// Everyone who manages someone, to choose a team: HR and administrators.
#[server(endpoint = "team/managers")]
pub async fn team_managers() -> Result<Vec<Choice>, AppError> {
    use crate::auth::model::Role;
    use crate::platform;
    let user = platform::require_role(&[Role::Hr, Role::Admin])?;
    let org = platform::reply(user.organisation())?;
    let db = platform::db()?;
    platform::reply(super::service::managers(&db, org).await)
}

/// The organisation view of a unit (the viewer's own by default), with how
/// many of its profiles are up to date: everything the page shows, in one
/// call that checks access once.
#[server(endpoint = "team/organisation")]
pub async fn organisation_report(
    unit: Option<i32>,
    domain: Option<String>,
) -> Result<OrgReport, AppError> {
    use crate::platform;
    let user = platform::require_user()?;
    let db = platform::db()?;
    let today = chrono::Utc::now().date_naive();
    platform::reply(super::service::organisation(&db, &user, unit, domain, today).await)
}
