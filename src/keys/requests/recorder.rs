//! The request log's side of the request path: a bounded queue in memory,
//! written out every second, or quarter second on PostgreSQL
//! (`platform::config::Config::request_log_flush`), and at
//! shutdown. Appending is all a request pays. The queue holds what the log
//! may write per flush (`LEADLINE_REQUEST_LOG_ROWS_PER_SEC` for one interval):
//! past that, the oldest unwritten rows go and are counted. So memory stays
//! bounded, no request waits for the log, and writing it never takes more
//! than its share of the machine from the requests themselves.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use thread_local::ThreadLocal;

use crate::platform::text::capped;

use super::data;
use crate::platform::db::Copier;
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

/// A request as the API layer hands it over (`api::with_request_id`). Under
/// overload every request builds a row and pushes out the oldest, so a row
/// costs one allocation: its id, key prefix and route are held inline or
/// borrowed from the router, and its two texts share one buffer.
#[derive(Debug, Clone)]
pub struct NewLoggedRequest {
    pub request_id: crate::error::request_id::RequestId,
    pub organisation_id: i64,
    pub key_id: i64,
    pub key_prefix: LoggedPrefix,
    pub occurred_at: i64,
    pub method: axum::http::Method,
    /// The route template (one of the router's own); empty when no route
    /// matched.
    pub route: &'static str,
    pub texts: RequestTexts,
    pub status: u16,
    pub error_code: Option<&'static str>,
    pub client_ip: std::net::IpAddr,
    pub latency_us: i64,
    pub response_bytes: Option<i64>,
}

/// A key prefix as a row carries it, inline: at most the 14 characters of
/// a prefix (an untrusted token's echo is no longer).
pub type LoggedPrefix = arrayvec::ArrayString<{ crate::keys::token::PREFIX_LEN }>;

/// `prefix` as a row carries it: cut at 14 bytes, on a character boundary.
pub fn logged_prefix(prefix: &str) -> LoggedPrefix {
    let mut end = prefix.len().min(crate::keys::token::PREFIX_LEN);
    while !prefix.is_char_boundary(end) {
        end -= 1;
    }
    LoggedPrefix::from(&prefix[..end]).unwrap_or_default()
}

/// The request's target (path and query as sent, at most [`TARGET_KEPT`]
/// characters) and user agent (at most [`USER_AGENT_KEPT`]), copied out of
/// the request into one buffer. Copied, never shared: a shared slice would
/// keep the connection's whole read buffer alive while the row waits, and a
/// queue of them grew the server's memory by tens of megabytes under load
/// (docs/benchmarks.md). Copying is also what bounds a row's size.
#[derive(Debug, Clone, Default)]
pub struct RequestTexts {
    text: String,
    target_len: usize,
}

impl RequestTexts {
    pub fn new(target: &str, user_agent: &str) -> Self {
        let (target, user_agent) = (
            capped(target, TARGET_KEPT),
            capped(user_agent, USER_AGENT_KEPT),
        );
        let mut text = String::with_capacity(target.len() + user_agent.len());
        text.push_str(target);
        text.push_str(user_agent);
        Self {
            text,
            target_len: target.len(),
        }
    }

    pub fn target(&self) -> &str {
        &self.text[..self.target_len]
    }

    pub fn user_agent(&self) -> &str {
        &self.text[self.target_len..]
    }
}

/// What a queued row keeps of the request's target and user agent.
pub const TARGET_KEPT: usize = 1000;
pub const USER_AGENT_KEPT: usize = 200;

impl NewLoggedRequest {
    /// The path as sent, without its query, at most 200 characters.
    pub fn path(&self) -> String {
        let target = self.texts.target();
        let path = target.split_once('?').map_or(target, |(p, _)| p);
        capped(path, 200).to_owned()
    }

