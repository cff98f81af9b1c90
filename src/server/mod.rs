//! Server-only plumbing: configuration, database, state, start-up and the CLI.

pub mod assets;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod db;
pub mod flash;
pub mod forms;
pub mod headers;
pub mod health;
pub mod rate_limit;
pub mod secret;
pub mod seed;
pub mod startup;
pub mod state;
pub mod throttle;

pub use clock::Clock;
pub use db::Db;
pub use state::AppState;

/// For start-up and the CLI, where the message is all that matters.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
