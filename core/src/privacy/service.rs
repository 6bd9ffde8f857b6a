//! Data rights, against any connection: the export a person downloads,
//! erasing a leaver, and the retention review.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;

use chrono::{DateTime, Months, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JsonValue,
    PaginatorTrait, QueryFilter, QueryOrder, Statement, TransactionSession, TransactionTrait,
};

use super::model::{ErasePreview, FORMER_COLLEAGUE, Retention, RetentionRow};
use crate::audit::model::{Action, target_label};
use crate::auth::model::{CurrentUser, Role};
use crate::entities::{
    account, assessment, assessment_event, audit_event, badge, import_job, pathway, pathway_step,
    person, recognition,
};
use crate::error::AppError;
use crate::kernel::audit;
use crate::kernel::csv::SafeCsv;
use crate::people::model::full_name;

/// What the export does with one column of a table it reads. The export is
/// the person's own data: anyone else appears by name (and role) at most,
/// never by their ids, addresses or choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    /// The person's own data, as stored.
    Own,
    /// Another person's staff record id: exported as their name, under
    /// this key (a former colleague once they are erased).
    Named(&'static str),
    /// A name stored for someone else: kept, but an email address (how an
    /// account without a staff record is known) is not.
    Name,
    /// Not exported: a secret, or someone else's id or choice.
    Withheld,
}

use Col::{Name, Named, Own, Withheld};

const PERSON: &[(&str, Col)] = &[
    ("id", Own),
    ("employee_number", Own),
    ("given_name", Own),
    ("family_name", Own),
    ("email", Own),
    ("staff_group", Own),
    ("band", Own),
    // The organisation they belong to (their unit's).
    ("organisation_id", Own),
    ("org_unit_id", Own),
    ("job_role_id", Own),
    ("line_manager_id", Named("line_manager")),
    ("created_at", Own),
];

const ACCOUNT: &[(&str, Col)] = &[
    ("id", Own),
    ("email", Own),
    // A secret, not data: not even to its owner.
    ("password_hash", Withheld),
    ("role", Own),
    ("disabled", Own),
    ("person_id", Own),
    ("organisation_id", Own),
    ("created_at", Own),
    ("last_login_at", Own),
    ("disabled_at", Own),
    ("break_glass", Own),
];

/// Their identities at single sign-on providers (the subject is theirs).
const SSO_LINK: &[(&str, Col)] = &[
    ("id", Own),
    ("account_id", Own),
    ("provider", Own),
    ("subject", Own),
    ("created_at", Own),
    ("last_used_at", Own),
];

const NOTIFICATION: &[(&str, Col)] = &[
    ("id", Own),
    ("account_id", Own),
    ("kind", Own),
    ("title", Own),
    ("body", Own),
    ("link", Own),
    ("created_at", Own),
    ("read_at", Own),
    ("email_state", Own),
    ("emailed_at", Own),
    ("dedupe_key", Withheld),
];

const SKILLS_REVIEW: &[(&str, Col)] = &[
    ("id", Own),
    ("person_id", Own),
    ("completed_at", Own),
    ("confirmed", Own),
    ("changed", Own),
];

const NOTIFICATION_PREF: &[(&str, Col)] = &[
    ("account_id", Own),
    ("daily_digest", Own),
    ("muted", Own),
    ("updated_at", Own),
];

const ASSESSMENT: &[(&str, Col)] = &[
    ("id", Own),
    ("person_id", Own),
    ("skill_code", Own),
    ("framework_version", Own),
    ("self_level", Own),
    ("confidence", Own),
    ("evidence", Own),
    ("evidence_url", Own),
    ("agreed_level", Own),
    ("status", Own),
    ("manager_comment", Own),
    ("reviewed_by", Named("reviewed_by")),
    ("reviewed_at", Own),
    ("revision", Own),
    ("updated_at", Own),
];

const ASSESSMENT_EVENT: &[(&str, Col)] = &[
    ("id", Own),
    ("assessment_id", Own),
    ("person_id", Own),
    ("skill_code", Own),
    ("actor_person_id", Withheld),
    ("actor_name", Name),
    ("kind", Own),
    ("from_level", Own),
    ("to_level", Own),
    ("comment", Own),
    ("at", Own),
];

const CAPABILITY: &[(&str, Col)] = &[
    ("person_id", Own),
    ("org_unit_id", Own),
    ("staff_group", Own),
    ("band", Own),
    ("lead_domains", Own),
    ("digital", Own),
    ("interest_short", Own),
];

const SKILL_INTEREST: &[(&str, Col)] = &[
    ("person_id", Own),
    ("skill_code", Own),
    ("develop", Own),
    ("help", Own),
    ("updated_at", Own),
];

const DIRECTORY_LEVEL: &[(&str, Col)] = &[
    ("person_id", Own),
    ("skill_code", Own),
    ("level", Own),
    ("agreed", Own),
];

const DIRECTORY_ENTRY: &[(&str, Col)] = &[
    ("person_id", Own),
    ("show_self_assessed", Own),
    ("contact", Own),
    ("joined_at", Own),
];

const PATHWAY: &[(&str, Col)] = &[
    ("id", Own),
    ("person_id", Own),
    ("aspiration_role_id", Own),
    ("weekly_minutes", Own),
    ("created_at", Own),
    ("updated_at", Own),
];

const PATHWAY_STEP: &[(&str, Col)] = &[
    ("id", Own),
    ("pathway_id", Own),
    ("position", Own),
    ("resource_id", Own),
    ("mentor_id", Named("mentor")),
    ("skills", Own),
    ("reason", Own),
    ("status", Own),
    ("started_at", Own),
    ("done_at", Own),
];

const MENTOR: &[(&str, Col)] = &[("person_id", Own), ("since", Own)];

const RECEIVED: &[(&str, Col)] = &[
    ("id", Own),
    ("person_id", Own),
    ("kind", Own),
    ("skill_code", Own),
    ("skill_name", Own),
    ("award_kind_id", Own),
    ("award_name", Own),
    ("message", Own),
    ("given_by_id", Withheld),
    ("given_by_name", Name),
    ("created_at", Own),
    ("hidden", Own),
];

