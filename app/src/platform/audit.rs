//! Writing the audit trail. Capabilities call `record` inside the same
//! transaction as the change it describes, so the change and its record
//! land together or not at all. Who acted and from where come from the
//! request (the session and the client address); outside a request (the
//! CLI, tests) the actor is the system.

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use crate::audit::model::Action;
use crate::entities::audit_event;

/// What an event points at: a kind from `audit::model::TARGET_KINDS` and
/// its id.
pub type Target = Option<(&'static str, i32)>;

/// Who acted and from where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in account; none for the system or a stranger.
    pub account_id: Option<i32>,
    pub ip: Option<IpAddr>,
}

impl Actor {
    pub fn new(account_id: Option<i32>, ip: Option<IpAddr>) -> Self {
        Self { account_id, ip }
    }

    /// Whoever is signed in to the request being served, from its address.
    /// Outside a request (the CLI, a test): the system.
    pub fn current() -> Self {
        // Not `state()`: outside a request its absence is expected, not an error.
        let ip = leptos::prelude::use_context::<super::AppState>()
            .and_then(|s| super::guard::client_ip(s.settings.trust_forwarded_for));
        Self::new(super::guard::current_user().map(|u| u.account_id), ip)
    }
}

/// Records an event by whoever is signed in to this request.
pub async fn record(
    db: &impl ConnectionTrait,
    action: Action,
    target: Target,
    detail: impl Into<String>,
) -> Result<(), DbErr> {
    record_by(db, Actor::current(), action, target, detail).await
}

/// Records an event by a given actor: for sign-in, where nobody is signed
/// in yet, and for work that runs outside the request (an import's commit,
/// the middleware).
pub async fn record_by(
    db: &impl ConnectionTrait,
    actor: Actor,
    action: Action,
    target: Target,
    detail: impl Into<String>,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        at: Set(Utc::now()),
        actor_id: Set(actor.account_id),
        action: Set(action.code().to_string()),
        target_kind: Set(target.map(|(k, _)| k.to_string())),
        target_id: Set(target.map(|(_, id)| id)),
        detail: Set(detail.into()),
        ip: Set(actor.ip.map(|ip| ip.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}
