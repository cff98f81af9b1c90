//! Leadline: a leads CRM whose organisations create scoped API keys for its
//! public REST API. One crate: `ssr` builds the server, `hydrate` the browser.
//!
//! Layers, each importing only from those below it (ARCHITECTURE.md;
//! `scripts/layers.py`, run by `make lint`, checks it):
//! `error` → `platform` → `web` → the features (`auth` → `audit` → `notify` → `keys`
//! → `leads` → `orgs` → `api` → `admin` → `docs`) → `app`.

pub mod error;
pub mod platform;
pub mod web;

pub mod admin;
#[cfg(feature = "ssr")]
pub mod api;
pub mod audit;
pub mod auth;
pub mod docs;
pub mod keys;
pub mod leads;
pub mod notify;
pub mod orgs;

pub mod app;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Islands: the server renders every page; only the interactive parts
    // (`#[island]`, most of them loaded as their own wasm chunk) hydrate.
    leptos::mount::hydrate_islands();
    web::ui::island_hydrated(false);
}
