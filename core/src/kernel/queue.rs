//! The job queue, in the database so that any instance can run what any
//! other asked for, and a restart loses nothing.
//!
//! A job is claimed under a lease: `claim` marks the oldest due job
//! running, names the instance, and counts the attempt, in one write
//! transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances never
//! wait for each other's claims; SQLite's `BEGIN IMMEDIATE` makes claims
//! take turns). The runner renews the lease while it works. A job whose
//! runner died is taken again once its lease has passed (on PostgreSQL),
//! or at the next start (SQLite is one instance per file, and its write
//! lock would hold back the renewal of a long import's lease anyway). A
//! failed attempt waits longer each time; after the last attempt the job
//! is dead, shown to administrators, who may try it again.
//!
//! A job may therefore run more than once (its runner died after the work,
//! before `complete`): every handler is written to be run again safely.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set, TransactionSession, TransactionTrait,
};
use serde::Serialize;

use crate::entities::job;

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const DEAD: &str = "dead";

/// A job to add.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    pub dedupe_key: Option<String>,
    pub max_attempts: i32,
}

impl NewJob {
    /// To run as soon as a worker is free, tried up to 5 times.
    pub fn new(kind: &str, payload: impl Serialize) -> Self {
        Self {
            kind: kind.to_string(),
            payload: serde_json::to_value(payload).unwrap_or(serde_json::Value::Null),
            run_at: Utc::now(),
            dedupe_key: None,
            max_attempts: 5,
        }
    }

    /// Not before this time.
    pub fn at(mut self, run_at: DateTime<Utc>) -> Self {
        self.run_at = run_at;
        self
    }

