//! A cache of verified credentials, so an API request costs one SHA-256 and
//! no database read for a key seen before.
//!
//! It never lets a revoked or edited key through on the next request: every
//! change that affects authorisation (key edited, revoked, re-activated,
//! deleted; feature flag changed) bumps an epoch *after* it commits, and an
//! entry is only used while the epoch it was loaded under is still current.
//! The epoch lives in a small file beside the database, updated under a file
//! lock, so changes made by another process (the operator CLI) count too.
//! Expiry needs no bump: it is checked against the clock on every request.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};

use super::data::Credential;

/// Entries kept at most; past that the cache starts again empty.
const CAPACITY: usize = 10_000;

pub struct CredentialCache {
    epoch: Option<File>,
    entries: Mutex<HashMap<String, (u64, Arc<Credential>)>>,
    /// Why other processes cannot be told about changes, if they cannot: the
    /// epoch file of a file database could not be opened or written.
    broken: Mutex<Option<String>>,
}

impl CredentialCache {
    /// The epoch file for the database at `database_url`. An in-memory
    /// database gets no file, and then nothing is cached.
    pub fn for_database(database_url: &str) -> Self {
        let mut broken = None;
        let epoch = crate::server::db::database_path(database_url).and_then(|path| {
            let mut name = path.into_os_string();
            name.push("-auth-epoch");
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&name);
            match opened {
                Ok(file) => Some(file),
                Err(error) => {
                    tracing::warn!(%error, "credential cache disabled");
                    broken = Some(format!("cannot open {}: {error}", name.to_string_lossy()));
                    None
                }
            }
        });
        Self {
            epoch,
            entries: Mutex::new(HashMap::new()),
            broken: Mutex::new(broken),
        }
    }

    fn read_epoch(file: &File) -> u64 {
        let mut bytes = [0u8; 8];
        match file.read_at(&mut bytes, 0) {
            Ok(8) => u64::from_le_bytes(bytes),
            _ => 0,
        }
    }

    /// The current epoch, to read *before* loading a credential.
    pub fn epoch(&self) -> Option<u64> {
        self.epoch.as_ref().map(Self::read_epoch)
    }

    pub fn get(&self, key_hash: &str) -> Option<Arc<Credential>> {
        let current = self.epoch()?;
        let entries = self.entries.lock().expect("credential cache lock");
        match entries.get(key_hash) {
            Some((epoch, credential)) if *epoch == current => Some(Arc::clone(credential)),
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
        entries.insert(key_hash.to_owned(), (epoch, credential));
    }

    /// Call after committing a change that affects authorisation.
    pub fn invalidate(&self) {
        self.entries.lock().expect("credential cache lock").clear();
        let Some(file) = &self.epoch else { return };
        // The lock makes read-increment-write atomic across processes.
        let bumped = file.lock().and_then(|()| {
            let next = Self::read_epoch(file).wrapping_add(1);
            let written = file.write_all_at(&next.to_le_bytes(), 0);
            let _ = file.unlock();
            written
        });
        if let Err(error) = bumped {
            tracing::error!(%error, "could not bump the credential epoch");
            *self.broken.lock().expect("credential cache lock") =
                Some(format!("could not bump the credential epoch: {error}"));
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
            developer_api: true,
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
    fn an_in_memory_database_caches_nothing() {
        let cache = CredentialCache::for_database("sqlite::memory:");
        cache.put("h", cache.epoch(), Arc::new(credential("CI")));
        assert!(cache.get("h").is_none());
    }
}
