//! The per-key API rate limit, in fixed windows aligned on the clock.
//!
//! One instance (SQLite) counts in memory. Several instances (PostgreSQL)
//! share the count: each leases a block of requests from the key's row for
//! the current window (one indivisible `UPDATE`) and spends it locally, so
//! that the requests allowed across all instances never exceed the limit.
//! The price: requests leased by an instance that then gets no more traffic
//! go unused, at most `instances × block` per key and window, where `block`
//! is a twentieth of the limit (30 of the default 600). Near the limit an
//! instance leases one request at a time.

// A fast seeded hash: the keys are key ids the server gave out.
use foldhash::{HashMap, HashMapExt};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::db::{Backend, Db};
use super::throttle::{fixed_window, Verdict, Window};

pub struct KeyRateLimit {
    pub limit: u32,
    period: Duration,
    counts: Counts,
}

enum Counts {
    Local(Window<i64>),
    Shared {
        db: Db,
        block: u32,
        leases: Mutex<HashMap<i64, Lease>>,
    },
}

/// What this instance holds of one key's current window.
#[derive(Debug, Clone, Copy)]
struct Lease {
    window_start: i64,
    /// Leased and not yet spent.
    left: u32,
    /// The window's total over all instances, at the last lease.
    total: i64,
    /// The window's total reached the limit: refuse without asking.
    full: bool,
}

impl Lease {
    fn new(window_start: i64) -> Self {
        Self {
            window_start,
            left: 0,
            total: 0,
            full: false,
        }
    }
}

/// Takes `$3` requests for key `$1` in window `$2` if that keeps the total
/// within `$4`; returns the new total, or no row.
const LEASE: &str =
    "INSERT INTO api_rate_windows AS w (key_id, window_start, requests) VALUES ($1, $2, $3)
     ON CONFLICT (key_id, window_start) DO UPDATE SET requests = w.requests + $3
     WHERE w.requests + $3 <= $4
     RETURNING requests";

impl KeyRateLimit {
    pub fn new(limit: u32, period: Duration, db: &Db) -> Self {
        let counts = match Backend::of_pool(db) {
            Backend::Sqlite => Counts::Local(Window::new(limit, period)),
            Backend::Postgres => Counts::Shared {
                db: db.clone(),
                block: (limit / 20).max(1),
                leases: Mutex::new(HashMap::new()),
            },
        };
        Self {
            limit,
            period,
            counts,
        }
    }

    fn window(&self, now: DateTime<Utc>) -> (i64, u64) {
        fixed_window(self.period, now)
    }

    /// Counts one request of `key` and says whether it is within the limit.
    pub async fn hit(&self, key: i64, now: DateTime<Utc>) -> Result<Verdict, sqlx::Error> {
        let (db, block, leases) = match &self.counts {
            Counts::Local(window) => return Ok(window.hit(&key, now)),
            Counts::Shared { db, block, leases } => (db, *block, leases),
        };
        let (start, reset_secs) = self.window(now);
        let limit = i64::from(self.limit);
        let verdict = |allowed: bool, lease: &Lease| Verdict {
            allowed,
            remaining: u32::try_from((limit - lease.total + i64::from(lease.left)).clamp(0, limit))
                .unwrap_or(0),
            reset_secs,
        };
        {
            let mut leases = leases.lock().expect("rate limit lock");
            if leases.len() > 100_000 {
                leases.retain(|_, lease| lease.window_start == start);
            }
            let lease = leases.entry(key).or_insert_with(|| Lease::new(start));
            if lease.window_start != start {
                *lease = Lease::new(start);
            }
            if lease.left > 0 {
                lease.left -= 1;
                return Ok(verdict(true, lease));
            }
            if lease.full {
                return Ok(verdict(false, lease));
            }
        }
        // A whole block if it fits, else a single request.
        let mut granted = None;
        for size in if block > 1 { vec![block, 1] } else { vec![1] } {
            let total: Option<i64> = sqlx::query_scalar(LEASE)
                .bind(key)
                .bind(start)
                .bind(i64::from(size))
                .bind(limit)
                .fetch_optional(db)
                .await?;
            if let Some(total) = total {
                granted = Some((size, total));
                break;
            }
        }
        let mut leases = leases.lock().expect("rate limit lock");
        let lease = leases.entry(key).or_insert_with(|| Lease::new(start));
        if lease.window_start != start {
            *lease = Lease::new(start);
        }
        Ok(match granted {
            Some((size, total)) => {
                lease.left += size - 1;
                lease.total = lease.total.max(total);
                verdict(true, lease)
            }
            None => {
                lease.full = true;
                lease.total = limit;
                verdict(false, lease)
            }
        })
    }

    /// Forgets shared windows that have ended.
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        if let Counts::Shared { db, .. } = &self.counts {
            let (start, _) = self.window(now);
            sqlx::query("DELETE FROM api_rate_windows WHERE window_start < $1")
                .bind(start)
                .execute(db)
                .await?;
        }
        Ok(())
    }
}
