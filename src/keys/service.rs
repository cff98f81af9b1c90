//! Key operations. Each change and its audit entry share one transaction.

use serde_json::json;

use super::data::{self, InsertKey, KeyRow};
use super::domain::{
    CreatedKey, Expiry, Grace, IpAllowlist, KeyName, KeyPolicy, KeyStatus, KeySummary, NewKey,
    Permissions, Revocation, PLAYGROUND_KEY_NAME,
};
use super::token::ApiKey;
use crate::audit::service::{record, NewEntry};
use crate::audit::AuditAction;
use crate::auth::session::OrgScope;
use crate::error::AppError;
use crate::keys::KeyState;
use crate::notify::domain::EventKind;
use crate::notify::service::KeyEvent;
use crate::platform::db::{begin_write, Conn};
use crate::platform::Platform;

/// Most unexpired playground keys one user may hold.
pub const PLAYGROUND_CAP: i64 = 5;
pub const PLAYGROUND_LIFETIME: chrono::Duration = chrono::Duration::hours(1);

fn entry<'a>(
    org: &'a OrgScope,
    now: i64,
    action: AuditAction,
    key: &'a KeyRow,
    details: String,
) -> NewEntry<'a> {
    NewEntry {
        organisation_id: org.id,
        occurred_at: now,
        actor: &org.actor,
        action,
        key_prefix: Some(&key.prefix),
        key_name: Some(&key.name),
        details,
    }
}

/// The event `kind` about `key`; `due_at` for those time brings.
pub(super) fn event_of(kind: EventKind, key: &KeyRow, due_at: Option<i64>) -> KeyEvent<'_> {
    KeyEvent {
        kind,
        organisation_id: key.organisation_id,
        key_id: key.id,
        key_prefix: &key.prefix,
        key_name: &key.name,
        created_by: key.created_by,
        expires_at: key.expires_at,
        due_at,
        requests: None,
        replaced_by: None,
    }
}

/// Records a key event for the people to be told, in the caller's
/// transaction (the notifications scheduler mails them).
async fn tell(
    conn: &mut Conn,
    kind: EventKind,
    key: &KeyRow,
    now: i64,
    replaced_by: Option<&str>,
) -> Result<(), AppError> {
    let event = KeyEvent {
        replaced_by,
        ..event_of(kind, key, None)
    };
    crate::notify::service::record(conn, &event, now).await?;
    Ok(())
}

/// Revokes `key` at once, with its audit entry in its organisation: how
/// every revocation that is not a roll is written, inside the caller's
/// `AccessChange`.
async fn revoke_now(
    conn: &mut Conn,
    key: &KeyRow,
    now: i64,
    actor: &str,
    reason: Option<&str>,
    details: String,
) -> Result<(), AppError> {
    data::set_revoked_at(&mut *conn, key.organisation_id, key.id, Some(now), reason).await?;
    if !key.is_playground {
        let kind = if reason == Some(Revocation::LEAKED) {
            EventKind::Leaked
        } else {
            EventKind::Revoked
        };
        tell(&mut *conn, kind, key, now, None).await?;
    }
    record(
        conn,
        NewEntry {
            organisation_id: key.organisation_id,
            occurred_at: now,
            actor,
            action: AuditAction::KeyRevoked,
            key_prefix: Some(&key.prefix),
            key_name: Some(&key.name),
            details,
        },
    )
    .await?;
    Ok(())
}

/// Adds the usage not yet flushed, so the list is never behind the API.
pub fn summary(state: &KeyState, row: &KeyRow) -> KeySummary {
    let mut summary = row.summary(state.clock.now());
    if let Some(p) = state.usage.pending(row.id) {
        summary.request_count += p.requests;
        let pending_at = crate::platform::clock::from_millis(p.last_used_at);
        summary.last_used_at = Some(
            summary
                .last_used_at
                .map_or(pending_at, |t| t.max(pending_at)),
        );
    }
    summary
}

