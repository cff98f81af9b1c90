//! How other features write to the audit log: inside their own
//! transaction, so a change and its entry commit together or not at all.

use super::data;
use super::AuditAction;
use crate::platform::db::Conn;

/// One entry, as a change describes itself.
pub struct NewEntry<'a> {
    pub organisation_id: i64,
    pub occurred_at: i64,
    pub actor: &'a str,
    pub action: AuditAction,
    pub key_prefix: Option<&'a str>,
    pub key_name: Option<&'a str>,
    pub details: String,
}

/// Writes `entry` in the caller's transaction.
pub async fn record(conn: &mut Conn, entry: NewEntry<'_>) -> Result<(), sqlx::Error> {
    data::insert(conn, entry).await
}
