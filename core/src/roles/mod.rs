//! Job roles and the skill levels they require.

pub mod model;
#[cfg(feature = "server")]
pub mod service;
