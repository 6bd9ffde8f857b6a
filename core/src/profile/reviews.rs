//! Skills review cycles against the database: the organisation's rule and
//! units' fixed dates, each person's next review, completing one, who is
//! overdue, and the reminders. The date rules are `cycle` (pure); "today"
//! is always passed in, so a test (or `skillmap send-reminders --today`)
//! controls the clock.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Statement, TransactionSession,
    TransactionTrait,
};

use super::cycle::{
    self, CycleSettings, Due, FixedDate, ReviewState, describe, due_date, fixed_for, reminder_due,
    reminder_key,
};
use super::model::{
    CyclePage, FixedRow, OverdueReview, ReviewCounts, ReviewForm, ReviewItem, ReviewStatus,
    SelfAssessmentInput,
};
use super::review_base::{BaseEvent, base_of, bases, note_base};
use crate::audit::model::Action;
use crate::auth::model::CurrentUser;
use crate::entities::{
    assessment, org_unit, organisation, person, review_fixed_date, skills_review,
};
use crate::error::AppError;
use crate::kernel::audit::{self, Actor};
use crate::kernel::tenant::{Owned, ensure_in, organisation_of};
use crate::notifications::model::Kind;
use crate::notifications::service::{self as notices, NewNotice};
use crate::people::model::full_name;

/// Organisation `org`'s rule (the defaults until its administrator saves
/// one). Each organisation of the system has its own: one trust's
/// appraisal year is not another's.
pub async fn settings(db: &impl ConnectionTrait, org: i32) -> Result<CycleSettings, AppError> {
    Ok(rule_of(&organisation_row(db, org).await?))
}

async fn organisation_row(
    db: &impl ConnectionTrait,
    org: i32,
) -> Result<organisation::Model, AppError> {
    organisation::Entity::find_by_id(org)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("The organisation".into()))
}

/// Every organisation's rule, by organisation (the system view counts
/// units of several).
async fn rules(db: &impl ConnectionTrait) -> Result<HashMap<i32, CycleSettings>, AppError> {
    Ok(organisation::Entity::find()
        .all(db)
        .await?
        .iter()
        .map(|o| (o.id, rule_of(o)))
        .collect())
}

/// An organisation's rule from its row (a negative number, which no save
/// writes, as none).
fn rule_of(o: &organisation::Model) -> CycleSettings {
    rule_from(
        o.review_months,
        o.review_remind_before_days,
        o.review_remind_after_days,
    )
}

fn rule_from(months: i32, before: i32, after: i32) -> CycleSettings {
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    CycleSettings {
        months: n(months),
        remind_before_days: n(before),
        remind_after_days: n(after),
    }
}

/// Saves organisation `org`'s rule, in the audit trail. Another
/// organisation's dates and reminders do not change.
pub async fn save_settings(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    org: i32,
    s: CycleSettings,
) -> Result<(), AppError> {
    use sea_orm::sea_query::Expr;
    let txn = crate::kernel::begin_write(db).await?;
    let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let found = organisation::Entity::update_many()
        .col_expr(organisation::Column::ReviewMonths, Expr::value(n(s.months)))
        .col_expr(
            organisation::Column::ReviewRemindBeforeDays,
            Expr::value(n(s.remind_before_days)),
        )
        .col_expr(
            organisation::Column::ReviewRemindAfterDays,
            Expr::value(n(s.remind_after_days)),
        )
        .filter(organisation::Column::Id.eq(org))
        .exec(&txn)
        .await?;
    if found.rows_affected == 0 {
        return Err(AppError::NotFound("The organisation".into()));
    }
    let detail = format!(
        "every {} months, reminders {} days before and {} after",
        s.months, s.remind_before_days, s.remind_after_days
    );
    audit::record(&txn, by, Action::ReviewCycleSet, None, detail).await?;
    txn.commit().await?;
    Ok(())
}

