//! The Skillmap server: configuration, database, the axum router with its
//! security layers, and the CLI's operations. `main.rs` is only the CLI.

#![recursion_limit = "256"]

pub mod backup;
pub mod bench;
pub mod bench_reports;
pub mod demo;
pub mod fuzz;
pub mod import_cli;
pub mod middleware;

use std::net::SocketAddr;
use std::time::Duration;

use app::app::{App, shell};
use app::platform::{AppState, Settings, password};
use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use tokio::net::TcpListener;
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
    Settings(#[from] app::platform::settings::SettingsError),
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
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
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
        .max_connections(settings.db_max_connections)
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

/// Applies the migrations, then loads the default skills framework into a
/// database that has none, and the starter learning catalogue when the
/// catalogue's tables are new (once: a catalogue HR emptied stays empty).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StartError> {
    let new_catalogue = Migrator::get_pending_migrations(db)
        .await
        .map_err(StartError::Migration)?
        .iter()
        .any(|m| m.name() == LEARNING_MIGRATION);
    Migrator::up(db, None)
        .await
        .map_err(StartError::Migration)?;
    app::framework::service::ensure_default(db)
        .await
        .map_err(|e| {
            StartError::Migration(DbErr::Custom(format!("loading the default framework: {e}")))
        })?;
    if new_catalogue {
        app::pathways::service::load_starter(db)
            .await
            .map_err(|e| {
                StartError::Migration(DbErr::Custom(format!(
                    "loading the starter learning catalogue: {e}"
                )))
            })?;
    }
    Ok(())
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
        state.form_errors = std::sync::Arc::new(
            app::platform::flash::load_key(&state.db)
                .await
                .map_err(StartError::Database)?,
        );
        let router = router(state.clone(), leptos_options(addr));
        Ok(Self {
            listener,
            router,
            addr,
            state,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        spawn_session_purge(self.state.clone());
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
}

fn spawn_session_purge(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15 * 60));
        loop {
            tick.tick().await;
            match app::platform::session::purge_expired(
                &state.db,
                &state.settings,
                chrono::Utc::now(),
            )
            .await
            {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
            }
            // Uploaded import files and the cell values in their problem
            // reports, past SKILLMAP_IMPORT_RETENTION_DAYS.
            let retention = chrono::Duration::days(i64::from(state.settings.import_retention_days));
            match app::import::service::purge_finished_files(
                &state.db,
                retention,
                chrono::Utc::now(),
            )
            .await
            {
                Ok(n) if n > 0 => tracing::info!(imports = n, "old import files removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not remove old import files"),
            }
        }
    });
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

pub fn router(state: AppState, leptos: LeptosOptions) -> Router {
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
        .layer(TraceLayer::new_for_http())
}

/// The routes outside Leptos (neither a page nor a server function), and
/// the list of them: `skillmap routes` prints it, and the authorization
/// matrix fails on a route it does not cover. Each handler authorizes
/// first, as a server function does.
pub struct PlainRoutes {
    pub router: Router<ServerState>,
    pub listed: Vec<String>,
}

impl PlainRoutes {
    fn add(
        mut self,
        method: &str,
        path: &str,
        route: axum::routing::MethodRouter<ServerState>,
    ) -> Self {
        self.listed.push(format!("{method} {path}"));
        self.router = self.router.route(path, route);
        self
    }
}

pub fn plain_routes() -> PlainRoutes {
    use axum::routing::post;
    let routes = PlainRoutes {
        router: Router::new(),
        listed: Vec::new(),
    };
    routes
        .add("GET", "/healthz", get(healthz))
        .add("GET", "/framework/export.json", get(export_json))
        .add("GET", "/framework/export.csv", get(export_csv))
        .add(
            "GET",
            "/admin/import/templates/{file}",
            get(import_template),
        )
        .add(
            "GET",
            "/admin/import/{id}/problems.csv",
            get(import_problems),
        )
        .add("GET", "/team/heatmap.csv", get(heatmap_csv))
        .add("GET", "/learning/catalogue.csv", get(catalogue_csv))
        .add("GET", "/admin/audit.csv", get(audit_csv))
        .add("GET", app::privacy::view::DOWNLOAD_PATH, get(my_data))
        .add("GET", "/issuer", get(issuer_profile))
        .add("GET", "/issuer/keys/{kid}", get(issuer_key))
        .add("GET", "/badges/{id}/credential.jwt", get(badge_credential))
        .add("POST", "/verify", post(verify_check))
        .add("POST", "/verify/upload", post(verify_upload))
        .add("POST", "/admin/import/links.csv", post(set_password_links))
}

