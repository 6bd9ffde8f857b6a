//! Skillmap's domain: what the capabilities know and do, with no web
//! framework in it. One folder per capability (the same names as in `app`),
//! each with `model` (wire types and pure rules, compiled for the browser
//! too) and, with the `server` feature, `service` (the operations, on a
//! database connection, with the acting user passed in) and files named
//! after its own ideas. `kernel` is what every capability builds on;
//! `entities` (the tables as rows) never leave this crate; `demo` writes
//! the invented trust the demo and the benchmarks load.

// No entity leaves the crate: a public function that took or returned one
// would make its type reachable where it cannot be named, and this lint
// (an error under `-D warnings`) says so.
#![warn(unnameable_types)]

pub mod error;

pub mod audit;
pub mod auth;
pub mod expertise;
pub mod framework;
pub mod home;
pub mod import;
pub mod notifications;
pub mod pathways;
pub mod people;
pub mod privacy;
pub mod profile;
pub mod recognition;
pub mod roles;
pub mod team;

#[cfg(feature = "server")]
pub mod demo;
#[cfg(feature = "server")]
mod entities;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod kernel;
