//! Last-used time and request count per key, coalesced in memory so that the
//! API's hot path never writes to the database. Flushed every few seconds and
//! at shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::data;
use crate::server::Db;

#[derive(Clone)]
pub struct Usage {
    db: Db,
    pending: Arc<Mutex<HashMap<i64, Pending>>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pending {
    pub last_used_at: i64,
    pub requests: i64,
}

impl Usage {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            pending: Arc::default(),
        }
    }

    pub fn record(&self, key_id: i64, at: i64) {
        let mut pending = self.pending.lock().expect("usage lock");
        let entry = pending.entry(key_id).or_default();
        entry.last_used_at = entry.last_used_at.max(at);
        entry.requests += 1;
    }

    /// Not yet flushed usage of one key, so the dashboard is never behind.
    pub fn pending(&self, key_id: i64) -> Option<Pending> {
        self.pending
            .lock()
            .expect("usage lock")
            .get(&key_id)
            .copied()
    }

    /// Writes everything recorded so far in one transaction.
    pub async fn flush(&self) -> Result<usize, sqlx::Error> {
        let batch = std::mem::take(&mut *self.pending.lock().expect("usage lock"));
        if batch.is_empty() {
            return Ok(0);
        }
        let result = async {
            let mut tx = self.db.begin().await?;
            for (id, p) in &batch {
                data::add_usage(&mut tx, *id, p.last_used_at, p.requests).await?;
            }
            tx.commit().await
        }
        .await;
        if let Err(error) = result {
            // Put the batch back so the next flush retries it.
            let mut pending = self.pending.lock().expect("usage lock");
            for (id, p) in batch {
                let entry = pending.entry(id).or_default();
                entry.last_used_at = entry.last_used_at.max(p.last_used_at);
                entry.requests += p.requests;
            }
            return Err(error);
        }
        Ok(batch.len())
    }
}
