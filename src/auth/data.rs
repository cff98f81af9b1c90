//! SQL for users and sessions.

use sqlx::FromRow;

use crate::server::Db;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub is_platform_admin: bool,
    pub created_at: i64,
}

pub async fn insert_user(
    db: &Db,
    email: &str,
    password_hash: &str,
    is_platform_admin: bool,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO users (email, password_hash, is_platform_admin, created_at) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(is_platform_admin)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(id.0)
}

pub async fn find_user_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, email, password_hash, is_platform_admin, created_at FROM users WHERE email = ?",
    )
    .bind(email)
    .fetch_optional(db)
    .await
}

pub async fn search_users(db: &Db, needle: &str, limit: i64) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, email, password_hash, is_platform_admin, created_at FROM users
         WHERE email LIKE '%' || ? || '%' ESCAPE '\\' ORDER BY email LIMIT ?",
    )
    .bind(escape_like(needle))
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn count_users(db: &Db) -> Result<i64, sqlx::Error> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(db)
        .await?;
    Ok(n.0)
}

/// Escapes LIKE wildcards so user input matches literally.
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub active_organisation_id: Option<i64>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub email: String,
    pub is_platform_admin: bool,
}

pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    active_organisation_id: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, active_organisation_id, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(active_organisation_id)
    .bind(now)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find_session(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.user_id, s.active_organisation_id, s.created_at, s.last_seen_at, u.email, u.is_platform_admin
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

pub async fn touch_session(db: &Db, token_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
        .bind(now)
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_active_organisation(
    db: &Db,
    token_hash: &str,
    organisation_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET active_organisation_id = ? WHERE token_hash = ?")
        .bind(organisation_id)
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}