/// Every route Skillmap answers besides its pages: the server functions
/// and the plain routes, as "METHOD /path", sorted.
pub fn api_routes() -> Vec<String> {
    let mut all = server_fn_paths();
    all.extend(plain_routes().listed);
    all.sort();
    all
}

/// Reports whether the database answers.
async fn healthz(State(state): State<ServerState>) -> impl IntoResponse {
    match state.app.db.execute_unprepared("SELECT 1").await {
        Ok(_) => (StatusCode::OK, "ok: database reachable\n"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable: database unreachable\n",
            )
        }
    }
}

/// The current framework as a download, for anyone signed in.
async fn export(state: &ServerState, signed_in: bool, csv: bool) -> axum::response::Response {
    if !signed_in {
        return (
            StatusCode::UNAUTHORIZED,
            "Sign in to download the framework.\n",
        )
            .into_response();
    }
    let view = match app::framework::service::current(&state.app.db).await {
        Ok(v) => v,
        Err(e) => {
            return internal_error(
                "framework export failed",
                &e,
                "The framework could not be exported.\n",
            );
        }
    };
    let doc = app::framework::service::to_doc(&view);
    let stem = format!("{}-v{}", doc.code.to_lowercase(), doc.version);
    let (body, kind, ext) = if csv {
        (
            app::framework::exchange::to_csv(&doc),
            "text/csv; charset=utf-8",
            "csv",
        )
    } else {
        (
            serde_json::to_string_pretty(&doc).unwrap_or_default(),
            "application/json",
            "json",
        )
    };
    download(&format!("{stem}.{ext}"), kind, body)
}

async fn export_json(
    State(state): State<ServerState>,
    session: Session,
) -> axum::response::Response {
    export(&state, session.is_some(), false).await
}

async fn export_csv(
    State(state): State<ServerState>,
    session: Session,
) -> axum::response::Response {
    export(&state, session.is_some(), true).await
}

type Session = Option<axum::Extension<app::platform::session::SessionContext>>;

/// Who is asking, and from where, for the audit trail.
fn actor(
    state: &ServerState,
    session: &Session,
    headers: &axum::http::HeaderMap,
    peer: SocketAddr,
) -> app::platform::audit::Actor {
    let trust = state.app.settings.trusted_proxies;
    app::platform::audit::Actor::new(
        session.as_ref().map(|s| s.user.account_id),
        app::platform::guard::client_ip_of(headers, Some(peer), trust),
    )
}

/// HR and administrators only: anyone else gets this 401 or 403.
fn refuse_unless_hr(session: &Session) -> Option<axum::response::Response> {
    use app::auth::model::Role;
    match session {
        None => Some((StatusCode::UNAUTHORIZED, "Sign in to download this.\n").into_response()),
        Some(s) if s.user.is_one_of(&[Role::Hr, Role::Admin]) => None,
        Some(_) => Some(
            (
                StatusCode::FORBIDDEN,
                "You do not have permission to download this.\n",
            )
                .into_response(),
        ),
    }
}

