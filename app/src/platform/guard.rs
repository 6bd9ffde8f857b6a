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

/// The server functions anyone may call without signing in: each says
/// why where it is defined (a `public_endpoint:` comment). Everything else
/// answers 401 to an anonymous caller before anything about its input.
pub fn is_public_server_fn(path: &str) -> bool {
    use leptos::server_fn::ServerFn;
    [
        crate::auth::api::Login::PATH,
        crate::auth::api::Whoami::PATH,
        crate::auth::api::SetPassword::PATH,
        crate::recognition::api::VerifyCredential::PATH,
    ]
    .contains(&path)
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

/// The client's address: the peer, or, behind `trusted_proxies` proxies of
/// ours, the address the outermost of them saw (see `client_ip_of`).
pub fn client_ip(trusted_proxies: usize) -> Option<IpAddr> {
    let parts = use_context::<Parts>()?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    client_ip_of(&parts.headers, peer, trusted_proxies)
}

/// `client_ip` for code that holds the request itself (middleware).
///
/// Each proxy appends the address it received the request from to
/// `X-Forwarded-For`, so with `trusted_proxies` of ours in front, the entry
/// that many from the right is what the outermost one saw: the client.
/// Everything left of it is whatever the client chose to write (taking the
/// leftmost let anyone pick a fresh address per request). With fewer
/// entries than proxies, the leftmost is the furthest any proxy saw; an
/// entry that is not an address falls back to the peer.
pub fn client_ip_of(
    headers: &http::HeaderMap,
    peer: Option<SocketAddr>,
    trusted_proxies: usize,
) -> Option<IpAddr> {
    let peer_ip = peer.map(|addr| addr.ip());
    if trusted_proxies == 0 {
        return peer_ip;
    }
    // Repeated header lines are one list, in order (RFC 9110, 5.3). Bytes
    // the client wrote that are not text must not hide what proxies added.
    let list = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .collect::<Vec<_>>()
        .join(",");
    let hops: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|hop| !hop.is_empty())
        .collect();
    hops.get(hops.len().saturating_sub(trusted_proxies))
        .copied()
        .and_then(forwarded_address)
        .or(peer_ip)
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port
/// (`192.0.2.1:4711`, `[2001:db8::1]:4711`) or in brackets.
fn forwarded_address(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
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

    /// The address the outermost trusted proxy saw, never one the client
    /// wrote to the left of it.
    #[test]
    fn client_address_is_what_the_trusted_proxies_saw() {
        let peer: Option<SocketAddr> = Some("10.0.0.5:50000".parse().unwrap());
        let ip = |s: &str| -> Option<IpAddr> { Some(s.parse().unwrap()) };
        let with = |lines: &[&str]| {
            let mut h = http::HeaderMap::new();
            for line in lines {
                h.append("x-forwarded-for", line.parse().unwrap());
            }
            h
        };
        let spoofed = with(&["198.51.100.1, 203.0.113.7"]);
        assert_eq!(client_ip_of(&spoofed, peer, 0), ip("10.0.0.5"), "no proxy");
        assert_eq!(client_ip_of(&spoofed, peer, 1), ip("203.0.113.7"));
        assert_eq!(client_ip_of(&spoofed, peer, 2), ip("198.51.100.1"));
        // Two header lines are one list.
        let lines = with(&["198.51.100.1", "203.0.113.7, 192.0.2.9"]);
        assert_eq!(client_ip_of(&lines, peer, 1), ip("192.0.2.9"));
        assert_eq!(client_ip_of(&lines, peer, 2), ip("203.0.113.7"));
        // Bytes that are not text, written by the client, hide nothing.
        let mut odd = http::HeaderMap::new();
        let value = http::HeaderValue::from_bytes(b"\xff\xfe, 203.0.113.9").unwrap();
        odd.append("x-forwarded-for", value);
        assert_eq!(client_ip_of(&odd, peer, 1), ip("203.0.113.9"));
        // Fewer entries than proxies: the furthest any proxy saw.
        assert_eq!(
            client_ip_of(&with(&["192.0.2.9"]), peer, 3),
            ip("192.0.2.9")
        );
        // No header, or rubbish where the address should be: the peer.
        assert_eq!(client_ip_of(&with(&[]), peer, 1), ip("10.0.0.5"));
        assert_eq!(
            client_ip_of(&with(&["192.0.2.9, unknown"]), peer, 1),
            ip("10.0.0.5")
        );
        // Ports and brackets.
        assert_eq!(
            client_ip_of(&with(&["192.0.2.9:4711"]), peer, 1),
            ip("192.0.2.9")
        );
        assert_eq!(
            client_ip_of(&with(&["[2001:db8::1]:4711"]), peer, 1),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_ip_of(&with(&["x, 2001:db8::2"]), peer, 1),
            ip("2001:db8::2")
        );
        assert_eq!(
            client_ip_of(&with(&["[2001:db8::3]"]), None, 1),
            ip("2001:db8::3")
        );
    }

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
