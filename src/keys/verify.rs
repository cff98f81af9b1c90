//! Whether a token is a working key, decided in one place: one SHA-256 and
//! the credential cache, or else the shape and checksum screen (garbage and
//! typos cost no database access), and one indexed look-up; then the key's
//! status as `KeyStatus::of` gives it.

use std::net::IpAddr;
use std::sync::Arc;

use sqlx::FromRow;

use super::data::{find_credential, KeyRow};
use super::domain::IpAllowlist;
use super::domain::KeyStatus;
use super::token::{ApiKey, KeyPrefix};
use super::KeyState;
use crate::error::AppError;
use crate::platform::clock::from_millis;

/// A key as the API authenticates it: its row, its organisation's
/// Developer API flag, and its IP allowlist, parsed once when loaded (and
/// cached with the rest). It reads as its row.
#[derive(Debug, Clone, FromRow)]
pub struct Credential {
    #[sqlx(flatten)]
    pub key: KeyRow,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub developer_api: bool,
    #[sqlx(skip)]
    pub allowlist: IpAllowlist,
}

impl std::ops::Deref for Credential {
    type Target = KeyRow;

    fn deref(&self) -> &KeyRow {
        &self.key
    }
}

/// Checks a credential found by hash: revoked (or retired: a rolled key's
/// revocation time has come), expired, flag off. The address is asked for
/// only when the key has an IP allowlist.
pub fn check(
    credential: Arc<Credential>,
    now: i64,
    address: impl FnOnce() -> IpAddr,
) -> Result<Arc<Credential>, AppError> {
    let key_prefix = || credential.prefix.clone();
    // Whether the key works is decided where the list decides its status.
    match credential.status(from_millis(now)) {
        KeyStatus::Revoked => {
            return Err(AppError::KeyRevoked {
                key_prefix: key_prefix(),
            })
        }
        KeyStatus::Expired => {
            return Err(AppError::KeyExpired {
                key_prefix: key_prefix(),
            })
        }
        KeyStatus::Active | KeyStatus::Retiring => {}
    }
    if !credential.developer_api {
        return Err(AppError::FeatureDisabled {
            key_prefix: key_prefix(),
        });
    }
    if !credential.allowlist.is_empty() {
        let address = address();
        if !credential.allowlist.allows(address) {
            return Err(AppError::IpNotAllowed {
                key_prefix: key_prefix(),
                address: address.to_string(),
            });
        }
    }
    Ok(credential)
}

/// The checks that need neither hashing nor I/O: the token's shape, and its
/// checksum unless it is one of the keys made before checksums. What every
/// token goes through first, leak reports included.
pub fn screen(state: &KeyState, token: &str) -> Result<ApiKey, AppError> {
    match ApiKey::parse(token) {
        Ok(key)
            if key.has_valid_checksum() || state.legacy_keys.contains(key.prefix().as_str()) =>
        {
            Ok(key)
        }
        _ => Err(AppError::MalformedKey {
            key_prefix: KeyPrefix::echo_untrusted(token),
        }),
    }
}

/// Verifies a bearer token: the shape and checksum screen (garbage and
/// typos cost no hashing and no database access), one SHA-256, and an
/// indexed look-up by hash unless the key's credential is cached and still
/// current.
pub async fn verify(
    state: &KeyState,
    token: &str,
    now: i64,
    address: impl FnOnce() -> IpAddr,
) -> Result<Arc<Credential>, AppError> {
    let key = screen(state, token)?;
    let hash = key.hash();
    if let Some(credential) = state.credentials.get(hash.as_str()) {
        return check(credential, now, address);
    }
    // Read the epoch before the row, so a change committed meanwhile makes
    // this entry stale rather than letting it through.
    let epoch = state.credentials.epoch();
    match find_credential(&state.db, hash.as_str()).await? {
        // A known prefix with the wrong secret lands here too: same answer.
        None => Err(AppError::InvalidKey {
            key_prefix: key.prefix().to_string(),
        }),
        Some(credential) => {
            let credential = Arc::new(credential);
            state
                .credentials
                .put(hash.as_str(), epoch, Arc::clone(&credential));
            check(credential, now, address)
        }
    }
}

/// Verification from the credential cache alone: `None` when the key is not
/// cached (or not a key), so that the caller decides without I/O.
pub fn verify_cached(
    state: &KeyState,
    token: &str,
    now: i64,
    address: impl FnOnce() -> IpAddr,
) -> Option<Result<Arc<Credential>, AppError>> {
    use crate::platform::metrics::CREDENTIAL_CACHE;
    // A cached credential was loaded for a token that passed the screen, and
    // only that token hashes to it: a hit needs no screen. Garbage of the
    // wrong length still costs no hashing.
    if token.len() != super::token::KEY_LEN {
        return None;
    }
    let hash = crate::platform::secret::TokenHash::of(token);
    let Some(credential) = state.credentials.get(hash.as_str()) else {
        metrics::counter!(CREDENTIAL_CACHE, "result" => "miss").increment(1);
        return None;
    };
    metrics::counter!(CREDENTIAL_CACHE, "result" => "hit").increment(1);
    Some(check(credential, now, address))
}

/// The key a refused authentication names, when it exists, as (id,
/// organisation id): by its hash (revoked, expired, flag off, address
/// refused), or by its prefix (a wrong secret). Tokens that name no key
/// give none.
pub async fn key_refused(state: &KeyState, token: &str, error: &AppError) -> Option<(i64, i64)> {
    match error {
        AppError::KeyRevoked { .. }
        | AppError::KeyExpired { .. }
        | AppError::FeatureDisabled { .. }
        | AppError::IpNotAllowed { .. } => {
            let key = screen(state, token).ok()?;
            // Usually cached by the verification that refused it; not when
            // an invalidation (another instance's NOTIFY) landed meanwhile.
            match state.credentials.get(key.hash().as_str()) {
                Some(c) => Some((c.id, c.organisation_id)),
                None => find_credential(&state.db, key.hash().as_str())
                    .await
                    .ok()
                    .flatten()
                    .map(|c| (c.id, c.organisation_id)),
            }
        }
        AppError::InvalidKey { key_prefix } => {
            super::usage::data::key_by_prefix(&state.db, key_prefix)
                .await
                .ok()
                .flatten()
        }
        _ => None,
    }
}
