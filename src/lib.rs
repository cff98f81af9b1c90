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
pub mod usage;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Islands: the server renders every page; only the interactive parts
    // (`#[island]`, most of them loaded as their own wasm chunk) hydrate.
    leptos::mount::hydrate_islands();
    ui::island_hydrated(false);
}
