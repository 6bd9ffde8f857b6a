//! Each role's home page: what the person can do next.

pub mod model;
#[cfg(feature = "server")]
pub mod service;
