//! What an import is, as the pages and the command line see it: the kinds of
//! file, the problems found in one, and a job's state and counts.

use serde::{Deserialize, Serialize};

/// The three kinds of file HR can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Organisation units: trust, directorates, teams.
    Org,
    /// Job roles with their required skill levels.
    Roles,
    /// Staff, their line managers and accounts.
    Staff,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Org, Kind::Roles, Kind::Staff];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Org => "org",
            Kind::Roles => "roles",
            Kind::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// "Organisation units", "Job roles", "Staff".
    pub fn label(self) -> &'static str {
        match self {
            Kind::Org => "Organisation units",
            Kind::Roles => "Job roles and requirements",
            Kind::Staff => "Staff",
        }
    }

    /// What one row of this kind is called: "organisation unit".
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Org => "organisation unit",
            Kind::Roles => "job role",
            Kind::Staff => "person",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with (or worth knowing about) a file. `row` is the
/// spreadsheet row number (the header is row 1); `None` is the whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub row: Option<usize>,
    pub column: String,
    pub value: String,
    pub message: String,
    /// Warnings (such as an unknown column) do not stop the import.
    pub warning: bool,
}

impl Problem {
    pub fn file(message: impl Into<String>) -> Self {
        Self {
            row: None,
            column: String::new(),
            value: String::new(),
            message: message.into(),
            warning: false,
        }
    }

    pub fn cell(
        row: usize,
        column: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            row: Some(row),
            column: column.into(),
            value: value.into(),
            message: message.into(),
            warning: false,
        }
    }

    pub fn warning(column: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            row: None,
            column: column.into(),
            value: String::new(),
            message: message.into(),
            warning: true,
        }
    }

    /// "Row 12, Email: ..." for the command line and logs.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(row) = self.row {
            out.push_str(&format!("Row {row}"));
        }
        if !self.column.is_empty() {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&self.column);
        }
        if !self.value.is_empty() {
            out.push_str(&format!(" \u{201c}{}\u{201d}", short(&self.value)));
        }
        if out.is_empty() {
            self.message.clone()
        } else {
            format!("{out}: {}", self.message)
        }
    }
}

/// Long values are cut for display (the error report keeps them whole).
pub fn short(value: &str) -> String {
    if value.chars().count() > 60 {
        format!("{}\u{2026}", value.chars().take(60).collect::<String>())
    } else {
        value.to_string()
    }
}

/// What a file would do (or did): rows to create, update and leave alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub rows: usize,
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Accounts created for new people with an email address.
    pub new_accounts: usize,
}

/// Where an import job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Checked, no errors: ready to import.
    Ready,
    /// Checked, with errors: nothing can be imported.
    Rejected,
    /// Being imported now.
    Importing,
    /// Imported.
    Imported,
    /// Tried and failed (nothing was changed); can be tried again.
    Failed,
    /// Checked but not imported within the retention period, so the file
    /// was removed (`SKILLMAP_IMPORT_RETENTION_DAYS`).
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "ready",
            Status::Rejected => "rejected",
            Status::Importing => "importing",
            Status::Imported => "imported",
            Status::Failed => "failed",
            Status::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Status {
        match s {
            "ready" => Status::Ready,
            // Waiting in the job queue, or being imported by one of its
            // workers: the same to the person who asked.
            "importing" | "queued" => Status::Importing,
            "imported" => Status::Imported,
            "failed" => Status::Failed,
            "expired" => Status::Expired,
            _ => Status::Rejected,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Ready => "Checked, not imported yet",
            Status::Rejected => "Has errors, nothing imported",
            Status::Importing => "Importing",
            Status::Imported => "Imported",
            Status::Failed => "Import failed, nothing changed",
            Status::Expired => "Not imported in time, file removed",
        }
    }
}

/// Progress of a running import, for the progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

impl Progress {
    pub fn percent(&self) -> usize {
        (self.done * 100)
            .checked_div(self.total)
            .unwrap_or(0)
            .min(100)
    }
}

/// One import: the preview before it is committed, the record after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    pub id: i32,
    pub kind: Kind,
    pub file_name: String,
    pub status: Status,
    /// Email of whoever uploaded it, or "command line".
    pub actor: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub counts: Counts,
    /// The first problems (errors first, then warnings); the CSV has all.
    pub problems: Vec<Problem>,
    pub progress: Option<Progress>,
    /// A message when an import failed (nothing was changed).
    pub failure: Option<String>,
    /// When the uploaded file and the cell values in the problems were
    /// removed, after the retention period.
    pub purged_at: Option<String>,
    /// Whether Skillmap emails new accounts their welcome (a mail server
    /// is set up).
    #[serde(default)]
    pub welcome_emails: bool,
}

/// Problems shown on the page; the downloadable report has all of them.
pub const PROBLEMS_SHOWN: usize = 100;

/// One line of the import history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: i32,
    pub kind: Kind,
    pub file_name: String,
    pub status: Status,
    pub actor: String,
    pub created_at: String,
    pub counts: Counts,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_describe_where_they_are() {
        let p = Problem::cell(12, "Email", "not-an-email", "Enter a valid email address");
        assert_eq!(
            p.describe(),
            "Row 12, Email \u{201c}not-an-email\u{201d}: Enter a valid email address"
        );
        assert_eq!(
            Problem::file("The file is empty.").describe(),
            "The file is empty."
        );
        assert_eq!(Kind::parse(" Staff "), Some(Kind::Staff));
        assert_eq!(Progress { done: 1, total: 0 }.percent(), 0);
        assert_eq!(
            Progress {
                done: 50,
                total: 200
            }
            .percent(),
            25
        );
    }
}
