//! The Skillmap server: configuration, database, the axum router with its
//! security layers, and the CLI's operations. `main.rs` is only the CLI.

#![recursion_limit = "256"]

pub mod backup;
pub use skillmap_core::demo;
pub mod import_cli;
pub mod middleware;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use app::app::{App, shell};
use app::platform::{AppState, Settings, password};
use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use tokio::net::TcpListener;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Form posts and server-function calls are small; uploads get their own
/// larger limit on their own route.
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Database(#[source] DbErr),
    #[error("a database migration failed, so Skillmap did not start: {0}")]
    Migration(#[source] DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Settings(#[from] skillmap_core::kernel::settings::SettingsError),
    #[error("{0}")]
    Mail(String),
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// State for the axum router: Leptos's options plus Skillmap's own.
#[derive(Clone)]
pub struct ServerState {
    pub leptos: LeptosOptions,
    pub app: AppState,
    /// Set from SIGTERM on: `/readyz` answers 503 so the load balancer
    /// sends new requests elsewhere while this instance finishes its own.
    pub draining: Arc<AtomicBool>,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

/// The app's handlers (`app::routes`) take `State<AppState>`.
impl FromRef<ServerState> for AppState {
    fn from_ref(state: &ServerState) -> Self {
        state.app.clone()
    }
}

/// Opens the database. SQLite gets WAL (readers do not wait for the writer),
/// foreign keys and a busy timeout; its folder is created if missing.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, StartError> {
    if settings.is_sqlite() {
        ensure_sqlite_dir(&settings.database_url)?;
    }
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        // Two at least: start-up holds one for the migration lock while
        // the migrations run on another.
        .max_connections(settings.db_max_connections.max(2))
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if settings.is_sqlite() {
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                // Reads come from memory-mapped pages rather than a copy
                // per page read (about 5% of the server's time under load
                // was the kernel copying pages), and each connection keeps
                // more pages of its own.
                .pragma("mmap_size", "268435456")
                .pragma("cache_size", "-16000")
        });
    }
    if !settings.is_sqlite() {
        // A statement that runs away (a bad plan, a lock held by a stuck
        // client) is stopped by the database instead of holding one of the
        // pool's connections, and the instance's share of `max_connections`,
        // for ever.
        let timeout = format!("{}ms", settings.db_statement_timeout.as_millis());
        options
            .map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", timeout.as_str())]));
    }
    Database::connect(options)
        .await
        .map_err(StartError::Database)
}

fn ensure_sqlite_dir(url: &str) -> Result<(), StartError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|source| StartError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// What `migrate` did besides applying migrations.
#[derive(Debug, Default, Clone, Copy)]
pub struct Migrated {
    /// A database from before the capability summaries existed got them.
    pub built_summaries: bool,
}

/// Applies the migrations, then loads the default skills framework into a
/// database that has none, the starter learning catalogue when the
/// catalogue's tables are new (once: a catalogue HR emptied stays empty),
/// the badge-signing key, and the capability summaries of a database from
/// before they existed.
///
/// All of it under one lock (`MigrationLock`): instances that start
/// together on one PostgreSQL take turns, so the first migrates and loads,
/// and the others find nothing left to do (one framework, one catalogue,
/// one signing key), instead of racing to create the same tables and rows.
pub async fn migrate(db: &DatabaseConnection) -> Result<Migrated, StartError> {
    let lock = MigrationLock::take(db).await?;
    let done = migrate_locked(db).await;
    lock.release().await;
    done
}

