//! The skills framework: domains, skills, the level scale and descriptors;
//! versions; the exchange format (JSON) for export and import.

#[cfg(feature = "server")]
pub mod exchange;
pub mod model;
#[cfg(feature = "server")]
pub mod read;
#[cfg(feature = "server")]
pub mod service;
