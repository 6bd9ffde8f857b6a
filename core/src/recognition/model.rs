//! Recognition: peer endorsements, managers' awards, badges for recognised
//! skill levels and completed pathways, and what verifying an Open Badges
//! 3.0 credential found.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::framework::model::level_name;
use crate::team::model::Choice;

/// The lowest agreed level that earns a badge.
pub const BADGE_LEVEL: u8 = 3;

/// How a badge was earned: a level agreed by the line manager.
pub const SOURCE_AGREED: &str = "agreed-level";
/// How a badge was earned: every step of a learning pathway done.
pub const SOURCE_PATHWAY: &str = "pathway";

/// The longest endorsement message or award citation, in characters.
pub const MESSAGE_MAX: usize = 500;
/// The longest award kind name and description.
pub const AWARD_NAME_MAX: usize = 80;
pub const AWARD_DESCRIPTION_MAX: usize = 500;
/// How far back the team page looks, and the HR report's months.
pub const TEAM_DAYS: i64 = 90;
pub const REPORT_MONTHS: usize = 6;

/// What a person gives a colleague.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gift {
    /// A peer endorsement of one of their skills.
    Endorsement,
    /// An award of a kind administrators defined, with a citation.
    Award,
}

impl Gift {
    pub fn as_str(self) -> &'static str {
        match self {
            Gift::Endorsement => "endorsement",
            Gift::Award => "award",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "endorsement" => Some(Gift::Endorsement),
            "award" => Some(Gift::Award),
            _ => None,
        }
    }
}

/// Checks what a person typed before anything is stored: the kind, its
/// skill or award, and the message. Names each field at fault.
pub fn check_gift(
    kind: &str,
    skill_code: Option<&str>,
    award_kind_id: Option<i32>,
    message: &str,
) -> Result<Gift, Vec<FieldError>> {
    let mut errors = Vec::new();
    let gift = Gift::parse(kind);
    match gift {
        None => errors.push(FieldError::new(
            "kind",
            "Choose whether to endorse a skill or give an award",
        )),
        Some(Gift::Endorsement) if skill_code.is_none_or(|s| s.trim().is_empty()) => {
            errors.push(FieldError::new("skill_code", "Choose the skill to endorse"))
        }
        Some(Gift::Award) if award_kind_id.is_none() => {
            errors.push(FieldError::new("award_kind_id", "Choose the award"))
        }
        _ => {}
    }
    let field = if gift == Some(Gift::Award) {
        "citation"
    } else {
        "message"
    };
    let what = if gift == Some(Gift::Award) {
        "the citation: what they did to earn it"
    } else {
        "a short message: what they did well"
    };
    let len = message.trim().chars().count();
    if len == 0 {
        errors.push(FieldError::new(field, format!("Write {what}")));
    } else if len > MESSAGE_MAX {
        errors.push(FieldError::new(
            field,
            format!("Keep it to {MESSAGE_MAX} characters or fewer (it has {len})"),
        ));
    }
    match (gift, errors.is_empty()) {
        (Some(g), true) => Ok(g),
        _ => Err(errors),
    }
}

/// Checks an award kind's name and description.
pub fn check_award_kind(name: &str, description: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name_len = name.trim().chars().count();
    if name_len == 0 {
        errors.push(FieldError::new("name", "Enter the award's name"));
    } else if name_len > AWARD_NAME_MAX {
        errors.push(FieldError::new(
            "name",
            format!("Keep the name to {AWARD_NAME_MAX} characters or fewer"),
        ));
    }
    if description.trim().chars().count() > AWARD_DESCRIPTION_MAX {
        errors.push(FieldError::new(
            "description",
            format!("Keep the description to {AWARD_DESCRIPTION_MAX} characters or fewer"),
        ));
    }
    errors
}

/// An award administrators defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardKind {
    pub id: i32,
    pub name: String,
    pub description: String,
    pub active: bool,
    /// How many times it has been given.
    pub given: u64,
}

