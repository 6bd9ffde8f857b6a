//! The team capability heatmap for managers, and the organisation view for
//! leaders: capability against role requirements, the integrative-leader
//! pipeline, digital inclusion and trends.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod summary;
pub mod view;
