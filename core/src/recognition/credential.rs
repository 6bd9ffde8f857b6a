//! Open Badges 3.0 credentials: the `OpenBadgeCredential` for a badge
//! (W3C VC 2.0 and OB 3.0.3 contexts), secured as a VC-JWT as the OB 3.0
//! "JSON Web Token Proof Format" says: the payload is the credential itself
//! plus `iss`, `jti` and `nbf`; the header is `alg` EdDSA, `typ` JWT, and a
//! `kid` URL that answers with the public JWK. Verification checks the
//! signature against the organisation's published keys and the claims
//! against the credential.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::keys::{Jwk, Signer, verify as verify_signature};
use super::model::SOURCE_PATHWAY;
use crate::framework::model::{LEVELS, MAX_LEVEL, level_name};

pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// Who issues: an organisation of the deployment at its own address
/// (`/issuer/{code}`), or the deployment's first issuer (`/issuer`), whose
/// keys signed the credentials made before organisations had their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// "https://skillmap.example.nhs.uk", no trailing slash.
    pub base_url: String,
    pub name: String,
    /// "issuer", or "issuer/RNF": the profile's path under `base_url`.
    pub path: String,
}

/// An organisation code as one path segment: letters, digits and `-._~`
/// as they are, anything else percent-encoded.
pub fn encode_code(code: &str) -> String {
    code.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The code one path segment names (`encode_code`'s inverse); none for a
/// segment that is not one (a slash, bad escapes).
pub fn decode_code(segment: &str) -> Option<String> {
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Issuer {
    /// The deployment's first issuer, at `/issuer`.
    pub fn deployment(base_url: String, name: String) -> Self {
        Issuer {
            base_url,
            name,
            path: "issuer".into(),
        }
    }

    /// An organisation's issuer, at `/issuer/{code}`.
    pub fn organisation(base_url: String, code: &str, name: String) -> Self {
        Issuer {
            base_url,
            name,
            path: format!("issuer/{}", encode_code(code)),
        }
    }

    pub fn id(&self) -> String {
        format!("{}/{}", self.base_url, self.path)
    }

    pub fn key_url(&self, kid: &str) -> String {
        format!("{}/{}/keys/{kid}", self.base_url, self.path)
    }

    /// The issuer Profile, with its keys as verification methods.
    pub fn profile(&self, keys: &[Jwk]) -> Value {
        json!({
            "@context": [VC_CONTEXT, OB_CONTEXT],
            "id": self.id(),
            "type": ["Profile"],
            "name": self.name,
            "url": self.base_url,
            "verificationMethod": keys.iter().map(|k| json!({
                "id": self.key_url(&k.kid),
                "type": "JsonWebKey",
                "controller": self.id(),
                "publicKeyJwk": { "kty": k.kty, "crv": k.crv, "x": k.x },
            })).collect::<Vec<_>>(),
        })
    }
}

/// What a badge says, as the credential needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeFacts {
    pub uuid: String,
    /// `SOURCE_AGREED` (a skill level) or `SOURCE_PATHWAY`.
    pub source: String,
    pub skill_code: String,
    pub skill_name: String,
    pub skill_description: String,
    pub framework_name: String,
    pub level: u8,
    pub issued_at: DateTime<Utc>,
    pub evidence: String,
    /// The recipient's email, to hash (never sent in clear).
    pub email: String,
    pub salt: String,
}

/// Emails are compared trimmed and lower-cased, when hashing and checking.
pub fn identity_hash(email: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("{}{salt}", email.trim().to_lowercase()).as_bytes());
    format!("sha256${}", hex::encode(digest))
}

fn level_id(achievement: &str, level: u8) -> String {
    format!("{achievement}#level-{level}")
}

/// The issuer a VC-JWT claims (its `iss`), read before anything is
/// checked: it says which issuer's keys to check the signature with.
pub fn claimed_issuer(jwt: &str) -> Option<String> {
    let payload = jwt.trim().split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.as_bytes()).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value["iss"].as_str().map(str::to_string)
}

