//! Server-side plumbing every capability uses: shared state, settings, the
//! session, password hashing, the authorization guards and the audit trail.

pub mod audit;
pub mod guard;
pub mod password;
pub mod session;
pub mod settings;
#[cfg(test)]
pub mod testing;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use leptos::prelude::use_context;
use sea_orm::DatabaseConnection;

pub use guard::{
    current_user, reply, require_manager_of, require_person_access, require_role, require_user,
};
pub use settings::Settings;

use crate::error::AppError;

/// What every request can reach: provided as Leptos context to pages and
/// server functions. Holds nothing another instance would need to share.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub login_limiter: Arc<LoginLimiter>,
    /// Imports running now, for their progress bars.
    pub imports: Arc<crate::import::service::Running>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: Settings) -> Self {
        let login_limiter = Arc::new(LoginLimiter::new(
            settings.login_burst,
            settings.login_per_minute,
        ));
        Self {
            db,
            settings: Arc::new(settings),
            login_limiter,
            imports: Arc::default(),
        }
    }
}

/// Log-in attempts allowed per client address: a burst, then a steady rate.
pub struct LoginLimiter(DefaultKeyedRateLimiter<IpAddr>);

impl LoginLimiter {
    pub fn new(burst: u32, per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).expect("at least one");
        let burst = NonZeroU32::new(burst.max(1)).expect("at least one");
        Self(RateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(burst),
        ))
    }

    /// True when this address may try again now.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let allowed = self.0.check_key(&ip).is_ok();
        // Keep the table from growing without bound under a spray of addresses.
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        allowed
    }
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

pub fn db() -> Result<DatabaseConnection, AppError> {
    Ok(state()?.db)
}
