//! SQL for users, sessions and the memberships that sessions read.

use crate::platform::db::escape_like;
use sqlx::FromRow;

use crate::platform::Db;

/// A user's membership of one organisation, with that organisation's
/// Developer API flag: what the access guard decides by.
#[derive(Debug, Clone, FromRow)]
pub struct MembershipRow {
    pub organisation_id: i64,
    pub slug: String,
    pub name: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub is_admin: bool,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub is_developer: bool,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub developer_api: bool,
}

pub async fn memberships_of(db: &Db, user_id: i64) -> Result<Vec<MembershipRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.id AS organisation_id, o.slug, o.name, CAST(m.is_admin AS INTEGER) AS is_admin, CAST(m.is_developer AS INTEGER) AS is_developer,
                EXISTS (SELECT 1 FROM organisation_flags f
                        WHERE f.organisation_id = o.id AND f.flag = 'developer-api') AS developer_api
         FROM memberships m JOIN organisations o ON o.id = m.organisation_id
         WHERE m.user_id = $1 ORDER BY o.name, o.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub is_platform_admin: bool,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

pub async fn insert_user<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    email: &str,
    password_hash: &str,
    is_platform_admin: bool,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO users (email, password_hash, is_platform_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(is_platform_admin)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(id.0)
}

pub async fn find_user_by_email<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, email, password_hash, CAST(is_platform_admin AS INTEGER) AS is_platform_admin, created_at, disabled_at FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(db)
    .await
}

pub async fn search_users(db: &Db, needle: &str, limit: i64) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, email, password_hash, CAST(is_platform_admin AS INTEGER) AS is_platform_admin, created_at, disabled_at FROM users
         WHERE email LIKE '%' || $1 || '%' ESCAPE '\\' ORDER BY email LIMIT $2",
    )
    // Emails are stored in lower case.
    .bind(escape_like(&needle.to_lowercase()))
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

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub active_organisation_id: Option<i64>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub email: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub is_platform_admin: bool,
    pub disabled_at: Option<i64>,
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub active_organisation_id: Option<i64>,
    pub now: i64,
    pub user_agent: &'a str,
    pub client_ip: &'a str,
}

pub async fn insert_session(db: &Db, new: NewSession<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, active_organisation_id, created_at, last_seen_at, user_agent, client_ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new.token_hash)
    .bind(new.user_id)
    .bind(new.active_organisation_id)
    .bind(new.now)
    .bind(new.now)
    .bind(new.user_agent)
    .bind(new.client_ip)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionListRow {
    pub token_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_agent: String,
    pub client_ip: String,
}

pub async fn sessions_of(db: &Db, user_id: i64) -> Result<Vec<SessionListRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT token_hash, created_at, last_seen_at, user_agent, client_ip FROM sessions
         WHERE user_id = $1 ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Ends the user's sessions other than `keep` (all of them when `None`).
pub async fn delete_sessions_of(
    db: &Db,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

pub async fn find_session(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.user_id, s.active_organisation_id, s.created_at, s.last_seen_at, u.email, CAST(u.is_platform_admin AS INTEGER) AS is_platform_admin, u.disabled_at
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

pub async fn touch_session(db: &Db, token_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
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
    sqlx::query("UPDATE sessions SET active_organisation_id = $1 WHERE token_hash = $2")
        .bind(organisation_id)
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Disables (`Some(now)`) or re-enables (`None`) an account; false when
/// there is no such user.
pub async fn set_disabled_at(db: &Db, user_id: i64, at: Option<i64>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(at)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The user's unused reset links stop working: a new password was set.
pub async fn drop_pending_resets(
    conn: &mut crate::platform::db::Conn,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A new reset link for the user; any earlier unused one stops working.
pub async fn insert_password_reset(
    conn: &mut crate::platform::db::Conn,
    user_id: i64,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    drop_pending_resets(&mut *conn, user_id).await?;
    sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses a reset link: its user, when it was unused and unexpired.
/// The user a reset link is for, while it is unused and unexpired; changes
/// nothing (`use_password_reset` takes it).
pub async fn pending_password_reset(
    db: &Db,
    token_hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT user_id FROM password_resets
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| r.0))
}

pub async fn use_password_reset(
    conn: &mut crate::platform::db::Conn,
    token_hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE password_resets SET used_at = $1
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

pub async fn set_password_hash_in(
    conn: &mut crate::platform::db::Conn,
    user_id: i64,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct SecurityEventRow {
    pub id: i64,
    pub occurred_at: i64,
    pub kind: String,
    pub email: String,
    pub actor: String,
    pub client_ip: String,
    pub user_agent: String,
}

/// One entry of the security log.
pub struct NewSecurityEvent<'a> {
    pub occurred_at: i64,
    pub kind: &'a str,
    /// The account it is about (or what was typed for it).
    pub email: &'a str,
    /// Who acted: the owner, a platform admin, the operator; empty for an
    /// anonymous client.
    pub actor: &'a str,
    pub client_ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn record_security_event(
    db: &Db,
    event: NewSecurityEvent<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO security_events (occurred_at, kind, email, actor, client_ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(event.occurred_at)
    .bind(event.kind)
    .bind(event.email)
    .bind(event.actor)
    .bind(event.client_ip)
    .bind(event.user_agent)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes security log entries from before `before` (ms).
pub async fn prune_security_events(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM security_events WHERE occurred_at < $1")
            .bind(before)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// Newest first, `limit` of them, older than `before` when given.
pub async fn security_events(
    db: &Db,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<SecurityEventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, occurred_at, kind, email, actor, client_ip, user_agent FROM security_events
         WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db)
    .await
}
