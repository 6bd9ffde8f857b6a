//! HR bulk import of organisation units, job roles and staff from CSV or
//! Excel files: upload, check every row against the file and the database,
//! preview, then import all of it in one transaction (or none of it).

pub mod api;
pub mod model;
pub mod view;

#[cfg(feature = "ssr")]
pub mod check;
#[cfg(feature = "ssr")]
mod package;
#[cfg(feature = "ssr")]
pub mod read;
#[cfg(feature = "ssr")]
pub mod service;
