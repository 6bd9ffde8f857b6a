//! The organisation and its people: who works where, in which job role, for
//! whom.
//!
//! The rules and operations live in `skillmap_core::people`; this folder holds
//! its server functions (`api`) and pages (`view`).

pub mod api;
pub mod view;

pub use skillmap_core::people::*;