pub async fn create(
    state: &KeyState,
    org: &OrgScope,
    new: NewKey,
    playground: bool,
) -> Result<CreatedKey, AppError> {
    let now = state.clock.now();
    let mut tx = begin_write(&state.db).await?;
    if playground {
        let live =
            data::count_live_playground(&mut tx, org.user_id, now.timestamp_millis()).await?;
        if live >= PLAYGROUND_CAP {
            return Err(AppError::Conflict(format!(
                "You already have {PLAYGROUND_CAP} active playground keys. Revoke one on the Developer page, or wait for one to expire (they last one hour)."
            )));
        }
    } else {
        // Inside the transaction: a policy changed meanwhile is the one
        // that applies.
        let policy = data::policy(&mut *tx, org.id).await?;
        policy
            .check(new.expiry, now)
            .map_err(|e| AppError::Validation(vec![e]))?;
    }
    let source = if playground {
        "docs playground"
    } else {
        "dashboard"
    };
    let created = insert_new(&mut tx, org, &new, playground, None, "", now, source).await?;
    tx.commit().await?;
    tracing::info!(org = org.id, prefix = %created.key.prefix, playground, "API key created");
    Ok(created)
}

/// Makes a key and audits it, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
async fn insert_new(
    tx: &mut Conn,
    org: &OrgScope,
    new: &NewKey,
    playground: bool,
    rolled_from: Option<&str>,
    allowed_ips: &str,
    now: chrono::DateTime<chrono::Utc>,
    source: &str,
) -> Result<CreatedKey, AppError> {
    let key = ApiKey::generate();
    let prefix = key.prefix();
    let at = now.timestamp_millis();
    let id = data::insert(
        tx,
        InsertKey {
            organisation_id: org.id,
            name: new.name.as_str(),
            prefix: prefix.as_str(),
            key_hash: key.hash().as_str(),
            permissions: new.permissions,
            expires_at: new.expiry.get().map(|t| t.timestamp_millis()),
            is_playground: playground,
            created_by: org.user_id,
            created_at: at,
            rolled_from,
            allowed_ips,
        },
    )
    .await?;
    let row = data::find(tx, org.id, id)
        .await?
        .ok_or(AppError::Internal)?;
    let mut details = json!({
        "permissions": new.permissions.describe(),
        "expires_at": new.expiry.get(),
        "source": source,
    });
    if let Some(old) = rolled_from {
        details["rolled_from"] = old.into();
    }
    record(
        tx,
        entry(org, at, AuditAction::KeyCreated, &row, details.to_string()),
    )
    .await?;
    // A roll's new key is told of as the roll.
    if !playground && rolled_from.is_none() {
        tell(tx, EventKind::Created, &row, at, None).await?;
    }
    Ok(CreatedKey {
        key: row.summary(now),
        plaintext: key.expose().to_owned(),
    })
}

pub async fn create_playground(state: &KeyState, org: &OrgScope) -> Result<CreatedKey, AppError> {
    let expires = state.clock.now() + PLAYGROUND_LIFETIME;
    let new = NewKey {
        name: KeyName::parse(PLAYGROUND_KEY_NAME).map_err(|_| AppError::Internal)?,
        permissions: Permissions::LEADS_CRUD,
        expiry: Expiry::at(expires),
    };
    create(state, org, new, true).await
}

