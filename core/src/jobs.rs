//! The workers that run the job queue (`kernel::queue`) in each instance,
//! and what each kind of job does. Above every capability: a job calls the
//! capability's service, as a page does.
//!
//! Kinds: `import.commit` (an HR import, in one transaction),
//! `mail.notice` and `mail.digest` (email), `notify.levels_waiting` (a
//! manager's batch), `daily` (review reminders, digests) and `purge` (sessions and
//! import files past their time). Each handler may run twice (a runner that
//! died after the work, before recording it) and does no harm if it does.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use tokio::sync::watch;

use crate::error::AppError;
use crate::import::model::Progress;
use crate::import::service::{self as imports, COMMIT_JOB, CommitJob, Running};
use crate::kernel::Settings;
use crate::kernel::queue::{self, AfterFailure, Claimed, NewJob};
use crate::notifications::mail::{self, FirstSignIn, Mailer, SendError};
use crate::notifications::model::Kind as Notice;
use crate::notifications::service::{
    self as notices, DIGEST_JOB, LEVELS_WAITING_JOB, MAIL_ATTEMPTS, NewNotice, SEND_JOB,
};

const DAILY_JOB: &str = "daily";
const PURGE_JOB: &str = "purge";

/// What a worker needs: the database, the settings, the mail server (if
/// any), and this instance's record of imports it is running.
#[derive(Clone)]
pub struct Workers {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub mailer: Option<Mailer>,
    pub imports: Arc<Running>,
    /// This instance, as job rows name it: host, process and a random part.
    pub instance: String,
}

/// Why an attempt failed.
#[derive(Debug)]
pub enum JobError {
    /// Try again later.
    Retry(String),
    /// Trying again will not help.
    Permanent(String),
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        JobError::Retry(format!("{e:?}"))
    }
}

impl From<sea_orm::DbErr> for JobError {
    fn from(e: sea_orm::DbErr) -> Self {
        JobError::Retry(format!("database: {e}"))
    }
}

impl From<SendError> for JobError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Transient(m) => JobError::Retry(m),
            SendError::Permanent(m) => JobError::Permanent(m),
        }
    }
}

