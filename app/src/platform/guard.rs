//! Authorization guards. Every server function begins with one of these:
//! each server function is a public HTTP endpoint.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use super::session::SessionContext;
use crate::auth::model::{CurrentUser, Role};
use crate::error::AppError;
use crate::people::service::manages;
use axum::extract::ConnectInfo;
use http::request::Parts;
use http::{StatusCode, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use skillmap_core::kernel::tenant::{Owned, ensure_in};

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
/// with a redirect. A page being rendered (a GET, whose data comes from
/// server functions called in place) is not one: its errors give the page
/// their status, so a refused page answers 403 and a missing one 404.
pub fn is_form_post() -> bool {
    use_context::<Parts>().is_some_and(|p| {
        p.method == http::Method::POST
            && p.headers
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
    if let Some(parts) = use_context::<Parts>() {
        note_refusal_in(&parts);
    }
}

/// `note_refusal` for code that holds the request's parts (an extractor).
fn note_refusal_in(parts: &Parts) {
    if let Some(refusals) = parts.extensions.get::<Refusals>() {
        refusals.note(parts.uri.path().to_string());
    }
}

/// The decision of `require_user`, on a user given: signed in, or
/// `Unauthorized`. Sets no status and notes nothing.
pub fn check_user(user: Option<CurrentUser>) -> Result<CurrentUser, AppError> {
    user.ok_or(AppError::Unauthorized)
}

/// The decision of `require_role`, on a user given: `Unauthorized` when
/// nobody is signed in, `Forbidden` without one of these roles. Sets no
/// status and notes nothing.
pub fn check_role(user: Option<CurrentUser>, roles: &[Role]) -> Result<CurrentUser, AppError> {
    let user = check_user(user)?;
    if user.is_one_of(roles) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Any signed-in user.
pub fn require_user() -> Result<CurrentUser, AppError> {
    match check_user(current_user()) {
        Ok(user) => Ok(user),
        Err(err) => fail(err),
    }
}

/// A signed-in user with one of these roles.
pub fn require_role(roles: &[Role]) -> Result<CurrentUser, AppError> {
    match check_role(current_user(), roles) {
        Ok(user) => Ok(user),
        Err(err) => fail(err),
    }
}

/// A signed-in user who manages this person: anywhere above them in the
/// line-management chain. A person of another organisation is not found.
pub async fn require_manager_of(person_id: i32) -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    let db = super::db()?;
    require_in_organisation(&user, Owned::Person, person_id).await?;
    match user.person_id {
        Some(me) if manages(&db, me, person_id).await? => Ok(user),
        _ => fail(AppError::Forbidden),
    }
}

/// The person themself, their managers, or HR and administrators of their
/// organisation. A person of another organisation is not found.
pub async fn require_person_access(person_id: i32) -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    if user.person_id == Some(person_id) {
        return Ok(user);
    }
    require_in_organisation(&user, Owned::Person, person_id).await?;
    if user.is_one_of(&[Role::Hr, Role::Admin]) {
        return Ok(user);
    }
    require_manager_of(person_id).await
}

/// The row `id` of `kind`, named in a request, belongs to the user's
/// organisation; otherwise `NotFound`, exactly as for an id that does not
/// exist (see `kernel::tenant`). A system-level account has no
/// organisation's rows.
pub async fn require_in_organisation(
    user: &CurrentUser,
    kind: Owned,
    id: i32,
) -> Result<(), AppError> {
    let db = super::db()?;
    let org = match user.organisation_id {
        Some(org) => org,
        None => return fail(AppError::NotFound(kind.name().into())),
    };
    match ensure_in(&db, org, kind, id).await {
        Ok(()) => Ok(()),
        Err(err) => fail(err),
    }
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

// The guards of the plain routes (downloads and uploads outside Leptos),
// as axum extractors: the same decisions as `require_user` and
// `require_role` (`check_user`, `check_role`), on the session the session
// middleware put in the request. A refusal answers in plain text; a
// signed-in caller's refusal is noted for the audit trail, as `fail` does.

/// Any signed-in user; anyone else gets 401 "Sign in to download this.".
pub struct SignedIn(pub CurrentUser);

/// HR and administrators; anyone else gets 401 "Sign in to download this."
/// (signed out) or 403 "You do not have permission to download this."
/// (signed in, noted as a refusal).
pub struct HrOrAdmin(pub CurrentUser);

/// The signed-in user, if any: never refuses. For a route that decides
/// itself what a signed-out caller gets (with `check_user`).
pub struct MaybeSignedIn(pub Option<CurrentUser>);

/// The signed-in user of a request, from the session middleware.
fn user_of(parts: &Parts) -> Option<CurrentUser> {
    parts
        .extensions
        .get::<SessionContext>()
        .map(|s| s.user.clone())
}

/// A plain route's refusal: the status for `err` and a plain-text message
/// (a file was asked for, not a page). `Forbidden` is noted for the audit
/// trail.
fn refuse(parts: &Parts, err: AppError) -> axum::response::Response {
    use axum::response::IntoResponse;
    match err {
        AppError::Unauthorized => {
            (StatusCode::UNAUTHORIZED, "Sign in to download this.\n").into_response()
        }
        AppError::Forbidden => {
            note_refusal_in(parts);
            (
                StatusCode::FORBIDDEN,
                "You do not have permission to download this.\n",
            )
                .into_response()
        }
        other => {
            let status =
                StatusCode::from_u16(other.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, format!("{other}\n")).into_response()
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedIn {
    type Rejection = axum::response::Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match check_user(user_of(parts)) {
            Ok(user) => Ok(Self(user)),
            Err(err) => Err(refuse(parts, err)),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for HrOrAdmin {
    type Rejection = axum::response::Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match check_role(user_of(parts), &[Role::Hr, Role::Admin]) {
            Ok(user) => Ok(Self(user)),
            Err(err) => Err(refuse(parts, err)),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for MaybeSignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(user_of(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn user(role: Role) -> CurrentUser {
        CurrentUser {
            account_id: 7,
            person_id: Some(70),
            email: "someone@skillmap.example".into(),
            display_name: "Someone".into(),
            organisation_id: Some(1),
            role,
        }
    }

    /// The guards' one decision, whoever asks for it.
    #[test]
    fn checks_decide_as_the_guards_do() {
        assert_eq!(check_user(None), Err(AppError::Unauthorized));
        assert_eq!(check_user(Some(user(Role::Staff))), Ok(user(Role::Staff)));
        let hr = [Role::Hr, Role::Admin];
        assert_eq!(check_role(None, &hr), Err(AppError::Unauthorized));
        assert_eq!(
            check_role(Some(user(Role::Manager)), &hr),
            Err(AppError::Forbidden)
        );
        assert_eq!(
            check_role(Some(user(Role::Admin)), &hr),
            Ok(user(Role::Admin))
        );
    }

    /// A plain route's guard answers in plain text, and notes a signed-in
    /// caller's refusal (with the path asked for) for the audit trail.
    #[tokio::test]
    async fn plain_route_guards_refuse_and_note_refusals() {
        use axum::extract::FromRequestParts;
        let (mut parts, ()) = http::Request::builder()
            .uri("/admin/audit.csv?action=x")
            .body(())
            .unwrap()
            .into_parts();
        let refusals = Refusals::default();
        parts.extensions.insert(refusals.clone());

        let anonymous = HrOrAdmin::from_request_parts(&mut parts, &())
            .await
            .err()
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        assert!(SignedIn::from_request_parts(&mut parts, &()).await.is_err());
        let maybe = MaybeSignedIn::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        assert!(maybe.0.is_none());
        assert!(refusals.take().is_empty(), "nobody to name");

        parts.extensions.insert(SessionContext {
            user: user(Role::Staff),
            session_id: "s".into(),
        });
        let staff = HrOrAdmin::from_request_parts(&mut parts, &())
            .await
            .err()
            .unwrap();
        assert_eq!(staff.status(), StatusCode::FORBIDDEN);
        assert_eq!(refusals.take(), vec!["/admin/audit.csv".to_string()]);
        let SignedIn(me) = SignedIn::from_request_parts(&mut parts, &())
            .await
            .ok()
            .unwrap();
        assert_eq!(me.role, Role::Staff);

        parts.extensions.insert(SessionContext {
            user: user(Role::Hr),
            session_id: "s".into(),
        });
        let HrOrAdmin(hr) = HrOrAdmin::from_request_parts(&mut parts, &())
            .await
            .ok()
            .unwrap();
        assert_eq!(hr.role, Role::Hr);
        assert!(refusals.take().is_empty());
    }
}
