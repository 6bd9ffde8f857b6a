//! Recognition: peer endorsements and managers' awards (of kinds that
//! administrators define), and badges for agreed Practitioner and Expert
//! levels and completed learning pathways, which their holders can download
//! as signed Open Badges 3.0 credentials and anyone can verify. Managers see
//! their team's recent recognition; HR sees it by unit over time.
//!
//! The rules and operations live in `skillmap_core::recognition`; this folder holds
//! its server functions (`api`), pages (`view`) and plain routes (`download`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod download;
pub mod view;

pub use skillmap_core::recognition::*;