/// The `OpenBadgeCredential` for a badge.
pub fn credential(issuer: &Issuer, b: &BadgeFacts) -> Value {
    if b.source == SOURCE_PATHWAY {
        return pathway_credential(issuer, b);
    }
    let achievement_id = format!("{}/framework#{}-{}", issuer.base_url, b.skill_code, b.level);
    let scale_id = format!("{achievement_id}-levels");
    let levels: Vec<Value> = LEVELS[1..]
        .iter()
        .map(|(l, name)| {
            json!({
                "id": level_id(&achievement_id, *l),
                "type": ["RubricCriterionLevel"],
                "name": *name,
                "level": l.to_string(),
            })
        })
        .collect();
    let level = level_name(b.level.min(MAX_LEVEL));
    let achievement = json!({
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": format!("{} at {level}", b.skill_name),
        "description": b.skill_description,
        "criteria": {
            "narrative": format!(
                "The holder's line manager agreed their level in {} as {level} ({} of 4) against the {}, on the evidence the holder gave.",
                b.skill_name, b.level, b.framework_name
            ),
        },
        "alignment": [{
            "type": ["Alignment"],
            "targetName": b.skill_name,
            "targetUrl": format!("{}/framework?q={}", issuer.base_url, b.skill_code),
            "targetFramework": b.framework_name,
            "targetCode": b.skill_code,
            "targetType": "ext:SkillmapSkill",
        }],
        "resultDescription": [{
            "id": scale_id,
            "type": ["ResultDescription"],
            "name": "Level",
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": levels,
        }],
    });
    let result = json!([{
        "type": ["Result"],
        "resultDescription": scale_id,
        "achievedLevel": level_id(&achievement_id, b.level),
    }]);
    envelope(
        issuer,
        b,
        format!("{}: {level}", b.skill_name),
        achievement,
        Some(result),
        "Agreed by the line manager",
    )
}

/// A completed learning pathway: a `LearningProgram` achievement, with the
/// steps as evidence.
fn pathway_credential(issuer: &Issuer, b: &BadgeFacts) -> Value {
    let achievement = json!({
        "id": format!("{}/learning#pathway-completed", issuer.base_url),
        "type": ["Achievement"],
        "achievementType": "LearningProgram",
        "name": b.skill_name,
        "description": format!(
            "A personal learning pathway against the {}: courses, guides and mentoring chosen to close the gaps between the holder's skills and what their role needs.",
            b.framework_name
        ),
        "criteria": {
            "narrative": "The holder completed every step of their learning pathway.",
        },
    });
    envelope(
        issuer,
        b,
        b.skill_name.clone(),
        achievement,
        None,
        "The pathway's steps",
    )
}

/// What every badge's credential shares: contexts, id, issuer, date, the
/// hashed holder and the evidence; `achievement` and `result` differ.
fn envelope(
    issuer: &Issuer,
    b: &BadgeFacts,
    name: String,
    achievement: Value,
    result: Option<Value>,
    evidence_name: &str,
) -> Value {
    let mut subject = json!({
        "type": ["AchievementSubject"],
        "identifier": [{
            "type": "IdentityObject",
            "identityHash": identity_hash(&b.email, &b.salt),
            "identityType": "emailAddress",
            "hashed": true,
            "salt": b.salt,
        }],
        "achievement": achievement,
    });
    if let Some(result) = result {
        subject["result"] = result;
    }
    json!({
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": format!("urn:uuid:{}", b.uuid),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer.id(),
            "type": ["Profile"],
            "name": issuer.name,
            "url": issuer.base_url,
        },
        "validFrom": b.issued_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "name": name,
        "credentialSubject": subject,
        "evidence": [{
            "type": ["Evidence"],
            "name": evidence_name,
            "narrative": b.evidence,
        }],
    })
}

/// The credential as a compact JWS (VC-JWT).
pub fn sign(issuer: &Issuer, signer: &Signer, credential: &Value) -> String {
    let header = json!({ "alg": "EdDSA", "typ": "JWT", "kid": issuer.key_url(&signer.kid) });
    let mut payload = credential.clone();
    let nbf = credential["validFrom"]
        .as_str()
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.timestamp())
        .unwrap_or_default();
    payload["iss"] = credential["issuer"]["id"].clone();
    payload["jti"] = credential["id"].clone();
    payload["nbf"] = json!(nbf);
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let signature = URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes()));
    format!("{input}.{signature}")
}

/// A credential whose signature and claims check out.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub credential: Value,
    pub kid: String,
}