/// An endorsement or award a person received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    pub id: i32,
    pub gift: Gift,
    /// The skill's name, or the award's.
    pub title: String,
    pub message: String,
    pub from: String,
    /// "3 December 2026".
    pub date: String,
    pub hidden: bool,
}

impl Received {
    /// "Endorsed for Data analysis" or "Award: Digital champion".
    pub fn heading(&self) -> String {
        match self.gift {
            Gift::Endorsement => format!("Endorsed for {}", self.title),
            Gift::Award => format!("Award: {}", self.title),
        }
    }
}

/// Someone a person can search for, to recognise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colleague {
    pub id: i32,
    pub name: String,
    pub job_title: Option<String>,
    pub team: String,
}

impl From<crate::people::model::PersonSummary> for Colleague {
    fn from(p: crate::people::model::PersonSummary) -> Self {
        Self {
            id: p.id,
            name: p.name,
            job_title: p.job_title,
            team: p.team,
        }
    }
}

/// What the "recognise a colleague" form needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveForm {
    pub person_id: i32,
    pub person_name: String,
    /// Skills the giver has not yet endorsed this person for.
    pub skills: Vec<Choice>,
    /// Active award kinds, when the giver may give awards (their manager,
    /// anyone above, HR and administrators).
    pub award_kinds: Vec<AwardKind>,
    pub can_award: bool,
    /// What the giver has already given this person, newest first.
    pub given: Vec<Received>,
}

/// One item of a team's recent recognition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamItem {
    pub person_id: i32,
    pub person_name: String,
    /// "Endorsed for Data analysis", "Award: Data hero", "Badge: ...".
    pub what: String,
    pub from: Option<String>,
    pub message: Option<String>,
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRecognition {
    pub manager_id: i32,
    pub manager_name: String,
    pub items: Vec<TeamItem>,
    /// Team members with nothing in the period.
    pub not_recognised: Vec<String>,
    pub team_size: usize,
}

/// Recognition given to one org unit's staff, month by month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRecognition {
    pub unit_id: i32,
    pub unit: String,
    pub staff: u64,
    /// Endorsements and awards received per month (oldest first).
    pub per_month: Vec<u64>,
    /// Staff who received at least one in the period.
    pub recognised: u64,
}

impl UnitRecognition {
    /// Share of staff recognised in the period, in whole per cent.
    pub fn percent(&self) -> u64 {
        (self.recognised * 100).checked_div(self.staff).unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecognitionReport {
    /// "Jun 2026" .. "Nov 2026".
    pub months: Vec<String>,
    pub rows: Vec<UnitRecognition>,
    pub total: UnitRecognition,
    /// With a unit chosen: its staff with nothing in the period.
    pub unit: Option<(String, Vec<Colleague>)>,
}

/// One of a person's badges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeView {
    pub id: i32,
    /// `SOURCE_AGREED` or `SOURCE_PATHWAY`.
    pub source: String,
    pub skill_code: String,
    pub skill_name: String,
    pub level: u8,
    /// "3 December 2026".
    pub issued: String,
    pub awarded_by: Option<String>,
    /// The organisation that issued it: its name, always (what its
    /// credential names as issuer).
    pub issued_by: String,
    /// Hidden from everyone but the person (and HR).
    pub hidden: bool,
    /// Why HR revoked it, if they did.
    pub revoked: Option<String>,
}

impl BadgeView {
    /// "Data analysis: Practitioner", or a pathway badge's own name.
    pub fn title(&self) -> String {
        if self.source == SOURCE_PATHWAY {
            self.skill_name.clone()
        } else {
            format!("{}: {}", self.skill_name, level_name(self.level))
        }
    }
}

/// A badge for an agreed level, in words: who agreed it (`agreed_by`: their
/// name as it is now, or `FORMER_COLLEAGUE` once they are gone), the level,
/// the day (`issued`, "3 December 2026"), and the holder's own evidence.
/// Built when read, never stored, so a badge holds no copy of another
/// person's name.
pub fn agreed_narrative(agreed_by: &str, level: u8, issued: &str, evidence: &str) -> String {
    let agreed = format!(
        "{agreed_by} agreed the level {} on {issued}.",
        level_name(level)
    );
    match evidence.trim() {
        "" => agreed,
        evidence => format!("{agreed} The holder's evidence: {evidence}"),
    }
}

/// A person's badges, endorsements and awards, as the viewer may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Badges {
    pub person_id: i32,
    pub person_name: String,
    pub badges: Vec<BadgeView>,
    pub received: Vec<Received>,
    /// The viewer is the person (may hide and download).
    pub own: bool,
    /// The viewer may revoke (HR and administrators).
    pub can_revoke: bool,
}

