//! Roles, the signed-in user as the pages see them, and the log-in rules.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};

/// What a person may do in Skillmap. An account has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Completes their own profile, sees their own gaps and learning.
    Staff,
    /// Also agrees levels and sees the capability of the people they manage.
    Manager,
    /// Also manages organisation data: people, job roles, imports.
    Hr,
    /// Also manages accounts and the skills framework.
    Admin,
    /// The integrated care system's workforce lead: sees the organisation
    /// view across every organisation of the system, always with the
    /// small-number rules, and no one's own record. Belongs to no
    /// organisation.
    Lead,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Staff,
        Role::Manager,
        Role::Hr,
        Role::Admin,
        Role::Lead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Manager => "manager",
            Role::Hr => "hr",
            Role::Admin => "admin",
            Role::Lead => "lead",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Staff => "Staff member",
            Role::Manager => "Manager",
            Role::Hr => "HR",
            Role::Admin => "Administrator",
            Role::Lead => "ICS workforce lead",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user, as resolved from the session for each request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub account_id: i32,
    pub person_id: Option<i32>,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The organisation (tenant) the account belongs to: everything it
    /// reads and changes is that organisation's. None for a system-level
    /// account.
    pub organisation_id: Option<i32>,
}

impl CurrentUser {
    pub fn is_one_of(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// The organisation whose data this user works on. A system-level
    /// account has none, and may not use what belongs to one.
    pub fn organisation(&self) -> Result<i32, AppError> {
        self.organisation_id.ok_or(AppError::Forbidden)
    }
}

/// An account as the administrator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: i32,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub disabled: bool,
    pub last_login: Option<String>,
    /// False for accounts an import created, until a set-password link is used.
    pub has_password: bool,
    /// May sign in with a password when password sign-in is off for others.
    pub break_glass: bool,
    /// The identities at single sign-on providers linked to this account.
    pub sso_links: Vec<SsoLinkRow>,
}

/// An account's identity at a single sign-on provider, as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoLinkRow {
    pub id: i32,
    /// The provider's configured id, and its label ("Sign in with NHSmail").
    pub provider: String,
    pub provider_label: String,
    pub linked: String,
    pub last_used: Option<String>,
}

/// A "Sign in with ..." button: a provider's id and words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoButton {
    pub id: String,
    pub label: String,
}

/// What the sign-in page offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    /// The configured single sign-on providers, in order.
    pub providers: Vec<SsoButton>,
    /// False when password sign-in is only for break-glass administrators.
    pub password_for_everyone: bool,
}

/// The path a single sign-on refusal's message is filed under, for the
/// sign-in page to show.
pub const SSO_ERROR_PATH: &str = "/auth/sso";

/// A provider's name for lists, from its button's words: "Sign in with
/// NHSmail" is "NHSmail", "Sign in with your NHS smartcard" is "NHS
/// smartcard".
pub fn provider_name(label: &str) -> &str {
    let rest = [
        "Sign in with ",
        "sign in with ",
        "Sign in using ",
        "Log in with ",
    ]
    .iter()
    .find_map(|p| label.strip_prefix(p))
    .unwrap_or(label);
    let rest = rest.strip_prefix("your ").unwrap_or(rest);
    if rest.trim().is_empty() { label } else { rest }
}

/// A `next` path as a query value: percent-encoded, `/` kept readable.
pub fn encode_next(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The path that starts single sign-on with a provider.
pub fn sso_start_path(provider: &str) -> String {
    format!("/auth/sso/{provider}")
}

pub const MIN_PASSWORD_LEN: usize = 12;
pub const MAX_PASSWORD_LEN: usize = 256;

/// Emails are compared lower-cased and trimmed.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// What a log-in form must contain before we look anything up.
pub fn validate_login(email: &str, password: &str) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if email.trim().is_empty() {
        errors.push(FieldError::new("email", "Enter your email address"));
    } else if !looks_like_email(email) {
        errors.push(FieldError::new(
            "email",
            "Enter an email address in the correct format, like name@nhs.net",
        ));
    }
    if password.is_empty() {
        errors.push(FieldError::new("password", "Enter your password"));
    } else if password.len() > MAX_PASSWORD_LEN {
        errors.push(FieldError::new(
            "password",
            format!("Password must be {MAX_PASSWORD_LEN} characters or fewer"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Rules for a new password (set by an administrator or the CLI).
pub fn validate_new_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::validation(
            "password",
            format!("Password must be {MIN_PASSWORD_LEN} characters or more"),
        ));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(AppError::validation(
            "password",
            format!("Password must be {MAX_PASSWORD_LEN} characters or fewer"),
        ));
    }
    Ok(())
}

pub fn looks_like_email(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
                && email.len() <= 254
        }
        None => false,
    }
}

