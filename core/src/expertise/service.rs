//! The expertise directory against the database: interests, listings and
//! the search. Only people with a `directory_entry` row are ever found;
//! a self-assessed level counts only for those who chose to show it.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Statement, TransactionSession, TransactionTrait, Value,
};

use super::model::{
    FindQuery, FindResults, Found, FoundLevel, InterestSkill, Interests, Listing, PAGE_SIZE, Pick,
    check_interests, check_listing, pages,
};
use crate::auth::model::{CurrentUser, Role};
use crate::entities::{account, assessment, directory_entry, org_unit, person, skill_interest};
use crate::error::{AppError, FieldError};
use crate::framework::model::FrameworkView;
use crate::framework::read as framework;
use crate::kernel::db::{begin_write, placeholders};

/// A person's agreed level per skill code (agreed assessments only).
async fn agreed_levels(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<HashMap<String, u8>, AppError> {
    Ok(assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(person_id))
        .filter(assessment::Column::Status.eq("agreed"))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| a.agreed_level.map(|l| (a.skill_code, l.clamp(0, 4) as u8)))
        .collect())
}

/// The interests page of `person_id`: every skill of the current
/// framework with their choices, and their directory listing.
pub async fn interests(db: &impl ConnectionTrait, person_id: i32) -> Result<Interests, AppError> {
    let fw = framework::current_for_person(db, person_id).await?;
    let agreed = agreed_levels(db, person_id).await?;
    let chosen: HashMap<String, (bool, bool)> = skill_interest::Entity::find()
        .filter(skill_interest::Column::PersonId.eq(person_id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.skill_code, (i.develop, i.help)))
        .collect();
    let skills = fw
        .all_domains()
        .flat_map(|d| d.skills.iter().map(move |s| (d, s)))
        .map(|(d, s)| {
            let level = agreed.get(&s.code).copied();
            let (develop, help) = chosen.get(&s.code).copied().unwrap_or_default();
            InterestSkill {
                code: s.code.clone(),
                name: s.name.clone(),
                domain: d.name.clone(),
                agreed: level,
                develop,
                help,
                can_help: level.unwrap_or(0) >= super::model::HELP_LEVEL,
            }
        })
        .collect();
    Ok(Interests {
        skills,
        listing: listing(db, person_id).await?,
    })
}

