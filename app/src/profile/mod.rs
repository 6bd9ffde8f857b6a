//! A person's self-assessment against the framework, their evidence, and
//! their manager's agreement, with the history of every change.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
