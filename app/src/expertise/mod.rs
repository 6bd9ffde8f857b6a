//! Finding the people who know: the expertise directory, its search and
//! download, and each person's skill interests and listing.
//!
//! The rules and operations live in `skillmap_core::expertise`; this
//! folder holds its server functions (`api`), pages (`view`) and HR's CSV
//! of a search (`download`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
pub mod view;

pub use skillmap_core::expertise::*;