/// A file to save: its type and the name the browser saves it under.
fn download(
    name: &str,
    content_type: &str,
    body: impl Into<axum::body::Body>,
) -> axum::response::Response {
    use axum::http::header;
    let body: axum::body::Body = body.into();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn csv_download(name: &str, body: String) -> axum::response::Response {
    download(name, "text/csv; charset=utf-8", body)
}

/// A template for each kind of import file: the header row and an example.
async fn import_template(
    axum::extract::Path(file): axum::extract::Path<String>,
    session: Session,
) -> axum::response::Response {
    use app::import::model::Kind;
    if let Some(refused) = refuse_unless_hr(&session) {
        return refused;
    }
    match file.strip_suffix(".csv").and_then(Kind::parse) {
        Some(kind) => csv_download(
            &format!("skillmap-{}-template.csv", kind.as_str()),
            app::import::check::template(kind),
        ),
        None => (StatusCode::NOT_FOUND, "No such template.\n").into_response(),
    }
}

/// Every problem found in an imported file, as CSV.
async fn import_problems(
    State(state): State<ServerState>,
    axum::extract::Path(id): axum::extract::Path<i32>,
    session: Session,
) -> axum::response::Response {
    if let Some(refused) = refuse_unless_hr(&session) {
        return refused;
    }
    match app::import::service::report_csv(&state.app.db, id).await {
        Ok((name, body)) => csv_download(&name, body),
        Err(app::error::AppError::NotFound(_)) => {
            (StatusCode::NOT_FOUND, "No such import.\n").into_response()
        }
        Err(e) => internal_error(
            "import report failed",
            &e,
            "The report could not be made.\n",
        ),
    }
}

/// The audit trail as CSV: every event the filters match (up to
/// `EXPORT_MAX`), for HR and administrators. The download is itself
/// recorded, with the filters used.
async fn audit_csv(
    State(state): State<ServerState>,
    axum::extract::Query(query): axum::extract::Query<app::audit::model::AuditQuery>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    session: Session,
) -> axum::response::Response {
    use app::audit::model::{Action, EXPORT_MAX, to_csv};
    if let Some(refused) = refuse_unless_hr(&session) {
        return refused;
    }
    let filters = match query.check() {
        Ok(f) => f,
        Err(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            return (StatusCode::UNPROCESSABLE_ENTITY, lines.join("\n") + "\n").into_response();
        }
    };
    let db = &state.app.db;
    let by = actor(&state, &session, &headers, peer);
    let result = async {
        let rows = app::audit::service::search(db, &filters, EXPORT_MAX).await?;
        let detail = format!("{} events; {}", rows.len(), query.filter_names());
        app::platform::audit::record_by(db, by, Action::AuditExported, None, detail).await?;
        Ok::<_, app::error::AppError>(rows)
    }
    .await;
    match result {
        Ok(rows) => csv_download("skillmap-audit.csv", to_csv(&rows)),
        Err(e) => internal_error(
            "audit export failed",
            &e,
            "The audit trail could not be exported.\n",
        ),
    }
}

/// Everything Skillmap holds about the signed-in user, as a zip (their
/// right of access): only ever their own.
async fn my_data(
    State(state): State<ServerState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    session: Session,
) -> axum::response::Response {
    let Some(signed_in) = &session else {
        return (StatusCode::UNAUTHORIZED, "Sign in to download your data.\n").into_response();
    };
    let by = actor(&state, &session, &headers, peer);
    match app::privacy::service::export(&state.app.db, &signed_in.user, by).await {
        Ok(zip) => download("skillmap-my-data.zip", "application/zip", zip),
        Err(e) => internal_error(
            "data export failed",
            &e,
            "Your data could not be put together. Try again.\n",
        ),
    }
}

/// A team heatmap as CSV: the same matrix, with the same authorization as
/// the page (a manager their own team, HR and administrators any).
async fn heatmap_csv(
    State(state): State<ServerState>,
    axum::extract::Query(query): axum::extract::Query<app::team::model::HeatQuery>,
    session: Session,
) -> axum::response::Response {
    use app::team::service;
    let Some(session) = session else {
        return (StatusCode::UNAUTHORIZED, "Sign in to download this.\n").into_response();
    };
    let db = &state.app.db;
    let result = async {
        let manager = service::heatmap_access(db, &session.user, query.manager).await?;
        service::heatmap(db, manager, query.all).await
    }
    .await;
    match result {
        Ok(map) => {
            let map = map.shaped(query);
            csv_download(
                &format!("skillmap-team-{}.csv", map.manager_id),
                map.to_csv(),
            )
        }
        Err(e) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                tracing::error!(error = %e, "heatmap export failed");
            }
            (status, format!("{e}\n")).into_response()
        }
    }
}

