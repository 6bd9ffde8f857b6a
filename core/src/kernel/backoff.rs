//! The per-account back-off. The per-address limit (`LoginLimiter`) does
//! nothing against guessing one account's password from many addresses, so
//! failed sign-ins are also counted per email address, from anywhere: after
//! a few in a row, each further attempt must wait a delay that doubles from
//! one second up to a cap, and is refused without checking its password
//! (no hash) until the delay has passed. A success starts the count again.
//!
//! The count lives in the database (`sign_in_backoff`), so every instance
//! behind a load balancer sees the same one. Each attempt is counted
//! *before* its password is checked, atomically (compare-and-set on the
//! count), so a burst of simultaneous guesses cannot all slip in before the
//! first failure is written. Unknown email addresses are counted the same
//! way, so the back-off does not tell anyone which accounts exist.
//!
//! The cap (`Settings::account_max_delay`, 15 minutes by default) is what
//! keeps an attacker from locking a real person out for long: refusals do
//! not extend the delay, only attempts that were checked do, and a success
//! clears it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use super::Settings;
use crate::entities::sign_in_backoff;

/// Failures further apart than this (or twice the cap, if longer) are not
/// consecutive: the count starts again.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Times to retry counting an attempt that others counted first.
const CLAIM_TRIES: usize = 5;
/// Seconds between prunings of forgotten rows, per instance.
const PRUNE_EVERY_SECS: i64 = 60;

/// The back-off's rules, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Failures before the first delay.
    pub free_failures: u32,
    /// The longest delay; zero turns the back-off off.
    pub max_delay: Duration,
}

impl Rules {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            free_failures: settings.account_failures_before_delay.max(1),
            max_delay: settings.account_max_delay,
        }
    }

    /// The wait after `failures` consecutive failures: none for the first
    /// few, then one second, doubling, up to the cap.
    pub fn delay(&self, failures: i32) -> Option<Duration> {
        let failures = u32::try_from(failures).ok()?;
        if self.max_delay.is_zero() || failures < self.free_failures {
            return None;
        }
        let doublings = (failures - self.free_failures).min(40);
        Some(Duration::from_secs(1u64 << doublings).min(self.max_delay))
    }

    fn forget_after(&self) -> Duration {
        FORGET_AFTER.max(self.max_delay.saturating_mul(2))
    }
}

/// One sign-in attempt, counted against its email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt(Option<Counted>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Counted {
    key: String,
    /// The count this attempt set.
    failures: i32,
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Check its password; it is counted as a failure until `succeeded`.
    Go(Attempt),
    /// Refuse it unchecked: too many failures; the next may come after this.
    Wait(Duration),
}

/// The stored key for an email address: never the address itself (people
/// type passwords into the email box).
fn email_key(email: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"skillmap sign-in back-off\n");
    digest.update(email.as_bytes());
    hex::encode(digest.finalize())
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::days(365))
}

