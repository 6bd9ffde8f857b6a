//! Badges: awarded when a manager agrees a level of Practitioner or above,
//! and when a person completes their learning pathway; shown to the person
//! (who may hide any from others), downloadable as a signed Open Badges 3.0
//! credential, revocable by HR, and verifiable by anyone. Endorsements and
//! awards are in `gifts`, the team and HR views in `reports`.

pub mod gifts;
pub mod reports;

pub use gifts::{
    award_kinds, colleagues, give, give_form, received_by, save_award_kind, set_item_hidden,
};
pub use reports::{report, team_recent};

use std::collections::HashMap;

use chrono::Utc;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::credential::{self, BadgeFacts, Issuer};
use super::keys;
use super::model::{
    BADGE_LEVEL, BadgeView, Badges, Outcome, SOURCE_AGREED, SOURCE_PATHWAY, Verification,
    agreed_narrative,
};
use crate::audit::model::Action;
use crate::auth::model::{CurrentUser, Role};
use crate::entities::{account, assessment, badge, organisation, person};
use crate::error::AppError;
use crate::framework::read as framework;
use crate::kernel::audit;
use crate::kernel::audit::Actor;
use crate::kernel::tenant::{Owned, ensure_in};
use crate::people::model::full_name;
use crate::privacy::model::FORMER_COLLEAGUE;

/// The deployment's first issuer at `base_url` (`/issuer`): the one
/// whose keys signed every credential made before each organisation had
/// an issuer of its own, named after the first organisation. Its keys are
/// those with no organisation; it signs nothing new.
pub async fn issuer(db: &impl ConnectionTrait, base_url: String) -> Result<Issuer, AppError> {
    let name = organisation::Entity::find()
        .order_by_asc(organisation::Column::Id)
        .one(db)
        .await?
        .map(|o| o.name)
        .unwrap_or_else(|| "Skillmap".into());
    Ok(Issuer::deployment(base_url, name))
}

/// Organisation `org`'s issuer at `base_url` (`/issuer/{code}`), named
/// as the operator named the organisation (the command line, the
/// migration), never after a unit name HR's import could make look like
/// another organisation's.
pub async fn issuer_of(
    db: &impl ConnectionTrait,
    base_url: String,
    org: i32,
) -> Result<Issuer, AppError> {
    let o = organisation::Entity::find_by_id(org)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That issuer".into()))?;
    Ok(Issuer::organisation(base_url, &o.code, o.name))
}

/// The issuer a credential says issued it and the keys to check it with:
/// the deployment's first issuer, or an organisation's by the code in its
/// address. None when the credential names no issuer of this deployment.
pub async fn claimed_issuer(
    db: &impl ConnectionTrait,
    base_url: &str,
    jwt: &str,
) -> Result<Option<(Issuer, Vec<keys::Jwk>)>, AppError> {
    let Some(iss) = credential::claimed_issuer(jwt) else {
        return Ok(None);
    };
    let deployment = Issuer::deployment(base_url.to_string(), String::new());
    if iss == deployment.id() {
        let issuer = issuer(db, base_url.to_string()).await?;
        return Ok(Some((issuer, keys::public_keys(db, None).await?)));
    }
    let Some(code) = iss
        .strip_prefix(&format!("{}/", deployment.id()))
        .and_then(credential::decode_code)
    else {
        return Ok(None);
    };
    organisation_issuer(db, base_url, &code).await
}

/// The issuer of the organisation with this code, with its public keys
/// (`/issuer/{code}`); none when no organisation has the code.
pub async fn organisation_issuer(
    db: &impl ConnectionTrait,
    base_url: &str,
    code: &str,
) -> Result<Option<(Issuer, Vec<keys::Jwk>)>, AppError> {
    let Some(o) = crate::kernel::tenant::by_code(db, code).await? else {
        return Ok(None);
    };
    let issuer = Issuer::organisation(base_url.to_string(), &o.code, o.name);
    Ok(Some((issuer, keys::public_keys(db, Some(o.id)).await?)))
}

