//! Lead changes, shared by the dashboard and the REST API. Every change is
//! written to the audit log in the same transaction, with who made it: a
//! dashboard user or an API key.

use super::data;
use super::domain::{Lead, LeadDraft, LeadFilter, LeadInput, LeadPatch, Tombstone};
use crate::audit::service::{record, NewEntry};
use crate::audit::AuditAction;
use crate::error::AppError;
use crate::platform::{db::begin_write, Db, Platform};

/// Who made a change: a dashboard user (their email), or an API key.
pub enum Actor<'a> {
    User(&'a str),
    Key { prefix: &'a str, name: &'a str },
}

async fn audit(
    conn: &mut crate::platform::db::Conn,
    organisation_id: i64,
    now: i64,
    actor: &Actor<'_>,
    action: AuditAction,
    lead: &Lead,
) -> Result<(), sqlx::Error> {
    let (who, key_prefix, key_name) = match actor {
        Actor::Key { prefix, name } => (
            format!("API key {prefix} ({name})"),
            Some(*prefix),
            Some(*name),
        ),
        Actor::User(email) => ((*email).to_owned(), None, None),
    };
    record(
        conn,
        NewEntry {
            organisation_id,
            occurred_at: now,
            actor: &who,
            action,
            key_prefix,
            key_name,
            details: format!("Lead #{}: {}", lead.id, lead.name),
        },
    )
    .await
}

pub async fn create(
    state: &Platform,
    organisation_id: i64,
    draft: &LeadDraft,
    actor: Actor<'_>,
) -> Result<Lead, AppError> {
    let input = LeadInput::parse(draft)?;
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.db.begin().await?;
    let lead = data::insert(&mut tx, organisation_id, &input, now).await?;
    audit(
        &mut tx,
        organisation_id,
        now,
        &actor,
        AuditAction::LeadCreated,
        &lead,
    )
    .await?;
    tx.commit().await?;
    Ok(lead)
}

pub async fn update(
    state: &Platform,
    organisation_id: i64,
    id: i64,
    patch: LeadPatch,
    actor: Actor<'_>,
) -> Result<Lead, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = begin_write(&state.db).await?;
    let current = data::find(&mut tx, organisation_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let input = LeadInput::parse(&patch.apply_to(&current))?;
    let lead = data::update(&mut tx, organisation_id, id, &input, now)
        .await?
        .ok_or(AppError::NotFound)?;
    audit(
        &mut tx,
        organisation_id,
        now,
        &actor,
        AuditAction::LeadUpdated,
        &lead,
    )
    .await?;
    tx.commit().await?;
    Ok(lead)
}

pub async fn delete(
    state: &Platform,
    organisation_id: i64,
    id: i64,
    actor: Actor<'_>,
) -> Result<(), AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.db.begin().await?;
    let lead = data::delete(&mut tx, organisation_id, id, now)
        .await?
        .ok_or(AppError::NotFound)?;
    audit(
        &mut tx,
        organisation_id,
        now,
        &actor,
        AuditAction::LeadDeleted,
        &lead,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get(state: &Platform, organisation_id: i64, id: i64) -> Result<Lead, AppError> {
    let mut conn = state.db.acquire().await?;
    data::find(&mut conn, organisation_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The organisation's leads that `filter` picks, at most `limit`.
pub async fn list(
    state: &Platform,
    organisation_id: i64,
    filter: &LeadFilter,
    limit: i64,
) -> Result<Vec<Lead>, AppError> {
    Ok(data::list(&state.db, organisation_id, filter, limit).await?)
}

/// Fills the e-mail search keys of leads written before the keys existed
/// (`…_email_keys.sql`), a thousand at a time; answers how many it filled.
/// Runs at start: until it is done, such a lead is not found by a search
/// for its address, though it is by any other part of it.
pub async fn fill_email_keys(db: &Db) -> Result<u64, sqlx::Error> {
    let mut after = 0;
    let mut filled = 0;
    while let Some((last, count)) = data::fill_email_keys(db, after, 1000).await? {
        after = last;
        filled += count;
    }
    Ok(filled)
}

/// Leads deleted at or after `since`, oldest first, after `after`
/// (`deleted_at`, `lead_id`), at most `limit`.
pub async fn deleted(
    state: &Platform,
    organisation_id: i64,
    since: i64,
    after: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<Tombstone>, AppError> {
    Ok(data::deleted(&state.db, organisation_id, since, after, limit).await?)
}
