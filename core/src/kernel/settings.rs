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
    /// Where people reach Skillmap (`SKILLMAP_PUBLIC_URL`), with no
    /// trailing slash: every link and credential names this, never the
    /// `Host` a request supplied. Required outside `--demo`; there it is
    /// the address Skillmap listens on (set when it binds).
    pub public_url: Option<String>,
    /// Mark the session cookie `Secure` (always when the public URL is https).
    pub secure_cookies: bool,
    /// Log-in attempts per client address: a burst, then this many a minute.
    pub login_burst: u32,
    pub login_per_minute: u32,
    /// How many proxies of yours stand in front of Skillmap, each appending
    /// the address it received from to `X-Forwarded-For` (0: none; the
    /// connecting address is the client's). The client's address is the one
    /// the outermost of them saw, that many entries from the right: entries
    /// further left are whatever the client wrote, and are never used.
    pub trusted_proxies: usize,
    /// Password hashes (~19 MiB each) running at once; more callers wait
    /// their turn briefly, then are asked to try again.
    pub max_concurrent_hashes: usize,
    /// Failed sign-ins with one email address, from any address, before
    /// each further attempt must wait...
    pub account_failures_before_delay: u32,
    /// ...a wait that doubles from one second up to this (0: no back-off).
    pub account_max_delay: Duration,
    /// Database connection pool size.
    pub db_max_connections: u32,
    /// PostgreSQL stops any statement that runs longer (0: never).
    pub db_statement_timeout: Duration,
    /// The request workers' nice value (0 to 19; 0: not lowered), so the
    /// database's threads run first when both want a core.
    pub worker_nice: i32,
    /// On SIGTERM, how long `/readyz` answers 503 while requests are still
    /// served, so a load balancer checking it stops sending new ones before
    /// the listener closes (0: close at once, for a single instance).
    pub shutdown_drain: Duration,
    /// Largest import file and most rows in one.
    pub import_limits: ImportLimits,
    /// Days an import keeps its uploaded file and the cell values in its
    /// problem report once committed or abandoned; 0 removes them at the
    /// next purge (at start-up and every 15 minutes).
    pub import_retention_days: u32,
    /// Accounts disabled longer than this are listed for review (erasure).
    pub retention_months: u32,
    /// Single sign-on providers (`SKILLMAP_OIDC_*`), in the order the
    /// sign-in page offers them.
    pub sso: Vec<crate::auth::sso::config::ProviderConfig>,
    /// Where email goes (`SKILLMAP_SMTP_*`); none: notices stay in the
    /// inbox and nothing is emailed.
    pub smtp: Option<SmtpSettings>,
    /// The job queue's workers (`SKILLMAP_JOB_*`).
    pub jobs: JobSettings,
    /// Badge issuers of other Skillmaps whose skills passports people here
    /// may import (`SKILLMAP_TRUSTED_ISSUERS`: their issuer addresses,
    /// `https://skillmap.other-ics.nhs.uk/issuer/RXX`, comma-separated).
    pub trusted_issuers: Vec<String>,
}

/// How TLS is used with the mail server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text: only for a relay on the same machine or a test server.
    None,
    /// STARTTLS, required (port 587, NHSmail's relay): the default.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, as `Name <address>` or a bare address.
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    // The password stays out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSettings {
    /// Jobs one instance runs at once (0: this instance runs none, for an
    /// instance that only serves pages).
    pub workers: usize,
    /// How often an idle worker looks for work.
    pub poll: Duration,
    /// How long a claim holds without renewal before another instance may
    /// take the job over (PostgreSQL).
    pub lease: Duration,
    /// The wait after a first failed attempt; it doubles each time.
    pub retry_base: Duration,
    /// Saves in this window make one email to their manager.
    pub batch: Duration,
    /// The hour (UTC) daily digests and reminders go out.
    pub daily_hour: u32,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            workers: 2,
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            retry_base: Duration::from_secs(30),
            batch: Duration::from_secs(15 * 60),
            daily_hour: 7,
        }
    }
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
            public_url: None,
            secure_cookies: false,
            login_burst: 10,
            login_per_minute: 10,
            trusted_proxies: 0,
            max_concurrent_hashes: default_concurrent_hashes(),
            account_failures_before_delay: 10,
            account_max_delay: Duration::from_secs(15 * 60),
            db_max_connections: 10,
            db_statement_timeout: Duration::from_secs(30),
            worker_nice: 5,
            shutdown_drain: Duration::ZERO,
            import_limits: ImportLimits::default(),
            import_retention_days: 7,
            retention_months: 12,
            sso: Vec::new(),
            smtp: None,
            jobs: JobSettings::default(),
            trusted_issuers: Vec::new(),
        }
    }
}

