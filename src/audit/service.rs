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

impl<'a> NewEntry<'a> {
    /// An entry about the organisation itself (its members, its rules), no
    /// key.
    pub fn organisation(
        organisation_id: i64,
        occurred_at: i64,
        actor: &'a str,
        action: AuditAction,
        details: String,
    ) -> Self {
        Self {
            organisation_id,
            occurred_at,
            actor,
            action,
            key_prefix: None,
            key_name: None,
            details,
        }
    }
}

/// Writes `entry` in the caller's transaction.
pub async fn record(conn: &mut Conn, entry: NewEntry<'_>) -> Result<(), sqlx::Error> {
    data::insert(conn, entry).await
}
