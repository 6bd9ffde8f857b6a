//! The request side of the kernel: the state every request can reach
//! (provided as Leptos context), reading the signed-in user and the client
//! address from the request, and the authorization guards. Everything
//! below a server function takes these as arguments instead.

pub mod guard;

use std::sync::Arc;

use leptos::prelude::use_context;
use sea_orm::DatabaseConnection;

pub use guard::{
    current_user, reply, require_in_organisation, require_manager_of, require_person_access,
    require_role, require_user,
};
pub use skillmap_core::kernel::{
    LoginLimiter, Settings, audit, backoff, begin_write, db::in_write_lane, flash, network_of,
    password, session, settings, tenant,
};

use crate::error::AppError;

/// What every request can reach: provided as Leptos context to pages and
/// server functions. Holds nothing another instance would need to share.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub login_limiter: Arc<LoginLimiter>,
    /// Single sign-on starts per client network: apart from password
    /// attempts, so that starts another site makes a browser send cannot
    /// use up a shared network's password sign-ins.
    pub sso_starts: Arc<LoginLimiter>,
    /// Imports running now, for their progress bars.
    pub imports: Arc<crate::import::service::Running>,
    /// Signs and checks the errors form posts are sent back with: the
    /// shared key from the database once `flash::load_key` has run.
    pub form_errors: Arc<flash::FlashKey>,
    /// The single sign-on providers, with their discovery documents and
    /// keys as last fetched (each instance fetches its own).
    pub sso: Arc<crate::auth::sso::Registry>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: Settings) -> Self {
        password::limit_concurrency(settings.max_concurrent_hashes);
        let login_limiter = Arc::new(LoginLimiter::new(
            settings.login_burst,
            settings.login_per_minute,
        ));
        let sso = Arc::new(crate::auth::sso::Registry::new(settings.sso.clone()));
        let sso_starts = Arc::new(LoginLimiter::new(
            settings.login_burst,
            settings.login_per_minute,
        ));
        Self {
            db,
            sso,
            sso_starts,
            settings: Arc::new(settings),
            login_limiter,
            imports: Arc::default(),
            form_errors: Arc::new(flash::FlashKey::random()),
        }
    }
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

/// Who is acting in this request, and from where: what the services record
/// in the audit trail. Outside a request (nothing in context): the system.
pub fn actor() -> audit::Actor {
    // Not `state()`: outside a request its absence is expected, not an error.
    let ip = use_context::<AppState>().and_then(|s| guard::client_ip(s.settings.trusted_proxies));
    let user = current_user();
    audit::Actor::new(user.as_ref().map(|u| u.account_id), ip)
        .in_organisation(user.and_then(|u| u.organisation_id))
}

pub fn db() -> Result<DatabaseConnection, AppError> {
    Ok(state()?.db)
}
