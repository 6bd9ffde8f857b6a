//! Reads of the organisation tree and its people.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, Statement,
};

use super::model::{OrgCounts, PersonDetail, PersonLink, PersonSummary, full_name};
use crate::entities::{account, job_role, org_unit, person};
use crate::error::AppError;

/// Summaries for these people, with their job titles and team names.
pub(crate) async fn summarise(
    db: &impl ConnectionTrait,
    people: Vec<person::Model>,
) -> Result<Vec<PersonSummary>, AppError> {
    let role_ids: Vec<i32> = people.iter().filter_map(|p| p.job_role_id).collect();
    let unit_ids: Vec<i32> = people.iter().map(|p| p.org_unit_id).collect();
    let roles: HashMap<i32, String> = job_role::Entity::find()
        .filter(job_role::Column::Id.is_in(role_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.title))
        .collect();
    let units: HashMap<i32, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(unit_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(people
        .into_iter()
        .map(|p| PersonSummary {
            id: p.id,
            name: full_name(&p.given_name, &p.family_name),
            employee_number: p.employee_number,
            job_title: p.job_role_id.and_then(|id| roles.get(&id).cloned()),
            staff_group: p.staff_group,
            band: p.band,
            team: units.get(&p.org_unit_id).cloned().unwrap_or_default(),
        })
        .collect())
}

pub async fn direct_reports(
    db: &impl ConnectionTrait,
    manager_id: i32,
) -> Result<Vec<PersonSummary>, AppError> {
    let people = person::Entity::find()
        .filter(person::Column::LineManagerId.eq(manager_id))
        .order_by_asc(person::Column::FamilyName)
        .order_by_asc(person::Column::GivenName)
        .all(db)
        .await?;
    summarise(db, people).await
}

pub async fn summary(db: &impl ConnectionTrait, person_id: i32) -> Result<PersonSummary, AppError> {
    Ok(with_summary(db, person_id).await?.1)
}

/// A person's row and their summary, in one query (every "my skills" page
/// and every profile asks for both).
pub(crate) async fn with_summary(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<(person::Model, PersonSummary), AppError> {
    let backend = db.get_database_backend();
    let sql = "SELECT p.*, j.title AS job_title, u.name AS unit_name FROM person p \
               LEFT JOIN job_role j ON j.id = p.job_role_id \
               LEFT JOIN org_unit u ON u.id = p.org_unit_id WHERE p.id = ?";
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            crate::kernel::db::placeholders(backend, sql),
            [person_id.into()],
        ))
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let p = person::Model::from_query_result(&row, "")?;
    let summary = PersonSummary {
        id: p.id,
        name: full_name(&p.given_name, &p.family_name),
        employee_number: p.employee_number.clone(),
        job_title: row.try_get("", "job_title")?,
        staff_group: p.staff_group.clone(),
        band: p.band.clone(),
        team: row
            .try_get::<Option<String>>("", "unit_name")?
            .unwrap_or_default(),
    };
    Ok((p, summary))
}

pub async fn detail(db: &impl ConnectionTrait, person_id: i32) -> Result<PersonDetail, AppError> {
    let p = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let line_manager = match p.line_manager_id {
        Some(id) => person::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| PersonLink {
                id: m.id,
                name: full_name(&m.given_name, &m.family_name),
            }),
        None => None,
    };
    let org_path = org_path(db, p.org_unit_id).await?;
    let email = p.email.clone();
    let direct_reports = direct_reports(db, p.id).await?;
    let moves = moves_of(db, p.id).await?;
    let summary = summarise(db, vec![p]).await?.remove(0);
    Ok(PersonDetail {
        summary,
        email,
        line_manager,
        org_path,
        direct_reports,
        moves,
        other_organisations: crate::entities::organisation::Entity::find()
            .count(db)
            .await?
            > 1,
    })
}

/// Names from the trust down to this unit.
pub async fn org_path(db: &impl ConnectionTrait, unit_id: i32) -> Result<Vec<String>, AppError> {
    let mut path = Vec::new();
    let mut next = Some(unit_id);
    while let Some(id) = next {
        if path.len() > 32 {
            break;
        }
        match org_unit::Entity::find_by_id(id).one(db).await? {
            Some(u) => {
                next = u.parent_id;
                path.push(u.name);
            }
            None => break,
        }
    }
    path.reverse();
    Ok(path)
}

/// The sizes of organisation `org`: its units, people, job roles and
/// accounts (another organisation's are never counted).
pub async fn counts(db: &impl ConnectionTrait, org: i32) -> Result<OrgCounts, AppError> {
    let units = |kind: &'static str| {
        org_unit::Entity::find()
            .filter(org_unit::Column::OrganisationId.eq(org))
            .filter(org_unit::Column::Kind.eq(kind))
            .count(db)
    };
    let accounts = || account::Entity::find().filter(account::Column::OrganisationId.eq(org));
    Ok(OrgCounts {
        directorates: units("directorate").await?,
        teams: units("team").await?,
        people: person::Entity::find()
            .filter(person::Column::OrganisationId.eq(org))
            .count(db)
            .await?,
        job_roles: job_role::Entity::find()
            .filter(job_role::Column::OrganisationId.eq(org))
            .count(db)
            .await?,
        accounts: accounts().count(db).await?,
        disabled_accounts: accounts()
            .filter(account::Column::Disabled.eq(true))
            .count(db)
            .await?,
    })
}

