//! Settings read from the environment, each with a documented default.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// DATABASE_URL, default `sqlite://data/leadline.db`.
    pub database_url: String,
    /// LEADLINE_SECURE_COOKIES=true when served over HTTPS: adds `Secure` and
    /// the `__Host-` cookie prefix.
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, whatever happens.
    pub session_absolute: Duration,
    /// LEADLINE_API_RATE_LIMIT: requests per key per minute (default 600).
    pub api_rate_limit_per_minute: u32,
    /// LEADLINE_USAGE_FLUSH_SECS: how often key usage is written (default 5).
    pub usage_flush: Duration,
    /// LEADLINE_BENCH_ROUTES=true adds an unauthenticated copy of the lead
    /// read for the load script to compare against. Never in production.
    pub bench_routes: bool,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/leadline.db";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Config {
    pub fn from_env() -> Self {
        Self {
            database_url: std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned()),
            secure_cookies: env_or("LEADLINE_SECURE_COOKIES", false),
            session_idle: Duration::from_secs(env_or("LEADLINE_SESSION_IDLE_SECS", 12 * 3600)),
            session_absolute: Duration::from_secs(env_or(
                "LEADLINE_SESSION_ABSOLUTE_SECS",
                7 * 24 * 3600,
            )),
            api_rate_limit_per_minute: env_or("LEADLINE_API_RATE_LIMIT", 600),
            usage_flush: Duration::from_secs(env_or("LEADLINE_USAGE_FLUSH_SECS", 5)),
            bench_routes: env_or("LEADLINE_BENCH_ROUTES", false),
        }
    }

    pub fn for_tests(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            secure_cookies: false,
            session_idle: Duration::from_secs(2 * 3600),
            session_absolute: Duration::from_secs(24 * 3600),
            api_rate_limit_per_minute: 600,
            usage_flush: Duration::from_secs(3600),
            bench_routes: false,
        }
    }
}