const GIVEN: &[(&str, Col)] = &[
    ("id", Own),
    ("person_id", Named("given_to")),
    ("kind", Own),
    ("skill_code", Own),
    ("skill_name", Own),
    ("award_kind_id", Own),
    ("award_name", Own),
    ("message", Own),
    ("given_by_id", Own),
    ("given_by_name", Own),
    ("created_at", Own),
    // Whether the recipient hid it is their choice, not the giver's data.
    ("hidden", Withheld),
];

const BADGE: &[(&str, Col)] = &[
    ("id", Own),
    ("uuid", Own),
    ("person_id", Own),
    ("skill_code", Own),
    ("skill_name", Own),
    ("level", Own),
    ("source", Own),
    ("evidence", Own),
    ("awarded_by_id", Named("awarded_by")),
    ("issued_at", Own),
    ("hidden", Own),
    ("revoked_at", Own),
    ("revoked_reason", Own),
    // The organisation that issued it.
    ("organisation_id", Own),
];

/// Their moves between organisations of the system.
const PERSON_MOVE: &[(&str, Col)] = &[
    ("id", Own),
    ("person_id", Own),
    ("from_organisation_id", Own),
    ("to_organisation_id", Own),
    ("moved_at", Own),
];

/// A skills passport they uploaded and have not imported yet.
const PASSPORT_UPLOAD: &[(&str, Col)] = &[
    ("id", Own),
    ("person_id", Own),
    ("token", Own),
    ("uploaded_at", Own),
];

/// The audit trail's columns, all read by `audit_row` but the organisation
/// whose trail an event joins (the actor's: not exported, it says nothing
/// of the person).
const AUDIT: &[&str] = &[
    "id",
    "at",
    "actor_id",
    "action",
    "target_kind",
    "target_id",
    "detail",
    "ip",
    "organisation_id",
];

/// Events about someone else whose detail is kept in the export (it names
/// a skill, a level or a record of the person's own); any other event
/// about someone else is exported without its detail.
const DETAIL_ABOUT_OTHERS: &[Action] = &[
    Action::LevelReviewed,
    Action::RecognitionGiven,
    Action::AccountDisabled,
    Action::AccountEnabled,
];

/// How a stored name that is an email address is exported.
const SOMEONE: &str = "A colleague";

/// One table of the export: the rows that are about the person, and what
/// each column becomes.
struct Part {
    name: &'static str,
    sql: String,
    columns: &'static [(&'static str, Col)],
}

