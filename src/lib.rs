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
    // Lazy routes (`--split`) need the asynchronous hydration. The page is
    // marked interactive only once all of it, the lazy route included, has
    // hydrated: browser tests wait for that mark.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let body = leptos::prelude::document().body().expect("a <body>");
        let mounted = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        mounted.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
