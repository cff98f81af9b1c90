//! SQL for users, sessions and the memberships that sessions read.

use crate::platform::db::escape_like;
use sqlx::FromRow;

use crate::platform::db::Conn;
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
    /// The organisation requires two-factor sign-in of its members.
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub require_two_factor: bool,
}

pub async fn memberships_of(db: &Db, user_id: i64) -> Result<Vec<MembershipRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.id AS organisation_id, o.slug, o.name, CAST(m.is_admin AS INTEGER) AS is_admin, CAST(m.is_developer AS INTEGER) AS is_developer,
                EXISTS (SELECT 1 FROM organisation_flags f
                        WHERE f.organisation_id = o.id AND f.flag = 'developer-api') AS developer_api,
                CAST(o.require_two_factor AS INTEGER) AS require_two_factor
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
    /// Two-factor sign-in is on.
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub two_factor: bool,
}

/// `UserRow`'s columns.
const USER_COLUMNS: &str = "id, email, password_hash, CAST(is_platform_admin AS INTEGER) AS is_platform_admin, created_at, disabled_at,
    CASE WHEN totp_enabled_at IS NULL THEN 0 ELSE 1 END AS two_factor";

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
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    ))
    .bind(email)
    .fetch_optional(db)
    .await
}

pub async fn search_users(db: &Db, needle: &str, limit: i64) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users
         WHERE email LIKE '%' || $1 || '%' ESCAPE '\\' ORDER BY email LIMIT $2"
    ))
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
    /// Signed in with a password, the second factor still to come.
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub second_factor_pending: bool,
    /// When its owner last proved who they are (sign-in, step-up).
    pub confirmed_at: Option<i64>,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub two_factor: bool,
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub active_organisation_id: Option<i64>,
    pub now: i64,
    pub user_agent: &'a str,
    pub client_ip: &'a str,
    pub second_factor_pending: bool,
}

pub async fn insert_session(db: &Db, new: NewSession<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, active_organisation_id, created_at, last_seen_at, user_agent, client_ip,
                               second_factor_pending, confirmed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new.token_hash)
    .bind(new.user_id)
    .bind(new.active_organisation_id)
    .bind(new.now)
    .bind(new.now)
    .bind(new.user_agent)
    .bind(new.client_ip)
    .bind(new.second_factor_pending)
    .bind((!new.second_factor_pending).then_some(new.now))
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
        "SELECT s.user_id, s.active_organisation_id, s.created_at, s.last_seen_at, u.email, CAST(u.is_platform_admin AS INTEGER) AS is_platform_admin, u.disabled_at,
                CAST(s.second_factor_pending AS INTEGER) AS second_factor_pending, s.confirmed_at,
                CASE WHEN u.totp_enabled_at IS NULL THEN 0 ELSE 1 END AS two_factor
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

/// The session's owner proved who they are again (a step-up).
pub async fn confirm_session(db: &Db, token_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET confirmed_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// What two-factor sign-in knows of a user.
#[derive(Debug, Clone, FromRow)]
pub struct TwoFactorRow {
    pub totp_secret: Option<String>,
    pub totp_enabled_at: Option<i64>,
    pub two_factor_reset_at: Option<i64>,
    pub recovery_codes_left: i64,
}

pub async fn two_factor_of(db: &Db, user_id: i64) -> Result<Option<TwoFactorRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.totp_secret, u.totp_enabled_at, u.two_factor_reset_at,
                (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS recovery_codes_left
         FROM users u WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// Starts (or starts again) an enrolment: a new secret, not yet in force.
/// False once two-factor sign-in is on.
pub async fn set_pending_totp_secret(
    db: &Db,
    user_id: i64,
    secret: &str,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_enabled_at IS NULL")
            .bind(secret)
            .bind(user_id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns two-factor sign-in on with the secret being enrolled, its first
/// code's step counted as used, and the new recovery codes (hashed).
pub async fn enable_totp(
    conn: &mut Conn,
    user_id: i64,
    now: i64,
    step: i64,
    recovery_hashes: &[String],
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET totp_enabled_at = $1, totp_last_step = $2, two_factor_reset_at = NULL
         WHERE id = $3 AND totp_enabled_at IS NULL AND totp_secret IS NOT NULL",
    )
    .bind(now)
    .bind(step)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for hash in recovery_hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(hash)
            .execute(&mut *conn)
            .await?;
    }
    Ok(true)
}

/// Takes `step` as the account's latest used step, if it is later than the
/// last one: one statement, so two requests with one code cannot both win.
pub async fn accept_totp_step(db: &Db, user_id: i64, step: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1
         WHERE id = $2 AND totp_enabled_at IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Uses one recovery code, once.
pub async fn use_recovery_code(
    db: &Db,
    user_id: i64,
    code_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(code_hash)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns two-factor sign-in off and forgets its secret and recovery codes;
/// `reset_at` records a platform admin's reset, told at the next sign-in.
pub async fn clear_two_factor(
    conn: &mut Conn,
    user_id: i64,
    reset_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, two_factor_reset_at = $1
         WHERE id = $2",
    )
    .bind(reset_at)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The time of a platform admin's reset not yet told, now told.
pub async fn take_two_factor_reset(db: &Db, user_id: i64) -> Result<Option<i64>, sqlx::Error> {
    let found: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT two_factor_reset_at FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(db)
            .await?;
    let Some(at) = found.and_then(|(at,)| at) else {
        return Ok(None);
    };
    sqlx::query("UPDATE users SET two_factor_reset_at = NULL WHERE id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(Some(at))
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