/// Every table that holds something about a person or their account, and
/// the rows that do. Ids are integers from the session, so they are written
/// into the SQL as numbers. Sessions are left out (the audit trail has the
/// sign-ins; a session's id is a secret); the audit trail is `audit_sql`.
fn parts(person: i32, account: i32) -> Vec<Part> {
    let p = person;
    let a = account;
    let part = |name: &'static str, sql: String, columns: &'static [(&'static str, Col)]| Part {
        name,
        sql,
        columns,
    };
    vec![
        part(
            "person",
            format!("SELECT * FROM person WHERE id = {p}"),
            PERSON,
        ),
        part(
            "account",
            format!("SELECT * FROM account WHERE id = {a}"),
            ACCOUNT,
        ),
        part(
            "single_sign_on_links",
            format!("SELECT * FROM sso_link WHERE account_id = {a} ORDER BY id"),
            SSO_LINK,
        ),
        part(
            "skills_reviews",
            format!("SELECT * FROM skills_review WHERE person_id = {p} ORDER BY id"),
            SKILLS_REVIEW,
        ),
        part(
            "skill_interests",
            format!("SELECT * FROM skill_interest WHERE person_id = {p} ORDER BY skill_code"),
            SKILL_INTEREST,
        ),
        part(
            "directory_listing",
            format!("SELECT * FROM directory_entry WHERE person_id = {p}"),
            DIRECTORY_ENTRY,
        ),
        part(
            "directory_levels",
            format!("SELECT * FROM directory_level WHERE person_id = {p} ORDER BY skill_code"),
            DIRECTORY_LEVEL,
        ),
        part(
            "notifications",
            format!("SELECT * FROM notification WHERE account_id = {a} ORDER BY id"),
            NOTIFICATION,
        ),
        part(
            "email_settings",
            format!("SELECT * FROM notification_pref WHERE account_id = {a}"),
            NOTIFICATION_PREF,
        ),
        part(
            "assessments",
            format!("SELECT * FROM assessment WHERE person_id = {p} ORDER BY id"),
            ASSESSMENT,
        ),
        part(
            "assessment_history",
            format!("SELECT * FROM assessment_event WHERE person_id = {p} ORDER BY id"),
            ASSESSMENT_EVENT,
        ),
        part(
            "capability_summary",
            format!("SELECT * FROM person_capability WHERE person_id = {p}"),
            CAPABILITY,
        ),
        part(
            "pathways",
            format!("SELECT * FROM pathway WHERE person_id = {p} ORDER BY id"),
            PATHWAY,
        ),
        part(
            "pathway_steps",
            format!(
                "SELECT * FROM pathway_step WHERE pathway_id IN \
                 (SELECT id FROM pathway WHERE person_id = {p}) ORDER BY pathway_id, position"
            ),
            PATHWAY_STEP,
        ),
        part(
            "mentoring_offer",
            format!("SELECT * FROM mentor WHERE person_id = {p}"),
            MENTOR,
        ),
        part(
            "recognition_received",
            format!("SELECT * FROM recognition WHERE person_id = {p} ORDER BY id"),
            RECEIVED,
        ),
        part(
            "recognition_given",
            format!("SELECT * FROM recognition WHERE given_by_id = {p} ORDER BY id"),
            GIVEN,
        ),
        part(
            "badges",
            format!("SELECT * FROM badge WHERE person_id = {p} ORDER BY id"),
            BADGE,
        ),
        part(
            "moves",
            format!("SELECT * FROM person_move WHERE person_id = {p} ORDER BY id"),
            PERSON_MOVE,
        ),
        part(
            "passport_uploads",
            format!("SELECT * FROM passport_upload WHERE person_id = {p} ORDER BY id"),
            PASSPORT_UPLOAD,
        ),
    ]
}

/// What the person did, and what was done to their records.
fn audit_sql(person: i32, account: i32) -> String {
    format!(
        "SELECT * FROM audit_event WHERE actor_id = {account} \
         OR (target_kind = 'account' AND target_id = {account}) \
         OR (target_kind = 'person' AND target_id = {person}) ORDER BY id"
    )
}

fn id_of(value: Option<&JsonValue>) -> Option<i32> {
    value
        .and_then(JsonValue::as_i64)
        .and_then(|v| i32::try_from(v).ok())
}

/// The columns of `row` that `known` does not list, and the listed ones
/// it lacks: each is a decision nobody has made yet.
fn unclassified(
    table: &str,
    row: Option<&JsonValue>,
    known: impl Iterator<Item = &'static str> + Clone,
) -> Vec<String> {
    let Some(JsonValue::Object(row)) = row else {
        return Vec::new();
    };
    let mut out: Vec<String> = row
        .keys()
        .filter(|k| !known.clone().any(|c| c == k.as_str()))
        .map(|k| format!("{table}.{k}"))
        .collect();
    out.extend(
        known
            .filter(|c| !row.contains_key(*c))
            .map(|c| format!("{table}.{c} (missing)")),
    );
    out
}

/// A row with only what the export may show of it.
fn shown(row: &JsonValue, columns: &[(&str, Col)], names: &HashMap<i32, String>) -> JsonValue {
    let mut out = serde_json::Map::new();
    for (column, rule) in columns {
        let value = row.get(*column).cloned().unwrap_or(JsonValue::Null);
        match rule {
            Own => {
                out.insert(column.to_string(), value);
            }
            Withheld => {}
            Named(key) => {
                let name = id_of(Some(&value)).map(|id| {
                    JsonValue::String(
                        names
                            .get(&id)
                            .cloned()
                            .unwrap_or_else(|| FORMER_COLLEAGUE.to_string()),
                    )
                });
                out.insert(key.to_string(), name.unwrap_or(JsonValue::Null));
            }
            Name => {
                let value = match value {
                    JsonValue::String(s) if s.contains('@') => JsonValue::String(SOMEONE.into()),
                    other => other,
                };
                out.insert(column.to_string(), value);
            }
        }
    }
    JsonValue::Object(out)
}

/// Another account, as the export may show it.
struct Other {
    person_id: Option<i32>,
    role: Option<Role>,
}

/// Another account by name and role ("Jo Bloggs (Manager)"); a former
/// colleague once it is erased.
fn account_label(id: i32, others: &HashMap<i32, Other>, names: &HashMap<i32, String>) -> String {
    let Some(other) = others.get(&id) else {
        return FORMER_COLLEAGUE.to_string();
    };
    match (other.person_id.and_then(|p| names.get(&p)), other.role) {
        (Some(name), Some(role)) => format!("{name} ({})", role.label()),
        (Some(name), None) => name.clone(),
        (None, Some(role)) => format!("{} without a staff record", role.label()),
        (None, None) => SOMEONE.to_string(),
    }
}

/// One event of the audit trail as the person may see it: by whom and
/// about whom in words ("You", "Jo Bloggs (Manager)"), never another
/// account's id or address. An address is kept only for what the person
/// did signed in (a failed sign-in may have been anyone's).
fn audit_row(
    e: &JsonValue,
    (person, account): (i32, i32),
    others: &HashMap<i32, Other>,
    names: &HashMap<i32, String>,
) -> JsonValue {
    let action = e
        .get("action")
        .and_then(JsonValue::as_str)
        .unwrap_or_default();
    let failed = action == Action::SignInFailed.code();
    let actor = id_of(e.get("actor_id"));
    let mine = actor == Some(account) && !failed;
    let by = if failed {
        "Someone signing in to your account".to_string()
    } else if mine {
        "You".to_string()
    } else {
        match actor {
            None => "Skillmap (nobody signed in)".to_string(),
            Some(id) => account_label(id, others, names),
        }
    };
    let kind = e.get("target_kind").and_then(JsonValue::as_str);
    let (target, about_other) = match (kind, id_of(e.get("target_id"))) {
        (Some("account"), Some(id)) if id == account => ("Your account".to_string(), false),
        (Some("person"), Some(id)) if id == person => ("Your staff record".to_string(), false),
        (Some("account"), Some(id)) => (account_label(id, others, names), true),
        (Some("person"), Some(id)) => (
            names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| FORMER_COLLEAGUE.to_string()),
            true,
        ),
        (Some(kind), Some(id)) => (format!("{} {id}", target_label(kind)), false),
        (Some(kind), None) => (target_label(kind).to_string(), false),
        (None, _) => (String::new(), false),
    };
    let detail = if about_other && !DETAIL_ABOUT_OTHERS.iter().any(|a| a.code() == action) {
        JsonValue::Null
    } else {
        e.get("detail").cloned().unwrap_or(JsonValue::Null)
    };
    let ip = if mine {
        e.get("ip").cloned().unwrap_or(JsonValue::Null)
    } else {
        JsonValue::Null
    };
    serde_json::json!({
        "id": e.get("id"),
        "at": e.get("at"),
        "action": action,
        "what": Action::parse(action).map(Action::label),
        "by": by,
        "target": (!target.is_empty()).then_some(target),
        "detail": detail,
        "ip": ip,
    })
}

/// The export's tables, each row showing only what it may, and the columns
/// met that no rule covers (left out; a test keeps this empty).
async fn tables(
    db: &impl ConnectionTrait,
    person: i32,
    account: i32,
) -> Result<(serde_json::Map<String, JsonValue>, Vec<String>), AppError> {
    let backend = db.get_database_backend();
    let read = async |sql: String| {
        JsonValue::find_by_statement(Statement::from_string(backend, sql))
            .all(db)
            .await
    };
    let mut raw = Vec::new();
    for part in parts(person, account) {
        let rows = read(part.sql.clone()).await?;
        raw.push((part, rows));
    }
    let trail = read(audit_sql(person, account)).await?;

    // Everyone else the rows point at, named in one query each.
    let mut people: HashSet<i32> = HashSet::new();
    let mut accounts: HashSet<i32> = HashSet::new();
    for (part, rows) in &raw {
        for row in rows {
            for (column, rule) in part.columns {
                if let (Named(_), Some(id)) = (rule, id_of(row.get(*column))) {
                    people.insert(id);
                }
            }
        }
    }
    for e in &trail {
        accounts.extend(id_of(e.get("actor_id")));
        match e.get("target_kind").and_then(JsonValue::as_str) {
            Some("account") => accounts.extend(id_of(e.get("target_id"))),
            Some("person") => people.extend(id_of(e.get("target_id"))),
            _ => {}
        }
    }
    accounts.remove(&account);
    let others: HashMap<i32, Other> = if accounts.is_empty() {
        HashMap::new()
    } else {
        account::Entity::find()
            .filter(account::Column::Id.is_in(accounts))
            .all(db)
            .await?
            .into_iter()
            .map(|a| {
                let other = Other {
                    person_id: a.person_id,
                    role: Role::parse(&a.role),
                };
                (a.id, other)
            })
            .collect()
    };
    people.extend(others.values().filter_map(|o| o.person_id));
    let names: HashMap<i32, String> = if people.is_empty() {
        HashMap::new()
    } else {
        person::Entity::find()
            .filter(person::Column::Id.is_in(people))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, full_name(&p.given_name, &p.family_name)))
            .collect()
    };

    let mut tables = serde_json::Map::new();
    let mut unknown = Vec::new();
    for (part, rows) in raw {
        let known = part.columns.iter().map(|(c, _)| *c);
        unknown.extend(unclassified(part.name, rows.first(), known));
        let rows = rows
            .iter()
            .map(|row| shown(row, part.columns, &names))
            .collect();
        tables.insert(part.name.to_string(), JsonValue::Array(rows));
    }
    unknown.extend(unclassified(
        "audit_trail",
        trail.first(),
        AUDIT.iter().copied(),
    ));
    let trail = trail
        .iter()
        .map(|e| audit_row(e, (person, account), &others, &names))
        .collect();
    tables.insert("audit_trail".to_string(), JsonValue::Array(trail));
    Ok((tables, unknown))
}

