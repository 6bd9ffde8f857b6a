//! The organisation and its people: who works where, in which job role, for
//! whom.

pub mod model;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod transfer;
