//! A cache of verified credentials, so an API request costs one SHA-256 and
//! no database read for a key seen before.
//!
//! It never lets a revoked or edited key through on the next request: every
//! change that affects authorisation (key edited, revoked, re-activated,
//! deleted; feature flag changed) bumps an epoch *after* it commits, and an
//! entry is only used while the epoch it was loaded under is still current.
//! On SQLite the epoch lives in a small file beside the database, mapped
//! into memory shared with every process that opens it, so changes made by
//! another process (the operator CLI) count too, and reading it on the hot
//! path costs no system call. On PostgreSQL every change sends a `NOTIFY` at commit and each
//! instance's listener bumps an in-process epoch; while the listener is
//! disconnected the cache is bypassed (every request reads the database),
//! and it starts again empty once the listener is back.
//! Expiry needs no bump: it is checked against the clock on every request.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::data::Credential;

/// Entries kept at most; past that the cache starts again empty.
const CAPACITY: usize = 10_000;

/// An entry is read again from the database after this long, whatever the
/// epoch says: should a change ever go unheard, it is in force within a
/// minute (at the price of one read per key and minute).
const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Where the epoch comes from.
enum Epoch {
    /// No sharing is possible (in-memory SQLite): nothing is cached.
    None,
    /// A file beside the SQLite database, mapped shared.
    File(EpochFile),
    /// Bumped by this instance's PostgreSQL listener.
    Notified(Arc<NotifiedEpoch>),
}

/// The epoch file's 8 bytes, mapped shared: a store by one process is seen
/// by the next load in every other.
pub struct EpochFile {
    map: memmap2::MmapMut,
}

impl EpochFile {
    fn open(path: &std::ffi::OsStr) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        if file.metadata()?.len() < 8 {
            file.set_len(8)?;
        }
        // SAFETY: the mapping is only ever accessed as one AtomicU64 (see
        // `counter`), so a concurrent change by another process is an
        // atomic store, never a torn read; the file is never truncated.
        let map = unsafe { memmap2::MmapOptions::new().len(8).map_mut(&file)? };
        Ok(Self { map })
    }

    fn counter(&self) -> &AtomicU64 {
        // SAFETY: a mapping starts on a page boundary, so it is aligned for
        // u64, and it is 8 bytes long; it lives as long as `self`.
        unsafe { &*(self.map.as_ptr() as *const AtomicU64) }
    }
}

/// The epoch a PostgreSQL listener keeps: current only while it listens.
#[derive(Default)]
pub struct NotifiedEpoch {
    value: AtomicU64,
    listening: AtomicBool,
}

impl NotifiedEpoch {
    /// A change was committed somewhere.
    pub fn bump(&self) {
        self.value.fetch_add(1, Ordering::SeqCst);
    }

    /// The listener is (again) listening: entries from before are stale.
    pub fn listening(&self) {
        self.value.fetch_add(1, Ordering::SeqCst);
        self.listening.store(true, Ordering::SeqCst);
    }

    /// The listener lost its connection: trust no entry until it is back.
    pub fn deaf(&self) {
        self.listening.store(false, Ordering::SeqCst);
        self.value.fetch_add(1, Ordering::SeqCst);
    }

    fn current(&self) -> Option<u64> {
        let value = self.value.load(Ordering::SeqCst);
        self.listening.load(Ordering::SeqCst).then_some(value)
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }
}

struct Entry {
    epoch: u64,
    loaded: std::time::Instant,
    credential: Arc<Credential>,
}

pub struct CredentialCache {
    epoch: Epoch,
    entries: Mutex<HashMap<String, Entry>>,
    /// Why other processes cannot be told about changes, if they cannot: the
    /// epoch file of a file database could not be opened or written.
    broken: Mutex<Option<String>>,
}

