//! The browser entry point: hydrates the islands and nothing else.

// Islands register their wasm exports inside `app`; without a reference to
// the crate the linker drops them and nothing hydrates.
#[allow(unused_imports)]
use ::app::*;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
