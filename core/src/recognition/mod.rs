//! Recognition: peer endorsements and managers' awards (of kinds that
//! administrators define), and badges for agreed Practitioner and Expert
//! levels and completed learning pathways, which their holders can download
//! as signed Open Badges 3.0 credentials and anyone can verify. Managers see
//! their team's recent recognition; HR sees it by unit over time.

pub mod model;

#[cfg(feature = "server")]
pub mod credential;
#[cfg(feature = "server")]
pub mod keys;
#[cfg(feature = "server")]
pub mod service;
