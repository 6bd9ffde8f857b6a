//! Client assertions: the signed JWT with which Skillmap authenticates at a
//! provider's token endpoint (`private_key_jwt`, `client_secret_jwt`; RFC
//! 7523), signed with `ring`, which the badge signer already uses.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};

use super::config::ClientAuth;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The assertion for one token request: issued by and about the client,
/// for the token endpoint, valid for a minute, never reused (`jti`).
/// `None` for the secret-in-a-header and secret-in-the-body methods.
pub fn client_assertion(
    auth: &ClientAuth,
    client_id: &str,
    token_endpoint: &str,
    now: i64,
) -> Result<Option<String>, String> {
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint,
        "jti": jti(),
        "iat": now,
        "exp": now + 60,
    });
    let payload = B64.encode(claims.to_string());
    let rng = SystemRandom::new();
    match auth {
        ClientAuth::SecretBasic(_) | ClientAuth::SecretPost(_) => Ok(None),
        ClientAuth::SecretJwt(secret) => {
            let input = format!("{}.{payload}", header("HS256", None));
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
            let tag = ring::hmac::sign(&key, input.as_bytes());
            Ok(Some(format!("{input}.{}", B64.encode(tag.as_ref()))))
        }
        ClientAuth::PrivateKeyJwt { key_der, key_id } => {
            if let Ok(pair) = RsaKeyPair::from_pkcs8(key_der) {
                let input = format!("{}.{payload}", header("RS256", key_id.as_deref()));
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    input.as_bytes(),
                    &mut sig,
                )
                .map_err(|_| "the RSA key could not sign".to_string())?;
                return Ok(Some(format!("{input}.{}", B64.encode(sig))));
            }
            let pair = EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                key_der,
                &rng,
            )
            .map_err(|_| "the private key is neither RSA nor P-256".to_string())?;
            let input = format!("{}.{payload}", header("ES256", key_id.as_deref()));
            let sig = pair
                .sign(&rng, input.as_bytes())
                .map_err(|_| "the P-256 key could not sign".to_string())?;
            Ok(Some(format!("{input}.{}", B64.encode(sig.as_ref()))))
        }
    }
}

/// A fresh, unguessable token id.
fn jti() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    let _ = SystemRandom::new().fill(&mut bytes);
    B64.encode(bytes)
}

fn header(alg: &str, kid: Option<&str>) -> String {
    let mut h = serde_json::json!({ "alg": alg, "typ": "JWT" });
    if let Some(kid) = kid {
        h["kid"] = kid.into();
    }
    B64.encode(h.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_jwt_is_an_hmac_over_header_and_claims() {
        let auth = ClientAuth::SecretJwt("s3cret".into());
        let jwt = client_assertion(&auth, "skillmap", "https://idp.example/token", 1_000)
            .unwrap()
            .unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "skillmap");
        assert_eq!(claims["sub"], "skillmap");
        assert_eq!(claims["aud"], "https://idp.example/token");
        assert_eq!(claims["exp"], 1_060);
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"s3cret");
        let input = format!("{}.{}", parts[0], parts[1]);
        ring::hmac::verify(&key, input.as_bytes(), &B64.decode(parts[2]).unwrap()).unwrap();
        assert_eq!(
            client_assertion(&ClientAuth::SecretBasic("x".into()), "a", "b", 0).unwrap(),
            None
        );
    }

    #[test]
    fn a_p256_key_signs_and_the_signature_verifies() {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap();
        super::super::config::check_key(doc.as_ref()).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            doc.as_ref(),
            &rng,
        )
        .unwrap();
        let auth = ClientAuth::PrivateKeyJwt {
            key_der: doc.as_ref().to_vec(),
            key_id: Some("k1".into()),
        };
        let jwt = client_assertion(&auth, "c", "https://idp.example/token", 5)
            .unwrap()
            .unwrap();
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        use ring::signature::KeyPair;
        let public = signature::UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            pair.public_key().as_ref(),
        );
        public
            .verify(input.as_bytes(), &B64.decode(sig).unwrap())
            .unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&B64.decode(input.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], "k1");
        assert!(super::super::config::check_key(b"not a key").is_err());
    }
}
