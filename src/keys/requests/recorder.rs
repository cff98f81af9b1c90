//! The request log's side of the request path: a bounded queue in memory,
//! which the usage flush writes out every few seconds (and at shutdown).
//! Appending is all a request pays. The queue holds what the log may write
//! per flush (`LEADLINE_REQUEST_LOG_ROWS_PER_SEC` times the flush interval):
//! past that, the oldest unwritten rows go and are counted. So memory stays
//! bounded, no request waits for the log, and writing it never takes more
//! than its share of the machine from the requests themselves.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::data;
use crate::platform::Db;

/// Rows written per statement: full statements of the largest size, then
/// the rest in the smaller sizes, so that each connection prepares a
/// handful of statements once instead of a new one for every flush's odd
/// remainder.
const INSERT_SIZES: [usize; 9] = [200, 128, 64, 32, 16, 8, 4, 2, 1];

/// `rows` cut into statements of the sizes above.
fn statements<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let size = *INSERT_SIZES.iter().find(|&&size| size <= rows.len())?;
        let (statement, rest) = rows.split_at(size);
        rows = rest;
        Some(statement)
    })
}

/// A request as the API layer hands it over (`api::with_request_id`). Its
/// text is copied out of the request, never shared with it: a shared slice
/// would keep the connection's whole read buffer alive while the row
/// waits, and a queue of them grew the server's memory by tens of
/// megabytes under load (docs/benchmarks.md). Copying is also what bounds
/// a row's size.
#[derive(Debug, Clone)]
pub struct NewLoggedRequest {
    pub request_id: crate::error::request_id::RequestId,
    pub organisation_id: i64,
    pub key_id: i64,
    pub key_prefix: String,
    pub occurred_at: i64,
    pub method: axum::http::Method,
    /// The route template; empty when no route matched.
    pub route: String,
    /// The path and query as sent, at most [`TARGET_KEPT`] characters; only
    /// the path and the query's parameter names are written.
    pub target: String,
    pub status: u16,
    pub error_code: Option<&'static str>,
    pub client_ip: std::net::IpAddr,
    /// At most [`USER_AGENT_KEPT`] characters.
    pub user_agent: String,
    pub latency_us: i64,
    pub response_bytes: Option<i64>,
}

/// What a queued row keeps of the request's target and user agent.
pub const TARGET_KEPT: usize = 1000;
pub const USER_AGENT_KEPT: usize = 200;

impl NewLoggedRequest {
    /// The path as sent, without its query, at most 200 characters.
    pub fn path(&self) -> String {
        let path = self
            .target
            .split_once('?')
            .map_or(self.target.as_str(), |(p, _)| p);
        path.chars().take(200).collect()
    }

    /// The query's parameter names, comma-separated, each once: never the
    /// values, which may hold personal data (a search for someone's
    /// address).
    pub fn query_names(&self) -> String {
        query_names(self.target.split_once('?').map(|(_, q)| q))
    }
}

fn query_names(query: Option<&str>) -> String {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let name: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
            .take(40)
            .collect();
        if !name.is_empty() && !names.contains(&name) && names.len() < 20 {
            names.push(name);
        }
    }
    names.join(",")
}

#[cfg(test)]
mod tests {
    use super::{query_names, NewLoggedRequest};

    #[test]
    fn a_target_is_written_as_its_path_and_its_parameter_names() {
        let row = NewLoggedRequest {
            request_id: crate::error::request_id::RequestId::new(),
            organisation_id: 1,
            key_id: 1,
            key_prefix: "sk_AbCd1234_Ab".into(),
            occurred_at: 0,
            method: axum::http::Method::GET,
            route: "/api/v1/leads".into(),
            target: "/api/v1/leads?q=ada%40example.com&limit=5".into(),
            status: 200,
            error_code: None,
            client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            user_agent: String::new(),
            latency_us: 1,
            response_bytes: None,
        };
        assert_eq!(row.path(), "/api/v1/leads");
        assert_eq!(row.query_names(), "q,limit");
        let bare = NewLoggedRequest {
            target: "/api/v1/leads/7".into(),
            ..row
        };
        assert_eq!(
            (bare.path().as_str(), bare.query_names().as_str()),
            ("/api/v1/leads/7", "")
        );
    }

    #[test]
    fn a_flush_is_written_in_statements_of_a_few_sizes() {
        let sizes =
            |n: usize| -> Vec<usize> { super::statements(&vec![(); n]).map(<[()]>::len).collect() };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(200), [200]);
        assert_eq!(sizes(455), [200, 200, 32, 16, 4, 2, 1]);
        assert_eq!(sizes(10_000).len(), 50);
    }

    #[test]
    fn only_query_parameter_names_are_kept() {
        assert_eq!(
            query_names(Some("q=ada%40example.com&limit=5&q=again&status=won")),
            "q,limit,status"
        );
        assert_eq!(query_names(Some("a,b=1&%3Cscript%3E=x")), "ab,script");
        assert_eq!(query_names(None), "");
    }
}

#[derive(Clone)]
pub struct RequestLog {
    db: Db,
    pending: Arc<Mutex<VecDeque<NewLoggedRequest>>>,
    dropped: Arc<AtomicU64>,
    held: usize,
}

impl RequestLog {
    /// A log that holds at most `held` unwritten rows.
    pub fn holding(db: Db, held: usize) -> Self {
        Self {
            db,
            pending: Arc::default(),
            dropped: Arc::default(),
            held,
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<NewLoggedRequest>> {
        self.pending.lock().expect("request log lock")
    }

    /// Queues a request; drops the oldest unwritten one when full.
    pub fn push(&self, request: NewLoggedRequest) {
        let mut queue = self.queue();
        if queue.len() >= self.held {
            queue.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(crate::platform::metrics::REQUEST_LOG_DROPPED).increment(1);
        }
        queue.push_back(request);
    }

    /// Rows dropped unwritten since the start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Rows waiting to be written.
    pub fn waiting(&self) -> usize {
        self.queue().len()
    }

    /// Writes what is queued; on failure the rows go back in front of any
    /// queued since (within the bound) for the next flush. Returns how many
    /// were written.
    pub async fn flush(&self) -> Result<usize, sqlx::Error> {
        let batch: Vec<NewLoggedRequest> = self.queue().drain(..).collect();
        if batch.is_empty() {
            return Ok(0);
        }
        let written = async {
            let mut tx = self.db.begin().await?;
            for rows in statements(&batch) {
                data::insert(&mut tx, rows).await?;
            }
            tx.commit().await
        }
        .await;
        if let Err(error) = written {
            let mut queue = self.queue();
            let newer: Vec<NewLoggedRequest> = queue.drain(..).collect();
            let mut all: VecDeque<NewLoggedRequest> = batch.into_iter().chain(newer).collect();
            let excess = all.len().saturating_sub(self.held);
            all.drain(..excess);
            self.dropped.fetch_add(excess as u64, Ordering::Relaxed);
            metrics::counter!(crate::platform::metrics::REQUEST_LOG_DROPPED)
                .increment(excess as u64);
            *queue = all;
            return Err(error);
        }
        Ok(batch.len())
    }
}