fn to_csv(rows: &[JsonValue]) -> String {
    let mut out = SafeCsv::default();
    let Some(JsonValue::Object(first)) = rows.first() else {
        return String::new();
    };
    let columns: Vec<String> = first.keys().cloned().collect();
    out.row(&columns);
    for row in rows {
        out.row(columns.iter().map(|c| match row.get(c) {
            None | Some(JsonValue::Null) => String::new(),
            Some(JsonValue::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }));
    }
    out.finish()
}

const README: &str = "Your data from Skillmap\n\
=======================\n\n\
skillmap-data.json holds everything Skillmap keeps about you, table by table;\n\
each table is also a CSV file of the same name, for a spreadsheet.\n\n\
person                 your staff record (from HR), with your line manager's name\n\
account                your sign-in account (the password is stored only as a hash, not included)\n\
single_sign_on_links   the identities at sign-in services (NHS CIS2, NHSmail) linked to it\n\
skills_reviews         each time you reviewed your skills profile\n\
skill_interests        skills you would like to develop, or help others with\n\
directory_listing      whether you are listed in the expertise directory, and how\n\
directory_levels       the levels colleagues can find you by there\n\
notifications          what Skillmap told you, and whether it was emailed\n\
email_settings         what you chose to get email about\n\
assessments            your skill levels, evidence, and your manager's agreed levels\n\
assessment_history     every change to those levels, and who made it\n\
capability_summary     the figures the team and organisation reports count you in\n\
pathways, pathway_steps your learning pathways and their steps (a mentor by name)\n\
mentoring_offer        whether you offered to mentor\n\
recognition_received   endorsements and awards colleagues gave you\n\
recognition_given      endorsements and awards you gave, and to whom\n\
badges                 your badges (download each credential from My recognition)\n\
moves                  your moves between organisations of this system\n\
passport_uploads       a skills passport you uploaded and have not imported yet\n\
audit_trail            what you did in Skillmap, and what others did to your records\n\n\
Other people appear by name and role only: this file holds none of their\n\
record numbers, sign-in details or addresses. The audit trail keeps the\n\
internet address of what you did while signed in; failed sign-ins to your\n\
account are listed without one, as they may not have been you.\n\n\
Times are UTC. Levels: 1 Awareness, 2 Working, 3 Practitioner, 4 Expert.\n\
To correct anything, ask your HR team; they can also erase your data when you leave.\n";

/// Everything Skillmap holds about the signed-in user, as a zip of JSON
/// and CSV files: their own data, with others named at most. Recorded in
/// the audit trail.
pub async fn export(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    by: audit::Actor,
) -> Result<Vec<u8>, AppError> {
    // -1 matches nothing: an account with no staff record has only itself.
    let person = user.person_id.unwrap_or(-1);
    let (tables, unknown) = tables(db, person, user.account_id).await?;
    if !unknown.is_empty() {
        // Left out until someone decides whether they are the person's own.
        tracing::warn!(columns = ?unknown, "columns the data export does not know were left out");
    }
    let document = serde_json::json!({
        "generated_at": Utc::now().to_rfc3339(),
        "account_id": user.account_id,
        "person_id": user.person_id,
        "tables": tables,
    });
    let zip = write_zip(&document).map_err(|e| {
        tracing::error!(error = %e, "could not write the data export");
        AppError::Internal
    })?;
    let detail = format!("{} bytes", zip.len());
    let target = Some(("account", user.account_id));
    audit::record(db, by, Action::DataDownloaded, target, detail).await?;
    Ok(zip)
}

fn write_zip(document: &JsonValue) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    use zip::write::SimpleFileOptions;
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("README.txt", options)?;
    zip.write_all(README.as_bytes())?;
    zip.start_file("skillmap-data.json", options)?;
    zip.write_all(serde_json::to_string_pretty(document)?.as_bytes())?;
    if let Some(JsonValue::Object(tables)) = document.get("tables") {
        for (name, rows) in tables {
            let rows = rows.as_array().map(Vec::as_slice).unwrap_or_default();
            zip.start_file(format!("{name}.csv"), options)?;
            zip.write_all(to_csv(rows).as_bytes())?;
        }
    }
    Ok(zip.finish()?.into_inner())
}

