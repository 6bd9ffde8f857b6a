//! Signing out at both ends. RP-initiated logout: when someone signs out
//! of a session begun at a provider, the browser goes on to the provider's
//! `end_session_endpoint` with the ID token as a hint. Back-channel logout
//! (OpenID Connect Back-Channel Logout 1.0): the provider posts a signed
//! logout token when a person's session there ends (a smartcard pulled
//! out), and Skillmap ends the sessions it began from it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Utc;
use openidconnect::JsonWebKey;
use openidconnect::core::{CoreJsonWebKey, CoreJwsSigningAlgorithm};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Map, Value};

use super::flow::post_logout_uri;
use super::provider::{Metadata, Provider, Registry};
use crate::audit::model::Action;
use crate::entities::session;
use crate::kernel::{Settings, audit};

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
const SKEW_SECS: i64 = 300;
/// Logout tokens older than this are refused (replay).
const MAX_AGE_SECS: i64 = 600;

/// Where to send the browser after a local sign-out of a session that
/// began at a provider offering RP-initiated logout; `None` otherwise.
pub async fn end_session_url(
    registry: &Registry,
    settings: &Settings,
    provider_id: &str,
    id_token: Option<&str>,
) -> Option<String> {
    let provider = registry.get(provider_id)?;
    let metadata = provider.metadata(&registry.http).await.ok()?;
    let endpoint = metadata
        .additional_metadata()
        .end_session_endpoint
        .as_ref()?;
    let mut url = url::Url::parse(endpoint.url().as_str()).ok()?;
    {
        let mut q = url.query_pairs_mut();
        if let Some(hint) = id_token {
            q.append_pair("id_token_hint", hint);
        }
        q.append_pair("client_id", &provider.config.client_id);
        q.append_pair("post_logout_redirect_uri", &post_logout_uri(settings));
    }
    Some(url.to_string())
}

/// Why a logout token was refused (the provider is told 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLogoutToken(pub String);

/// Checks a logout token from `provider_id` and ends the sessions it names.
/// Returns how many ended.
pub async fn back_channel(
    db: &DatabaseConnection,
    registry: &Registry,
    provider_id: &str,
    logout_token: &str,
) -> Result<u64, BadLogoutToken> {
    let bad = |m: &str| BadLogoutToken(m.to_string());
    let provider = registry
        .get(provider_id)
        .ok_or_else(|| bad("unknown provider"))?;
    let metadata = provider
        .metadata(&registry.http)
        .await
        .map_err(|e| BadLogoutToken(e.0))?;
    let claims = match verify(provider, &metadata, logout_token) {
        Err(KeyMissing) => {
            let metadata = provider
                .refresh_keys(&registry.http, false)
                .await
                .map_err(|e| BadLogoutToken(e.0))?;
            verify(provider, &metadata, logout_token)
        }
        other => other,
    }
    .map_err(|e| match e {
        KeyMissing => bad("signed with a key the provider does not publish"),
        Invalid(m) => BadLogoutToken(m),
    })?;
    let sub = claims.get("sub").and_then(Value::as_str);
    let sid = claims.get("sid").and_then(Value::as_str);
    let mut which = sea_orm::Condition::any();
    if let Some(sid) = sid {
        which = which.add(session::Column::SsoSid.eq(sid));
    }
    if let Some(sub) = sub {
        // A session with no `sid` from the provider is found by subject;
        // with both, only the session named.
        let by_subject = session::Column::SsoSubject.eq(sub);
        which = which.add(if sid.is_some() {
            sea_orm::Condition::all()
                .add(by_subject)
                .add(session::Column::SsoSid.is_null())
        } else {
            sea_orm::Condition::all().add(by_subject)
        });
    }
    let filter = sea_orm::Condition::all()
        .add(session::Column::SsoProvider.eq(provider_id))
        .add(which);
    let internal = |e: sea_orm::DbErr| {
        tracing::error!(error = %e, "back-channel logout: database");
        bad("database")
    };
    let accounts: Vec<i32> = session::Entity::find()
        .select_only()
        .column(session::Column::AccountId)
        .filter(filter.clone())
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    let ended = session::Entity::delete_many()
        .filter(filter)
        .exec(db)
        .await
        .map_err(internal)?
        .rows_affected;
    let mut accounts = accounts;
    accounts.sort_unstable();
    accounts.dedup();
    for account in accounts {
        let detail = format!("{provider_id}: back-channel logout");
        let organisation = crate::kernel::tenant::organisation_of(
            db,
            crate::kernel::tenant::Owned::Account,
            account,
        )
        .await
        .map_err(internal)?
        .flatten();
        audit::record(
            db,
            audit::Actor::system().in_organisation(organisation),
            Action::SsoLogout,
            Some(("account", account)),
            detail,
        )
        .await
        .map_err(internal)?;
    }
    tracing::info!(provider = provider_id, ended, "back-channel logout");
    Ok(ended)
}

