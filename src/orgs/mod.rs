//! Organisations, members and feature flags.

#[cfg(feature = "ssr")]
pub mod data;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use domain::MemberPermissions;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub email: String,
    pub permissions: MemberPermissions,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersPage {
    pub organisation: String,
    pub developer_api: bool,
    pub members: Vec<Member>,
}

#[server(input = Json)]
pub async fn list_members() -> Result<MembersPage, AppError> {
    let state = crate::auth::session::state()?;
    let user = crate::auth::session::require_user().await?;
    let org = user.require_org_admin()?;
    let developer_api = user.active.as_ref().is_some_and(|m| m.developer_api);
    let members = data::list_members(&state.db, org.id)
        .await?
        .into_iter()
        .map(|m| Member {
            email: m.email,
            permissions: MemberPermissions {
                admin: m.is_admin,
                developer: m.is_developer,
            },
            joined_at: crate::server::clock::from_millis(m.created_at),
        })
        .collect();
    Ok(MembersPage {
        organisation: org.name,
        developer_api,
        members,
    })
}

/// Adds a member by email. A new account gets `initial_password`; an existing
/// one keeps its own password.
#[server(input = Json)]
pub async fn add_member(
    email: String,
    initial_password: String,
    permissions: MemberPermissions,
) -> Result<(), AppError> {
    let state = crate::auth::session::state()?;
    let user = crate::auth::session::require_user().await?;
    let org = user.require_org_admin()?;
    service::add_member(
        &state,
        &org.slug,
        &email,
        Some(&initial_password),
        permissions,
    )
    .await
}

#[server(input = Json)]
pub async fn set_member_permissions(
    email: String,
    permissions: MemberPermissions,
) -> Result<(), AppError> {
    let state = crate::auth::session::state()?;
    let user = crate::auth::session::require_user().await?;
    let org = user.require_org_admin()?;
    if email.trim().eq_ignore_ascii_case(&user.email) && !permissions.admin {
        return Err(AppError::Conflict(
            "You cannot remove your own Admin permission. Ask another admin.".into(),
        ));
    }
    service::set_permissions(&state, org.id, &email, permissions).await
}
