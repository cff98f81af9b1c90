//! SQL for API keys. Every dashboard query is scoped by organisation in SQL.

use sqlx::FromRow;

use crate::server::db::Conn;

use super::domain::{Expiry, KeyStatus, KeySummary, Permissions};
use crate::server::clock::from_millis;
use crate::server::Db;

#[derive(Debug, Clone, FromRow)]
pub struct KeyRow {
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub prefix: String,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub can_read: bool,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub can_create: bool,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub can_update: bool,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub can_delete: bool,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub is_playground: bool,
    pub created_at: i64,
    pub created_by_email: Option<String>,
    pub last_used_at: Option<i64>,
    pub request_count: i64,
}

impl KeyRow {
    pub fn permissions(&self) -> Permissions {
        Permissions {
            read: self.can_read,
            create: self.can_create,
            update: self.can_update,
            delete: self.can_delete,
        }
    }

    pub fn expiry(&self) -> Expiry {
        self.expires_at
            .map_or(Expiry::NEVER, |ms| Expiry::at(from_millis(ms)))
    }

    pub fn summary(&self, now: chrono::DateTime<chrono::Utc>) -> KeySummary {
        KeySummary {
            id: self.id,
            name: self.name.clone(),
            prefix: self.prefix.clone(),
            permissions: self.permissions(),
            status: KeyStatus::of(self.revoked_at.is_some(), self.expiry(), now),
            expires_at: self.expires_at.map(from_millis),
            created_at: from_millis(self.created_at),
            created_by: self
                .created_by_email
                .clone()
                .unwrap_or_else(|| "(deleted user)".into()),
            last_used_at: self.last_used_at.map(from_millis),
            request_count: self.request_count,
            is_playground: self.is_playground,
        }
    }
}

const COLUMNS: &str = "k.id, k.organisation_id, k.name, k.prefix, CAST(k.can_read AS INTEGER) AS can_read,
    CAST(k.can_create AS INTEGER) AS can_create, CAST(k.can_update AS INTEGER) AS can_update,
    CAST(k.can_delete AS INTEGER) AS can_delete, k.expires_at, k.revoked_at, CAST(k.is_playground AS INTEGER) AS is_playground, k.created_at, u.email AS created_by_email, k.last_used_at, k.request_count";

pub struct InsertKey<'a> {
    pub organisation_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub permissions: Permissions,
    pub expires_at: Option<i64>,
    pub is_playground: bool,
    pub created_by: i64,
    pub created_at: i64,
}

pub async fn insert(conn: &mut Conn, key: InsertKey<'_>) -> Result<i64, sqlx::Error> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO api_keys (organisation_id, name, prefix, key_hash, can_read, can_create, can_update, can_delete,
                               expires_at, is_playground, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(key.organisation_id)
    .bind(key.name)
    .bind(key.prefix)
    .bind(key.key_hash)
    .bind(key.permissions.read)
    .bind(key.permissions.create)
    .bind(key.permissions.update)
    .bind(key.permissions.delete)
    .bind(key.expires_at)
    .bind(key.is_playground)
    .bind(key.created_by)
    .bind(key.created_at)
    .fetch_one(conn)
    .await?;
    Ok(id.0)
}

pub async fn list(
    db: &Db,
    organisation_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.organisation_id = $1 ORDER BY k.id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(organisation_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

pub async fn count(db: &Db, organisation_id: i64) -> Result<i64, sqlx::Error> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_keys WHERE organisation_id = $1")
        .bind(organisation_id)
        .fetch_one(db)
        .await?;
    Ok(n.0)
}

pub async fn find(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.organisation_id = $1 AND k.id = $2"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Platform-admin look-up across organisations, by the displayed prefix.
pub async fn find_by_prefix(conn: &mut Conn, prefix: &str) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.prefix = $1"
    ))
    .bind(prefix)
    .fetch_optional(conn)
    .await
}

pub async fn update(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
    name: &str,
    permissions: Permissions,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_keys SET name = $1, can_read = $2, can_create = $3, can_update = $4, can_delete = $5
         WHERE organisation_id = $6 AND id = $7",
    )
    .bind(name)
    .bind(permissions.read)
    .bind(permissions.create)
    .bind(permissions.update)
    .bind(permissions.delete)
    .bind(organisation_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_revoked_at(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
    revoked_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE organisation_id = $2 AND id = $3")
        .bind(revoked_at)
        .bind(organisation_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, organisation_id: i64, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM api_keys WHERE organisation_id = $1 AND id = $2")
        .bind(organisation_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Playground keys of one user that still work at `now`.
pub async fn count_live_playground(
    conn: &mut Conn,
    user_id: i64,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let n: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM api_keys
         WHERE created_by = $1 AND is_playground AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(user_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n.0)
}

/// What the API needs to authenticate a request, found by the key's hash.
#[derive(Debug, Clone, FromRow)]
pub struct Credential {
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub prefix: String,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub can_read: bool,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub can_create: bool,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub can_update: bool,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub can_delete: bool,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    #[sqlx(try_from = "crate::server::db::SqlBool")]
    pub developer_api: bool,
}

pub async fn find_credential(db: &Db, key_hash: &str) -> Result<Option<Credential>, sqlx::Error> {
    sqlx::query_as(
        "SELECT k.id, k.organisation_id, k.name, k.prefix, CAST(k.can_read AS INTEGER) AS can_read,
                CAST(k.can_create AS INTEGER) AS can_create, CAST(k.can_update AS INTEGER) AS can_update,
                CAST(k.can_delete AS INTEGER) AS can_delete,
                k.expires_at, k.revoked_at,
                EXISTS (SELECT 1 FROM organisation_flags f
                        WHERE f.organisation_id = k.organisation_id AND f.flag = 'developer-api') AS developer_api
         FROM api_keys k WHERE k.key_hash = $1",
    )
    .bind(key_hash)
    .fetch_optional(db)
    .await
}

pub async fn add_usage(
    conn: &mut Conn,
    id: i64,
    last_used_at: i64,
    requests: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_keys
         SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < $1 THEN $1 ELSE last_used_at END,
             request_count = request_count + $2
         WHERE id = $3",
    )
    .bind(last_used_at)
    .bind(requests)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The organisation's keys created by this user that still work (not
/// revoked), newest first: what removing the member offers to revoke.
pub async fn live_keys_created_by(
    conn: &mut Conn,
    organisation_id: i64,
    user_id: i64,
) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.organisation_id = $1 AND k.created_by = $2 AND k.revoked_at IS NULL ORDER BY k.id DESC"
    ))
    .bind(organisation_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}
