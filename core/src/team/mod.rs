//! The team capability heatmap for managers, and the organisation view for
//! leaders: capability against role requirements, the integrative-leader
//! pipeline, digital inclusion and trends.

pub mod model;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod summary;
#[cfg(feature = "server")]
mod suppression;
