//! Self-assessment and agreement. Every write checks the revision the
//! writer started from, so concurrent edits never silently overwrite each
//! other, and appends its history row in the same transaction.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, Statement, TransactionSession,
    TransactionTrait,
};

use super::model::{
    AssessmentView, Decision, HistoryEntry, PendingReview, ProfileItem, ProfileView, Requirement,
    SelfAssessmentInput, Status, validate_review, validate_self,
};
use crate::audit::model::Action;
use crate::auth::model::CurrentUser;
use crate::entities::{assessment, assessment_event, person, role_requirement};
use crate::error::AppError;
use crate::framework::read as framework;
use crate::kernel::audit;
use crate::kernel::audit::Actor;
use crate::kernel::db::Deferred;
use crate::people::model::full_name;
use crate::people::service as people;
use crate::people::service::manages;

const CONFLICT: &str = "This skill was changed somewhere else since you opened it. Reload the page to see the latest version, then make your change again.";

/// Required skills of a job role, by skill code.
pub async fn requirements(
    db: &impl ConnectionTrait,
    job_role_id: Option<i32>,
) -> Result<HashMap<String, Requirement>, AppError> {
    let Some(role) = job_role_id else {
        return Ok(HashMap::new());
    };
    Ok(role_requirement::Entity::find()
        .filter(role_requirement::Column::JobRoleId.eq(role))
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.skill_code,
                Requirement {
                    level: r.level.clamp(0, 4) as u8,
                    essential: r.essential,
                },
            )
        })
        .collect())
}

async fn names(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<HashMap<i32, String>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, full_name(&p.given_name, &p.family_name)))
        .collect())
}

/// A person's assessments (of one skill, with `skill`), each with the name
/// of whoever last reviewed it, in one query.
async fn assessments_of(
    db: &impl ConnectionTrait,
    person_id: i32,
    skill: Option<&str>,
) -> Result<Vec<(assessment::Model, Option<String>)>, AppError> {
    let backend = db.get_database_backend();
    let mut sql = "SELECT a.*, r.given_name AS reviewer_given, r.family_name AS reviewer_family \
                   FROM assessment a LEFT JOIN person r ON r.id = a.reviewed_by \
                   WHERE a.person_id = ?"
        .to_string();
    let mut values: Vec<sea_orm::Value> = vec![person_id.into()];
    if let Some(skill) = skill {
        sql.push_str(" AND a.skill_code = ?");
        values.push(skill.into());
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            crate::kernel::db::placeholders(backend, &sql),
            values,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let given: Option<String> = r.try_get("", "reviewer_given")?;
            let family: Option<String> = r.try_get("", "reviewer_family")?;
            let reviewer = given.zip(family).map(|(g, f)| full_name(&g, &f));
            Ok((assessment::Model::from_query_result(r, "")?, reviewer))
        })
        .collect()
}

fn view(a: assessment::Model, reviewer: Option<String>) -> AssessmentView {
    AssessmentView {
        self_level: a.self_level.clamp(0, 4) as u8,
        confidence: a.confidence.map(|c| c.clamp(0, 3) as u8),
        evidence: a.evidence,
        evidence_url: a.evidence_url,
        agreed_level: a.agreed_level.map(|l| l.clamp(0, 4) as u8),
        status: Status::parse(&a.status),
        manager_comment: a.manager_comment,
        reviewed_by: reviewer,
        reviewed_at: a.reviewed_at.map(|t| t.format("%-d %B %Y").to_string()),
        revision: a.revision,
        framework_version: a.framework_version,
    }
}

