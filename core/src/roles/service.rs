use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

use super::model::{JobRoleDetail, JobRoleInput, JobRoleRow, RequirementRow};
use crate::audit::model::Action;
use crate::entities::{job_role, person, role_requirement};
use crate::error::AppError;
use crate::framework::read as framework;
use crate::kernel::audit;
use crate::kernel::audit::Actor;
use crate::kernel::tenant::{Owned, ensure_in};

/// The job roles of organisation `org`, with their requirement and people
/// counts.
pub async fn list(db: &impl ConnectionTrait, org: i32) -> Result<Vec<JobRoleRow>, AppError> {
    let roles = job_role::Entity::find()
        .filter(job_role::Column::OrganisationId.eq(org))
        .order_by_asc(job_role::Column::Title)
        .all(db)
        .await?;
    // Counted in the database: one row per role, however many staff; only
    // the organisation's roles and people.
    let own_roles = Query::select()
        .column(job_role::Column::Id)
        .from(job_role::Entity)
        .and_where(job_role::Column::OrganisationId.eq(org))
        .to_owned();
    let requirements = count_by_role(
        role_requirement::Entity::find()
            .filter(role_requirement::Column::JobRoleId.in_subquery(own_roles))
            .select_only()
            .column(role_requirement::Column::JobRoleId)
            .column_as(Expr::col(role_requirement::Column::Id).count(), "n")
            .group_by(role_requirement::Column::JobRoleId)
            .into_tuple::<(Option<i32>, i64)>()
            .all(db)
            .await?,
    );
    let people = count_by_role(
        person::Entity::find()
            .filter(person::Column::OrganisationId.eq(org))
            .select_only()
            .column(person::Column::JobRoleId)
            .column_as(Expr::col(person::Column::Id).count(), "n")
            .group_by(person::Column::JobRoleId)
            .into_tuple::<(Option<i32>, i64)>()
            .all(db)
            .await?,
    );
    Ok(roles
        .into_iter()
        .map(|r| row(r, &requirements, &people))
        .collect())
}

fn count_by_role(rows: Vec<(Option<i32>, i64)>) -> HashMap<i32, usize> {
    rows.into_iter()
        .filter_map(|(role, n)| role.map(|r| (r, usize::try_from(n).unwrap_or(0))))
        .collect()
}

fn row(
    r: job_role::Model,
    requirements: &HashMap<i32, usize>,
    people: &HashMap<i32, usize>,
) -> JobRoleRow {
    JobRoleRow {
        requirements: requirements.get(&r.id).copied().unwrap_or(0),
        people: people.get(&r.id).copied().unwrap_or(0),
        id: r.id,
        code: r.code,
        title: r.title,
        staff_group: r.staff_group,
        band: r.band,
    }
}

