//! What every request handler and server function can reach.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::config::Config;
use super::throttle::Window;
use super::{Clock, Db};
use crate::keys::cache::CredentialCache;
use crate::keys::usage::Usage;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub clock: Clock,
    pub config: Arc<Config>,
    pub usage: Usage,
    pub limits: Arc<Limits>,
    pub credentials: Arc<CredentialCache>,
}

/// The throttles, one window each.
pub struct Limits {
    /// Failed sign-ins per account.
    pub sign_in_per_account: Window,
    /// Failed API authentications per client address.
    pub api_auth_failures_per_ip: Window,
    /// API requests per key.
    pub api_per_key: Window,
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        Self {
            sign_in_per_account: Window::new(5, Duration::from_secs(15 * 60)),
            api_auth_failures_per_ip: Window::new(30, Duration::from_secs(60)),
            api_per_key: Window::new(config.api_rate_limit_per_minute, Duration::from_secs(60)),
        }
    }
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Db, clock: Clock, config: Config) -> Self {
        let limits = Arc::new(Limits::new(&config));
        Self {
            leptos_options,
            usage: Usage::new(db.clone()),
            credentials: Arc::new(CredentialCache::for_database(&config.database_url)),
            db,
            clock,
            config: Arc::new(config),
            limits,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
