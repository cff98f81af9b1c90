//! What the API's requests did with each key, coalesced in memory so that
//! the hot path never writes to the database: last-used time and request
//! count, requests per hour and outcome, and the last refused requests.
//! Flushed every few seconds and at shutdown, as additive increments (so
//! several instances add up).

// A fast seeded hash: the keys are ids the server gave out.
use foldhash::{HashMap, HashMapExt};
use std::sync::{Arc, Mutex};

use thread_local::ThreadLocal;

use super::data as usage_data;
use super::domain::{hour_of, refusal_class, NewRefusal, Outcome, REFUSALS_KEPT};
use crate::keys::data;
use crate::platform::Db;

#[derive(Clone)]
pub struct Usage {
    db: Db,
    /// One batch per thread that counts: a request locks only its own
    /// thread's, so nothing is shared between cores on the request path. A
    /// flush (and a dashboard read of what is not yet written) gathers them.
    pending: Arc<ThreadLocal<Mutex<Batch>>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pending {
    pub last_used_at: i64,
    pub requests: i64,
}

/// A key of the bucket map: key id, organisation id, hour, stored class
/// (an outcome's key, or `INACTIVE`).
type BucketKey = (i64, i64, i64, &'static str);

#[derive(Debug, Default)]
struct Batch {
    keys: HashMap<i64, Pending>,
    buckets: HashMap<BucketKey, i64>,
    refusals: Vec<NewRefusal>,
}

impl Batch {
    fn used(&mut self, key_id: i64, at: i64) {
        let entry = self.keys.entry(key_id).or_default();
        entry.last_used_at = entry.last_used_at.max(at);
        entry.requests += 1;
    }

    fn tally(&mut self, key_id: i64, organisation_id: i64, at: i64, class: &'static str) {
        *self
            .buckets
            .entry((key_id, organisation_id, hour_of(at), class))
            .or_default() += 1;
    }

    /// Adds another batch's counts to this one; refusals past the bound go,
    /// oldest first.
    fn absorb(&mut self, other: Batch) {
        for (id, p) in other.keys {
            let entry = self.keys.entry(id).or_default();
            entry.last_used_at = entry.last_used_at.max(p.last_used_at);
            entry.requests += p.requests;
        }
        for (key, n) in other.buckets {
            *self.buckets.entry(key).or_default() += n;
        }
        self.refusals.extend(other.refusals);
        self.refusals.sort_by_key(|r| r.occurred_at);
        let excess = self.refusals.len().saturating_sub(REFUSALS_HELD);
        self.refusals.drain(..excess);
    }
}

/// Refused requests held between flushes, whatever the number of keys: a
/// client hammering with a revoked key must not grow memory.
const REFUSALS_HELD: usize = 2000;

impl Usage {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            pending: Arc::default(),
        }
    }

