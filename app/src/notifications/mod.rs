//! What people hear: the inbox and each person's choices about email.
//!
//! The rules and operations live in `skillmap_core::notifications`; this
//! folder holds its server functions (`api`) and pages (`view`).

pub mod api;
pub mod view;

pub use skillmap_core::notifications::*;
