//! Form errors the server signed. A plain (no-JavaScript) form post that
//! fails is sent back to its form with the error in the URL (`__path` and
//! `__err`, Leptos's encoding), and the page shows it. Anyone can write such
//! a URL, so on its own a link could put any words on the real sign-in page
//! ("your password has expired, re-enter it at ..."). The response layer
//! (`server::middleware::sign_form_errors`) therefore adds an expiry and an
//! HMAC-SHA256 over the path, the error and the expiry (`__exp`, `__sig`),
//! and `ui::url_error` shows an error only when they check out. The key is
//! kept in the database, so every instance behind a load balancer shares it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use ring::hmac;
use sea_orm::{ConnectionTrait, DbErr, Statement};

/// How long a signed error may be shown: the redirect is followed at once.
pub const LIFETIME_SECS: i64 = 10 * 60;

/// The name of the key's row in `server_secret`.
const SECRET_NAME: &str = "form_errors";

pub struct FlashKey(hmac::Key);

impl FlashKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// A key of this process's own (until the shared one is loaded).
    pub fn random() -> Self {
        Self::new(&random_secret())
    }

    fn message(path: &str, err: &str, expires: i64) -> String {
        format!("{path}\n{err}\n{expires}")
    }

    /// The signature for this error, valid until `expires` (Unix seconds).
    pub fn sign(&self, path: &str, err: &str, expires: i64) -> String {
        let tag = hmac::sign(&self.0, Self::message(path, err, expires).as_bytes());
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    /// True when this server signed this error and it has not expired.
    pub fn verify(&self, path: &str, err: &str, expires: &str, sig: &str, now: i64) -> bool {
        let Ok(expires) = expires.parse::<i64>() else {
            return false;
        };
        if expires < now || expires > now + LIFETIME_SECS {
            return false;
        }
        let Ok(tag) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        hmac::verify(&self.0, Self::message(path, err, expires).as_bytes(), &tag).is_ok()
    }
}

/// What the verification page's result is sealed for (`seal`).
pub const VERIFY_RESULT: &str = "verify-result";

/// A value this server vouches for, carried in a redirect's query as `v`,
/// `exp` and `sig`: the verification page's result, say, which must not
/// be something anyone could write into a link. `purpose` keeps a seal made
/// for one use from being accepted by another.
pub fn seal<T: serde::Serialize>(
    key: &FlashKey,
    purpose: &str,
    value: &T,
    now: i64,
) -> [(&'static str, String); 3] {
    let v = URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default());
    let expires = now + LIFETIME_SECS;
    let sig = key.sign(purpose, &v, expires);
    [("v", v), ("exp", expires.to_string()), ("sig", sig)]
}

/// The value `seal` made, if this server made it and it has not expired.
pub fn open<T: serde::de::DeserializeOwned>(
    key: &FlashKey,
    purpose: &str,
    sealed: (&str, &str, &str),
    now: i64,
) -> Option<T> {
    let (v, expires, sig) = sealed;
    if !key.verify(purpose, v, expires, sig, now) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(v).ok()?).ok()
}

fn random_secret() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// The shared key: created by whichever instance starts first (the insert
/// does nothing if another got there), then read by all.
pub async fn load_key(db: &impl ConnectionTrait) -> Result<FlashKey, DbErr> {
    let backend = db.get_database_backend();
    let sql = |s: &str| crate::kernel::db::placeholders(backend, s);
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql(
            "INSERT INTO server_secret (name, value, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO NOTHING",
        ),
        [
            SECRET_NAME.into(),
            hex::encode(random_secret()).into(),
            chrono::Utc::now().into(),
        ],
    ))
    .await?;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql("SELECT value FROM server_secret WHERE name = ?"),
            [SECRET_NAME.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the form-error key".into()))?;
    let value: String = row.try_get_by_index(0)?;
    let secret = hex::decode(value.trim())
        .map_err(|e| DbErr::Custom(format!("the form-error key is not hex: {e}")))?;
    Ok(FlashKey::new(&secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_keys_unexpired_signatures_verify() {
        let key = FlashKey::new(b"one key");
        let now = 1_000_000;
        let exp = now + 60;
        let sig = key.sign("/api/auth/login", "eyJ9", exp);
        let e = exp.to_string();
        assert!(key.verify("/api/auth/login", "eyJ9", &e, &sig, now));
        assert!(
            !key.verify("/api/auth/login", "eyJ8", &e, &sig, now),
            "other error"
        );
        assert!(
            !key.verify("/api/other", "eyJ9", &e, &sig, now),
            "other form"
        );
        assert!(
            !key.verify("/api/auth/login", "eyJ9", &e, &sig, exp + 1),
            "expired"
        );
        assert!(!key.verify("/api/auth/login", "eyJ9", "soon", &sig, now));
        assert!(!key.verify("/api/auth/login", "eyJ9", &e, "not base64!", now));
        let other = FlashKey::new(b"another key");
        assert!(
            !other.verify("/api/auth/login", "eyJ9", &e, &sig, now),
            "other key"
        );
    }

    #[test]
    fn sealed_values_open_only_for_their_purpose() {
        let key = FlashKey::new(b"k");
        let [(_, v), (_, e), (_, s)] = seal(&key, VERIFY_RESULT, &vec![1, 2, 3], 100);
        let opened: Option<Vec<i32>> = open(&key, VERIFY_RESULT, (&v, &e, &s), 100);
        assert_eq!(opened, Some(vec![1, 2, 3]));
        let other: Option<Vec<i32>> = open(&key, "/api/auth/login", (&v, &e, &s), 100);
        assert_eq!(other, None);
        let forged = URL_SAFE_NO_PAD.encode(b"[9]");
        let opened: Option<Vec<i32>> = open(&key, VERIFY_RESULT, (&forged, &e, &s), 100);
        assert_eq!(opened, None);
    }

    #[tokio::test]
    async fn every_instance_loads_the_same_key() {
        let t = crate::kernel::testing::test_db().await;
        let a = load_key(&t.db).await.unwrap();
        let b = load_key(&t.db).await.unwrap();
        let sig = a.sign("/p", "e", 99);
        assert!(b.verify("/p", "e", "99", &sig, 50));
    }
}
