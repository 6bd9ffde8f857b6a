use serde::{Deserialize, Serialize};

use crate::auth::model::Role;
use crate::people::model::{OrgCounts, PersonSummary};
use crate::profile::model::Progress;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeOverview {
    pub display_name: String,
    pub role: Role,
    /// The signed-in person (accounts without a person record have none).
    pub me: Option<PersonSummary>,
    pub line_manager: Option<String>,
    /// People who report to the signed-in person.
    pub direct_reports: Vec<PersonSummary>,
    /// Organisation sizes, for HR and administrators.
    pub org: Option<OrgCounts>,
    /// How far the person's own skills profile has got.
    pub progress: Option<Progress>,
    /// People the person manages with levels waiting for their agreement.
    pub to_agree: usize,
}
