//! A person's self-assessment against the framework, their evidence, and
//! their manager's agreement, with the history of every change.
//!
//! The rules and operations live in `skillmap_core::profile`; this folder holds
//! its server functions (`api`) and pages (`view`).

pub mod api;
pub mod view;

pub use skillmap_core::profile::*;
