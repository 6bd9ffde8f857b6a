use sea_orm::{ConnectionTrait, EntityTrait};

use super::model::HomeOverview;
use crate::auth::model::{CurrentUser, Role};
use crate::entities::person;
use crate::error::AppError;
use crate::people::{model::full_name, service as people};

pub async fn overview(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
) -> Result<HomeOverview, AppError> {
    let (me, line_manager, direct_reports) = match user.person_id {
        Some(id) => {
            let me = people::summary(db, id).await?;
            let manager_id = person::Entity::find_by_id(id)
                .one(db)
                .await?
                .and_then(|p| p.line_manager_id);
            let manager = match manager_id {
                Some(m) => person::Entity::find_by_id(m)
                    .one(db)
                    .await?
                    .map(|m| full_name(&m.given_name, &m.family_name)),
                None => None,
            };
            (Some(me), manager, people::direct_reports(db, id).await?)
        }
        None => (None, None, Vec::new()),
    };
    // HR and administrators see the sizes of their own organisation.
    let org = match user.organisation_id {
        Some(org) if user.is_one_of(&[Role::Hr, Role::Admin]) => {
            Some(people::counts(db, org).await?)
        }
        _ => None,
    };
    let (progress, to_agree) = match user.person_id {
        Some(id) => (
            Some(
                crate::profile::service::profile(db, id, user)
                    .await?
                    .progress(),
            ),
            crate::profile::service::pending_review_count(db, id).await?,
        ),
        None => (None, 0),
    };
    Ok(HomeOverview {
        display_name: user.display_name.clone(),
        role: user.role,
        me,
        line_manager,
        direct_reports,
        org,
        progress,
        to_agree,
    })
}