    /// The query's parameter names, comma-separated, each once: never the
    /// values, which may hold personal data (a search for someone's
    /// address).
    pub fn query_names(&self) -> String {
        query_names(self.texts.target().split_once('?').map(|(_, q)| q))
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
    use super::{logged_prefix, query_names, NewLoggedRequest, RequestTexts};

    #[test]
    fn a_target_is_written_as_its_path_and_its_parameter_names() {
        let row = NewLoggedRequest {
            request_id: crate::error::request_id::RequestId::new(),
            organisation_id: 1,
            key_id: 1,
            key_prefix: logged_prefix("sk_AbCd1234_Ab"),
            occurred_at: 0,
            method: axum::http::Method::GET,
            route: "/api/v1/leads",
            texts: RequestTexts::new("/api/v1/leads?q=ada%40example.com&limit=5", "curl/8"),
            status: 200,
            error_code: None,
            client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            latency_us: 1,
            response_bytes: None,
        };
        assert_eq!(row.path(), "/api/v1/leads");
        assert_eq!(row.query_names(), "q,limit");
        assert_eq!(row.texts.user_agent(), "curl/8");
        let bare = NewLoggedRequest {
            texts: RequestTexts::new("/api/v1/leads/7", ""),
            ..row
        };
        assert_eq!(
            (bare.path().as_str(), bare.query_names().as_str()),
            ("/api/v1/leads/7", "")
        );
    }

    #[test]
    fn a_row_keeps_bounded_texts_and_prefixes() {
        let long = "é".repeat(1500);
        let texts = RequestTexts::new(&long, &long);
        assert_eq!(texts.target().chars().count(), super::TARGET_KEPT);
        assert_eq!(texts.user_agent().chars().count(), super::USER_AGENT_KEPT);
        assert_eq!(
            logged_prefix("sk_AbCd1234_AbCdEf").as_str(),
            "sk_AbCd1234_Ab"
        );
        assert_eq!(logged_prefix("sk_ab").as_str(), "sk_ab");
        assert_eq!(
            logged_prefix("sk_AbCd1234_Aé").as_str(),
            "sk_AbCd1234_A",
            "cut on a character"
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

/// One thread's part of the queue: the rows it appended and not yet
/// written, and how many of its rows it dropped.
#[derive(Default)]
struct Shard {
    rows: VecDeque<NewLoggedRequest>,
    dropped: u64,
}

#[derive(Clone)]
pub struct RequestLog {
    db: Db,
    /// How a flush writes on PostgreSQL; SQLite inserts.
    copier: Option<Copier>,
    /// One queue per thread that appends: a request locks only its own
    /// thread's, so no lock or counter is shared between cores on the
    /// request path (shared ones cost the authenticated read several
    /// microseconds on two cores: docs/benchmarks.md). A flush gathers them.
    shards: Arc<ThreadLocal<Mutex<Shard>>>,
    /// Rows dropped, as gathered from the shards at each flush.
    dropped: Arc<AtomicU64>,
    held: usize,
}

impl RequestLog {
    /// A log that writes at most `held` rows a flush; each thread holds at
    /// most that many unwritten.
    pub fn holding(db: Db, held: usize) -> Self {
        Self {
            copier: Copier::for_pool(&db),
            db,
            shards: Arc::default(),
            dropped: Arc::default(),
            held,
        }
    }

    fn shard(&self) -> std::sync::MutexGuard<'_, Shard> {
        self.shards
            .get_or_default()
            .lock()
            .expect("request log lock")
    }

    /// Queues a request; drops the oldest unwritten one when full.
    pub fn push(&self, request: NewLoggedRequest) {
        let mut shard = self.shard();
        if shard.rows.len() >= self.held {
            shard.rows.pop_front();
            shard.dropped += 1;
        }
        shard.rows.push_back(request);
    }

    /// Rows dropped unwritten since the start.
    pub fn dropped(&self) -> u64 {
        let unreported: u64 = self
            .shards
            .iter()
            .map(|shard| shard.lock().expect("request log lock").dropped)
            .sum();
        self.dropped.load(Ordering::Relaxed) + unreported
    }

    fn count_dropped(&self, n: u64) {
        if n > 0 {
            self.dropped.fetch_add(n, Ordering::Relaxed);
            metrics::counter!(crate::platform::metrics::REQUEST_LOG_DROPPED).increment(n);
        }
    }

    /// Rows waiting to be written.
    pub fn waiting(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().expect("request log lock").rows.len())
            .sum()
    }

    /// Keeps the newest `held` of `rows`, counting the rest as dropped.
    fn bounded(&self, mut rows: Vec<NewLoggedRequest>) -> Vec<NewLoggedRequest> {
        let excess = rows.len().saturating_sub(self.held);
        if excess > 0 {
            rows.sort_by_key(|row| row.occurred_at);
            rows.drain(..excess);
            self.count_dropped(excess as u64);
        }
        rows
    }

    /// Every thread's rows, at most `held` of them (the oldest go).
    fn gather(&self) -> Vec<NewLoggedRequest> {
        let mut rows = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock().expect("request log lock");
            rows.extend(shard.rows.drain(..));
            let dropped = std::mem::take(&mut shard.dropped);
            self.count_dropped(dropped);
        }
        self.bounded(rows)
    }

    /// Writes what is queued; on failure the rows go back, with any queued
    /// since on this thread (within the bound), for the next flush. Returns
    /// how many were written.
    pub async fn flush(&self) -> Result<usize, sqlx::Error> {
        let batch = self.gather();
        if batch.is_empty() {
            return Ok(0);
        }
        let written = match &self.copier {
            Some(copier) => copier
                .copy(data::COPY, &data::copy_rows(&batch))
                .await
                .map(drop),
            None => {
                async {
                    let mut tx = self.db.begin().await?;
                    for rows in statements(&batch) {
                        data::insert(&mut tx, rows).await?;
                    }
                    tx.commit().await
                }
                .await
            }
        };
        if let Err(error) = written {
            let mut shard = self.shard();
            let newer: Vec<NewLoggedRequest> = shard.rows.drain(..).collect();
            let all = self.bounded(batch.into_iter().chain(newer).collect());
            shard.rows = all.into();
            return Err(error);
        }
        Ok(batch.len())
    }
}
