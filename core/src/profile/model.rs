use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::framework::model::{MAX_LEVEL, SkillView, level_name};
use crate::people::model::PersonSummary;

pub const MAX_EVIDENCE: usize = 4000;
pub const MAX_URL: usize = 2000;
pub const MAX_COMMENT: usize = 2000;

/// How sure the person is of the level they picked.
pub const CONFIDENCE: [(u8, &str); 3] = [(1, "Not sure"), (2, "Fairly sure"), (3, "Very sure")];

pub fn confidence_name(c: u8) -> &'static str {
    CONFIDENCE
        .iter()
        .find(|(v, _)| *v == c)
        .map(|(_, n)| *n)
        .unwrap_or("Not given")
}

/// A role's requirement for one skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub level: u8,
    pub essential: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Waiting for the manager.
    Pending,
    Agreed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Agreed => "agreed",
        }
    }

    pub fn parse(s: &str) -> Status {
        if s == "agreed" {
            Status::Agreed
        } else {
            Status::Pending
        }
    }
}

/// One assessed skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentView {
    pub self_level: u8,
    pub confidence: Option<u8>,
    pub evidence: String,
    pub evidence_url: Option<String>,
    pub agreed_level: Option<u8>,
    pub status: Status,
    pub manager_comment: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub revision: i32,
    /// The framework version it was assessed against.
    pub framework_version: i32,
}

impl AssessmentView {
    /// The level that counts: agreed if agreed, otherwise the person's own.
    pub fn effective_level(&self) -> u8 {
        self.agreed_level.unwrap_or(self.self_level)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileItem {
    pub skill: SkillView,
    pub requirement: Option<Requirement>,
    pub assessment: Option<AssessmentView>,
    /// The person would like to develop this skill.
    #[serde(default)]
    pub develop: bool,
    /// The person would help others with it.
    #[serde(default)]
    pub help: bool,
}

/// A person's whole profile: required skills first, then the rest by domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub person: PersonSummary,
    pub framework_name: String,
    pub framework_version: i32,
    pub items: Vec<ProfileItem>,
    /// Assessments of skills that earlier framework versions had and the
    /// current one does not: kept, read-only.
    pub retired: Vec<ProfileItem>,
    /// The viewer may edit (it is their own profile).
    pub editable: bool,
    /// The viewer may agree levels (they manage this person).
    pub can_review: bool,
}

impl ProfileView {
    pub fn progress(&self) -> Progress {
        progress(&self.items)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub required_done: usize,
    pub required_total: usize,
    pub all_done: usize,
    pub all_total: usize,
    pub pending: usize,
}

pub fn progress(items: &[ProfileItem]) -> Progress {
    let required = items.iter().filter(|i| i.requirement.is_some());
    Progress {
        required_done: required.clone().filter(|i| i.assessment.is_some()).count(),
        required_total: required.count(),
        all_done: items.iter().filter(|i| i.assessment.is_some()).count(),
        all_total: items.len(),
        pending: items
            .iter()
            .filter(|i| {
                i.assessment
                    .as_ref()
                    .is_some_and(|a| a.status == Status::Pending)
            })
            .count(),
    }
}

/// Levels below the requirement (0 when met or exceeded; the full
/// requirement when not yet assessed).
pub fn gap(required: u8, level: Option<u8>) -> u8 {
    required.saturating_sub(level.unwrap_or(0))
}

/// The gap in words, so it never depends on colour.
pub fn gap_text(required: u8, level: Option<u8>) -> String {
    match (level, gap(required, level)) {
        (None, _) => "Not assessed yet".into(),
        (Some(l), 0) if l > required => format!("Exceeds by {}", l - required),
        (Some(_), 0) => "Meets".into(),
        (Some(_), 1) => "1 level below".into(),
        (Some(_), n) => format!("{n} levels below"),
    }
}

/// What a person submits for one skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfAssessmentInput {
    pub skill_code: String,
    pub level: Option<u8>,
    pub confidence: Option<u8>,
    pub evidence: String,
    pub evidence_url: String,
    /// The revision the person started from (0 for a new assessment).
    pub revision: i32,
}

/// Checks a self-assessment; returns it tidied (trimmed, empty link as None).
pub fn validate_self(
    input: &SelfAssessmentInput,
) -> Result<(u8, Option<u8>, String, Option<String>), AppError> {
    let mut errors = Vec::new();
    let level = match input.level {
        None => {
            errors.push(FieldError::new(
                "level",
                "Choose the level that best describes you",
            ));
            0
        }
        Some(l) if l > MAX_LEVEL => {
            errors.push(FieldError::new(
                "level",
                format!("Choose a level from 0 to {MAX_LEVEL}"),
            ));
            0
        }
        Some(l) => l,
    };
    if let Some(c) = input.confidence
        && !(1..=3).contains(&c)
    {
        errors.push(FieldError::new("confidence", "Choose how sure you are"));
    }
    let evidence = input.evidence.trim().to_string();
    if evidence.chars().count() > MAX_EVIDENCE {
        errors.push(FieldError::new(
            "evidence",
            format!("Evidence must be {MAX_EVIDENCE} characters or fewer"),
        ));
    }
    let url = input.evidence_url.trim();
    let url = if url.is_empty() {
        None
    } else if !is_http_url(url) {
        errors.push(FieldError::new(
            "evidence_url",
            "Enter a link that starts with https:// or http://",
        ));
        None
    } else if url.len() > MAX_URL {
        errors.push(FieldError::new(
            "evidence_url",
            format!("Link must be {MAX_URL} characters or fewer"),
        ));
        None
    } else {
        Some(url.to_string())
    };
    if errors.is_empty() {
        Ok((level, input.confidence, evidence, url))
    } else {
        Err(AppError::Validation(errors))
    }
}

pub fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace))
}

