//! Searching the audit trail. Writing it is `platform::audit`.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::model::{Action, AuditPage, AuditRow, Filters};
use crate::entities::{account, audit_event, audit_repeat};
use crate::error::AppError;

/// The newest `limit` events of organisation `org`'s trail matching the
/// filters (older than `before`), with the deployment's own (no
/// organisation: a sign-in attempt for an email no account has, the
/// system's jobs). Another organisation's events are never among them.
pub async fn search(
    db: &impl ConnectionTrait,
    org: i32,
    filters: &Filters,
    limit: u64,
) -> Result<Vec<AuditRow>, AppError> {
    // The organisation's events, and the deployment's own (a sign-in
    // attempt for an email no account has, the system's jobs): nothing of
    // another organisation's.
    let mut cond = Condition::all().add(
        Condition::any()
            .add(audit_event::Column::OrganisationId.eq(org))
            .add(audit_event::Column::OrganisationId.is_null()),
    );
    if let Some(action) = filters.action {
        cond = cond.add(audit_event::Column::Action.eq(action.code()));
    }
    if let Some(needle) = &filters.actor {
        let ids: Vec<i32> = account::Entity::find()
            .select_only()
            .column(account::Column::Id)
            .filter(account::Column::OrganisationId.eq(org))
            .filter(account::Column::Email.contains(needle.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        cond = cond.add(audit_event::Column::ActorId.is_in(ids));
    }
    if let Some(kind) = &filters.target_kind {
        cond = cond.add(audit_event::Column::TargetKind.eq(kind.as_str()));
    }
    if let Some(id) = filters.target_id {
        cond = cond.add(audit_event::Column::TargetId.eq(id));
    }
    if let Some(from) = filters.from {
        let start = from.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        cond = cond.add(audit_event::Column::At.gte(start));
    }
    if let Some(to) = filters.to {
        let end = (to + chrono::Days::new(1))
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc();
        cond = cond.add(audit_event::Column::At.lt(end));
    }
    if let Some(before) = filters.before {
        cond = cond.add(audit_event::Column::Id.lt(before));
    }
    let events = audit_event::Entity::find()
        .filter(cond)
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let actor_ids: Vec<i32> = events.iter().filter_map(|e| e.actor_id).collect();
    let emails: HashMap<i32, String> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .column(account::Column::Email)
        .filter(account::Column::Id.is_in(actor_ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // Repeated failed sign-ins and refusals: one row each, with a count.
    // In chunks: an export's ids would pass the engines' parameter limits.
    let mut counts: HashMap<i32, i32> = HashMap::new();
    for chunk in events.chunks(1000) {
        let ids: Vec<i32> = chunk.iter().map(|e| e.id).collect();
        counts.extend(
            audit_repeat::Entity::find()
                .select_only()
                .column(audit_repeat::Column::EventId)
                .column(audit_repeat::Column::Count)
                .filter(audit_repeat::Column::EventId.is_in(ids))
                .into_tuple::<(i32, i32)>()
                .all(db)
                .await?,
        );
    }
    Ok(events
        .into_iter()
        .map(|e| {
            let actor = match e.actor_id {
                None => "System or unknown".to_string(),
                Some(id) => emails
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("Erased account {id}")),
            };
            let action_label = Action::parse(&e.action)
                .map_or_else(|| e.action.clone(), |a| a.label().to_string());
            AuditRow {
                id: e.id,
                at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                actor_id: e.actor_id,
                actor,
                action: e.action,
                action_label,
                target_kind: e.target_kind,
                target_id: e.target_id,
                count: counts
                    .get(&e.id)
                    .and_then(|&n| u32::try_from(n).ok())
                    .unwrap_or(1),
                detail: e.detail,
                ip: e.ip,
            }
        })
        .collect())
}

/// One page of organisation `org`'s trail, with the link to the next
/// older page.
pub async fn page(
    db: &impl ConnectionTrait,
    org: i32,
    filters: &Filters,
) -> Result<AuditPage, AppError> {
    let size = super::model::PAGE_SIZE;
    let mut rows = search(db, org, filters, size + 1).await?;
    let older = if rows.len() as u64 > size {
        rows.truncate(size as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok(AuditPage { rows, older })
}

/// The job queue's state for administrators: counts, and the 100 newest
/// jobs that failed at least once. The queue is the deployment's, shared
/// by every organisation, and so is this view (and the email outbox count).
pub async fn queue_view(db: &impl ConnectionTrait) -> Result<super::model::QueueView, AppError> {
    use crate::kernel::queue;
    let counts = queue::counts(db).await?;
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%-d %b %Y %H:%M:%S UTC").to_string();
    let jobs = queue::troubled(db, 100)
        .await?
        .into_iter()
        .map(|j| {
            let dead = j.status == queue::DEAD;
            super::model::QueueJob {
                id: j.id,
                what: super::model::job_label(&j.kind),
                dead,
                attempts: j.attempts,
                max_attempts: j.max_attempts,
                last_error: j.last_error.unwrap_or_default(),
                created_at: when(j.created_at),
                next_or_died: when(if dead {
                    j.finished_at.unwrap_or(j.run_at)
                } else {
                    j.run_at
                }),
            }
        })
        .collect();
    Ok(super::model::QueueView {
        queued: counts.queued,
        running: counts.running,
        retrying: counts.retrying,
        dead: counts.dead,
        email_waiting: crate::notifications::service::outbox_waiting(db).await?,
        jobs,
    })
}

/// Gives a dead job its attempts again, recorded in the audit trail.
pub async fn retry_job(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    by: crate::kernel::audit::Actor,
    id: i32,
) -> Result<(), AppError> {
    use sea_orm::TransactionSession;
    let txn = crate::kernel::begin_write(db).await?;
    if !crate::kernel::queue::retry(&txn, id).await? {
        return Err(AppError::Conflict(
            "That job is not waiting to be tried again: it may have been retried already.".into(),
        ));
    }
    crate::kernel::audit::record(
        &txn,
        by,
        super::model::Action::JobRetried,
        Some(("job", id)),
        String::new(),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::AuditQuery;
    use crate::auth::model::Role;
    use crate::kernel::audit::{Actor, record};
    use crate::kernel::testing::{ORG, test_db};
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

    #[tokio::test]
    async fn the_trail_filters_pages_and_refuses_rewrites() {
        let t = test_db().await;
        let db = &t.db;
        let hr = crate::auth::service::create_account(
            db,
            "hr.lead@trust.example",
            Role::Hr,
            "a long enough passphrase",
            None,
            Some(ORG),
        )
        .await
        .unwrap();
        // Another organisation, whose HR lead's address looks alike: none
        // of its events are in this trail (the deployment's own are).
        let other = crate::kernel::tenant::create(db, "RYY", "Other Trust")
            .await
            .unwrap()
            .id;
        let their_hr = crate::auth::service::create_account(
            db,
            "hr.lead@other.example",
            Role::Hr,
            "a long enough passphrase",
            None,
            Some(other),
        )
        .await
        .unwrap();
        let theirs = Actor::new(Some(their_hr.id), None).in_organisation(Some(other));
        for _ in 0..3 {
            record(db, theirs, Action::RoleSaved, Some(("role", 2)), "theirs")
                .await
                .unwrap();
        }
        record(
            db,
            Actor::system(),
            Action::JobRetried,
            Some(("job", 1)),
            "",
        )
        .await
        .unwrap();
        let from =
            Actor::new(Some(hr.id), Some("10.0.0.7".parse().unwrap())).in_organisation(Some(ORG));
        for i in 0..60 {
            record(
                db,
                from,
                Action::RoleSaved,
                Some(("role", i % 3 + 1)),
                "changed",
            )
            .await
            .unwrap();
        }
        record(
            db,
            Actor::default().in_organisation(Some(ORG)),
            Action::ImportCommitted,
            Some(("import", 9)),
            "x",
        )
        .await
        .unwrap();
        let erased = Actor::new(Some(999), None).in_organisation(Some(ORG));
        record(db, erased, Action::SignIn, None, "").await.unwrap();

        // Newest first, a page at a time, with the link to the next.
        let all = Filters::default();
        let first = page(db, ORG, &all).await.unwrap();
        assert_eq!(first.rows.len(), 50);
        assert_eq!(first.rows[0].actor, "Erased account 999");
        assert_eq!(first.rows[1].actor, "System or unknown");
        assert_eq!(first.rows[2].actor, "hr.lead@trust.example");
        assert_eq!(first.rows[2].ip.as_deref(), Some("10.0.0.7"));
        let older = Filters {
            before: first.older,
            ..Default::default()
        };
        let second = page(db, ORG, &older).await.unwrap();
        // 60 + 3 of ours and the deployment's one; none of theirs.
        assert_eq!(second.rows.len(), 13);
        assert!(
            first
                .rows
                .iter()
                .chain(&second.rows)
                .all(|r| r.detail != "theirs")
        );
        assert_eq!(second.older, None);
        assert!(second.rows.iter().all(|r| r.id < first.rows[49].id));

        // Each filter narrows: by action, by who, by record, by date.
        let q = |q: AuditQuery| q.check().unwrap();
        let by_action = search(
            db,
            ORG,
            &q(AuditQuery {
                action: Some("sign_in".into()),
                ..Default::default()
            }),
            100,
        )
        .await
        .unwrap();
        assert_eq!(by_action.len(), 1);
        let by_who = search(
            db,
            ORG,
            &q(AuditQuery {
                actor: Some("HR.LEAD".into()),
                ..Default::default()
            }),
            100,
        )
        .await
        .unwrap();
        assert_eq!(by_who.len(), 60);
        let nobody = search(
            db,
            ORG,
            &q(AuditQuery {
                actor: Some("nobody@".into()),
                ..Default::default()
            }),
            100,
        )
        .await
        .unwrap();
        assert!(nobody.is_empty());
        let role_two = q(AuditQuery {
            target_kind: Some("role".into()),
            target_id: Some("2".into()),
            ..Default::default()
        });
        assert_eq!(search(db, ORG, &role_two, 100).await.unwrap().len(), 20);
        assert_eq!(search(db, other, &role_two, 100).await.unwrap().len(), 3);
        let today = chrono::Utc::now().date_naive().to_string();
        let yesterday = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();
        let on_today = q(AuditQuery {
            from: Some(today.clone()),
            to: Some(today),
            ..Default::default()
        });
        // 62 of ours and the deployment's one.
        assert_eq!(search(db, ORG, &on_today, 100).await.unwrap().len(), 63);
        let before_today = q(AuditQuery {
            to: Some(yesterday),
            ..Default::default()
        });
        assert!(
            search(db, ORG, &before_today, 100)
                .await
                .unwrap()
                .is_empty()
        );

        // The database itself refuses to change or remove the trail.
        for sql in [
            "UPDATE audit_event SET detail = 'rewritten'",
            "DELETE FROM audit_event",
        ] {
            let err = db.execute_unprepared(sql).await.expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        // But for one change, which erasing a person makes: forgetting the
        // addresses an account used. Nothing else, not even with it.
        db.execute_unprepared("UPDATE audit_event SET ip = NULL WHERE ip = '10.0.0.7'")
            .await
            .expect("an address can be forgotten");
        for sql in [
            "UPDATE audit_event SET ip = '10.0.0.8'",
            "UPDATE audit_event SET ip = NULL, detail = 'rewritten'",
            "UPDATE audit_event SET ip = NULL, actor_id = 424242",
            "UPDATE audit_event SET ip = NULL, at = at",
        ] {
            let err = db.execute_unprepared(sql).await.err();
            match sql {
                // Unchanged columns pass: `at = at` is no rewrite.
                "UPDATE audit_event SET ip = NULL, at = at" => assert!(err.is_none(), "{sql}"),
                _ => assert!(
                    err.is_some_and(|e| e.to_string().contains("append-only")),
                    "{sql}"
                ),
            }
        }
        let kept = crate::entities::audit_event::Entity::find()
            .count(db)
            .await
            .unwrap();
        assert_eq!(kept, 66);
        let with_address = crate::entities::audit_event::Entity::find()
            .filter(audit_event::Column::Ip.is_not_null())
            .count(db)
            .await
            .unwrap();
        assert_eq!(with_address, 0);
    }
}