/// A unit of organisation `org`'s fixed date (replacing any it had), in the
/// audit trail. A unit of another organisation is not found, as one that
/// does not exist.
pub async fn set_fixed_date(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    org: i32,
    unit_id: i32,
    date: NaiveDate,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    ensure_in(&txn, org, Owned::Unit, unit_id).await?;
    review_fixed_date::Entity::insert(review_fixed_date::ActiveModel {
        unit_id: Set(unit_id),
        due_date: Set(date),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(review_fixed_date::Column::UnitId)
            .update_columns([
                review_fixed_date::Column::DueDate,
                review_fixed_date::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let target = Some(("unit", unit_id));
    audit::record(
        &txn,
        by,
        Action::ReviewCycleSet,
        target,
        format!("fixed date {date}"),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a unit of organisation `org`'s fixed date, in the audit trail. A
/// unit of another organisation is not found, as one that does not exist.
pub async fn remove_fixed_date(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    org: i32,
    unit_id: i32,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    ensure_in(&txn, org, Owned::Unit, unit_id).await?;
    let r = review_fixed_date::Entity::delete_by_id(unit_id)
        .exec(&txn)
        .await?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound("That unit's fixed date".into()));
    }
    let target = Some(("unit", unit_id));
    audit::record(
        &txn,
        by,
        Action::ReviewCycleSet,
        target,
        "fixed date removed",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Everything the date rules need about some units: those of one
/// organisation, or of the whole system for the workforce lead.
struct World {
    /// Each organisation's rule (only those of these units).
    rules: HashMap<i32, CycleSettings>,
    /// Each unit's organisation.
    orgs: HashMap<i32, i32>,
    parents: HashMap<i32, Option<i32>>,
    names: HashMap<i32, String>,
    fixed: Vec<FixedDate>,
}

/// The rule of a unit the world does not know (the system's root, which
/// holds no one): no reviews.
const NO_RULE: CycleSettings = CycleSettings {
    months: 0,
    remind_before_days: 0,
    remind_after_days: 0,
};

/// The date rules' world of organisation `org`, its rule already read.
async fn world_with(
    db: &impl ConnectionTrait,
    org: i32,
    settings: CycleSettings,
) -> Result<World, AppError> {
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::OrganisationId.eq(org))
        .all(db)
        .await?;
    world_of_units(db, HashMap::from([(org, settings)]), units.iter()).await
}

/// The date rules' world from units a caller has already read (the
/// organisation view has the whole tree), under their organisations'
/// `rules`: the fixed dates still come from the database, those of these
/// units only (another organisation's dates are none of this world's
/// business).
async fn world_of_units<'a>(
    db: &impl ConnectionTrait,
    rules: HashMap<i32, CycleSettings>,
    units: impl Iterator<Item = &'a org_unit::Model>,
) -> Result<World, AppError> {
    let mut parents = HashMap::new();
    let mut names = HashMap::new();
    let mut orgs = HashMap::new();
    for u in units {
        parents.insert(u.id, u.parent_id);
        names.insert(u.id, u.name.clone());
        orgs.insert(u.id, u.organisation_id);
    }
    // One row at most per unit: read them all and keep these units'.
    let fixed: Vec<FixedDate> = review_fixed_date::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|f| parents.contains_key(&f.unit_id))
        .map(|f| FixedDate {
            unit_id: f.unit_id,
            date: f.due_date,
        })
        .collect();
    Ok(World {
        rules,
        orgs,
        parents,
        names,
        fixed,
    })
}

impl World {
    /// The rule of `unit`'s organisation.
    fn rule(&self, unit: i32) -> CycleSettings {
        self.orgs
            .get(&unit)
            .and_then(|org| self.rules.get(org))
            .copied()
            .unwrap_or(NO_RULE)
    }

    fn due(&self, unit: i32, base: Option<NaiveDate>, today: NaiveDate) -> Due {
        let fixed = fixed_for(unit, &self.parents, &self.fixed);
        due_under(&self.rule(unit), fixed, base, today)
    }
}

/// When a cycle that started on `base` is due under `rule`, and the fixed
/// date `fixed` (that of the unit or of the nearest unit above it with one).
fn due_under(
    rule: &CycleSettings,
    fixed: Option<NaiveDate>,
    base: Option<NaiveDate>,
    today: NaiveDate,
) -> Due {
    let date = due_date(rule, fixed, base);
    Due {
        date,
        state: cycle::state(rule, date, base.is_some(), today),
    }
}

/// A person's next review, as `/skills` shows it.
pub async fn status(
    db: &impl ConnectionTrait,
    person_id: i32,
    today: NaiveDate,
) -> Result<ReviewStatus, AppError> {
    // The person's unit, where their cycle starts and their organisation's
    // rule, in one statement; the fixed dates (and the units, for their
    // ancestors) only where a unit of their organisation has one.
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            crate::kernel::db::placeholders(
                backend,
                "SELECT p.org_unit_id AS unit, p.organisation_id AS org, \
                 b.first_assessed_at, b.last_review_at, o.review_months, \
                 o.review_remind_before_days, o.review_remind_after_days, \
                 (SELECT COUNT(*) FROM review_fixed_date f JOIN org_unit fu ON fu.id = f.unit_id \
                 WHERE fu.organisation_id = p.organisation_id) AS fixed \
                 FROM person p JOIN organisation o ON o.id = p.organisation_id \
                 LEFT JOIN review_base b ON b.person_id = p.id WHERE p.id = ?",
            ),
            [person_id.into()],
        ))
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let unit: i32 = row.try_get("", "unit")?;
    let org: i32 = row.try_get("", "org")?;
    let last: Option<DateTime<Utc>> = row.try_get("", "last_review_at")?;
    let fixed: i64 = row.try_get("", "fixed")?;
    let settings = rule_from(
        row.try_get("", "review_months")?,
        row.try_get("", "review_remind_before_days")?,
        row.try_get("", "review_remind_after_days")?,
    );
    let w = if fixed > 0 {
        world_with(db, org, settings).await?
    } else {
        World {
            rules: HashMap::from([(org, settings)]),
            orgs: HashMap::from([(unit, org)]),
            parents: HashMap::new(),
            names: HashMap::new(),
            fixed: Vec::new(),
        }
    };
    let due = w.due(unit, base_of(&row)?, today);
    Ok(ReviewStatus {
        text: describe(&due),
        due,
        last: last.map(|t| t.format("%-d %b %Y").to_string()),
    })
}

/// The review form: every skill the person has assessed, with their last
/// answer.
pub async fn form(
    db: &impl ConnectionTrait,
    person_id: i32,
    today: NaiveDate,
) -> Result<ReviewForm, AppError> {
    let fw = crate::framework::read::current_for_person(db, person_id).await?;
    let mut items: Vec<ReviewItem> = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(person_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| {
            let skill = fw.skill(&a.skill_code)?;
            Some(ReviewItem {
                code: a.skill_code.clone(),
                name: skill.name.clone(),
                level: a.self_level.clamp(0, 4) as u8,
                evidence: a.evidence.clone(),
                agreed: a.agreed_level.map(|l| l.clamp(0, 4) as u8),
            })
        })
        .collect();
    // The framework's order, as on `/skills`.
    let order: HashMap<&str, usize> = fw
        .skills()
        .enumerate()
        .map(|(i, s)| (s.code.as_str(), i))
        .collect();
    items.sort_by_key(|i| order.get(i.code.as_str()).copied().unwrap_or(usize::MAX));
    Ok(ReviewForm {
        status: status(db, person_id, today).await?,
        items,
    })
}

/// One answer in a review: keep the level, or change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Keep,
    Change(u8),
}