    /// Only one job with this key is ever made: asking again, from this
    /// instance or another, adds nothing.
    pub fn once(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn attempts(mut self, max: i32) -> Self {
        self.max_attempts = max.max(1);
        self
    }
}

/// Adds a job, in the caller's transaction when it has one: the job exists
/// if and only if the change that asked for it does. `None` when a job with
/// the same key exists already.
pub async fn enqueue(db: &impl ConnectionTrait, new: NewJob) -> Result<Option<i32>, DbErr> {
    match insert_of(new).exec(db).await {
        Ok(r) => Ok(Some(r.last_insert_id)),
        Err(DbErr::RecordNotInserted) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Adds a job as `enqueue` does, in `batch` (sent with the rest of a write
/// turn's writes, on SQLite), when the caller needs neither its id nor
/// whether a job with its key was waiting already.
pub async fn enqueue_in<C: ConnectionTrait>(
    batch: &mut crate::kernel::db::Deferred<'_, C>,
    new: NewJob,
) -> Result<(), DbErr> {
    let backend = batch.db().get_database_backend();
    batch.push(insert_of(new).build(backend)).await
}

/// The insert of a new job: one with a key already waiting is left out.
fn insert_of(new: NewJob) -> sea_orm::Insert<job::ActiveModel> {
    let now = Utc::now();
    let m = job::ActiveModel {
        kind: Set(new.kind),
        payload: Set(new.payload.to_string()),
        status: Set(QUEUED.into()),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts),
        run_at: Set(new.run_at),
        lease_until: Set(None),
        locked_by: Set(None),
        dedupe_key: Set(new.dedupe_key),
        last_error: Set(None),
        progress_done: Set(None),
        progress_total: Set(None),
        created_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    };
    job::Entity::insert(m).on_conflict(
        OnConflict::column(job::Column::DedupeKey)
            .do_nothing()
            .to_owned(),
    )
}

/// Adds many keyless jobs at once (an import's welcome emails).
pub async fn enqueue_many(db: &impl ConnectionTrait, jobs: Vec<NewJob>) -> Result<(), DbErr> {
    let now = Utc::now();
    for chunk in jobs.chunks(500) {
        let rows = chunk.iter().map(|new| job::ActiveModel {
            kind: Set(new.kind.clone()),
            payload: Set(new.payload.to_string()),
            status: Set(QUEUED.into()),
            attempts: Set(0),
            max_attempts: Set(new.max_attempts),
            run_at: Set(new.run_at),
            lease_until: Set(None),
            locked_by: Set(None),
            dedupe_key: Set(None),
            last_error: Set(None),
            progress_done: Set(None),
            progress_total: Set(None),
            created_at: Set(now),
            finished_at: Set(None),
            ..Default::default()
        });
        job::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A job claimed by this instance.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i32,
    pub kind: String,
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
}

/// Takes the oldest job that is due, if any, for `worker` until
/// `now + lease`.
pub async fn claim<C>(
    db: &C,
    worker: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    use sea_orm::ExprTrait;
    let txn = super::begin_write(db).await?;
    let postgres = txn.get_database_backend() == DatabaseBackend::Postgres;
    let due = job::Column::Status
        .eq(QUEUED)
        .and(job::Column::RunAt.lte(now));
    // On PostgreSQL a runner that died leaves its lease to run out; SQLite
    // gives its jobs back at start-up instead (`release_all`).
    let cond = if postgres {
        due.or(job::Column::Status
            .eq(RUNNING)
            .and(job::Column::LeaseUntil.lt(now)))
    } else {
        due
    };
    let mut q = job::Entity::find()
        .filter(cond)
        .order_by_asc(job::Column::RunAt)
        .order_by_asc(job::Column::Id)
        .limit(1);
    if postgres {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(found) = q.one(&txn).await? else {
        return Ok(None);
    };
    let attempt = found.attempts + 1;
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(RUNNING))
        .col_expr(job::Column::Attempts, Expr::value(attempt))
        .col_expr(job::Column::LockedBy, Expr::value(worker))
        .col_expr(job::Column::LeaseUntil, Expr::value(now + lease))
        .filter(job::Column::Id.eq(found.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(Claimed {
        id: found.id,
        kind: found.kind,
        payload: serde_json::from_str(&found.payload).unwrap_or(serde_json::Value::Null),
        attempt,
        max_attempts: found.max_attempts,
    }))
}

/// Frees a running job's key, so that asking again makes a new job: a
/// batch that has started counting lets the next change start the next
/// batch.
pub async fn forget_key(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(job::Column::DedupeKey, Expr::value(Option::<String>::None))
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Keeps this instance's claim on running jobs for another `lease`.
pub async fn renew(
    db: &impl ConnectionTrait,
    ids: &[i32],
    worker: &str,
    until: DateTime<Utc>,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    job::Entity::update_many()
        .col_expr(job::Column::LeaseUntil, Expr::value(until))
        .filter(job::Column::Id.is_in(ids.iter().copied()))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(())
}

/// How far a running job has got, for any instance to show.
pub async fn set_progress(
    db: &impl ConnectionTrait,
    id: i32,
    done: usize,
    total: usize,
) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(job::Column::ProgressDone, Expr::value(done as i32))
        .col_expr(job::Column::ProgressTotal, Expr::value(total as i32))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(())
}

/// The job did its work. Only the claim's holder can say so: a job taken
/// over after its lease ran out is the new runner's to finish (false).
pub async fn complete(db: &impl ConnectionTrait, id: i32, worker: &str) -> Result<bool, DbErr> {
    let r = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(DONE))
        .col_expr(job::Column::FinishedAt, Expr::value(Utc::now()))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Queued again, not before this.
    RetryAt(DateTime<Utc>),
    /// No attempts left (or the failure was permanent): an administrator
    /// sees it.
    Dead,
    /// Nothing recorded: another instance took the job over meanwhile, and
    /// its outcome is theirs to record.
    TakenOver,
}

/// Records a failed attempt: queued again after a wait that doubles each
/// time (`base`, capped at an hour, with some jitter so that jobs failed
/// together do not retry together), or dead once its attempts are used up
/// or when `permanent`.
pub async fn fail(
    db: &impl ConnectionTrait,
    claimed: &Claimed,
    worker: &str,
    error: &str,
    permanent: bool,
    base: Duration,
    now: DateTime<Utc>,
) -> Result<AfterFailure, DbErr> {
    let error: String = error.chars().take(2_000).collect();
    let after = if permanent || claimed.attempt >= claimed.max_attempts {
        AfterFailure::Dead
    } else {
        AfterFailure::RetryAt(now + backoff(claimed.attempt, base))
    };
    let mut q = job::Entity::update_many()
        .col_expr(job::Column::LastError, Expr::value(error))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None));
    q = match after {
        AfterFailure::RetryAt(at) => q
            .col_expr(job::Column::Status, Expr::value(QUEUED))
            .col_expr(job::Column::RunAt, Expr::value(at)),
        AfterFailure::Dead | AfterFailure::TakenOver => q
            .col_expr(job::Column::Status, Expr::value(DEAD))
            .col_expr(job::Column::FinishedAt, Expr::value(now)),
    };
    let r = q
        .filter(job::Column::Id.eq(claimed.id))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(if r.rows_affected == 1 {
        after
    } else {
        AfterFailure::TakenOver
    })
}

/// The wait before attempt `attempt + 1`.
pub fn backoff(attempt: i32, base: Duration) -> Duration {
    use rand::Rng;
    let doublings = attempt.clamp(1, 20) - 1;
    let wait = base
        .checked_mul(1 << doublings)
        .unwrap_or(Duration::hours(1))
        .min(Duration::hours(1));
    // Up to a fifth more, so that jobs that failed together spread out.
    let spread = wait.num_milliseconds() / 5;
    let jitter = if spread > 0 {
        rand::thread_rng().gen_range(0..=spread)
    } else {
        0
    };
    wait + Duration::milliseconds(jitter)
}

/// At start-up on SQLite: every job marked running belongs to a process
/// that has stopped (one instance per database file), so it is queued
/// again at once rather than when its lease would have run out. (One
/// whose attempts are used up is then claimed with an attempt past its
/// last, and the worker marks it dead: a job that stops its process each
/// time does not do so for ever.)
pub async fn release_all(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let r = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(QUEUED))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
        .filter(job::Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// A job as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRow {
    pub id: i32,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub run_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl JobRow {
    fn of(j: job::Model) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            status: j.status,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            created_at: j.created_at,
            run_at: j.run_at,
            finished_at: j.finished_at,
        }
    }
}

/// How many jobs are in each state that matters to an administrator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub queued: u64,
    pub running: u64,
    /// Queued again after a failed attempt.
    pub retrying: u64,
    pub dead: u64,
}

