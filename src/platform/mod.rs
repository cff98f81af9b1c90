//! The floor every feature stands on: the database, the clock, configuration,
//! the client's address, secrets and token hashing, text rules, throttles and
//! rate limits, leases, outgoing mail. It imports no feature, and nothing above `error`.

#[cfg(feature = "ssr")]
pub mod changes;
#[cfg(feature = "ssr")]
pub mod client;
pub mod clock;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod lease;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod outbound;
#[cfg(feature = "ssr")]
pub mod rate_limit;
pub mod secret;
#[cfg(feature = "ssr")]
pub mod state;
pub mod text;
#[cfg(feature = "ssr")]
pub mod throttle;

pub use clock::Clock;
#[cfg(feature = "ssr")]
pub use db::Db;
#[cfg(feature = "ssr")]
pub use state::Platform;
