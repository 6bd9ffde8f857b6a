//! Skillmap's pages and server functions: one folder per capability, each
//! with `model` (wire types and pure rules), `api` (server functions),
//! `service` (server-only operations) and `view` (components).

#![recursion_limit = "256"]

pub mod app;
pub mod error;
pub mod ui;

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

#[cfg(feature = "ssr")]
pub mod platform;
#[cfg(feature = "ssr")]
pub mod routes;