/// Replaces `person_id`'s interests with these: skills they would like to
/// develop, and skills they would help others with (agreed at
/// Practitioner or above). Nothing changes when any is refused.
pub async fn save_interests<C>(
    db: &C,
    person_id: i32,
    develop: &[String],
    help: &[String],
) -> Result<(), AppError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let fw = framework::current_for_person(db, person_id).await?;
    let txn = begin_write(db).await?;
    let agreed = agreed_levels(&txn, person_id).await?;
    let errors = check_interests(develop, help, |code| {
        fw.skill(code).map(|_| agreed.get(code).copied())
    });
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    skill_interest::Entity::delete_many()
        .filter(skill_interest::Column::PersonId.eq(person_id))
        .exec(&txn)
        .await?;
    let develop: BTreeSet<&str> = develop.iter().map(String::as_str).collect();
    let help: BTreeSet<&str> = help.iter().map(String::as_str).collect();
    let now = Utc::now();
    let rows: Vec<skill_interest::ActiveModel> = develop
        .union(&help)
        .map(|code| skill_interest::ActiveModel {
            person_id: Set(person_id),
            skill_code: Set((*code).to_string()),
            develop: Set(develop.contains(code)),
            help: Set(help.contains(code)),
            updated_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        skill_interest::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    crate::team::summary::refresh_interests(&txn, person_id).await?;
    txn.commit().await?;
    Ok(())
}

/// The skills `person_id` would like to develop.
pub async fn develop_interests(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<HashSet<String>, AppError> {
    Ok(skill_interest::Entity::find()
        .filter(skill_interest::Column::PersonId.eq(person_id))
        .filter(skill_interest::Column::Develop.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.skill_code)
        .collect())
}

/// `person_id`'s directory listing (not listed when they never joined).
pub async fn listing(db: &impl ConnectionTrait, person_id: i32) -> Result<Listing, AppError> {
    Ok(
        match directory_entry::Entity::find_by_id(person_id)
            .one(db)
            .await?
        {
            Some(e) => Listing {
                listed: true,
                show_self_assessed: e.show_self_assessed,
                contact: e.contact,
            },
            None => Listing::default(),
        },
    )
}

/// Lists `person_id` in the directory, changes how, or takes them out
/// (`listed` false removes the row: nothing of it stays).
pub async fn save_listing<C>(db: &C, person_id: i32, listing: &Listing) -> Result<(), AppError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let errors = check_listing(&listing.contact);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let txn = begin_write(db).await?;
    let existing = directory_entry::Entity::find_by_id(person_id)
        .one(&txn)
        .await?;
    match (listing.listed, existing) {
        (false, Some(_)) => {
            directory_entry::Entity::delete_by_id(person_id)
                .exec(&txn)
                .await?;
        }
        (false, None) => {}
        (true, existing) => {
            let row = directory_entry::ActiveModel {
                person_id: Set(person_id),
                show_self_assessed: Set(listing.show_self_assessed),
                contact: Set(listing.contact.trim().to_string()),
                joined_at: Set(existing.map_or_else(Utc::now, |e| e.joined_at)),
            };
            directory_entry::Entity::insert(row)
                .on_conflict(
                    sea_orm::sea_query::OnConflict::column(directory_entry::Column::PersonId)
                        .update_columns([
                            directory_entry::Column::ShowSelfAssessed,
                            directory_entry::Column::Contact,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
    }
    crate::team::summary::refresh_directory(&txn, person_id).await?;
    txn.commit().await?;
    Ok(())
}

/// The matching people as SQL (`id`, `score`), with its values: listed
/// people of organisation `org` only (the `directory_level` summary holds
/// levels of listed people alone, agreed or shown self-assessed), not those
/// whose account is disabled. With skills, it reads only the index entries
/// at or above the level for those skills. Another organisation's people
/// are never found, whether or not the search names a unit.
fn matching_sql(q: &FindQuery, org: i32, units: Option<&[i32]>) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = Vec::new();
    // Integers only are inlined (the organisation and unit ids). Units come
    // from the organisation's own tree (`check_search`), and a person is
    // always of their unit's organisation, so the people of those units are
    // the organisation's; without units, a look-up by key per candidate
    // (the whole organisation as an `IN` list would be every person in it).
    let in_scope = |col: &str| match units {
        Some(ids) => format!(
            " AND {col} IN (SELECT p.id FROM person p WHERE p.org_unit_id IN ({}))",
            ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
        ),
        None => format!(
            " AND EXISTS (SELECT 1 FROM person p WHERE p.id = {col} \
             AND p.organisation_id = {org})"
        ),
    };
    let active = |col: &str| {
        format!(
            " AND NOT EXISTS (SELECT 1 FROM account ac WHERE ac.person_id = {col} \
             AND ac.disabled)"
        )
    };
    let marks = |n: usize| vec!["?"; n].join(",");
    if q.skills.is_empty() {
        let help = if q.help {
            " AND EXISTS (SELECT 1 FROM skill_interest i WHERE i.person_id = d.person_id \
             AND i.help)"
        } else {
            ""
        };
        return (
            format!(
                "SELECT d.person_id AS id, 0 AS score FROM directory_entry d \
                 WHERE 1 = 1{}{}{help}",
                in_scope("d.person_id"),
                active("d.person_id")
            ),
            values,
        );
    }
    let n = q.skills.len();
    values.extend(q.skills.iter().map(|s| Value::from(s.clone())));
    values.push(i32::from(q.level).into());
    let help = if q.help {
        values.extend(q.skills.iter().map(|s| Value::from(s.clone())));
        format!(
            " AND EXISTS (SELECT 1 FROM skill_interest i WHERE i.person_id = l.person_id \
             AND i.help AND i.skill_code IN ({}))",
            marks(n)
        )
    } else {
        String::new()
    };
    values.push((n as i32).into());
    (
        format!(
            "SELECT l.person_id AS id, SUM(l.level) AS score FROM directory_level l \
             WHERE l.skill_code IN ({}) AND l.level >= ?{}{}{help} \
             GROUP BY l.person_id HAVING COUNT(*) = ?",
            marks(n),
            in_scope("l.person_id"),
            active("l.person_id")
        ),
        values,
    )
}

/// Checks a search against the framework and organisation `org`: the unit
/// searched within (with every unit below it), or a named error (a unit of
/// another organisation is as one that does not exist).
async fn check_search(
    db: &impl ConnectionTrait,
    org: i32,
    fw: &FrameworkView,
    q: &FindQuery,
) -> Result<Option<Vec<i32>>, AppError> {
    let mut errors: Vec<FieldError> = q
        .skills
        .iter()
        .filter(|c| fw.skill(c).is_none())
        .map(|c| {
            FieldError::new(
                "skill",
                format!("{c} is not a skill of the current framework"),
            )
        })
        .collect();
    let units = match q.unit {
        Some(u) => {
            let below = crate::team::service::units_below(db, org, u).await?;
            if below.is_none() {
                errors.push(FieldError::new(
                    "unit",
                    "Choose a part of the organisation from the list",
                ));
            }
            below
        }
        None => None,
    };
    if errors.is_empty() {
        Ok(units)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The ids of every person matching, best first (highest levels, then by
/// name): one pass, so the count is the list's length and a page is a
/// slice of it.
async fn search_ids(
    db: &impl ConnectionTrait,
    org: i32,
    q: &FindQuery,
    units: Option<&[i32]>,
) -> Result<Vec<i32>, AppError> {
    let backend = db.get_database_backend();
    let (m, values) = matching_sql(q, org, units);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                &format!(
                    "SELECT m.id AS id FROM ({m}) m JOIN person p ON p.id = m.id \
                     ORDER BY m.score DESC, p.family_name, p.given_name, p.id"
                ),
            ),
            values,
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| r.try_get::<i32>("", "id"))
        .collect::<Result<Vec<_>, _>>()?)
}

/// What the results show of each person found, in `ids` order.
async fn describe_found(
    db: &impl ConnectionTrait,
    fw: &FrameworkView,
    q: &FindQuery,
    ids: &[i32],
    me: Option<i32>,
) -> Result<Vec<Found>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Name, job title and team as everywhere else (`people::service`).
    let models = person::Entity::find()
        .filter(person::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?;
    let own_email: HashMap<i32, Option<String>> =
        models.iter().map(|p| (p.id, p.email.clone())).collect();
    let people: HashMap<i32, crate::people::model::PersonSummary> =
        crate::people::service::summarise(db, models)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    let emails: HashMap<i32, String> = account::Entity::find()
        .filter(account::Column::PersonId.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| a.person_id.map(|p| (p, a.email)))
        .collect();
    let entries: HashMap<i32, directory_entry::Model> = directory_entry::Entity::find()
        .filter(directory_entry::Column::PersonId.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.person_id, e))
        .collect();
    let mut helps: HashMap<i32, Vec<String>> = HashMap::new();
    for i in skill_interest::Entity::find()
        .filter(skill_interest::Column::PersonId.is_in(ids.to_vec()))
        .filter(skill_interest::Column::Help.eq(true))
        .all(db)
        .await?
    {
        helps.entry(i.person_id).or_default().push(i.skill_code);
    }
    let mut levels: HashMap<(i32, String), assessment::Model> = HashMap::new();
    if !q.skills.is_empty() {
        for a in assessment::Entity::find()
            .filter(assessment::Column::PersonId.is_in(ids.to_vec()))
            .filter(assessment::Column::SkillCode.is_in(q.skills.clone()))
            .all(db)
            .await?
        {
            levels.insert((a.person_id, a.skill_code.clone()), a);
        }
    }
    let skill_name = |code: &str| {
        fw.skill(code)
            .map_or_else(|| code.to_string(), |s| s.name.clone())
    };
    Ok(ids
        .iter()
        .filter_map(|id| {
            let p = people.get(id)?;
            let entry = entries.get(id)?;
            let help = helps.get(id).cloned().unwrap_or_default();
            let found_levels = q
                .skills
                .iter()
                .filter_map(|code| {
                    let a = levels.get(&(*id, code.clone()))?;
                    let agreed = a.status == "agreed" && a.agreed_level.is_some();
                    let level = if agreed {
                        a.agreed_level.unwrap_or(0)
                    } else if entry.show_self_assessed {
                        a.self_level
                    } else {
                        return None;
                    };
                    Some(FoundLevel {
                        skill_code: code.clone(),
                        skill_name: skill_name(code),
                        level: level.clamp(0, 4) as u8,
                        agreed,
                        help: help.contains(code),
                    })
                })
                .collect();
            let mut helps_with: Vec<String> = help.iter().map(|c| skill_name(c)).collect();
            helps_with.sort();
            Some(Found {
                id: *id,
                name: p.name.clone(),
                job_title: p.job_title.clone(),
                team: p.team.clone(),
                email: emails
                    .get(id)
                    .cloned()
                    .or_else(|| own_email.get(id).cloned().flatten()),
                contact: entry.contact.clone(),
                levels: found_levels,
                helps_with,
                is_me: me == Some(*id),
            })
        })
        .collect())
}

/// Searches the directory of `user`'s organisation for them: anyone
/// signed in.
pub async fn find(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    q: FindQuery,
) -> Result<FindResults, AppError> {
    let org = user.organisation()?;
    let fw = framework::current_for(db, org).await?;
    let units = check_search(db, org, &fw, &q).await?;
    let all = search_ids(db, org, &q, units.as_deref()).await?;
    let matching = all.len();
    let offset = (q.page - 1).saturating_mul(PAGE_SIZE).min(matching);
    let page = &all[offset..(offset + PAGE_SIZE).min(matching)];
    let people = describe_found(db, &fw, &q, page, user.person_id).await?;
    // Listed people of the organisation.
    let own_people = sea_orm::sea_query::Query::select()
        .column(person::Column::Id)
        .from(person::Entity)
        .and_where(person::Column::OrganisationId.eq(org))
        .to_owned();
    let listed = directory_entry::Entity::find()
        .filter(directory_entry::Column::PersonId.in_subquery(own_people))
        .count(db)
        .await? as usize;
    let me_listed = match user.person_id {
        Some(me) => directory_entry::Entity::find_by_id(me)
            .one(db)
            .await?
            .is_some(),
        None => false,
    };
    let skills = fw
        .skills()
        .map(|s| Pick {
            value: s.code.clone(),
            label: s.name.clone(),
        })
        .collect();
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::OrganisationId.eq(org))
        .order_by_asc(org_unit::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| Pick {
            value: u.id.to_string(),
            label: u.name,
        })
        .collect();
    let described = q.describe(|c| {
        fw.skill(c)
            .map_or_else(|| c.to_string(), |s| s.name.clone())
    });
    Ok(FindResults {
        pages: pages(matching),
        described,
        skills,
        units,
        people,
        matching,
        listed,
        me_listed,
        can_download: user.is_one_of(&[Role::Hr, Role::Admin]),
        query: q,
    })
}

/// Every person of organisation `org` a search finds, for HR's download
/// (the caller checked the role): the same people the search shows, on one
/// sheet.
pub async fn find_all(
    db: &impl ConnectionTrait,
    org: i32,
    q: &FindQuery,
) -> Result<Vec<Found>, AppError> {
    let fw = framework::current_for(db, org).await?;
    let units = check_search(db, org, &fw, q).await?;
    let ids = search_ids(db, org, q, units.as_deref()).await?;
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(describe_found(db, &fw, q, chunk, None).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::{ORG, test_db, tiny_org, user};

    /// Every search is of one organisation's people, by skill or not: its
    /// own when no unit is named, the named units' (of its own tree) when
    /// they are.
    #[test]
    fn every_search_names_the_organisation_or_its_units() {
        let by_skill = FindQuery {
            skills: vec!["DIG-FOUND".into()],
            ..FindQuery::default()
        };
        let some: &[i32] = &[3, 4];
        for q in [FindQuery::default(), by_skill] {
            let (sql, _) = matching_sql(&q, 7, None);
            assert!(sql.contains("p.organisation_id = 7"), "{sql}");
            let (sql, _) = matching_sql(&q, 7, Some(some));
            assert!(sql.contains("p.org_unit_id IN (3,4)"), "{sql}");
        }
    }

    /// A person of another organisation who is listed is not found, not
    /// counted among those listed, and their unit is neither offered nor
    /// accepted as a place to search.
    #[tokio::test]
    async fn another_organisations_people_are_not_found() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let other = crate::kernel::testing::other_org(&t.db).await;
        let stranger = other.person(&t.db, "x", None).await;
        let listed = Listing {
            listed: true,
            show_self_assessed: true,
            contact: String::new(),
        };
        for who in [o.a, stranger] {
            save_listing(&t.db, who, &listed).await.unwrap();
        }

        let hr = user(o.c, Role::Hr);
        let found = find(&t.db, &hr, FindQuery::default()).await.unwrap();
        let ids: Vec<i32> = found.people.iter().map(|f| f.id).collect();
        assert_eq!(ids, [o.a]);
        assert_eq!((found.matching, found.listed), (1, 1));
        assert!(
            found
                .units
                .iter()
                .all(|u| u.value != other.unit.to_string())
        );
        let all: Vec<i32> = find_all(&t.db, ORG, &FindQuery::default())
            .await
            .unwrap()
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(all, [o.a]);
        let there = FindQuery {
            unit: Some(other.unit),
            ..FindQuery::default()
        };
        assert!(matches!(
            find(&t.db, &hr, there.clone()).await,
            Err(AppError::Validation(_))
        ));
        let theirs: Vec<i32> = find_all(&t.db, other.org, &there)
            .await
            .unwrap()
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(theirs, [stranger], "their own organisation finds them");
    }
}
