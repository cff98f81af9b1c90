//! SQL for organisations, their flags and their members.

use sqlx::FromRow;

use super::domain::{Flag, MemberPermissions};
use crate::server::Db;

#[derive(Debug, Clone, FromRow)]
pub struct MembershipRow {
    pub organisation_id: i64,
    pub slug: String,
    pub name: String,
    pub is_admin: bool,
    pub is_developer: bool,
    pub developer_api: bool,
}

pub async fn memberships_of(db: &Db, user_id: i64) -> Result<Vec<MembershipRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.id AS organisation_id, o.slug, o.name, m.is_admin, m.is_developer,
                EXISTS (SELECT 1 FROM organisation_flags f
                        WHERE f.organisation_id = o.id AND f.flag = 'developer-api') AS developer_api
         FROM memberships m JOIN organisations o ON o.id = m.organisation_id
         WHERE m.user_id = ? ORDER BY o.name, o.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct OrganisationRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub created_at: i64,
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
        "SELECT {ORG_COLUMNS} FROM organisations o WHERE o.slug = ?"
    ))
    .bind(slug)
    .fetch_optional(db)
    .await
}

pub async fn insert_organisation(
    db: &Db,
    slug: &str,
    name: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO organisations (slug, name, created_at) VALUES (?, ?, ?) RETURNING id",
    )
    .bind(slug)
    .bind(name)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(id.0)
}

pub async fn set_flag(
    db: &Db,
    organisation_id: i64,
    flag: Flag,
    on: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    if on {
        sqlx::query(
            "INSERT INTO organisation_flags (organisation_id, flag, enabled_at) VALUES (?, ?, ?)
             ON CONFLICT (organisation_id, flag) DO NOTHING",
        )
        .bind(organisation_id)
        .bind(flag.key())
        .bind(now)
        .execute(db)
        .await?;
    } else {
        sqlx::query("DELETE FROM organisation_flags WHERE organisation_id = ? AND flag = ?")
            .bind(organisation_id)
            .bind(flag.key())
            .execute(db)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct MemberRow {
    pub user_id: i64,
    pub email: String,
    pub is_admin: bool,
    pub is_developer: bool,
    pub created_at: i64,
}

pub async fn list_members(db: &Db, organisation_id: i64) -> Result<Vec<MemberRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id AS user_id, u.email, m.is_admin, m.is_developer, m.created_at
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.organisation_id = ? ORDER BY u.email",
    )
    .bind(organisation_id)
    .fetch_all(db)
    .await
}

/// Adds the user to the organisation, or updates their permissions there.
pub async fn upsert_membership(
    db: &Db,
    user_id: i64,
    organisation_id: i64,
    permissions: MemberPermissions,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO memberships (user_id, organisation_id, is_admin, is_developer, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_id, organisation_id) DO UPDATE SET is_admin = excluded.is_admin, is_developer = excluded.is_developer",
    )
    .bind(user_id)
    .bind(organisation_id)
    .bind(permissions.admin)
    .bind(permissions.developer)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Changes a member's permissions; false when they are not a member.
pub async fn update_membership(
    db: &Db,
    user_id: i64,
    organisation_id: i64,
    permissions: MemberPermissions,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE memberships SET is_admin = ?, is_developer = ? WHERE user_id = ? AND organisation_id = ?")
        .bind(permissions.admin)
        .bind(permissions.developer)
        .bind(user_id)
        .bind(organisation_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
