//! A person's self-assessment against the framework, their evidence, and
//! their manager's agreement, with the history of every change.

pub mod cycle;
pub mod model;
#[cfg(feature = "server")]
pub mod review_base;
#[cfg(feature = "server")]
pub mod reviews;
#[cfg(feature = "server")]
pub mod service;
