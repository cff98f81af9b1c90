//! SQL for organisations, their flags and their members.

use sqlx::FromRow;

use crate::platform::db::{Conn, Filtered, SqlBool};

use super::domain::Flag;
use crate::auth::domain::MemberPermissions;
use crate::platform::Db;

#[derive(Debug, Clone, FromRow)]
pub struct OrganisationRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub created_at: i64,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub developer_api: bool,
    pub member_count: i64,
}

const ORG_COLUMNS: &str = "o.id, o.slug, o.name, o.created_at,
    EXISTS (SELECT 1 FROM organisation_flags f WHERE f.organisation_id = o.id AND f.flag = 'developer-api') AS developer_api,
    (SELECT COUNT(*) FROM memberships m WHERE m.organisation_id = o.id) AS member_count";

pub async fn list_organisations(db: &Db) -> Result<Vec<OrganisationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORG_COLUMNS} FROM organisations o ORDER BY o.name, o.id"
    ))
    .fetch_all(db)
    .await
}

pub async fn find_organisation(
    db: &Db,
    slug: &str,
) -> Result<Option<OrganisationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORG_COLUMNS} FROM organisations o WHERE o.slug = $1"
    ))
    .bind(slug)
    .fetch_optional(db)
    .await
}

pub async fn insert_organisation<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    slug: &str,
    name: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO organisations (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(slug)
    .bind(name)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(id.0)
}