impl CredentialCache {
    /// The cache for the database at `database_url`: an epoch file for a
    /// SQLite file, a notified epoch for PostgreSQL (see [`Self::notified`]).
    /// An in-memory database gets no epoch, and then nothing is cached.
    pub fn for_database(database_url: &str) -> Self {
        if crate::server::db::Backend::of(database_url) == Ok(crate::server::db::Backend::Postgres)
        {
            return Self {
                epoch: Epoch::Notified(Arc::default()),
                entries: Mutex::new(HashMap::new()),
                broken: Mutex::new(None),
            };
        }
        let mut broken = None;
        let epoch = crate::server::db::database_path(database_url).and_then(|path| {
            let mut name = path.into_os_string();
            name.push("-auth-epoch");
            match EpochFile::open(&name) {
                Ok(file) => Some(file),
                Err(error) => {
                    tracing::warn!(%error, "credential cache disabled");
                    broken = Some(format!("cannot open {}: {error}", name.to_string_lossy()));
                    None
                }
            }
        });
        Self {
            epoch: epoch.map_or(Epoch::None, Epoch::File),
            entries: Mutex::new(HashMap::new()),
            broken: Mutex::new(broken),
        }
    }

    /// The epoch the PostgreSQL listener feeds, if this cache has one.
    pub fn notified(&self) -> Option<Arc<NotifiedEpoch>> {
        match &self.epoch {
            Epoch::Notified(epoch) => Some(Arc::clone(epoch)),
            _ => None,
        }
    }

    /// The current epoch, to read *before* loading a credential; `None`
    /// when entries cannot be trusted.
    pub fn epoch(&self) -> Option<u64> {
        match &self.epoch {
            Epoch::None => None,
            Epoch::File(file) => Some(file.counter().load(Ordering::SeqCst)),
            Epoch::Notified(epoch) => epoch.current(),
        }
    }

    pub fn get(&self, key_hash: &str) -> Option<Arc<Credential>> {
        let current = self.epoch()?;
        let entries = self.entries.lock().expect("credential cache lock");
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
        let mut entries = self.entries.lock().expect("credential cache lock");
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

    /// Call after committing a change that affects authorisation.
    pub fn invalidate(&self) {
        self.entries.lock().expect("credential cache lock").clear();
        match &self.epoch {
            // Atomic across processes: the mapping is shared.
            Epoch::File(file) => {
                file.counter().fetch_add(1, Ordering::SeqCst);
            }
            // The NOTIFY sent with the commit reaches this instance's
            // listener too; bumping here as well covers the meantime.
            Epoch::Notified(epoch) => epoch.bump(),
            Epoch::None => {}
        }
    }

    /// Whether changes made here reach other processes' caches (a running
    /// server, when this is the CLI). The CLI fails rather than report a
    /// success the server would not see.
    pub fn check_shared(&self) -> Result<(), String> {
        match self.broken.lock().expect("credential cache lock").clone() {
            None => Ok(()),
            Some(why) => Err(format!(
                "a running server would not see this change ({why}); check the permissions beside the database"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(name: &str) -> Credential {
        Credential {
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
            developer_api: true,
            allowed_ips: Default::default(),
        }
    }

    #[test]
    fn an_entry_is_used_until_any_process_invalidates() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("a.db").display());
        let server = CredentialCache::for_database(&url);
        let cli = CredentialCache::for_database(&url);
        let epoch = server.epoch();
        server.put("h", epoch, Arc::new(credential("CI")));
        assert_eq!(server.get("h").unwrap().name, "CI");
        cli.invalidate();
        assert!(
            server.get("h").is_none(),
            "a change elsewhere is seen on the next read"
        );
    }

    #[test]
    fn an_entry_loaded_before_a_change_is_never_used_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("a.db").display());
        let cache = CredentialCache::for_database(&url);
        let epoch = cache.epoch();
        cache.invalidate(); // a change commits while the credential loads
        cache.put("h", epoch, Arc::new(credential("stale")));
        assert!(cache.get("h").is_none());
    }

    #[test]
    fn a_deaf_listener_means_no_entry_is_trusted_until_it_listens_again() {
        let cache = CredentialCache::for_database("postgres://localhost/leadline");
        let notified = cache.notified().unwrap();
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
    fn an_in_memory_database_caches_nothing() {
        let cache = CredentialCache::for_database("sqlite::memory:");
        cache.put("h", cache.epoch(), Arc::new(credential("CI")));
        assert!(cache.get("h").is_none());
    }
}
