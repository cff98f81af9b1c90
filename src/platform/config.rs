//! Settings read from the environment, each with a documented default.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// DATABASE_URL, default `sqlite://data/leadline.db`.
    pub database_url: String,
    /// LEADLINE_SECURE_COOKIES: `Secure` and `__Host-` cookies plus HSTS.
    /// On by default, unless the server listens on loopback only (a
    /// developer's machine), where browsers would drop `Secure` cookies.
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, whatever happens.
    pub session_absolute: Duration,
    /// LEADLINE_API_RATE_LIMIT: requests per key per minute (default 600).
    pub api_rate_limit_per_minute: u32,
    /// LEADLINE_API_AUTH_FAILURE_LIMIT: failed API authentications per
    /// client address per minute before it is throttled (default 30).
    pub api_auth_failures_per_minute: u32,
    /// LEADLINE_LEAK_REPORT_LIMIT: leak reports (`POST /api/v1/leaked-keys`)
    /// per client address per minute (default 10).
    pub leak_reports_per_minute: u32,
    /// LEADLINE_PUBLIC_URL: the address users reach this server at, e.g.
    /// `https://crm.example.com`; makes problem `type` links absolute.
    pub public_url: Option<String>,
    /// LEADLINE_USAGE_FLUSH_SECS: how often key usage is written (default 5).
    pub usage_flush: Duration,
    /// LEADLINE_TRUSTED_PROXIES: comma-separated CIDRs of our own reverse
    /// proxies, whose `X-Forwarded-For` names the client. Default: none.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// LEADLINE_LISTENER_HEARTBEAT_SECS (PostgreSQL): how often the
    /// credential listener proves that it still hears (default 5). Three
    /// missed beats and the instance stops trusting its credential cache.
    pub listener_heartbeat: Duration,
    /// LEADLINE_SECURITY_LOG_DAYS: how long the security log keeps its
    /// entries (default 90).
    pub security_log_days: u32,
    /// LEADLINE_REQUEST_LOG_DAYS: how long the API request log keeps its
    /// rows (default 14).
    pub request_log_days: u32,
    /// LEADLINE_REQUEST_LOG_ROWS_PER_SEC: how many request-log rows an
    /// instance writes a second at most (default 2,000); past that the
    /// oldest unwritten rows are dropped and counted, so that writing the
    /// log never takes more than a small share of the machine.
    pub request_log_rows_per_sec: u32,
    /// LEADLINE_METRICS_ADDR: where `GET /metrics` (Prometheus text) is
    /// served, e.g. `127.0.0.1:9100`. Unset (the default): not served. Keep
    /// it off the public address.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// LEADLINE_SMTP_URL: the SMTP server mail goes through, e.g.
    /// `smtps://user:password@smtp.example.com:465` (TLS) or
    /// `smtp://user:password@smtp.example.com:587?tls=required` (STARTTLS).
    /// Unset (the default): mail is written to the server log and shown on
    /// the Outbox admin page.
    pub smtp_url: Option<String>,
    /// LEADLINE_MAIL_FROM: the sender of notification mail (default
    /// `Leadline <leadline@localhost>`).
    pub mail_from: String,
    /// LEADLINE_NOTIFY_INTERVAL_SECS: how often the scheduler looks for
    /// key events and mail to send (default 30).
    pub notify_interval: Duration,
    /// LEADLINE_WEBHOOK_ALLOW_PRIVATE=true: webhook endpoints may be on
    /// loopback, private and link-local addresses (a lab, an internal
    /// receiver). Off by default: server-side request forgery protection.
    pub webhook_allow_private: bool,
    /// LEADLINE_DEMO=true: on the first start with an empty database, create
    /// the demo (a platform admin, an organisation, a developer, leads).
    /// Off by default, so that a deployment never gets a demo admin by
    /// accident; `make run` turns it on.
    pub demo: bool,
}

/// How often the request log is written on SQLite: each write is a commit,
/// and a commit waits for the disk (`synchronous = FULL`), so fewer, larger
/// writes cost its one writer less. A logged request is findable within
/// about this long, and each thread's queue holds one interval's rows.
pub const REQUEST_LOG_FLUSH: Duration = Duration::from_secs(1);

