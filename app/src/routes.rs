//! The routes outside Leptos (neither a page nor a server function):
//! downloads, the issuer's public documents and the verification page's
//! form posts, each handled in its capability's `download` module. A
//! handler that is not public authorizes with the guards server functions
//! use (`platform::guard`: the `SignedIn` and `HrOrAdmin` extractors, or
//! `check_user`). `plain_routes` also lists them: `skillmap routes` prints
//! the list, and the authorization matrix fails on a route it does not
//! cover.
//!
//! What the handlers answer with is in `respond`, a module of its own so
//! the handlers can use it while this one names them (no import circle).

pub(crate) mod respond;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{MethodRouter, get, post};

use crate::platform::AppState;

/// Routes and their inventory ("METHOD /path"), for any router state that
/// holds an `AppState`.
pub struct PlainRoutes<S> {
    pub router: Router<S>,
    pub listed: Vec<String>,
}

impl<S> PlainRoutes<S>
where
    S: Clone + Send + Sync + 'static,
{
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            listed: Vec::new(),
        }
    }

    /// Registers `route` at `path` and lists it as `"{method} {path}"`.
    pub fn add(mut self, method: &str, path: &str, route: MethodRouter<S>) -> Self {
        self.listed.push(format!("{method} {path}"));
        self.router = self.router.route(path, route);
        self
    }

    /// These routes and then `other`'s, both routed and listed.
    pub fn merge(mut self, other: Self) -> Self {
        self.router = self.router.merge(other.router);
        self.listed.extend(other.listed);
        self
    }
}

impl<S> Default for PlainRoutes<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

/// Every plain route of the app, under any state an `AppState` can be
/// taken from (the server's adds Leptos's options).
pub fn plain_routes<S>() -> PlainRoutes<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    PlainRoutes::<S>::new()
        .add(
            "GET",
            "/framework/export.json",
            get(crate::framework::download::export_json),
        )
        .add(
            "GET",
            "/framework/export.csv",
            get(crate::framework::download::export_csv),
        )
        .add(
            "GET",
            "/admin/import/templates/{file}",
            get(crate::import::download::import_template),
        )
        .add(
            "GET",
            "/admin/import/{id}/problems.csv",
            get(crate::import::download::import_problems),
        )
        .add(
            "GET",
            "/team/heatmap.csv",
            get(crate::team::download::heatmap_csv),
        )
        .add(
            "GET",
            "/find.csv",
            get(crate::expertise::download::find_csv),
        )
        .add(
            "GET",
            "/learning/catalogue.csv",
            get(crate::pathways::download::catalogue_csv),
        )
        .add(
            "GET",
            "/admin/audit.csv",
            get(crate::audit::download::audit_csv),
        )
        .add(
            "GET",
            crate::privacy::view::DOWNLOAD_PATH,
            get(crate::privacy::download::my_data),
        )
        .add(
            "POST",
            crate::privacy::view::PASSPORT_PATH,
            post(crate::privacy::download::skills_passport),
        )
        .add(
            "POST",
            crate::privacy::view::PASSPORT_UPLOAD_PATH,
            post(crate::privacy::download::passport_upload),
        )
        .add(
            "GET",
            "/issuer",
            get(crate::recognition::download::issuer_profile),
        )
        .add(
            "GET",
            "/issuer/keys/{kid}",
            get(crate::recognition::download::issuer_key),
        )
        .add(
            "GET",
            "/issuer/{code}",
            get(crate::recognition::download::organisation_profile),
        )
        .add(
            "GET",
            "/issuer/{code}/keys/{kid}",
            get(crate::recognition::download::organisation_key),
        )
        .add(
            "GET",
            "/badges/{id}/credential.jwt",
            get(crate::recognition::download::badge_credential),
        )
        .add(
            "POST",
            "/verify",
            post(crate::recognition::download::verify_check),
        )
        .add(
            "POST",
            "/verify/upload",
            post(crate::recognition::download::verify_upload),
        )
        .add(
            "POST",
            "/admin/import/links.csv",
            post(crate::auth::download::set_password_links),
        )
        .add(
            "GET",
            "/auth/sso/{provider}",
            get(crate::auth::single_sign_on::start),
        )
        .add(
            "GET",
            "/auth/sso/{provider}/callback",
            get(crate::auth::single_sign_on::callback),
        )
        .add(
            "POST",
            "/auth/sso/{provider}/backchannel-logout",
            post(crate::auth::single_sign_on::back_channel_logout),
        )
}