pub async fn update(
    state: &KeyState,
    org: &OrgScope,
    id: i64,
    name: &str,
    permissions: Permissions,
    allowed_ips: &str,
) -> Result<KeySummary, AppError> {
    let parsed = (KeyName::parse(name), IpAllowlist::parse(allowed_ips));
    let (name, allowed_ips) = match parsed {
        (Ok(name), Ok(ips)) => (name, ips),
        (name, ips) => {
            return Err(AppError::Validation(
                [name.err(), ips.err()].into_iter().flatten().collect(),
            ))
        }
    };
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    let before = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut changes = serde_json::Map::new();
    if before.name != name.as_str() {
        changes.insert(
            "name".into(),
            json!({"before": before.name, "after": name.as_str()}),
        );
    }
    if before.permissions() != permissions {
        changes.insert(
            "permissions".into(),
            json!({"before": before.permissions().describe(), "after": permissions.describe()}),
        );
    }
    let ips_before = IpAllowlist::from_stored(&before.allowed_ips);
    if ips_before != allowed_ips {
        changes.insert(
            "allowed_ips".into(),
            json!({"before": ips_before.entries(), "after": allowed_ips.entries()}),
        );
    }
    if changes.is_empty() {
        return Ok(summary(state, &before));
    }
    data::update(
        &mut tx,
        org.id,
        id,
        name.as_str(),
        permissions,
        &allowed_ips.to_stored(),
    )
    .await?;
    let after = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::Internal)?;
    let details = serde_json::Value::Object(changes).to_string();
    record(
        &mut tx,
        entry(org, now, AuditAction::KeyUpdated, &after, details),
    )
    .await?;
    // Cached credentials must not outlive this change, on any instance.
    tx.commit().await?;
    Ok(summary(state, &after))
}

pub async fn revoke(state: &KeyState, org: &OrgScope, id: i64) -> Result<KeySummary, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    let key = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if key.status(state.clock.now()) == KeyStatus::Revoked {
        return Ok(summary(state, &key));
    }
    // A retiring key revoked by hand stops now.
    revoke_now(&mut tx, &key, now, &org.actor, None, String::new()).await?;
    let after = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::Internal)?;
    // Cached credentials must not outlive this change, on any instance.
    tx.commit().await?;
    Ok(summary(state, &after))
}

/// Platform admins only: finds a key by prefix in any organisation and makes
/// it active again.
pub async fn reactivate(
    state: &KeyState,
    actor: &str,
    prefix: &str,
) -> Result<KeySummary, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    let key = data::find_by_prefix(&mut tx, prefix.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    if key.status(state.clock.now()) != KeyStatus::Revoked {
        return Err(AppError::Conflict(format!(
            "Key {} is not revoked.",
            key.prefix
        )));
    }
    data::set_revoked_at(&mut tx, key.organisation_id, key.id, None, None).await?;
    record(
        &mut tx,
        NewEntry {
            organisation_id: key.organisation_id,
            occurred_at: now,
            actor: &format!("{actor} (platform admin)"),
            action: AuditAction::KeyReactivated,
            key_prefix: Some(&key.prefix),
            key_name: Some(&key.name),
            details: String::new(),
        },
    )
    .await?;
    let after = data::find(&mut tx, key.organisation_id, key.id)
        .await?
        .ok_or(AppError::Internal)?;
    // Cached credentials must not outlive this change, on any instance.
    tx.commit().await?;
    Ok(summary(state, &after))
}

/// Platform admins only: finds a key by prefix in any organisation and
/// revokes it (a key seen somewhere it should not be, an account under
/// investigation).
pub async fn revoke_by_prefix(
    state: &KeyState,
    actor: &str,
    prefix: &str,
) -> Result<KeySummary, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    let key = data::find_by_prefix(&mut tx, prefix.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    let status = key.status(state.clock.now());
    if !status.works() {
        return Err(AppError::Conflict(format!(
            "Key {} is {} already.",
            key.prefix,
            status.label().to_lowercase()
        )));
    }
    let actor = format!("{actor} (platform admin)");
    revoke_now(&mut tx, &key, now, &actor, None, String::new()).await?;
    let after = data::find(&mut tx, key.organisation_id, key.id)
        .await?
        .ok_or(AppError::Internal)?;
    // Cached credentials must not outlive this change, on any instance.
    tx.commit().await?;
    Ok(summary(state, &after))
}

pub async fn find_by_prefix(
    state: &KeyState,
    prefix: &str,
) -> Result<Option<KeySummary>, AppError> {
    let mut conn = state.db.acquire().await?;
    Ok(data::find_by_prefix(&mut conn, prefix.trim())
        .await?
        .map(|k| summary(state, &k)))
}