/// `SKILLMAP_TRUSTED_ISSUERS`: issuer addresses, comma-separated, each an
/// http(s) address with a path (`…/issuer/RXX`), kept without a trailing
/// slash.
fn trusted_issuers(v: Option<&str>) -> Result<Vec<String>, SettingsError> {
    let mut out = Vec::new();
    for item in v.unwrap_or_default().split(',') {
        let item = item.trim().trim_end_matches('/');
        if item.is_empty() {
            continue;
        }
        let rest = item
            .strip_prefix("https://")
            .or_else(|| item.strip_prefix("http://"));
        let ok = rest.is_some_and(|r| {
            r.contains('/')
                && !r.starts_with('/')
                && !r.contains(|c: char| c.is_whitespace() || matches!(c, '?' | '#' | '@'))
        });
        if !ok {
            return Err(SettingsError {
                name: "SKILLMAP_TRUSTED_ISSUERS",
                message: format!(
                    "expected issuer addresses such as https://skillmap.example.nhs.uk/issuer/RXX, got {item:?}"
                ),
            });
        }
        out.push(item.to_string());
    }
    Ok(out)
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
        let public_url = match get("SKILLMAP_PUBLIC_URL") {
            None => None,
            Some(u) if u.trim().is_empty() => None,
            Some(u) => Some(check_public_url(&u).map_err(|message| SettingsError {
                name: "SKILLMAP_PUBLIC_URL",
                message,
            })?),
        };
        let public_https = public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
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
            // Over https the cookie is always Secure: the setting can only add it.
            secure_cookies: flag("SKILLMAP_SECURE_COOKIES", public_https)? || public_https,
            public_url,
            login_burst: number("SKILLMAP_LOGIN_BURST", d.login_burst.into())? as u32,
            login_per_minute: number("SKILLMAP_LOGIN_PER_MINUTE", d.login_per_minute.into())?
                as u32,
            // The older flag means one proxy; the count, when set, wins.
            trusted_proxies: number(
                "SKILLMAP_TRUSTED_PROXIES",
                flag("SKILLMAP_TRUST_FORWARDED_FOR", false)?.into(),
            )? as usize,
            max_concurrent_hashes: match number(
                "SKILLMAP_MAX_CONCURRENT_HASHES",
                d.max_concurrent_hashes as u64,
            )? {
                0 => {
                    return Err(SettingsError {
                        name: "SKILLMAP_MAX_CONCURRENT_HASHES",
                        message: "at least one password hash must be able to run".into(),
                    });
                }
                n => n.min(1024) as usize,
            },
            account_failures_before_delay: number(
                "SKILLMAP_ACCOUNT_FAILURES_BEFORE_DELAY",
                d.account_failures_before_delay.into(),
            )?
            .clamp(1, 1000) as u32,
            account_max_delay: Duration::from_secs(number(
                "SKILLMAP_ACCOUNT_MAX_DELAY_SECONDS",
                d.account_max_delay.as_secs(),
            )?),
            db_max_connections: number("SKILLMAP_DB_MAX_CONNECTIONS", d.db_max_connections.into())?
                as u32,
            db_statement_timeout: Duration::from_millis(number(
                "SKILLMAP_DB_STATEMENT_TIMEOUT_MS",
                d.db_statement_timeout.as_millis() as u64,
            )?),
            worker_nice: match number("SKILLMAP_WORKER_NICE", d.worker_nice as u64)? {
                n @ 0..=19 => n as i32,
                n => {
                    return Err(SettingsError {
                        name: "SKILLMAP_WORKER_NICE",
                        message: format!("expected a nice value from 0 to 19, got {n}"),
                    });
                }
            },
            shutdown_drain: Duration::from_secs(
                number(
                    "SKILLMAP_SHUTDOWN_DRAIN_SECONDS",
                    d.shutdown_drain.as_secs(),
                )?
                .min(300),
            ),
            import_limits: ImportLimits {
                max_bytes: number(
                    "SKILLMAP_IMPORT_MAX_BYTES",
                    d.import_limits.max_bytes as u64,
                )? as usize,
                max_rows: number("SKILLMAP_IMPORT_MAX_ROWS", d.import_limits.max_rows as u64)?
                    as usize,
            },
            import_retention_days: number(
                "SKILLMAP_IMPORT_RETENTION_DAYS",
                d.import_retention_days.into(),
            )?
            .min(36_500) as u32,
            retention_months: number("SKILLMAP_RETENTION_MONTHS", d.retention_months.into())?
                as u32,
            sso: crate::auth::sso::config::providers(&get).map_err(|e| SettingsError {
                // Read once at start-up: the few names may live as long.
                name: Box::leak(e.name.into_boxed_str()),
                message: e.message,
            })?,
            smtp: smtp(&get, &number)?,
            trusted_issuers: trusted_issuers(get("SKILLMAP_TRUSTED_ISSUERS").as_deref())?,
            jobs: JobSettings {
                workers: number("SKILLMAP_JOB_WORKERS", d.jobs.workers as u64)?.min(64) as usize,
                poll: Duration::from_millis(
                    number("SKILLMAP_JOB_POLL_MS", d.jobs.poll.as_millis() as u64)?
                        .clamp(10, 60_000),
                ),
                lease: Duration::from_secs(
                    number("SKILLMAP_JOB_LEASE_SECONDS", d.jobs.lease.as_secs())?.clamp(3, 3600),
                ),
                retry_base: Duration::from_millis(
                    number(
                        "SKILLMAP_JOB_RETRY_BASE_MS",
                        d.jobs.retry_base.as_millis() as u64,
                    )?
                    .clamp(10, 3_600_000),
                ),
                batch: Duration::from_secs(
                    number("SKILLMAP_NOTIFY_BATCH_SECONDS", d.jobs.batch.as_secs())?.min(86_400),
                ),
                daily_hour: match number("SKILLMAP_DAILY_HOUR", d.jobs.daily_hour.into())? {
                    h @ 0..=23 => h as u32,
                    h => {
                        return Err(SettingsError {
                            name: "SKILLMAP_DAILY_HOUR",
                            message: format!("expected an hour from 0 to 23, got {h}"),
                        });
                    }
                },
            },
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The public URL links and credentials are built on (no trailing
    /// slash). Only a test that never bound an address lacks one.
    pub fn public_base(&self) -> &str {
        self.public_url.as_deref().unwrap_or("http://localhost")
    }

    /// Served over https: HSTS, and the session cookie `Secure` with the
    /// `__Host-` prefix.
    pub fn is_https(&self) -> bool {
        self.public_base().starts_with("https://")
    }
}

/// The mail server, when `SKILLMAP_SMTP_HOST` is set.
fn smtp(
    get: &impl Fn(&str) -> Option<String>,
    number: &impl Fn(&'static str, u64) -> Result<u64, SettingsError>,
) -> Result<Option<SmtpSettings>, SettingsError> {
    let Some(host) = get("SKILLMAP_SMTP_HOST").filter(|h| !h.trim().is_empty()) else {
        return Ok(None);
    };
    let tls = match get("SKILLMAP_SMTP_TLS")
        .unwrap_or_else(|| "starttls".into())
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "none" => SmtpTls::None,
        "starttls" => SmtpTls::StartTls,
        "tls" => SmtpTls::Tls,
        other => {
            return Err(SettingsError {
                name: "SKILLMAP_SMTP_TLS",
                message: format!("expected starttls, tls or none, got {other:?}"),
            });
        }
    };
    let default_port = match tls {
        SmtpTls::Tls => 465,
        SmtpTls::StartTls => 587,
        SmtpTls::None => 25,
    };
    let port = match number("SKILLMAP_SMTP_PORT", default_port)? {
        p @ 1..=65_535 => p as u16,
        p => {
            return Err(SettingsError {
                name: "SKILLMAP_SMTP_PORT",
                message: format!("expected a port from 1 to 65535, got {p}"),
            });
        }
    };
    let from = get("SKILLMAP_MAIL_FROM")
        .map(|f| f.trim().to_string())
        .filter(|f| f.contains('@') && !f.chars().any(char::is_control))
        .ok_or(SettingsError {
            name: "SKILLMAP_MAIL_FROM",
            message: "the address email is sent from, like Skillmap <skillmap@trust.nhs.uk>, is needed when SKILLMAP_SMTP_HOST is set".into(),
        })?;
    let username = get("SKILLMAP_SMTP_USERNAME").filter(|u| !u.is_empty());
    let password = get("SKILLMAP_SMTP_PASSWORD").filter(|p| !p.is_empty());
    if username.is_some() != password.is_some() {
        return Err(SettingsError {
            name: "SKILLMAP_SMTP_PASSWORD",
            message: "set both SKILLMAP_SMTP_USERNAME and SKILLMAP_SMTP_PASSWORD, or neither"
                .into(),
        });
    }
    Ok(Some(SmtpSettings {
        host: host.trim().to_string(),
        port,
        tls,
        username,
        password,
        from,
    }))
}

/// An http(s) URL with a host and nothing after the path, returned without
/// its trailing slash.
fn check_public_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or_else(|| format!("expected a URL starting https:// (or http://), got {raw:?}"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || raw.contains(['?', '#', '\\', '@'])
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "expected the address people use to reach Skillmap, like https://skillmap.example.nhs.uk, got {raw:?}"
        ));
    }
    Ok(raw.trim_end_matches('/').to_string())
}

