//! Each organisation's badge-signing keys: Ed25519 (ring), generated on
//! first use and kept in the database, so every instance behind a load
//! balancer, and a restored backup, signs and verifies with the same keys.
//! Keys with no organisation are the deployment's first issuer's, kept to
//! verify what they signed before organisations had keys of their own. The
//! private half is only ever read here; it is not in any export or log.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
    Set,
};
use sha2::{Digest, Sha256};

use crate::entities::{issuer_key, organisation};
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

/// Creates a badge-signing key for every organisation that has none.
/// Called at start-up under the migration lock, so instances that start
/// together create one key each between them, not one each.
pub async fn ensure(db: &impl ConnectionTrait) -> Result<(), AppError> {
    for o in organisation::Entity::find().all(db).await? {
        if of(Some(o.id)).one(db).await?.is_none() {
            create(db, Some(o.id)).await?;
        }
    }
    Ok(())
}

/// The keys of organisation `org` (the deployment's first issuer's when
/// `None`), newest first.
fn of(org: Option<i32>) -> Select<issuer_key::Entity> {
    let q = issuer_key::Entity::find();
    match org {
        Some(o) => q.filter(issuer_key::Column::OrganisationId.eq(o)),
        None => q.filter(issuer_key::Column::OrganisationId.is_null()),
    }
    .order_by_desc(issuer_key::Column::Id)
}

/// Organisation `org`'s newest key, to sign with. Start-up made one
/// (`ensure`); a key is created here for an organisation made since, or
/// whose keys were removed.
pub async fn signer(db: &impl ConnectionTrait, org: i32) -> Result<Signer, AppError> {
    let row = match of(Some(org)).one(db).await? {
        Some(row) => row,
        None => create(db, Some(org)).await?,
    };
    let pkcs8 = STANDARD
        .decode(row.private_key.as_bytes())
        .map_err(|_| internal("stored key is not base64"))?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| internal("stored key unreadable"))?;
    Ok(Signer { kid: row.kid, pair })
}

async fn create(
    db: &impl ConnectionTrait,
    org: Option<i32>,
) -> Result<issuer_key::Model, AppError> {
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
        organisation_id: Set(org),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(kid = %row.kid, organisation = ?org, "generated a new badge-signing key");
    Ok(row)
}

/// Organisation `org`'s public keys (the deployment's first issuer's
/// when `None`), newest first: the issuer's JWK set.
pub async fn public_keys(
    db: &impl ConnectionTrait,
    org: Option<i32>,
) -> Result<Vec<Jwk>, AppError> {
    Ok(of(org)
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
    async fn each_organisation_has_its_own_key_made_once() {
        use crate::kernel::testing::ORG;
        let t = crate::kernel::testing::test_db().await;
        let other = crate::kernel::tenant::create(&t.db, "OTH", "Other Trust")
            .await
            .unwrap()
            .id;
        let a = signer(&t.db, ORG).await.unwrap();
        let b = signer(&t.db, ORG).await.unwrap();
        assert_eq!(a.kid, b.kid, "generated once, then reused");
        let keys = public_keys(&t.db, Some(ORG)).await.unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid, a.kid);
        let sig = a.sign(b"hello");
        assert!(verify(&keys[0], b"hello", &sig));
        assert!(!verify(&keys[0], b"hellO", &sig));

        // Another organisation's key is another key, in another set.
        ensure(&t.db).await.unwrap();
        let theirs = public_keys(&t.db, Some(other)).await.unwrap();
        assert_eq!(theirs.len(), 1);
        assert_ne!(theirs[0].kid, a.kid);
        assert!(!verify(&theirs[0], b"hello", &sig));
        assert!(public_keys(&t.db, None).await.unwrap().is_empty());
    }
}
