//! Log-in, log-out, accounts and roles.
//!
//! The rules and operations live in `skillmap_core::auth`; this folder holds
//! its server functions (`api`), pages (`view`) and plain routes
//! (`download`, and `single_sign_on` for signing in at a provider).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
#[cfg(feature = "ssr")]
pub mod single_sign_on;
pub mod view;

pub use skillmap_core::auth::*;
