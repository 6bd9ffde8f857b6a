//! Server-side sessions: a random token in an HttpOnly cookie, its SHA-256 in
//! the `session` table, idle and absolute expiry checked on every request.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Set, Statement,
};
use sha2::{Digest, Sha256};

use super::settings::Settings;
use crate::auth::model::{CurrentUser, Role};
use crate::entities::session;

pub const COOKIE_NAME: &str = "skillmap_session";
/// The name over https. The `__Host-` prefix makes the browser accept the
/// cookie only from this exact host, over https, for the whole site and
/// with no `Domain`: a sibling subdomain or a plain-http page cannot plant
/// or overwrite it (session fixation).
pub const SECURE_COOKIE_NAME: &str = "__Host-skillmap_session";

/// The session cookie's name for these settings.
pub fn cookie_name(settings: &Settings) -> &'static str {
    if settings.is_https() {
        SECURE_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

/// What the session middleware puts in each request's extensions.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub user: CurrentUser,
    /// The session's row id (hash of the token).
    pub session_id: String,
}

/// 256 random bits, hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn cookie(token: &str, settings: &Settings) -> String {
    let max_age = settings.session_absolute.as_secs();
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let name = cookie_name(settings);
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn clear_cookie(settings: &Settings) -> String {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let name = cookie_name(settings);
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The session token from a `Cookie` header, if any: only the cookie of
/// this name (`cookie_name`), so over https an unprefixed cookie planted by
/// another page is ignored.
pub fn token_from_cookies<'a>(
    wanted: &str,
    cookie_headers: impl Iterator<Item = &'a str>,
) -> Option<String> {
    cookie_headers
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == wanted && !value.is_empty())
        .map(|(_, value)| value.to_string())
        // Our tokens are 64 hex characters; anything else is not worth a query.
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Starts a session for an account and returns the token for the cookie.
pub async fn create(
    db: &impl ConnectionTrait,
    account_id: i32,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    create_with(db, account_id, settings, now, None).await
}

/// What a session begun by single sign-on remembers of the provider's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsoOrigin {
    pub provider: String,
    pub subject: String,
    /// The provider's session id (`sid`), when it sent one.
    pub sid: Option<String>,
    /// The raw ID token, the hint for RP-initiated logout.
    pub id_token: String,
}

/// `create`, for a session that may have begun at a provider.
pub async fn create_with(
    db: &impl ConnectionTrait,
    account_id: i32,
    settings: &Settings,
    now: DateTime<Utc>,
    sso: Option<SsoOrigin>,
) -> Result<String, DbErr> {
    let token = new_token();
    let absolute = chrono::Duration::from_std(settings.session_absolute).unwrap_or_default();
    session::ActiveModel {
        id: Set(token_id(&token)),
        account_id: Set(account_id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + absolute),
        sso_provider: Set(sso.as_ref().map(|s| s.provider.clone())),
        sso_subject: Set(sso.as_ref().map(|s| s.subject.clone())),
        sso_sid: Set(sso.as_ref().and_then(|s| s.sid.clone())),
        sso_id_token: Set(sso.map(|s| s.id_token)),
    }
    .insert(db)
    .await?;
    Ok(token)
}