/// A manager's decision on one assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Agree the person's own level.
    Agree,
    /// Set a different level (a comment is required).
    Change,
}

pub fn validate_review(
    decision: Decision,
    level: Option<u8>,
    comment: &str,
) -> Result<Option<u8>, AppError> {
    let mut errors = Vec::new();
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        errors.push(FieldError::new(
            "comment",
            format!("Comment must be {MAX_COMMENT} characters or fewer"),
        ));
    }
    let level = match decision {
        Decision::Agree => None,
        Decision::Change => match level {
            Some(l) if l <= MAX_LEVEL => {
                if comment.is_empty() {
                    errors.push(FieldError::new(
                        "comment",
                        "Say why you set a different level, so they can act on it",
                    ));
                }
                Some(l)
            }
            Some(_) => {
                errors.push(FieldError::new(
                    "level",
                    format!("Choose a level from 0 to {MAX_LEVEL}"),
                ));
                None
            }
            None => {
                errors.push(FieldError::new("level", "Choose the level you agree"));
                None
            }
        },
    };
    if errors.is_empty() {
        Ok(level)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// One change in a person's assessment history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub skill_code: String,
    pub skill_name: String,
    pub actor: String,
    /// "self", "agreed" or "changed".
    pub kind: String,
    pub from_level: Option<u8>,
    pub to_level: u8,
    pub comment: Option<String>,
    pub at: String,
}

impl HistoryEntry {
    pub fn summary(&self) -> String {
        let to = format!("{} {}", self.to_level, level_name(self.to_level));
        match (self.kind.as_str(), self.from_level) {
            ("agreed", _) => format!("{} agreed level {to}", self.actor),
            ("changed", _) => format!("{} set the agreed level to {to}", self.actor),
            (_, Some(from)) => format!(
                "{} changed their level from {} to {to}",
                self.actor,
                level_name(from)
            ),
            (_, None) => format!("{} assessed themself at {to}", self.actor),
        }
    }
}

/// Someone with assessments waiting for the viewer's agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReview {
    pub person: PersonSummary,
    pub pending: usize,
}

/// What `/skills` says about the person's next skills review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewStatus {
    pub due: super::cycle::Due,
    /// For people: "Your skills review is due by 5 January 2027."
    pub text: String,
    /// When they last completed one ("4 Dec 2026").
    pub last: Option<String>,
}

/// One skill in the review form: the last answer, to confirm or change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub code: String,
    pub name: String,
    pub level: u8,
    pub evidence: String,
    /// Agreed by their manager at this level (or none yet).
    pub agreed: Option<u8>,
}