/// Completes a review: every assessed skill answered (kept or changed, a
/// change saved as a self-assessment waiting for agreement), and the
/// review recorded, in one transaction. A skill left out, or not the
/// person's, is named and nothing is saved. Returns (confirmed, changed).
pub async fn complete(
    db: &(impl ConnectionTrait + TransactionTrait),
    person_id: i32,
    actor: &CurrentUser,
    answers: &[(String, Answer)],
    now: DateTime<Utc>,
) -> Result<(usize, usize), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    // The skills the form shows: those of the current framework (a level
    // for a retired skill is history, not something to review).
    let fw = crate::framework::read::current_for_person(&txn, person_id).await?;
    let mine: HashMap<String, assessment::Model> = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(person_id))
        .all(&txn)
        .await?
        .into_iter()
        .filter(|a| fw.skill(&a.skill_code).is_some())
        .map(|a| (a.skill_code.clone(), a))
        .collect();
    let mut errors = Vec::new();
    for (code, answer) in answers {
        if !mine.contains_key(code) {
            errors.push(crate::error::FieldError::new(
                code,
                format!("{code} is not one of your assessed skills"),
            ));
        }
        if let Answer::Change(level) = answer
            && *level > 4
        {
            errors.push(crate::error::FieldError::new(
                code,
                "Choose a level from 0 to 4",
            ));
        }
    }
    for code in mine.keys() {
        if !answers.iter().any(|(c, _)| c == code) {
            errors.push(crate::error::FieldError::new(
                code,
                "Say whether this level is still right, or choose a new one",
            ));
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(AppError::Validation(errors));
    }
    if mine.is_empty() {
        return Err(AppError::Conflict(
            "You have no skills to review yet: assess your skills first.".into(),
        ));
    }
    let (mut confirmed, mut changed) = (0, 0);
    for (code, answer) in answers {
        let a = &mine[code];
        match answer {
            Answer::Change(level) if i16::from(*level) != a.self_level => {
                super::service::save_self(
                    &txn,
                    person_id,
                    actor,
                    &SelfAssessmentInput {
                        skill_code: code.clone(),
                        level: Some(*level),
                        confidence: a.confidence.map(|c| c.clamp(0, 255) as u8),
                        evidence: a.evidence.clone(),
                        evidence_url: a.evidence_url.clone().unwrap_or_default(),
                        revision: a.revision,
                    },
                )
                .await?;
                changed += 1;
            }
            _ => confirmed += 1,
        }
    }
    skills_review::Entity::insert(skills_review::ActiveModel {
        person_id: Set(person_id),
        completed_at: Set(now),
        confirmed: Set(confirmed as i32),
        changed: Set(changed as i32),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    note_base(&txn, person_id, BaseEvent::Reviewed, now).await?;
    txn.commit().await?;
    Ok((confirmed, changed))
}

/// People below `manager` whose review is overdue, soonest due first.
pub async fn team_overdue(
    db: &impl ConnectionTrait,
    manager: i32,
    today: NaiveDate,
) -> Result<Vec<OverdueReview>, AppError> {
    let ids = super::service::managed_people(db, manager).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The manager's organisation's units and dates: their people's too (a
    // line never crosses organisations).
    let Some(Some(org)) = organisation_of(db, Owned::Person, manager).await? else {
        return Ok(Vec::new());
    };
    let rule = settings(db, org).await?;
    if rule.months == 0 {
        return Ok(Vec::new());
    }
    let w = world_with(db, org, rule).await?;
    let base = bases(db, Some(&ids)).await?;
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        for p in person::Entity::find()
            .filter(person::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            let due = w.due(p.org_unit_id, base.get(&p.id).copied(), today);
            if let (ReviewState::Overdue, Some(date)) = (due.state, due.date) {
                rows.push((
                    date,
                    OverdueReview {
                        person_id: p.id,
                        name: full_name(&p.given_name, &p.family_name),
                        team: w.names.get(&p.org_unit_id).cloned().unwrap_or_default(),
                        due: date.format("%-d %b %Y").to_string(),
                    },
                ));
            }
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.name.cmp(&b.1.name)));
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// How many profiles in `unit` and the units below it are up to date, of
/// organisation `org` (a unit of another is counted as none: all zero).
pub async fn counts(
    db: &impl ConnectionTrait,
    org: i32,
    unit: i32,
    today: NaiveDate,
) -> Result<ReviewCounts, AppError> {
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::OrganisationId.eq(org))
        .all(db)
        .await?;
    counts_with_units(db, units.iter(), unit, today).await
}

/// `counts`, with the units already read (the organisation view loads
/// them once for the whole page): one organisation's, so that its fixed
/// dates alone apply, or the whole system's for the workforce lead. Each
/// person is counted under their own organisation's rule; people of an
/// organisation with reviews off are counted apart (`cycles_off`), and
/// the counts are `off` when every organisation here has them off.
pub(crate) async fn counts_with_units<'a>(
    db: &impl ConnectionTrait,
    units: impl Iterator<Item = &'a org_unit::Model>,
    unit: i32,
    today: NaiveDate,
) -> Result<ReviewCounts, AppError> {
    let w = world_of_units(db, rules(db).await?, units).await?;
    let within = |mut u: i32| {
        for _ in 0..=w.parents.len() {
            if u == unit {
                return true;
            }
            match w.parents.get(&u).copied().flatten() {
                Some(p) => u = p,
                None => return false,
            }
        }
        false
    };
    // The units of this part of the organisation, then their people
    // counted by the day their cycle starts (what the date rules read),
    // as `unit_review_day` keeps them. Units under the same date rule (the
    // same organisation's rule and the same fixed date, or none) are
    // summed together by the database: a row per rule and day (about a
    // year's days), not per unit and day (10,174 rows for the
    // 100,000-staff system, 9 ms of its view).
    let mut by_rule: HashMap<(CycleSettings, Option<NaiveDate>), Vec<i32>> = HashMap::new();
    for u in w.parents.keys().copied().filter(|u| within(*u)) {
        by_rule
            .entry((w.rule(u), fixed_for(u, &w.parents, &w.fixed)))
            .or_default()
            .push(u);
    }
    if !by_rule.keys().any(|(rule, _)| rule.months > 0) {
        return Ok(ReviewCounts {
            off: true,
            ..ReviewCounts::default()
        });
    }
    let backend = db.get_database_backend();
    let mut c = ReviewCounts::default();
    for ((rule, fixed), units) in by_rule {
        let mut days: HashMap<String, u64> = HashMap::new();
        for chunk in units.chunks(500) {
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!(
                        "SELECT day, CAST(SUM(n) AS BIGINT) AS n FROM unit_review_day \
                         WHERE {} GROUP BY day",
                        crate::kernel::db::id_filter("org_unit_id", Some(chunk))
                    ),
                ))
                .await?;
            for r in rows {
                let n = r.try_get::<i64>("", "n")?.max(0) as u64;
                *days.entry(r.try_get("", "day")?).or_default() += n;
            }
        }
        for (day, n) in days {
            if rule.months == 0 {
                c.cycles_off += n;
                continue;
            }
            let base = match day.as_str() {
                "" => None,
                day => Some(NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|e| {
                    tracing::error!(%day, error = %e, "a review day that is not a date");
                    AppError::Internal
                })?),
            };
            c.total += n;
            let count = match due_under(&rule, fixed, base, today).state {
                ReviewState::UpToDate => &mut c.up_to_date,
                ReviewState::DueSoon => &mut c.due_soon,
                ReviewState::Overdue => &mut c.overdue,
                ReviewState::NotStarted | ReviewState::Off => &mut c.not_started,
            };
            *count += n;
        }
    }
    Ok(c)
}