/// What erasing this person of organisation `org` would remove; someone of
/// another organisation is not found.
pub async fn erase_preview(
    db: &impl ConnectionTrait,
    org: i32,
    person_id: i32,
) -> Result<ErasePreview, AppError> {
    let p = person::Entity::find_by_id(person_id)
        .filter(person::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That person".into()))?;
    let acc = account::Entity::find()
        .filter(account::Column::PersonId.eq(person_id))
        .one(db)
        .await?;
    let pathways: Vec<i32> = pathway::Entity::find()
        .filter(pathway::Column::PersonId.eq(person_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok(ErasePreview {
        person_id,
        name: full_name(&p.given_name, &p.family_name),
        employee_number: p.employee_number,
        account_disabled: acc.as_ref().is_some_and(|a| a.disabled),
        account: acc.map(|a| a.email),
        assessments: assessment::Entity::find()
            .filter(assessment::Column::PersonId.eq(person_id))
            .count(db)
            .await?,
        recognition: recognition::Entity::find()
            .filter(recognition::Column::PersonId.eq(person_id))
            .count(db)
            .await?,
        badges: badge::Entity::find()
            .filter(badge::Column::PersonId.eq(person_id))
            .count(db)
            .await?,
        pathway_steps: pathway_step::Entity::find()
            .filter(pathway_step::Column::PathwayId.is_in(pathways))
            .count(db)
            .await?,
        direct_reports: person::Entity::find()
            .filter(person::Column::LineManagerId.eq(person_id))
            .count(db)
            .await?,
    })
}

/// Erases a leaver: their staff record, account, assessments with their
/// evidence and history, pathways, mentoring offer, and the recognition and
/// badges they received, in one transaction. Others' records keep what
/// they are (an award given, a level agreed, mentoring offered) but no
/// longer name them: those that point at them by id read as a former
/// colleague, and the few that held a copy of their name lose it. The
/// audit trail keeps its events, by ids, without the addresses their
/// account used; finished imports lose their files. The team figures are
/// recomputed without them; the monthly trend keeps its history. The trail
/// records the erasure by ids and counts only. Only someone of `acting`'s
/// organisation: anyone else is not found.
pub async fn erase(
    db: &(impl ConnectionTrait + TransactionTrait),
    by: audit::Actor,
    acting: &CurrentUser,
    person_id: i32,
    confirm: &str,
) -> Result<ErasePreview, AppError> {
    if acting.person_id == Some(person_id) {
        return Err(AppError::Conflict(
            "You cannot erase your own record. Ask another HR colleague.".into(),
        ));
    }
    let org = acting.organisation()?;
    let txn = crate::kernel::begin_write(db).await?;
    let preview = erase_preview(&txn, org, person_id).await?;
    super::model::check_confirm(confirm, &preview.employee_number)
        .map_err(|e| AppError::Validation(vec![e]))?;
    if let Some(why) = preview.blocker() {
        return Err(AppError::Conflict(why));
    }
    let p = person::Entity::find_by_id(person_id)
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    let acc = account::Entity::find()
        .filter(account::Column::PersonId.eq(person_id))
        .one(&txn)
        .await?;

    // Others' records that name them keep the record, not the name.
    crate::people::service::release_reports(&txn, person_id).await?;
    recognition::Entity::update_many()
        .col_expr(
            recognition::Column::GivenByName,
            Expr::value(FORMER_COLLEAGUE),
        )
        .col_expr(
            recognition::Column::GivenById,
            Expr::value(Option::<i32>::None),
        )
        .filter(recognition::Column::GivenById.eq(person_id))
        .exec(&txn)
        .await?;
    assessment_event::Entity::update_many()
        .col_expr(
            assessment_event::Column::ActorName,
            Expr::value(FORMER_COLLEAGUE),
        )
        .col_expr(
            assessment_event::Column::ActorPersonId,
            Expr::value(Option::<i32>::None),
        )
        .filter(assessment_event::Column::ActorPersonId.eq(person_id))
        .exec(&txn)
        .await?;
    // Badges they agreed and mentoring they offered keep them by id, named
    // when read: without the id they read as a former colleague. (The
    // foreign keys would clear these too; said here, where erasure is.)
    badge::Entity::update_many()
        .col_expr(badge::Column::AwardedById, Expr::value(Option::<i32>::None))
        .filter(badge::Column::AwardedById.eq(person_id))
        .exec(&txn)
        .await?;
    pathway_step::Entity::update_many()
        .col_expr(
            pathway_step::Column::MentorId,
            Expr::value(Option::<i32>::None),
        )
        .filter(pathway_step::Column::MentorId.eq(person_id))
        .exec(&txn)
        .await?;
    // Notices in other people's inboxes copied their name (an endorsement
    // they gave, a team list): it becomes "a former colleague" there too.
    // (Their own inbox goes with their account.)
    if !preview.name.trim().is_empty() {
        let backend = txn.get_database_backend();
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            crate::kernel::db::placeholders(
                backend,
                "UPDATE notification SET title = REPLACE(title, ?, 'A former colleague'), \
                 body = REPLACE(body, ?, 'a former colleague') \
                 WHERE (title LIKE ? OR body LIKE ?) AND account_id IN \
                 (SELECT id FROM account WHERE organisation_id = ?)",
            ),
            [
                preview.name.clone().into(),
                preview.name.clone().into(),
                format!("%{}%", preview.name).into(),
                format!("%{}%", preview.name).into(),
                org.into(),
            ],
        ))
        .await?;
    }
    let mut forgotten = 0;
    if let Some(a) = &acc {
        import_job::Entity::update_many()
            .col_expr(
                import_job::Column::Actor,
                Expr::value(format!("Erased account {}", a.id)),
            )
            .filter(import_job::Column::CreatedBy.eq(a.id))
            .exec(&txn)
            .await?;
        // The trail keeps what happened, by ids; where the account acted
        // from (and where anyone reached for it unsigned-in from) goes.
        // Setting `ip` to null is the one change the trail's triggers allow.
        forgotten = audit_event::Entity::update_many()
            .col_expr(audit_event::Column::Ip, Expr::value(Option::<String>::None))
            .filter(audit_event::Column::Ip.is_not_null())
            .filter(
                Condition::any()
                    .add(audit_event::Column::ActorId.eq(a.id))
                    .add(
                        Condition::all()
                            .add(audit_event::Column::ActorId.is_null())
                            .add(audit_event::Column::TargetKind.eq("account"))
                            .add(audit_event::Column::TargetId.eq(a.id)),
                    ),
            )
            .exec(&txn)
            .await?
            .rows_affected;
        // A repeated event's key is a digest that includes the source
        // network: the same events' keys are forgotten too.
        let backend = txn.get_database_backend();
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            crate::kernel::db::placeholders(
                backend,
                "UPDATE audit_repeat SET repeat_key = 'forgotten:' || CAST(event_id AS TEXT) \
                 WHERE repeat_key NOT LIKE 'forgotten:%' AND event_id IN (\
                   SELECT id FROM audit_event WHERE actor_id = ? \
                   OR (actor_id IS NULL AND target_kind = 'account' AND target_id = ?))",
            ),
            [a.id.into(), a.id.into()],
        ))
        .await?;
        // Sessions and set-password links go with it (cascade).
        account::Entity::delete_by_id(a.id).exec(&txn).await?;
    }
    // Uploaded import files, and the cell values of their problem reports,
    // may hold their staff record: every finished import of their
    // organisation's goes now.
    crate::import::service::purge_files_of(&txn, Some(org), chrono::Duration::zero(), Utc::now())
        .await?;
    // Assessments (and their history), pathways (and steps), the mentoring
    // offer, recognition and badges received, and the capability summary
    // go with the person (cascade).
    person::Entity::delete_by_id(person_id).exec(&txn).await?;
    crate::team::summary::refresh_units(&txn, &[p.org_unit_id]).await?;
    let detail = format!(
        "{} assessments, {} recognition, {} badges, {} pathway steps{}",
        preview.assessments,
        preview.recognition,
        preview.badges,
        preview.pathway_steps,
        acc.as_ref()
            .map(|a| format!(", account {}, {forgotten} addresses forgotten", a.id))
            .unwrap_or_default()
    );
    audit::record(
        &txn,
        by,
        Action::PersonErased,
        Some(("person", person_id)),
        detail,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(person = person_id, by = acting.account_id, "person erased");
    Ok(preview)
}

