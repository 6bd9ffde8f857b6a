//! Writing the audit trail. Capabilities call `record` inside the same
//! transaction as the change it describes, so the change and its record
//! land together or not at all. Who acted and from where is an `Actor` the
//! caller passes in: a server function takes it from the request (the
//! session and the client address); the CLI, jobs and tests pass
//! `Actor::system()`. Nothing here reads a request.
//!
//! Failed sign-ins and refusals are different: anyone can cause them, as
//! often as they like, so `record_repeat` keeps one row per kind, source
//! and minute, with a count (`audit_repeat`), instead of a row apiece.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::audit::model::Action;
use crate::entities::{audit_event, audit_repeat};

/// What an event points at: a kind from `audit::model::TARGET_KINDS` and
/// its id.
pub type Target = Option<(&'static str, i32)>;

/// Who acted and from where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in account; none for the system or a stranger.
    pub account_id: Option<i32>,
    pub ip: Option<IpAddr>,
    /// The organisation whose trail the event joins (the actor's); none
    /// for the deployment itself.
    pub organisation_id: Option<i32>,
}

impl Actor {
    pub fn new(account_id: Option<i32>, ip: Option<IpAddr>) -> Self {
        Self {
            account_id,
            ip,
            organisation_id: None,
        }
    }

    /// The same actor, recording into this organisation's trail.
    pub const fn in_organisation(self, organisation_id: Option<i32>) -> Self {
        Self {
            organisation_id,
            ..self
        }
    }

    /// The system itself: the CLI, a job, start-up.
    pub const fn system() -> Self {
        Self {
            account_id: None,
            ip: None,
            organisation_id: None,
        }
    }
}

/// Records an event by `actor`. Events an outsider can repeat at will (a
/// failed sign-in, a refusal) go through `record_repeat` instead.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Actor,
    action: Action,
    target: Target,
    detail: impl Into<String>,
) -> Result<(), DbErr> {
    event(actor, action, target, detail.into(), Utc::now())
        .insert(db)
        .await
        .map(|_| ())
}

fn event(
    actor: Actor,
    action: Action,
    target: Target,
    detail: String,
    at: DateTime<Utc>,
) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        at: Set(at),
        actor_id: Set(actor.account_id),
        action: Set(action.code().to_string()),
        target_kind: Set(target.map(|(k, _)| k.to_string())),
        target_id: Set(target.map(|(_, id)| id)),
        detail: Set(detail),
        ip: Set(actor.ip.map(|ip| ip.to_string())),
        organisation_id: Set(actor.organisation_id),
        ..Default::default()
    }
}

/// Records an event an outsider can repeat at will (a failed sign-in, a
/// refusal), keeping the trail bounded: the first in a minute is a row;
/// repeats of it (same action, who, source network, record and detail)
/// within that minute add to its count instead of adding rows.
///
/// Correct with several servers on one database: the minute's row is
/// claimed by a unique key in the same transaction as the event, so two
/// servers that both try to write it first end with one row; the loser
/// rolls back and counts on the winner's row.
pub async fn record_repeat<C>(
    db: &C,
    actor: Actor,
    action: Action,
    target: Target,
    detail: impl Into<String>,
) -> Result<(), DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    record_repeat_at(db, actor, action, target, detail.into(), Utc::now()).await
}

