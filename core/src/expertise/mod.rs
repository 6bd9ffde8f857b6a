//! Finding the people who know: skill interests (what a person would like
//! to develop, and where they would help others), the opt-in expertise
//! directory, and its search.

pub mod model;
#[cfg(feature = "server")]
pub mod service;
