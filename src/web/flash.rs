//! The flash: what a form post hands to the one page view its redirect
//! shows (a key just created, an invitation or reset link, a failed form's
//! error and values), because a redirect cannot carry it.
//!
//! Any instance can read it: it lives in the database, so a post answered by
//! one instance and its redirect by another (a load balancer without sticky
//! sessions), or a restart between the two, loses nothing. Nothing in it is
//! readable there: each entry is sealed (ChaCha20-Poly1305) under a key
//! derived from the browser's session token, which the server stores only
//! as a hash. The database, a backup or a log holds ciphertext that only the
//! browser holding the cookie can have opened; the entry's id, which goes in
//! the redirect's address, is bound to it as associated data and opens
//! nothing by itself. Why not a cookie: a cookie can be replayed, and
//! "taken exactly once" needs a row to delete.
//!
//! Entries are written only for a live session (the `INSERT` selects it),
//! at most `PER_SESSION` at a time and `MAX_SEALED` bytes each; anything
//! beyond is refused, not kept. Each is taken once (`DELETE … RETURNING`),
//! within `KEPT_FOR`, and expired ones are pruned.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::platform::secret::TokenHash;
use crate::platform::Db;

/// How long an entry waits for its page view.
pub const KEPT_FOR: chrono::Duration = chrono::Duration::seconds(60);
/// Live entries per session: more is refused.
pub const PER_SESSION: i64 = 16;
/// The largest sealed entry, in bytes of its stored (hex) form.
pub const MAX_SEALED: usize = 32 * 1024;

/// What one page view is handed.
#[derive(Clone, Serialize, Deserialize)]
pub enum Flash {
    /// Something shown once (a key just created or rolled, an invitation or
    /// reset link): a feature's type, named by its `ShownOnce::KIND`.
    Shown { kind: String, json: String },
    /// A form post that failed: the server function's path, its error, and
    /// the fields it sent (never a password), so the form comes back filled.
    Failed {
        action: String,
        error: AppError,
        fields: Vec<(String, String)>,
    },
}

/// A feature's type that a flash can carry to the page that shows it once.
/// The page reads it from context (`use_context::<T>()`), once the shell has
/// called `forms::provide_shown::<T>()`.
pub trait ShownOnce: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// Names the type in a sealed entry; unique among the types shown.
    const KIND: &'static str;
}

impl Flash {
    pub fn show<T: ShownOnce>(value: &T) -> Option<Self> {
        Some(Self::Shown {
            kind: T::KIND.to_owned(),
            json: serde_json::to_string(value).ok()?,
        })
    }

    /// The value this flash shows, if it is a `T`.
    pub fn shown<T: ShownOnce>(&self) -> Option<T> {
        match self {
            Self::Shown { kind, json } if kind == T::KIND => serde_json::from_str(json).ok(),
            _ => None,
        }
    }
}

/// An entry's id: 128 random bits, hex. It names the entry in the address
/// of the page that shows it, so two tabs never collide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashId(String);

impl FlashId {
    fn new() -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// An id read from an address; anything not of its shape is none.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 32 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an entry was not kept.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// No live session has this token.
    NoSession,
    /// The session already holds `PER_SESSION` entries.
    Full,
    /// The entry is larger than `MAX_SEALED`.
    TooLarge,
}

/// The key entries of one session are sealed with. Derived from the token
/// itself, which only the browser keeps; the database has its SHA-256
/// (`session_hash`), from which this cannot be computed.
fn sealing_key(session_token: &str) -> Key {
    let mut hasher = Sha256::new();
    hasher.update(b"leadline flash v1\0");
    hasher.update(session_token.as_bytes());
    hasher.finalize()
}

/// The hash sessions are stored under (`sessions.token_hash`).
fn session_hash(session_token: &str) -> String {
    TokenHash::of(session_token).as_str().to_owned()
}

fn seal(session_token: &str, id: &FlashId, flash: &Flash) -> Result<String, Refused> {
    let plaintext = serde_json::to_vec(flash).map_err(|_| Refused::TooLarge)?;
    let cipher = ChaCha20Poly1305::new(&sealing_key(session_token));
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: id.as_str().as_bytes(),
            },
        )
        .map_err(|_| Refused::TooLarge)?;
    let stored = hex::encode([nonce.as_slice(), &sealed].concat());
    if stored.len() > MAX_SEALED {
        return Err(Refused::TooLarge);
    }
    Ok(stored)
}

/// Opens an entry; `None` for any other session's token or a tampered row.
fn open(session_token: &str, id: &FlashId, stored: &str) -> Option<Flash> {
    let bytes = hex::decode(stored).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(12);
    let cipher = ChaCha20Poly1305::new(&sealing_key(session_token));
    let plaintext = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: id.as_str().as_bytes(),
            },
        )
        .ok()?;
    serde_json::from_slice(&plaintext).ok()
}

/// When a session counts as live, as `auth::session` decides it: seen within
/// the idle limit and started within the absolute one.
pub struct Liveness {
    pub seen_after: DateTime<Utc>,
    pub started_after: DateTime<Utc>,
}

