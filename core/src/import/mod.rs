//! HR bulk import of organisation units, job roles and staff from CSV or
//! Excel files: check every row against the file and the database, preview,
//! then import all of it in one transaction (or none of it). The file
//! reader itself is the kernel's (`kernel::table`).

pub mod model;

#[cfg(feature = "server")]
pub mod check;
#[cfg(feature = "server")]
pub mod service;