/// Accounts of organisation `org` disabled more than `months` ago (or at
/// an unrecorded time), oldest first: due for review, and for erasure if
/// they have left.
pub async fn retention(
    db: &impl ConnectionTrait,
    org: i32,
    months: u32,
    now: DateTime<Utc>,
) -> Result<Retention, AppError> {
    let cutoff = now.checked_sub_months(Months::new(months)).unwrap_or(now);
    let accounts = account::Entity::find()
        .filter(account::Column::OrganisationId.eq(org))
        .filter(account::Column::Disabled.eq(true))
        .filter(
            account::Column::DisabledAt
                .lt(cutoff)
                .or(account::Column::DisabledAt.is_null()),
        )
        .order_by_asc(account::Column::DisabledAt)
        .order_by_asc(account::Column::Email)
        .all(db)
        .await?;
    let ids: Vec<i32> = accounts.iter().filter_map(|a| a.person_id).collect();
    let names: std::collections::HashMap<i32, String> = person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, full_name(&p.given_name, &p.family_name)))
        .collect();
    Ok(Retention {
        months,
        rows: accounts
            .into_iter()
            .map(|a| RetentionRow {
                account_id: a.id,
                name: a.person_id.and_then(|p| names.get(&p).cloned()),
                person_id: a.person_id,
                disabled_since: a.disabled_at.map(|t| t.format("%-d %B %Y").to_string()),
                email: a.email,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use base64::Engine;
    use sea_orm::{ActiveModelTrait, Set};

    use super::*;
    use crate::auth::service::create_account;
    use crate::kernel::audit::{Actor, record};
    use crate::kernel::testing::{ORG, agree, assess, user};
    use crate::kernel::testing::{test_db, tiny_org};
    use crate::pathways::model::StepAction;
    use crate::pathways::service as pathways;
    use crate::recognition::service as recognition_service;

    const PASSWORD: &str = "a long enough passphrase";

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    /// `who` endorses `whom` for `skill`.
    async fn endorse(db: &sea_orm::DatabaseConnection, who: i32, whom: i32, skill: &str) {
        recognition_service::give(
            db,
            crate::kernel::audit::Actor::system(),
            &user(who, Role::Staff),
            whom,
            "endorsement",
            Some(skill),
            None,
            "Thank you",
        )
        .await
        .unwrap();
    }

    /// `mentor` reaches an agreed Expert level in DAT-ANA (agreed by `m`),
    /// offers mentoring, and `mentee` takes them on.
    async fn mentoring(db: &sea_orm::DatabaseConnection, m: i32, mentor: i32, mentee: i32) {
        assess(db, mentor, "DAT-ANA", 4).await;
        agree(db, m, mentor, "DAT-ANA").await;
        pathways::set_mentoring(db, mentor, true).await.unwrap();
        pathways::add_mentor(db, mentee, mentor, "DAT-ANA")
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_export_names_others_without_their_ids_or_addresses() {
        let t = test_db().await;
        let db = &t.db;
        crate::framework::service::ensure_default(db).await.unwrap();
        // `a` manages `b`; `c` is in HR.
        let o = tiny_org(db).await;
        let acc_a = create_account(
            db,
            "a@trust.example",
            Role::Manager,
            PASSWORD,
            Some(o.a),
            Some(ORG),
        )
        .await
        .unwrap();
        let acc_b = create_account(
            db,
            "b@trust.example",
            Role::Staff,
            PASSWORD,
            Some(o.b),
            Some(ORG),
        )
        .await
        .unwrap();
        let acc_c = create_account(
            db,
            "c@trust.example",
            Role::Hr,
            PASSWORD,
            Some(o.c),
            Some(ORG),
        )
        .await
        .unwrap();

        // Something in every table: a level `a` agreed (and its badge),
        // mentoring with `a`, an endorsement from `c`, one to `a`.
        assess(db, o.b, "DAT-VIS", 3).await;
        agree(db, o.a, o.b, "DAT-VIS").await;
        mentoring(db, o.m, o.a, o.b).await;
        pathways::set_mentoring(db, o.b, true).await.unwrap();
        endorse(db, o.c, o.b, "DAT-ANA").await;
        endorse(db, o.b, o.a, "DAT-VIS").await;
        // The trail: by `b` signed in, a failed sign-in to `b`'s account,
        // by `a` and by HR about `b`, and by `b` about `a`.
        let events = [
            (
                acc_b.id,
                "10.1.0.1",
                Action::SignIn,
                ("account", acc_b.id),
                "",
            ),
            (
                acc_b.id,
                "10.1.0.9",
                Action::SignInFailed,
                ("account", acc_b.id),
                "wrong password",
            ),
            (
                acc_a.id,
                "10.1.0.2",
                Action::LevelReviewed,
                ("person", o.b),
                "DAT-VIS agreed at level 3",
            ),
            (
                acc_c.id,
                "10.1.0.3",
                Action::AccountDisabled,
                ("account", acc_b.id),
                "",
            ),
            (
                acc_b.id,
                "10.1.0.1",
                Action::RecognitionGiven,
                ("person", o.a),
                "endorsement 2 (DAT-VIS)",
            ),
            (
                acc_b.id,
                "10.1.0.1",
                Action::BadgeRevoked,
                ("person", o.a),
                "badge 77",
            ),
        ];
        for (by, from, action, target, detail) in events {
            record(
                db,
                Actor::new(Some(by), ip(from)),
                action,
                Some(target),
                detail,
            )
            .await
            .unwrap();
        }

        crate::entities::sso_link::ActiveModel {
            account_id: Set(acc_b.id),
            provider: Set("cis2".into()),
            subject: Set("their-subject".into()),
            created_at: Set(chrono::Utc::now()),
            last_used_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        // A notice (and email choices) of their own, and a completed review.
        crate::notifications::service::notify(
            db,
            acc_b.id,
            crate::notifications::service::NewNotice::new(
                crate::notifications::model::Kind::Recognised,
                "Thanks",
                "For the help",
                "/recognition",
            ),
        )
        .await
        .unwrap();
        crate::notifications::service::save_preferences(
            db,
            acc_b.id,
            crate::auth::model::Role::Staff,
            true,
            &[],
        )
        .await
        .unwrap();
        crate::entities::skills_review::ActiveModel {
            person_id: Set(o.b),
            completed_at: Set(chrono::Utc::now()),
            confirmed: Set(1),
            changed: Set(0),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        crate::entities::skill_interest::ActiveModel {
            person_id: Set(o.b),
            skill_code: Set("DAT-VIS".into()),
            develop: Set(true),
            help: Set(false),
            updated_at: Set(chrono::Utc::now()),
        }
        .insert(db)
        .await
        .unwrap();
        crate::entities::directory_entry::ActiveModel {
            person_id: Set(o.b),
            show_self_assessed: Set(false),
            contact: Set("Teams".into()),
            joined_at: Set(chrono::Utc::now()),
        }
        .insert(db)
        .await
        .unwrap();
        db.execute_unprepared(&format!(
            "INSERT INTO directory_level (person_id, skill_code, level, agreed) \
             VALUES ({}, 'DAT-VIS', 2, FALSE)",
            o.b
        ))
        .await
        .unwrap();
        crate::entities::person_move::ActiveModel {
            person_id: Set(o.b),
            from_organisation_id: Set(ORG),
            to_organisation_id: Set(ORG),
            moved_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        crate::entities::passport_upload::ActiveModel {
            person_id: Set(o.b),
            token: Set("a.b.c".into()),
            uploaded_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        let (tables, unknown) = tables(db, o.b, acc_b.id).await.unwrap();
        // Every column of every table is one the export decided about.
        assert!(unknown.is_empty(), "{unknown:?}");
        for (name, rows) in &tables {
            assert!(
                !rows.as_array().unwrap().is_empty(),
                "{name} has a row, so its columns were checked"
            );
        }
        let text = JsonValue::Object(tables.clone()).to_string();
        for theirs in [
            "10.1.0.2",
            "10.1.0.3",
            "10.1.0.9",
            "a@trust.example",
            "c@trust.example",
        ] {
            assert!(!text.contains(theirs), "{theirs} in {text}");
        }
        assert!(text.contains("10.1.0.1"), "their own address stays");

        // Others by name, not by id.
        let first = |table: &str| tables[table][0].clone();
        assert_eq!(first("person")["line_manager"], "a Test");
        assert!(first("person").get("line_manager_id").is_none());
        assert_eq!(first("assessments")["reviewed_by"], "a Test");
        assert!(first("assessment_history").get("actor_person_id").is_none());
        assert_eq!(first("pathway_steps")["mentor"], "a Test");
        assert!(first("pathway_steps").get("mentor_id").is_none());
        assert_eq!(first("badges")["awarded_by"], "a Test");
        assert!(first("badges").get("awarded_by_id").is_none());
        assert_eq!(first("recognition_received")["given_by_name"], "c Test");
        assert!(first("recognition_received").get("given_by_id").is_none());
        assert_eq!(first("recognition_given")["given_to"], "a Test");
        assert!(first("recognition_given").get("person_id").is_none());
        assert!(first("recognition_given").get("hidden").is_none());
        assert!(first("account").get("password_hash").is_none());

        let trail: Vec<&JsonValue> = tables["audit_trail"].as_array().unwrap().iter().collect();
        assert!(
            trail
                .iter()
                .all(|e| e.get("actor_id").is_none() && e.get("target_id").is_none())
        );
        // The last of each: the services' own events come first.
        let by_action = |code: &str| {
            trail
                .iter()
                .rev()
                .find(|e| e["action"] == code)
                .copied()
                .unwrap_or_else(|| panic!("{code} in {trail:?}"))
        };
        let signed_in = by_action("sign_in");
        assert_eq!(
            (&signed_in["by"], &signed_in["ip"]),
            (&JsonValue::from("You"), &JsonValue::from("10.1.0.1"))
        );
        assert!(serde_json::Value::is_null(
            &by_action("sign_in_failed")["ip"]
        ));
        let reviewed = by_action("level_reviewed");
        assert_eq!(reviewed["by"], "a Test (Manager)");
        assert_eq!(reviewed["target"], "Your staff record");
        assert_eq!(reviewed["detail"], "DAT-VIS agreed at level 3");
        assert!(serde_json::Value::is_null(&reviewed["ip"]));
        let disabled = by_action("account_disabled");
        assert_eq!(disabled["by"], "c Test (HR)");
        assert_eq!(disabled["target"], "Your account");
        let given = by_action("recognition_given");
        assert_eq!(given["target"], "a Test");
        assert_eq!(given["ip"], "10.1.0.1");
        // About someone else, a detail that could be about their records
        // is left out.
        assert!(serde_json::Value::is_null(
            &by_action("badge_revoked")["detail"]
        ));

        // The zip holds the same, and says so.
        let b = CurrentUser {
            account_id: acc_b.id,
            person_id: Some(o.b),
            email: acc_b.email.clone(),
            display_name: "b Test".into(),
            role: Role::Staff,
            organisation_id: Some(ORG),
        };
        let zip = export(db, &b, Actor::default()).await.unwrap();
        assert!(zip.len() > 500);
    }

    #[tokio::test]
    async fn erasing_someone_leaves_their_name_on_nobody_elses_badges_or_pathway() {
        let t = test_db().await;
        let db = &t.db;
        crate::framework::service::ensure_default(db).await.unwrap();
        let o = tiny_org(db).await;
        // `a` agrees `b`'s level, mentors `b` through a completed pathway,
        // and endorses `b`; then leaves.
        assess(db, o.b, "DAT-VIS", 3).await;
        agree(db, o.a, o.b, "DAT-VIS").await;
        mentoring(db, o.m, o.a, o.b).await;
        let names = HashMap::new();
        let path = pathways::pathway_view(db, o.b, &names)
            .await
            .unwrap()
            .unwrap();
        for step in &path.steps {
            pathways::update_step(db, o.b, step.id, StepAction::Done)
                .await
                .unwrap();
        }
        endorse(db, o.a, o.b, "DAT-ANA").await;
        person::ActiveModel {
            id: Set(o.b),
            email: Set(Some("b@trust.example".into())),
            ..Default::default()
        }
        .update(db)
        .await
        .unwrap();
        let acc_a = create_account(
            db,
            "a@trust.example",
            Role::Manager,
            PASSWORD,
            Some(o.a),
            Some(ORG),
        )
        .await
        .unwrap();
        let acc_c = create_account(
            db,
            "c@trust.example",
            Role::Hr,
            PASSWORD,
            Some(o.c),
            Some(ORG),
        )
        .await
        .unwrap();
        for (by, from, target) in [
            (Some(acc_a.id), "10.2.0.2", None),
            (None, "10.2.0.2", Some(("account", acc_a.id))),
            (Some(acc_c.id), "10.2.0.3", None),
        ] {
            record(db, Actor::new(by, ip(from)), Action::SignIn, target, "")
                .await
                .unwrap();
        }
        account::ActiveModel {
            id: Set(acc_a.id),
            disabled: Set(true),
            ..Default::default()
        }
        .update(db)
        .await
        .unwrap();

        let issuer = "https://skillmap.example";
        let credentials = async || {
            let mine = recognition_service::badges(db, o.b, &user(o.b, Role::Staff))
                .await
                .unwrap();
            let mut payloads = Vec::new();
            for b in &mine.badges {
                let jwt = recognition_service::signed_credential(db, issuer.into(), o.b, b.id)
                    .await
                    .unwrap();
                let part = jwt.split('.').nth(1).unwrap().to_string();
                let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(part)
                    .unwrap();
                payloads.push(String::from_utf8(payload).unwrap());
            }
            (mine, payloads)
        };
        let (before, payloads) = credentials().await;
        assert_eq!(before.badges.len(), 2, "a level and a pathway");
        assert!(
            payloads
                .iter()
                .any(|p| p.contains("a Test agreed the level Practitioner")),
            "{payloads:?}"
        );
        assert!(
            payloads
                .iter()
                .any(|p| p.contains("Mentoring in Data analysis")),
            "a pathway badge names the mentoring, not the mentor: {payloads:?}"
        );

        erase(
            db,
            crate::kernel::audit::Actor::system(),
            &user(o.c, Role::Hr),
            o.a,
            "a",
        )
        .await
        .unwrap();

        let (after, payloads) = credentials().await;
        assert_eq!(after.badges.len(), 2);
        for p in &payloads {
            assert!(!p.contains("a Test"), "{p}");
        }
        assert!(
            payloads
                .iter()
                .any(|p| p.contains("A former colleague agreed the level Practitioner")),
            "{payloads:?}"
        );
        let seen = serde_json::to_string(&after).unwrap();
        assert!(!seen.contains("a Test"), "{seen}");
        assert_eq!(after.received[0].from, FORMER_COLLEAGUE);
        let path = pathways::pathway_view(db, o.b, &names)
            .await
            .unwrap()
            .unwrap();
        let shown = serde_json::to_string(&path).unwrap();
        assert!(!shown.contains("a Test"), "{shown}");
        assert_eq!(
            path.steps[0].reason,
            "A former colleague offered mentoring."
        );
        let stored = badge::Entity::find()
            .filter(badge::Column::PersonId.eq(o.b))
            .all(db)
            .await
            .unwrap();
        assert!(stored.iter().all(|b| !b.evidence.contains("a Test")));

        // The trail keeps its events, without the erased account's
        // addresses; others' stay.
        let with = |address: &'static str| {
            audit_event::Entity::find()
                .filter(audit_event::Column::Ip.eq(address))
                .count(db)
        };
        assert_eq!(with("10.2.0.2").await.unwrap(), 0);
        assert_eq!(with("10.2.0.3").await.unwrap(), 1);
        let theirs = audit_event::Entity::find()
            .filter(audit_event::Column::ActorId.eq(acc_a.id))
            .count(db)
            .await
            .unwrap();
        assert_eq!(theirs, 1, "the event stays");
    }

    #[tokio::test]
    async fn another_organisation_neither_reviews_nor_erases_our_people() {
        let t = test_db().await;
        let db = &t.db;
        crate::framework::service::ensure_default(db).await.unwrap();
        let o = tiny_org(db).await;
        let acc_a = create_account(
            db,
            "a@trust.example",
            Role::Manager,
            PASSWORD,
            Some(o.a),
            Some(ORG),
        )
        .await
        .unwrap();
        account::ActiveModel {
            id: Set(acc_a.id),
            disabled: Set(true),
            ..Default::default()
        }
        .update(db)
        .await
        .unwrap();
        let now = chrono::Utc::now();
        let ours = retention(db, ORG, 12, now).await.unwrap();
        assert_eq!(ours.rows.len(), 1);
        assert_eq!(ours.rows[0].account_id, acc_a.id);
        assert!(
            retention(db, ORG + 1, 12, now)
                .await
                .unwrap()
                .rows
                .is_empty()
        );

        // HR of another organisation: not found, and nothing changes.
        assert!(matches!(
            erase_preview(db, ORG + 1, o.a).await,
            Err(AppError::NotFound(_))
        ));
        let mut their_hr = user(o.c, Role::Hr);
        their_hr.person_id = None;
        their_hr.organisation_id = Some(ORG + 1);
        assert!(matches!(
            erase(db, Actor::system(), &their_hr, o.a, "a").await,
            Err(AppError::NotFound(_))
        ));
        assert!(
            person::Entity::find_by_id(o.a)
                .one(db)
                .await
                .unwrap()
                .is_some()
        );
        // Ours may.
        assert_eq!(erase_preview(db, ORG, o.a).await.unwrap().person_id, o.a);
    }
}
