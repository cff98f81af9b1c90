//! The composition root: the HTML shell and routes, start-up, the shared
//! state, health checks, the operator CLI and the demo seed. Nothing
//! imports it.

#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod health;
#[cfg(feature = "ssr")]
pub mod scheduler;
#[cfg(feature = "ssr")]
pub mod seed;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod startup;
#[cfg(feature = "ssr")]
pub mod state;

#[cfg(feature = "ssr")]
pub use state::AppState;

/// For start-up and the CLI, where the message is all that matters.
#[cfg(feature = "ssr")]
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