/// Keeps `flash` for the session whose token this is, for `KEPT_FOR`.
pub async fn put(
    db: &Db,
    now: DateTime<Utc>,
    live: &Liveness,
    session_token: &str,
    flash: &Flash,
) -> Result<Result<FlashId, Refused>, sqlx::Error> {
    let id = FlashId::new();
    let sealed = match seal(session_token, &id, flash) {
        Ok(sealed) => sealed,
        Err(refused) => return Ok(Err(refused)),
    };
    let hash = session_hash(session_token);
    let now_ms = now.timestamp_millis();
    sqlx::query("DELETE FROM flashes WHERE session_hash = $1 AND expires_at <= $2")
        .bind(&hash)
        .bind(now_ms)
        .execute(db)
        .await?;
    // One statement: the session must be live and below its cap.
    let kept = sqlx::query(
        "INSERT INTO flashes (id, session_hash, sealed, expires_at)
         SELECT $1, token_hash, $2, $3 FROM sessions
         WHERE token_hash = $4 AND last_seen_at > $5 AND created_at > $6
           AND (SELECT COUNT(*) FROM flashes WHERE session_hash = $4) < $7",
    )
    .bind(id.as_str())
    .bind(&sealed)
    .bind((now + KEPT_FOR).timestamp_millis())
    .bind(&hash)
    .bind(live.seen_after.timestamp_millis())
    .bind(live.started_after.timestamp_millis())
    .bind(PER_SESSION)
    .execute(db)
    .await?
    .rows_affected();
    if kept == 1 {
        return Ok(Ok(id));
    }
    let has_session: Option<(String,)> = sqlx::query_as(
        "SELECT token_hash FROM sessions WHERE token_hash = $1 AND last_seen_at > $2 AND created_at > $3",
    )
    .bind(&hash)
    .bind(live.seen_after.timestamp_millis())
    .bind(live.started_after.timestamp_millis())
    .fetch_optional(db)
    .await?;
    Ok(Err(if has_session.is_some() {
        Refused::Full
    } else {
        Refused::NoSession
    }))
}

/// Takes the entry `id` of this session, once: it is deleted as it is read.
pub async fn take(
    db: &Db,
    now: DateTime<Utc>,
    session_token: &str,
    id: &FlashId,
) -> Result<Option<Flash>, sqlx::Error> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "DELETE FROM flashes WHERE id = $1 AND session_hash = $2 RETURNING sealed, expires_at",
    )
    .bind(id.as_str())
    .bind(session_hash(session_token))
    .fetch_optional(db)
    .await?;
    Ok(row
        .filter(|(_, expires_at)| *expires_at > now.timestamp_millis())
        .and_then(|(sealed, _)| open(session_token, id, &sealed)))
}

/// Deletes the entries nobody came for.
pub async fn prune(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM flashes WHERE expires_at <= $1")
        .bind(now.timestamp_millis())
        .execute(db)
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> Flash {
        Flash::Failed {
            action: "/api/create_key".into(),
            error: AppError::validation("name", "Key name is required."),
            fields: vec![("name".into(), "Zapier".into())],
        }
    }

    #[test]
    fn an_entry_opens_only_with_the_session_token_it_was_sealed_for() {
        let id = FlashId::new();
        let sealed = seal("token-a", &id, &failed()).unwrap();
        assert!(matches!(
            open("token-a", &id, &sealed),
            Some(Flash::Failed { .. })
        ));
        assert!(open("token-b", &id, &sealed).is_none());
        // Bound to its id: moved under another id, it opens nothing.
        assert!(open("token-a", &FlashId::new(), &sealed).is_none());
        // What is stored reads as nothing: not the value, not the field.
        assert!(!sealed.contains(&hex::encode("Zapier")) && !sealed.contains("Zapier"));
    }

    #[test]
    fn a_tampered_entry_opens_nothing() {
        let id = FlashId::new();
        let mut sealed = seal("token-a", &id, &failed()).unwrap().into_bytes();
        let last = sealed.len() - 1;
        sealed[last] = if sealed[last] == b'0' { b'1' } else { b'0' };
        assert!(open("token-a", &id, std::str::from_utf8(&sealed).unwrap()).is_none());
        assert!(open("token-a", &id, "00").is_none());
    }

    #[test]
    fn an_entry_larger_than_the_cap_is_refused() {
        let big = Flash::Shown {
            kind: "link".into(),
            json: "x".repeat(MAX_SEALED),
        };
        assert_eq!(
            seal("token-a", &FlashId::new(), &big).err(),
            Some(Refused::TooLarge)
        );
    }

    #[test]
    fn ids_are_128_random_bits_and_nothing_else_parses() {
        let (a, b) = (FlashId::new(), FlashId::new());
        assert_ne!(a, b);
        assert_eq!(FlashId::parse(a.as_str()), Some(a));
        assert!(FlashId::parse("not-an-id").is_none());
        assert!(FlashId::parse(&"A".repeat(32)).is_none());
    }
}
