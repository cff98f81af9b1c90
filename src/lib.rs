//! Leadline: a leads CRM whose organisations create scoped API keys for its
//! public REST API. One crate: `ssr` builds the server, `hydrate` the browser.

pub mod admin;
pub mod app;
pub mod audit;
pub mod auth;
pub mod docs;
pub mod error;
pub mod keys;
pub mod leads;
pub mod orgs;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes (`--split`) need the asynchronous hydration.
    leptos::mount::hydrate_lazy(app::App);
}