/// A person's profile as `viewer` may see it.
pub async fn profile(
    db: &impl ConnectionTrait,
    person_id: i32,
    viewer: &CurrentUser,
) -> Result<ProfileView, AppError> {
    let (row, summary) = people::with_summary(db, person_id).await?;
    let required = requirements(db, row.job_role_id).await?;
    // The shared framework and the person's organisation's own skills.
    let fw = framework::current_for(db, row.organisation_id).await?;
    let mut assessed: HashMap<String, AssessmentView> = assessments_of(db, person_id, None)
        .await?
        .into_iter()
        .map(|(a, reviewer)| (a.skill_code.clone(), view(a, reviewer)))
        .collect();
    let interests: HashMap<String, (bool, bool)> = crate::entities::skill_interest::Entity::find()
        .filter(crate::entities::skill_interest::Column::PersonId.eq(person_id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.skill_code, (i.develop, i.help)))
        .collect();
    let mut items: Vec<ProfileItem> = fw
        .skills()
        .map(|s| {
            let (develop, help) = interests.get(&s.code).copied().unwrap_or_default();
            ProfileItem {
                requirement: required.get(&s.code).copied(),
                assessment: assessed.remove(&s.code),
                skill: s.clone(),
                develop,
                help,
            }
        })
        .collect();
    // Required skills first (essential before desirable), then the rest in
    // framework order; the sort is stable.
    items.sort_by_key(|i| match i.requirement {
        Some(r) if r.essential => 0,
        Some(_) => 1,
        None => 2,
    });
    let retired = retired_items(db, assessed).await?;
    let can_review = match viewer.person_id {
        Some(me) if me != person_id => manages(db, me, person_id).await?,
        _ => false,
    };
    Ok(ProfileView {
        person: summary,
        framework_name: fw.name,
        framework_version: fw.version,
        items,
        retired,
        editable: viewer.person_id == Some(person_id),
        can_review,
    })
}

/// Assessments whose skill the current framework no longer has, shown with
/// the skill as the latest version that had it described it.
async fn retired_items(
    db: &impl ConnectionTrait,
    mut left: HashMap<String, AssessmentView>,
) -> Result<Vec<ProfileItem>, AppError> {
    if left.is_empty() {
        return Ok(Vec::new());
    }
    let codes: Vec<String> = left.keys().cloned().collect();
    let rows = crate::entities::skill::Entity::find()
        .filter(crate::entities::skill::Column::Code.is_in(codes))
        .order_by_desc(crate::entities::skill::Column::FrameworkId)
        .all(db)
        .await?;
    let mut items = Vec::new();
    for row in rows {
        if let Some(a) = left.remove(&row.code) {
            let version = a.framework_version;
            items.push(ProfileItem {
                skill: crate::framework::model::SkillView {
                    code: row.code,
                    name: row.name,
                    description: row.description,
                    foundation: row.foundation,
                    domain: format!("framework version {version}"),
                    descriptors: Vec::new(),
                },
                requirement: None,
                assessment: Some(a),
                develop: false,
                help: false,
            });
        }
    }
    Ok(items)
}