/// The organisation a new badge of `person_id` is issued by: theirs.
async fn issuing_organisation(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Option<i32>, AppError> {
    Ok(
        crate::kernel::tenant::organisation_of(db, Owned::Person, person_id)
            .await?
            .flatten(),
    )
}

pub(crate) fn new_uuid() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    // Version 4, variant 1.
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The salt of a badge's hashed identity: fixed per badge, so every
/// download is the same credential.
fn salt(uuid: &str) -> String {
    hex::encode(Sha256::digest(
        format!("skillmap-identity:{uuid}").as_bytes(),
    ))[..16]
        .to_string()
}

/// Called in the transaction that agrees a level: a level of Practitioner or
/// above earns a badge for that skill and level (once). The badge keeps who
/// agreed it by id (the assessment's reviewer) and the holder's own
/// evidence; the sentence naming the reviewer is built when read, so the
/// name given here is not stored (`_reviewer_name` stays for the caller's
/// sake and can go).
pub async fn award_for_agreement(
    db: &impl ConnectionTrait,
    person_id: i32,
    skill_code: &str,
    level: u8,
    _reviewer_name: &str,
    evidence: &str,
) -> Result<(), AppError> {
    if level < BADGE_LEVEL {
        return Ok(());
    }
    let exists = badge::Entity::find()
        .filter(badge::Column::PersonId.eq(person_id))
        .filter(badge::Column::SkillCode.eq(skill_code))
        .filter(badge::Column::Level.eq(i16::from(level)))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(());
    }
    let fw = framework::current_for_person(db, person_id).await?;
    let skill_name = fw
        .skill(skill_code)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| skill_code.to_string());
    let reviewer = assessment::Entity::find()
        .filter(assessment::Column::PersonId.eq(person_id))
        .filter(assessment::Column::SkillCode.eq(skill_code))
        .one(db)
        .await?
        .and_then(|a| a.reviewed_by);
    let now = Utc::now();
    badge::ActiveModel {
        uuid: Set(new_uuid()),
        organisation_id: Set(issuing_organisation(db, person_id).await?),
        person_id: Set(person_id),
        skill_code: Set(skill_code.to_string()),
        skill_name: Set(skill_name),
        level: Set(i16::from(level)),
        source: Set(SOURCE_AGREED.into()),
        evidence: Set(evidence.trim().to_string()),
        awarded_by_id: Set(reviewer),
        issued_at: Set(now),
        hidden: Set(false),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tell_of_badge(
        db,
        person_id,
        format!(
            "{} at {}",
            fw.skill(skill_code)
                .map(|s| s.name.as_str())
                .unwrap_or(skill_code),
            crate::framework::model::level_name(level)
        ),
    )
    .await
}

/// The holder hears of a new badge, in the transaction that issued it.
async fn tell_of_badge(
    db: &impl ConnectionTrait,
    person_id: i32,
    what: String,
) -> Result<(), AppError> {
    use crate::notifications::{model::Kind, service as notices};
    notices::notify_person(
        db,
        person_id,
        notices::NewNotice::new(
            Kind::BadgeIssued,
            format!("You have a new badge: {what}"),
            "It is on your recognition page, where you can download it as an Open Badges credential to share.",
            "/recognition",
        ),
    )
    .await?;
    Ok(())
}

/// The name of a badge for a completed learning pathway.
pub const PATHWAY_BADGE: &str = "Learning pathway completed";

