//! Learning pathways: a catalogue of learning mapped to the framework,
//! explained recommendations that close a person's gaps, mentors, and the
//! pathway a person accepts and works through.
//!
//! The rules and operations live in `skillmap_core::pathways`; this folder holds
//! its server functions (`api`), pages (`view`) and plain routes (`download`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
pub mod view;

pub use skillmap_core::pathways::*;