/// The learning catalogue (retired resources too) as CSV, in the columns
/// its import reads: HR and administrators.
async fn catalogue_csv(
    State(state): State<ServerState>,
    session: Session,
) -> axum::response::Response {
    if let Some(refused) = refuse_unless_hr(&session) {
        return refused;
    }
    match app::pathways::service::resources(&state.app.db, true).await {
        Ok(all) => csv_download(
            "skillmap-learning-catalogue.csv",
            app::pathways::catalogue::to_csv(&all),
        ),
        Err(e) => internal_error(
            "catalogue export failed",
            &e,
            "The catalogue could not be exported.\n",
        ),
    }
}

/// The issuer at the configured public URL (never the request's `Host`).
async fn badge_issuer(
    state: &ServerState,
) -> Result<app::recognition::credential::Issuer, app::error::AppError> {
    let base = state.app.settings.public_base().to_string();
    app::recognition::service::issuer(&state.app.db, base).await
}

/// A 500 for a download that could not be made: the cause is logged, the
/// user gets a plain message.
fn internal_error(
    what: &str,
    e: &dyn std::fmt::Display,
    message: &'static str,
) -> axum::response::Response {
    tracing::error!(error = %e, "{what}");
    (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
}

fn failed(what: &str, e: &app::error::AppError) -> axum::response::Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(error = %e, "{what} failed");
    }
    (status, format!("{e}\n")).into_response()
}

fn json_response(body: serde_json::Value) -> axum::response::Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The issuer's Open Badges Profile, with its public keys: public.
async fn issuer_profile(State(state): State<ServerState>) -> axum::response::Response {
    let result = async {
        let issuer = badge_issuer(&state).await?;
        let keys = app::recognition::keys::public_keys(&state.app.db).await?;
        Ok::<_, app::error::AppError>(issuer.profile(&keys))
    }
    .await;
    match result {
        Ok(body) => json_response(body),
        Err(e) => failed("issuer profile", &e),
    }
}

/// One public key as a bare JWK: what a credential's `kid` points at.
async fn issuer_key(
    State(state): State<ServerState>,
    axum::extract::Path(kid): axum::extract::Path<String>,
) -> axum::response::Response {
    match app::recognition::keys::public_keys(&state.app.db).await {
        Ok(keys) => match keys.into_iter().find(|k| k.kid == kid) {
            Some(k) => json_response(serde_json::to_value(k).unwrap_or_default()),
            None => (StatusCode::NOT_FOUND, "No such key.\n").into_response(),
        },
        Err(e) => failed("issuer key", &e),
    }
}

/// The holder's badge as a signed Open Badges 3.0 credential (VC-JWT).
async fn badge_credential(
    State(state): State<ServerState>,
    axum::extract::Path(id): axum::extract::Path<i32>,
    session: Session,
) -> axum::response::Response {
    let Some(session) = session else {
        return (StatusCode::UNAUTHORIZED, "Sign in to download this.\n").into_response();
    };
    let Some(me) = session.user.person_id else {
        return (StatusCode::NOT_FOUND, "That badge was not found.\n").into_response();
    };
    let result = async {
        let issuer = badge_issuer(&state).await?;
        app::recognition::service::signed_credential(&state.app.db, &issuer, me, id).await
    }
    .await;
    match result {
        Ok(jwt) => download(&format!("skillmap-badge-{id}.jwt"), "application/jwt", jwt),
        Err(e) => failed("badge credential", &e),
    }
}

/// The largest credential file the verification page takes: a VC-JWT is a
/// few kilobytes.
const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;

#[derive(serde::Deserialize)]
struct VerifyForm {
    #[serde(default)]
    credential: String,
    #[serde(default)]
    email: String,
}