/// Called in the transaction that marks a pathway step done, with every
/// step of the pathway (id and title) once all are done: a badge for the
/// completed pathway, once for that set of steps. Its key, in `skill_code`,
/// is `pathway:` and the step ids, so marking a step undone and done again
/// gives nothing new, while a pathway accepted afresh and completed earns
/// another.
pub async fn award_for_pathway(
    db: &impl ConnectionTrait,
    person_id: i32,
    steps: &[(i32, String)],
) -> Result<bool, AppError> {
    if steps.is_empty() {
        return Ok(false);
    }
    let mut ids: Vec<i32> = steps.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    let key = format!(
        "pathway:{}",
        ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
    );
    let exists = badge::Entity::find()
        .filter(badge::Column::PersonId.eq(person_id))
        .filter(badge::Column::SkillCode.eq(key.clone()))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let now = Utc::now();
    let titles: Vec<&str> = steps.iter().map(|(_, t)| t.as_str()).collect();
    badge::ActiveModel {
        uuid: Set(new_uuid()),
        organisation_id: Set(issuing_organisation(db, person_id).await?),
        person_id: Set(person_id),
        skill_code: Set(key),
        skill_name: Set(PATHWAY_BADGE.into()),
        level: Set(0),
        source: Set(SOURCE_PATHWAY.into()),
        evidence: Set(format!(
            "Completed all {} steps of their learning pathway on {}: {}.",
            steps.len(),
            now.format("%-d %B %Y"),
            titles.join("; ")
        )),
        awarded_by_id: Set(None),
        issued_at: Set(now),
        hidden: Set(false),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tell_of_badge(db, person_id, PATHWAY_BADGE.to_lowercase()).await?;
    Ok(true)
}

/// Badges for every agreed level of Practitioner or above that has none
/// (demo data, and levels agreed before badges existed), dated when the
/// level was agreed.
pub async fn backfill_badges(db: &impl ConnectionTrait) -> Result<usize, AppError> {
    let fw = framework::current(db).await?;
    let have: std::collections::HashSet<(i32, String, i16)> = badge::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.person_id, b.skill_code, b.level))
        .collect();
    let agreed = assessment::Entity::find()
        .filter(assessment::Column::AgreedLevel.gte(i16::from(BADGE_LEVEL)))
        .filter(assessment::Column::Status.eq("agreed"))
        .all(db)
        .await?;
    let rows: Vec<badge::ActiveModel> = agreed
        .into_iter()
        .filter_map(|a| {
            let level = a.agreed_level?;
            if have.contains(&(a.person_id, a.skill_code.clone(), level)) {
                return None;
            }
            let at = a.reviewed_at.unwrap_or(a.updated_at);
            Some(badge::ActiveModel {
                uuid: Set(new_uuid()),
                person_id: Set(a.person_id),
                skill_name: Set(fw
                    .skill(&a.skill_code)
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| a.skill_code.clone())),
                skill_code: Set(a.skill_code),
                level: Set(level),
                source: Set(SOURCE_AGREED.into()),
                evidence: Set(a.evidence.trim().to_string()),
                awarded_by_id: Set(a.reviewed_by),
                issued_at: Set(at),
                hidden: Set(false),
                revoked_at: Set(None),
                revoked_reason: Set(None),
                ..Default::default()
            })
        })
        .collect();
    let n = rows.len();
    for chunk in rows.chunks(500) {
        badge::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    // Issued by each holder's organisation: one statement for them all.
    db.execute_unprepared(
        "UPDATE badge SET organisation_id = \
         (SELECT p.organisation_id FROM person p WHERE p.id = badge.person_id) \
         WHERE organisation_id IS NULL",
    )
    .await?;
    Ok(n)
}

/// The names of the people who agreed these badges' levels, by staff id.
async fn agreers(
    db: &impl ConnectionTrait,
    badges: &[badge::Model],
) -> Result<HashMap<i32, String>, AppError> {
    let ids: Vec<i32> = badges.iter().filter_map(|b| b.awarded_by_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, full_name(&p.given_name, &p.family_name)))
        .collect())
}

