//! What the request log holds of an API request, and the Requests page's
//! filters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::usage::domain::Outcome;

/// How many requests the Requests page shows at a time.
pub const REQUESTS_PAGE_SIZE: i64 = 50;

/// The status classes the page filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusClass {
    Success,
    ClientError,
    ServerError,
}

impl StatusClass {
    pub const ALL: [StatusClass; 3] = [Self::Success, Self::ClientError, Self::ServerError];

    pub fn of(status: u16) -> i64 {
        i64::from(status / 100)
    }

    /// The hundreds digit, as stored in `status_class`.
    pub fn digit(self) -> i64 {
        match self {
            Self::Success => 2,
            Self::ClientError => 4,
            Self::ServerError => 5,
        }
    }

    /// As in the address: `2xx`, `4xx`, `5xx`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Success => "2xx",
            Self::ClientError => "4xx",
            Self::ServerError => "5xx",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == raw)
    }
}

/// One logged request, as the page and the export show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub request_id: String,
    /// The key's id, for a link to its usage while it exists (rows outlive
    /// a deleted key; the prefix names it then).
    pub key_id: i64,
    pub key_prefix: String,
    pub at: DateTime<Utc>,
    pub method: String,
    /// The route template, such as `/api/v1/leads/{id}`; empty when no
    /// route matched.
    pub route: String,
    /// The path as sent, without its query.
    pub path: String,
    pub status: u16,
    pub error_code: Option<String>,
    pub client_ip: String,
    pub user_agent: String,
    /// From the request's arrival to its answer's head, in microseconds.
    pub latency_us: i64,
    /// The body's size when it was known in advance (not for streams).
    pub response_bytes: Option<i64>,
    /// The query's parameter names, never their values.
    pub query_names: Vec<String>,
    /// Where the page continues after this row (`before`).
    pub cursor: String,
}

impl LoggedRequest {
    /// The request as a curl command, with the key left to the shell's
    /// `$LEADLINE_KEY` and each query parameter's value left for the reader
    /// to fill in (they were never stored).
    pub fn as_curl(&self, origin: &str) -> String {
        let mut url = format!("{origin}{}", self.path);
        if !self.query_names.is_empty() {
            let query: Vec<String> = self
                .query_names
                .iter()
                .map(|name| format!("{name}=…"))
                .collect();
            url = format!("{url}?{}", query.join("&"));
        }
        let mut command = String::from("curl");
        if self.method != "GET" {
            command.push_str(&format!(" -X {}", self.method));
        }
        command.push_str(&format!(
            " '{url}' -H \"Authorization: Bearer $LEADLINE_KEY\""
        ));
        if matches!(self.method.as_str(), "POST" | "PATCH" | "PUT") {
            command.push_str(" -H 'Content-Type: application/json' -d '{…}'");
        }
        command
    }

    pub fn outcome(&self) -> Option<Outcome> {
        Outcome::of_status(self.status)
    }
}

/// The page's filters as the address gives them: text, checked by the
/// server (`RequestFilter`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestQuery {
    /// A key prefix.
    #[serde(default)]
    pub key: String,
    /// `2xx`, `4xx` or `5xx`.
    #[serde(default)]
    pub class: String,
    /// A usage outcome (`refused`, …): what a bar of a usage chart links to.
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub route: String,
    /// UTC times, `YYYY-MM-DDTHH:MM` (a datetime-local field) or RFC 3339.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// The page's cursor, from the previous page.
    #[serde(default)]
    pub before: String,
    /// A request id, pasted into the search box: the page shows that request.
    #[serde(default)]
    pub id: String,
}

impl RequestQuery {
    /// The query string of these filters (no cursor, no id).
    pub fn filters(&self) -> String {
        use crate::web::ui::encode;
        [
            ("key", &self.key),
            ("class", &self.class),
            ("outcome", &self.outcome),
            ("code", &self.code),
            ("route", &self.route),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// A page of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestsPage {
    pub requests: Vec<LoggedRequest>,
    /// The cursor of the next (older) page, if there is one.
    pub next: Option<String>,
    /// The request the search box asked for, with its catalogue entry.
    pub shown: Option<ShownRequest>,
    /// How many days the log keeps.
    pub kept_days: u32,
}

/// One request in detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownRequest {
    pub request: LoggedRequest,
    /// The key's name, while it exists.
    pub key_name: Option<String>,
    /// What the error code means and what to do, from the catalogue.
    pub meaning: Option<String>,
    pub fix: Option<String>,
    /// `curl` for the request (see [`LoggedRequest::as_curl`]).
    pub curl: String,
}

/// A page's cursor as the address carries it (`{occurred_at}.{id}`, from
/// [`LoggedRequest::cursor`]).
pub fn parse_cursor(raw: &str) -> Option<(i64, i64)> {
    let (at, id) = raw.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// Whether text looks like a request id (`req_` and a ULID), in any case:
/// people paste what an error showed them.
pub fn is_request_id(text: &str) -> bool {
    text.len() == 30
        && text
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("req_"))
        && text[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, names: &[&str]) -> LoggedRequest {
        LoggedRequest {
            request_id: "req_01JDZ0000000000000000000AA".into(),
            key_id: 1,
            key_prefix: "sk_AbCd1234_Ab".into(),
            at: DateTime::from_timestamp(0, 0).unwrap(),
            method: method.into(),
            route: "/api/v1/leads".into(),
            path: path.into(),
            status: 200,
            error_code: None,
            client_ip: "127.0.0.1".into(),
            user_agent: String::new(),
            latency_us: 1,
            response_bytes: None,
            query_names: names.iter().map(|n| n.to_string()).collect(),
            cursor: String::new(),
        }
    }

    #[test]
    fn curl_names_the_key_by_variable_and_leaves_values_to_fill_in() {
        assert_eq!(
            request("GET", "/api/v1/leads", &["q", "limit"]).as_curl("https://crm.example"),
            "curl 'https://crm.example/api/v1/leads?q=…&limit=…' -H \"Authorization: Bearer $LEADLINE_KEY\""
        );
        let post = request("POST", "/api/v1/leads", &[]).as_curl("http://127.0.0.1:3000");
        assert!(post.starts_with("curl -X POST 'http://127.0.0.1:3000/api/v1/leads' "));
        assert!(post.ends_with("-d '{…}'"));
    }

    #[test]
    fn request_ids_are_told_from_other_text() {
        assert!(is_request_id("req_01JDZ8W1S4X1T3V2M9C0FQ7H6K"));
        assert!(is_request_id("REQ_01jdz8w1s4x1t3v2m9c0fq7h6k"));
        assert!(!is_request_id("req_01JDZ8W1S4X1T3V2M9C0FQ7H6"));
        assert!(!is_request_id("sk_AbCd1234_AbCdEfGhIjKlMnOpQ"));
        assert!(!is_request_id("req_01JDZ8W1S4X1T3V2M9C0FQ7H6é"));
    }

    #[test]
    fn status_classes_read_and_write_as_in_the_address() {
        for class in StatusClass::ALL {
            assert_eq!(StatusClass::parse(class.key()), Some(class));
        }
        assert_eq!(StatusClass::parse("3xx"), None);
        assert_eq!(StatusClass::of(404), 4);
    }
}
