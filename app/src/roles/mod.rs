//! Job roles and the skill levels they require.
//!
//! The rules and operations live in `skillmap_core::roles`; this folder holds
//! its server functions (`api`) and pages (`view`).

pub mod api;
pub mod view;

pub use skillmap_core::roles::*;