/// Two password hashes per core: hashing is CPU-bound, so more at once
/// would only hold more memory (19 MiB each) without finishing sooner.
fn default_concurrent_hashes() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
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
    fn trusted_issuers_are_issuer_addresses() {
        assert!(from(&[]).unwrap().trusted_issuers.is_empty());
        let s = from(&[(
            "SKILLMAP_TRUSTED_ISSUERS",
            " https://a.example.nhs.uk/issuer/RXX/ , http://127.0.0.1:4000/issuer/R1,",
        )])
        .unwrap();
        assert_eq!(
            s.trusted_issuers,
            [
                "https://a.example.nhs.uk/issuer/RXX",
                "http://127.0.0.1:4000/issuer/R1"
            ]
        );
        for bad in [
            "a.example.nhs.uk/issuer/R",
            "https://a.example.nhs.uk",
            "ftp://x/y",
        ] {
            let e = from(&[("SKILLMAP_TRUSTED_ISSUERS", bad)]).unwrap_err();
            assert_eq!(e.name, "SKILLMAP_TRUSTED_ISSUERS", "{bad}");
        }
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let s = from(&[("SKILLMAP_PUBLIC_URL", "https://skillmap.example.nhs.uk")]).unwrap();
        assert!(s.secure_cookies);
    }

    #[test]
    fn public_url_is_checked_and_trimmed() {
        let s = from(&[("SKILLMAP_PUBLIC_URL", " https://skillmap.example.nhs.uk/ ")]).unwrap();
        assert_eq!(s.public_base(), "https://skillmap.example.nhs.uk");
        assert!(s.is_https());
        // https cannot be talked out of Secure cookies.
        let s = from(&[
            ("SKILLMAP_PUBLIC_URL", "https://skillmap.example.nhs.uk"),
            ("SKILLMAP_SECURE_COOKIES", "false"),
        ])
        .unwrap();
        assert!(s.secure_cookies);
        for bad in [
            "skillmap.example.nhs.uk",
            "ftp://x.example",
            "https://",
            "https://a.example/?x=1",
            "https://user@a.example",
        ] {
            let err = from(&[("SKILLMAP_PUBLIC_URL", bad)]).unwrap_err();
            assert_eq!(err.name, "SKILLMAP_PUBLIC_URL", "{bad}");
        }
        assert_eq!(from(&[]).unwrap().public_url, None);
    }

    #[test]
    fn trusted_proxies_count_and_the_older_flag_means_one() {
        assert_eq!(from(&[]).unwrap().trusted_proxies, 0);
        let s = from(&[("SKILLMAP_TRUST_FORWARDED_FOR", "true")]).unwrap();
        assert_eq!(s.trusted_proxies, 1);
        let s = from(&[
            ("SKILLMAP_TRUST_FORWARDED_FOR", "true"),
            ("SKILLMAP_TRUSTED_PROXIES", "2"),
        ])
        .unwrap();
        assert_eq!(s.trusted_proxies, 2);
        let s = from(&[
            ("SKILLMAP_TRUST_FORWARDED_FOR", "true"),
            ("SKILLMAP_TRUSTED_PROXIES", "0"),
        ])
        .unwrap();
        assert_eq!(s.trusted_proxies, 0, "the count wins over the flag");
        let err = from(&[("SKILLMAP_TRUSTED_PROXIES", "one")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_TRUSTED_PROXIES");
    }

    #[test]
    fn hashing_and_back_off_limits() {
        let d = from(&[]).unwrap();
        assert!(d.max_concurrent_hashes >= 2);
        assert_eq!(d.account_failures_before_delay, 10);
        assert_eq!(d.account_max_delay, Duration::from_secs(900));
        let s = from(&[
            ("SKILLMAP_MAX_CONCURRENT_HASHES", "3"),
            ("SKILLMAP_ACCOUNT_FAILURES_BEFORE_DELAY", "8"),
            ("SKILLMAP_ACCOUNT_MAX_DELAY_SECONDS", "0"),
        ])
        .unwrap();
        assert_eq!(s.max_concurrent_hashes, 3);
        assert_eq!(s.account_failures_before_delay, 8);
        assert!(s.account_max_delay.is_zero());
        let err = from(&[("SKILLMAP_MAX_CONCURRENT_HASHES", "0")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_MAX_CONCURRENT_HASHES");
    }

    #[test]
    fn mail_is_off_until_a_host_is_set_and_then_needs_a_sender() {
        assert_eq!(from(&[]).unwrap().smtp, None);
        let err = from(&[("SKILLMAP_SMTP_HOST", "relay.example")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_MAIL_FROM");
        let s = from(&[
            ("SKILLMAP_SMTP_HOST", "relay.example"),
            ("SKILLMAP_MAIL_FROM", "Skillmap <skillmap@trust.example>"),
        ])
        .unwrap()
        .smtp
        .unwrap();
        assert_eq!((s.tls, s.port), (SmtpTls::StartTls, 587));
        let err = from(&[
            ("SKILLMAP_SMTP_HOST", "relay.example"),
            ("SKILLMAP_MAIL_FROM", "skillmap@trust.example"),
            ("SKILLMAP_SMTP_TLS", "sometimes"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "SKILLMAP_SMTP_TLS");
        let err = from(&[
            ("SKILLMAP_SMTP_HOST", "relay.example"),
            ("SKILLMAP_MAIL_FROM", "skillmap@trust.example"),
            ("SKILLMAP_SMTP_USERNAME", "skillmap"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "SKILLMAP_SMTP_PASSWORD");
        let s = from(&[
            ("SKILLMAP_SMTP_HOST", "relay.example"),
            ("SKILLMAP_MAIL_FROM", "skillmap@trust.example"),
            ("SKILLMAP_SMTP_USERNAME", "skillmap"),
            ("SKILLMAP_SMTP_PASSWORD", "a secret"),
        ])
        .unwrap()
        .smtp
        .unwrap();
        assert!(!format!("{s:?}").contains("a secret"));
        let err = from(&[("SKILLMAP_DAILY_HOUR", "24")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_DAILY_HOUR");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = from(&[("SKILLMAP_SESSION_IDLE_MINUTES", "soon")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_SESSION_IDLE_MINUTES");
        let err = from(&[("SKILLMAP_SECURE_COOKIES", "maybe")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_SECURE_COOKIES");
    }
}
