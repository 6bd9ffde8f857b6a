//! Typed settings, read from the environment once at start-up.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://data/skillmap.db?mode=rwc` or `postgres://user@host/db`.
    pub database_url: String,
    /// Where to listen; port 0 picks a free port (the tests use it).
    pub addr: String,
    /// A session ends after this long without a request...
    pub session_idle: Duration,
    /// ...and after this long in any case.
    pub session_absolute: Duration,
    /// Mark the session cookie `Secure` (set when served over https).
    pub secure_cookies: bool,
    /// Log-in attempts per client address: a burst, then this many a minute.
    pub login_burst: u32,
    pub login_per_minute: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy
    /// you trust, which sets it).
    pub trust_forwarded_for: bool,
    /// Database connection pool size.
    pub db_max_connections: u32,
    /// Largest import file and most rows in one.
    pub import_limits: ImportLimits,
    /// Accounts disabled longer than this are listed for review (erasure).
    pub retention_months: u32,
}

/// The largest import file, and the most data rows in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    pub max_bytes: usize,
    pub max_rows: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_bytes: 50 * 1024 * 1024,
            max_rows: 200_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("setting {name}: {message}")]
pub struct SettingsError {
    pub name: &'static str,
    pub message: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/skillmap.db?mode=rwc".into(),
            addr: "127.0.0.1:3000".into(),
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(8 * 60 * 60),
            secure_cookies: false,
            login_burst: 10,
            login_per_minute: 10,
            trust_forwarded_for: false,
            db_max_connections: 10,
            import_limits: ImportLimits::default(),
            retention_months: 12,
        }
    }
}

impl Settings {
    /// Reads `DATABASE_URL`, `SKILLMAP_*` (and `LEPTOS_SITE_ADDR` for the
    /// address, as cargo-leptos sets it), falling back to the defaults.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let d = Self::default();
        let number = |name: &'static str, default: u64| -> Result<u64, SettingsError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| SettingsError {
                    name,
                    message: format!("expected a whole number, got {v:?}"),
                }),
            }
        };
        let flag = |name: &'static str, default: bool| -> Result<bool, SettingsError> {
            match get(name).as_deref().map(str::trim) {
                None => Ok(default),
                Some("1" | "true" | "yes" | "on") => Ok(true),
                Some("0" | "false" | "no" | "off" | "") => Ok(false),
                Some(v) => Err(SettingsError {
                    name,
                    message: format!("expected true or false, got {v:?}"),
                }),
            }
        };
        let public_https = get("SKILLMAP_PUBLIC_URL").is_some_and(|u| u.starts_with("https://"));
        let idle = number("SKILLMAP_SESSION_IDLE_MINUTES", 30)?;
        let absolute = number("SKILLMAP_SESSION_ABSOLUTE_HOURS", 8)?;
        if idle == 0 || absolute == 0 {
            return Err(SettingsError {
                name: "SKILLMAP_SESSION_IDLE_MINUTES",
                message: "session timeouts must be greater than zero".into(),
            });
        }
        Ok(Self {
            database_url: get("DATABASE_URL").unwrap_or(d.database_url),
            addr: get("SKILLMAP_ADDR")
                .or_else(|| get("LEPTOS_SITE_ADDR"))
                .unwrap_or(d.addr),
            session_idle: Duration::from_secs(idle * 60),
            session_absolute: Duration::from_secs(absolute * 3600),
            secure_cookies: flag("SKILLMAP_SECURE_COOKIES", public_https)?,
            login_burst: number("SKILLMAP_LOGIN_BURST", d.login_burst.into())? as u32,
            login_per_minute: number("SKILLMAP_LOGIN_PER_MINUTE", d.login_per_minute.into())?
                as u32,
            trust_forwarded_for: flag("SKILLMAP_TRUST_FORWARDED_FOR", false)?,
            db_max_connections: number("SKILLMAP_DB_MAX_CONNECTIONS", d.db_max_connections.into())?
                as u32,
            import_limits: ImportLimits {
                max_bytes: number(
                    "SKILLMAP_IMPORT_MAX_BYTES",
                    d.import_limits.max_bytes as u64,
                )? as usize,
                max_rows: number("SKILLMAP_IMPORT_MAX_ROWS", d.import_limits.max_rows as u64)?
                    as usize,
            },
            retention_months: number("SKILLMAP_RETENTION_MONTHS", d.retention_months.into())?
                as u32,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_embedded_sqlite() {
        let s = from(&[]).unwrap();
        assert!(s.is_sqlite());
        assert_eq!(s.session_idle, Duration::from_secs(1800));
        assert_eq!(s.session_absolute, Duration::from_secs(8 * 3600));
        assert!(!s.secure_cookies);
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let s = from(&[("SKILLMAP_PUBLIC_URL", "https://skillmap.example.nhs.uk")]).unwrap();
        assert!(s.secure_cookies);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = from(&[("SKILLMAP_SESSION_IDLE_MINUTES", "soon")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_SESSION_IDLE_MINUTES");
        let err = from(&[("SKILLMAP_SECURE_COOKIES", "maybe")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_SECURE_COOKIES");
    }
}
