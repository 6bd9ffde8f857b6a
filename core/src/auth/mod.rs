//! Log-in, log-out, accounts and roles.

#[cfg(feature = "server")]
pub mod links;
pub mod model;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod sso;