async fn record_repeat_at<C>(
    db: &C,
    actor: Actor,
    action: Action,
    target: Target,
    detail: String,
    at: DateTime<Utc>,
) -> Result<(), DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    let key = repeat_key(actor, action, target, &detail, at);
    for _ in 0..3 {
        let txn = super::begin_write(db).await?;
        let counted = audit_repeat::Entity::update_many()
            .col_expr(audit_repeat::Column::Count, Expr::cust("count + 1"))
            .filter(audit_repeat::Column::RepeatKey.eq(key.as_str()))
            .exec(&txn)
            .await?
            .rows_affected;
        if counted == 0 {
            let first = event(actor, action, target, detail.clone(), at)
                .insert(&txn)
                .await?;
            let claimed = audit_repeat::Entity::insert(audit_repeat::ActiveModel {
                repeat_key: Set(key.clone()),
                event_id: Set(first.id),
                count: Set(1),
            })
            .on_conflict(
                OnConflict::column(audit_repeat::Column::RepeatKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            if claimed == 0 {
                // Another server wrote the minute's row meanwhile.
                txn.rollback().await?;
                continue;
            }
        }
        return txn.commit().await;
    }
    // Still contended: better a row of its own than a lost event.
    record(db, actor, action, target, detail).await
}

/// What makes two events repeats of one another, as a digest (the table
/// keeps no address or detail of its own).
fn repeat_key(
    actor: Actor,
    action: Action,
    target: Target,
    detail: &str,
    at: DateTime<Utc>,
) -> String {
    let who = actor
        .account_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let source = actor
        .ip
        .map(|ip| super::network_of(ip).to_string())
        .unwrap_or_default();
    let (kind, id) = target.unwrap_or(("", 0));
    let minute = at.format("%Y-%m-%dT%H:%M");
    let mut digest = Sha256::new();
    digest.update(
        format!(
            "{}\n{who}\n{source}\n{kind}:{id}\n{minute}\n",
            action.code()
        )
        .as_bytes(),
    );
    digest.update(detail.as_bytes());
    hex::encode(digest.finalize())
}

#[cfg(test)]
mod tests {
    use sea_orm::{PaginatorTrait, QueryOrder};

    use super::*;
    use crate::kernel::testing::test_db;

    type Row = (String, Option<String>, i32);

    fn row(action: &str, ip: &str, count: i32) -> Row {
        (action.to_string(), Some(ip.to_string()), count)
    }

    async fn rows(db: &impl ConnectionTrait) -> Vec<Row> {
        let events = audit_event::Entity::find()
            .order_by_asc(audit_event::Column::Id)
            .all(db)
            .await
            .unwrap();
        let counts = audit_repeat::Entity::find().all(db).await.unwrap();
        events
            .into_iter()
            .map(|e| {
                let n = counts
                    .iter()
                    .find(|c| c.event_id == e.id)
                    .map_or(1, |c| c.count);
                (e.action, e.ip, n)
            })
            .collect()
    }

    /// Repeats within a minute from one network are one row with a count;
    /// another source, another minute or another detail is a new row.
    #[tokio::test]
    async fn repeats_in_a_minute_are_one_row_with_a_count() {
        let t = test_db().await;
        let db = &t.db;
        let at = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let here = Actor::new(None, Some("2001:db8:1:2::10".parse().unwrap()));
        let same_64 = Actor::new(None, Some("2001:db8:1:2::99".parse().unwrap()));
        let there = Actor::new(None, Some("192.0.2.9".parse().unwrap()));
        let failed = |who: Actor, at: DateTime<Utc>, why: &'static str| {
            record_repeat_at(db, who, Action::SignInFailed, None, why.to_string(), at)
        };
        for i in 0..5 {
            let who = if i % 2 == 0 { here } else { same_64 };
            failed(
                who,
                at + chrono::Duration::seconds(i),
                "no account has that email",
            )
            .await
            .unwrap();
        }
        failed(there, at, "no account has that email")
            .await
            .unwrap();
        failed(here, at, "wrong password").await.unwrap();
        failed(
            here,
            at + chrono::Duration::seconds(60),
            "no account has that email",
        )
        .await
        .unwrap();
        let found = rows(db).await;
        assert_eq!(
            found,
            vec![
                row("sign_in_failed", "2001:db8:1:2::10", 5),
                row("sign_in_failed", "192.0.2.9", 1),
                row("sign_in_failed", "2001:db8:1:2::10", 1),
                row("sign_in_failed", "2001:db8:1:2::10", 1),
            ]
        );
    }

    /// Many at once still make one row, with every one counted.
    #[tokio::test]
    async fn simultaneous_repeats_are_all_counted_on_one_row() {
        let t = test_db().await;
        let at = Utc::now();
        let who = Actor::new(Some(7), Some("10.1.2.3".parse().unwrap()));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let db = t.db.clone();
            tasks.push(tokio::spawn(async move {
                record_repeat_at(&db, who, Action::Refused, None, "/api/x".into(), at).await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let found = rows(&t.db).await;
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].2, 20);
    }

    /// The counts only go up: the database refuses anything else.
    #[tokio::test]
    async fn counts_cannot_be_rewritten() {
        let t = test_db().await;
        let db = &t.db;
        let who = Actor::new(None, Some("10.1.2.3".parse().unwrap()));
        let at = Utc::now();
        for _ in 0..3 {
            record_repeat_at(db, who, Action::SignInFailed, None, "x".into(), at)
                .await
                .unwrap();
        }
        for sql in [
            "UPDATE audit_repeat SET count = 1",
            "UPDATE audit_repeat SET event_id = event_id + 1",
            "DELETE FROM audit_repeat",
        ] {
            let err = db.execute_unprepared(sql).await.expect_err(sql);
            assert!(err.to_string().contains("only counts up"), "{sql}: {err}");
        }
        db.execute_unprepared("UPDATE audit_repeat SET count = count + 1")
            .await
            .unwrap();
        assert_eq!(audit_repeat::Entity::find().count(db).await.unwrap(), 1);
    }
}
