//! Authorization guards. Every server function begins with one of these:
//! each server function is a public HTTP endpoint.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::ConnectInfo;
use http::request::Parts;
use http::{StatusCode, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::session::SessionContext;
use crate::auth::model::{CurrentUser, Role};
use crate::entities::person;
use crate::error::AppError;

/// Line-management chains are short; this bounds a corrupt (cyclic) one.
const MAX_CHAIN: usize = 64;

pub fn session() -> Option<SessionContext> {
    use_context::<Parts>()?
        .extensions
        .get::<SessionContext>()
        .cloned()
}

pub fn current_user() -> Option<CurrentUser> {
    session().map(|s| s.user)
}

/// Sets the HTTP status for an error. A plain HTML form post (no
/// JavaScript) is left alone: Leptos answers it with a redirect back to the
/// form, carrying the error for the page to show, and a 4xx status would
/// replace that redirect.
pub fn set_error_status(err: &AppError) {
    if is_form_post() {
        return;
    }
    if let (Some(res), Ok(status)) = (
        use_context::<ResponseOptions>(),
        StatusCode::from_u16(err.status()),
    ) {
        res.set_status(status);
    }
}

/// True for a plain HTML form post (no JavaScript), which Leptos answers
/// with a redirect.
pub fn is_form_post() -> bool {
    use_context::<Parts>().is_some_and(|p| {
        p.headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// Passes a server function's result through, giving errors their status.
pub fn reply<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        set_error_status(err);
    }
    result
}

fn fail<T>(err: AppError) -> Result<T, AppError> {
    set_error_status(&err);
    if err == AppError::Forbidden {
        note_refusal();
    }
    Err(err)
}

/// Notes a signed-in user's refusal for the audit trail: what they asked
/// for (the server function's path, or the page's). Anonymous requests are
/// not recorded: they are sent to sign in, and nobody is there to name.
fn note_refusal() {
    if let Some(parts) = use_context::<Parts>()
        && let Some(refusals) = parts.extensions.get::<Refusals>()
    {
        refusals.note(parts.uri.path().to_string());
    }
}

/// Any signed-in user.
pub fn require_user() -> Result<CurrentUser, AppError> {
    match current_user() {
        Some(user) => Ok(user),
        None => fail(AppError::Unauthorized),
    }
}

/// A signed-in user with one of these roles.
pub fn require_role(roles: &[Role]) -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    if user.is_one_of(roles) {
        Ok(user)
    } else {
        fail(AppError::Forbidden)
    }
}

/// A signed-in user who manages this person: anywhere above them in the
/// line-management chain.
pub async fn require_manager_of(person_id: i32) -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    let db = super::db()?;
    match user.person_id {
        Some(me) if manages(&db, me, person_id).await? => Ok(user),
        _ => fail(AppError::Forbidden),
    }
}

/// The person themself, their managers, or HR and administrators.
pub async fn require_person_access(person_id: i32) -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    if user.person_id == Some(person_id) || user.is_one_of(&[Role::Hr, Role::Admin]) {
        return Ok(user);
    }
    require_manager_of(person_id).await
}

/// True when `manager` is above `person` in the line-management chain.
pub async fn manages(db: &impl ConnectionTrait, manager: i32, person: i32) -> Result<bool, DbErr> {
    let mut current = person;
    for _ in 0..MAX_CHAIN {
        let Some(row) = person::Entity::find_by_id(current).one(db).await? else {
            return Ok(false);
        };
        match row.line_manager_id {
            Some(m) if m == manager => return Ok(true),
            Some(m) => current = m,
            None => return Ok(false),
        }
    }
    Ok(false)
}

/// The client's address: the peer, or the first `X-Forwarded-For` entry when
/// the settings say a trusted proxy sets it.
pub fn client_ip(trust_forwarded_for: bool) -> Option<IpAddr> {
    let parts = use_context::<Parts>()?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    client_ip_of(&parts.headers, peer, trust_forwarded_for)
}

/// `client_ip` for code that holds the request itself (middleware).
pub fn client_ip_of(
    headers: &http::HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|addr| addr.ip())
}

/// Refusals noted while a request runs. The guards are synchronous and run
/// before any transaction, so they note the refusal here (the session
/// middleware puts one in every request) and the middleware records it in the
/// audit trail once the response is ready.
#[derive(Clone, Default)]
pub struct Refusals(Arc<Mutex<Vec<String>>>);

impl Refusals {
    pub fn note(&self, what: String) {
        if let Ok(mut list) = self.0.lock() {
            list.push(what);
        }
    }

    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::testing::{test_db, tiny_org};

    #[tokio::test]
    async fn managers_manage_their_whole_subtree_only() {
        let t = test_db().await;
        let o = tiny_org(&t.db).await;
        assert!(manages(&t.db, o.m, o.a).await.unwrap());
        assert!(manages(&t.db, o.m, o.b).await.unwrap(), "two levels down");
        assert!(manages(&t.db, o.a, o.b).await.unwrap());
        assert!(!manages(&t.db, o.a, o.m).await.unwrap(), "not upwards");
        assert!(!manages(&t.db, o.m, o.c).await.unwrap(), "not sideways");
        assert!(!manages(&t.db, o.m, o.m).await.unwrap(), "not oneself");
        assert!(!manages(&t.db, o.m, 9999).await.unwrap(), "not the unknown");
    }
}
