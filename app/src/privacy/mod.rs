//! Staff data rights (UK GDPR): everyone downloads what Skillmap holds
//! about them; HR erases a leaver's personal data, keeping aggregate figures
//! and the audit trail's integrity; and accounts disabled for longer than
//! the retention period are listed for review.
//!
//! The rules and operations live in `skillmap_core::privacy`; this folder holds
//! its server functions (`api`), pages (`view`) and plain routes (`download`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
pub mod view;

pub use skillmap_core::privacy::*;
