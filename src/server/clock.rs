//! The time source. Tests swap in a clock they can move.

use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock that stands still at `start` until advanced.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self {
            fixed: Some(Arc::new(AtomicI64::new(start.timestamp_millis()))),
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Some(fixed) = &self.fixed {
            fixed.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            Some(fixed) => from_millis(fixed.load(Ordering::SeqCst)),
            None => Utc::now(),
        }
    }
}

pub fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}
