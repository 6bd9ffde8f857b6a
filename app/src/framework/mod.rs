//! The skills framework: domains, skills, the level scale and descriptors;
//! versions; the exchange format (JSON) for export and import.

pub mod api;
#[cfg(feature = "ssr")]
pub mod exchange;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
