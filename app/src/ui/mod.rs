//! Shared components in the NHS.UK frontend style.

mod form;
mod layout;
mod menu;

pub use form::{ErrorSummary, FieldErrorMessage, TextField, url_error};
pub use layout::{ErrorPage, Layout, NavLink, nav_for};
pub use menu::PrimaryNav;
