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