/// The outcome of verifying a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Signed by this organisation's key, unchanged, not revoked.
    Valid,
    /// Genuine, but the organisation has revoked it.
    Revoked,
    /// Not a credential this organisation signed, or changed since.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub outcome: Outcome,
    /// In plain words: why it is valid, revoked or invalid.
    pub message: String,
    pub issuer: Option<String>,
    pub achievement: Option<String>,
    pub issued: Option<String>,
    /// The recipient's hashed identity ("sha256$...").
    pub identity: Option<String>,
    /// Whether the email the verifier gave matches the hashed identity.
    pub email_matches: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<Gift, Vec<FieldError>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_gift_names_each_field_at_fault() {
        assert_eq!(
            check_gift("endorsement", Some("DAT-ANA"), None, " Great work "),
            Ok(Gift::Endorsement)
        );
        assert_eq!(
            check_gift("award", None, Some(1), "Led the rollout"),
            Ok(Gift::Award)
        );
        assert_eq!(fields(check_gift("", None, None, "x")), ["kind"]);
        assert_eq!(
            fields(check_gift("endorsement", Some(" "), None, "  ")),
            ["skill_code", "message"]
        );
        assert_eq!(
            fields(check_gift("award", None, None, "")),
            ["award_kind_id", "citation"]
        );
        let long = "a".repeat(MESSAGE_MAX + 1);
        let err = check_gift("award", None, Some(1), &long).unwrap_err();
        assert_eq!(err[0].field, "citation");
        assert!(err[0].message.contains("501"), "{}", err[0].message);
        assert!(check_gift("award", None, Some(1), &"é".repeat(MESSAGE_MAX)).is_ok());
    }

    #[test]
    fn award_kinds_need_a_short_name() {
        assert!(check_award_kind("Data hero", "").is_empty());
        assert_eq!(check_award_kind(" ", "")[0].field, "name");
        assert_eq!(check_award_kind(&"n".repeat(81), &"d".repeat(501)).len(), 2);
    }

    #[test]
    fn an_agreed_level_is_told_with_whoever_agreed_it_now() {
        assert_eq!(
            agreed_narrative("Jo Bloggs", 3, "3 December 2026", " Built the dashboard "),
            "Jo Bloggs agreed the level Practitioner on 3 December 2026. The holder's evidence: Built the dashboard"
        );
        assert_eq!(
            agreed_narrative(crate::privacy::model::FORMER_COLLEAGUE, 4, "1 May 2026", ""),
            "A former colleague agreed the level Expert on 1 May 2026."
        );
    }

    #[test]
    fn titles_and_shares_read_well() {
        let r = Received {
            id: 1,
            gift: Gift::Endorsement,
            title: "Data analysis".into(),
            message: "m".into(),
            from: "Jo".into(),
            date: "1 May 2026".into(),
            hidden: false,
        };
        assert_eq!(r.heading(), "Endorsed for Data analysis");
        let u = UnitRecognition {
            unit_id: 1,
            unit: "Ward".into(),
            staff: 3,
            per_month: vec![],
            recognised: 2,
        };
        assert_eq!(u.percent(), 66);
        assert_eq!(UnitRecognition { staff: 0, ..u }.percent(), 0);
    }
}