async fn migrate_locked(db: &DatabaseConnection) -> Result<Migrated, StartError> {
    let step = |what: &'static str| {
        move |e: skillmap_core::error::AppError| {
            StartError::Migration(DbErr::Custom(format!("{what}: {e}")))
        }
    };
    let new_catalogue = Migrator::get_pending_migrations(db)
        .await
        .map_err(StartError::Migration)?
        .iter()
        .any(|m| m.name() == LEARNING_MIGRATION);
    Migrator::up(db, None)
        .await
        .map_err(StartError::Migration)?;
    skillmap_core::framework::service::ensure_default(db)
        .await
        .map_err(step("loading the default framework"))?;
    if new_catalogue {
        skillmap_core::pathways::service::load_starter(db)
            .await
            .map_err(step("loading the starter learning catalogue"))?;
    }
    skillmap_core::recognition::keys::ensure(db)
        .await
        .map_err(step("creating the badge-signing key"))?;
    let built_summaries = skillmap_core::team::summary::ensure(db)
        .await
        .map_err(step("building the capability summaries"))?;
    Ok(Migrated { built_summaries })
}

/// Instances starting together take turns to migrate. On PostgreSQL this
/// is a transaction holding an advisory lock (`pg_advisory_xact_lock`) on
/// a connection of its own while the migrations run on the others: the
/// second instance waits at the lock, and a crashed instance's lock goes
/// with its connection. SQLite serves one instance, whose start-up is the
/// only writer of the schema.
struct MigrationLock(Option<sea_orm::DatabaseTransaction>);

/// The advisory lock's key: any number the database's other users do not
/// use ("skillmap" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x736b_696c_6c6d_6170;

impl MigrationLock {
    async fn take(db: &DatabaseConnection) -> Result<Self, StartError> {
        use sea_orm::{DbBackend, TransactionTrait};
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self(None));
        }
        let txn = db.begin().await.map_err(StartError::Migration)?;
        // Waiting for another instance's migrations is not a slow query.
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await
            .map_err(StartError::Migration)?;
        let started = std::time::Instant::now();
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))
        .await
        .map_err(StartError::Migration)?;
        let waited = started.elapsed();
        if waited > Duration::from_millis(100) {
            tracing::info!(
                waited_ms = waited.as_millis() as u64,
                "waited for another instance's migrations"
            );
        }
        Ok(Self(Some(txn)))
    }

    async fn release(self) {
        if let Some(txn) = self.0
            && let Err(e) = txn.commit().await
        {
            // The lock goes with the transaction either way.
            tracing::warn!(error = %e, "releasing the migration lock");
        }
    }
}

/// The migration that creates the learning catalogue.
const LEARNING_MIGRATION: &str = "m20261126_000007_learning";