/// Where to go after signing in: `next` if it stays on this site, else
/// home. The target is resolved the way a browser would resolve it
/// against this site's own origin (WHATWG URL parsing, which drops tabs
/// and newlines and reads `\\` as `/`), and is followed only if the
/// origin is unchanged; the path, query and fragment of that resolved URL
/// are returned, never the text as given. Control characters and
/// backslashes are refused outright, raw or percent-encoded (at any
/// depth), since browsers, proxies and log readers disagree about them.
#[cfg(feature = "server")]
pub fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/";
    let Some(next) = next else {
        return HOME.into();
    };
    if !next.starts_with('/') || has_unsafe_chars(next) {
        return HOME.into();
    }
    let origin = url::Url::parse("https://skillmap.invalid/").expect("a valid base URL");
    let Ok(resolved) = origin.join(next) else {
        return HOME.into();
    };
    if resolved.origin() != origin.origin()
        || !resolved.username().is_empty()
        || resolved.password().is_some()
    {
        return HOME.into();
    }
    let mut target = resolved.path().to_string();
    if let Some(q) = resolved.query() {
        target.push('?');
        target.push_str(q);
    }
    if let Some(f) = resolved.fragment() {
        target.push('#');
        target.push_str(f);
    }
    // "//x" as a Location is another host, whatever it meant here.
    if !target.starts_with('/') || target.starts_with("//") {
        return HOME.into();
    }
    target
}

/// Control characters or backslashes, raw or percent-encoded (decoding
/// again while the text changes, so `%255C` counts too).
#[cfg(feature = "server")]
fn has_unsafe_chars(text: &str) -> bool {
    let bad = |b: u8| b < 0x20 || b == 0x7f || b == b'\\';
    let mut current = text.as_bytes().to_vec();
    for _ in 0..4 {
        if current.iter().any(|&b| bad(b)) {
            return true;
        }
        let decoded = percent_decode(&current);
        if decoded == current {
            return false;
        }
        current = decoded;
    }
    // Still changing after four rounds: nobody links like that.
    true
}

#[cfg(feature = "server")]
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_come_from_button_words() {
        assert_eq!(provider_name("Sign in with NHSmail"), "NHSmail");
        assert_eq!(
            provider_name("Sign in with your NHS smartcard or authenticator"),
            "NHS smartcard or authenticator"
        );
        assert_eq!(provider_name("NHS CIS2"), "NHS CIS2");
        assert_eq!(provider_name("Sign in with "), "Sign in with ");
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse(" HR "), Some(Role::Hr));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn login_validation_names_fields() {
        let err = validate_login("", "").unwrap_err();
        let fields: Vec<_> = err.field_errors().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["email", "password"]);
        assert!(validate_login("a@b.nhs.uk", "x").is_ok());
        assert_eq!(
            validate_login("not-an-email", "x")
                .unwrap_err()
                .field_errors()[0]
                .field,
            "email"
        );
    }

    #[test]
    fn new_passwords_need_length() {
        assert!(validate_new_password("short").is_err());
        assert!(validate_new_password("a long enough passphrase").is_ok());
    }

    #[cfg(feature = "server")]
    #[test]
    fn next_is_never_off_site() {
        assert_eq!(safe_next(Some("/people/3")), "/people/3");
        assert_eq!(safe_next(Some("/team?manager=4#x")), "/team?manager=4#x");
        assert_eq!(safe_next(Some("/a/../people/3")), "/people/3");
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\tevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example",
            "/%5Cevil.example",
            "/%255Cevil.example",
            "/..//evil.example",
            "/.//evil.example",
            "/\u{7f}/x",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
