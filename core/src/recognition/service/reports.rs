//! Recognition seen from above: a team's recent recognition for its
//! manager, and recognition per org unit over time for HR (who is, and who
//! is not, being recognised).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};

use super::gifts::received;
use crate::entities::{badge, org_unit, person, recognition};
use crate::error::AppError;
use crate::kernel::db::placeholders;
use crate::people::model::full_name;
use crate::people::service as people;
use crate::recognition::model::{
    Colleague, REPORT_MONTHS, RecognitionReport, TEAM_DAYS, TeamItem, TeamRecognition,
    UnitRecognition,
};

/// The recognition `manager_id`'s direct reports received in the last
/// `TEAM_DAYS` days (what they chose to show), newest first, and who
/// received none.
pub async fn team_recent(
    db: &impl ConnectionTrait,
    manager_id: i32,
    now: DateTime<Utc>,
) -> Result<TeamRecognition, AppError> {
    let manager = person::Entity::find_by_id(manager_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That manager".into()))?;
    let team = person::Entity::find()
        .filter(person::Column::LineManagerId.eq(manager_id))
        .order_by_asc(person::Column::FamilyName)
        .order_by_asc(person::Column::GivenName)
        .all(db)
        .await?;
    let names: HashMap<i32, String> = team
        .iter()
        .map(|p| (p.id, full_name(&p.given_name, &p.family_name)))
        .collect();
    let ids: Vec<i32> = team.iter().map(|p| p.id).collect();
    let since = now - Duration::days(TEAM_DAYS);
    let mut items: Vec<(DateTime<Utc>, i32, TeamItem)> = Vec::new();
    for r in recognition::Entity::find()
        .filter(recognition::Column::PersonId.is_in(ids.clone()))
        .filter(recognition::Column::Hidden.eq(false))
        .filter(recognition::Column::CreatedAt.gte(since))
        .all(db)
        .await?
    {
        let (at, id, person_id) = (r.created_at, r.id, r.person_id);
        let v = received(r);
        items.push((
            at,
            id,
            TeamItem {
                person_id,
                person_name: names.get(&person_id).cloned().unwrap_or_default(),
                what: v.heading(),
                from: Some(v.from),
                message: Some(v.message),
                date: v.date,
            },
        ));
    }
    let badges = badge::Entity::find()
        .filter(badge::Column::PersonId.is_in(ids))
        .filter(badge::Column::Hidden.eq(false))
        .filter(badge::Column::RevokedAt.is_null())
        .filter(badge::Column::IssuedAt.gte(since))
        .all(db)
        .await?;
    let agreers = super::agreers(db, &badges).await?;
    let issuers = super::issuer_names(db).await?;
    for b in badges {
        let (at, id, person_id) = (b.issued_at, b.id, b.person_id);
        let view = super::view(b, &agreers, &issuers);
        items.push((
            at,
            -id,
            TeamItem {
                person_id,
                person_name: names.get(&person_id).cloned().unwrap_or_default(),
                what: format!("Badge: {}", view.title()),
                from: view.awarded_by,
                message: None,
                date: view.issued,
            },
        ));
    }
    items.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let got: HashSet<i32> = items.iter().map(|(_, _, i)| i.person_id).collect();
    Ok(TeamRecognition {
        manager_id,
        manager_name: full_name(&manager.given_name, &manager.family_name),
        not_recognised: team
            .iter()
            .filter(|p| !got.contains(&p.id))
            .map(|p| full_name(&p.given_name, &p.family_name))
            .collect(),
        team_size: team.len(),
        items: items.into_iter().map(|(_, _, i)| i).collect(),
    })
}

/// The first day of the month `back` months before `now`'s.
fn month_start(now: DateTime<Utc>, back: usize) -> NaiveDate {
    let months = now.year() * 12 + now.month0() as i32 - back as i32;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or_default()
}

/// Endorsements and awards received by each unit's staff of organisation
/// `org` in the last `REPORT_MONTHS` months (this one included), by month,
/// and the share of staff who received any. With `unit` (one of the
/// organisation's; another is not found), also that unit's staff who
/// received none. Badges are left out: they follow agreed levels, not
/// people's choices to recognise.
pub async fn report(
    db: &impl ConnectionTrait,
    org: i32,
    unit: Option<i32>,
    now: DateTime<Utc>,
) -> Result<RecognitionReport, AppError> {
    let starts: Vec<NaiveDate> = (0..REPORT_MONTHS)
        .rev()
        .map(|back| month_start(now, back))
        .collect();
    let since = Utc.from_utc_datetime(&starts[0].and_hms_opt(0, 0, 0).unwrap_or_default());
    let month_of = |at: DateTime<Utc>| {
        let d = at.date_naive();
        starts.iter().rposition(|s| *s <= d)
    };
    // Staff per unit, and what they received in the period with their
    // unit: both grouped or filtered in the database, so a 20,000-strong
    // trust is not read into memory person by person.
    let backend = db.get_database_backend();
    let mut per_unit: HashMap<i32, UnitRecognition> = HashMap::new();
    let blank = |unit_id: i32| UnitRecognition {
        unit_id,
        unit: String::new(),
        staff: 0,
        per_month: vec![0; REPORT_MONTHS],
        recognised: 0,
    };
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                "SELECT org_unit_id AS unit, COUNT(*) AS n FROM person \
                 WHERE organisation_id = ? GROUP BY org_unit_id",
            ),
            [org.into()],
        ))
        .await?
    {
        let unit: i32 = row.try_get("", "unit")?;
        let n: i64 = row.try_get("", "n")?;
        per_unit.entry(unit).or_insert_with(|| blank(unit)).staff = n.max(0) as u64;
    }
    let given = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                "SELECT p.org_unit_id AS unit, r.person_id AS person, r.created_at AS at \
                 FROM recognition r JOIN person p ON p.id = r.person_id \
                 WHERE p.organisation_id = ? AND r.created_at >= ?",
            ),
            [org.into(), since.into()],
        ))
        .await?;
    let mut recognised: HashSet<i32> = HashSet::new();
    for row in given {
        let unit: i32 = row.try_get("", "unit")?;
        let person: i32 = row.try_get("", "person")?;
        let at: DateTime<Utc> = row.try_get("", "at")?;
        let Some(m) = month_of(at) else { continue };
        let entry = per_unit.entry(unit).or_insert_with(|| blank(unit));
        entry.per_month[m] += 1;
        if recognised.insert(person) {
            entry.recognised += 1;
        }
    }
    // The organisation's units only: a unit of another is not found below.
    let names: HashMap<i32, String> = org_unit::Entity::find()
        .filter(org_unit::Column::OrganisationId.eq(org))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut rows: Vec<UnitRecognition> = per_unit
        .into_values()
        .map(|mut r| {
            r.unit = names.get(&r.unit_id).cloned().unwrap_or_default();
            r
        })
        .collect();
    rows.sort_by(|a, b| a.unit.cmp(&b.unit).then(a.unit_id.cmp(&b.unit_id)));
    let mut total = blank(0);
    total.unit = "All units".into();
    for r in &rows {
        total.staff += r.staff;
        total.recognised += r.recognised;
        for (t, n) in total.per_month.iter_mut().zip(&r.per_month) {
            *t += n;
        }
    }
    let unit = match unit {
        None => None,
        Some(id) => {
            let name = names
                .get(&id)
                .cloned()
                .ok_or_else(|| AppError::NotFound("That unit".into()))?;
            let left_out: Vec<person::Model> = person::Entity::find()
                .filter(person::Column::OrgUnitId.eq(id))
                .order_by_asc(person::Column::FamilyName)
                .order_by_asc(person::Column::GivenName)
                .all(db)
                .await?
                .into_iter()
                .filter(|p| !recognised.contains(&p.id))
                .collect();
            let people = people::summarise(db, left_out)
                .await?
                .into_iter()
                .map(Colleague::from)
                .collect();
            Some((name, people))
        }
    };
    Ok(RecognitionReport {
        months: starts
            .iter()
            .map(|d| d.format("%b %Y").to_string())
            .collect(),
        rows,
        total,
        unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_back_across_a_year_end() {
        let now = Utc.with_ymd_and_hms(2026, 2, 14, 9, 0, 0).unwrap();
        assert_eq!(
            month_start(now, 0),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        assert_eq!(
            month_start(now, 5),
            NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()
        );
        assert_eq!(
            month_start(now, 14),
            NaiveDate::from_ymd_opt(2024, 12, 1).unwrap()
        );
    }
}