/// Leptos options from the environment (what cargo-leptos sets), with
/// Skillmap's defaults so the bare binary runs from the checkout.
pub fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "skillmap"))
        .site_root(env("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(addr)
        .build()
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    state: AppState,
    workers: skillmap_core::jobs::Workers,
    draining: Arc<AtomicBool>,
}

impl Application {
    /// Connects, migrates (a failed migration stops the start), binds.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let db = connect(&settings).await?;
        migrate(&db).await?;
        Self::build_with(settings, db).await
    }

    /// Binds, then serves. Without a public URL (only `--demo` and tests
    /// that build the application themselves start without one) links and
    /// credentials name the address bound, never a request's `Host`.
    pub async fn build_with(
        mut settings: Settings,
        db: DatabaseConnection,
    ) -> Result<Self, StartError> {
        skillmap_core::kernel::db::dedicate_sqlite_writer(&db)
            .await
            .map_err(StartError::Database)?;
        let listener =
            TcpListener::bind(&settings.addr)
                .await
                .map_err(|source| StartError::Bind {
                    addr: settings.addr.clone(),
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: settings.addr.clone(),
            source,
        })?;
        if settings.public_url.is_none() {
            settings.public_url = Some(format!("http://{addr}"));
        }
        // The first unknown-email log-in should not be slower than the rest.
        let _ = tokio::task::spawn_blocking(password::warm_up).await;
        let mut state = AppState::new(db, settings);
        // A provider limited to organisations names ones that exist.
        state
            .sso
            .check_organisations(&state.db)
            .await
            .map_err(|e| skillmap_core::kernel::settings::SettingsError {
                name: Box::leak(e.name.into_boxed_str()),
                message: e.message,
            })?;
        state.form_errors = std::sync::Arc::new(
            skillmap_core::kernel::flash::load_key(&state.db)
                .await
                .map_err(StartError::Database)?,
        );
        let workers = skillmap_core::jobs::Workers::new(
            state.db.clone(),
            state.settings.clone(),
            state.imports.clone(),
        )
        .map_err(StartError::Mail)?;
        let draining = Arc::new(AtomicBool::new(false));
        let router = router(state.clone(), leptos_options(addr), draining.clone());
        Ok(Self {
            listener,
            router,
            addr,
            state,
            workers,
            draining,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, with this instance's job workers
    /// beside it. On the signal: the workers stop claiming jobs, `/readyz`
    /// answers 503 for `shutdown_drain` while requests are still served
    /// (a load balancer checking it moves new requests to the other
    /// instances), then the listener closes, requests under way finish, and
    /// running jobs get up to 30 seconds (a job cut short is rolled back and
    /// run again by another instance, or at the next start).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let workers = self.workers.spawn(stopped).await;
        let stopping = stop.clone();
        let draining = self.draining.clone();
        let drain = self.state.settings.shutdown_drain;
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stopping.send(true);
            draining.store(true, Ordering::SeqCst);
            if !drain.is_zero() {
                tracing::info!(seconds = drain.as_secs(), "draining: /readyz answers 503");
                tokio::time::sleep(drain).await;
            }
            tracing::info!("closing the listener; finishing requests under way");
        })
        .await;
        let _ = stop.send(true);
        let finish = futures_join_all(workers);
        if tokio::time::timeout(Duration::from_secs(30), finish)
            .await
            .is_err()
        {
            tracing::warn!("jobs still running after 30 seconds: stopping anyway");
        }
        served
    }
}

/// Waits for every worker task.
async fn futures_join_all(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

pub fn router(state: AppState, leptos: LeptosOptions, draining: Arc<AtomicBool>) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            middleware::content_security_policy();
        }
    };
    let shell_options = leptos.clone();
    // Uploads may be as large as the import limit (plus the form around it).
    let upload_limit = state.settings.import_limits.max_bytes + 64 * 1024;
    let server_state = ServerState {
        leptos,
        app: state.clone(),
        draining,
    };
    plain_routes()
        .router
        .leptos_routes_with_context(&server_state, routes, context.clone(), move || {
            shell(shell_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(context, shell))
        .with_state(server_state)
        .layer(axum::middleware::from_fn(middleware::own_owner))
        .layer(axum::middleware::from_fn(middleware::bad_arguments))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::session,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::sign_form_errors,
        ))
        .layer(axum::middleware::from_fn(middleware::reject_cross_site))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            upload_limit,
            middleware::limit_body,
        ))
        // Pages, server function answers and downloads go out gzipped
        // (level 4) when the browser accepts it. Not brotli: at its level 4
        // it cost the team page a fifth of its requests a second against
        // gzip's tenth, for 9% fewer bytes (bench-pages, docs/performance.md).
        // Static files are compressed once, at build time, brotli too, and
        // served as they are (their Content-Encoding set, which this layer
        // leaves alone).
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(TraceLayer::new_for_http())
}

/// The routes outside Leptos (neither a page nor a server function), and
/// the list of them: `skillmap routes` prints it, and the authorization
/// matrix fails on a route it does not cover. The app's (downloads and
/// uploads, `app::routes`) authorize first, as a server function does; the
/// server adds its health check.
pub type PlainRoutes = app::routes::PlainRoutes<ServerState>;

pub fn plain_routes() -> PlainRoutes {
    PlainRoutes::new()
        .add("GET", "/healthz", get(healthz))
        .add("GET", "/readyz", get(readyz))
        .merge(app::routes::plain_routes::<ServerState>())
}

