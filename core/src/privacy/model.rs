//! What erasing a person removes, and who is due for review.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// What the erased person's name becomes where others' records mention it
/// (recognition they gave, levels they agreed, mentoring they offered), and
/// how such a record reads once the id it named them by is gone.
pub const FORMER_COLLEAGUE: &str = "A former colleague";

/// What erasing a person will remove: shown before HR confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasePreview {
    pub person_id: i32,
    pub name: String,
    pub employee_number: String,
    /// Their account's email, if they have one.
    pub account: Option<String>,
    /// Whether that account is disabled (erasing needs it disabled first).
    pub account_disabled: bool,
    pub assessments: u64,
    pub recognition: u64,
    pub badges: u64,
    pub pathway_steps: u64,
    /// People whose line manager they are: they will have none recorded.
    pub direct_reports: u64,
}

impl ErasePreview {
    /// Why erasing cannot go ahead yet, if it cannot.
    pub fn blocker(&self) -> Option<String> {
        (self.account.is_some() && !self.account_disabled).then(|| {
            "Their account is still active. Disable it first (Accounts), so they cannot sign in while their data is erased.".to_string()
        })
    }
}

/// HR types the person's employee number to confirm: a deliberate act,
/// and the right person.
pub fn check_confirm(typed: &str, employee_number: &str) -> Result<(), FieldError> {
    let typed = typed.trim();
    if typed.is_empty() {
        Err(FieldError::new(
            "confirm",
            "Enter the employee number to confirm",
        ))
    } else if !typed.eq_ignore_ascii_case(employee_number.trim()) {
        Err(FieldError::new(
            "confirm",
            "The employee number does not match this person",
        ))
    } else {
        Ok(())
    }
}

/// An account disabled for longer than the retention period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRow {
    pub account_id: i32,
    pub email: String,
    pub person_id: Option<i32>,
    pub name: Option<String>,
    /// "3 December 2025", or none when it was disabled before Skillmap
    /// recorded the date.
    pub disabled_since: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub months: u32,
    pub rows: Vec<RetentionRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_needs_the_right_employee_number() {
        assert_eq!(check_confirm("", "E123").unwrap_err().field, "confirm");
        assert!(
            check_confirm("E124", "E123")
                .unwrap_err()
                .message
                .contains("does not match")
        );
        assert!(check_confirm(" e123 ", "E123").is_ok());
    }

    #[test]
    fn an_active_account_blocks_erasure() {
        let mut p = ErasePreview {
            person_id: 1,
            name: "A B".into(),
            employee_number: "E1".into(),
            account: Some("a@b".into()),
            account_disabled: false,
            assessments: 0,
            recognition: 0,
            badges: 0,
            pathway_steps: 0,
            direct_reports: 0,
        };
        assert!(p.blocker().is_some());
        p.account_disabled = true;
        assert!(p.blocker().is_none());
        p.account = None;
        assert!(p.blocker().is_none());
    }
}

/// What a skills passport would bring, shown before the person confirms
/// (`privacy::passport`). A passport that cannot be used says why in
/// `problem`, and brings nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportPreview {
    pub upload_id: i32,
    pub problem: Option<String>,
    /// The organisation that signed it, and its issuer address.
    pub issuer_name: String,
    pub issuer_url: String,
    /// Whom it is for, as it says.
    pub name: String,
    /// "3 December 2026".
    pub issued: String,
    pub valid_until: String,
    pub levels: Vec<PassportLevel>,
    /// Badges in it: Open Badges credentials the person keeps, which
    /// verify at their issuer.
    pub badges: u32,
}

impl PassportPreview {
    /// The levels importing would add.
    pub fn to_add(&self) -> usize {
        self.levels
            .iter()
            .filter(|l| l.outcome == PassportOutcome::Add)
            .count()
    }
}

/// One agreed level in a passport, and what importing does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportLevel {
    pub skill_code: String,
    pub skill_name: String,
    pub level: u8,
    pub level_name: String,
    /// Who agreed it and when, as the passport says.
    pub agreed_by: Option<String>,
    pub agreed_at: Option<String>,
    pub outcome: PassportOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PassportOutcome {
    /// Becomes the person's own level, for their manager here to agree.
    Add,
    /// They already have this level or higher here.
    HaveAlready,
    /// This Skillmap's framework has no such skill.
    NotInFramework,
}

impl PassportOutcome {
    pub fn describe(self) -> &'static str {
        match self {
            PassportOutcome::Add => "Added as your own level, for your manager to agree",
            PassportOutcome::HaveAlready => "Not added: you already have this level or higher",
            PassportOutcome::NotInFramework => {
                "Not added: this Skillmap's framework has no such skill"
            }
        }
    }
}
