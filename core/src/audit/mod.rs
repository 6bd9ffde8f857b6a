//! The audit trail: what was recorded (`kernel::audit` writes it from
//! every capability), and the page where HR and administrators search it and
//! download it as CSV.

pub mod model;
#[cfg(feature = "server")]
pub mod service;