/// Checks a VC-JWT: one of `keys` signed it, and its claims agree with the
/// credential. Says what is wrong in plain words.
pub fn check(
    jwt: &str,
    issuer: &Issuer,
    keys: &[Jwk],
    now: DateTime<Utc>,
) -> Result<Checked, String> {
    let jwt = jwt.trim();
    let parts: Vec<&str> = jwt.split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err(
            "This is not a signed credential: paste the whole text of the .jwt file.".into(),
        );
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part.as_bytes()).ok();
    let header: Value = decode(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("The credential's header cannot be read.")?;
    if header["alg"] != "EdDSA" {
        return Err(
            "The credential is not signed with an algorithm this organisation uses.".into(),
        );
    }
    let kid = header["kid"].as_str().unwrap_or_default();
    let key = keys
        .iter()
        .find(|k| issuer.key_url(&k.kid) == kid)
        .ok_or("The credential was not signed with a key of this organisation.")?;
    let signature = decode(s).ok_or("The credential's signature cannot be read.")?;
    if !verify_signature(key, format!("{h}.{p}").as_bytes(), &signature) {
        return Err("The signature does not match: the credential has been changed since it was issued, or was not issued here.".into());
    }
    let payload: Value = decode(p)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("The credential's contents cannot be read.")?;
    let types = payload["type"].as_array().cloned().unwrap_or_default();
    if !types
        .iter()
        .any(|t| t == "OpenBadgeCredential" || t == "AchievementCredential")
    {
        return Err("This is not an Open Badges credential.".into());
    }
    if payload["iss"] != payload["issuer"]["id"] || payload["iss"] != issuer.id() {
        return Err("The credential's issuer is not this organisation.".into());
    }
    if payload["jti"] != payload["id"] {
        return Err("The credential's id and its token id differ.".into());
    }
    let valid_from = payload["validFrom"]
        .as_str()
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .ok_or("The credential has no valid-from date.")?;
    if payload["nbf"].as_i64() != Some(valid_from.timestamp()) {
        return Err("The credential's dates disagree.".into());
    }
    if valid_from.with_timezone(&Utc) > now {
        return Err("The credential is not valid yet.".into());
    }
    Ok(Checked {
        credential: payload,
        kid: key.kid.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_hash_matches_the_spec_vector() {
        // The OB 3.0 test vector: sha256("a@example.com" + "Kosher").
        assert_eq!(
            identity_hash(" A@example.com ", "Kosher"),
            "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
        );
    }

    fn facts() -> BadgeFacts {
        BadgeFacts {
            uuid: "3f6e2c1a-8b4d-4e7f-9a21-5c0d7b9e4f12".into(),
            source: "agreed-level".into(),
            skill_code: "DAT-ANA".into(),
            skill_name: "Data analysis".into(),
            skill_description: "Analyses data.".into(),
            framework_name: "Digital, data and integrative leadership".into(),
            level: 3,
            issued_at: DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            evidence: "Built the ward dashboard.".into(),
            email: "jo@example.org".into(),
            salt: "s4lt".into(),
        }
    }

    #[test]
    fn the_credential_has_what_ob_3_requires() {
        let issuer = Issuer::organisation(
            "https://skillmap.example".into(),
            "RNF",
            "Northfield".into(),
        );
        let c = credential(&issuer, &facts());
        assert_eq!(c["@context"][0], VC_CONTEXT);
        assert_eq!(c["@context"][1], OB_CONTEXT);
        assert_eq!(c["type"][1], "OpenBadgeCredential");
        assert_eq!(c["issuer"]["id"], "https://skillmap.example/issuer/RNF");
        assert_eq!(c["validFrom"], "2026-11-20T10:00:00Z");
        let subject = &c["credentialSubject"];
        assert_eq!(subject["identifier"][0]["hashed"], true);
        assert!(subject.get("id").is_none());
        let a = &subject["achievement"];
        assert_eq!(a["achievementType"], "Competency");
        assert_eq!(a["alignment"][0]["targetCode"], "DAT-ANA");
        // The achieved level is one of the scale's levels.
        let achieved = &subject["result"][0]["achievedLevel"];
        let scale = a["resultDescription"][0]["rubricCriterionLevel"]
            .as_array()
            .unwrap();
        assert_eq!(scale.len(), 4);
        let hit = scale.iter().find(|l| &l["id"] == achieved).unwrap();
        assert_eq!(hit["name"], "Practitioner");
        assert_eq!(
            subject["result"][0]["resultDescription"],
            a["resultDescription"][0]["id"]
        );
        assert!(
            !c.to_string().contains("jo@example.org"),
            "the email is only hashed"
        );
    }

    #[test]
    fn organisation_codes_round_trip_as_one_path_segment() {
        for code in ["RNF", "U81001", "a b/c%", "Ysbyty\u{2019}"] {
            let segment = encode_code(code);
            assert!(
                !segment.contains('/') && !segment.contains(' '),
                "{segment}"
            );
            assert_eq!(decode_code(&segment).as_deref(), Some(code));
        }
        assert_eq!(decode_code("a/b"), None);
        assert_eq!(decode_code("%zz"), None);
        assert_eq!(decode_code(""), None);
    }

    #[test]
    fn a_pathway_badge_is_a_learning_programme() {
        let issuer = Issuer::deployment("https://skillmap.example".into(), "Northfield".into());
        let c = credential(
            &issuer,
            &BadgeFacts {
                source: SOURCE_PATHWAY.into(),
                skill_code: "pathway:4,7".into(),
                skill_name: "Learning pathway completed".into(),
                level: 0,
                evidence: "Completed all 2 steps: A; B.".into(),
                ..facts()
            },
        );
        let a = &c["credentialSubject"]["achievement"];
        assert_eq!(a["achievementType"], "LearningProgram");
        assert_eq!(c["name"], "Learning pathway completed");
        assert!(c["credentialSubject"].get("result").is_none());
        assert_eq!(
            c["evidence"][0]["narrative"],
            "Completed all 2 steps: A; B."
        );
        assert_eq!(c["credentialSubject"]["identifier"][0]["hashed"], true);
    }
}
