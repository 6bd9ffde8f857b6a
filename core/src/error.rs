//! The one error type every server function returns. It crosses the wire as
//! JSON, so the browser (and a no-JavaScript form post, via the `__err` query
//! parameter) gets the same plain message and field errors as the server.

use serde::{Deserialize, Serialize};
#[cfg(feature = "wire")]
use server_fn::codec::JsonEncoding;
#[cfg(feature = "wire")]
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// A problem with one field of a form or one cell of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field's name (also the id of its input), or "row 12, band".
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("You need to sign in to do that.")]
    Unauthorized,
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// Unknown email, wrong password and disabled account all look alike.
    #[error("The email address or password is not correct.")]
    LoginFailed,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("There is a problem with what you entered.")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// The cause is logged on the server; the user sees a plain message.
    #[error(
        "Something went wrong on our side. Try again, and tell your administrator if it keeps happening."
    )]
    Internal,
    /// The request could not be made or read (network, bad arguments).
    #[error("{0}")]
    Request(String),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The HTTP status a server function answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized | Self::LoginFailed => 401,
            Self::Forbidden => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Validation(_) => 422,
            Self::TooManyRequests(_) => 429,
            Self::Request(_) => 400,
            Self::Internal => 500,
        }
    }

    /// Field errors to list in an error summary (one general entry otherwise).
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation(errors) => errors.clone(),
            other => vec![FieldError::new("", other.to_string())],
        }
    }

    pub fn message_for(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }
}

#[cfg(feature = "wire")]
impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                Self::Request(describe_bad_arguments(&msg))
            }
            ServerFnErrorErr::Request(_) => Self::Request(
                "Could not reach Skillmap. Check your connection and try again.".into(),
            ),
            _ => Self::Internal,
        }
    }
}

#[cfg(feature = "wire")]
/// A plain message for arguments a server function could not read,
/// naming the field where the decoder does ("missing field `person_id`").
fn describe_bad_arguments(msg: &str) -> String {
    let quoted = msg.split('`').nth(1).filter(|f| !f.is_empty());
    match quoted {
        Some(field) if msg.starts_with("missing field") => {
            format!("The request is missing {field}: send it with a value")
        }
        Some(field) if msg.starts_with("unknown field") => {
            format!("The request has a field Skillmap does not know: {field}")
        }
        Some(value) if msg.starts_with("unknown variant") => {
            let expected = msg.split_once("expected").map_or("", |(_, e)| e.trim());
            format!("\u{201c}{value}\u{201d} is not one of the choices here (expected {expected})")
        }
        _ => format!("The request could not be read: {msg}"),
    }
}

/// The unique constraints people can run into, as "table.column", with the
/// form field each protects and what to tell them. When two requests save
/// the same thing at once, the constraint answers for the one that lost:
/// it gets the field's message (422), not an internal error.
#[cfg(feature = "server")]
const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    (
        "account.email",
        "email",
        "An account with this email address already exists",
    ),
    (
        "account.person_id",
        "person_id",
        "This person already has an account",
    ),
    (
        "org_unit.code",
        "code",
        "Another organisation unit already has this code",
    ),
    (
        "job_role.code",
        "code",
        "Another job role already has this code",
    ),
    (
        "person.employee_number",
        "employee_number",
        "Another person already has this employee number",
    ),
    (
        "learning_resource.code",
        "code",
        "Another learning resource already has this code",
    ),
    (
        "award_kind.name",
        "name",
        "Another award kind already has this name",
    ),
];

/// The unique constraint a database error broke, as "table.column" (or the
/// constraint's name when it spans several columns), if it is one.
/// SQLite says "UNIQUE constraint failed: table.column"; PostgreSQL names
/// the constraint, "table_column_key" for a column's own.
#[cfg(feature = "server")]
pub fn broken_unique(err: &sea_orm::DbErr) -> Option<String> {
    let sea_orm::SqlErr::UniqueConstraintViolation(message) = err.sql_err()? else {
        return None;
    };
    if let Some((_, columns)) = message.split_once("UNIQUE constraint failed: ") {
        return Some(columns.trim().to_string());
    }
    let name = message.split('"').nth(1).unwrap_or(&message);
    let known = UNIQUE_FIELDS
        .iter()
        .map(|(key, ..)| *key)
        .find(|key| name == format!("{}_key", key.replace('.', "_")));
    Some(known.map_or_else(|| name.to_string(), str::to_string))
}

/// A database error: a broken unique constraint people can run into says
/// which field clashed (422), any other a plain conflict (409); everything
/// else is logged with the place it happened (the `?` that converted it)
/// and shown as an internal error.
#[cfg(feature = "server")]
impl From<sea_orm::DbErr> for AppError {
    #[track_caller]
    fn from(err: sea_orm::DbErr) -> Self {
        if let Some(key) = broken_unique(&err) {
            if let Some((_, field, message)) = UNIQUE_FIELDS.iter().find(|(k, ..)| *k == key) {
                return Self::validation(*field, *message);
            }
            return Self::Conflict(
                "Someone else saved the same thing just now. Reload the page and try again.".into(),
            );
        }
        let at = std::panic::Location::caller();
        tracing::error!(error = %err, at = %at, "database error");
        Self::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "wire")]
    #[test]
    fn round_trips_as_json() {
        let err = AppError::validation("email", "Enter your email address");
        let bytes = err.ser();
        assert_eq!(AppError::de(bytes), err);
    }

    #[test]
    fn statuses_match_http_meaning() {
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(AppError::Forbidden.status(), 403);
        assert_eq!(AppError::validation("a", "b").status(), 422);
        assert_eq!(AppError::TooManyRequests(String::new()).status(), 429);
    }

    #[cfg(feature = "wire")]
    #[test]
    fn bad_arguments_name_the_field() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args(
            "missing field `person_id`".into(),
        ));
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("person_id"), "{err}");
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args(
            "unknown variant `maybe`, expected `agree` or `return`".into(),
        ));
        assert!(err.to_string().contains("maybe") && err.to_string().contains("agree"));
    }

    #[test]
    fn field_message_lookup() {
        let err = AppError::Validation(vec![
            FieldError::new("email", "Enter your email address"),
            FieldError::new("password", "Enter your password"),
        ]);
        assert_eq!(
            err.message_for("password").as_deref(),
            Some("Enter your password")
        );
        assert_eq!(err.message_for("other"), None);
        assert_eq!(AppError::Forbidden.message_for("email"), None);
    }
}