pub async fn destroy(db: &impl ConnectionTrait, session_id: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(session_id.to_string())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn destroy_all_for(db: &impl ConnectionTrait, account_id: i32) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The provider a session began at and its ID token, if it began at one
/// (for RP-initiated logout).
pub async fn sso_origin(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Option<(String, Option<String>)>, DbErr> {
    Ok(session::Entity::find_by_id(session_id.to_string())
        .one(db)
        .await?
        .and_then(|s| s.sso_provider.map(|p| (p, s.sso_id_token))))
}

/// Why a session check came out as it did (for the idle-expiry rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Live,
    IdleExpired,
    AbsoluteExpired,
}

pub(crate) fn freshness(
    row: &session::Model,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Freshness {
    let idle = chrono::Duration::from_std(settings.session_idle).unwrap_or_default();
    if now >= row.expires_at {
        Freshness::AbsoluteExpired
    } else if now - row.last_seen_at >= idle {
        Freshness::IdleExpired
    } else {
        Freshness::Live
    }
}

/// Resolves a cookie token to the signed-in user. Expired sessions and
/// sessions of disabled accounts are deleted and resolve to `None`. A live
/// session's last-seen time moves forward (at most once a minute, to spare
/// the database a write per request). Every request asks this, so the
/// session, its account and the account's person come in one query.
pub async fn resolve(
    db: &impl ConnectionTrait,
    token: &str,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Option<SessionContext>, DbErr> {
    Ok(resolve_with(db, token, settings, now, None)
        .await?
        .map(|(ctx, _)| ctx))
}

/// `resolve`, reading one more figure about the session's account in the
/// same statement: `extra` is an SQL expression over the session row `s`
/// giving an integer (a page's header shows the unread count, and asking
/// for it here spares every page a statement). The kernel does not know
/// what it counts: the caller, which does, supplies it.
pub async fn resolve_with(
    db: &impl ConnectionTrait,
    token: &str,
    settings: &Settings,
    now: DateTime<Utc>,
    extra: Option<&str>,
) -> Result<Option<(SessionContext, Option<i64>)>, DbErr> {
    let id = token_id(token);
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT s.id AS s_id, s.account_id AS s_account_id, s.created_at AS s_created_at, \
         s.last_seen_at AS s_last_seen_at, s.expires_at AS s_expires_at, \
         NULL AS s_sso_provider, NULL AS s_sso_subject, \
         NULL AS s_sso_sid, NULL AS s_sso_id_token, \
         a.email AS email, a.role AS role, a.disabled AS disabled, \
         a.person_id AS person_id, a.organisation_id AS organisation_id, \
         p.given_name AS given, p.family_name AS family, \
         CAST({} AS BIGINT) AS extra \
         FROM session s JOIN account a ON a.id = s.account_id \
         LEFT JOIN person p ON p.id = a.person_id WHERE s.id = ?",
        extra.unwrap_or("NULL")
    );
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => sql.replace('?', "$1"),
        _ => sql,
    };
    let Some(found) = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [id.clone().into()],
        ))
        .await?
    else {
        // No such session (its account's rows go with it: a foreign key).
        return Ok(None);
    };
    // The single sign-on columns (an ID token is kilobytes) are not read on
    // every request: only logout needs them (`sso_origin`), and the update
    // below writes the last-seen time alone.
    let row = session::Model::from_query_result(&found, "s_")?;
    if freshness(&row, settings, now) != Freshness::Live {
        destroy(db, &id).await?;
        return Ok(None);
    }
    let account_id = row.account_id;
    if found.try_get::<bool>("", "disabled")? {
        destroy_all_for(db, account_id).await?;
        return Ok(None);
    }
    let role_name: String = found.try_get("", "role")?;
    let Some(role) = Role::parse(&role_name) else {
        tracing::error!(account = account_id, "account has an unknown role");
        return Ok(None);
    };
    if now - row.last_seen_at >= chrono::Duration::seconds(60) {
        let mut active: session::ActiveModel = row.into();
        active.last_seen_at = Set(now);
        active.update(db).await?;
    }
    let email: String = found.try_get("", "email")?;
    let given: Option<String> = found.try_get("", "given")?;
    let family: Option<String> = found.try_get("", "family")?;
    let display_name = match (given, family) {
        (Some(g), Some(f)) => format!("{g} {f}"),
        _ => email.clone(),
    };
    let extra: Option<i64> = found.try_get("", "extra")?;
    Ok(Some((
        SessionContext {
            user: CurrentUser {
                account_id,
                person_id: found.try_get("", "person_id")?,
                email,
                display_name,
                role,
                organisation_id: found.try_get("", "organisation_id")?,
            },
            session_id: id,
        },
        extra,
    )))
}

/// Deletes every expired session (run now and then; `resolve` also deletes
/// the ones it meets).
pub async fn purge_expired(
    db: &impl ConnectionTrait,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let idle = chrono::Duration::from_std(settings.session_idle).unwrap_or_default();
    let res = session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - idle)),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_distinct() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_ne!(token_id(&a), a);
    }

    #[test]
    fn cookie_flags() {
        let mut s = Settings::default();
        let c = cookie("ab", &s);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
        s.secure_cookies = true;
        assert!(cookie("ab", &s).ends_with("; Secure"));
        s.public_url = Some("https://skillmap.example.nhs.uk".into());
        let c = cookie("ab", &s);
        assert!(c.starts_with("__Host-skillmap_session=ab; Path=/;") && c.ends_with("; Secure"));
        assert!(!c.contains("Domain"));
        assert!(clear_cookie(&s).starts_with("__Host-skillmap_session=;"));
    }

    #[test]
    fn finds_the_token_among_cookies() {
        let t = new_token();
        let header = format!("other=1; {COOKIE_NAME}={t}; x=y");
        assert_eq!(
            token_from_cookies(COOKIE_NAME, [header.as_str()].into_iter()),
            Some(t.clone())
        );
        assert_eq!(
            token_from_cookies(COOKIE_NAME, ["skillmap_session=short"].into_iter()),
            None
        );
        assert_eq!(
            token_from_cookies(SECURE_COOKIE_NAME, [header.as_str()].into_iter()),
            None,
            "over https the unprefixed cookie is not ours"
        );
    }

    #[test]
    fn idle_and_absolute_expiry() {
        let s = Settings::default();
        let start = Utc::now();
        let row = session::Model {
            id: "x".into(),
            account_id: 1,
            created_at: start,
            last_seen_at: start,
            expires_at: start + chrono::Duration::hours(8),
            sso_provider: None,
            sso_subject: None,
            sso_sid: None,
            sso_id_token: None,
        };
        assert_eq!(
            freshness(&row, &s, start + chrono::Duration::minutes(29)),
            Freshness::Live
        );
        assert_eq!(
            freshness(&row, &s, start + chrono::Duration::minutes(30)),
            Freshness::IdleExpired
        );
        let busy = session::Model {
            last_seen_at: start + chrono::Duration::hours(8),
            ..row
        };
        assert_eq!(
            freshness(&busy, &s, start + chrono::Duration::hours(8)),
            Freshness::AbsoluteExpired
        );
    }
}
