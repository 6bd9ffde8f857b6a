//! Single sign-on with the accounts staff already have, over OpenID
//! Connect: NHS CIS2 Care Identity Authentication, Microsoft Entra ID
//! (NHSmail, most trusts' directories), or any provider by its issuer URL.
//! The protocol is the `openidconnect` crate's; this module holds what is
//! Skillmap's: configuration, the stored sign-ins and links, matching a
//! provider's person to the people HR imported, the sign-in policy, and
//! both kinds of logout.

pub mod assertion;
pub mod config;
pub mod flow;
pub mod logout;
pub mod policy;
pub mod provider;

pub use provider::Registry;