/// How often the request log is written on PostgreSQL: a `COPY` of a
/// second's rows kept a server process busy long enough to hold up the
/// requests sharing its cores; a quarter of them at a time does not
/// (docs/benchmarks.md, session 15). The queues are smaller too.
pub const REQUEST_LOG_FLUSH_POSTGRES: Duration = Duration::from_millis(250);

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/leadline.db";
pub const DEFAULT_MAIL_FROM: &str = "Leadline <leadline@localhost>";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Secure cookies and HSTS: as LEADLINE_SECURE_COOKIES says, else on unless
/// the site is plain http on loopback (a developer's machine: the server
/// listens on loopback, with no trusted proxy in front and no https public
/// address). Behind a TLS proxy on the same host they are on.
fn secure_cookies(setting: Option<&str>, plain_http_loopback: bool) -> Result<bool, String> {
    match setting {
        None | Some("") => Ok(!plain_http_loopback),
        Some(value) => value
            .parse()
            .map_err(|_| format!("LEADLINE_SECURE_COOKIES must be true or false, not {value:?}")),
    }
}

/// Whether `LEPTOS_SITE_ADDR` (default 127.0.0.1:3000) is a loopback address.
pub fn listens_on_loopback() -> bool {
    is_loopback(std::env::var("LEPTOS_SITE_ADDR").ok().as_deref())
}

fn is_loopback(site_addr: Option<&str>) -> bool {
    site_addr
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
        .is_none_or(|a| a.ip().is_loopback())
}

/// An absolute http(s) URL without query or fragment; empty means unset.
fn public_url(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.contains(['?', '#', ' ']) => {
            Ok(Some(raw.trim_end_matches('/').to_owned()))
        }
        _ => Err(format!(
            "LEADLINE_PUBLIC_URL must be an http(s) address like https://crm.example.com, not {raw:?}"
        )),
    }
}

