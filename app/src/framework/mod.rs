//! The skills framework: domains, skills, the level scale and descriptors;
//! versions; the exchange format (JSON) for export and import.
//!
//! The rules and operations live in `skillmap_core::framework`; this folder holds
//! its server functions (`api`), pages (`view`) and plain routes (`download`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
pub mod view;

pub use skillmap_core::framework::*;
