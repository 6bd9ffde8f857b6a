//! What the audit trail records, and how it is searched.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Events shown per page, newest first.
pub const PAGE_SIZE: u64 = 50;
/// The most rows one CSV download holds; narrow the filters for more.
pub const EXPORT_MAX: u64 = 100_000;

macro_rules! actions {
    ($($variant:ident = $code:literal, $label:literal;)*) => {
        /// Something worth recording. The code is what the table stores, so
        /// codes never change once released; labels may.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $(Action::$variant => $code),* }
            }

            pub fn label(self) -> &'static str {
                match self { $(Action::$variant => $label),* }
            }

            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some(Action::$variant),)* _ => None }
            }
        }
    };
}

actions! {
    SignIn = "sign_in", "Signed in";
    SignInFailed = "sign_in_failed", "Sign-in failed";
    SignOut = "sign_out", "Signed out";
    Refused = "refused", "Refused access";
    PasswordSet = "password_set", "Set a password";
    LinksIssued = "links_issued", "Issued set-password links";
    LinkIssued = "link_issued", "Issued a set-password link";
    AccountDisabled = "account_disabled", "Disabled an account";
    AccountEnabled = "account_enabled", "Re-enabled an account";
    RoleSaved = "role_saved", "Saved a job role";
    RequirementSet = "requirement_set", "Set a role's required level";
    RequirementRemoved = "requirement_removed", "Removed a role's required level";
    FrameworkPublished = "framework_published", "Published a framework";
    ImportCommitted = "import_committed", "Imported a file";
    CatalogueImported = "catalogue_imported", "Imported the learning catalogue";
    ResourceSaved = "resource_saved", "Saved a learning resource";
    ResourceRemoved = "resource_removed", "Removed a learning resource";
    LevelReviewed = "level_reviewed", "Reviewed a skill level";
    RecognitionGiven = "recognition_given", "Gave recognition";
    RecognitionHidden = "recognition_hidden", "Hid or showed recognition";
    BadgeRevoked = "badge_revoked", "Revoked a badge";
    AwardKindSaved = "award_kind_saved", "Saved an award kind";
    AuditExported = "audit_exported", "Downloaded the audit trail";
    DirectoryExported = "directory_exported", "Downloaded an expertise directory search";
    DataDownloaded = "data_downloaded", "Downloaded their own data";
    PersonErased = "person_erased", "Erased a leaver's data";
    PersonMoved = "person_moved", "Moved someone between organisations";
    PassportExported = "passport_exported", "Downloaded their skills passport";
    PassportImported = "passport_imported", "Imported a skills passport";
    SsoLinked = "sso_linked", "Linked a single sign-on identity";
    SsoUnlinked = "sso_unlinked", "Removed a single sign-on link";
    SsoRefused = "sso_refused", "Single sign-on refused";
    SsoLogout = "sso_logout", "Signed out by the identity provider";
    SignInPolicyChanged = "sign_in_policy", "Changed who may sign in with a password";
    BreakGlassSet = "break_glass_set", "Changed a break-glass administrator";
    JobRetried = "job_retried", "Tried a failed background job again";
    ReviewCycleSet = "review_cycle_set", "Changed the skills review cycle";
}

/// The kinds of record an event can point at.
pub const TARGET_KINDS: &[(&str, &str)] = &[
    ("account", "Account"),
    ("person", "Person"),
    ("role", "Job role"),
    ("framework", "Framework"),
    ("import", "Import"),
    ("resource", "Learning resource"),
    ("recognition", "Recognition"),
    ("badge", "Badge"),
    ("award_kind", "Award kind"),
    ("job", "Background job"),
    ("unit", "Organisation unit"),
];

pub fn target_label(kind: &str) -> &str {
    TARGET_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(kind, |(_, label)| label)
}

/// Where a target can be seen in Skillmap, when it has a page.
pub fn target_href(kind: &str, id: i32) -> Option<String> {
    match kind {
        "person" => Some(format!("/people/{id}")),
        "role" => Some(format!("/roles/{id}")),
        "import" => Some(format!("/admin/import/{id}")),
        "resource" => Some(format!("/learning/catalogue/{id}")),
        _ => None,
    }
}