/// A job role of organisation `org`; one of another organisation is not
/// found, as a missing one.
pub async fn detail(
    db: &impl ConnectionTrait,
    org: i32,
    id: i32,
    editable: bool,
) -> Result<JobRoleDetail, AppError> {
    let role = job_role::Entity::find_by_id(id)
        .filter(job_role::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That job role".into()))?;
    let reqs = role_requirement::Entity::find()
        .filter(role_requirement::Column::JobRoleId.eq(id))
        .all(db)
        .await?;
    let people = person::Entity::find()
        .filter(person::Column::JobRoleId.eq(id))
        .count(db)
        .await? as usize;
    // A role may require its organisation's own skills too.
    let fw = framework::current_for(db, org).await?;
    let mut requirements: Vec<RequirementRow> = Vec::new();
    let mut other_skills = Vec::new();
    for s in fw.skills() {
        match reqs.iter().find(|r| r.skill_code == s.code) {
            Some(r) => requirements.push(RequirementRow {
                skill_code: s.code.clone(),
                skill_name: s.name.clone(),
                domain: s.domain.clone(),
                level: r.level.clamp(0, 4) as u8,
                essential: r.essential,
            }),
            None => other_skills.push((s.code.clone(), s.name.clone())),
        }
    }
    let count = requirements.len();
    let counts = HashMap::from([(role.id, count)]);
    let people_counts = HashMap::from([(role.id, people)]);
    Ok(JobRoleDetail {
        role: row(role, &counts, &people_counts),
        requirements,
        other_skills,
        editable,
    })
}

/// Creates a job role of organisation `org` (no id) or changes one of its
/// roles (another organisation's id is not found). Codes are unique.
pub async fn save(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    org: i32,
    id: Option<i32>,
    input: &JobRoleInput,
) -> Result<i32, AppError> {
    if let Some(id) = id {
        ensure_in(db, org, Owned::JobRole, id).await?;
    }
    let input = input.validated()?;
    // The database keeps codes unique across the whole deployment, so a
    // code another organisation uses is refused too, without naming its
    // role.
    let clash = job_role::Entity::find()
        .filter(job_role::Column::Code.eq(&input.code))
        .one(db)
        .await?;
    if let Some(other) = clash
        && Some(other.id) != id
    {
        let message = if other.organisation_id == org {
            format!(
                "Another job role ({}) already has the code {}",
                other.title, input.code
            )
        } else {
            format!(
                "A job role with the code {} already exists in the system; choose another code",
                input.code
            )
        };
        return Err(AppError::validation("code", message));
    }
    let txn = crate::kernel::begin_write(db).await?;
    let model = match id {
        Some(id) => {
            let existing = job_role::Entity::find_by_id(id)
                .filter(job_role::Column::OrganisationId.eq(org))
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::NotFound("That job role".into()))?;
            let mut active: job_role::ActiveModel = existing.into();
            active.code = Set(input.code);
            active.title = Set(input.title);
            active.staff_group = Set(input.staff_group);
            active.band = Set(input.band);
            active.update(&txn).await?
        }
        None => {
            job_role::ActiveModel {
                organisation_id: Set(org),
                code: Set(input.code),
                title: Set(input.title),
                staff_group: Set(input.staff_group),
                band: Set(input.band),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let detail = if id.is_some() { "changed" } else { "created" };
    audit::record(
        &txn,
        by,
        Action::RoleSaved,
        Some(("role", model.id)),
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(model.id)
}

/// Adds a required skill to a role, or changes its level.
pub async fn set_requirement(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    role_id: i32,
    skill_code: &str,
    level: Option<u8>,
    essential: bool,
) -> Result<(), AppError> {
    let level = super::model::validate_requirement_level(level)?;
    let Some(role) = job_role::Entity::find_by_id(role_id).one(db).await? else {
        return Err(AppError::NotFound("That job role".into()));
    };
    if !framework::skill_codes_for(db, role.organisation_id)
        .await?
        .iter()
        .any(|c| c == skill_code)
    {
        return Err(AppError::validation(
            "skill_code",
            format!("There is no skill {skill_code:?} in the framework"),
        ));
    }
    let txn = crate::kernel::begin_write(db).await?;
    let existing = role_requirement::Entity::find()
        .filter(role_requirement::Column::JobRoleId.eq(role_id))
        .filter(role_requirement::Column::SkillCode.eq(skill_code))
        .one(&txn)
        .await?;
    match existing {
        Some(r) => {
            let mut active: role_requirement::ActiveModel = r.into();
            active.level = Set(i16::from(level));
            active.essential = Set(essential);
            active.update(&txn).await?;
        }
        None => {
            role_requirement::ActiveModel {
                job_role_id: Set(role_id),
                skill_code: Set(skill_code.to_string()),
                level: Set(i16::from(level)),
                essential: Set(essential),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    refresh_role_units(&txn, role_id).await?;
    let need = if essential { "essential" } else { "desirable" };
    let detail = format!("{skill_code} at level {level}, {need}");
    audit::record(
        &txn,
        by,
        Action::RequirementSet,
        Some(("role", role_id)),
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The reports count everyone in a role against its requirements.
async fn refresh_role_units(db: &impl ConnectionTrait, role_id: i32) -> Result<(), AppError> {
    use crate::team::summary;
    let units = summary::units_with_role(db, role_id).await?;
    summary::refresh_units(db, &units).await
}

pub async fn remove_requirement(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    role_id: i32,
    skill_code: &str,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    let res = role_requirement::Entity::delete_many()
        .filter(role_requirement::Column::JobRoleId.eq(role_id))
        .filter(role_requirement::Column::SkillCode.eq(skill_code))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound("That requirement".into()));
    }
    refresh_role_units(&txn, role_id).await?;
    let target = Some(("role", role_id));
    audit::record(&txn, by, Action::RequirementRemoved, target, skill_code).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::{ORG, test_db};

    fn nurse() -> JobRoleInput {
        JobRoleInput {
            code: "nur-rn5".into(),
            title: "Staff Nurse".into(),
            staff_group: "Nursing and Midwifery Registered".into(),
            band: "Band 5".into(),
        }
    }

    #[tokio::test]
    async fn roles_and_requirements() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let id = save(
            &t.db,
            crate::kernel::audit::Actor::system(),
            ORG,
            None,
            &nurse(),
        )
        .await
        .unwrap();
        assert!(
            matches!(
                save(
                    &t.db,
                    crate::kernel::audit::Actor::system(),
                    ORG,
                    None,
                    &nurse()
                )
                .await,
                Err(AppError::Validation(_))
            ),
            "duplicate code"
        );
        set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            id,
            "DIG-FOUND",
            Some(2),
            true,
        )
        .await
        .unwrap();
        set_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            id,
            "DIG-FOUND",
            Some(3),
            false,
        )
        .await
        .unwrap();
        assert!(
            set_requirement(
                &t.db,
                crate::kernel::audit::Actor::system(),
                id,
                "NOPE",
                Some(2),
                true
            )
            .await
            .is_err()
        );
        assert!(
            set_requirement(
                &t.db,
                crate::kernel::audit::Actor::system(),
                id,
                "DAT-LIT",
                Some(9),
                true
            )
            .await
            .is_err()
        );
        let d = detail(&t.db, ORG, id, true).await.unwrap();
        assert_eq!(d.requirements.len(), 1);
        assert_eq!(d.requirements[0].level, 3);
        assert!(!d.requirements[0].essential);
        assert_eq!(d.other_skills.len(), 26);
        remove_requirement(
            &t.db,
            crate::kernel::audit::Actor::system(),
            id,
            "DIG-FOUND",
        )
        .await
        .unwrap();
        assert!(matches!(
            remove_requirement(
                &t.db,
                crate::kernel::audit::Actor::system(),
                id,
                "DIG-FOUND"
            )
            .await,
            Err(AppError::NotFound(_))
        ));
        let list = list(&t.db, ORG).await.unwrap();
        assert_eq!(list[0].code, "NUR-RN5");
        assert_eq!(list[0].requirements, 0);
    }

    /// A second organisation in the test database.
    async fn other_organisation(db: &sea_orm::DatabaseConnection) -> i32 {
        crate::kernel::tenant::create(db, "OTHER", "Other Trust")
            .await
            .unwrap()
            .id
    }

    #[tokio::test]
    async fn another_organisations_roles_are_not_found() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let other = other_organisation(&t.db).await;
        let by = crate::kernel::audit::Actor::system;
        let theirs = save(&t.db, by(), other, None, &nurse()).await.unwrap();
        assert!(list(&t.db, ORG).await.unwrap().is_empty());
        assert_eq!(list(&t.db, other).await.unwrap().len(), 1);
        assert!(matches!(
            detail(&t.db, ORG, theirs, true).await,
            Err(AppError::NotFound(_))
        ));
        let mut changed = nurse();
        changed.code = "NUR-RN6".into();
        assert!(matches!(
            save(&t.db, by(), ORG, Some(theirs), &changed).await,
            Err(AppError::NotFound(_))
        ));
        // Their code is taken (one index for the deployment), but the
        // refusal does not name their role.
        let err = save(&t.db, by(), ORG, None, &nurse()).await.unwrap_err();
        let errors = err.field_errors();
        let message = &errors[0].message;
        assert!(
            message.contains("already exists in the system"),
            "{message}"
        );
        assert!(!message.contains("Staff Nurse"), "{message}");
        let ours = save(&t.db, by(), ORG, None, &changed).await.unwrap();
        let role = job_role::Entity::find_by_id(ours).one(&t.db).await.unwrap();
        assert_eq!(role.map(|r| r.organisation_id), Some(ORG));
    }
}