/// The review counts as `viewer` may see them: the organisation view's
/// small-number rule, so the figures of a handful of people are not sent
/// at all to a viewer who does not see everything (HR and administrators,
/// whose counts are always of their own organisation's units).
pub fn shown_to(viewer: &CurrentUser, counts: ReviewCounts) -> ReviewCounts {
    use crate::auth::model::Role;
    if !viewer.is_one_of(&[Role::Hr, Role::Admin])
        && counts.total < crate::team::model::MIN_GROUP as u64
    {
        return ReviewCounts {
            hidden: true,
            off: counts.off,
            ..Default::default()
        };
    }
    counts
}

/// The administrators' page: organisation `org`'s rule, units and their
/// fixed dates.
pub async fn admin_page(db: &impl ConnectionTrait, org: i32) -> Result<CyclePage, AppError> {
    let o = organisation_row(db, org).await?;
    let rule = rule_of(&o);
    let w = world_with(db, org, rule).await?;
    let label = |id: i32| {
        let name = w.names.get(&id).cloned().unwrap_or_default();
        match w.parents.get(&id).copied().flatten() {
            Some(p) => format!("{name} ({})", w.names.get(&p).cloned().unwrap_or_default()),
            None => name,
        }
    };
    let mut fixed: Vec<FixedRow> = w
        .fixed
        .iter()
        .map(|f| FixedRow {
            unit_id: f.unit_id,
            unit: label(f.unit_id),
            date: f.date.to_string(),
        })
        .collect();
    fixed.sort_by(|a, b| a.unit.cmp(&b.unit));
    let mut units: Vec<(i32, String)> = w.names.keys().map(|&id| (id, label(id))).collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(CyclePage {
        organisation: o.name,
        settings: rule,
        fixed,
        units,
    })
}

