//! Key operations. Each change and its audit entry share one transaction.

use serde_json::json;

use super::data::{self, InsertKey, KeyRow};
use super::domain::{
    ApiKey, CreatedKey, Expiry, KeyName, KeySummary, NewKey, Permissions, PLAYGROUND_KEY_NAME,
};
use crate::audit::data::{record, NewEntry};
use crate::audit::AuditAction;
use crate::auth::session::OrgScope;
use crate::error::AppError;
use crate::server::db::{begin_write, commit_invalidating};
use crate::server::AppState;

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

/// Adds the usage not yet flushed, so the list is never behind the API.
pub fn summary(state: &AppState, row: &KeyRow) -> KeySummary {
    let mut summary = row.summary(state.clock.now());
    if let Some(p) = state.usage.pending(row.id) {
        summary.request_count += p.requests;
        let pending_at = crate::server::clock::from_millis(p.last_used_at);
        summary.last_used_at = Some(
            summary
                .last_used_at
                .map_or(pending_at, |t| t.max(pending_at)),
        );
    }
    summary
}

pub async fn create(
    state: &AppState,
    org: &OrgScope,
    new: NewKey,
    playground: bool,
) -> Result<CreatedKey, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = begin_write(&state.db).await?;
    if playground {
        let live = data::count_live_playground(&mut tx, org.user_id, now).await?;
        if live >= PLAYGROUND_CAP {
            return Err(AppError::Conflict(format!(
                "You already have {PLAYGROUND_CAP} active playground keys. Revoke one on the Developer page, or wait for one to expire (they last one hour)."
            )));
        }
    }
    let key = ApiKey::generate();
    let prefix = key.prefix();
    let id = data::insert(
        &mut tx,
        InsertKey {
            organisation_id: org.id,
            name: new.name.as_str(),
            prefix: prefix.as_str(),
            key_hash: key.hash().as_str(),
            permissions: new.permissions,
            expires_at: new.expiry.get().map(|t| t.timestamp_millis()),
            is_playground: playground,
            created_by: org.user_id,
            created_at: now,
        },
    )
    .await?;
    let row = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::Internal)?;
    let details = json!({
        "permissions": new.permissions.describe(),
        "expires_at": new.expiry.get(),
        "source": if playground { "docs playground" } else { "dashboard" },
    })
    .to_string();
    record(
        &mut tx,
        entry(org, now, AuditAction::KeyCreated, &row, details),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(org = org.id, prefix = %prefix, playground, "API key created");
    Ok(CreatedKey {
        key: row.summary(state.clock.now()),
        plaintext: key.expose().to_owned(),
    })
}

pub async fn create_playground(state: &AppState, org: &OrgScope) -> Result<CreatedKey, AppError> {
    let expires = state.clock.now() + PLAYGROUND_LIFETIME;
    let new = NewKey {
        name: KeyName::parse(PLAYGROUND_KEY_NAME).map_err(|_| AppError::Internal)?,
        permissions: Permissions::LEADS_CRUD,
        expiry: Expiry::at(expires),
    };
    create(state, org, new, true).await
}

pub async fn update(
    state: &AppState,
    org: &OrgScope,
    id: i64,
    name: &str,
    permissions: Permissions,
) -> Result<KeySummary, AppError> {
    let name = KeyName::parse(name).map_err(|e| AppError::Validation(vec![e]))?;
    let now = state.clock.now().timestamp_millis();
    let mut tx = begin_write(&state.db).await?;
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
    if changes.is_empty() {
        return Ok(summary(state, &before));
    }
    data::update(&mut tx, org.id, id, name.as_str(), permissions).await?;
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
    commit_invalidating(tx, &state.credentials).await?;
    Ok(summary(state, &after))
}

pub async fn revoke(state: &AppState, org: &OrgScope, id: i64) -> Result<KeySummary, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = begin_write(&state.db).await?;
    let key = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if key.revoked_at.is_some() {
        return Ok(summary(state, &key));
    }
    data::set_revoked_at(&mut tx, org.id, id, Some(now)).await?;
    record(
        &mut tx,
        entry(org, now, AuditAction::KeyRevoked, &key, String::new()),
    )
    .await?;
    let after = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::Internal)?;
    // Cached credentials must not outlive this change, on any instance.
    commit_invalidating(tx, &state.credentials).await?;
    Ok(summary(state, &after))
}

/// Platform admins only: finds a key by prefix in any organisation and makes
/// it active again.
pub async fn reactivate(
    state: &AppState,
    actor: &str,
    prefix: &str,
) -> Result<KeySummary, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = begin_write(&state.db).await?;
    let key = data::find_by_prefix(&mut tx, prefix.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    if key.revoked_at.is_none() {
        return Err(AppError::Conflict(format!(
            "Key {} is not revoked.",
            key.prefix
        )));
    }
    data::set_revoked_at(&mut tx, key.organisation_id, key.id, None).await?;
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
    commit_invalidating(tx, &state.credentials).await?;
    Ok(summary(state, &after))
}

pub async fn find_by_prefix(
    state: &AppState,
    prefix: &str,
) -> Result<Option<KeySummary>, AppError> {
    let mut conn = state.db.acquire().await?;
    Ok(data::find_by_prefix(&mut conn, prefix.trim())
        .await?
        .map(|k| summary(state, &k)))
}

pub async fn delete(state: &AppState, org: &OrgScope, id: i64) -> Result<(), AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = begin_write(&state.db).await?;
    let key = data::find(&mut tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    data::delete(&mut tx, org.id, id).await?;
    record(
        &mut tx,
        entry(org, now, AuditAction::KeyDeleted, &key, String::new()),
    )
    .await?;
    // Cached credentials must not outlive this change, on any instance.
    commit_invalidating(tx, &state.credentials).await?;
    Ok(())
}
