//! Skills review cycles against the database: the organisation's rule and
//! units' fixed dates, each person's next review, completing one, who is
//! overdue, and the reminders. The date rules are `cycle` (pure); "today"
//! is always passed in, so a test (or `skillmap send-reminders --today`)
//! controls the clock.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};

use super::cycle::{
    self, CycleSettings, Due, FixedDate, ReviewState, describe, due_date, fixed_for, reminder_due,
    reminder_key,
};
use super::model::{
    CyclePage, FixedRow, OverdueReview, ReviewCounts, ReviewForm, ReviewItem, ReviewStatus,
    SelfAssessmentInput,
};
use crate::audit::model::Action;
use crate::auth::model::CurrentUser;
use crate::entities::{
    app_setting, assessment, assessment_event, org_unit, person, review_fixed_date, skills_review,
};
use crate::error::AppError;
use crate::kernel::audit::{self, Actor};
use crate::notifications::model::Kind;
use crate::notifications::service::{self as notices, NewNotice};
use crate::people::model::full_name;

const MONTHS: &str = "review_months";
const BEFORE: &str = "review_remind_before_days";
const AFTER: &str = "review_remind_after_days";

/// The organisation's rule (the defaults until an administrator saves one).
pub async fn settings(db: &impl ConnectionTrait) -> Result<CycleSettings, AppError> {
    let rows = app_setting::Entity::find()
        .filter(app_setting::Column::Name.is_in([MONTHS, BEFORE, AFTER]))
        .all(db)
        .await?;
    let d = CycleSettings::default();
    let get = |name: &str, default: u32| {
        rows.iter()
            .find(|r| r.name == name)
            .and_then(|r| r.value.parse().ok())
            .unwrap_or(default)
    };
    Ok(CycleSettings {
        months: get(MONTHS, d.months),
        remind_before_days: get(BEFORE, d.remind_before_days),
        remind_after_days: get(AFTER, d.remind_after_days),
    })
}