pub async fn counts(db: &impl ConnectionTrait) -> Result<Counts, DbErr> {
    let count = |status: &'static str| {
        job::Entity::find()
            .filter(job::Column::Status.eq(status))
            .count(db)
    };
    let retrying = job::Entity::find()
        .filter(job::Column::Status.eq(QUEUED))
        .filter(job::Column::Attempts.gt(0))
        .count(db)
        .await?;
    Ok(Counts {
        queued: count(QUEUED).await?,
        running: count(RUNNING).await?,
        retrying,
        dead: count(DEAD).await?,
    })
}

/// Dead jobs, and jobs waiting to try again, newest first.
pub async fn troubled(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<JobRow>, DbErr> {
    use sea_orm::ExprTrait;
    Ok(job::Entity::find()
        .filter(
            job::Column::Status.eq(DEAD).or(job::Column::Status
                .eq(QUEUED)
                .and(job::Column::Attempts.gt(0))),
        )
        .order_by_desc(job::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(JobRow::of)
        .collect())
}

/// Gives a dead job its attempts again, to run now. False when the job is
/// not dead (someone tried it again first, or it never died).
pub async fn retry(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    let r = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(QUEUED))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(Utc::now()))
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.eq(DEAD))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// A job's state and progress, for a page polling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub status: String,
    pub progress: Option<(usize, usize)>,
    pub last_error: Option<String>,
}

pub async fn state(db: &impl ConnectionTrait, id: i32) -> Result<Option<State>, DbErr> {
    Ok(job::Entity::find_by_id(id).one(db).await?.map(|j| State {
        progress: match (j.progress_done, j.progress_total) {
            (Some(d), Some(t)) => Some((d.max(0) as usize, t.max(0) as usize)),
            _ => None,
        },
        status: j.status,
        last_error: j.last_error,
    }))
}

