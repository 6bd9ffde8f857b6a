//! The one error type every server function returns is the domain's
//! (`skillmap_core::error`): it crosses the wire as JSON, so the browser
//! (and a no-JavaScript form post, via the `__err` query parameter) gets
//! the same plain message and field errors as the server.

pub use skillmap_core::error::*;
