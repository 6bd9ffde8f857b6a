//! Learning pathways: a catalogue of learning mapped to the framework,
//! explained recommendations that close a person's gaps, mentors, and the
//! pathway a person accepts and works through.

pub mod model;

#[cfg(feature = "server")]
pub mod catalogue;
#[cfg(feature = "server")]
pub mod service;
