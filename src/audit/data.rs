//! SQL for audit entries. Entries are written inside the caller's transaction,
//! so a change and its entry commit together or not at all.

use sqlx::FromRow;

use crate::platform::db::{Conn, Filtered};

use super::service::NewEntry;
use super::{AuditAction, AuditEntry};
use crate::platform::clock::from_millis;
use crate::platform::db::escape_like;
use crate::platform::Db;

pub async fn insert(conn: &mut Conn, entry: NewEntry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_entries (organisation_id, occurred_at, actor, action, key_prefix, key_name, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.organisation_id)
    .bind(entry.occurred_at)
    .bind(entry.actor)
    .bind(entry.action.key())
    .bind(entry.key_prefix)
    .bind(entry.key_name)
    .bind(entry.details)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct Row {
    id: i64,
    occurred_at: i64,
    actor: String,
    action: String,
    key_prefix: Option<String>,
    key_name: Option<String>,
    details: String,
}

/// The audit log query for the filters present, and only those: each is
/// answered from an index (the plan tests check it).
pub fn list_query(
    organisation_id: i64,
    prefix: &str,
    action: Option<AuditAction>,
    before: Option<i64>,
    limit: i64,
) -> Filtered {
    let mut query = Filtered::new(
        "SELECT id, occurred_at, actor, action, key_prefix, key_name, details FROM audit_entries
         WHERE organisation_id = ",
    );
    query.bind(organisation_id);
    if let Some(action) = action {
        query.push(" AND action = ").bind(action.key());
    }
    if !prefix.is_empty() {
        query
            .push(" AND key_prefix LIKE ")
            .bind(format!("{}%", escape_like(prefix)))
            .push(" ESCAPE '\\'");
    }
    if let Some(before) = before {
        query.push(" AND id < ").bind(before);
    }
    query.push(" ORDER BY id DESC LIMIT ").bind(limit);
    query
}

pub async fn list(
    db: &Db,
    organisation_id: i64,
    prefix: &str,
    action: Option<AuditAction>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let query = list_query(organisation_id, prefix, action, before, limit);
    let rows: Vec<Row> = query.query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            occurred_at: from_millis(r.occurred_at),
            actor: r.actor,
            action: r.action,
            key_prefix: r.key_prefix,
            key_name: r.key_name,
            details: r.details,
        })
        .collect())
}
