//! Server-side plumbing every capability uses: shared state, settings, the
//! session, password hashing, the authorization guards and the audit trail.

pub mod audit;
pub mod backoff;
pub mod flash;
pub mod guard;
pub mod password;
pub mod session;
pub mod settings;
#[cfg(test)]
pub mod testing;

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use leptos::prelude::use_context;
use sea_orm::DatabaseConnection;

pub use guard::{
    current_user, reply, require_manager_of, require_person_access, require_role, require_user,
};
pub use settings::Settings;

use crate::error::AppError;

/// What every request can reach: provided as Leptos context to pages and
/// server functions. Holds nothing another instance would need to share.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub login_limiter: Arc<LoginLimiter>,
    /// Imports running now, for their progress bars.
    pub imports: Arc<crate::import::service::Running>,
    /// Signs and checks the errors form posts are sent back with: the
    /// shared key from the database once `flash::load_key` has run.
    pub form_errors: Arc<flash::FlashKey>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: Settings) -> Self {
        password::limit_concurrency(settings.max_concurrent_hashes);
        let login_limiter = Arc::new(LoginLimiter::new(
            settings.login_burst,
            settings.login_per_minute,
        ));
        Self {
            db,
            settings: Arc::new(settings),
            login_limiter,
            imports: Arc::default(),
            form_errors: Arc::new(flash::FlashKey::random()),
        }
    }
}

/// Log-in attempts allowed per client network (`network_of`): a burst,
/// then a steady rate.
pub struct LoginLimiter(DefaultKeyedRateLimiter<IpAddr>);

impl LoginLimiter {
    pub fn new(burst: u32, per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).expect("at least one");
        let burst = NonZeroU32::new(burst.max(1)).expect("at least one");
        Self(RateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(burst),
        ))
    }

    /// True when this address (its network) may try again now.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let allowed = self.0.check_key(&network_of(ip)).is_ok();
        // Keep the table from growing without bound under a spray of addresses.
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        allowed
    }
}

/// The network a client address stands for, as throttling counts it: an
/// IPv4 address itself, an IPv6 address its /64. One IPv6 subscriber is
/// given a /64 (or more) and may use any address in it, so counting
/// addresses would give them 2^64 fresh limits.
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !(u128::from(u64::MAX));
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

pub fn db() -> Result<DatabaseConnection, AppError> {
    Ok(state()?.db)
}

/// Begins a transaction that will write. On SQLite this is `BEGIN
/// IMMEDIATE`: the write lock is taken at the start, so a second writer
/// waits its turn (up to the busy timeout). A plain `BEGIN` reads first
/// and asks for the lock at its first write; if another writer committed
/// in between, SQLite refuses at once with "database is locked" and does
/// not wait, so concurrent saves failed. Inside a transaction already it
/// is a savepoint, covered by the outer transaction's lock.
pub async fn begin_write<C>(db: &C) -> Result<C::Transaction, sea_orm::DbErr>
where
    C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait,
{
    use sea_orm::{DbBackend, SqliteTransactionMode, TransactionOptions};
    if db.get_database_backend() != DbBackend::Sqlite {
        return db.begin().await;
    }
    let immediate = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    match db.begin_with_options(immediate).await {
        // sqlx refuses a custom BEGIN inside a transaction (a savepoint).
        Err(e) if e.to_string().contains("non-zero transaction depth") => db.begin().await,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use super::{LoginLimiter, begin_write, network_of};
    use crate::platform::testing::test_db;

    #[test]
    fn ipv6_is_counted_per_64_and_ipv4_per_address() {
        let ip = |s: &str| -> std::net::IpAddr { s.parse().unwrap() };
        assert_eq!(network_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            network_of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            ip("2001:db8:1:2::")
        );
        assert_ne!(network_of(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(network_of(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(network_of(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }

    /// Fresh addresses in one /64 do not buy fresh attempts.
    #[test]
    fn one_ipv6_64_shares_one_limit() {
        let limiter = LoginLimiter::new(3, 1);
        for i in 1..=3u16 {
            let ip = std::net::IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 7, 1, i, 0, 0, 1));
            assert!(limiter.allow(ip), "attempt {i}");
        }
        let fourth = "2001:db8:7:1:ffff::9".parse().unwrap();
        assert!(!limiter.allow(fourth), "same /64, same limit");
        let elsewhere = "2001:db8:7:2::1".parse().unwrap();
        assert!(limiter.allow(elsewhere), "another /64 is another client");
    }

    async fn count(db: &impl ConnectionTrait) -> i64 {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) FROM org_unit",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    }

    async fn add_unit(db: &impl ConnectionTrait, code: &str) {
        db.execute_unprepared(&format!(
            "INSERT INTO org_unit (code, name, kind) VALUES ('{code}', 'Unit {code}', 'team')"
        ))
        .await
        .unwrap();
    }

    /// Two writers that each read, then write (the shape of every save):
    /// with a plain BEGIN on SQLite the second failed at once with
    /// "database is locked"; with `begin_write` both commit.
    #[tokio::test]
    async fn writers_that_read_first_both_commit() {
        let t = test_db().await;
        let first = begin_write(&t.db).await.unwrap();
        let before = count(&first).await;
        let db = t.db.clone();
        let second = tokio::spawn(async move {
            let txn = begin_write(&db).await.unwrap();
            let seen = count(&txn).await;
            add_unit(&txn, "W2").await;
            txn.commit().await.unwrap();
            seen
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        add_unit(&first, "W1").await;
        first.commit().await.unwrap();
        let seen = second.await.unwrap();
        if t.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            // The second began after the first committed: it waited its turn.
            assert_eq!(seen, before + 1);
        }
        assert_eq!(count(&t.db).await, before + 2);
    }

    /// Inside a transaction already, it is a savepoint that rolls back alone.
    #[tokio::test]
    async fn nested_is_a_savepoint() {
        let t = test_db().await;
        let outer = begin_write(&t.db).await.unwrap();
        let before = count(&outer).await;
        add_unit(&outer, "N1").await;
        let inner = begin_write(&outer).await.unwrap();
        add_unit(&inner, "N2").await;
        inner.rollback().await.unwrap();
        outer.commit().await.unwrap();
        assert_eq!(count(&t.db).await, before + 1);
    }
}
