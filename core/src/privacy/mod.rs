//! Staff data rights (UK GDPR): everyone downloads what Skillmap holds
//! about them; HR erases a leaver's personal data, keeping aggregate figures
//! and the audit trail's integrity; and accounts disabled for longer than
//! the retention period are listed for review.

pub mod model;
#[cfg(feature = "server")]
pub mod service;
