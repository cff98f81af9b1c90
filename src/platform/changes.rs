//! Changes to who may do what, and how every credential cache hears of
//! them. A key edited, revoked, re-activated or deleted, a feature flag
//! turned off, a member removed: each is written through an [`AccessChange`],
//! whose only way to commit also moves the epoch, so nobody has to remember
//! to. A cache entry is used only while the epoch it was loaded under is
//! still current.
//!
//! On SQLite the epoch lives in a small file beside the database, mapped
//! into memory shared with every process that opens it, so changes made by
//! another process (the operator CLI) count too, and reading it on the hot
//! path costs no system call. On PostgreSQL every change sends a `NOTIFY`
//! at commit and each instance's listener bumps an in-process epoch; while
//! the listener is disconnected the epoch is "deaf" (no entry is trusted),
//! and caches start again empty once it is back.

use std::fs::OpenOptions;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::db::{begin_write, database_path, Backend, Conn, Db, Tx};

/// The channel on which PostgreSQL tells every instance that credentials
/// changed (`NOTIFY`, delivered at commit).
pub const CREDENTIALS_CHANNEL: &str = "leadline_credentials";

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
        metrics::gauge!(super::metrics::LISTENER_UP).set(1.0);
    }

    /// The listener lost its connection: trust no entry until it is back.
    pub fn deaf(&self) {
        self.listening.store(false, Ordering::SeqCst);
        self.value.fetch_add(1, Ordering::SeqCst);
        metrics::gauge!(super::metrics::LISTENER_UP).set(0.0);
    }

    fn current(&self) -> Option<u64> {
        let value = self.value.load(Ordering::SeqCst);
        self.listening.load(Ordering::SeqCst).then_some(value)
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }
}

/// The epoch of this database's access changes, shared by every credential
/// cache of the process.
pub struct Changes {
    epoch: Epoch,
    /// Why other processes cannot be told about changes, if they cannot: the
    /// epoch file of a file database could not be opened or written.
    broken: Mutex<Option<String>>,
}

impl Changes {
    /// An epoch file for a SQLite file, a notified epoch for PostgreSQL (see
    /// [`Self::notified`]). An in-memory database gets no epoch, and then
    /// nothing is ever cached.
    pub fn for_database(database_url: &str) -> Self {
        if Backend::of(database_url) == Ok(Backend::Postgres) {
            return Self {
                epoch: Epoch::Notified(Arc::default()),
                broken: Mutex::new(None),
            };
        }
        let mut broken = None;
        let epoch = database_path(database_url).and_then(|path| {
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
            broken: Mutex::new(broken),
        }
    }

    /// The epoch the PostgreSQL listener feeds, if this database has one.
    pub fn notified(&self) -> Option<Arc<NotifiedEpoch>> {
        match &self.epoch {
            Epoch::Notified(epoch) => Some(Arc::clone(epoch)),
            _ => None,
        }
    }

    /// The current epoch, to read *before* loading a credential; `None`
    /// when cached entries cannot be trusted.
    pub fn current(&self) -> Option<u64> {
        match &self.epoch {
            Epoch::None => None,
            Epoch::File(file) => Some(file.counter().load(Ordering::SeqCst)),
            Epoch::Notified(epoch) => epoch.current(),
        }
    }

    /// Moves the epoch on, after a change committed.
    fn bump(&self) {
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
        match self.broken.lock().expect("changes lock").clone() {
            None => Ok(()),
            Some(why) => Err(format!(
                "a running server would not see this change ({why}); check the permissions beside the database"
            )),
        }
    }
}

/// A write that changes who may do what. Its only way to commit sends the
/// change to every instance (on PostgreSQL the `NOTIFY` goes inside the
/// transaction, so each hears of it exactly when it commits) and moves this
/// process's epoch. Dropped without committing, it rolls back and tells
/// nobody. It starts as [`begin_write`] does: one writer at a time.
pub struct AccessChange {
    tx: Tx,
    changes: Arc<Changes>,
}

impl AccessChange {
    pub async fn begin(db: &Db, changes: &Arc<Changes>) -> Result<Self, sqlx::Error> {
        Ok(Self {
            tx: begin_write(db).await?,
            changes: Arc::clone(changes),
        })
    }

    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        if Backend::of_connection(&self.tx) == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(CREDENTIALS_CHANNEL)
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        self.changes.bump();
        Ok(())
    }
}

impl std::ops::Deref for AccessChange {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl std::ops::DerefMut for AccessChange {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}

/// Keeps `epoch` in step with credential changes committed by any instance,
/// for as long as the process runs. While the connection is down the epoch
/// is "deaf" and the cache is bypassed; on reconnecting it starts empty.
///
/// A connection can die without a word (a NAT or load balancer drops an
/// idle flow, no FIN or RST), and then nothing would ever arrive. So every
/// `heartbeat` a beat is sent through the pool on a channel only this
/// instance listens to; when three have not come back, the listener is
/// dropped, the instance is deaf, and it connects again.
pub fn listen_for_credential_changes(
    url: String,
    db: Db,
    epoch: Arc<NotifiedEpoch>,
    heartbeat: Duration,
) {
    use rand::Rng;
    let beats = format!("leadline_beat_{:016x}", rand::thread_rng().gen::<u64>());
    tokio::spawn(async move {
        loop {
            let heard = Arc::new(Heard::default());
            let mut listener = tokio::spawn(listen(
                url.clone(),
                beats.clone(),
                Arc::clone(&epoch),
                Arc::clone(&heard),
            ));
            let reason = loop {
                tokio::select! {
                    ended = &mut listener => break match ended {
                        Ok(Ok(())) => "connection lost".to_owned(),
                        Ok(Err(error)) => error.to_string(),
                        Err(error) => error.to_string(),
                    },
                    () = tokio::time::sleep(heartbeat) => {
                        if heard.silent_for() > heartbeat * 3 {
                            listener.abort();
                            break format!("no heartbeat for {:?}", heard.silent_for());
                        }
                        let beat = sqlx::query("SELECT pg_notify($1, '')").bind(beats.as_str());
                        // A beat that cannot be sent is a missed beat.
                        let _ = tokio::time::timeout(heartbeat, beat.execute(&db)).await;
                    }
                }
            };
            if epoch.is_listening() {
                tracing::warn!(
                    %reason,
                    "credential listener stopped; reading every credential from the database until it is back"
                );
            }
            epoch.deaf();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
}

/// When the listener last heard anything (a change or its own beat).
struct Heard(std::sync::Mutex<std::time::Instant>);

impl Default for Heard {
    fn default() -> Self {
        Self(std::sync::Mutex::new(std::time::Instant::now()))
    }
}

impl Heard {
    fn now(&self) {
        *self.0.lock().expect("heartbeat lock") = std::time::Instant::now();
    }

    fn silent_for(&self) -> Duration {
        self.0.lock().expect("heartbeat lock").elapsed()
    }
}

async fn listen(
    url: String,
    beats: String,
    epoch: Arc<NotifiedEpoch>,
    heard: std::sync::Arc<Heard>,
) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
    listener
        .listen_all([CREDENTIALS_CHANNEL, beats.as_str()])
        .await?;
    heard.now();
    epoch.listening();
    // `try_recv` returns `None` when the connection is lost, rather than
    // reconnecting quietly and missing what was sent meanwhile.
    while let Some(notification) = listener.try_recv().await? {
        heard.now();
        if notification.channel() == CREDENTIALS_CHANNEL {
            epoch.bump();
        }
    }
    Ok(())
}
