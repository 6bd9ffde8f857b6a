//! Log-in, log-out, accounts and roles.
//!
//! The rules and operations live in `skillmap_core::auth`; this folder holds
//! its server functions (`api`), pages (`view`) and plain routes (`download`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
pub mod view;

pub use skillmap_core::auth::*;