/// The reminders due `today`: each person whose review is due soon or
/// overdue (once per due date and kind), and once a week each manager
/// with people overdue. Returns (people reminded, managers told). A daily
/// job over every organisation, one at a time: a person's due date follows
/// their own organisation's rule and the fixed dates of its units alone.
pub async fn send_reminders(
    db: &(impl ConnectionTrait + TransactionTrait),
    today: NaiveDate,
) -> Result<(usize, usize), AppError> {
    // Each organisation under its own rule; those with reviews off are
    // passed over.
    let orgs: Vec<organisation::Model> = organisation::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|o| rule_of(o).months > 0)
        .collect();
    if orgs.is_empty() {
        return Ok((0, 0));
    }
    let base = bases(db, None).await?;
    // Reminders already written (every overdue person matches every day:
    // their key is what keeps it to once), and who has an account, read
    // once rather than per person.
    let sent: std::collections::HashSet<String> = notices::keys_like(db, "review_").await?;
    let with_account = notices::people_with_accounts(db).await?;
    let mut overdue_by_manager: HashMap<i32, Vec<String>> = HashMap::new();
    let (mut reminded, mut told) = (0, 0);
    for org in orgs {
        let rule = rule_of(&org);
        let w = world_with(db, org.id, rule).await?;
        let people = person::Entity::find()
            .filter(person::Column::OrganisationId.eq(org.id))
            .all(db)
            .await?;
        for p in &people {
            let due = w.due(p.org_unit_id, base.get(&p.id).copied(), today);
            let Some(date) = due.date else { continue };
            let Some(r) = reminder_due(&rule, date, today) else {
                continue;
            };
            if r == cycle::Reminder::Overdue
                && let Some(m) = p.line_manager_id
            {
                overdue_by_manager
                    .entry(m)
                    .or_default()
                    .push(full_name(&p.given_name, &p.family_name));
            }
            let key = reminder_key(p.id, date, r);
            if sent.contains(&key) || !with_account.contains(&p.id) {
                continue;
            }
            let when = date.format("%-d %B %Y");
            let (title, body) = match r {
                cycle::Reminder::Soon => (
                    format!("Your skills review is due by {when}"),
                    "Look over your skills profile: confirm each level is still right, or change it. It takes a few minutes.".to_string(),
                ),
                cycle::Reminder::Overdue => (
                    format!("Your skills review was due on {when}"),
                    "Your skills profile has not been reviewed this cycle. Confirm each level is still right, or change it, so your team's picture stays current.".to_string(),
                ),
            };
            let written = notices::notify_person(
                db,
                p.id,
                NewNotice::new(Kind::ReviewDue, title, body, "/skills/review").once(key),
            )
            .await?;
            reminded += usize::from(written.is_some());
        }
    }
    // Once a week (ISO week) per manager.
    let week = today.format("%G-W%V");
    let sent_team = notices::keys_like(db, "team_overdue:").await?;
    for (manager, mut names) in overdue_by_manager {
        let key = format!("team_overdue:{manager}:{week}");
        if sent_team.contains(&key) || !with_account.contains(&manager) {
            continue;
        }
        names.sort();
        let n = names.len();
        let title = if n == 1 {
            "1 person in your team is overdue for their skills review".to_string()
        } else {
            format!("{n} people in your team are overdue for their skills review")
        };
        let shown: Vec<String> = names.iter().take(5).cloned().collect();
        let body = if n > shown.len() {
            format!("{} and {} others.", shown.join(", "), n - shown.len())
        } else {
            format!("{}.", shown.join(", "))
        };
        let written = notices::notify_person(
            db,
            manager,
            NewNotice::new(Kind::TeamReviewsOverdue, title, body, "/team/reviews").once(key),
        )
        .await?;
        told += usize::from(written.is_some());
    }
    Ok((reminded, told))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::Role;
    use crate::kernel::testing::*;
    use crate::profile::review_base::rebuild_bases;

    async fn kept(
        db: &impl ConnectionTrait,
    ) -> Vec<(i32, Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
        db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT person_id, first_assessed_at, last_review_at FROM review_base \
             ORDER BY person_id",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("", "person_id").unwrap(),
                r.try_get("", "first_assessed_at").unwrap(),
                r.try_get("", "last_review_at").unwrap(),
            )
        })
        .collect()
    }

    /// First assessments, reviews completed (one changing a level), more
    /// saves after them: the bases the saves and reviews kept are the ones
    /// the history gives, and the counts read from them see each person.
    #[tokio::test]
    async fn kept_review_bases_match_the_history() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        assess(&t.db, o.a, "DIG-FOUND", 2).await;
        assess(&t.db, o.a, "DAT-LIT", 1).await;
        assess(&t.db, o.b, "DIG-FOUND", 3).await;
        let review = |who: i32, answers: Vec<(String, Answer)>| {
            let db = &t.db;
            async move {
                complete(db, who, &user(who, Role::Staff), &answers, Utc::now())
                    .await
                    .unwrap()
            }
        };
        review(
            o.a,
            vec![
                ("DIG-FOUND".into(), Answer::Keep),
                ("DAT-LIT".into(), Answer::Change(2)),
            ],
        )
        .await;
        assess(&t.db, o.a, "DAT-VIS", 1).await;
        assess(&t.db, o.b, "DIG-FOUND", 4).await;
        review(o.b, vec![("DIG-FOUND".into(), Answer::Keep)]).await;
        review(o.b, vec![("DIG-FOUND".into(), Answer::Keep)]).await;
        let live = kept(&t.db).await;
        assert_eq!(live.len(), 2, "a and b, not m or c: {live:?}");
        assert!(
            live.iter()
                .all(|(_, first, last)| first.is_some() && last.is_some())
        );
        rebuild_bases(&t.db).await.unwrap();
        assert_eq!(live, kept(&t.db).await, "kept == rebuilt from the history");
        let unit = unit_of(&t.db, o.a).await;
        let today = Utc::now().date_naive();
        let c = counts(&t.db, ORG, unit, today).await.unwrap();
        assert_eq!((c.total, c.up_to_date, c.not_started), (4, 2, 2), "{c:?}");
    }

    /// The counts read people grouped by the day their cycle starts; they
    /// must say what each person's own status says. Each start sits on a
    /// boundary, so a day's error either way changes someone's state: due
    /// yesterday (overdue; a day later would be due soon), due today (due
    /// soon; a day earlier would be overdue) and one day short of the
    /// reminder (up to date; a day earlier would be due soon), with times a
    /// second from midnight UTC; and someone with no start.
    #[tokio::test]
    async fn counts_by_start_day_match_each_persons_status() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let rule = CycleSettings {
            months: 2,
            remind_before_days: 14,
            remind_after_days: 7,
        };
        save_settings(&t.db, Actor::system(), ORG, rule)
            .await
            .unwrap();
        // A fixed "today" (the rules take it as an argument), away from
        // month ends: some dates are no start's end two months on (30 April).
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let start_for = |due: NaiveDate| {
            (40..80)
                .map(|d| due - chrono::Duration::days(d))
                .find(|b| b.checked_add_months(chrono::Months::new(2)) == Some(due))
                .expect("a start two months before")
        };
        let at =
            |day: NaiveDate, h: u32, m: u32, s: u32| day.and_hms_opt(h, m, s).unwrap().and_utc();
        let overdue = start_for(today - chrono::Duration::days(1));
        let due_soon = start_for(today);
        let up_to_date = start_for(today + chrono::Duration::days(15));
        note_base(&t.db, o.a, BaseEvent::Assessed, at(overdue, 23, 59, 59))
            .await
            .unwrap();
        note_base(
            &t.db,
            o.b,
            BaseEvent::Assessed,
            at(overdue - chrono::Duration::days(200), 12, 0, 0),
        )
        .await
        .unwrap();
        note_base(&t.db, o.b, BaseEvent::Reviewed, at(due_soon, 0, 0, 1))
            .await
            .unwrap();
        note_base(&t.db, o.m, BaseEvent::Assessed, at(up_to_date, 0, 0, 1))
            .await
            .unwrap();
        let mut expected = ReviewCounts::default();
        for (who, state) in [
            (o.m, ReviewState::UpToDate),
            (o.a, ReviewState::Overdue),
            (o.b, ReviewState::DueSoon),
            (o.c, ReviewState::NotStarted),
        ] {
            assert_eq!(
                status(&t.db, who, today).await.unwrap().due.state,
                state,
                "person {who}"
            );
            expected.total += 1;
            match state {
                ReviewState::UpToDate => expected.up_to_date += 1,
                ReviewState::DueSoon => expected.due_soon += 1,
                ReviewState::Overdue => expected.overdue += 1,
                ReviewState::NotStarted | ReviewState::Off => expected.not_started += 1,
            }
        }
        let unit = unit_of(&t.db, o.a).await;
        assert_eq!(counts(&t.db, ORG, unit, today).await.unwrap(), expected);
        let units = org_unit::Entity::find().all(&t.db).await.unwrap();
        assert_eq!(
            counts_with_units(&t.db, units.iter(), unit, today)
                .await
                .unwrap(),
            expected,
            "with the units read by the caller"
        );

        // A unit below with a fixed date the day after a's start: a's
        // cycle ends then, so the next review is due today (due soon), not
        // yesterday. Its people are counted under its rule, apart from the
        // rest of the unit's.
        use sea_orm::ActiveModelTrait;
        let below = team_unit(&t.db, ORG, Some(unit), "T1-F", "Fixed").await;
        let anchor = overdue + chrono::Duration::days(1);
        set_fixed_date(&t.db, Actor::system(), ORG, below, anchor)
            .await
            .unwrap();
        crate::entities::person::ActiveModel {
            id: Set(o.a),
            org_unit_id: Set(below),
            ..Default::default()
        }
        .update(&t.db)
        .await
        .unwrap();
        // Moved by hand: the kept day counts recounted, as a move recounts
        // them.
        crate::team::summary::write_review_days(&t.db, None)
            .await
            .unwrap();
        assert_eq!(
            status(&t.db, o.a, today).await.unwrap().due.state,
            ReviewState::DueSoon
        );
        let moved = ReviewCounts {
            overdue: expected.overdue - 1,
            due_soon: expected.due_soon + 1,
            ..expected
        };
        let units = org_unit::Entity::find().all(&t.db).await.unwrap();
        assert_eq!(
            counts_with_units(&t.db, units.iter(), unit, today)
                .await
                .unwrap(),
            moved,
            "two rules"
        );
        assert_eq!(counts(&t.db, ORG, unit, today).await.unwrap(), moved);
    }

    /// A person's status reads the organisation's rule with their row (no
    /// fixed dates) and follows a unit's fixed date once there is one.
    #[tokio::test]
    async fn status_follows_the_saved_rule_and_a_fixed_date() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        assess(&t.db, o.a, "DIG-FOUND", 2).await;
        let today = Utc::now().date_naive();
        let first = today;
        let due = |months: u32| first.checked_add_months(chrono::Months::new(months));
        let s = status(&t.db, o.a, today).await.unwrap();
        assert_eq!(s.due.date, due(CycleSettings::default().months), "defaults");
        let rule = CycleSettings {
            months: 3,
            remind_before_days: 5,
            remind_after_days: 2,
        };
        save_settings(&t.db, Actor::system(), ORG, rule)
            .await
            .unwrap();
        let s = status(&t.db, o.a, today).await.unwrap();
        assert_eq!(s.due.date, due(3), "the saved rule");
        let unit = unit_of(&t.db, o.a).await;
        let anchor = today + chrono::Duration::days(10);
        set_fixed_date(&t.db, Actor::system(), ORG, unit, anchor)
            .await
            .unwrap();
        let s = status(&t.db, o.a, today).await.unwrap();
        let w = world_with(&t.db, ORG, rule).await.unwrap();
        assert_eq!(s.due, w.due(unit, Some(first), today), "the fixed date");
        // The assessment falls in the cycle ending at the anchor: the
        // review is due at the end of the next.
        assert_eq!(
            s.due.date,
            anchor.checked_add_months(chrono::Months::new(3)),
            "{s:?}"
        );
    }

    /// Another organisation's fixed date changes no one's status here and
    /// is not on this organisation's page; its unit can be given no date
    /// from here, nor have one taken away (not found, as no unit at all).
    #[tokio::test]
    async fn another_organisations_units_and_dates_stay_apart() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        assess(&t.db, o.a, "DIG-FOUND", 2).await;
        let today = Utc::now().date_naive();
        let before = status(&t.db, o.a, today).await.unwrap();
        let crate::kernel::testing::Other { org: other, unit } =
            crate::kernel::testing::other_org(&t.db).await;
        set_fixed_date(
            &t.db,
            Actor::system(),
            other,
            unit,
            today + chrono::Duration::days(10),
        )
        .await
        .unwrap();
        assert_eq!(status(&t.db, o.a, today).await.unwrap(), before);
        let page = admin_page(&t.db, ORG).await.unwrap();
        assert!(page.fixed.is_empty(), "{page:?}");
        assert!(page.units.iter().all(|(id, _)| *id != unit), "{page:?}");
        assert_eq!(admin_page(&t.db, other).await.unwrap().fixed.len(), 1);
        assert!(matches!(
            set_fixed_date(&t.db, Actor::system(), ORG, unit, today).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            remove_fixed_date(&t.db, Actor::system(), ORG, unit).await,
            Err(AppError::NotFound(_))
        ));
        assert_eq!(admin_page(&t.db, other).await.unwrap().fixed.len(), 1);
        let mine = unit_of(&t.db, o.a).await;
        assert_eq!(counts(&t.db, other, mine, today).await.unwrap().total, 0);
        assert_eq!(counts(&t.db, ORG, mine, today).await.unwrap().total, 4);
    }

    /// Each organisation keeps its own rule: one saved by another's
    /// administrator changes no due date, reminder or count here. The
    /// workforce lead's system view counts each person under their own
    /// organisation's rule, and people of one with reviews off apart.
    #[tokio::test]
    async fn each_organisation_has_its_own_review_cycle() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        let other = other_org(&t.db).await;
        let x = other.person(&t.db, "X1", None).await;
        let rule = |months| CycleSettings {
            months,
            remind_before_days: 14,
            remind_after_days: 7,
        };
        save_settings(&t.db, Actor::system(), ORG, rule(2))
            .await
            .unwrap();
        save_settings(&t.db, Actor::system(), other.org, rule(6))
            .await
            .unwrap();
        assert_eq!(settings(&t.db, ORG).await.unwrap(), rule(2));
        assert_eq!(settings(&t.db, other.org).await.unwrap(), rule(6));
        assert_eq!(
            admin_page(&t.db, other.org).await.unwrap().settings,
            rule(6)
        );
        // Both started on the same day, two months ago: due today here
        // (due soon), in four months there (up to date).
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let start = NaiveDate::from_ymd_opt(2026, 4, 15)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc();
        for who in [o.a, x] {
            note_base(&t.db, who, BaseEvent::Assessed, start)
                .await
                .unwrap();
        }
        let a = status(&t.db, o.a, today).await.unwrap().due;
        assert_eq!(
            (a.state, a.date),
            (ReviewState::DueSoon, NaiveDate::from_ymd_opt(2026, 6, 15))
        );
        let theirs = status(&t.db, x, today).await.unwrap().due;
        assert_eq!(
            (theirs.state, theirs.date),
            (ReviewState::UpToDate, NaiveDate::from_ymd_opt(2026, 10, 15))
        );

        // The reminders follow each rule: a is reminded, x is not yet.
        for (who, org, email) in [(o.a, ORG, "a@example.org"), (x, other.org, "x@example.org")] {
            crate::auth::service::create_account(
                &t.db,
                email,
                Role::Staff,
                "a long enough password",
                Some(who),
                Some(org),
            )
            .await
            .unwrap();
        }
        assert_eq!(send_reminders(&t.db, today).await.unwrap(), (1, 0));
        let sent = notices::keys_like(&t.db, "review_").await.unwrap();
        assert_eq!(
            sent,
            [reminder_key(o.a, a.date.unwrap(), cycle::Reminder::Soon)].into(),
            "x's review is months away under their organisation's rule"
        );

        // The other organisation turns reviews off: its people are counted
        // apart in the system view, and its own counts are off.
        save_settings(&t.db, Actor::system(), other.org, rule(0))
            .await
            .unwrap();
        assert_eq!(
            status(&t.db, x, today).await.unwrap().due.state,
            ReviewState::Off
        );
        assert_eq!(
            status(&t.db, o.a, today).await.unwrap().due,
            a,
            "unchanged here"
        );
        assert!(
            counts(&t.db, other.org, other.unit, today)
                .await
                .unwrap()
                .off
        );
        let lead = lead();
        let system = async || -> ReviewCounts {
            crate::team::service::organisation(&t.db, &lead, None, None, today)
                .await
                .unwrap()
                .reviews
        };
        // (A fifth person here: the lead sees no count of fewer than five.)
        let team = unit_of(&t.db, o.a).await;
        Other {
            org: ORG,
            unit: team,
        }
        .person(&t.db, "d", None)
        .await;
        // (Added by hand: the kept day counts recounted, as an import
        // recounts them.)
        crate::team::summary::write_review_days(&t.db, None)
            .await
            .unwrap();
        let mine = counts(&t.db, ORG, team, today).await.unwrap();
        assert_eq!((mine.total, mine.due_soon, mine.cycles_off), (5, 1, 0));
        assert_eq!(
            system().await,
            ReviewCounts {
                cycles_off: 1,
                ..mine
            },
            "the system: this organisation's people under its rule, x apart"
        );
        save_settings(&t.db, Actor::system(), ORG, rule(0))
            .await
            .unwrap();
        assert!(system().await.off, "off everywhere");
    }
}
