//! Where each person's review cycle starts (`review_base`): their first
//! self-assessment, or their last completed review. Kept by the changes
//! that move it, in their transactions (the save in `service`, a completed
//! review in `reviews`), so that a status or a unit's counts read one row
//! per person. Below both of them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Statement};

use crate::error::AppError;
use crate::kernel::db::id_filter;

/// Where each person's current cycle starts: their last completed review,
/// or else their first self-assessment. People with neither are missing.
/// Read from `review_base`, which the saves and reviews keep (`note_base`).
pub(crate) async fn bases(
    db: &impl ConnectionTrait,
    people: Option<&[i32]>,
) -> Result<HashMap<i32, NaiveDate>, AppError> {
    let backend = db.get_database_backend();
    let mut out: HashMap<i32, NaiveDate> = HashMap::new();
    let chunks: Vec<Option<&[i32]>> = match people {
        None => vec![None],
        Some(ids) => ids.chunks(500).map(Some).collect(),
    };
    for chunk in chunks {
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT person_id, first_assessed_at, last_review_at FROM review_base \
                     WHERE {}",
                    id_filter("person_id", chunk)
                ),
            ))
            .await?;
        for r in rows {
            if let Some(base) = base_of(&r)? {
                out.insert(r.try_get("", "person_id")?, base);
            }
        }
    }
    Ok(out)
}

/// A `review_base` row's cycle start: a completed review wins over the
/// first assessment.
pub(crate) fn base_of(r: &sea_orm::QueryResult) -> Result<Option<NaiveDate>, AppError> {
    let first: Option<DateTime<Utc>> = r.try_get("", "first_assessed_at")?;
    let last: Option<DateTime<Utc>> = r.try_get("", "last_review_at")?;
    Ok(last.or(first).map(|at| at.date_naive()))
}

/// What moves a person's cycle start.
#[derive(Clone, Copy)]
pub(crate) enum BaseEvent {
    /// A new assessment (the first of a skill): their first ever starts
    /// their first cycle.
    Assessed,
    /// A completed review: the next cycle starts from it.
    Reviewed,
}

/// Notes `event` at `at` in the person's `review_base` row, in the
/// transaction of the change (the save, the review), and moves them in
/// their unit's counts by cycle start (`unit_review_day`) when it moved.
pub(crate) async fn note_base(
    db: &impl ConnectionTrait,
    person_id: i32,
    event: BaseEvent,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let before = bases(db, Some(&[person_id]))
        .await?
        .get(&person_id)
        .copied();
    // What `base_of` will read: a first assessment starts a cycle only
    // where none has started; a review always starts the next.
    let after = match event {
        BaseEvent::Assessed => before.or(Some(at.date_naive())),
        BaseEvent::Reviewed => Some(at.date_naive()),
    };
    let sql = match event {
        BaseEvent::Assessed => {
            "INSERT INTO review_base (person_id, first_assessed_at, last_review_at) \
             VALUES (?, ?, NULL) ON CONFLICT (person_id) DO UPDATE SET first_assessed_at = \
             COALESCE(review_base.first_assessed_at, excluded.first_assessed_at)"
        }
        BaseEvent::Reviewed => {
            "INSERT INTO review_base (person_id, first_assessed_at, last_review_at) \
             VALUES (?, NULL, ?) ON CONFLICT (person_id) DO UPDATE SET \
             last_review_at = excluded.last_review_at"
        }
    };
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        crate::kernel::db::placeholders(backend, sql),
        [person_id.into(), at.into()],
    ))
    .await?;
    crate::team::summary::move_review_day(db, person_id, before, after).await
}

/// Recomputes `review_base` from the history (assessment events and
/// completed reviews): for data written around the services (the demo),
/// and as the reference the tests compare the kept rows with.
pub async fn rebuild_bases(db: &impl ConnectionTrait) -> Result<(), AppError> {
    for sql in [
        "DELETE FROM review_base",
        "INSERT INTO review_base (person_id, first_assessed_at, last_review_at) \
         SELECT person_id, MIN(at), NULL FROM assessment_event GROUP BY person_id",
        "UPDATE review_base SET last_review_at = (SELECT MAX(r.completed_at) \
         FROM skills_review r WHERE r.person_id = review_base.person_id)",
        "INSERT INTO review_base (person_id, first_assessed_at, last_review_at) \
         SELECT r.person_id, NULL, MAX(r.completed_at) FROM skills_review r \
         WHERE r.person_id NOT IN (SELECT person_id FROM review_base) GROUP BY r.person_id",
    ] {
        db.execute_unprepared(sql).await?;
    }
    // Every unit's counts by cycle start follow.
    crate::team::summary::write_review_days(db, None).await
}
