//! The organisation's badge-signing keys: Ed25519 (ring), generated on first
//! use and kept in the database, so every instance behind a load balancer,
//! and a restored backup, signs and verifies with the same keys. The
//! private half is only ever read here; it is not in any export or log.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use sha2::{Digest, Sha256};

use crate::entities::issuer_key;
use crate::error::AppError;

/// A public key as a JSON Web Key (RFC 8037), with its RFC 7638 thumbprint
/// as `kid`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
}

/// The RFC 7638 thumbprint of an Ed25519 public key (base64url `x`).
pub fn thumbprint(x: &str) -> String {
    // Members in lexicographic order, no spaces, as RFC 7638 requires.
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

pub fn jwk(x: &str) -> Jwk {
    Jwk {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x: x.into(),
        kid: thumbprint(x),
        use_: "sig".into(),
        alg: "EdDSA".into(),
    }
}

/// The key that signs now: the newest, or a new one when there is none.
pub struct Signer {
    pub kid: String,
    pair: Ed25519KeyPair,
}

impl Signer {
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }
}

fn internal(what: &str) -> AppError {
    tracing::error!("issuer key: {what}");
    AppError::Internal
}

/// Creates the badge-signing key if there is none. Called at start-up
/// under the migration lock, so instances that start together create one
/// key between them, not one each.
pub async fn ensure(db: &impl ConnectionTrait) -> Result<(), AppError> {
    if issuer_key::Entity::find().one(db).await?.is_none() {
        create(db).await?;
    }
    Ok(())
}

/// The newest key, to sign with. Start-up made one (`ensure`); a key is
/// created here only for a database whose keys were removed since.
pub async fn signer(db: &impl ConnectionTrait) -> Result<Signer, AppError> {
    let row = match issuer_key::Entity::find()
        .order_by_desc(issuer_key::Column::Id)
        .one(db)
        .await?
    {
        Some(row) => row,
        None => create(db).await?,
    };
    let pkcs8 = STANDARD
        .decode(row.private_key.as_bytes())
        .map_err(|_| internal("stored key is not base64"))?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| internal("stored key unreadable"))?;
    Ok(Signer { kid: row.kid, pair })
}

async fn create(db: &impl ConnectionTrait) -> Result<issuer_key::Model, AppError> {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| internal("could not generate"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| internal("generated key unreadable"))?;
    let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
    let row = issuer_key::ActiveModel {
        kid: Set(thumbprint(&x)),
        public_key: Set(x),
        private_key: Set(STANDARD.encode(pkcs8.as_ref())),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(kid = %row.kid, "generated a new badge-signing key");
    Ok(row)
}

/// Every public key, newest first (the issuer's JWK set).
pub async fn public_keys(db: &impl ConnectionTrait) -> Result<Vec<Jwk>, AppError> {
    Ok(issuer_key::Entity::find()
        .order_by_desc(issuer_key::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|k| jwk(&k.public_key))
        .collect())
}

/// Checks an Ed25519 signature against a published key.
pub fn verify(key: &Jwk, message: &[u8], signature: &[u8]) -> bool {
    let Ok(public) = URL_SAFE_NO_PAD.decode(key.x.as_bytes()) else {
        return false;
    };
    UnparsedPublicKey::new(&ED25519, public)
        .verify(message, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc_8037_example() {
        // RFC 8037 appendix A.3: the thumbprint of its Ed25519 example key.
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[tokio::test]
    async fn the_key_is_made_once_and_signs_verifiably() {
        let t = crate::kernel::testing::test_db().await;
        let a = signer(&t.db).await.unwrap();
        let b = signer(&t.db).await.unwrap();
        assert_eq!(a.kid, b.kid, "generated once, then reused");
        let keys = public_keys(&t.db).await.unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid, a.kid);
        let sig = a.sign(b"hello");
        assert!(verify(&keys[0], b"hello", &sig));
        assert!(!verify(&keys[0], b"hellO", &sig));
    }
}
