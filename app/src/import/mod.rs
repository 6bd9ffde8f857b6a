//! HR bulk import of organisation units, job roles and staff from CSV or
//! Excel files: upload, check every row against the file and the database,
//! preview, then import all of it in one transaction (or none of it).
//!
//! The rules and operations live in `skillmap_core::import`; this folder holds
//! its server functions (`api`), pages (`view`) and plain routes (`download`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
pub mod view;

pub use skillmap_core::import::*;