enum VerifyError {
    KeyMissing,
    Invalid(String),
}
use VerifyError::{Invalid, KeyMissing};

/// Checks the signature (with a key the provider publishes, by an allowed
/// algorithm) and the claims the specification requires.
fn verify(
    provider: &Provider,
    metadata: &Metadata,
    token: &str,
) -> Result<Map<String, Value>, VerifyError> {
    let config = &provider.config;
    let invalid = |m: &str| Invalid(m.to_string());
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("not a signed JWT"));
    };
    let decode = |part: &str| -> Result<Map<String, Value>, VerifyError> {
        let bytes = B64.decode(part).map_err(|_| invalid("not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| invalid("not JSON"))
    };
    let header = decode(h)?;
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !config.algs.iter().any(|a| a == alg_name) {
        return Err(Invalid(format!("algorithm {alg_name:?} is not accepted")));
    }
    let alg: CoreJwsSigningAlgorithm = serde_json::from_value(Value::String(alg_name.into()))
        .map_err(|_| invalid("unknown algorithm"))?;
    let kid = header.get("kid").and_then(Value::as_str);
    let signature = B64
        .decode(s)
        .map_err(|_| invalid("signature not base64url"))?;
    let message = format!("{h}.{p}");
    let keys: Vec<&CoreJsonWebKey> = metadata
        .jwks()
        .keys()
        .iter()
        .filter(|k| kid.is_none() || k.key_id().map(|id| id.as_str()) == kid)
        .collect();
    if keys.is_empty() {
        return Err(KeyMissing);
    }
    if !keys.iter().any(|k| {
        k.verify_signature(&alg, message.as_bytes(), &signature)
            .is_ok()
    }) {
        return Err(invalid("bad signature"));
    }
    let claims = decode(p)?;
    let now = Utc::now().timestamp();
    if claims.get("iss").and_then(Value::as_str) != Some(config.issuer.as_str()) {
        return Err(invalid("wrong issuer"));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => *a == config.client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&config.client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err(invalid("wrong audience"));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("no iat"))?;
    if iat > now + SKEW_SECS || iat < now - MAX_AGE_SECS - SKEW_SECS {
        return Err(invalid("issued at an unacceptable time"));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("no exp"))?;
    if exp + SKEW_SECS < now {
        return Err(invalid("expired"));
    }
    if claims.get("jti").and_then(Value::as_str).is_none() {
        return Err(invalid("no jti"));
    }
    if !claims
        .get("events")
        .and_then(Value::as_object)
        .is_some_and(|e| e.contains_key(EVENT))
    {
        return Err(invalid("not a back-channel logout event"));
    }
    if claims.contains_key("nonce") {
        return Err(invalid("a logout token carries no nonce"));
    }
    if claims.get("sub").and_then(Value::as_str).is_none()
        && claims.get("sid").and_then(Value::as_str).is_none()
    {
        return Err(invalid("neither sub nor sid"));
    }
    Ok(claims)
}
