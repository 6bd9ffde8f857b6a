//! What people hear: notices in an inbox, and the email that carries them
//! (at once or in a daily digest), by each person's choices.

#[cfg(feature = "server")]
pub mod mail;
pub mod model;
#[cfg(feature = "server")]
pub mod service;