/// Removes finished jobs (done, not dead) older than `before`: the record of
/// what went well is not kept forever. Dead jobs stay for an administrator.
pub async fn purge_done(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let r = job::Entity::delete_many()
        .filter(job::Column::Status.eq(DONE))
        .filter(job::Column::FinishedAt.lt(before))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// For the queue's own tests and benchmarks: the status of every job.
pub async fn statuses(db: &impl ConnectionTrait) -> Result<Vec<(i32, String, i32)>, DbErr> {
    Ok(job::Entity::find()
        .order_by_asc(job::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|j| (j.id, j.status, j.attempts))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::test_db;

    fn secs(n: i64) -> Duration {
        Duration::seconds(n)
    }

    #[tokio::test]
    async fn a_job_is_claimed_once_retried_with_back_off_then_dead() {
        let t = test_db().await;
        let db = t.db.clone();
        let id = enqueue(
            &db,
            NewJob::new("test", serde_json::json!({"n": 1})).attempts(2),
        )
        .await
        .unwrap()
        .unwrap();
        let now = Utc::now();
        let c = claim(&db, "a", secs(60), now).await.unwrap().unwrap();
        assert_eq!((c.id, c.attempt, c.payload["n"].as_i64()), (id, 1, Some(1)));
        // Nobody else gets it while it runs.
        assert!(claim(&db, "b", secs(60), now).await.unwrap().is_none());
        // A failure waits at least the base before the next attempt.
        let after = fail(&db, &c, "a", "boom", false, secs(10), now)
            .await
            .unwrap();
        let AfterFailure::RetryAt(at) = after else {
            panic!("expected a retry, got {after:?}")
        };
        assert!(
            at >= now + secs(10) && at <= now + secs(12),
            "{at} vs {now}"
        );
        assert!(claim(&db, "a", secs(60), now).await.unwrap().is_none());
        let c = claim(&db, "b", secs(60), at).await.unwrap().unwrap();
        assert_eq!(c.attempt, 2);
        // The last attempt fails: dead, and shown as such.
        // Someone else's word that it failed changes nothing.
        let after = fail(&db, &c, "a", "not mine", false, secs(10), at)
            .await
            .unwrap();
        assert_eq!(after, AfterFailure::TakenOver);
        let after = fail(&db, &c, "b", "boom again", false, secs(10), at)
            .await
            .unwrap();
        assert_eq!(after, AfterFailure::Dead);
        let rows = troubled(&db, 10).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, DEAD);
        assert_eq!(rows[0].last_error.as_deref(), Some("boom again"));
        assert_eq!(counts(&db).await.unwrap().dead, 1);
        // An administrator tries it again: it runs from the first attempt.
        assert!(retry(&db, id).await.unwrap());
        assert!(!retry(&db, id).await.unwrap(), "only a dead job is retried");
        let c = claim(&db, "a", secs(60), Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.attempt, 1);
        complete(&db, c.id, "a").await.unwrap();
        assert_eq!(
            statuses(&db).await.unwrap(),
            vec![(id, DONE.to_string(), 1)]
        );
    }

    #[tokio::test]
    async fn a_key_makes_one_job_and_only_the_holder_finishes_it() {
        let t = test_db().await;
        let db = t.db.clone();
        let first = enqueue(&db, NewJob::new("k", ()).once("daily:2026-12-05"))
            .await
            .unwrap();
        let again = enqueue(&db, NewJob::new("k", ()).once("daily:2026-12-05"))
            .await
            .unwrap();
        assert!(first.is_some());
        assert_eq!(again, None);
        // Keyless jobs never collide.
        assert!(enqueue(&db, NewJob::new("k", ())).await.unwrap().is_some());
        assert!(enqueue(&db, NewJob::new("k", ())).await.unwrap().is_some());
        let c = claim(&db, "a", secs(60), Utc::now())
            .await
            .unwrap()
            .unwrap();
        // Someone else's word that it is done changes nothing.
        assert!(!complete(&db, c.id, "b").await.unwrap());
        let status = statuses(&db).await.unwrap();
        assert_eq!(status[0].1, RUNNING);
    }

    #[tokio::test]
    async fn a_job_due_later_waits_and_a_dead_runner_gives_its_jobs_back() {
        let t = test_db().await;
        let db = t.db.clone();
        let now = Utc::now();
        enqueue(&db, NewJob::new("later", ()).at(now + secs(3600)))
            .await
            .unwrap();
        assert!(claim(&db, "a", secs(60), now).await.unwrap().is_none());
        let c = claim(&db, "a", secs(1), now + secs(3601))
            .await
            .unwrap()
            .unwrap();
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        let much_later = now + secs(7200);
        if postgres {
            // The runner's lease ran out: another instance takes the job.
            let again = claim(&db, "b", secs(60), much_later)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((again.id, again.attempt), (c.id, 2));
        } else {
            // SQLite waits for the next start, then gives it back at once.
            assert!(
                claim(&db, "b", secs(60), much_later)
                    .await
                    .unwrap()
                    .is_none()
            );
            assert_eq!(release_all(&db).await.unwrap(), 1);
            let again = claim(&db, "b", secs(60), much_later)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((again.id, again.attempt), (c.id, 2));
        }
    }

    #[test]
    fn back_off_doubles_up_to_an_hour() {
        let base = Duration::seconds(30);
        let first = backoff(1, base);
        assert!(first >= base && first <= base + Duration::seconds(6));
        let fourth = backoff(4, base);
        assert!(fourth >= Duration::seconds(240) && fourth <= Duration::seconds(288));
        let late = backoff(40, base);
        assert!(late >= Duration::hours(1) && late <= Duration::minutes(72));
    }
}