/// The filters, as the page's query string carries them. Every field is
/// optional; empty strings count as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    /// Part of the acting account's email address.
    pub actor: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    /// Dates, `YYYY-MM-DD`, inclusive, in UTC.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Show events older than this id (the "Older events" link).
    pub before: Option<i32>,
}

/// The filters once checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub action: Option<Action>,
    pub actor: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<i32>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    pub before: Option<i32>,
}

fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl AuditQuery {
    /// Checks the filters, naming each one at fault.
    pub fn check(&self) -> Result<Filters, Vec<FieldError>> {
        let mut errors = Vec::new();
        let action = present(&self.action).and_then(|code| {
            let found = Action::parse(code);
            if found.is_none() {
                errors.push(FieldError::new("action", "Choose an action from the list"));
            }
            found
        });
        let target_kind = present(&self.target_kind).and_then(|kind| {
            if TARGET_KINDS.iter().any(|(k, _)| *k == kind) {
                Some(kind.to_string())
            } else {
                errors.push(FieldError::new(
                    "target_kind",
                    "Choose a kind of record from the list",
                ));
                None
            }
        });
        let target_id = present(&self.target_id).and_then(|id| match id.parse::<i32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors.push(FieldError::new(
                    "target_id",
                    "Record number must be a whole number, like 42",
                ));
                None
            }
        });
        let mut date = |field: &str, label: &str, value: &Option<String>| {
            present(value).and_then(|s| {
                let parsed = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
                if parsed.is_none() {
                    errors.push(FieldError::new(
                        field,
                        format!("{label} must be a real date, like 2026-11-26"),
                    ));
                }
                parsed
            })
        };
        let from = date("from", "From", &self.from);
        let to = date("to", "To", &self.to);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            errors.push(FieldError::new(
                "to",
                "To must be the same as or after From",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filters {
            action,
            actor: present(&self.actor).map(str::to_lowercase),
            target_kind,
            target_id,
            from,
            to,
            before: self.before.filter(|b| *b > 0),
        })
    }

    /// Which filters are set, for the record of a download: names only, as
    /// the values may be another person's email address.
    pub fn filter_names(&self) -> String {
        let set: Vec<&str> = self
            .pairs()
            .iter()
            .filter(|(_, v)| present(v).is_some())
            .map(|(k, _)| *k)
            .collect();
        if set.is_empty() {
            "no filters".into()
        } else {
            format!("filtered by {}", set.join(", "))
        }
    }

    fn pairs(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("action", &self.action),
            ("actor", &self.actor),
            ("target_kind", &self.target_kind),
            ("target_id", &self.target_id),
            ("from", &self.from),
            ("to", &self.to),
        ]
    }

    /// The query string for these filters (without `before`), for the CSV
    /// link and the next page.
    pub fn to_query_string(&self) -> String {
        self.pairs()
            .iter()
            .filter_map(|(k, v)| present(v).map(|v| format!("{k}={}", encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One event as the page and the CSV show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i32,
    /// UTC, `2026-11-26 10:15:02`.
    pub at: String,
    pub actor_id: Option<i32>,
    /// The account's email now, "System", or "Erased account 12".
    pub actor: String,
    pub action: String,
    pub action_label: String,
    pub target_kind: Option<String>,
    pub target_id: Option<i32>,
    pub detail: String,
    pub ip: Option<String>,
    /// How many times it happened: failed sign-ins and refusals repeated
    /// within a minute, from one network, are one row (the first's).
    pub count: u32,
}

impl AuditRow {
    pub fn target_text(&self) -> String {
        match (&self.target_kind, self.target_id) {
            (Some(kind), Some(id)) => format!("{} {id}", target_label(kind)),
            (Some(kind), None) => target_label(kind).to_string(),
            _ => String::new(),
        }
    }
}

/// One page of the trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// The `before` id for the next (older) page, when there is one.
    pub older: Option<i32>,
}

/// The trail as CSV, one row per event, newest first (as shown). Every
/// text cell passes the formula-injection escape.
#[cfg(feature = "server")]
pub fn to_csv(rows: &[AuditRow]) -> String {
    let mut out = crate::kernel::csv::SafeCsv::default();
    out.row([
        "id",
        "at_utc",
        "actor_id",
        "actor",
        "action",
        "target_kind",
        "target_id",
        "detail",
        "ip",
        "count",
    ]);
    for r in rows {
        out.row([
            r.id.to_string(),
            r.at.clone(),
            r.actor_id.map(|i| i.to_string()).unwrap_or_default(),
            r.actor.clone(),
            r.action.clone(),
            r.target_kind.clone().unwrap_or_default(),
            r.target_id.map(|i| i.to_string()).unwrap_or_default(),
            r.detail.clone(),
            r.ip.clone().unwrap_or_default(),
            r.count.to_string(),
        ]);
    }
    out.finish()
}

/// The job queue as administrators see it: how much waits, and the jobs
/// that failed (dead ones may be tried again).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub queued: u64,
    pub running: u64,
    pub retrying: u64,
    pub dead: u64,
    /// Email waiting to be sent (now, or in a daily summary).
    pub email_waiting: u64,
    pub jobs: Vec<QueueJob>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueJob {
    pub id: i32,
    /// What it does, for people ("Send an email").
    pub what: String,
    pub dead: bool,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: String,
    pub created_at: String,
    /// When it is tried next, or when it died.
    pub next_or_died: String,
}

/// A job kind as people read it.
pub fn job_label(kind: &str) -> String {
    match kind {
        "import.commit" => "Import a file".into(),
        "mail.notice" => "Send an email".into(),
        "mail.digest" => "Send a daily summary email".into(),
        "notify.levels_waiting" => "Tell a manager about levels to agree".into(),
        "daily" => "Daily summaries and clean-up".into(),
        "purge" => "Remove ended sessions and old import files".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_codes_round_trip_and_are_unique() {
        let mut codes: Vec<&str> = Action::ALL.iter().map(|a| a.code()).collect();
        for a in Action::ALL {
            assert_eq!(Action::parse(a.code()), Some(*a));
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Action::ALL.len());
    }

    #[test]
    fn filters_name_each_field_at_fault() {
        let q = AuditQuery {
            action: Some("explode".into()),
            target_kind: Some("planet".into()),
            target_id: Some("x1".into()),
            from: Some("2026-02-30".into()),
            to: Some("yesterday".into()),
            ..Default::default()
        };
        let fields: Vec<String> = q
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["action", "target_kind", "target_id", "from", "to"]);
        let backwards = AuditQuery {
            from: Some("2026-11-26".into()),
            to: Some("2026-11-01".into()),
            ..Default::default()
        };
        assert_eq!(backwards.check().unwrap_err()[0].field, "to");
    }

    #[test]
    fn empty_filters_are_absent_and_good_ones_parse() {
        let q = AuditQuery {
            action: Some("sign_in".into()),
            actor: Some("  HR@Example ".into()),
            target_kind: Some(String::new()),
            target_id: Some(" 7 ".into()),
            from: Some("2026-11-01".into()),
            ..Default::default()
        };
        let f = q.check().unwrap();
        assert_eq!(f.action, Some(Action::SignIn));
        assert_eq!(f.actor.as_deref(), Some("hr@example"));
        assert_eq!(f.target_kind, None);
        assert_eq!(f.target_id, Some(7));
        assert_eq!(
            q.to_query_string(),
            "action=sign_in&actor=HR%40Example&target_id=7&from=2026-11-01"
        );
        assert_eq!(
            q.filter_names(),
            "filtered by action, actor, target_id, from"
        );
        assert_eq!(AuditQuery::default().filter_names(), "no filters");
    }

    #[cfg(feature = "server")]
    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let row = AuditRow {
            id: 1,
            at: "2026-11-26 10:00:00".into(),
            actor_id: None,
            actor: "System".into(),
            action: "import_committed".into(),
            action_label: String::new(),
            target_kind: Some("import".into()),
            target_id: Some(3),
            detail: "=cmd, \"x\"".into(),
            ip: None,
            count: 1,
        };
        let csv = to_csv(&[row]);
        assert!(
            csv.ends_with(
                "1,2026-11-26 10:00:00,,System,import_committed,import,3,\"'=cmd, \"\"x\"\"\",,1\n"
            ),
            "{csv}"
        );
    }
}
