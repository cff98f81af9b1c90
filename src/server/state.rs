//! What every request handler and server function can reach.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::config::Config;
use super::rate_limit::KeyRateLimit;
use super::throttle::Window;
use super::{Clock, Db};
use crate::keys::cache::CredentialCache;
use crate::keys::usage::Usage;

/// Cheap to clone: every handler and server function gets its own copy.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub clock: Clock,
    pub config: Config,
    pub usage: Usage,
    pub limits: Limits,
    pub credentials: CredentialCache,
    /// Prefixes of the keys made before checksums (loaded at start; none is
    /// ever added): the only tokens with a bad checksum worth looking up.
    pub legacy_keys: HashSet<String>,
}

/// The throttles, one window each.
pub struct Limits {
    /// Password attempts (sign-in, accepting an invitation as an existing
    /// account, changing a password) per account and client: the owner's own
    /// browser is not locked out by someone guessing from elsewhere.
    pub password_per_account_client: Window,
    /// Password attempts per client, whatever the account.
    pub password_per_client: Window,
    /// Failed API authentications per client (IPv4 address, IPv6 /64).
    pub api_auth_failures_per_client: Window,
    /// API requests per key id, across instances.
    pub api_per_key: KeyRateLimit,
    /// Leak reports per client: no authentication, so bounded per address.
    pub leak_reports_per_client: Window,
    /// Security log entries that anyone can cause (failed, throttled or
    /// malformed sign-ins), per client and in all: past these, such events
    /// go to the server log only, so that the table's growth is bounded.
    pub anonymous_events_per_client: Window,
    pub anonymous_events: Window,
}

impl Limits {
    pub fn new(config: &Config, db: &Db) -> Self {
        Self {
            password_per_account_client: Window::new(5, Duration::from_secs(15 * 60)),
            password_per_client: Window::new(30, Duration::from_secs(15 * 60)),
            api_auth_failures_per_client: Window::new(
                config.api_auth_failures_per_minute,
                Duration::from_secs(60),
            ),
            api_per_key: KeyRateLimit::new(
                config.api_rate_limit_per_minute,
                Duration::from_secs(60),
                db,
            ),
            leak_reports_per_client: Window::new(
                config.leak_reports_per_minute,
                Duration::from_secs(60),
            ),
            anonymous_events_per_client: Window::new(10, Duration::from_secs(15 * 60)),
            anonymous_events: Window::new(600, Duration::from_secs(15 * 60)),
        }
    }
}

impl AppState {
    pub fn new(
        leptos_options: LeptosOptions,
        db: Db,
        clock: Clock,
        config: Config,
        legacy_keys: HashSet<String>,
    ) -> Self {
        let limits = Limits::new(&config, &db);
        Self(Arc::new(Shared {
            leptos_options,
            usage: Usage::new(db.clone()),
            credentials: CredentialCache::for_database(&config.database_url),
            legacy_keys,
            db,
            clock,
            config,
            limits,
        }))
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
