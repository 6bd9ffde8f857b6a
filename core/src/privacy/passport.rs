//! The skills passport: with the person's consent, their agreed levels
//! (who agreed each, and when) and their badges, in one file signed by
//! their organisation, for a Skillmap of another integrated care system to
//! import. Moving within one system is HR's transfer
//! (`people::transfer`); this is for leaving it.
//!
//! The file is a W3C Verifiable Credential (type `SkillsPassport`) secured
//! as a VC-JWT exactly as the badges are (`recognition::credential`): EdDSA,
//! signed with the organisation's badge key, whose `kid` is its public key's
//! address. Its badges are the badges' own signed credentials, inside it.
//!
//! Importing trusts a passport only from an issuer of this deployment or
//! one the administrators list in `SKILLMAP_TRUSTED_ISSUERS`. For a listed
//! issuer the key is fetched from the address the passport's `kid` names,
//! which must lie under that issuer's address (so an uploaded file cannot
//! make the server fetch anything else), and must be the key its
//! thumbprint names. Imported levels arrive as the person's own claims
//! (self-assessments, with who agreed them where as evidence), for their
//! manager here to agree: another system's agreement is evidence, not a
//! decision this organisation made.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};
use serde_json::{Value, json};

use super::model::{PassportLevel, PassportOutcome, PassportPreview};
use crate::audit::model::Action;
use crate::auth::model::CurrentUser;
use crate::entities::{assessment, badge, organisation, passport_upload, person};
use crate::error::AppError;
use crate::framework::model::{MAX_LEVEL, level_name};
use crate::framework::read as framework;
use crate::kernel::audit::{self, Actor};
use crate::people::model::full_name;
use crate::profile::model::SelfAssessmentInput;
use crate::recognition::credential::{self, Issuer, VC_CONTEXT};
use crate::recognition::keys::{self, Jwk};

/// How long a passport can be imported after it was made.
pub const VALID_DAYS: i64 = 90;
/// The largest passport accepted: agreed levels and badges of one person.
pub const MAX_PASSPORT_BYTES: usize = 512 * 1024;
/// The credential type that marks a passport.
pub const PASSPORT_TYPE: &str = "SkillsPassport";

/// Where passports may come from: this deployment's own issuers (at
/// `base_url`), and the issuer addresses its administrators trust.
pub struct Trust<'a> {
    pub base_url: &'a str,
    pub trusted: &'a [String],
}

fn no_person() -> AppError {
    AppError::NotFound(
        "Your account is not linked to a staff record, so it has no skills to take or bring".into(),
    )
}

/// The email a person's passport names (`recognition::service::holder_email`).
async fn email_of(db: &impl ConnectionTrait, p: &person::Model) -> Result<String, AppError> {
    crate::recognition::service::holder_email(db, p)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(
                "A skills passport names its holder by email address, and your staff record has none. Ask HR to add one.".into(),
            )
        })
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

