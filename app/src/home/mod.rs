//! Each role's home page: what the person can do next.
//!
//! The rules and operations live in `skillmap_core::home`; this folder holds
//! its server functions (`api`) and pages (`view`).

pub mod api;
pub mod view;

pub use skillmap_core::home::*;
