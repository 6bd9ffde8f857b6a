//! The kinds of notice, who hears them, and the inbox and preference types
//! the pages show.

use serde::{Deserialize, Serialize};

use crate::auth::model::Role;

/// What a notice is about. The code is stored; the label is what a person
/// reads when choosing what to hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// A manager: levels their people saved wait for agreement (one notice
    /// for the saves of a few minutes, not one per save).
    LevelsWaiting,
    /// A manager: people in their team whose skills review is overdue.
    TeamReviewsOverdue,
    /// A person: their manager agreed a level, or set a different one.
    LevelAgreed,
    /// A person: an endorsement or award from a colleague.
    Recognised,
    /// A person: a badge issued to them.
    BadgeIssued,
    /// A person: their skills review is due soon, or overdue.
    ReviewDue,
    /// A mentor: a colleague added them to their learning pathway as the
    /// mentor for a skill.
    MentorChosen,
    /// HR: an import they started finished or failed.
    ImportFinished,
    /// A new account: how to sign in for the first time.
    Welcome,
    /// HR: someone moved to their organisation from another of the system,
    /// to be placed in a unit and job role.
    PersonJoined,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::LevelsWaiting,
        Kind::TeamReviewsOverdue,
        Kind::LevelAgreed,
        Kind::Recognised,
        Kind::BadgeIssued,
        Kind::ReviewDue,
        Kind::MentorChosen,
        Kind::ImportFinished,
        Kind::Welcome,
        Kind::PersonJoined,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::LevelsWaiting => "levels_waiting",
            Kind::TeamReviewsOverdue => "team_reviews_overdue",
            Kind::LevelAgreed => "level_agreed",
            Kind::Recognised => "recognised",
            Kind::BadgeIssued => "badge_issued",
            Kind::ReviewDue => "review_due",
            Kind::MentorChosen => "mentor_chosen",
            Kind::ImportFinished => "import_finished",
            Kind::Welcome => "welcome",
            Kind::PersonJoined => "person_joined",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// How the choice reads on the preferences page.
    pub fn label(self) -> &'static str {
        match self {
            Kind::LevelsWaiting => "Skill levels waiting for your agreement",
            Kind::TeamReviewsOverdue => "People in your team whose skills review is overdue",
            Kind::LevelAgreed => "Your manager agreed or changed one of your skill levels",
            Kind::Recognised => "An endorsement or award from a colleague",
            Kind::BadgeIssued => "A badge issued to you",
            Kind::ReviewDue => "Your skills review is due soon, or overdue",
            Kind::MentorChosen => "A colleague chose you as their mentor",
            Kind::ImportFinished => "An import you started has finished or failed",
            Kind::Welcome => "Your new account",
            Kind::PersonJoined => "Someone moved to your organisation from another in the system",
        }
    }

    /// Email that a person's job needs them to get: it cannot be turned
    /// off (a digest is still allowed).
    pub fn required(self) -> bool {
        matches!(
            self,
            Kind::LevelsWaiting | Kind::TeamReviewsOverdue | Kind::Welcome
        )
    }

    /// Whether someone with this role can receive it, so the preferences
    /// page offers only what applies to them.
    pub fn applies_to(self, role: Role) -> bool {
        match self {
            Kind::LevelsWaiting | Kind::TeamReviewsOverdue => role != Role::Staff,
            Kind::ImportFinished | Kind::PersonJoined => matches!(role, Role::Hr | Role::Admin),
            Kind::Welcome => false,
            _ => true,
        }
    }
}

/// How many unread notices the signed-in person has: put in a page
/// request's extensions by the session layer, for the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unread(pub u64);

/// One notice in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: i32,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// The page to act on (a local path).
    pub link: String,
    /// When, for people ("4 Dec 2026 09:15 UTC").
    pub at: String,
    pub unread: bool,
}

/// Notices shown on one page of the inbox.
pub const INBOX_PAGE: u64 = 25;

/// A page of a person's inbox, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Inbox {
    pub notices: Vec<Notice>,
    pub unread: u64,
    pub total: u64,
    /// From 1.
    pub page: u64,
    pub pages: u64,
}

/// One kind of notice on the preferences page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub kind: Kind,
    /// Email for this kind (always true for a required kind).
    pub email: bool,
    pub required: bool,
    pub label: String,
}

/// A person's choices about email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Preferences {
    pub daily_digest: bool,
    pub choices: Vec<Choice>,
    /// Whether this Skillmap sends email at all (a mail server is set).
    pub email_configured: bool,
    pub email: String,
}

/// The kinds a person turned off, as stored ("a,b,c"), without unknown
/// codes or kinds that cannot be turned off.
pub fn muted_codes(kinds: &[Kind]) -> String {
    let mut codes: Vec<&str> = kinds
        .iter()
        .filter(|k| !k.required())
        .map(|k| k.code())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes.join(",")
}

pub fn parse_muted(stored: &str) -> Vec<Kind> {
    stored
        .split(',')
        .filter_map(|c| Kind::parse(c.trim()))
        .filter(|k| !k.required())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.code()), Some(k));
            assert!(seen.insert(k.code()));
        }
        assert_eq!(Kind::parse("nope"), None);
    }

    #[test]
    fn required_kinds_cannot_be_muted() {
        let stored = muted_codes(&[Kind::Recognised, Kind::LevelsWaiting, Kind::Recognised]);
        assert_eq!(stored, "recognised");
        assert_eq!(
            parse_muted("recognised,levels_waiting,bogus"),
            vec![Kind::Recognised]
        );
    }

    #[test]
    fn staff_are_not_offered_managers_notices() {
        assert!(!Kind::LevelsWaiting.applies_to(Role::Staff));
        assert!(Kind::LevelsWaiting.applies_to(Role::Manager));
        assert!(!Kind::ImportFinished.applies_to(Role::Manager));
        assert!(Kind::ImportFinished.applies_to(Role::Hr));
        assert!(!Kind::Welcome.applies_to(Role::Admin));
    }
}
