//! What the dashboard's pages are made with: the UI kit, how a form post
//! finishes and the flash it hands to the next page, security headers and
//! static assets. It imports `platform` and `error`, and no feature.

#[cfg(feature = "ssr")]
pub mod assets;
#[cfg(feature = "ssr")]
pub mod cookies;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod flash;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod headers;
pub mod ui;