/// The review form: the status, and every skill the person has assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewForm {
    pub status: ReviewStatus,
    pub items: Vec<ReviewItem>,
}

/// A person in a manager's team whose review is overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueReview {
    pub person_id: i32,
    pub name: String,
    pub team: String,
    /// "5 Jan 2027".
    pub due: String,
}

/// How many profiles in a part of the organisation are up to date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCounts {
    pub up_to_date: u64,
    pub due_soon: u64,
    pub overdue: u64,
    pub not_started: u64,
    pub total: u64,
    /// Review cycles are off (in every organisation counted).
    pub off: bool,
    /// People of an organisation whose review cycles are off, not in
    /// `total` (the workforce lead's system view, where one organisation's
    /// rule may be off and another's not).
    #[serde(default)]
    pub cycles_off: u64,
    /// Fewer people than the small-number rule allows, for a viewer who
    /// does not see everything: the figures are withheld (all zero).
    #[serde(default)]
    pub hidden: bool,
}

/// The administrators' page: the organisation's rule, and units with a
/// fixed date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CyclePage {
    /// Whose rule it is: the administrator's organisation.
    pub organisation: String,
    pub settings: super::cycle::CycleSettings,
    pub fixed: Vec<FixedRow>,
    /// Every unit, for choosing one (id, name with its parent's).
    pub units: Vec<(i32, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedRow {
    pub unit_id: i32,
    pub unit: String,
    /// "2027-03-31".
    pub date: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(level: Option<u8>, url: &str, evidence: &str) -> SelfAssessmentInput {
        SelfAssessmentInput {
            skill_code: "DIG-FOUND".into(),
            level,
            confidence: Some(2),
            evidence: evidence.into(),
            evidence_url: url.into(),
            revision: 0,
        }
    }

    #[test]
    fn gap_maths() {
        assert_eq!(gap(3, Some(1)), 2);
        assert_eq!(gap(2, Some(4)), 0);
        assert_eq!(gap(2, None), 2);
        assert_eq!(gap_text(3, Some(1)), "2 levels below");
        assert_eq!(gap_text(3, Some(2)), "1 level below");
        assert_eq!(gap_text(2, Some(2)), "Meets");
        assert_eq!(gap_text(2, Some(4)), "Exceeds by 2");
        assert_eq!(gap_text(2, None), "Not assessed yet");
    }

    #[test]
    fn self_assessment_rules() {
        assert!(validate_self(&input(Some(2), "", "ran the ward rota on the EPR")).is_ok());
        let (_, _, _, url) =
            validate_self(&input(Some(2), " https://example.nhs.uk/x ", "")).unwrap();
        assert_eq!(url.as_deref(), Some("https://example.nhs.uk/x"));
        let field = |r: Result<_, AppError>| r.unwrap_err().field_errors()[0].field.clone();
        assert_eq!(field(validate_self(&input(Some(5), "", ""))), "level");
        assert_eq!(field(validate_self(&input(None, "", ""))), "level");
        assert_eq!(
            field(validate_self(&input(Some(1), "javascript:alert(1)", ""))),
            "evidence_url"
        );
        assert_eq!(
            field(validate_self(&input(Some(1), "ftp://x", ""))),
            "evidence_url"
        );
        assert_eq!(
            field(validate_self(&input(
                Some(1),
                "",
                &"x".repeat(MAX_EVIDENCE + 1)
            ))),
            "evidence"
        );
    }

    #[test]
    fn review_rules() {
        assert_eq!(validate_review(Decision::Agree, None, ""), Ok(None));
        assert_eq!(
            validate_review(Decision::Change, Some(2), "Seen it on the ward"),
            Ok(Some(2))
        );
        assert!(
            validate_review(Decision::Change, Some(2), "  ").is_err(),
            "a change needs a reason"
        );
        assert!(validate_review(Decision::Change, None, "x").is_err());
        assert!(validate_review(Decision::Change, Some(9), "x").is_err());
    }

    #[test]
    fn urls() {
        assert!(is_http_url("https://learning.nhs.uk/course"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https:///x"));
        assert!(!is_http_url("data:text/html,hi"));
    }
}
