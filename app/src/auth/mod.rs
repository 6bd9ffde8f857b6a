//! Log-in, log-out, accounts and roles.

pub mod api;
#[cfg(feature = "ssr")]
pub mod links;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