pub async fn set_flag(
    conn: &mut Conn,
    organisation_id: i64,
    flag: Flag,
    on: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    if on {
        sqlx::query(
            "INSERT INTO organisation_flags (organisation_id, flag, enabled_at) VALUES ($1, $2, $3)
             ON CONFLICT (organisation_id, flag) DO NOTHING",
        )
        .bind(organisation_id)
        .bind(flag.key())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query("DELETE FROM organisation_flags WHERE organisation_id = $1 AND flag = $2")
            .bind(organisation_id)
            .bind(flag.key())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct MemberRow {
    pub user_id: i64,
    pub email: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub is_admin: bool,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub is_developer: bool,
    pub created_at: i64,
}

/// The organisation's members, by email, from `memberships_by_organisation`
/// (the plan tests check it).
pub fn members_query(organisation_id: i64) -> Filtered {
    let mut query = Filtered::new(
        "SELECT u.id AS user_id, u.email, CAST(m.is_admin AS INTEGER) AS is_admin, CAST(m.is_developer AS INTEGER) AS is_developer, m.created_at
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.organisation_id = ",
    );
    query.bind(organisation_id).push(" ORDER BY u.email");
    query
}

pub async fn list_members(db: &Db, organisation_id: i64) -> Result<Vec<MemberRow>, sqlx::Error> {
    members_query(organisation_id)
        .query_as()
        .fetch_all(db)
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct InvitationRow {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub email: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub is_admin: bool,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub is_developer: bool,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

const INVITATION_COLUMNS: &str = "i.id, i.organisation_id, o.name AS organisation_name, i.email,
    CAST(i.is_admin AS INTEGER) AS is_admin, CAST(i.is_developer AS INTEGER) AS is_developer, i.invited_by, i.created_at, i.expires_at";

pub struct NewInvitation<'a> {
    pub organisation_id: i64,
    pub email: &'a str,
    pub token_hash: &'a str,
    pub permissions: MemberPermissions,
    pub invited_by: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// Inserts an invitation, revoking any still pending for the same email in
/// the same organisation: only the newest link works.
pub async fn insert_invitation(
    conn: &mut Conn,
    new: NewInvitation<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "UPDATE invitations SET revoked_at = $1
         WHERE organisation_id = $2 AND email = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(new.now)
    .bind(new.organisation_id)
    .bind(new.email)
    .execute(&mut *conn)
    .await?;
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO invitations (organisation_id, email, token_hash, is_admin, is_developer, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.organisation_id)
    .bind(new.email)
    .bind(new.token_hash)
    .bind(new.permissions.admin)
    .bind(new.permissions.developer)
    .bind(new.invited_by)
    .bind(new.now)
    .bind(new.expires_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id.0)
}

/// The organisation's invitations that can still be accepted.
pub async fn pending_invitations(
    db: &Db,
    organisation_id: i64,
    now: i64,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations i JOIN organisations o ON o.id = i.organisation_id
         WHERE i.organisation_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2
         ORDER BY i.id DESC"
    ))
    .bind(organisation_id)
    .bind(now)
    .fetch_all(db)
    .await
}

/// A pending invitation by the hash of its token.
pub async fn find_pending_invitation(
    conn: &mut Conn,
    token_hash: &str,
    now: i64,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations i JOIN organisations o ON o.id = i.organisation_id
         WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2"
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Marks a pending invitation accepted; false when it no longer is pending
/// (accepted or revoked meanwhile).
pub async fn mark_accepted(conn: &mut Conn, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes a pending invitation of this organisation; its email when it was
/// pending.
pub async fn revoke_invitation(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let email: Option<(String,)> = sqlx::query_as(
        "UPDATE invitations SET revoked_at = $1
         WHERE id = $2 AND organisation_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL
         RETURNING email",
    )
    .bind(now)
    .bind(id)
    .bind(organisation_id)
    .fetch_optional(conn)
    .await?;
    Ok(email.map(|e| e.0))
}

/// Revokes the pending invitations that `inviter` (an email, as
/// `invited_by` holds it) sent in this organisation; how many.
pub async fn revoke_invitations_by(
    conn: &mut Conn,
    organisation_id: i64,
    inviter: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE invitations SET revoked_at = $1
         WHERE organisation_id = $2 AND invited_by = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(organisation_id)
    .bind(inviter)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Adds the user to the organisation; an existing member gets these
/// permissions.
pub async fn upsert_membership<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: i64,
    organisation_id: i64,
    permissions: MemberPermissions,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO memberships (user_id, organisation_id, is_admin, is_developer, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id, organisation_id) DO UPDATE SET is_admin = excluded.is_admin, is_developer = excluded.is_developer",
    )
    .bind(user_id)
    .bind(organisation_id)
    .bind(permissions.admin)
    .bind(permissions.developer)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The user's membership in this organisation, if any: (is_admin).
pub async fn membership_admin(
    conn: &mut Conn,
    user_id: i64,
    organisation_id: i64,
) -> Result<Option<bool>, sqlx::Error> {
    let row: Option<(SqlBool,)> = sqlx::query_as(
        "SELECT CAST(is_admin AS INTEGER) FROM memberships WHERE user_id = $1 AND organisation_id = $2",
    )
    .bind(user_id)
    .bind(organisation_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0 .0))
}

pub async fn count_admins(conn: &mut Conn, organisation_id: i64) -> Result<i64, sqlx::Error> {
    let n: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM memberships WHERE organisation_id = $1 AND is_admin")
            .bind(organisation_id)
            .fetch_one(conn)
            .await?;
    Ok(n.0)
}

pub async fn delete_membership(
    conn: &mut Conn,
    user_id: i64,
    organisation_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND organisation_id = $2")
        .bind(user_id)
        .bind(organisation_id)
        .execute(&mut *conn)
        .await?;
    // Their sessions stop acting on this organisation at once.
    sqlx::query(
        "UPDATE sessions SET active_organisation_id = NULL WHERE user_id = $1 AND active_organisation_id = $2",
    )
    .bind(user_id)
    .bind(organisation_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes a member's permissions; false when they are not a member.
pub async fn update_membership(
    conn: &mut Conn,
    user_id: i64,
    organisation_id: i64,
    permissions: MemberPermissions,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE memberships SET is_admin = $1, is_developer = $2 WHERE user_id = $3 AND organisation_id = $4")
        .bind(permissions.admin)
        .bind(permissions.developer)
        .bind(user_id)
        .bind(organisation_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn membership_permissions(
    conn: &mut Conn,
    user_id: i64,
    organisation_id: i64,
) -> Result<Option<MemberPermissions>, sqlx::Error> {
    let row: Option<(SqlBool, SqlBool)> = sqlx::query_as(
        "SELECT CAST(is_admin AS INTEGER), CAST(is_developer AS INTEGER) FROM memberships WHERE user_id = $1 AND organisation_id = $2",
    )
    .bind(user_id)
    .bind(organisation_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(admin, developer)| MemberPermissions {
        admin: admin.0,
        developer: developer.0,
    }))
}

pub async fn set_require_two_factor(
    conn: &mut Conn,
    organisation_id: i64,
    required: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE organisations SET require_two_factor = $1 WHERE id = $2")
        .bind(required)
        .bind(organisation_id)
        .execute(conn)
        .await?;
    Ok(())
}
