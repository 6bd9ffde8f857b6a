//! Learning pathways: a catalogue of learning mapped to the framework,
//! explained recommendations that close a person's gaps, mentors, and the
//! pathway a person accepts and works through.

pub mod api;
pub mod model;
pub mod view;

#[cfg(feature = "ssr")]
pub mod catalogue;
#[cfg(feature = "ssr")]
pub mod service;