/// Who agreed a badge's level, as it reads now: their name (from
/// `agreers`), or a former colleague once they are erased. None for a
/// badge that no one agreed (a completed pathway).
fn agreed_by(b: &badge::Model, agreers: &HashMap<i32, String>) -> Option<String> {
    (b.source == SOURCE_AGREED).then(|| {
        b.awarded_by_id
            .and_then(|id| agreers.get(&id).cloned())
            .unwrap_or_else(|| FORMER_COLLEAGUE.to_string())
    })
}

/// What a badge gives as evidence: for an agreed level, who agreed it and
/// when, then the holder's words; for a pathway, its steps.
fn evidence(b: &badge::Model, agreers: &HashMap<i32, String>) -> String {
    match agreed_by(b, agreers) {
        Some(who) => agreed_narrative(
            &who,
            b.level.clamp(0, 4) as u8,
            &b.issued_at.format("%-d %B %Y").to_string(),
            &b.evidence,
        ),
        None => b.evidence.clone(),
    }
}

/// Every organisation's name, by id: who issued each badge (a handful of
/// rows).
async fn issuer_names(db: &impl ConnectionTrait) -> Result<HashMap<i32, String>, AppError> {
    Ok(organisation::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

fn view(
    b: badge::Model,
    agreers: &HashMap<i32, String>,
    issuers: &HashMap<i32, String>,
) -> BadgeView {
    let awarded_by = agreed_by(&b, agreers);
    let issued_by = b
        .organisation_id
        .and_then(|o| issuers.get(&o).cloned())
        .unwrap_or_default();
    BadgeView {
        issued_by,
        id: b.id,
        source: b.source,
        skill_code: b.skill_code,
        skill_name: b.skill_name,
        level: b.level.clamp(0, 4) as u8,
        issued: b.issued_at.format("%-d %B %Y").to_string(),
        awarded_by,
        hidden: b.hidden,
        revoked: b.revoked_at.map(|at| {
            format!(
                "Revoked on {}{}",
                at.format("%-d %B %Y"),
                b.revoked_reason
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )
        }),
    }
}

/// A person's badges as `viewer` may see them: the person and HR see all;
/// anyone else (their managers) not the hidden ones.
pub async fn badges(
    db: &impl ConnectionTrait,
    person_id: i32,
    viewer: &CurrentUser,
) -> Result<Badges, AppError> {
    let p = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let own = viewer.person_id == Some(person_id);
    let hr = viewer.is_one_of(&[Role::Hr, Role::Admin]);
    let rows = badge::Entity::find()
        .filter(badge::Column::PersonId.eq(person_id))
        .order_by_desc(badge::Column::IssuedAt)
        .order_by_desc(badge::Column::Id)
        .all(db)
        .await?;
    let agreers = agreers(db, &rows).await?;
    let issuers = issuer_names(db).await?;
    Ok(Badges {
        person_id,
        person_name: full_name(&p.given_name, &p.family_name),
        badges: rows
            .into_iter()
            .filter(|b| own || hr || !b.hidden)
            .map(|b| view(b, &agreers, &issuers))
            .collect(),
        received: received_by(db, person_id, own || hr).await?,
        own,
        can_revoke: hr,
    })
}

async fn own_badge(
    db: &impl ConnectionTrait,
    person_id: i32,
    badge_id: i32,
) -> Result<badge::Model, AppError> {
    badge::Entity::find_by_id(badge_id)
        .one(db)
        .await?
        .filter(|b| b.person_id == person_id)
        .ok_or_else(|| AppError::NotFound("That badge".into()))
}

/// The person hides a badge from others, or shows it again.
pub async fn set_hidden(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    person_id: i32,
    badge_id: i32,
    hidden: bool,
) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    let b = own_badge(&txn, person_id, badge_id).await?;
    badge::ActiveModel {
        id: Set(b.id),
        hidden: Set(hidden),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let detail = format!(
        "badge {badge_id} {}",
        if hidden { "hidden" } else { "shown" }
    );
    let target = Some(("person", person_id));
    audit::record(&txn, by, Action::RecognitionHidden, target, detail).await?;
    txn.commit().await?;
    Ok(())
}

/// HR revokes a badge of someone in their organisation `org` (another
/// organisation's is not found); verification then says so.
pub async fn revoke(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: Actor,
    org: i32,
    badge_id: i32,
    reason: &str,
) -> Result<(), AppError> {
    ensure_in(db, org, Owned::Badge, badge_id).await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::validation(
            "reason",
            "Give the reason for revoking, in 500 characters or fewer",
        ));
    }
    let txn = crate::kernel::begin_write(db).await?;
    let b = badge::Entity::find_by_id(badge_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("That badge".into()))?;
    if b.revoked_at.is_some() {
        return Err(AppError::Conflict("That badge is already revoked.".into()));
    }
    badge::ActiveModel {
        id: Set(b.id),
        revoked_at: Set(Some(Utc::now())),
        revoked_reason: Set(Some(reason.to_string())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    // The reason is typed text, so it stays on the badge, not in the trail.
    let detail = format!("badge {badge_id}");
    let target = Some(("person", b.person_id));
    audit::record(&txn, by, Action::BadgeRevoked, target, detail).await?;
    txn.commit().await?;
    Ok(())
}

/// The email address a person's credentials name: their staff record's,
/// else their account's; none when they have neither.
pub(crate) async fn holder_email(
    db: &impl ConnectionTrait,
    p: &person::Model,
) -> Result<Option<String>, AppError> {
    if let Some(e) = p.email.as_ref().filter(|e| !e.trim().is_empty()) {
        return Ok(Some(e.clone()));
    }
    Ok(account::Entity::find()
        .filter(account::Column::PersonId.eq(p.id))
        .one(db)
        .await?
        .map(|a| a.email))
}

/// The person's badge as a signed Open Badges 3.0 credential (VC-JWT),
/// issued by the organisation that issued the badge (their own, or the
/// one they were in when it was awarded) at its address under `base_url`,
/// signed with that organisation's key.
pub async fn signed_credential(
    db: &impl ConnectionTrait,
    base_url: String,
    person_id: i32,
    badge_id: i32,
) -> Result<String, AppError> {
    let b = own_badge(db, person_id, badge_id).await?;
    if b.revoked_at.is_some() {
        return Err(AppError::Conflict(
            "This badge has been revoked, so it cannot be downloaded.".into(),
        ));
    }
    let p = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let org = b.organisation_id.unwrap_or(p.organisation_id);
    let issuer = &issuer_of(db, base_url, org).await?;
    let email = holder_email(db, &p).await?.ok_or_else(|| {
        AppError::Conflict(
            "A badge names its holder by email address, and this staff record has none. Ask HR to add one.".into(),
        )
    })?;
    let fw = framework::current_for(db, p.organisation_id).await?;
    let description = fw
        .skill(&b.skill_code)
        .map(|s| s.description.clone())
        .unwrap_or_default();
    // Named as they are now: an erased colleague is not named at all.
    let narrative = evidence(&b, &agreers(db, std::slice::from_ref(&b)).await?);
    let facts = BadgeFacts {
        salt: salt(&b.uuid),
        source: b.source,
        uuid: b.uuid,
        skill_code: b.skill_code,
        skill_name: b.skill_name,
        skill_description: description,
        framework_name: fw.name,
        level: b.level.clamp(0, 4) as u8,
        issued_at: b.issued_at,
        evidence: narrative,
        email,
    };
    let signer = keys::signer(db, org).await?;
    Ok(credential::sign(
        issuer,
        &signer,
        &credential::credential(issuer, &facts),
    ))
}

/// Verifies a pasted credential: signature, claims, and whether HR has
/// revoked it; with an email, whether it names that person. A credential
/// is checked against the keys of the issuer it names, when that is an
/// issuer of this deployment (an organisation's, or the deployment's
/// first): a badge keeps verifying against the organisation that issued
/// it after its holder moves to another.
pub async fn verify(
    db: &impl ConnectionTrait,
    base_url: &str,
    jwt: &str,
    email: Option<&str>,
) -> Result<Verification, AppError> {
    let invalid = |message: String| Verification {
        outcome: Outcome::Invalid,
        message,
        issuer: None,
        achievement: None,
        issued: None,
        identity: None,
        email_matches: None,
    };
    let Some((issuer, keys)) = claimed_issuer(db, base_url, jwt).await? else {
        return Ok(invalid(
            "This credential was not issued by an organisation of this Skillmap, or is not a whole signed credential: paste the whole text of the .jwt file.".into(),
        ));
    };
    let checked = match credential::check(jwt, &issuer, &keys, Utc::now()) {
        Ok(c) => c,
        Err(message) => return Ok(invalid(message)),
    };
    let c = &checked.credential;
    // The organisation the signed credential names.
    let issued_by = c["issuer"]["name"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| issuer.name.clone());
    let identifier = &c["credentialSubject"]["identifier"][0];
    let identity = identifier["identityHash"].as_str().map(str::to_string);
    let email_matches = email.filter(|e| !e.trim().is_empty()).map(|e| {
        let salt = identifier["salt"].as_str().unwrap_or_default();
        identity.as_deref() == Some(credential::identity_hash(e, salt).as_str())
    });
    let uuid = c["id"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("urn:uuid:");
    let row = badge::Entity::find()
        .filter(badge::Column::Uuid.eq(uuid))
        .one(db)
        .await?;
    let (outcome, message) = match row {
        None => (
            Outcome::Invalid,
            "The signature is genuine, but this organisation has no record of the badge."
                .to_string(),
        ),
        Some(b) => match b.revoked_at {
            Some(at) => (
                Outcome::Revoked,
                format!(
                    "This badge was issued by {}, but was revoked on {}{}.",
                    issued_by,
                    at.format("%-d %B %Y"),
                    b.revoked_reason
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            ),
            None => (
                Outcome::Valid,
                format!(
                    "This badge is genuine: {} issued it and it has not been changed or revoked.",
                    issued_by
                ),
            ),
        },
    };
    Ok(Verification {
        outcome,
        message,
        issuer: c["issuer"]["name"].as_str().map(str::to_string),
        achievement: c["name"].as_str().map(str::to_string),
        issued: c["validFrom"]
            .as_str()
            .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.format("%-d %B %Y").to_string()),
        identity,
        email_matches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::{ORG, agree, assess, user};
    use crate::kernel::testing::{test_db, tiny_org};

    #[tokio::test]
    async fn an_agreed_practitioner_level_earns_a_badge_that_verifies_until_revoked() {
        let t = test_db().await;
        crate::framework::service::ensure_default(&t.db)
            .await
            .unwrap();
        let o = tiny_org(&t.db).await;
        // Working earns nothing; Practitioner earns one badge, once.
        assess(&t.db, o.b, "DAT-ANA", 2).await;
        agree(&t.db, o.a, o.b, "DAT-ANA").await;
        assess(&t.db, o.b, "DAT-VIS", 3).await;
        agree(&t.db, o.a, o.b, "DAT-VIS").await;
        let mine = badges(&t.db, o.b, &user(o.b, Role::Staff)).await.unwrap();
        assert_eq!(mine.badges.len(), 1);
        let b = &mine.badges[0];
        assert_eq!((b.skill_code.as_str(), b.level), ("DAT-VIS", 3));
        assert_eq!(b.title(), "Visualisation and storytelling: Practitioner");
        // Who agreed it is kept by id and named when read.
        assert_eq!(b.awarded_by.as_deref(), Some("a Test"));
        let stored = badge::Entity::find_by_id(b.id)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.awarded_by_id, Some(o.a));
        assert!(!stored.evidence.contains("a Test"), "{}", stored.evidence);

        // Hidden from the manager, not from the person.
        set_hidden(
            &t.db,
            crate::kernel::audit::Actor::system(),
            o.b,
            b.id,
            true,
        )
        .await
        .unwrap();
        assert!(
            badges(&t.db, o.b, &user(o.a, Role::Manager))
                .await
                .unwrap()
                .badges
                .is_empty()
        );
        assert_eq!(
            badges(&t.db, o.b, &user(o.b, Role::Staff))
                .await
                .unwrap()
                .badges
                .len(),
            1
        );
        assert!(matches!(
            set_hidden(
                &t.db,
                crate::kernel::audit::Actor::system(),
                o.c,
                b.id,
                false
            )
            .await,
            Err(AppError::NotFound(_))
        ));

        person::ActiveModel {
            id: Set(o.b),
            email: Set(Some("b@example.org".into())),
            ..Default::default()
        }
        .update(&t.db)
        .await
        .unwrap();
        let issuer = "https://skillmap.example";
        let jwt = signed_credential(&t.db, issuer.into(), o.b, b.id)
            .await
            .unwrap();
        assert_eq!(
            jwt,
            signed_credential(&t.db, issuer.into(), o.b, b.id)
                .await
                .unwrap(),
            "stable"
        );
        assert!(
            signed_credential(&t.db, issuer.into(), o.c, b.id)
                .await
                .is_err()
        );
        let ok = verify(&t.db, issuer, &jwt, Some(" B@example.org"))
            .await
            .unwrap();
        assert_eq!(ok.outcome, Outcome::Valid, "{}", ok.message);
        assert_eq!(ok.email_matches, Some(true));
        // Issued in the name of the holder's organisation (as the operator
        // named it; a fresh database's is "Organisation").
        assert_eq!(ok.issuer.as_deref(), Some("Organisation"));
        assert!(
            ok.message.contains("Organisation issued it"),
            "{}",
            ok.message
        );
        let other = verify(&t.db, issuer, &jwt, Some("c@example.org"))
            .await
            .unwrap();
        assert_eq!(other.email_matches, Some(false));

        // A changed payload fails the signature.
        let parts: Vec<&str> = jwt.split('.').collect();
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = String::from_utf8(engine.decode(parts[1]).unwrap()).unwrap();
        assert!(
            payload.contains("a Test agreed the level Practitioner on "),
            "{payload}"
        );
        let forged = payload.replace("Practitioner", "Expert");
        let tampered = format!("{}.{}.{}", parts[0], engine.encode(forged), parts[2]);
        let bad = verify(&t.db, issuer, &tampered, None).await.unwrap();
        assert_eq!(bad.outcome, Outcome::Invalid);
        assert!(bad.message.contains("changed"), "{}", bad.message);
        let junk = verify(&t.db, issuer, "not a credential", None)
            .await
            .unwrap();
        assert_eq!(junk.outcome, Outcome::Invalid);

        // Revoked: verification says so; it can no longer be downloaded.
        assert!(
            revoke(&t.db, crate::kernel::audit::Actor::system(), ORG, b.id, " ")
                .await
                .is_err()
        );
        // Not another organisation's to revoke.
        assert!(matches!(
            revoke(
                &t.db,
                crate::kernel::audit::Actor::system(),
                ORG + 1,
                b.id,
                "Agreed in error",
            )
            .await,
            Err(AppError::NotFound(_))
        ));
        revoke(
            &t.db,
            crate::kernel::audit::Actor::system(),
            ORG,
            b.id,
            "Agreed in error",
        )
        .await
        .unwrap();
        let revoked = verify(&t.db, issuer, &jwt, None).await.unwrap();
        assert_eq!(revoked.outcome, Outcome::Revoked);
        assert!(revoked.message.contains("Agreed in error"));
        assert!(
            signed_credential(&t.db, issuer.into(), o.b, b.id)
                .await
                .is_err()
        );
    }
}
