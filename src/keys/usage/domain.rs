//! Key usage by outcome, shared by the server and the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What became of an API request made with a known key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Outcome {
    /// 2xx.
    Success,
    /// 4xx other than the three below: bad input, not found, wrong method.
    ClientError,
    /// 401 and 403: revoked, expired, IP-refused, missing permission, or a
    /// wrong secret for one of the organisation's prefixes.
    Refused,
    /// 429.
    RateLimited,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Self::Success,
        Self::ClientError,
        Self::Refused,
        Self::RateLimited,
    ];

    /// The class of a response status; 5xx (our failures, logged) and
    /// anything else are not counted.
    pub fn of_status(status: u16) -> Option<Self> {
        match status {
            200..=299 => Some(Self::Success),
            401 | 403 => Some(Self::Refused),
            429 => Some(Self::RateLimited),
            400..=499 => Some(Self::ClientError),
            _ => None,
        }
    }

    /// As stored and as the CSS class of its bars.
    pub fn key(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::ClientError => "client_error",
            Self::Refused => "refused",
            Self::RateLimited => "rate_limited",
        }
    }

    /// A stored class: one of the keys above, or [`INACTIVE`] (refused).
    pub fn parse(raw: &str) -> Option<Self> {
        if raw == INACTIVE {
            return Some(Self::Refused);
        }
        Self::ALL.into_iter().find(|o| o.key() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Success => "Success",
            Self::ClientError => "Client error",
            Self::Refused => "Refused",
            Self::RateLimited => "Rate limited",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Requests in one hour or day, by outcome (indexed by [`Outcome::index`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub counts: [i64; 4],
}

impl Bucket {
    pub fn total(&self) -> i64 {
        self.counts.iter().sum()
    }
}

/// One refused request, as the key's usage page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedRequest {
    pub at: DateTime<Utc>,
    pub code: String,
    pub method: String,
    pub path: String,
    pub client: String,
}

/// A chart: its buckets (for the table alternative) and the SVG the server
/// drew from them (so it shows before hydration, with no chart code in the
/// browser).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub title: String,
    pub buckets: Vec<Bucket>,
    pub svg: String,
}

/// The key's usage page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyUsage {
    pub key: crate::keys::domain::KeySummary,
    pub last_24_hours: Chart,
    pub last_30_days: Chart,
    /// Over the 30 days, by outcome.
    pub totals: [i64; 4],
    pub refused: Vec<RefusedRequest>,
}

/// The Developer page's overview: every key's requests over 7 days, and
/// the busiest keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgOverview {
    pub last_7_days: Chart,
    pub top_keys: Vec<TopKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub requests: i64,
}

/// How a refusal of a key that no longer works (revoked or expired) is
/// stored: refused in every chart, and counted apart for "Still called".
pub const INACTIVE: &str = "refused_inactive";

/// The class a refusal is stored under.
pub fn refusal_class(code: &str) -> &'static str {
    match code {
        "key_revoked" | "key_expired" => INACTIVE,
        _ => Outcome::Refused.key(),
    }
}

/// How long usage is kept.
pub const RETENTION_DAYS: i64 = 90;
/// An active key not used for this long is flagged "Unused for 90 days".
pub const UNUSED_DAYS: i64 = 90;

/// "1 request", "8 requests".
pub fn requests(n: i64) -> String {
    if n == 1 {
        "1 request".to_owned()
    } else {
        format!("{n} requests")
    }
}

/// Refused requests kept per key.
pub const REFUSALS_KEPT: usize = 20;

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The start of the hour (UTC) `at` falls in, in milliseconds.
pub fn hour_of(at: i64) -> i64 {
    at - at.rem_euclid(HOUR_MS)
}

#[cfg(test)]
mod tests {

    #[test]
    fn one_request_is_singular() {
        assert_eq!(requests(1), "1 request");
        assert_eq!(requests(0), "0 requests");
        assert_eq!(requests(12), "12 requests");
    }

    use super::*;

    #[test]
    fn statuses_fall_into_the_documented_classes() {
        let class = |s| Outcome::of_status(s);
        assert_eq!(class(200), Some(Outcome::Success));
        assert_eq!(class(204), Some(Outcome::Success));
        assert_eq!(class(401), Some(Outcome::Refused));
        assert_eq!(class(403), Some(Outcome::Refused));
        assert_eq!(class(429), Some(Outcome::RateLimited));
        for s in [400, 404, 405, 413, 415, 422] {
            assert_eq!(class(s), Some(Outcome::ClientError), "{s}");
        }
        assert_eq!(class(500), None);
        assert_eq!(Outcome::parse(INACTIVE), Some(Outcome::Refused));
        assert_eq!(refusal_class("key_revoked"), INACTIVE);
        assert_eq!(refusal_class("insufficient_permission"), "refused");
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.key()), Some(o));
            assert_eq!(Outcome::ALL[o.index()], o);
        }
    }

    #[test]
    fn hours_start_on_the_hour() {
        assert_eq!(hour_of(7_199_999), HOUR_MS);
        assert_eq!(hour_of(7_200_000), 2 * HOUR_MS);
        assert_eq!(hour_of(0), 0);
    }
}

/// A refused request to remember.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefusal {
    pub key_id: i64,
    pub organisation_id: i64,
    pub occurred_at: i64,
    pub code: &'static str,
    pub method: String,
    pub path: String,
    pub client_ip: String,
}