/// Counts an attempt to sign in as `email` (normalised) at `now`, before
/// its password is checked, or says how long it must wait.
pub async fn claim(
    db: &impl ConnectionTrait,
    rules: Rules,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Claim, DbErr> {
    if rules.max_delay.is_zero() {
        return Ok(Claim::Go(Attempt(None)));
    }
    let key = email_key(email);
    for _ in 0..CLAIM_TRIES {
        let found = sign_in_backoff::Entity::find_by_id(key.clone())
            .one(db)
            .await?;
        let Some(row) = found else {
            let first = sign_in_backoff::ActiveModel {
                email_key: Set(key.clone()),
                failures: Set(1),
                last_failure_at: Set(now),
            };
            let inserted = sign_in_backoff::Entity::insert(first)
                .on_conflict(
                    OnConflict::column(sign_in_backoff::Column::EmailKey)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
            if inserted == 1 {
                // New rows are how the table grows: prune it now and then.
                prune_now_and_then(db, rules, now).await?;
                return Ok(Claim::Go(Attempt(Some(Counted { key, failures: 1 }))));
            }
            continue;
        };
        // A clock behind another instance's reads as no time passed.
        let since = (now - row.last_failure_at).to_std().unwrap_or_default();
        let consecutive = since < rules.forget_after();
        if consecutive
            && let Some(wait) = rules.delay(row.failures)
            && since < wait
        {
            return Ok(Claim::Wait(wait - since));
        }
        let failures = if consecutive {
            row.failures.saturating_add(1)
        } else {
            1
        };
        let counted = sign_in_backoff::Entity::update_many()
            .col_expr(sign_in_backoff::Column::Failures, Expr::value(failures))
            .col_expr(sign_in_backoff::Column::LastFailureAt, Expr::value(now))
            .filter(sign_in_backoff::Column::EmailKey.eq(key.as_str()))
            .filter(sign_in_backoff::Column::Failures.eq(row.failures))
            .exec(db)
            .await?
            .rows_affected;
        if counted == 1 {
            return Ok(Claim::Go(Attempt(Some(Counted { key, failures }))));
        }
        // Another attempt was counted in between: look again.
    }
    // Attempts at this address are being counted faster than it can be
    // read: someone is hammering it, so this one waits.
    Ok(Claim::Wait(Duration::from_secs(1)))
}

/// The password was right: the count starts again.
pub async fn succeeded(db: &impl ConnectionTrait, attempt: Attempt) -> Result<(), DbErr> {
    if let Some(counted) = attempt.0 {
        sign_in_backoff::Entity::delete_many()
            .filter(sign_in_backoff::Column::EmailKey.eq(counted.key))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The password was never checked (hashing was busy): the attempt no
/// longer counts, unless others were counted since.
pub async fn not_checked(db: &impl ConnectionTrait, attempt: Attempt) -> Result<(), DbErr> {
    if let Some(counted) = attempt.0 {
        sign_in_backoff::Entity::update_many()
            .col_expr(
                sign_in_backoff::Column::Failures,
                Expr::value(counted.failures - 1),
            )
            .filter(sign_in_backoff::Column::EmailKey.eq(counted.key))
            .filter(sign_in_backoff::Column::Failures.eq(counted.failures))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Deletes rows nobody has failed with for longer than they are
/// remembered, at most once a minute per instance.
async fn prune_now_and_then(
    db: &impl ConnectionTrait,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    static LAST_PRUNED: AtomicI64 = AtomicI64::new(0);
    let last = LAST_PRUNED.load(Ordering::Acquire);
    let due = now.timestamp() - last >= PRUNE_EVERY_SECS;
    if due
        && LAST_PRUNED
            .compare_exchange(last, now.timestamp(), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    {
        let cutoff = now - chrono_duration(rules.forget_after());
        sign_in_backoff::Entity::delete_many()
            .filter(sign_in_backoff::Column::LastFailureAt.lt(cutoff))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Seconds to tell a person to wait, rounded up.
pub fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use sea_orm::PaginatorTrait;

    use super::*;
    use crate::kernel::testing::test_db;

    const RULES: Rules = Rules {
        free_failures: 3,
        max_delay: Duration::from_secs(900),
    };

    fn go(claim: Claim) -> Attempt {
        match claim {
            Claim::Go(attempt) => attempt,
            Claim::Wait(wait) => panic!("expected to go ahead, told to wait {wait:?}"),
        }
    }

    fn wait(claim: Claim) -> Duration {
        match claim {
            Claim::Wait(wait) => wait,
            Claim::Go(_) => panic!("expected to wait"),
        }
    }

    #[test]
    fn delays_double_from_one_second_to_the_cap() {
        let delays: Vec<Option<u64>> = (0..20)
            .map(|n| RULES.delay(n).map(|d| d.as_secs()))
            .collect();
        assert_eq!(delays[..3], [None, None, None]);
        assert_eq!(delays[3..8], [Some(1), Some(2), Some(4), Some(8), Some(16)]);
        assert_eq!(delays[13], Some(900), "capped");
        assert_eq!(delays[19], Some(900));
        assert_eq!(RULES.delay(i32::MAX), Some(Duration::from_secs(900)));
        let off = Rules {
            max_delay: Duration::ZERO,
            ..RULES
        };
        assert_eq!(off.delay(100), None);
        assert_eq!(whole_seconds(Duration::from_millis(1200)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(3)), 3);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
    }

    /// Failures from anywhere add up; past the free ones each attempt
    /// waits its delay; a success starts again; old failures are forgotten.
    #[tokio::test]
    async fn failures_add_up_wait_and_start_again() {
        let t = test_db().await;
        let db = &t.db;
        let email = "nurse@trust.nhs.uk";
        // Whole seconds: PostgreSQL keeps microseconds, not nanoseconds.
        let t0 = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        for _ in 0..3 {
            go(claim(db, RULES, email, t0).await.unwrap());
        }
        // The third failure earned a one-second wait.
        assert_eq!(
            wait(claim(db, RULES, email, t0).await.unwrap()),
            Duration::from_secs(1)
        );
        let half = t0 + chrono::Duration::milliseconds(400);
        assert_eq!(
            wait(claim(db, RULES, email, half).await.unwrap()),
            Duration::from_millis(600),
            "refusals do not extend the wait"
        );
        let t1 = t0 + chrono::Duration::seconds(1);
        go(claim(db, RULES, email, t1).await.unwrap());
        assert_eq!(
            wait(claim(db, RULES, email, t1).await.unwrap()),
            Duration::from_secs(2)
        );
        // Another address is not affected.
        go(claim(db, RULES, "other@trust.nhs.uk", t1).await.unwrap());
        // A success clears the count.
        let t2 = t1 + chrono::Duration::seconds(2);
        let attempt = go(claim(db, RULES, email, t2).await.unwrap());
        succeeded(db, attempt).await.unwrap();
        for _ in 0..3 {
            go(claim(db, RULES, email, t2).await.unwrap());
        }
        wait(claim(db, RULES, email, t2).await.unwrap());
        // Hours later the old failures no longer count.
        let later = t2 + chrono::Duration::hours(2);
        go(claim(db, RULES, email, later).await.unwrap());
        go(claim(db, RULES, email, later).await.unwrap());
        go(claim(db, RULES, email, later).await.unwrap());
        wait(claim(db, RULES, email, later).await.unwrap());
    }

    /// An attempt whose password was never checked does not count.
    #[tokio::test]
    async fn unchecked_attempts_do_not_count() {
        let t = test_db().await;
        let db = &t.db;
        let now = Utc::now();
        for _ in 0..5 {
            let attempt = go(claim(db, RULES, "busy@trust.nhs.uk", now).await.unwrap());
            not_checked(db, attempt).await.unwrap();
        }
        go(claim(db, RULES, "busy@trust.nhs.uk", now).await.unwrap());
    }

    /// Many simultaneous guesses at one address: no more go ahead than the
    /// free failures, and every one that did is counted.
    #[tokio::test]
    async fn a_burst_of_guesses_cannot_slip_past_the_count() {
        let t = test_db().await;
        let now = Utc::now();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let db = t.db.clone();
            tasks.push(tokio::spawn(async move {
                claim(&db, RULES, "target@trust.nhs.uk", now).await
            }));
        }
        let mut went = 0;
        for task in tasks {
            if let Claim::Go(_) = task.await.unwrap().unwrap() {
                went += 1;
            }
        }
        assert!((1..=3).contains(&went), "{went} went ahead");
        let row = sign_in_backoff::Entity::find_by_id(email_key("target@trust.nhs.uk"))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.failures, went);
    }

    /// The back-off can be turned off, and keeps nothing then.
    #[tokio::test]
    async fn off_means_off() {
        let t = test_db().await;
        let off = Rules {
            max_delay: Duration::ZERO,
            ..RULES
        };
        for _ in 0..10 {
            go(claim(&t.db, off, "x@trust.nhs.uk", Utc::now())
                .await
                .unwrap());
        }
        let rows = sign_in_backoff::Entity::find().count(&t.db).await.unwrap();
        assert_eq!(rows, 0);
    }
}
