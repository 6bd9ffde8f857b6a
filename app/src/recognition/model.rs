//! Recognition: badges for recognised skill levels, and what verifying an
//! Open Badges 3.0 credential found.

use serde::{Deserialize, Serialize};

use crate::framework::model::level_name;

/// The lowest agreed level that earns a badge.
pub const BADGE_LEVEL: u8 = 3;

/// How a badge was earned.
pub const SOURCE_AGREED: &str = "agreed-level";

/// One of a person's badges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeView {
    pub id: i32,
    pub skill_code: String,
    pub skill_name: String,
    pub level: u8,
    /// "3 December 2026".
    pub issued: String,
    pub awarded_by: Option<String>,
    /// Hidden from everyone but the person (and HR).
    pub hidden: bool,
    /// Why HR revoked it, if they did.
    pub revoked: Option<String>,
}

impl BadgeView {
    /// "Data analysis: Practitioner".
    pub fn title(&self) -> String {
        format!("{}: {}", self.skill_name, level_name(self.level))
    }
}

/// A person's badges, as the viewer may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Badges {
    pub person_name: String,
    pub badges: Vec<BadgeView>,
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
