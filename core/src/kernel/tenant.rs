//! Organisations as tenants. Several organisations of one integrated care
//! system share a deployment; each user works on their own organisation's
//! data (`CurrentUser::organisation`).
//!
//! Two rules keep them apart, and every capability follows both:
//!
//! - **Lists** filter on the caller's organisation: units, people, job
//!   roles, award kinds, import jobs, accounts and audit events carry an
//!   `organisation_id` column; the rows under them (assessments, badges,
//!   pathways, ...) are reached through a person or unit already filtered.
//! - **Ids** that arrive in a request are checked with `ensure_in` before
//!   anything is read or changed: an id of another organisation answers
//!   exactly as an id that does not exist (404), so a caller cannot even
//!   learn that it exists.
//!
//! Shared by the whole system (no organisation): the skills framework, the
//! learning catalogue, the job queue and sign-in settings.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, QueryOrder, Set, Statement};

use crate::entities::organisation;
use crate::error::{AppError, FieldError};
use crate::kernel::db::placeholders;

/// A kind of row an id from a request may name, with how to find its
/// organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    Person,
    Unit,
    JobRole,
    AwardKind,
    ImportJob,
    Account,
    /// A badge, through its holder.
    Badge,
    /// A recognition, through its recipient.
    Recognition,
    /// A single sign-on link, through its account.
    SsoLink,
}

impl Owned {
    /// What a 404 calls it ("{name} was not found.").
    pub fn name(self) -> &'static str {
        match self {
            Owned::Person => "Person",
            Owned::Unit => "Unit",
            Owned::JobRole => "Job role",
            Owned::AwardKind => "Award",
            Owned::ImportJob => "Import",
            Owned::Account => "Account",
            Owned::Badge => "Badge",
            Owned::Recognition => "Recognition",
            Owned::SsoLink => "Sign-in link",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Owned::Person => "SELECT organisation_id AS o FROM person WHERE id = ?",
            Owned::Unit => "SELECT organisation_id AS o FROM org_unit WHERE id = ?",
            Owned::JobRole => "SELECT organisation_id AS o FROM job_role WHERE id = ?",
            Owned::AwardKind => "SELECT organisation_id AS o FROM award_kind WHERE id = ?",
            Owned::ImportJob => "SELECT organisation_id AS o FROM import_job WHERE id = ?",
            Owned::Account => "SELECT organisation_id AS o FROM account WHERE id = ?",
            Owned::Badge => {
                "SELECT p.organisation_id AS o FROM badge b \
                 JOIN person p ON p.id = b.person_id WHERE b.id = ?"
            }
            Owned::Recognition => {
                "SELECT p.organisation_id AS o FROM recognition r \
                 JOIN person p ON p.id = r.person_id WHERE r.id = ?"
            }
            Owned::SsoLink => {
                "SELECT a.organisation_id AS o FROM sso_link l \
                 JOIN account a ON a.id = l.account_id WHERE l.id = ?"
            }
        }
    }
}

/// The organisation a row belongs to: `None` when there is no such row,
/// `Some(None)` for a row of the deployment itself (a system account).
pub async fn organisation_of(
    db: &impl ConnectionTrait,
    kind: Owned,
    id: i32,
) -> Result<Option<Option<i32>>, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, kind.sql()),
            [id.into()],
        ))
        .await?;
    row.map(|r| r.try_get::<Option<i32>>("", "o")).transpose()
}

/// Passes when the row `id` of `kind` belongs to organisation `org`; a
/// row of another organisation, of none, or no row at all is the same
/// `NotFound`.
pub async fn ensure_in(
    db: &impl ConnectionTrait,
    org: i32,
    kind: Owned,
    id: i32,
) -> Result<(), AppError> {
    match organisation_of(db, kind, id).await? {
        Some(Some(o)) if o == org => Ok(()),
        _ => Err(AppError::NotFound(kind.name().into())),
    }
}

/// An organisation of the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: i32,
    pub code: String,
    pub name: String,
}

impl Organisation {
    fn of(m: organisation::Model) -> Self {
        Organisation {
            id: m.id,
            code: m.code,
            name: m.name,
        }
    }
}

/// Every organisation of the deployment, by code.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Organisation>, DbErr> {
    Ok(organisation::Entity::find()
        .order_by_asc(organisation::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(Organisation::of)
        .collect())
}

/// The organisation with this code (codes are compared ignoring case and
/// surrounding spaces).
pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<Organisation>, DbErr> {
    let code = code.trim().to_uppercase();
    Ok(all(db)
        .await?
        .into_iter()
        .find(|o| o.code.to_uppercase() == code))
}

/// The organisation a command-line action means: the one named by `code`,
/// or, with no code, the deployment's only organisation. The error says
/// what to do, listing the codes when there are several.
pub async fn chosen(db: &impl ConnectionTrait, code: Option<&str>) -> Result<i32, String> {
    if let Some(code) = code {
        return by_code(db, code)
            .await
            .map_err(|e| e.to_string())?
            .map(|o| o.id)
            .ok_or_else(|| format!("no organisation has the code {code:?}"));
    }
    let all = all(db).await.map_err(|e| e.to_string())?;
    match all.as_slice() {
        [only] => Ok(only.id),
        [] => Err("the database has no organisation".into()),
        many => Err(format!(
            "this deployment has several organisations: choose one with --organisation ({})",
            many.iter()
                .map(|o| o.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Adds an organisation. The code is kept upper-case; both are required.
pub async fn create(
    db: &impl ConnectionTrait,
    code: &str,
    name: &str,
) -> Result<Organisation, AppError> {
    let code = code.trim().to_uppercase();
    let name = name.trim();
    let mut errors = Vec::new();
    if code.is_empty()
        || code.len() > 20
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        errors.push(FieldError::new(
            "code",
            "Give a code of up to 20 letters, digits or hyphens (an ODS code, say).",
        ));
    }
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new(
            "name",
            "Give a name of up to 200 characters.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if by_code(db, &code).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "An organisation with the code {code} already exists."
        )));
    }
    Ok(organisation::ActiveModel {
        code: Set(code),
        name: Set(name.to_string()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(Organisation::of)?)
}
