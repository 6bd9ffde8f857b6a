//! Data rights, against any connection: the export a person downloads,
//! erasing a leaver, and the retention review.

use std::io::Write as _;

use chrono::{DateTime, Months, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JsonValue, PaginatorTrait,
    QueryFilter, QueryOrder, Statement, TransactionSession, TransactionTrait,
};

use super::model::{ErasePreview, FORMER_COLLEAGUE, Retention, RetentionRow};
use crate::audit::model::Action;
use crate::auth::model::CurrentUser;
use crate::entities::{
    account, assessment, assessment_event, badge, import_job, pathway, pathway_step, person,
    recognition,
};
use crate::error::AppError;
use crate::framework::exchange::escape_formula;
use crate::people::model::full_name;
use crate::platform::audit;

/// Columns never exported, even to their owner: secrets, not data.
const SECRET_COLUMNS: &[&str] = &["password_hash", "token_hash"];

/// Every table that holds something about a person or their account, and
/// the rows that do. Ids are integers from the session, so they are written
/// into the SQL as numbers. Sessions are left out (the audit trail has the
/// sign-ins; a session's id is a secret).
fn personal_queries(person: i32, account: i32) -> Vec<(&'static str, String)> {
    let p = person;
    let a = account;
    vec![
        ("person", format!("SELECT * FROM person WHERE id = {p}")),
        ("account", format!("SELECT * FROM account WHERE id = {a}")),
        (
            "assessments",
            format!("SELECT * FROM assessment WHERE person_id = {p} ORDER BY id"),
        ),
        (
            "assessment_history",
            format!("SELECT * FROM assessment_event WHERE person_id = {p} ORDER BY id"),
        ),
        (
            "capability_summary",
            format!("SELECT * FROM person_capability WHERE person_id = {p}"),
        ),
        (
            "pathways",
            format!("SELECT * FROM pathway WHERE person_id = {p} ORDER BY id"),
        ),
        (
            "pathway_steps",
            format!(
                "SELECT * FROM pathway_step WHERE pathway_id IN \
                 (SELECT id FROM pathway WHERE person_id = {p}) ORDER BY pathway_id, position"
            ),
        ),
        (
            "mentoring_offer",
            format!("SELECT * FROM mentor WHERE person_id = {p}"),
        ),
        (
            "recognition_received",
            format!("SELECT * FROM recognition WHERE person_id = {p} ORDER BY id"),
        ),
        (
            "recognition_given",
            format!("SELECT * FROM recognition WHERE given_by_id = {p} ORDER BY id"),
        ),
        (
            "badges",
            format!("SELECT * FROM badge WHERE person_id = {p} ORDER BY id"),
        ),
        (
            "audit_trail",
            format!(
                "SELECT * FROM audit_event WHERE actor_id = {a} \
                 OR (target_kind = 'account' AND target_id = {a}) \
                 OR (target_kind = 'person' AND target_id = {p}) ORDER BY id"
            ),
        ),
    ]
}

