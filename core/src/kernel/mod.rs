//! The kernel every capability builds on: settings, the database helpers,
//! the session and password rules, the audit trail, throttling, the one CSV
//! writer and the tabular file reader. Nothing here reads a request: the
//! caller passes who is acting (`audit::Actor`).

pub mod audit;
pub mod backoff;
pub mod csv;
pub mod db;
pub mod flash;
pub mod password;
pub mod queue;
pub mod session;
pub mod settings;
pub mod table;
pub mod tenant;
#[cfg(test)]
pub mod testing;

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub use db::begin_write;
pub use settings::Settings;

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

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, TransactionSession};

    use super::{LoginLimiter, begin_write, network_of};
    use crate::kernel::testing::test_db;

    /// A write turn's deferred statements are each bound to their own
    /// values (text holding `?` and `;` among them) and run in the order
    /// pushed; one that fails fails the batch, and the transaction keeps
    /// none of it.
    #[tokio::test]
    async fn deferred_writes_run_in_order_and_fail_together() {
        use super::db::{Deferred, placeholders};
        use sea_orm::{Statement, Value};
        let t = test_db().await;
        let db = &t.db;
        db.execute_unprepared("CREATE TABLE batch (n INTEGER PRIMARY KEY, s TEXT NOT NULL)")
            .await
            .unwrap();
        let backend = db.get_database_backend();
        let st = |sql: &str, values: Vec<Value>| {
            Statement::from_sql_and_values(backend, placeholders(backend, sql), values)
        };
        let insert = "INSERT INTO batch (n, s) VALUES (?, ?)";
        let txn = begin_write(db).await.unwrap();
        let mut writes = Deferred::new(&txn);
        for s in [
            st(insert, vec![1.into(), "a; b?".into()]),
            st(insert, vec![2.into(), "c".into()]),
            st(
                "UPDATE batch SET s = s || ? WHERE n = ?",
                vec!["!".into(), 1.into()],
            ),
        ] {
            writes.push(s).await.unwrap();
        }
        writes.flush().await.unwrap();
        txn.commit().await.unwrap();
        let rows: Vec<(i32, String)> = db
            .query_all_raw(st("SELECT n, s FROM batch ORDER BY n", vec![]))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.try_get_by_index(0).unwrap(),
                    r.try_get_by_index(1).unwrap(),
                )
            })
            .collect();
        assert_eq!(rows, vec![(1, "a; b?!".to_string()), (2, "c".to_string())]);

        let txn = begin_write(db).await.unwrap();
        let mut writes = Deferred::new(&txn);
        writes
            .push(st(insert, vec![3.into(), "d".into()]))
            .await
            .unwrap();
        // A key taken: PostgreSQL refuses it when pushed, SQLite when sent.
        let failed = match writes.push(st(insert, vec![1.into(), "e".into()])).await {
            Err(_) => true,
            Ok(()) => writes.flush().await.is_err(),
        };
        assert!(failed, "the batch fails with its statement");
        txn.rollback().await.unwrap();
        assert_eq!(count(db, "batch").await, 2);
    }

    /// SQLite's writes run on the write lane's own thread, answer with
    /// their result, and a write that panics fails its caller, not the lane.
    #[tokio::test]
    async fn writes_run_on_the_write_lane_and_answer_from_it() {
        let t = test_db().await;
        let db = t.db.clone();
        db.execute_unprepared("CREATE TABLE lane (n INTEGER NOT NULL)")
            .await
            .unwrap();
        let thread = super::db::in_write_lane(db.clone(), |writer| async move {
            let txn = begin_write(&writer).await.unwrap();
            txn.execute_unprepared("INSERT INTO lane (n) VALUES (7)")
                .await
                .unwrap();
            txn.commit().await.unwrap();
            std::thread::current().name().map(String::from)
        })
        .await;
        if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            assert_eq!(thread.as_deref(), Some("sqlite-writes"));
        }
        let panicked = tokio::spawn(super::db::in_write_lane(db.clone(), |_| async {
            "not a number".parse::<u8>().expect("a bad write")
        }))
        .await;
        assert!(panicked.is_err(), "the caller sees the panic");
        // The lane still takes writes.
        super::db::in_write_lane(db.clone(), |writer| async move {
            writer
                .execute_unprepared("INSERT INTO lane (n) VALUES (8)")
                .await
                .unwrap();
        })
        .await;
        assert_eq!(count(&db, "lane").await, 2);
    }

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

    async fn count(db: &impl ConnectionTrait, table: &str) -> i64 {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    }

    async fn add_unit(db: &impl ConnectionTrait, code: &str) {
        db.execute_unprepared(&format!(
            "INSERT INTO org_unit (organisation_id, code, name, kind) VALUES (1, '{code}', 'Unit {code}', 'team')"
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
        let before = count(&first, "org_unit").await;
        let db = t.db.clone();
        let second = tokio::spawn(async move {
            let txn = begin_write(&db).await.unwrap();
            let seen = count(&txn, "org_unit").await;
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
        assert_eq!(count(&t.db, "org_unit").await, before + 2);
    }

    /// Writers queue for SQLite's write lock in this process and go in the
    /// order they asked. Left to SQLite's busy handler (it sleeps and tries
    /// again), whoever happened to wake first when the lock came free went
    /// next, and the first to ask could wait longest.
    #[tokio::test]
    async fn sqlite_writers_take_turns_in_the_order_they_asked() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let mut opts = sea_orm::ConnectOptions::new(url);
        // A connection each, so none waits for the pool instead.
        opts.max_connections(10).sqlx_logging(false);
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(std::time::Duration::from_secs(30))
        });
        let db = sea_orm::Database::connect(opts).await.unwrap();
        db.execute_unprepared("CREATE TABLE turn (n INTEGER NOT NULL)")
            .await
            .unwrap();
        let first = begin_write(&db).await.unwrap();
        let mut writers = Vec::new();
        for n in 0..6 {
            let db = db.clone();
            writers.push(tokio::spawn(async move {
                let txn = begin_write(&db).await.unwrap();
                txn.execute_unprepared(&format!("INSERT INTO turn (n) VALUES ({n})"))
                    .await
                    .unwrap();
                txn.commit().await.unwrap();
            }));
            // Each asks well after the last (the busy handler's first
            // retries are 1, 2 and 5 ms apart).
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        }
        first.commit().await.unwrap();
        for w in writers {
            w.await.unwrap();
        }
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT n FROM turn ORDER BY rowid",
            ))
            .await
            .unwrap();
        let order: Vec<i32> = rows
            .iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
    }

    /// Inside a transaction already, it is a savepoint that rolls back alone.
    #[tokio::test]
    async fn nested_is_a_savepoint() {
        let t = test_db().await;
        let outer = begin_write(&t.db).await.unwrap();
        let before = count(&outer, "org_unit").await;
        add_unit(&outer, "N1").await;
        let inner = begin_write(&outer).await.unwrap();
        add_unit(&inner, "N2").await;
        inner.rollback().await.unwrap();
        outer.commit().await.unwrap();
        assert_eq!(count(&t.db, "org_unit").await, before + 1);
    }
}
