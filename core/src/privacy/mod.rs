//! Staff data rights (UK GDPR): everyone downloads what Skillmap holds
//! about them; HR erases a leaver's personal data, keeping aggregate figures
//! and the audit trail's integrity; and accounts disabled for longer than
//! the retention period are listed for review. With their consent, a
//! person takes their agreed levels and badges to a Skillmap of another
//! system as a signed skills passport (`passport`).

pub mod model;
#[cfg(feature = "server")]
pub mod passport;
#[cfg(feature = "server")]
pub mod service;