pub async fn delete(state: &KeyState, org: &OrgScope, id: i64) -> Result<(), AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    let key = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    data::delete(&mut tx, org.id, id).await?;
    crate::notify::service::forget_key(&mut tx, id).await?;
    record(
        &mut tx,
        entry(org, now, AuditAction::KeyDeleted, &key, String::new()),
    )
    .await?;
    // Cached credentials must not outlive this change, on any instance.
    tx.commit().await?;
    Ok(())
}

/// "Roll key": a new key with the same name, permissions, expiry and IP
/// allowlist, shown once; the old one keeps working for `grace`, then is
/// revoked (at once with no grace). The organisation's policy applies to the
/// new key's expiry. One transaction: both keys and both audit entries, which
/// name each other.
pub async fn roll(
    state: &KeyState,
    org: &OrgScope,
    id: i64,
    grace: Grace,
) -> Result<CreatedKey, AppError> {
    let now = state.clock.now();
    let at = now.timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    let old = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match old.status(now) {
        KeyStatus::Active => {}
        KeyStatus::Retiring => {
            return Err(AppError::Conflict(format!(
                "Key {} was rolled already and is retiring. Roll its replacement instead, or cancel the scheduled revocation first.",
                old.prefix
            )))
        }
        status => {
            return Err(AppError::Conflict(format!(
                "Key {} is {}: only a working key can be rolled. Create a new key instead.",
                old.prefix,
                status.label().to_lowercase()
            )))
        }
    }
    let new = NewKey {
        name: KeyName::parse(&old.name).map_err(|_| AppError::Internal)?,
        permissions: old.permissions(),
        expiry: old.expiry(),
    };
    data::policy(&mut *tx, org.id)
        .await?
        .check(new.expiry, now)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let created = insert_new(
        &mut tx,
        org,
        &new,
        old.is_playground,
        Some(&old.prefix),
        &old.allowed_ips,
        now,
        "roll",
    )
    .await?;
    let retires_at = at + grace.duration().num_milliseconds();
    // Without grace the old key stops at once, not at a time.
    let reason = if grace.duration().is_zero() {
        Revocation::REPLACED
    } else {
        Revocation::ROLLED
    };
    data::set_revoked_at(&mut tx, org.id, id, Some(retires_at), Some(reason)).await?;
    let details = json!({
        "replaced_by": created.key.prefix,
        "grace": grace.label(),
        "revoked_at": crate::platform::clock::from_millis(retires_at),
    })
    .to_string();
    record(
        &mut tx,
        entry(org, at, AuditAction::KeyRolled, &old, details),
    )
    .await?;
    if !old.is_playground {
        tell(
            &mut tx,
            EventKind::Rolled,
            &old,
            at,
            Some(&created.key.prefix),
        )
        .await?;
    }
    // Cached credentials must not outlive this change, on any instance.
    tx.commit().await?;
    tracing::info!(org = org.id, old = %old.prefix, new = %created.key.prefix, "API key rolled");
    Ok(created)
}

/// Cancels a rolled key's scheduled revocation: it keeps working.
pub async fn cancel_retirement(
    state: &KeyState,
    org: &OrgScope,
    id: i64,
) -> Result<KeySummary, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    let key = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if key.status(state.clock.now()) != KeyStatus::Retiring {
        return Err(AppError::Conflict(format!(
            "Key {} is not scheduled for revocation.",
            key.prefix
        )));
    }
    data::set_revoked_at(&mut tx, org.id, id, None, None).await?;
    record(
        &mut tx,
        entry(
            org,
            now,
            AuditAction::KeyRetirementCancelled,
            &key,
            String::new(),
        ),
    )
    .await?;
    let after = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::Internal)?;
    tx.commit().await?;
    Ok(summary(state, &after))
}