    /// This thread's batch.
    fn batch(&self) -> std::sync::MutexGuard<'_, Batch> {
        self.pending.get_or_default().lock().expect("usage lock")
    }

    /// Every thread's batch, in turn.
    fn batches(&self) -> impl Iterator<Item = std::sync::MutexGuard<'_, Batch>> {
        self.pending
            .iter()
            .map(|batch| batch.lock().expect("usage lock"))
    }

    /// Everything not yet written, taken out of every thread's batch.
    fn take_all(&self) -> Batch {
        let mut all = Batch::default();
        for mut batch in self.batches() {
            all.absorb(std::mem::take(&mut *batch));
        }
        all
    }

    /// A request that passed authentication and the rate limit.
    pub fn record(&self, key_id: i64, at: i64) {
        self.batch().used(key_id, at);
    }

    /// Counts one request in its hour, by outcome.
    pub fn count(&self, key_id: i64, organisation_id: i64, at: i64, outcome: Outcome) {
        self.batch()
            .tally(key_id, organisation_id, at, outcome.key());
    }

    /// [`Self::record`] and [`Self::count`] under one lock: what every
    /// answered API request costs.
    pub fn answered(&self, key_id: i64, organisation_id: i64, at: i64, outcome: Outcome) {
        let mut batch = self.batch();
        batch.used(key_id, at);
        batch.tally(key_id, organisation_id, at, outcome.key());
    }

    /// Counts a refused request and remembers it for the key's usage page.
    pub fn refused(&self, refusal: NewRefusal) {
        let mut batch = self.batch();
        batch.tally(
            refusal.key_id,
            refusal.organisation_id,
            refusal.occurred_at,
            refusal_class(refusal.code),
        );
        if batch.refusals.len() >= REFUSALS_HELD {
            batch.refusals.remove(0);
        }
        batch.refusals.push(refusal);
    }

    /// How many entries wait for the next flush (keys, buckets, refusals).
    pub fn waiting(&self) -> usize {
        self.batches()
            .map(|batch| batch.keys.len() + batch.buckets.len() + batch.refusals.len())
            .sum()
    }

    /// Not yet flushed usage of one key, so the dashboard is never behind.
    pub fn pending(&self, key_id: i64) -> Option<Pending> {
        self.batches()
            .filter_map(|batch| batch.keys.get(&key_id).copied())
            .reduce(|a, b| Pending {
                last_used_at: a.last_used_at.max(b.last_used_at),
                requests: a.requests + b.requests,
            })
    }

    /// Not yet flushed buckets of one key (or, with `None`, of every key of
    /// the organisation): (key id, hour, stored class, requests).
    pub fn pending_buckets(
        &self,
        organisation_id: i64,
        key_id: Option<i64>,
    ) -> Vec<(i64, i64, &'static str, i64)> {
        let mut merged: HashMap<(i64, i64, &'static str), i64> = HashMap::new();
        for batch in self.batches() {
            let mine = batch.buckets.iter().filter(|((key, org, ..), _)| {
                *org == organisation_id && key_id.is_none_or(|id| id == *key)
            });
            for (&(key, _, hour, outcome), &n) in mine {
                *merged.entry((key, hour, outcome)).or_default() += n;
            }
        }
        merged
            .into_iter()
            .map(|((key, hour, outcome), n)| (key, hour, outcome, n))
            .collect()
    }

    /// Not yet flushed refused requests of one key, newest first.
    pub fn pending_refusals(&self, key_id: i64) -> Vec<crate::keys::usage::domain::RefusedRequest> {
        let mut refusals: Vec<NewRefusal> = self
            .batches()
            .flat_map(|batch| {
                let mine = batch.refusals.iter().filter(|r| r.key_id == key_id);
                mine.cloned().collect::<Vec<_>>()
            })
            .collect();
        refusals.sort_by_key(|r| std::cmp::Reverse(r.occurred_at));
        refusals
            .iter()
            .map(|r| crate::keys::usage::domain::RefusedRequest {
                at: crate::platform::clock::from_millis(r.occurred_at),
                code: r.code.to_owned(),
                method: r.method.clone(),
                path: r.path.clone(),
                client: r.client_ip.clone(),
            })
            .collect()
    }

    /// Writes everything recorded so far in one transaction; returns how
    /// many keys had usage written.
    pub async fn flush(&self) -> Result<usize, sqlx::Error> {
        let batch = self.take_all();
        if batch.keys.is_empty() && batch.buckets.is_empty() && batch.refusals.is_empty() {
            return Ok(0);
        }
        let result = async {
            let mut tx = self.db.begin().await?;
            for (id, p) in &batch.keys {
                data::add_usage(&mut tx, *id, p.last_used_at, p.requests).await?;
            }
            for (&(key, org, hour, outcome), &n) in &batch.buckets {
                usage_data::add(&mut tx, key, org, hour, outcome, n).await?;
            }
            let mut refused_keys: Vec<i64> = batch.refusals.iter().map(|r| r.key_id).collect();
            refused_keys.sort_unstable();
            refused_keys.dedup();
            for refusal in &batch.refusals {
                usage_data::add_refusal(&mut tx, refusal).await?;
            }
            for key in refused_keys {
                usage_data::trim_refusals(&mut tx, key, REFUSALS_KEPT as i64).await?;
            }
            tx.commit().await
        }
        .await;
        // What it returns: how many keys had usage written.
        let mut keys: Vec<i64> = batch.keys.keys().copied().collect();
        keys.extend(batch.buckets.keys().map(|(key, ..)| *key));
        keys.extend(batch.refusals.iter().map(|r| r.key_id));
        keys.sort_unstable();
        keys.dedup();
        let written = keys.len();
        if let Err(error) = result {
            // Put the batch back so the next flush retries it.
            self.batch().absorb(batch);
            return Err(error);
        }
        Ok(written)
    }
}
