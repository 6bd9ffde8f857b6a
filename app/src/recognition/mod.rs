//! Recognition: badges for agreed Practitioner and Expert levels, which
//! their holders can download as signed Open Badges 3.0 credentials and
//! anyone can verify.

pub mod api;
pub mod model;
pub mod view;

#[cfg(feature = "ssr")]
pub mod credential;
#[cfg(feature = "ssr")]
pub mod keys;
#[cfg(feature = "ssr")]
pub mod service;