/// The signed-in person's passport: their agreed levels and their badges
/// that are not revoked, signed by their organisation. Only with their
/// consent (`consent`), and recorded in the audit trail.
pub async fn export(
    db: &impl ConnectionTrait,
    base_url: &str,
    user: &CurrentUser,
    by: Actor,
    consent: bool,
) -> Result<String, AppError> {
    if !consent {
        return Err(AppError::validation(
            "consent",
            "Tick the box to agree to your skills passport holding your name, email address, agreed levels and badges.",
        ));
    }
    let person_id = user.person_id.ok_or_else(no_person)?;
    let p = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(no_person)?;
    let email = email_of(db, &p).await?;
    let org = organisation::Entity::find_by_id(p.organisation_id)
        .one(db)
        .await?
        .ok_or(AppError::Internal)?;
    let issuer = Issuer::organisation(base_url.to_string(), &org.code, org.name.clone());
    // Their organisation's own skills travel too: named in the passport, and
    // "no such skill here" where another Skillmap has none of that code.
    let fw = framework::current_for(db, p.organisation_id).await?;
    let agreed = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(person_id))
        .filter(assessment::Column::Status.eq("agreed"))
        .all(db)
        .await?;
    let reviewers: std::collections::HashMap<i32, String> = person::Entity::find()
        .filter(person::Column::Id.is_in(agreed.iter().filter_map(|a| a.reviewed_by)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, full_name(&r.given_name, &r.family_name)))
        .collect();
    let mut levels: Vec<Value> = agreed
        .iter()
        .filter_map(|a| {
            let level = a.agreed_level.filter(|l| *l >= 1)?.clamp(0, 4) as u8;
            Some(json!({
                "skill": a.skill_code,
                "name": fw.skill(&a.skill_code).map(|s| s.name.clone()).unwrap_or_else(|| a.skill_code.clone()),
                "level": level,
                "levelName": level_name(level),
                "agreedBy": a.reviewed_by.and_then(|r| reviewers.get(&r).cloned()),
                "agreedAt": a.reviewed_at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            }))
        })
        .collect();
    levels.sort_by(|a, b| a["skill"].as_str().cmp(&b["skill"].as_str()));
    let mut badges = Vec::new();
    for b in badge::Entity::find()
        .filter(badge::Column::PersonId.eq(person_id))
        .filter(badge::Column::RevokedAt.is_null())
        .all(db)
        .await?
    {
        badges.push(
            crate::recognition::service::signed_credential(
                db,
                base_url.to_string(),
                person_id,
                b.id,
            )
            .await?,
        );
    }
    let now = Utc::now();
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let passport = json!({
        "@context": [VC_CONTEXT],
        "id": format!("urn:uuid:{}", crate::recognition::service::new_uuid()),
        "type": ["VerifiableCredential", PASSPORT_TYPE],
        "name": "Skills passport",
        "issuer": { "id": issuer.id(), "type": ["Profile"], "name": issuer.name },
        "validFrom": at(now),
        "validUntil": at(now + Duration::days(VALID_DAYS)),
        "credentialSubject": {
            "type": ["SkillsPassportSubject"],
            "name": full_name(&p.given_name, &p.family_name),
            "email": email,
            "consentGivenAt": at(now),
            "framework": { "name": fw.name, "version": fw.version },
            "levels": levels,
            "badges": badges,
        },
    });
    let signer = keys::signer(db, org.id).await?;
    let token = credential::sign(&issuer, &signer, &passport);
    audit::record(
        db,
        by,
        Action::PassportExported,
        Some(("person", person_id)),
        format!("{} levels, {} badges", levels.len(), badges.len()),
    )
    .await?;
    Ok(token)
}

