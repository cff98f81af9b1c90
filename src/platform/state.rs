//! What every feature's server functions and handlers can reach: the
//! database, the clock, configuration, throttles, and the epoch of access
//! changes. Features with more (keys: the credential cache and the usage
//! recorder) hold a `Platform` inside their own state.

use std::sync::Arc;
use std::time::Duration;

use super::changes::{AccessChange, Changes};
use super::config::Config;
use super::rate_limit::KeyRateLimit;
use super::throttle::Window;
use super::{Clock, Db};

/// Cheap to clone: every handler and server function gets its own copy.
#[derive(Clone)]
pub struct Platform(Arc<Shared>);

impl std::ops::Deref for Platform {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: Db,
    pub clock: Clock,
    pub config: Config,
    pub limits: Limits,
    pub changes: Arc<Changes>,
    /// Where notification mail goes (SMTP, or the log).
    pub mail: super::mail::Mailer,
    /// Webhook deliveries go through it.
    pub outbound: super::outbound::Outbound,
    /// This process, as it holds leases: unique per start.
    pub instance: String,
}

impl Platform {
    pub fn new(db: Db, clock: Clock, config: Config) -> Self {
        let limits = Limits::new(&config, &db);
        let changes = Arc::new(Changes::for_database(&config.database_url));
        // Config::from_env has checked the settings and named what is wrong.
        let mail = super::mail::Mailer::new(config.smtp_url.as_deref(), &config.mail_from)
            .expect("mail settings checked with the configuration");
        let outbound = super::outbound::Outbound::new(config.webhook_allow_private);
        Self(Arc::new(Shared {
            db,
            clock,
            config,
            limits,
            changes,
            mail,
            outbound,
            instance: ulid::Ulid::new().to_string(),
        }))
    }

    /// The platform of the request being served (server functions).
    pub fn current() -> Option<Self> {
        leptos::prelude::use_context::<Self>()
    }

    /// Starts a write that changes who may do what (see `AccessChange`).
    pub async fn begin_access_change(&self) -> Result<AccessChange, sqlx::Error> {
        AccessChange::begin(&self.db, &self.changes).await
    }
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
            password_per_account_client: Window::new(5, Duration::from_secs(15 * 60))
                .throttling("password_per_account"),
            password_per_client: Window::new(30, Duration::from_secs(15 * 60))
                .throttling("password_per_client"),
            api_auth_failures_per_client: Window::new(
                config.api_auth_failures_per_minute,
                Duration::from_secs(60),
            )
            .throttling("api_auth_failures"),
            api_per_key: KeyRateLimit::new(
                config.api_rate_limit_per_minute,
                Duration::from_secs(60),
                db,
            ),
            leak_reports_per_client: Window::new(
                config.leak_reports_per_minute,
                Duration::from_secs(60),
            )
            .throttling("leak_reports"),
            anonymous_events_per_client: Window::new(10, Duration::from_secs(15 * 60)),
            anonymous_events: Window::new(600, Duration::from_secs(15 * 60)),
        }
    }
}
