//! Job roles and the skill levels they require.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
