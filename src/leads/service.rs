//! Lead changes, shared by the dashboard and the REST API. Every change is
//! written to the audit log in the same transaction, with who made it: a
//! dashboard user or an API key.

use super::data;
use super::domain::{Lead, LeadDraft, LeadInput, LeadPatch};
use crate::audit::data::{record, NewEntry};
use crate::audit::AuditAction;
use crate::error::AppError;
use crate::server::{db::begin_write, AppState};

/// Who made a change: a dashboard user (their email), or an API key.
pub enum Actor<'a> {
    User(&'a str),
    Key { prefix: &'a str, name: &'a str },
}

async fn audit(
    conn: &mut crate::server::db::Conn,
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
    state: &AppState,
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
    state: &AppState,
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
    state: &AppState,
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

pub async fn get(state: &AppState, organisation_id: i64, id: i64) -> Result<Lead, AppError> {
    let mut conn = state.db.acquire().await?;
    data::find(&mut conn, organisation_id, id)
        .await?
        .ok_or(AppError::NotFound)
}