/// The verification page's form. A POST, so a credential and an email
/// address never land in a URL (proxy and server logs, the browser's
/// history): the credential is checked here and the browser is sent back
/// to the page with the result, sealed so nobody else can make the real
/// page say "Valid". Open to anyone, like the page.
async fn verify_check(
    State(state): State<ServerState>,
    axum::Form(form): axum::Form<VerifyForm>,
) -> axum::response::Response {
    if form.credential.len() > MAX_CREDENTIAL_BYTES {
        return back_to_verify("upload=too-big");
    }
    verified(&state, &form.credential, &form.email).await
}

/// Back to the verification page, at its result.
fn back_to_verify(query: &str) -> axum::response::Response {
    axum::response::Redirect::to(&format!("/verify?{query}#result")).into_response()
}

/// Checks a credential and sends the browser back to the page with the
/// sealed result (`platform::flash::seal`).
async fn verified(state: &ServerState, credential: &str, email: &str) -> axum::response::Response {
    let credential = credential.trim();
    if credential.is_empty() {
        return back_to_verify("upload=empty");
    }
    let email = Some(email.trim()).filter(|e| !e.is_empty());
    let result = async {
        let issuer = badge_issuer(state).await?;
        app::recognition::service::verify(&state.app.db, &issuer, credential, email).await
    }
    .await;
    match result {
        Ok(verification) => {
            use app::platform::flash;
            let now = chrono::Utc::now().timestamp();
            let sealed = flash::seal(
                &state.app.form_errors,
                flash::VERIFY_RESULT,
                &verification,
                now,
            );
            back_to_verify(&serde_urlencoded::to_string(sealed).unwrap_or_default())
        }
        Err(e) => failed("badge verification", &e),
    }
}

/// The verification page's file upload (a plain form, no JavaScript): reads
/// the .jwt file and checks it as if its text had been pasted. Open to
/// anyone, like the page.
async fn verify_upload(
    State(state): State<ServerState>,
    mut form: axum::extract::Multipart,
) -> axum::response::Response {
    let mut credential = String::new();
    let mut email = String::new();
    let mut problem = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(bytes) if bytes.len() > MAX_CREDENTIAL_BYTES => problem = Some("too-big"),
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes).trim().to_string();
                        match name.as_str() {
                            "file" => credential = text,
                            "email" => email = text,
                            _ => {}
                        }
                    }
                    Err(_) => problem = Some("unreadable"),
                }
            }
            Ok(None) => break,
            Err(_) => {
                problem = Some("unreadable");
                break;
            }
        }
    }
    match problem {
        Some(p) => back_to_verify(&format!("upload={p}")),
        None => verified(&state, &credential, &email).await,
    }
}

/// One-time set-password links for every account without a password yet
/// (people an import created), as CSV for HR to send. A POST: each download
/// replaces the unused links it covers.
async fn set_password_links(
    State(state): State<ServerState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    session: Session,
) -> axum::response::Response {
    use app::auth::links::issue_for_accounts_without_password;
    if let Some(refused) = refuse_unless_hr(&session) {
        return refused;
    }
    let by = actor(&state, &session, &headers, peer);
    let issuer = session
        .as_ref()
        .map_or(app::auth::model::Role::Staff, |s| s.user.role);
    let links = match issue_for_accounts_without_password(&state.app.db, by, issuer).await {
        Ok(links) => links,
        Err(e) => {
            return internal_error(
                "set-password links failed",
                &e,
                "The links could not be made.\n",
            );
        }
    };
    let base = state.app.settings.public_base();
    let expires = (chrono::Utc::now() + chrono::Duration::days(app::auth::links::LINK_DAYS))
        .format("%-d %b %Y")
        .to_string();
    let mut w = app::framework::exchange::SafeCsv::default();
    w.row(["Email", "Name", "Set-password link", "Link expires"]);
    for l in &links {
        let link = format!("{}/set-password?token={}", base, l.token);
        w.row([
            l.email.as_str(),
            l.name.as_str(),
            link.as_str(),
            expires.as_str(),
        ]);
    }
    let body = w.finish();
    tracing::info!(links = links.len(), "set-password links issued");
    csv_download("skillmap-set-password-links.csv", body)
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
}