/// Every route Skillmap answers besides its pages: the server functions
/// and the plain routes, as "METHOD /path", sorted.
pub fn api_routes() -> Vec<String> {
    let mut all = server_fn_paths();
    all.extend(plain_routes().listed);
    all.sort();
    all
}

/// Liveness: the process answers. Nothing else is asked, so a database
/// outage does not get every instance restarted by whatever watches this
/// (that is `/readyz`'s business).
async fn healthz() -> &'static str {
    "ok: alive\n"
}

/// Readiness, for a load balancer's health check: 200 when this instance
/// should get requests (the database answers, every migration this build
/// knows is applied, and it is not shutting down), 503 otherwise.
async fn readyz(State(state): State<ServerState>) -> (StatusCode, String) {
    let unavailable = |why: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unavailable: {why}\n"),
        )
    };
    if state.draining.load(Ordering::SeqCst) {
        return unavailable("shutting down".into());
    }
    // The read-only form: a health check never issues DDL.
    match Migrator::get_pending_migrations_read_only(&state.app.db).await {
        Ok(pending) if pending.is_empty() => (
            StatusCode::OK,
            "ok: database reachable and migrated\n".into(),
        ),
        Ok(pending) => unavailable(format!("{} migrations not applied yet", pending.len())),
        Err(e) => {
            // Also where a newer build has applied a migration this one does
            // not know (during a rolling upgrade): this instance should not
            // serve that schema.
            tracing::error!(error = %e, "readiness check: cannot read the migrations");
            unavailable(
                "cannot read the migrations (database unreachable, or migrated by a newer build)"
                    .into(),
            )
        }
    }
}

/// The paths of every registered server function (for the authorization
/// matrix test and API users).
pub fn server_fn_paths() -> Vec<String> {
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| format!("{method} {path}"))
        .collect();
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement};

    async fn pragma(db: &DatabaseConnection, name: &str) -> String {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("PRAGMA {name}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0)
            .map(|v| v.to_string())
            .or_else(|_| row.try_get_by_index::<String>(0))
            .unwrap()
    }

    #[tokio::test]
    async fn sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout() {
        let dir = tempfile::tempdir().unwrap();
        // The folder does not exist yet: connect creates it.
        let path = dir.path().join("nested/data/skillmap.db");
        let settings = Settings {
            database_url: format!("sqlite://{}?mode=rwc", path.display()),
            ..Settings::default()
        };
        let db = connect(&settings).await.unwrap();
        migrate(&db).await.unwrap();
        assert!(path.exists());
        assert_eq!(pragma(&db, "journal_mode").await, "wal");
        assert_eq!(pragma(&db, "foreign_keys").await, "1");
        assert_eq!(pragma(&db, "busy_timeout").await, "30000");
    }
    /// A request's reactive owner is its own root, whatever owner other
    /// work left current on the thread: here a stranger holding a page's
    /// nonce, which a server function's answer must not carry.
    #[tokio::test(flavor = "current_thread")]
    async fn a_request_takes_no_owner_left_on_its_thread() {
        use axum::body::Body;
        use leptos::prelude::Owner;
        use tower::ServiceExt;
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            database_url: format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display()),
            ..Settings::default()
        };
        let db = connect(&settings).await.unwrap();
        migrate(&db).await.unwrap();
        let state = AppState::new(db, settings);
        let app = router(
            state,
            leptos_options("127.0.0.1:3000".parse().unwrap()),
            Arc::new(AtomicBool::new(false)),
        );
        let stranger = Owner::new();
        stranger.with(leptos::nonce::provide_nonce);
        stranger.set();
        let res = app
            .oneshot(
                axum::http::Request::post("/api/auth/whoami")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), axum::http::StatusCode::OK);
        let csp = res
            .headers()
            .get(axum::http::header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(!csp.contains("nonce-"), "the stranger's nonce: {csp}");
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        drop(stranger);
    }
}