/// People of organisation `org` whose name, employee number or email
/// contains `query` (at most `limit`), and how many match in all.
pub async fn search(
    db: &impl ConnectionTrait,
    org: i32,
    query: &str,
    limit: u64,
) -> Result<(Vec<PersonSummary>, u64), AppError> {
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    use sea_orm::{Condition, QuerySelect};
    let q = query.trim().to_lowercase();
    let mut find = person::Entity::find().filter(person::Column::OrganisationId.eq(org));
    if !q.is_empty() {
        let pattern = format!("%{}%", q.replace(['%', '_'], ""));
        let lower = |c: person::Column| Expr::expr(Func::lower(Expr::col(c)));
        let mut any = Condition::any()
            .add(lower(person::Column::GivenName).like(pattern.clone()))
            .add(lower(person::Column::FamilyName).like(pattern.clone()))
            .add(lower(person::Column::EmployeeNumber).like(pattern.clone()))
            .add(lower(person::Column::Email).like(pattern.clone()));
        // "Asha Patel": first and last name together.
        if let Some((given, family)) = q.split_once(' ') {
            any = any.add(
                Condition::all()
                    .add(lower(person::Column::GivenName).like(format!("{}%", given.trim())))
                    .add(lower(person::Column::FamilyName).like(format!("{}%", family.trim()))),
            );
        }
        find = find.filter(any);
    }
    let total = find.clone().count(db).await?;
    let people = find
        .order_by_asc(person::Column::FamilyName)
        .order_by_asc(person::Column::GivenName)
        .limit(limit)
        .all(db)
        .await?;
    Ok((summarise(db, people).await?, total))
}

/// The person with this employee number (surrounding spaces ignored).
pub async fn id_by_employee_number(
    db: &impl ConnectionTrait,
    number: &str,
) -> Result<Option<i32>, AppError> {
    Ok(person::Entity::find()
        .filter(person::Column::EmployeeNumber.eq(number.trim()))
        .one(db)
        .await?
        .map(|p| p.id))
}

/// Line-management chains are short; this bounds a corrupt (cyclic) one.
const MAX_CHAIN: usize = 64;

/// True when `manager` is above `person` in the line-management chain.
pub async fn manages(db: &impl ConnectionTrait, manager: i32, person: i32) -> Result<bool, DbErr> {
    let mut current = person;
    for _ in 0..MAX_CHAIN {
        let Some(row) = person::Entity::find_by_id(current).one(db).await? else {
            return Ok(false);
        };
        match row.line_manager_id {
            Some(m) if m == manager => return Ok(true),
            Some(m) => current = m,
            None => return Ok(false),
        }
    }
    Ok(false)
}

/// The people who have `person_id` as line manager keep their records with
/// no line manager recorded (they leave, or move to another organisation),
/// until one is set.
pub async fn release_reports(db: &impl ConnectionTrait, person_id: i32) -> Result<(), AppError> {
    person::Entity::update_many()
        .col_expr(
            person::Column::LineManagerId,
            sea_orm::sea_query::Expr::value(Option::<i32>::None),
        )
        .filter(person::Column::LineManagerId.eq(person_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A person's moves between organisations, oldest first.
pub async fn moves_of(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Vec<super::model::MoveRecord>, AppError> {
    let rows = crate::entities::person_move::Entity::find()
        .filter(crate::entities::person_move::Column::PersonId.eq(person_id))
        .order_by_asc(crate::entities::person_move::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let names: std::collections::HashMap<i32, String> =
        crate::entities::organisation::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
    let name = |id: i32| names.get(&id).cloned().unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|m| super::model::MoveRecord {
            from: name(m.from_organisation_id),
            to: name(m.to_organisation_id),
            on: m.moved_at.format("%-d %B %Y").to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{counts, manages, search};
    use crate::kernel::testing::{ORG, test_db, tiny_org};

    /// HR's search and the home page's sizes are their organisation's:
    /// another's people, units and roles are neither found nor counted.
    #[tokio::test]
    async fn search_and_counts_are_the_organisations() {
        let t = test_db().await;
        let db = &t.db;
        tiny_org(db).await;
        let fixture = crate::kernel::testing::other_org(db).await;
        let other = fixture.org;
        fixture.person(db, "Yan", None).await;
        let (found, total) = search(db, ORG, "test", 50).await.unwrap();
        assert_eq!(total, 4);
        assert!(found.iter().all(|p| p.name != "Yan Test"), "{found:?}");
        let (found, total) = search(db, other, "test", 50).await.unwrap();
        assert_eq!((found.len(), total), (1, 1));
        assert_eq!(search(db, ORG, "yan", 50).await.unwrap().1, 0);
        let ours = counts(db, ORG).await.unwrap();
        assert_eq!((ours.people, ours.teams, ours.job_roles), (4, 1, 1));
        let theirs = counts(db, other).await.unwrap();
        assert_eq!((theirs.people, theirs.teams, theirs.job_roles), (1, 1, 0));
    }

    #[tokio::test]
    async fn managers_manage_their_whole_subtree_only() {
        let t = test_db().await;
        let o = tiny_org(&t.db).await;
        assert!(manages(&t.db, o.m, o.a).await.unwrap());
        assert!(manages(&t.db, o.m, o.b).await.unwrap(), "two levels down");
        assert!(manages(&t.db, o.a, o.b).await.unwrap());
        assert!(!manages(&t.db, o.a, o.m).await.unwrap(), "not upwards");
        assert!(!manages(&t.db, o.m, o.c).await.unwrap(), "not sideways");
        assert!(!manages(&t.db, o.m, o.m).await.unwrap(), "not oneself");
        assert!(!manages(&t.db, o.m, 9999).await.unwrap(), "not the unknown");
    }
}
