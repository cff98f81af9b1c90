//! The time source (tests swap in a clock they can move), and how times
//! are written for people.

use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
    /// Milliseconds added to the system time (browser tests move it).
    offset: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stands still at `start` until advanced.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self {
            fixed: Some(Arc::new(AtomicI64::new(start.timestamp_millis()))),
            offset: None,
        }
    }

    /// The system time plus the number of seconds written in `path` (none
    /// while it is missing), re-read every 100 ms: how the browser tests
    /// move a real server's time (LEADLINE_TEST_CLOCK_FILE). Compiled only
    /// with the test-clock feature.
    #[cfg(feature = "test-clock")]
    pub fn offset_by_file(path: std::path::PathBuf) -> Self {
        let offset = Arc::new(AtomicI64::new(0));
        let shared = Arc::clone(&offset);
        std::thread::spawn(move || loop {
            let secs = std::fs::read_to_string(&path)
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .unwrap_or(0);
            shared.store(secs.saturating_mul(1000), Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(100));
        });
        Self {
            fixed: None,
            offset: Some(offset),
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Some(fixed) = &self.fixed {
            fixed.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match (&self.fixed, &self.offset) {
            (Some(fixed), _) => from_millis(fixed.load(Ordering::SeqCst)),
            (None, Some(offset)) => {
                Utc::now() + chrono::Duration::milliseconds(offset.load(Ordering::Relaxed))
            }
            (None, None) => Utc::now(),
        }
    }
}

pub fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A time as the dashboard writes it: `2026-12-02 16:24 UTC`.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn format_optional(at: Option<DateTime<Utc>>, none: &str) -> String {
    at.map(format_time).unwrap_or_else(|| none.to_owned())
}
