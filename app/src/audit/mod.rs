//! The audit trail: what was recorded (`platform::audit` writes it from
//! every capability), and the page where HR and administrators search it and
//! download it as CSV.
//!
//! The rules and operations live in `skillmap_core::audit`; this folder holds
//! its server functions (`api`), pages (`view`) and plain routes (`download`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
pub mod view;

pub use skillmap_core::audit::*;