impl Workers {
    pub fn new(
        db: DatabaseConnection,
        settings: Arc<Settings>,
        imports: Arc<Running>,
    ) -> Result<Self, String> {
        let mailer = settings.smtp.as_ref().map(Mailer::new).transpose()?;
        notices::configure(mailer.is_some(), settings.jobs.batch);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "skillmap".into());
        let instance = format!(
            "{host}-{}-{:06x}",
            std::process::id(),
            rand::random::<u32>() & 0xff_ffff
        );
        Ok(Self {
            db,
            settings,
            mailer,
            imports,
            instance,
        })
    }

    /// Starts this instance's workers; they stop taking jobs when
    /// `stop` turns true, and finish the ones they hold.
    pub async fn spawn(self, stop: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        if self.db.get_database_backend() == DatabaseBackend::Sqlite {
            match queue::release_all(&self.db).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(jobs = n, "jobs left running by the last start queued again")
                }
                Err(e) => tracing::warn!(error = %e, "could not queue unfinished jobs again"),
            }
        }
        // A purge at each start, as well as every quarter of an hour.
        let at_start = NewJob::new(PURGE_JOB, ()).once(format!("purge:start:{}", self.instance));
        if let Err(e) = queue::enqueue(&self.db, at_start).await {
            tracing::warn!(error = %e, "could not ask for the start-up purge");
        }
        (0..self.settings.jobs.workers)
            .map(|n| {
                let w = self.clone();
                let stop = stop.clone();
                tokio::spawn(async move { w.run(n, stop).await })
            })
            .collect()
    }

    async fn run(self, n: usize, mut stop: watch::Receiver<bool>) {
        let poll = self.settings.jobs.poll;
        let mut last_schedule: Option<DateTime<Utc>> = None;
        loop {
            if *stop.borrow() {
                return;
            }
            let now = Utc::now();
            // One worker of each instance asks for the scheduled jobs; the
            // keys make sure each is made once across all instances.
            if n == 0 && last_schedule.is_none_or(|t| now - t >= chrono::Duration::seconds(60)) {
                last_schedule = Some(now);
                if let Err(e) = schedule(&self.db, &self.settings, now).await {
                    tracing::warn!(error = %e, "could not schedule the daily jobs");
                }
            }
            match self.run_one(now).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "the job queue could not be read"),
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Claims one due job and runs it; false when none was due.
    pub async fn run_one(&self, now: DateTime<Utc>) -> Result<bool, sea_orm::DbErr> {
        let lease = chrono::Duration::from_std(self.settings.jobs.lease)
            .unwrap_or(chrono::Duration::seconds(60));
        let Some(job) = queue::claim(&self.db, &self.instance, lease, now).await? else {
            return Ok(false);
        };
        // Stops renewing however this ends (a panic included).
        struct Renewal(tokio::task::JoinHandle<()>);
        impl Drop for Renewal {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        let renewal = Renewal(self.keep_lease(job.id, lease));
        let started = std::time::Instant::now();
        let outcome = if job.attempt > job.max_attempts {
            // Claimed again after its runner stopped, with no attempts left:
            // it stopped its process each time, so it is not run again.
            Err(JobError::Permanent(
                "every attempt stopped before it finished (the server stopped or restarted while running it)".into(),
            ))
        } else {
            // In a task of its own, so that a panic fails the attempt
            // instead of the worker.
            let (w, j) = (self.clone(), job.clone());
            match tokio::spawn(async move { w.handle(&j).await }).await {
                Ok(outcome) => outcome,
                Err(e) => Err(JobError::Retry(format!(
                    "the job stopped with an error: {e}"
                ))),
            }
        };
        drop(renewal);
        match outcome {
            Ok(()) => {
                let recorded =
                    retrying(|| queue::complete(&self.db, job.id, &self.instance)).await?;
                if !recorded {
                    tracing::warn!(job = job.id, kind = %job.kind, "job done, but another instance had taken it over");
                }
                tracing::debug!(job = job.id, kind = %job.kind, ms = started.elapsed().as_millis() as u64, "job done");
            }
            Err(e) => {
                let (message, permanent) = match e {
                    JobError::Retry(m) => (m, false),
                    JobError::Permanent(m) => (m, true),
                };
                let base = chrono::Duration::from_std(self.settings.jobs.retry_base)
                    .unwrap_or(chrono::Duration::seconds(30));
                let now = Utc::now();
                let after = retrying(|| {
                    queue::fail(
                        &self.db,
                        &job,
                        &self.instance,
                        &message,
                        permanent,
                        base,
                        now,
                    )
                })
                .await?;
                match after {
                    AfterFailure::RetryAt(at) => {
                        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempt, %message, retry_at = %at, "job failed; will try again");
                    }
                    AfterFailure::Dead => {
                        tracing::error!(job = job.id, kind = %job.kind, attempt = job.attempt, %message, "job failed for good");
                        if let Err(e) = self.after_dead(&job).await {
                            tracing::error!(job = job.id, error = ?e, "could not record the failed job's outcome");
                        }
                    }
                    AfterFailure::TakenOver => {
                        tracing::warn!(job = job.id, kind = %job.kind, %message, "job failed, but another instance had taken it over");
                    }
                }
            }
        }
        Ok(true)
    }

    /// Renews the job's lease while it runs, so that no other instance
    /// takes it over (PostgreSQL; see `queue::claim`).
    fn keep_lease(&self, id: i32, lease: chrono::Duration) -> tokio::task::JoinHandle<()> {
        let (db, instance) = (self.db.clone(), self.instance.clone());
        let every = (lease / 3).to_std().unwrap_or(Duration::from_secs(20));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = queue::renew(&db, &[id], &instance, Utc::now() + lease).await {
                    tracing::warn!(job = id, error = %e, "could not renew a job's lease");
                }
            }
        })
    }

    async fn handle(&self, job: &Claimed) -> Result<(), JobError> {
        match job.kind.as_str() {
            COMMIT_JOB => self.commit_import(job).await,
            SEND_JOB => self.send_notice(job).await,
            DIGEST_JOB => self.send_digest(job).await,
            LEVELS_WAITING_JOB => self.levels_waiting(job).await,
            DAILY_JOB => self.daily(Utc::now()).await,
            PURGE_JOB => self.purge(Utc::now()).await,
            other => Err(JobError::Permanent(format!("no such kind of job: {other}"))),
        }
    }

    /// When a job has failed for good: what depends on it learns so.
    async fn after_dead(&self, job: &Claimed) -> Result<(), JobError> {
        match job.kind.as_str() {
            COMMIT_JOB => {
                let p: CommitJob = payload(job)?;
                imports::mark_failed(
                    &self.db,
                    p.import,
                    "The import stopped part-way and was rolled back: nothing was changed. Try again; tell your administrator if it keeps happening.",
                )
                .await?;
            }
            SEND_JOB => {
                mail::mark_failed(&self.db, id_in(job, "notice")?).await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn commit_import(&self, job: &Claimed) -> Result<(), JobError> {
        let p: CommitJob = payload(job)?;
        let id = p.import;
        // Progress goes to this instance's memory at once, and to the job's
        // row (for other instances) at most four times a second, from a
        // connection of its own: on PostgreSQL the import's transaction
        // does not hold that row. SQLite's write lock would hold the update
        // until the import ends, and SQLite is one instance, so memory
        // serves there.
        let (tx, mut rx) = watch::channel(None::<Progress>);
        let writer = (self.db.get_database_backend() == DatabaseBackend::Postgres).then(|| {
            let (db, queue_job) = (self.db.clone(), job.id);
            tokio::spawn(async move {
                while rx.changed().await.is_ok() {
                    let latest = *rx.borrow_and_update();
                    if let Some(p) = latest
                        && let Err(e) = queue::set_progress(&db, queue_job, p.done, p.total).await
                    {
                        tracing::debug!(error = %e, "could not record an import's progress");
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        });
        // Clears this instance's progress however the import ends.
        struct Finished(Arc<Running>, i32);
        impl Drop for Finished {
            fn drop(&mut self) {
                self.0.finish(self.1);
            }
        }
        self.imports.start(id);
        let _finished = Finished(self.imports.clone(), id);
        let running = self.imports.clone();
        let progress = move |p: Progress| {
            running.set(id, p);
            let _ = tx.send(Some(p));
        };
        let result = imports::commit(
            &self.db,
            id,
            self.settings.import_limits,
            p.importer(),
            &progress,
            p.actor(),
        )
        .await;
        drop(progress);
        if let Some(w) = writer {
            w.abort();
        }
        match result {
            Ok(counts) => {
                tracing::info!(import = id, ?counts, "import committed");
                Ok(())
            }
            // Imported already, expired, or the data changed (the import
            // says so, and its uploader has been told): nothing to retry.
            // Any other refusal leaves it waiting: say why, so it is not
            // shown as importing for ever.
            Err(AppError::Conflict(reason)) => {
                tracing::info!(import = id, %reason, "import not committed");
                imports::fail_if_queued(&self.db, id, &reason).await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn send_notice(&self, job: &Claimed) -> Result<(), JobError> {
        let id = id_in(job, "notice")?;
        let Some(mailer) = &self.mailer else {
            // Mail was turned off since the notice was queued.
            return Ok(());
        };
        let base = self.settings.public_base().to_string();
        let db = self.db.clone();
        let settings = self.settings.clone();
        let link_base = base.clone();
        mail::send_notice(&self.db, mailer, &base, id, move |account| async move {
            match crate::auth::links::issue_welcome(&db, account, &settings.sso).await {
                Ok(Some(token)) => Ok(FirstSignIn::Link(format!(
                    "{link_base}/set-password?token={token}"
                ))),
                Ok(None) => Ok(FirstSignIn::SignInPage),
                Err(e) => Err(SendError::Transient(format!("{e:?}"))),
            }
        })
        .await?;
        Ok(())
    }

    async fn send_digest(&self, job: &Claimed) -> Result<(), JobError> {
        let account = id_in(job, "account")?;
        let Some(mailer) = &self.mailer else {
            return Ok(());
        };
        mail::send_digest(&self.db, mailer, self.settings.public_base(), account).await?;
        Ok(())
    }

    async fn levels_waiting(&self, job: &Claimed) -> Result<(), JobError> {
        let manager = id_in(job, "manager")?;
        // Saves from now on start the next batch.
        queue::forget_key(&self.db, job.id).await?;
        let waiting = crate::profile::service::pending_reviews(&self.db, manager).await?;
        let levels: usize = waiting.iter().map(|w| w.pending).sum();
        if levels == 0 {
            return Ok(());
        }
        let people = waiting.len();
        let title = if levels == 1 {
            "1 skill level is waiting for your agreement".to_string()
        } else {
            format!("{levels} skill levels are waiting for your agreement")
        };
        let names: Vec<String> = waiting
            .iter()
            .take(5)
            .map(|w| w.person.name.clone())
            .collect();
        let body = if people > names.len() {
            format!(
                "From {} and {} others. Agree each level, or set a different one with a comment.",
                names.join(", "),
                people - names.len()
            )
        } else {
            format!(
                "From {}. Agree each level, or set a different one with a comment.",
                names.join(", ")
            )
        };
        notices::notify_person(
            &self.db,
            manager,
            NewNotice::new(Notice::LevelsWaiting, title, body, "/team/reviews")
                .once(format!("levels_waiting:{manager}:{}", job.id)),
        )
        .await?;
        Ok(())
    }

    /// Once a day: review reminders, each person's digest, and old
    /// finished jobs cleared.
    async fn daily(&self, now: DateTime<Utc>) -> Result<(), JobError> {
        let (people, managers) =
            crate::profile::reviews::send_reminders(&self.db, now.date_naive()).await?;
        if people + managers > 0 {
            tracing::info!(people, managers, "skills review reminders written");
        }
        queue_digests(&self.db, now).await?;
        let removed = queue::purge_done(&self.db, now - chrono::Duration::days(7)).await?;
        if removed > 0 {
            tracing::info!(jobs = removed, "finished jobs older than a week removed");
        }
        Ok(())
    }

    /// Every quarter of an hour: sessions that ended, and import files past
    /// `SKILLMAP_IMPORT_RETENTION_DAYS`.
    async fn purge(&self, now: DateTime<Utc>) -> Result<(), JobError> {
        let n = crate::kernel::session::purge_expired(&self.db, &self.settings, now).await?;
        if n > 0 {
            tracing::info!(removed = n, "expired sessions removed");
        }
        let retention = chrono::Duration::days(i64::from(self.settings.import_retention_days));
        let n = imports::purge_finished_files(&self.db, retention, now).await?;
        if n > 0 {
            tracing::info!(imports = n, "old import files removed");
        }
        Ok(())
    }
}

/// Asks for the day's digest job and this quarter-hour's purge. Every
/// instance asks; the keys make one of each.
pub async fn schedule(
    db: &DatabaseConnection,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let today = now.date_naive();
    let at = today
        .and_hms_opt(settings.jobs.daily_hour, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    queue::enqueue(
        db,
        NewJob::new(DAILY_JOB, ())
            .at(at)
            .once(format!("daily:{today}")),
    )
    .await?;
    let quarter = now.timestamp().div_euclid(15 * 60);
    queue::enqueue(
        db,
        NewJob::new(PURGE_JOB, ()).once(format!("purge:{quarter}")),
    )
    .await?;
    Ok(())
}

/// Asks for a digest email for everyone with notices waiting for one (the
/// daily job, and `skillmap send-digests`). Once per person per day.
pub async fn queue_digests(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, AppError> {
    let day = now.format("%Y-%m-%d");
    let mut queued = 0;
    for account in notices::digest_accounts(db).await? {
        let made = queue::enqueue(
            db,
            NewJob::new(DIGEST_JOB, serde_json::json!({ "account": account }))
                .attempts(MAIL_ATTEMPTS)
                .once(format!("digest:{account}:{day}")),
        )
        .await?;
        queued += usize::from(made.is_some());
    }
    Ok(queued)
}

/// Records a job's outcome, trying again for a while if the database is
/// busy (on SQLite an import holds the write lock for its whole
/// transaction): a job left marked running there waits for a restart.
async fn retrying<T, F, Fut>(mut record: F) -> Result<T, sea_orm::DbErr>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sea_orm::DbErr>>,
{
    let mut wait = Duration::from_millis(200);
    for _ in 0..8 {
        match record().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                tracing::warn!(error = %e, "could not record a job's outcome; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
    record().await
}

fn payload<T: serde::de::DeserializeOwned>(job: &Claimed) -> Result<T, JobError> {
    serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Permanent(format!("the job's payload is not understood: {e}")))
}

fn id_in(job: &Claimed, field: &str) -> Result<i32, JobError> {
    job.payload[field]
        .as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| JobError::Permanent(format!("the job's payload has no {field}")))
}
