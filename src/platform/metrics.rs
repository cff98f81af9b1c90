//! Metrics for operators, in the Prometheus text format, served on their own
//! address (`LEADLINE_METRICS_ADDR`, off by default) so that they are never
//! public. Code anywhere records through the `metrics` macros, which cost
//! next to nothing while no recorder is installed.
//!
//! Labels are bounded sets: route templates, status classes, outcomes and
//! names fixed in the code; never a key prefix, an organisation or a path.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::Db;

/// API requests, by route template, status class and outcome.
pub const API_REQUESTS: &str = "leadline_api_requests_total";
/// API latency in seconds, by route template: a histogram.
pub const API_LATENCY: &str = "leadline_api_request_duration_seconds";
/// Credential cache look-ups, by result (`hit`, `miss`).
pub const CREDENTIAL_CACHE: &str = "leadline_credential_cache_lookups_total";
/// 1 while the PostgreSQL change listener listens, 0 while it is deaf.
pub const LISTENER_UP: &str = "leadline_change_listener_up";
/// Rows waiting in memory, by log (`usage`, `requests`).
pub const FLUSH_WAITING: &str = "leadline_flush_waiting_rows";
/// When a log's last flush succeeded (Unix seconds): now minus this is
/// the flush lag.
pub const FLUSH_LAST_SUCCESS: &str = "leadline_flush_last_success_timestamp_seconds";
/// Failed flushes, by log.
pub const FLUSH_FAILURES: &str = "leadline_flush_failures_total";
/// Request-log rows dropped unwritten because writes fell behind.
pub const REQUEST_LOG_DROPPED: &str = "leadline_request_log_dropped_rows_total";
/// Database connections, by state (`in_use`, `idle`).
pub const POOL_CONNECTIONS: &str = "leadline_db_pool_connections";
/// Requests refused by a throttle, by throttle.
pub const THROTTLE_BLOCKS: &str = "leadline_throttle_blocks_total";
/// API requests refused by a key's rate limit.
pub const RATE_LIMIT_DENIALS: &str = "leadline_rate_limit_denials_total";
/// Notification attempts, by channel (`mail`, `webhook`) and result
/// (`sent`, `logged`, `delivered`, `retried`, `failed`).
pub const NOTIFICATIONS: &str = "leadline_notifications_total";
/// 1 while this instance holds the notifications lease (it sends them).
pub const NOTIFY_LEASE: &str = "leadline_notifications_lease_held";

/// Latency buckets, in seconds: a cached read takes well under a
/// millisecond, a search on a million rows a few.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Whether metrics are recorded: per-request labels are not even built
/// otherwise.
pub fn on() -> bool {
    HANDLE.get().is_some()
}

/// The process's recorder, installed on first use: at start when
/// `LEADLINE_METRICS_ADDR` is set (before the state, whose throttles
/// register their counters), else never.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(API_LATENCY.to_owned()), &LATENCY_BUCKETS)
            .expect("latency buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may be installed already (a test harness's):
        // then this handle renders nothing, which its caller sees.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        // Shown at zero from the start, rather than appearing with the
        // first event (throttles register theirs when they are made).
        metrics::counter!(RATE_LIMIT_DENIALS).increment(0);
        metrics::counter!(REQUEST_LOG_DROPPED).increment(0);
        metrics::gauge!(NOTIFY_LEASE).set(0.0);
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        API_REQUESTS,
        "API requests by route template, status class and outcome."
    );
    describe_histogram!(
        API_LATENCY,
        Unit::Seconds,
        "API request latency by route template."
    );
    describe_counter!(CREDENTIAL_CACHE, "Credential cache look-ups by result.");
    describe_gauge!(
        LISTENER_UP,
        "1 while the PostgreSQL change listener listens."
    );
    describe_gauge!(
        FLUSH_WAITING,
        "Rows waiting in memory to be written, by log."
    );
    describe_gauge!(
        FLUSH_LAST_SUCCESS,
        Unit::Seconds,
        "When each log's last flush succeeded."
    );
    describe_counter!(FLUSH_FAILURES, "Failed flushes, by log.");
    describe_counter!(
        REQUEST_LOG_DROPPED,
        "Request-log rows dropped because writes fell behind."
    );
    describe_gauge!(POOL_CONNECTIONS, "Database pool connections by state.");
    describe_counter!(
        THROTTLE_BLOCKS,
        "Requests refused by a throttle, by throttle."
    );
    describe_counter!(
        RATE_LIMIT_DENIALS,
        "API requests refused by a key's rate limit."
    );
    describe_counter!(
        NOTIFICATIONS,
        "Notification attempts by channel (mail, webhook) and result."
    );
    describe_gauge!(
        NOTIFY_LEASE,
        "1 while this instance holds the notifications lease and sends them."
    );
}

/// The page a scrape gets: the pool's state read now, then everything.
pub fn render(db: &Db) -> String {
    let handle = handle();
    let size = i64::from(db.size());
    let idle = i64::try_from(db.num_idle()).unwrap_or(i64::MAX);
    metrics::gauge!(POOL_CONNECTIONS, "state" => "in_use").set((size - idle).max(0) as f64);
    metrics::gauge!(POOL_CONNECTIONS, "state" => "idle").set(idle as f64);
    handle.render()
}

/// Serves `GET /metrics` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, db: Db) -> std::io::Result<()> {
    handle();
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let db = db.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    render(&db),
                )
            }
        }),
    );
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("metrics on http://{addr}/metrics");
    }
    axum::serve(listener, router).await
}