/// Saves the person's own assessment of one skill.
pub async fn save_self(
    db: &(impl ConnectionTrait + TransactionTrait),
    person_id: i32,
    actor: &CurrentUser,
    input: &SelfAssessmentInput,
) -> Result<AssessmentView, AppError> {
    let (level, confidence, evidence, url) = validate_self(input)?;
    let fw = framework::current_for_person(db, person_id).await?;
    let version = fw.version_of(&input.skill_code);
    if fw.skill(&input.skill_code).is_none() {
        return Err(AppError::validation(
            "skill_code",
            format!("There is no skill {:?} in the framework", input.skill_code),
        ));
    }
    let now = Utc::now();
    // Read before taking the turn to write (SQLite has one writer at a
    // time, so the turn should hold only the writes): a concurrent save is
    // still caught, by the update's revision check or the unique key of a
    // first assessment.
    let existing = assessments_of(db, person_id, Some(&input.skill_code))
        .await?
        .pop();
    // Whom a new level waits for (new evidence alone waits for no one).
    let new_level = existing
        .as_ref()
        .is_none_or(|(a, _)| a.self_level != i16::from(level));
    let manager = if new_level {
        crate::notifications::service::levels_wait_for(db, person_id).await?
    } else {
        None
    };
    let txn = crate::kernel::begin_write(db).await?;
    // A self-assessment leaves the last review as it was, reviewer included.
    let reviewer = existing.as_ref().and_then(|(_, r)| r.clone());
    let (saved, old) = match existing.map(|(a, _)| a) {
        None => {
            if input.revision != 0 {
                return Err(AppError::Conflict(CONFLICT.into()));
            }
            let a = assessment::ActiveModel {
                person_id: Set(person_id),
                skill_code: Set(input.skill_code.clone()),
                framework_version: Set(version),
                self_level: Set(i16::from(level)),
                confidence: Set(confidence.map(i16::from)),
                evidence: Set(evidence),
                evidence_url: Set(url),
                agreed_level: Set(None),
                status: Set(Status::Pending.as_str().into()),
                manager_comment: Set(None),
                reviewed_by: Set(None),
                reviewed_at: Set(None),
                revision: Set(1),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            (a, None)
        }
        Some(old) => {
            if old.revision != input.revision {
                return Err(AppError::Conflict(CONFLICT.into()));
            }
            // A new level needs agreeing again; new evidence alone does not.
            let status = if new_level {
                Status::Pending.as_str()
            } else {
                old.status.as_str()
            };
            // What the row becomes: built here rather than read back.
            let saved = assessment::Model {
                self_level: i16::from(level),
                confidence: confidence.map(i16::from),
                evidence: evidence.clone(),
                evidence_url: url.clone(),
                status: status.into(),
                framework_version: version,
                revision: old.revision + 1,
                updated_at: now,
                ..old.clone()
            };
            let res = assessment::Entity::update_many()
                .col_expr(assessment::Column::SelfLevel, Expr::value(i16::from(level)))
                .col_expr(
                    assessment::Column::Confidence,
                    Expr::value(confidence.map(i16::from)),
                )
                .col_expr(assessment::Column::Evidence, Expr::value(evidence))
                .col_expr(assessment::Column::EvidenceUrl, Expr::value(url))
                .col_expr(assessment::Column::Status, Expr::value(status))
                .col_expr(assessment::Column::FrameworkVersion, Expr::value(version))
                .col_expr(assessment::Column::Revision, Expr::value(old.revision + 1))
                .col_expr(assessment::Column::UpdatedAt, Expr::value(now))
                .filter(assessment::Column::Id.eq(old.id))
                .filter(assessment::Column::Revision.eq(old.revision))
                .exec(&txn)
                .await?;
            if res.rows_affected != 1 {
                return Err(AppError::Conflict(CONFLICT.into()));
            }
            if !new_level {
                txn.commit().await?;
                return Ok(view(saved, reviewer));
            }
            (saved, Some(old))
        }
    };
    // What follows reads nothing it writes: on SQLite it goes in one call.
    let mut writes = Deferred::new(&txn);
    let event = assessment_event::ActiveModel {
        assessment_id: Set(saved.id),
        person_id: Set(person_id),
        skill_code: Set(saved.skill_code.clone()),
        actor_person_id: Set(actor.person_id),
        actor_name: Set(actor.display_name.clone()),
        kind: Set("self".into()),
        from_level: Set(old.as_ref().map(|o| o.self_level)),
        to_level: Set(saved.self_level),
        comment: Set(None),
        at: Set(now),
        ..Default::default()
    };
    let backend = txn.get_database_backend();
    writes
        .push(assessment_event::Entity::insert(event).build(backend))
        .await?;
    // A level that needs agreeing: the manager hears, in a batch.
    if let Some(manager) = manager {
        crate::notifications::service::levels_waiting_soon(&mut writes, manager, now).await?;
    }
    // The summaries last: their rows are shared with other savers.
    crate::team::summary::apply_change(&mut writes, &fw, old.as_ref(), &saved).await?;
    writes.flush().await?;
    // A first assessment may start the person's first review cycle (after
    // the summaries above, whose unit it holds already on PostgreSQL).
    if old.is_none() {
        super::review_base::note_base(
            &txn,
            person_id,
            super::review_base::BaseEvent::Assessed,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(view(saved, reviewer))
}

/// A manager agrees the person's level, or sets a different one with a comment.
#[allow(clippy::too_many_arguments)]
pub async fn review(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    person_id: i32,
    actor: &CurrentUser,
    skill_code: &str,
    decision: Decision,
    level: Option<u8>,
    comment: &str,
    revision: i32,
) -> Result<AssessmentView, AppError> {
    let changed_level = validate_review(decision, level, comment)?;
    let now = Utc::now();
    let txn = crate::kernel::begin_write(db).await?;
    let old = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(person_id))
        .filter(assessment::Column::SkillCode.eq(skill_code))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("That assessment".into()))?;
    if old.revision != revision {
        return Err(AppError::Conflict(CONFLICT.into()));
    }
    let agreed = changed_level.map(i16::from).unwrap_or(old.self_level);
    let comment = Some(comment.trim().to_string()).filter(|c| !c.is_empty());
    let res = assessment::Entity::update_many()
        .col_expr(assessment::Column::AgreedLevel, Expr::value(Some(agreed)))
        .col_expr(
            assessment::Column::Status,
            Expr::value(Status::Agreed.as_str()),
        )
        .col_expr(
            assessment::Column::ManagerComment,
            Expr::value(comment.clone()),
        )
        .col_expr(assessment::Column::ReviewedBy, Expr::value(actor.person_id))
        .col_expr(assessment::Column::ReviewedAt, Expr::value(Some(now)))
        .col_expr(assessment::Column::Revision, Expr::value(old.revision + 1))
        .col_expr(assessment::Column::UpdatedAt, Expr::value(now))
        .filter(assessment::Column::Id.eq(old.id))
        .filter(assessment::Column::Revision.eq(old.revision))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::Conflict(CONFLICT.into()));
    }
    assessment_event::ActiveModel {
        assessment_id: Set(old.id),
        person_id: Set(person_id),
        skill_code: Set(old.skill_code.clone()),
        actor_person_id: Set(actor.person_id),
        actor_name: Set(actor.display_name.clone()),
        kind: Set(match decision {
            Decision::Agree => "agreed".into(),
            Decision::Change => "changed".into(),
        }),
        from_level: Set(old.agreed_level),
        to_level: Set(agreed),
        comment: Set(comment.clone()),
        at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let saved = assessment::Model {
        agreed_level: Some(agreed),
        status: Status::Agreed.as_str().into(),
        manager_comment: comment,
        reviewed_by: actor.person_id,
        reviewed_at: Some(now),
        revision: old.revision + 1,
        updated_at: now,
        ..old.clone()
    };
    let fw = framework::current_for_person(&txn, person_id).await?;
    let mut writes = Deferred::new(&txn);
    crate::team::summary::apply_change(&mut writes, &fw, Some(&old), &saved).await?;
    writes.flush().await?;
    crate::recognition::service::award_for_agreement(
        &txn,
        person_id,
        skill_code,
        agreed.clamp(0, 4) as u8,
        &actor.display_name,
        &saved.evidence,
    )
    .await?;
    let verb = match decision {
        Decision::Agree => "agreed",
        Decision::Change => "changed",
    };
    let detail = format!("{skill_code} {verb} at level {agreed}");
    let target = Some(("person", person_id));
    audit::record(&txn, by, Action::LevelReviewed, target, detail).await?;
    {
        use crate::notifications::{model::Kind, service as notices};
        let skill = fw
            .skill(skill_code)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| skill_code.to_string());
        let level = crate::framework::model::level_name(agreed.clamp(0, 4) as u8);
        let title = match decision {
            Decision::Agree => format!(
                "{} agreed your level for {skill}: {level}",
                actor.display_name
            ),
            Decision::Change => format!(
                "{} set your level for {skill} to {level}",
                actor.display_name
            ),
        };
        let body = match &saved.manager_comment {
            Some(c) => format!("Their comment: \u{201c}{c}\u{201d}"),
            None => "See it in your skills profile.".to_string(),
        };
        notices::notify_person(
            &txn,
            person_id,
            notices::NewNotice::new(Kind::LevelAgreed, title, body, "/skills"),
        )
        .await?;
    }
    txn.commit().await?;
    let mut reviewers = names(db, saved.reviewed_by.into_iter().collect()).await?;
    let reviewer = saved.reviewed_by.and_then(|id| reviewers.remove(&id));
    Ok(view(saved, reviewer))
}