impl Config {
    /// Fails with a clear message when a setting cannot be understood.
    pub fn from_env() -> Result<Self, String> {
        let public_url = public_url(std::env::var("LEADLINE_PUBLIC_URL").ok().as_deref())?;
        let trusted_proxies = super::client::parse_trusted_proxies(
            &std::env::var("LEADLINE_TRUSTED_PROXIES").unwrap_or_default(),
        )?;
        let smtp_url = std::env::var("LEADLINE_SMTP_URL")
            .ok()
            .filter(|url| !url.trim().is_empty());
        let mail_from = std::env::var("LEADLINE_MAIL_FROM")
            .ok()
            .filter(|from| !from.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned());
        super::mail::Mailer::new(smtp_url.as_deref(), &mail_from)?;
        let plain_http_loopback = listens_on_loopback()
            && trusted_proxies.is_empty()
            && !public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"));
        Ok(Self {
            database_url: std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned()),
            secure_cookies: secure_cookies(
                std::env::var("LEADLINE_SECURE_COOKIES").ok().as_deref(),
                plain_http_loopback,
            )?,
            session_idle: Duration::from_secs(env_or("LEADLINE_SESSION_IDLE_SECS", 12 * 3600)),
            session_absolute: Duration::from_secs(env_or(
                "LEADLINE_SESSION_ABSOLUTE_SECS",
                7 * 24 * 3600,
            )),
            api_rate_limit_per_minute: env_or("LEADLINE_API_RATE_LIMIT", 600),
            api_auth_failures_per_minute: env_or("LEADLINE_API_AUTH_FAILURE_LIMIT", 30),
            leak_reports_per_minute: env_or("LEADLINE_LEAK_REPORT_LIMIT", 10),
            public_url,
            usage_flush: Duration::from_secs(env_or("LEADLINE_USAGE_FLUSH_SECS", 5)),
            trusted_proxies,
            listener_heartbeat: Duration::from_secs(
                env_or("LEADLINE_LISTENER_HEARTBEAT_SECS", 5).max(1),
            ),
            security_log_days: env_or("LEADLINE_SECURITY_LOG_DAYS", 90).max(1),
            request_log_days: env_or("LEADLINE_REQUEST_LOG_DAYS", 14).max(1),
            request_log_rows_per_sec: env_or("LEADLINE_REQUEST_LOG_ROWS_PER_SEC", 2_000).max(1),
            metrics_addr: match std::env::var("LEADLINE_METRICS_ADDR") {
                Ok(addr) if !addr.trim().is_empty() => Some(addr.trim().parse().map_err(|_| {
                    format!("LEADLINE_METRICS_ADDR must be an address and port, such as 127.0.0.1:9100, not {addr:?}")
                })?),
                _ => None,
            },
            smtp_url,
            mail_from,
            notify_interval: Duration::from_secs(env_or("LEADLINE_NOTIFY_INTERVAL_SECS", 30).max(1)),
            webhook_allow_private: env_or("LEADLINE_WEBHOOK_ALLOW_PRIVATE", false),
            demo: env_or("LEADLINE_DEMO", false),
        })
    }

    /// How often this database's request log is written.
    pub fn request_log_flush(&self) -> Duration {
        match super::db::Backend::of(&self.database_url) {
            Ok(super::db::Backend::Postgres) => REQUEST_LOG_FLUSH_POSTGRES,
            _ => REQUEST_LOG_FLUSH,
        }
    }

    /// The request log's queue: what it may write per flush, one flush
    /// every [`Self::request_log_flush`].
    pub fn request_log_rows_per_flush(&self) -> usize {
        let per_flush = (u128::from(self.request_log_rows_per_sec)
            * self.request_log_flush().as_millis())
        .div_ceil(1000);
        let per_flush = u64::try_from(per_flush).unwrap_or(u64::MAX);
        usize::try_from(per_flush).unwrap_or(usize::MAX)
    }

    pub fn for_tests(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            secure_cookies: false,
            session_idle: Duration::from_secs(2 * 3600),
            session_absolute: Duration::from_secs(24 * 3600),
            api_rate_limit_per_minute: 600,
            api_auth_failures_per_minute: 30,
            leak_reports_per_minute: 10,
            public_url: None,
            usage_flush: Duration::from_secs(3600),
            trusted_proxies: vec![],
            listener_heartbeat: Duration::from_secs(5),
            security_log_days: 90,
            request_log_days: 14,
            request_log_rows_per_sec: 2_000,
            metrics_addr: None,
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            notify_interval: Duration::from_secs(30),
            webhook_allow_private: false,
            demo: false,
        }
    }

    /// Where users reach the dashboard, for links in mail: the public URL,
    /// else the address the server listens on.
    pub fn site_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| {
            let addr =
                std::env::var("LEPTOS_SITE_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
            format!("http://{addr}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{is_loopback, public_url, secure_cookies};

    #[test]
    fn the_request_log_holds_what_it_may_write_per_flush() {
        let mut config = super::Config::for_tests("sqlite::memory:");
        config.request_log_rows_per_sec = 2_000;
        assert_eq!(config.request_log_rows_per_flush(), 2_000);
        config.request_log_rows_per_sec = u32::MAX;
        assert_eq!(
            config.request_log_rows_per_flush(),
            usize::try_from(u32::MAX).unwrap()
        );
        // PostgreSQL writes a quarter of a second's rows four times a second.
        let mut config = super::Config::for_tests("postgres://localhost/leadline");
        config.request_log_rows_per_sec = 2_000;
        assert_eq!(config.request_log_rows_per_flush(), 500);
        config.request_log_rows_per_sec = 1;
        assert_eq!(config.request_log_rows_per_flush(), 1, "never none");
    }

    #[test]
    fn cookies_are_secure_unless_said_otherwise_or_plain_http_on_loopback() {
        assert_eq!(secure_cookies(None, false), Ok(true));
        assert_eq!(secure_cookies(None, true), Ok(false));
        assert_eq!(secure_cookies(Some("false"), false), Ok(false));
        assert_eq!(secure_cookies(Some("true"), true), Ok(true));
        assert!(secure_cookies(Some("yes"), false).is_err());
    }

    #[test]
    fn secure_cookies_are_off_only_for_a_loopback_listener() {
        assert!(is_loopback(None), "the default 127.0.0.1:3000");
        assert!(is_loopback(Some("127.0.0.1:3000")));
        assert!(is_loopback(Some("[::1]:3000")));
        assert!(!is_loopback(Some("0.0.0.0:3000")));
        assert!(!is_loopback(Some("192.0.2.10:443")));
    }

    #[test]
    fn the_public_url_is_an_absolute_http_address() {
        assert_eq!(public_url(None), Ok(None));
        assert_eq!(public_url(Some(" ")), Ok(None));
        assert_eq!(
            public_url(Some("https://crm.example.com/")),
            Ok(Some("https://crm.example.com".into()))
        );
        assert!(public_url(Some("crm.example.com")).is_err());
        assert!(public_url(Some("https://crm.example.com/?x=1")).is_err());
    }
}