/// Saves the organisation's rule, in the audit trail.
pub async fn save_settings(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    s: CycleSettings,
) -> Result<(), AppError> {
    let now = Utc::now();
    let txn = crate::kernel::begin_write(db).await?;
    for (name, value) in [
        (MONTHS, s.months),
        (BEFORE, s.remind_before_days),
        (AFTER, s.remind_after_days),
    ] {
        app_setting::Entity::insert(app_setting::ActiveModel {
            name: Set(name.into()),
            value: Set(value.to_string()),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(app_setting::Column::Name)
                .update_columns([app_setting::Column::Value, app_setting::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    let detail = format!(
        "every {} months, reminders {} days before and {} after",
        s.months, s.remind_before_days, s.remind_after_days
    );
    audit::record(&txn, by, Action::ReviewCycleSet, None, detail).await?;
    txn.commit().await?;
    Ok(())
}

/// A unit's fixed date (replacing any it had), in the audit trail.
pub async fn set_fixed_date(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    unit_id: i32,
    date: NaiveDate,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    if org_unit::Entity::find_by_id(unit_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::validation(
            "unit_id",
            "Choose a unit from the list",
        ));
    }
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

pub async fn remove_fixed_date(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    unit_id: i32,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
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

/// Everything the date rules need about the organisation.
struct World {
    settings: CycleSettings,
    parents: HashMap<i32, Option<i32>>,
    names: HashMap<i32, String>,
    fixed: Vec<FixedDate>,
}

async fn world(db: &impl ConnectionTrait) -> Result<World, AppError> {
    let units = org_unit::Entity::find().all(db).await?;
    let fixed = review_fixed_date::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|f| FixedDate {
            unit_id: f.unit_id,
            date: f.due_date,
        })
        .collect();
    Ok(World {
        settings: settings(db).await?,
        parents: units.iter().map(|u| (u.id, u.parent_id)).collect(),
        names: units.into_iter().map(|u| (u.id, u.name)).collect(),
        fixed,
    })
}

impl World {
    fn due(&self, unit: i32, base: Option<NaiveDate>, today: NaiveDate) -> Due {
        let fixed = fixed_for(unit, &self.parents, &self.fixed);
        let date = due_date(&self.settings, fixed, base);
        Due {
            date,
            state: cycle::state(&self.settings, date, base.is_some(), today),
        }
    }
}

/// Where each person's current cycle starts: their last completed review,
/// or else their first self-assessment. People with neither are missing.
async fn bases(
    db: &impl ConnectionTrait,
    people: Option<&[i32]>,
) -> Result<HashMap<i32, NaiveDate>, AppError> {
    let mut out: HashMap<i32, NaiveDate> = HashMap::new();
    let chunks: Vec<Option<&[i32]>> = match people {
        None => vec![None],
        Some(ids) => ids.chunks(500).map(Some).collect(),
    };
    for chunk in chunks {
        let mut first = assessment_event::Entity::find()
            .select_only()
            .column(assessment_event::Column::PersonId)
            .column_as(assessment_event::Column::At.min(), "at")
            .group_by(assessment_event::Column::PersonId);
        let mut last = skills_review::Entity::find()
            .select_only()
            .column(skills_review::Column::PersonId)
            .column_as(skills_review::Column::CompletedAt.max(), "at")
            .group_by(skills_review::Column::PersonId);
        if let Some(ids) = chunk {
            first = first.filter(assessment_event::Column::PersonId.is_in(ids.iter().copied()));
            last = last.filter(skills_review::Column::PersonId.is_in(ids.iter().copied()));
        }
        for (p, at) in first.into_tuple::<(i32, DateTime<Utc>)>().all(db).await? {
            out.insert(p, at.date_naive());
        }
        // A completed review wins over the first assessment.
        for (p, at) in last.into_tuple::<(i32, DateTime<Utc>)>().all(db).await? {
            out.insert(p, at.date_naive());
        }
    }
    Ok(out)
}

async fn last_review(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(skills_review::Entity::find()
        .select_only()
        .column(skills_review::Column::CompletedAt)
        .filter(skills_review::Column::PersonId.eq(person_id))
        .order_by_desc(skills_review::Column::CompletedAt)
        .into_tuple()
        .one(db)
        .await?)
}

/// A person's next review, as `/skills` shows it.
pub async fn status(
    db: &impl ConnectionTrait,
    person_id: i32,
    today: NaiveDate,
) -> Result<ReviewStatus, AppError> {
    let p = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let w = world(db).await?;
    let base = bases(db, Some(&[person_id])).await?.remove(&person_id);
    let due = w.due(p.org_unit_id, base, today);
    Ok(ReviewStatus {
        text: describe(&due),
        due,
        last: last_review(db, person_id)
            .await?
            .map(|t| t.format("%-d %b %Y").to_string()),
    })
}

/// The review form: every skill the person has assessed, with their last
/// answer.
pub async fn form(
    db: &impl ConnectionTrait,
    person_id: i32,
    today: NaiveDate,
) -> Result<ReviewForm, AppError> {
    let fw = crate::framework::read::current(db).await?;
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
    let fw = crate::framework::read::current(&txn).await?;
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
    let w = world(db).await?;
    if w.settings.months == 0 || ids.is_empty() {
        return Ok(Vec::new());
    }
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

/// How many profiles in `unit` and the units below it are up to date.
pub async fn counts(
    db: &impl ConnectionTrait,
    unit: i32,
    today: NaiveDate,
) -> Result<ReviewCounts, AppError> {
    let w = world(db).await?;
    if w.settings.months == 0 {
        return Ok(ReviewCounts {
            off: true,
            ..ReviewCounts::default()
        });
    }
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
    let people: Vec<(i32, i32)> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .column(person::Column::OrgUnitId)
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, u)| within(*u))
        .collect();
    let base = bases(db, None).await?;
    let mut c = ReviewCounts::default();
    for (id, u) in people {
        c.total += 1;
        match w.due(u, base.get(&id).copied(), today).state {
            ReviewState::UpToDate => c.up_to_date += 1,
            ReviewState::DueSoon => c.due_soon += 1,
            ReviewState::Overdue => c.overdue += 1,
            ReviewState::NotStarted | ReviewState::Off => c.not_started += 1,
        }
    }
    Ok(c)
}

/// The administrators' page.
pub async fn admin_page(db: &impl ConnectionTrait) -> Result<CyclePage, AppError> {
    let w = world(db).await?;
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
        settings: w.settings,
        fixed,
        units,
    })
}

/// The reminders due `today`: each person whose review is due soon or
/// overdue (once per due date and kind), and once a week each manager
/// with people overdue. Returns (people reminded, managers told).
pub async fn send_reminders(
    db: &(impl ConnectionTrait + TransactionTrait),
    today: NaiveDate,
) -> Result<(usize, usize), AppError> {
    let w = world(db).await?;
    if w.settings.months == 0 {
        return Ok((0, 0));
    }
    let base = bases(db, None).await?;
    let people = person::Entity::find().all(db).await?;
    // Reminders already written (every overdue person matches every day:
    // their key is what keeps it to once), and who has an account, read
    // once rather than per person.
    let sent: std::collections::HashSet<String> = notices::keys_like(db, "review_").await?;
    let with_account = notices::people_with_accounts(db).await?;
    let mut overdue_by_manager: HashMap<i32, Vec<String>> = HashMap::new();
    let (mut reminded, mut told) = (0, 0);
    for p in &people {
        let due = w.due(p.org_unit_id, base.get(&p.id).copied(), today);
        let Some(date) = due.date else { continue };
        let Some(r) = reminder_due(&w.settings, date, today) else {
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