fn to_csv(rows: &[JsonValue]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let Some(JsonValue::Object(first)) = rows.first() else {
        return String::new();
    };
    let columns: Vec<String> = first.keys().cloned().collect();
    let _ = out.write_record(&columns);
    for row in rows {
        let cells = columns.iter().map(|c| match row.get(c) {
            None | Some(JsonValue::Null) => String::new(),
            Some(JsonValue::String(s)) => escape_formula(s),
            Some(other) => other.to_string(),
        });
        let _ = out.write_record(cells);
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

const README: &str = "Your data from Skillmap\n\
=======================\n\n\
skillmap-data.json holds everything Skillmap keeps about you, table by table;\n\
each table is also a CSV file of the same name, for a spreadsheet.\n\n\
person                 your staff record (from HR)\n\
account                your sign-in account (the password is stored only as a hash, not included)\n\
assessments            your skill levels, evidence, and your manager's agreed levels\n\
assessment_history     every change to those levels, and who made it\n\
capability_summary     the figures the team and organisation reports count you in\n\
pathways, pathway_steps your learning pathways and their steps\n\
mentoring_offer        whether you offered to mentor\n\
recognition_received   endorsements and awards colleagues gave you\n\
recognition_given      endorsements and awards you gave\n\
badges                 your badges (download each credential from My recognition)\n\
audit_trail            what you did in Skillmap, and what others did to your records\n\n\
Times are UTC. Levels: 1 Awareness, 2 Working, 3 Practitioner, 4 Expert.\n\
To correct anything, ask your HR team; they can also erase your data when you leave.\n";

/// Everything Skillmap holds about the signed-in user, as a zip of JSON
/// and CSV files. Recorded in the audit trail.
pub async fn export(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    by: audit::Actor,
) -> Result<Vec<u8>, AppError> {
    let backend = db.get_database_backend();
    // -1 matches nothing: an account with no staff record has only itself.
    let person = user.person_id.unwrap_or(-1);
    let mut tables = serde_json::Map::new();
    for (name, sql) in personal_queries(person, user.account_id) {
        let mut rows = JsonValue::find_by_statement(Statement::from_string(backend, sql))
            .all(db)
            .await?;
        for row in &mut rows {
            if let JsonValue::Object(map) = row {
                for secret in SECRET_COLUMNS {
                    map.remove(*secret);
                }
            }
        }
        tables.insert(name.to_string(), JsonValue::Array(rows));
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
    audit::record_by(db, by, Action::DataDownloaded, target, detail).await?;
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

/// What erasing this person would remove.
pub async fn erase_preview(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<ErasePreview, AppError> {
    let p = person::Entity::find_by_id(person_id)
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
/// they are (an award given, a level agreed) but no longer name them. The
/// team figures are recomputed without them; the monthly trend keeps its
/// history. The audit trail records the erasure by ids and counts only.
pub async fn erase(
    db: &(impl ConnectionTrait + TransactionTrait),
    acting: &CurrentUser,
    person_id: i32,
    confirm: &str,
) -> Result<ErasePreview, AppError> {
    if acting.person_id == Some(person_id) {
        return Err(AppError::Conflict(
            "You cannot erase your own record. Ask another HR colleague.".into(),
        ));
    }
    let txn = crate::platform::begin_write(db).await?;
    let preview = erase_preview(&txn, person_id).await?;
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
    person::Entity::update_many()
        .col_expr(
            person::Column::LineManagerId,
            Expr::value(Option::<i32>::None),
        )
        .filter(person::Column::LineManagerId.eq(person_id))
        .exec(&txn)
        .await?;
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
    // Badges name the manager who agreed the level, by name only.
    let reviewed: Vec<i32> = assessment::Entity::find()
        .filter(assessment::Column::ReviewedBy.eq(person_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| a.person_id)
        .collect();
    badge::Entity::update_many()
        .col_expr(
            badge::Column::AwardedBy,
            Expr::value(Some(FORMER_COLLEAGUE)),
        )
        .filter(badge::Column::AwardedBy.eq(full_name(&p.given_name, &p.family_name)))
        .filter(badge::Column::PersonId.is_in(reviewed))
        .exec(&txn)
        .await?;
    pathway_step::Entity::update_many()
        .col_expr(
            pathway_step::Column::Reason,
            Expr::value("A former colleague offered mentoring."),
        )
        .filter(pathway_step::Column::MentorId.eq(person_id))
        .exec(&txn)
        .await?;
    if let Some(a) = &acc {
        import_job::Entity::update_many()
            .col_expr(
                import_job::Column::Actor,
                Expr::value(format!("Erased account {}", a.id)),
            )
            .filter(import_job::Column::CreatedBy.eq(a.id))
            .exec(&txn)
            .await?;
        // Sessions and set-password links go with it (cascade).
        account::Entity::delete_by_id(a.id).exec(&txn).await?;
    }
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
            .map(|a| format!(", account {}", a.id))
            .unwrap_or_default()
    );
    audit::record(
        &txn,
        Action::PersonErased,
        Some(("person", person_id)),
        detail,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(person = person_id, by = acting.account_id, "person erased");
    Ok(preview)
}

/// Accounts disabled more than `months` ago (or at an unrecorded time),
/// oldest first: due for review, and for erasure if they have left.
pub async fn retention(
    db: &impl ConnectionTrait,
    months: u32,
    now: DateTime<Utc>,
) -> Result<Retention, AppError> {
    let cutoff = now.checked_sub_months(Months::new(months)).unwrap_or(now);
    let accounts = account::Entity::find()
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
