//! A cache of verified credentials, so an API request costs one SHA-256 and
//! no database read for a key seen before.
//!
//! It never lets a revoked or edited key through on the next request: every
//! change that affects authorisation is committed through an
//! `AccessChange`, which moves the epoch of `platform::changes` *after* it
//! commits, and an entry is only used while the epoch it was loaded under is
//! still current. While that epoch cannot be trusted (PostgreSQL's listener
//! is disconnected, or the database is in memory) nothing is cached.
//! Expiry needs no bump: it is checked against the clock on every request.
//!
//! Each thread keeps its own entries: a cached verification then writes
//! nothing that another core reads (a shared map's lock and a shared
//! credential's reference count cost the authenticated read measurably on
//! two cores; docs/benchmarks.md). The price is one database read per key,
//! thread and minute instead of per key and minute.

// A fast seeded hash: only keys that verified (hashes no client chooses)
// are ever entered.
use foldhash::HashMap;
use std::sync::{Arc, Mutex};

use thread_local::ThreadLocal;

use super::verify::Credential;
use crate::platform::changes::Changes;

/// Entries kept at most; past that the cache starts again empty.
const CAPACITY: usize = 10_000;

/// An entry is read again from the database after this long, whatever the
/// epoch says: should a change ever go unheard, it is in force within a
/// minute (at the price of one read per key and minute).
const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

struct Entry {
    epoch: u64,
    loaded: std::time::Instant,
    credential: Arc<Credential>,
}

type Entries = Mutex<HashMap<String, Entry>>;

pub struct CredentialCache {
    changes: Arc<Changes>,
    /// Per thread (see above); the lock is only ever contended by
    /// [`Self::forget_all`].
    entries: ThreadLocal<Entries>,
}

impl CredentialCache {
    pub fn new(changes: Arc<Changes>) -> Self {
        Self {
            changes,
            entries: ThreadLocal::new(),
        }
    }

    /// The current epoch, to read *before* loading a credential; `None`
    /// when entries cannot be trusted.
    pub fn epoch(&self) -> Option<u64> {
        self.changes.current()
    }

    /// Forgets every entry of this process (benchmarks of a cache miss);
    /// changes go through an `AccessChange`, which reaches every process.
    pub fn forget_all(&self) {
        for entries in self.entries.iter() {
            entries.lock().expect("credential cache lock").clear();
        }
    }

    pub fn get(&self, key_hash: &str) -> Option<Arc<Credential>> {
        let current = self.epoch()?;
        let entries = self.entries.get()?.lock().expect("credential cache lock");
        match entries.get(key_hash) {
            Some(entry) if entry.epoch == current && entry.loaded.elapsed() < MAX_AGE => {
                Some(Arc::clone(&entry.credential))
            }
            _ => None,
        }
    }

    /// Remembers a credential loaded while `epoch` was current.
    pub fn put(&self, key_hash: &str, epoch: Option<u64>, credential: Arc<Credential>) {
        let Some(epoch) = epoch else { return };
        let mut entries = self
            .entries
            .get_or_default()
            .lock()
            .expect("credential cache lock");
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            key_hash.to_owned(),
            Entry {
                epoch,
                loaded: std::time::Instant::now(),
                credential,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::changes::AccessChange;

    fn cache(url: &str) -> (CredentialCache, Arc<Changes>) {
        let changes = Arc::new(Changes::for_database(url));
        (CredentialCache::new(Arc::clone(&changes)), changes)
    }

    fn credential(name: &str) -> Credential {
        Credential {
            key: crate::keys::data::KeyRow {
                id: 1,
                organisation_id: 1,
                name: name.into(),
                prefix: "sk_AbCd1234_01".into(),
                can_read: true,
                can_create: false,
                can_update: false,
                can_delete: false,
                expires_at: None,
                revoked_at: None,
                revoked_reason: None,
                rolled_from: None,
                allowed_ips: String::new(),
                is_playground: false,
                created_at: 0,
                created_by: None,
                created_by_email: None,
                last_used_at: None,
                request_count: 0,
            },
            developer_api: true,
            allowlist: Default::default(),
        }
    }

    /// Commits an empty access change through `changes`, as a process would.
    async fn change(url: &str, changes: &Arc<Changes>) {
        let db = crate::platform::db::connect(url).await.unwrap();
        AccessChange::begin(&db, changes)
            .await
            .unwrap()
            .commit()
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_entry_is_used_until_any_process_commits_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("a.db").display());
        let (server, _) = cache(&url);
        let (_, cli) = cache(&url);
        let epoch = server.epoch();
        server.put("h", epoch, Arc::new(credential("CI")));
        assert_eq!(server.get("h").unwrap().name, "CI");
        change(&url, &cli).await;
        assert!(
            server.get("h").is_none(),
            "a change elsewhere is seen on the next read"
        );
    }

    #[tokio::test]
    async fn an_entry_loaded_before_a_change_is_never_used_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("a.db").display());
        let (cache, changes) = cache(&url);
        let epoch = cache.epoch();
        change(&url, &changes).await; // commits while the credential loads
        cache.put("h", epoch, Arc::new(credential("stale")));
        assert!(cache.get("h").is_none());
    }

    #[test]
    fn a_deaf_listener_means_no_entry_is_trusted_until_it_listens_again() {
        let (cache, changes) = cache("postgres://localhost/leadline");
        let notified = changes.notified().unwrap();
        assert_eq!(cache.epoch(), None, "not listening yet");
        notified.listening();
        cache.put("h", cache.epoch(), Arc::new(credential("CI")));
        assert!(cache.get("h").is_some());
        notified.deaf();
        assert!(cache.get("h").is_none(), "fails closed while deaf");
        notified.listening();
        assert!(cache.get("h").is_none(), "and starts again empty");
        cache.put("h", cache.epoch(), Arc::new(credential("CI")));
        notified.bump();
        assert!(cache.get("h").is_none(), "a notification invalidates");
    }

    #[test]
    fn each_thread_keeps_its_own_entries_and_forget_all_clears_every_one() {
        let (cache, changes) = cache("postgres://localhost/leadline");
        changes.notified().unwrap().listening();
        cache.put("h", cache.epoch(), Arc::new(credential("CI")));
        std::thread::scope(|s| {
            s.spawn(|| {
                assert!(cache.get("h").is_none(), "another thread loads its own");
                cache.put("h", cache.epoch(), Arc::new(credential("CI")));
                assert!(cache.get("h").is_some());
            });
        });
        assert!(cache.get("h").is_some());
        cache.forget_all();
        assert!(cache.get("h").is_none());
        std::thread::scope(|s| {
            s.spawn(|| assert!(cache.get("h").is_none(), "forgotten there too"));
        });
    }

    #[test]
    fn an_in_memory_database_caches_nothing() {
        let (cache, _) = cache("sqlite::memory:");
        cache.put("h", cache.epoch(), Arc::new(credential("CI")));
        assert!(cache.get("h").is_none());
    }
}