/// Every change to a person's assessments, newest first.
pub async fn history(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Vec<HistoryEntry>, AppError> {
    let events = assessment_event::Entity::find()
        .filter(assessment_event::Column::PersonId.eq(person_id))
        .order_by_desc(assessment_event::Column::At)
        .order_by_desc(assessment_event::Column::Id)
        .all(db)
        .await?;
    let fw = framework::current_for_person(db, person_id).await?;
    let skill_names: HashMap<&str, &str> = fw
        .skills()
        .map(|s| (s.code.as_str(), s.name.as_str()))
        .collect();
    Ok(events
        .into_iter()
        .map(|e| HistoryEntry {
            skill_name: skill_names
                .get(e.skill_code.as_str())
                .map(|n| n.to_string())
                .unwrap_or_else(|| e.skill_code.clone()),
            skill_code: e.skill_code,
            actor: e.actor_name,
            kind: e.kind,
            from_level: e.from_level.map(|l| l.clamp(0, 4) as u8),
            to_level: e.to_level.clamp(0, 4) as u8,
            comment: e.comment,
            at: e.at.format("%-d %B %Y, %H:%M").to_string(),
        })
        .collect())
}

/// Everyone below `manager` in the line-management tree.
pub async fn managed_people(db: &impl ConnectionTrait, manager: i32) -> Result<Vec<i32>, AppError> {
    let mut found = Vec::new();
    let mut seen = HashSet::from([manager]);
    let mut frontier = vec![manager];
    while !frontier.is_empty() {
        let next: Vec<i32> = person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .filter(person::Column::LineManagerId.is_in(frontier.clone()))
            .into_tuple::<i32>()
            .all(db)
            .await?
            .into_iter()
            .filter(|id| seen.insert(*id))
            .collect();
        found.extend(&next);
        frontier = next;
    }
    Ok(found)
}

/// How many of the people the manager manages have assessments waiting
/// for agreement: `pending_reviews(..).len()` without loading the levels
/// and people (the home page's count; 55 ms of CPU for a team of 500 at
/// 20,000 staff when it loaded them).
pub async fn pending_review_count(
    db: &impl ConnectionTrait,
    manager: i32,
) -> Result<usize, AppError> {
    let ids = managed_people(db, manager).await?;
    let mut waiting = 0;
    // The chunks hold different people, so their counts add up.
    for chunk in ids.chunks(500) {
        waiting += assessment::Entity::find()
            .select_only()
            .column(assessment::Column::PersonId)
            .distinct()
            .filter(assessment::Column::PersonId.is_in(chunk.to_vec()))
            .filter(assessment::Column::Status.eq(Status::Pending.as_str()))
            .count(db)
            .await?;
    }
    Ok(waiting as usize)
}

/// People the manager manages who have assessments waiting for agreement.
pub async fn pending_reviews(
    db: &impl ConnectionTrait,
    manager: i32,
) -> Result<Vec<PendingReview>, AppError> {
    let ids = managed_people(db, manager).await?;
    let mut counts: HashMap<i32, usize> = HashMap::new();
    for chunk in ids.chunks(500) {
        for a in assessment::Entity::find()
            .filter(assessment::Column::PersonId.is_in(chunk.to_vec()))
            .filter(assessment::Column::Status.eq(Status::Pending.as_str()))
            .all(db)
            .await?
        {
            *counts.entry(a.person_id).or_default() += 1;
        }
    }
    let people_rows = person::Entity::find()
        .filter(person::Column::Id.is_in(counts.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(person::Column::FamilyName)
        .order_by_asc(person::Column::GivenName)
        .all(db)
        .await?;
    Ok(people::summarise(db, people_rows)
        .await?
        .into_iter()
        .map(|p| PendingReview {
            pending: counts.get(&p.id).copied().unwrap_or(0),
            person: p,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::*;

    /// The home page's count is the length of the list the review page
    /// shows, for a manager, a manager's manager and someone managing no one.
    #[tokio::test]
    async fn the_pending_count_is_the_pending_list_length() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        assess(&t.db, o.a, "DIG-FOUND", 2).await;
        assess(&t.db, o.a, "DAT-LIT", 1).await;
        assess(&t.db, o.b, "DIG-FOUND", 3).await;
        assess(&t.db, o.c, "DIG-FOUND", 3).await;
        agree(&t.db, o.m, o.a, "DIG-FOUND").await;
        for (who, want) in [(o.m, 2), (o.a, 1), (o.b, 0), (o.c, 0)] {
            let list = pending_reviews(&t.db, who).await.unwrap();
            assert_eq!(list.len(), want, "{who}: {list:?}");
            assert_eq!(pending_review_count(&t.db, who).await.unwrap(), want);
        }
    }
}
