//! The organisation and its people: who works where, in which job role, for
//! whom.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
