//! The team capability heatmap for managers, and the organisation view for
//! leaders: capability against role requirements, the integrative-leader
//! pipeline, digital inclusion and trends.
//!
//! The rules and operations live in `skillmap_core::team`; this folder holds
//! its server functions (`api`), pages (`view`) and plain routes (`download`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
pub mod view;

pub use skillmap_core::team::*;