/// Revokes every working key the user created, in every organisation, each
/// audited in its organisation with `actor` and `why` ("on disabling
/// dev@acme.test"). How many.
pub async fn revoke_created_by(
    state: &Platform,
    user_id: i64,
    actor: &str,
    why: &str,
) -> Result<usize, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    let revoked = revoke_created_by_in(
        &mut tx,
        None,
        user_id,
        now,
        actor,
        &format!("Revoked {why}"),
    )
    .await?;
    // Nothing revoked: nothing to tell the caches (the write rolls back).
    if revoked > 0 {
        tx.commit().await?;
    }
    Ok(revoked)
}

/// In the caller's access change: revokes the working keys `user_id`
/// created (in `organisation`, or in all), each audited with `details`.
/// How many.
pub async fn revoke_created_by_in(
    conn: &mut Conn,
    organisation: Option<i64>,
    user_id: i64,
    now: i64,
    actor: &str,
    details: &str,
) -> Result<usize, AppError> {
    let keys = data::live_keys_created_by(&mut *conn, organisation, user_id, now).await?;
    for key in &keys {
        revoke_now(&mut *conn, key, now, actor, None, details.to_owned()).await?;
    }
    Ok(keys.len())
}

/// The keys `user_id` created in `organisation` that still work.
pub async fn working_keys_created_by(
    conn: &mut Conn,
    organisation: i64,
    user_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<KeySummary>, AppError> {
    Ok(
        data::live_keys_created_by(conn, Some(organisation), user_id, now.timestamp_millis())
            .await?
            .iter()
            .map(|k| k.summary(now))
            .collect(),
    )
}

/// Most tokens one leak report may carry.
pub const LEAK_REPORT_MAX: usize = 100;

/// Revokes every working key among `tokens`, audited as "reported as
/// leaked". Says nothing of what matched: the caller answers 202 whatever.
/// Tokens that fail the checksum (and are not keys from before it) cost no
/// database access.
pub async fn report_leaked(state: &KeyState, tokens: &[String]) -> Result<usize, AppError> {
    let hashes: Vec<_> = tokens
        .iter()
        .filter_map(|t| super::verify::screen(state, t.trim()).ok())
        .map(|key| key.hash())
        .collect();
    let now = state.clock.now().timestamp_millis();
    // Most reports name no working key (the checksum is public, so anyone
    // can forge well-formed tokens): those take no write lock and leave
    // every instance's credential cache as it is.
    let candidates: Vec<&str> = hashes.iter().map(|h| h.as_str()).collect();
    if !data::any_live_among(&state.db, &candidates, now).await? {
        return Ok(0);
    }
    let mut tx = state.begin_access_change().await?;
    let mut revoked = 0;
    for hash in &hashes {
        let Some(key) = data::find_live_by_hash(&mut tx, hash.as_str(), now).await? else {
            continue;
        };
        let leaked = Some(Revocation::LEAKED);
        revoke_now(
            &mut tx,
            &key,
            now,
            "Leak report",
            leaked,
            "reported as leaked".into(),
        )
        .await?;
        tracing::warn!(org = key.organisation_id, prefix = %key.prefix, "API key reported as leaked and revoked");
        revoked += 1;
    }
    // None when they were revoked by someone else since the read: then
    // nothing is written and no cache is told.
    if revoked > 0 {
        tx.commit().await?;
    }
    Ok(revoked)
}

pub async fn policy(state: &KeyState, org: &OrgScope) -> Result<KeyPolicy, AppError> {
    Ok(data::policy(&state.db, org.id).await?)
}

/// Org admins only (the caller checks): the rules for new keys and rolls.
pub async fn set_policy(
    state: &KeyState,
    org: &OrgScope,
    policy: KeyPolicy,
) -> Result<KeyPolicy, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = begin_write(&state.db).await?;
    let before = data::policy(&mut *tx, org.id).await?;
    if before == policy {
        return Ok(policy);
    }
    data::set_policy(&mut tx, org.id, policy).await?;
    record(
        &mut tx,
        NewEntry {
            organisation_id: org.id,
            occurred_at: now,
            actor: &org.actor,
            action: AuditAction::KeyPolicyChanged,
            key_prefix: None,
            key_name: None,
            details: json!({"before": before.describe(), "after": policy.describe()}).to_string(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(policy)
}