/// Keeps an uploaded passport for the person to look over before
/// importing it (their earlier uploads go); returns its id. Only its shape
/// is checked here: the preview checks the rest and says what is wrong.
pub async fn upload(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    token: &str,
) -> Result<i32, AppError> {
    let person_id = user.person_id.ok_or_else(no_person)?;
    let token = token.trim();
    if token.is_empty() {
        return Err(AppError::validation(
            "file",
            "Choose your skills passport file (a .jwt file).",
        ));
    }
    if token.len() > MAX_PASSPORT_BYTES || token.split('.').count() != 3 {
        return Err(AppError::validation(
            "file",
            "That file is not a skills passport: choose the .jwt file you downloaded from your Skillmap's Your data page.",
        ));
    }
    passport_upload::Entity::delete_many()
        .filter(passport_upload::Column::PersonId.eq(person_id))
        .exec(db)
        .await?;
    let row = passport_upload::ActiveModel {
        person_id: Set(person_id),
        token: Set(token.to_string()),
        uploaded_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// A passport whose signature, issuer, dates and holder checked out.
struct Passport {
    issuer_id: String,
    issuer_name: String,
    name: String,
    issued: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    levels: Vec<Claimed>,
    badges: u32,
}

/// One agreed level as the passport states it.
struct Claimed {
    skill_code: String,
    skill_name: String,
    level: u8,
    agreed_by: Option<String>,
    agreed_at: Option<DateTime<Utc>>,
}

fn decode(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part.as_bytes()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// The key that signed a passport of issuer `iss`: from this deployment's
/// own keys, or (for a trusted issuer elsewhere) fetched from `kid`, which
/// must lie under the issuer's address and hold the key its thumbprint
/// names.
async fn signing_key(
    db: &impl ConnectionTrait,
    trust: &Trust<'_>,
    token: &str,
    iss: &str,
    issuer_name: &str,
    kid: &str,
) -> Result<Jwk, String> {
    if let Some((issuer, keys)) =
        crate::recognition::service::claimed_issuer(db, trust.base_url, token)
            .await
            .map_err(|_| "The passport's issuer could not be looked up. Try again.".to_string())?
    {
        return keys
            .into_iter()
            .find(|k| issuer.key_url(&k.kid) == kid)
            .ok_or_else(|| "The passport was not signed with a key of its issuer.".to_string());
    }
    let trusted = trust.trusted.iter().any(|t| t.trim_end_matches('/') == iss);
    if !trusted {
        return Err(format!(
            "This passport was issued by {issuer_name} ({iss}), which this Skillmap has not been set up to trust. Ask your Skillmap administrator to add it to the trusted issuers, then upload it again."
        ));
    }
    let Some(thumb) = kid
        .strip_prefix(&format!("{iss}/keys/"))
        .filter(|t| !t.is_empty() && !t.contains(['/', '?', '#']))
    else {
        return Err("The passport's key is not at its issuer's address.".into());
    };
    let unreachable = || {
        format!(
            "{issuer_name}'s Skillmap could not be reached to check the passport's signature. Try again later."
        )
    };
    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|_| unreachable())?;
    let response = http.get(kid).send().await.map_err(|e| {
        tracing::warn!(%kid, error = %e, "passport issuer key unreachable");
        unreachable()
    })?;
    if !response.status().is_success() {
        tracing::warn!(%kid, status = %response.status(), "passport issuer key refused");
        return Err(
            "The passport's issuer does not have the key it was signed with: it may have been withdrawn.".into(),
        );
    }
    let body = response.bytes().await.map_err(|_| unreachable())?;
    if body.len() > 16 * 1024 {
        return Err(unreachable());
    }
    let key: Jwk = serde_json::from_slice(&body).map_err(|_| {
        "The passport's issuer answered with something that is not a key.".to_string()
    })?;
    if key.kty != "OKP" || key.crv != "Ed25519" || keys::thumbprint(&key.x) != thumb {
        return Err("The passport's issuer answered with a different key.".into());
    }
    Ok(key)
}

/// Checks a passport: signed by a trusted issuer's key, unaltered, in date
/// and for `email`. Says what is wrong in plain words.
async fn read(
    db: &impl ConnectionTrait,
    trust: &Trust<'_>,
    token: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Passport, String> {
    let not_one = || {
        "That file is not a skills passport: choose the .jwt file you downloaded from your Skillmap's Your data page.".to_string()
    };
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err(not_one());
    };
    let header = decode(h).ok_or_else(not_one)?;
    let payload = decode(p).ok_or_else(not_one)?;
    let types = payload["type"].as_array().cloned().unwrap_or_default();
    if !types.iter().any(|t| t == PASSPORT_TYPE) {
        return Err(not_one());
    }
    if header["alg"] != "EdDSA" {
        return Err("The passport is not signed in a way Skillmap checks.".into());
    }
    let iss = payload["iss"].as_str().unwrap_or_default().to_string();
    if iss.is_empty() || payload["issuer"]["id"] != iss.as_str() {
        return Err("The passport does not say consistently who issued it.".into());
    }
    let issuer_name = payload["issuer"]["name"]
        .as_str()
        .unwrap_or("its issuer")
        .to_string();
    let kid = header["kid"].as_str().unwrap_or_default();
    let key = signing_key(db, trust, token, &iss, &issuer_name, kid).await?;
    let signature = URL_SAFE_NO_PAD
        .decode(s.as_bytes())
        .map_err(|_| "The passport's signature cannot be read.".to_string())?;
    if !keys::verify(&key, format!("{h}.{p}").as_bytes(), &signature) {
        return Err(format!(
            "The signature does not match: the passport has been changed since {issuer_name} signed it."
        ));
    }
    let issued = instant(&payload["validFrom"]).ok_or_else(not_one)?;
    let valid_until = instant(&payload["validUntil"]).ok_or_else(not_one)?;
    if issued > now + Duration::minutes(5) {
        return Err(
            "The passport is dated in the future: check the clocks, then try again.".into(),
        );
    }
    if valid_until < now {
        return Err(format!(
            "This passport expired on {}: download a new one from {issuer_name}'s Skillmap.",
            day(valid_until)
        ));
    }
    let subject = &payload["credentialSubject"];
    let holder = subject["email"].as_str().unwrap_or_default();
    if holder.trim().to_lowercase() != email.trim().to_lowercase() {
        return Err(format!(
            "This passport is for {holder}, not for you ({email}): only its holder can import it."
        ));
    }
    let levels = subject["levels"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|l| {
            let level = l["level"]
                .as_u64()
                .filter(|n| (1..=u64::from(MAX_LEVEL)).contains(n))?;
            let code = l["skill"].as_str()?.to_string();
            Some(Claimed {
                skill_name: l["name"].as_str().unwrap_or(&code).to_string(),
                skill_code: code,
                level: level as u8,
                agreed_by: l["agreedBy"].as_str().map(str::to_string),
                agreed_at: instant(&l["agreedAt"]),
            })
        })
        .collect();
    Ok(Passport {
        issuer_id: iss,
        issuer_name,
        name: subject["name"].as_str().unwrap_or_default().to_string(),
        issued,
        valid_until,
        levels,
        badges: subject["badges"].as_array().map_or(0, |b| b.len() as u32),
    })
}

/// The person's own upload (another's, or one gone, is not found).
async fn own_upload(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    upload_id: i32,
) -> Result<(person::Model, passport_upload::Model), AppError> {
    let person_id = user.person_id.ok_or_else(no_person)?;
    let gone = || AppError::NotFound("That skills passport upload".into());
    let up = passport_upload::Entity::find_by_id(upload_id)
        .one(db)
        .await?
        .filter(|u| u.person_id == person_id)
        .ok_or_else(gone)?;
    let p = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(no_person)?;
    Ok((p, up))
}

/// What importing would write for one level: the level, its evidence, and
/// the revision of the person's assessment it replaces (0: none).
type Planned = (PassportLevel, String, i32);

/// The passport checked, and what importing it would do with each level.
async fn plan(
    db: &impl ConnectionTrait,
    trust: &Trust<'_>,
    p: &person::Model,
    up: &passport_upload::Model,
) -> Result<(PassportPreview, Vec<Planned>), AppError> {
    let email = email_of(db, p).await?;
    let mut preview = PassportPreview {
        upload_id: up.id,
        problem: None,
        issuer_name: String::new(),
        issuer_url: String::new(),
        name: String::new(),
        issued: String::new(),
        valid_until: String::new(),
        levels: Vec::new(),
        badges: 0,
    };
    let passport = match read(db, trust, &up.token, &email, Utc::now()).await {
        Ok(p) => p,
        Err(problem) => {
            preview.problem = Some(problem);
            return Ok((preview, Vec::new()));
        }
    };
    let fw = framework::current_for(db, p.organisation_id).await?;
    // Skill -> (the higher of their own and agreed level here, revision).
    let mine: std::collections::HashMap<String, (i16, i32)> = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(p.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            let level = a.agreed_level.unwrap_or(0).max(a.self_level);
            (a.skill_code, (level, a.revision))
        })
        .collect();
    let mut rows = Vec::new();
    for c in passport.levels {
        let here = mine.get(&c.skill_code).copied();
        let outcome = if fw.skill(&c.skill_code).is_none() {
            PassportOutcome::NotInFramework
        } else if here.is_some_and(|(have, _)| have >= i16::from(c.level)) {
            PassportOutcome::HaveAlready
        } else {
            PassportOutcome::Add
        };
        let agreed = match (&c.agreed_by, c.agreed_at) {
            (Some(who), Some(at)) => format!(" by {who} on {}", day(at)),
            (Some(who), None) => format!(" by {who}"),
            (None, Some(at)) => format!(" on {}", day(at)),
            (None, None) => String::new(),
        };
        let evidence = format!(
            "Agreed at {} {}{agreed} at {} (skills passport, signature checked on {}).",
            c.level,
            level_name(c.level),
            passport.issuer_name,
            day(Utc::now())
        );
        rows.push((
            PassportLevel {
                skill_name: fw
                    .skill(&c.skill_code)
                    .map(|s| s.name.clone())
                    .unwrap_or(c.skill_name),
                skill_code: c.skill_code,
                level: c.level,
                level_name: level_name(c.level).to_string(),
                agreed_by: c.agreed_by,
                agreed_at: c.agreed_at.map(day),
                outcome,
            },
            evidence,
            here.map_or(0, |(_, revision)| revision),
        ));
    }
    rows.sort_by(|a, b| a.0.skill_name.cmp(&b.0.skill_name));
    preview.issuer_name = passport.issuer_name;
    preview.issuer_url = passport.issuer_id;
    preview.name = passport.name;
    preview.issued = day(passport.issued);
    preview.valid_until = day(passport.valid_until);
    preview.badges = passport.badges;
    preview.levels = rows.iter().map(|(l, _, _)| l.clone()).collect();
    Ok((preview, rows))
}

/// What the person's uploaded passport would bring, checked afresh (or
/// why it cannot be used).
pub async fn preview(
    db: &impl ConnectionTrait,
    trust: &Trust<'_>,
    user: &CurrentUser,
    upload_id: i32,
) -> Result<PassportPreview, AppError> {
    let (p, up) = own_upload(db, user, upload_id).await?;
    Ok(plan(db, trust, &p, &up).await?.0)
}

/// Imports the person's uploaded passport, checked afresh: each level they
/// do not have yet here becomes their own, for their manager to agree,
/// with where and by whom it was agreed as its evidence. All or nothing;
/// the upload goes. Returns how many levels it added.
pub async fn import(
    db: &(impl ConnectionTrait + TransactionTrait),
    trust: &Trust<'_>,
    by: Actor,
    user: &CurrentUser,
    upload_id: i32,
) -> Result<usize, AppError> {
    let (p, up) = own_upload(db, user, upload_id).await?;
    let (preview, rows) = plan(db, trust, &p, &up).await?;
    if let Some(problem) = preview.problem {
        return Err(AppError::Conflict(problem));
    }
    let txn = crate::kernel::begin_write(db).await?;
    let mut added = 0;
    for (level, evidence, revision) in rows {
        if level.outcome != PassportOutcome::Add {
            continue;
        }
        let input = SelfAssessmentInput {
            revision,
            skill_code: level.skill_code,
            level: Some(level.level),
            confidence: None,
            evidence,
            evidence_url: String::new(),
        };
        crate::profile::service::save_self(&txn, p.id, user, &input).await?;
        added += 1;
    }
    passport_upload::Entity::delete_by_id(up.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        by,
        Action::PassportImported,
        Some(("person", p.id)),
        format!("{added} levels from {}", preview.issuer_url),
    )
    .await?;
    txn.commit().await?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::Role;
    use crate::kernel::testing::{agree, assess, test_db, tiny_org, user};
    use sea_orm::DatabaseConnection;

    const HERE: &str = "http://skillmap.test";

    async fn set_email(db: &DatabaseConnection, id: i32, email: &str) {
        person::ActiveModel {
            id: Set(id),
            email: Set(Some(email.into())),
            ..Default::default()
        }
        .update(db)
        .await
        .unwrap();
    }

    fn trust() -> Trust<'static> {
        Trust {
            base_url: HERE,
            trusted: &[],
        }
    }

    async fn previewed(db: &DatabaseConnection, who: i32, token: &str) -> PassportPreview {
        let me = user(who, Role::Staff);
        let id = upload(db, &me, token).await.unwrap();
        preview(db, &trust(), &me, id).await.unwrap()
    }

    /// b's agreed levels leave in a passport signed by their organisation
    /// (with consent only), and come back as b's own claims, for their
    /// manager to agree, with who agreed them as evidence.
    #[tokio::test]
    async fn a_passport_carries_agreed_levels_back_as_claims_to_agree() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        set_email(&t.db, o.b, "b@example.org").await;
        assess(&t.db, o.b, "DAT-VIS", 3).await;
        agree(&t.db, o.a, o.b, "DAT-VIS").await;
        assess(&t.db, o.b, "DIG-FOUND", 2).await;
        agree(&t.db, o.a, o.b, "DIG-FOUND").await;
        // Not agreed: not in the passport.
        assess(&t.db, o.b, "DAT-LIT", 4).await;
        let me = user(o.b, Role::Staff);
        let refused = export(&t.db, HERE, &me, Actor::system(), false).await;
        assert!(
            matches!(&refused, Err(AppError::Validation(e)) if e[0].field == "consent"),
            "{refused:?}"
        );
        let token = export(&t.db, HERE, &me, Actor::system(), true)
            .await
            .unwrap();
        let payload = decode(token.split('.').nth(1).unwrap()).unwrap();
        let org = organisation::Entity::find_by_id(crate::kernel::testing::ORG)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(payload["iss"], format!("{HERE}/issuer/{}", org.code));
        let levels = payload["credentialSubject"]["levels"].as_array().unwrap();
        assert_eq!(levels.len(), 2, "{levels:?}");
        assert_eq!(levels[0]["agreedBy"], "a Test");
        // The Practitioner level earned a badge, which travels signed.
        let badges = payload["credentialSubject"]["badges"].as_array().unwrap();
        assert_eq!(badges.len(), 1);

        // Here it is all known already.
        let same = previewed(&t.db, o.b, &token).await;
        assert_eq!(same.problem, None);
        assert_eq!(same.to_add(), 0);
        assert!(
            same.levels
                .iter()
                .all(|l| l.outcome == PassportOutcome::HaveAlready)
        );
        // As if arriving somewhere new: nothing assessed yet.
        assessment::Entity::delete_many()
            .filter(assessment::Column::PersonId.eq(o.b))
            .exec(&t.db)
            .await
            .unwrap();
        let fresh = previewed(&t.db, o.b, &token).await;
        assert_eq!((fresh.to_add(), fresh.badges), (2, 1));
        assert_eq!(fresh.issuer_name, org.name);
        let added = import(&t.db, &trust(), Actor::system(), &me, fresh.upload_id)
            .await
            .unwrap();
        assert_eq!(added, 2);
        let vis = assessment::Entity::find()
            .filter(assessment::Column::PersonId.eq(o.b))
            .filter(assessment::Column::SkillCode.eq("DAT-VIS"))
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((vis.self_level, vis.agreed_level), (3, None));
        assert_eq!(vis.status, "pending");
        assert!(
            vis.evidence
                .starts_with("Agreed at 3 Practitioner by a Test on "),
            "{}",
            vis.evidence
        );
        // The upload is gone once imported.
        assert!(matches!(
            preview(&t.db, &trust(), &me, fresh.upload_id).await,
            Err(AppError::NotFound(_))
        ));
    }

    /// Changed, not trusted, not theirs, out of date, or another's upload:
    /// each says why, and adds nothing.
    #[tokio::test]
    async fn a_passport_that_does_not_check_out_says_why() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        set_email(&t.db, o.b, "b@example.org").await;
        set_email(&t.db, o.a, "a@example.org").await;
        assess(&t.db, o.b, "DAT-VIS", 3).await;
        agree(&t.db, o.a, o.b, "DAT-VIS").await;
        let b = user(o.b, Role::Staff);
        let token = export(&t.db, HERE, &b, Actor::system(), true)
            .await
            .unwrap();
        let problem = |p: PassportPreview| p.problem.unwrap_or_default();

        // A level raised by hand: the signature no longer matches.
        let [h, p, s]: [&str; 3] = token.split('.').collect::<Vec<_>>().try_into().unwrap();
        let mut payload = decode(p).unwrap();
        payload["credentialSubject"]["levels"][0]["level"] = json!(4);
        let forged = format!("{h}.{}.{s}", URL_SAFE_NO_PAD.encode(payload.to_string()));
        let p = problem(previewed(&t.db, o.b, &forged).await);
        assert!(p.contains("has been changed"), "{p}");

        // Someone else's passport.
        let p = problem(previewed(&t.db, o.a, &token).await);
        assert!(p.contains("is for b@example.org"), "{p}");

        // Signed by an issuer this Skillmap does not know (the same
        // organisation's key, at another deployment's address).
        let elsewhere = export(&t.db, "https://elsewhere.test", &b, Actor::system(), true)
            .await
            .unwrap();
        let p = problem(previewed(&t.db, o.b, &elsewhere).await);
        assert!(p.contains("not been set up to trust"), "{p}");
        // Trusting it means fetching its key from its address; a key
        // named outside that address is refused before anything is
        // fetched.
        let [h, p, s]: [&str; 3] = elsewhere.split('.').collect::<Vec<_>>().try_into().unwrap();
        let mut header = decode(h).unwrap();
        header["kid"] = json!("http://127.0.0.1:1/anything");
        let moved_key = format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode(header.to_string()));
        let trusted = [decode(p).unwrap()["iss"].as_str().unwrap().to_string()];
        let wide = Trust {
            base_url: HERE,
            trusted: &trusted,
        };
        let e = read(&t.db, &wide, &moved_key, "b@example.org", Utc::now())
            .await
            .err()
            .unwrap();
        assert!(e.contains("not at its issuer's address"), "{e}");

        // Out of date.
        let later = Utc::now() + Duration::days(VALID_DAYS + 1);
        let e = read(&t.db, &trust(), &token, "b@example.org", later)
            .await
            .err()
            .unwrap();
        assert!(e.contains("expired on"), "{e}");

        // Not a passport at all: a badge credential.
        let badge = export(&t.db, HERE, &b, Actor::system(), true)
            .await
            .unwrap();
        let badge_jwt =
            decode(badge.split('.').nth(1).unwrap()).unwrap()["credentialSubject"]["badges"][0]
                .as_str()
                .unwrap()
                .to_string();
        let p = problem(previewed(&t.db, o.b, &badge_jwt).await);
        assert!(p.contains("not a skills passport"), "{p}");

        // Another person's upload is not found; a file that is no token
        // is refused at the upload, naming the field.
        let theirs = upload(&t.db, &b, &token).await.unwrap();
        let a = user(o.a, Role::Staff);
        assert!(matches!(
            preview(&t.db, &trust(), &a, theirs).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            import(&t.db, &trust(), Actor::system(), &a, theirs).await,
            Err(AppError::NotFound(_))
        ));
        let bad = upload(&t.db, &a, "not a token").await;
        assert!(
            matches!(&bad, Err(AppError::Validation(e)) if e[0].field == "file"),
            "{bad:?}"
        );
        // Nothing was added to a.
        assert!(
            assessment::Entity::find()
                .filter(assessment::Column::PersonId.eq(o.a))
                .all(&t.db)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
