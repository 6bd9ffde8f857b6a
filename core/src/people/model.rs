use serde::{Deserialize, Serialize};

/// One person as lists show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub id: i32,
    pub name: String,
    pub employee_number: String,
    pub job_title: Option<String>,
    pub staff_group: String,
    pub band: String,
    pub team: String,
}

/// One person in full, for their own page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDetail {
    pub summary: PersonSummary,
    pub email: Option<String>,
    pub line_manager: Option<PersonLink>,
    /// Trust, directorate, team: outermost first.
    pub org_path: Vec<String>,
    pub direct_reports: Vec<PersonSummary>,
    /// Their moves between organisations of the system, oldest first.
    pub moves: Vec<MoveRecord>,
    /// Whether the system has other organisations they could move to.
    pub other_organisations: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonLink {
    pub id: i32,
    pub name: String,
}

/// Sizes of the organisation, for HR and administrators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgCounts {
    pub directorates: u64,
    pub teams: u64,
    pub people: u64,
    pub job_roles: u64,
    pub accounts: u64,
    pub disabled_accounts: u64,
}

pub fn full_name(given: &str, family: &str) -> String {
    format!("{given} {family}")
}

/// What moving a person to another organisation of the system would do,
/// for HR of their organisation to check before they confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovePreview {
    pub person_id: i32,
    pub name: String,
    pub employee_number: String,
    /// Their organisation now.
    pub from: String,
    /// The other organisations of the system: (code, name), by name.
    pub destinations: Vec<(String, String)>,
    /// Skills whose level their manager agreed: they keep them, with who
    /// agreed them and when.
    pub agreed_levels: u64,
    /// Badges they hold: they keep them, issued by whoever issued them.
    pub badges: u64,
    /// People who have them as line manager: they will have none recorded.
    pub direct_reports: u64,
    /// Their account's role when it is more than staff (HR, administrator):
    /// it becomes staff, as roles are given by the new organisation.
    pub elevated_role: Option<String>,
}

/// A past move between organisations, as the person's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRecord {
    pub from: String,
    pub to: String,
    /// "7 December 2026".
    pub on: String,
}
