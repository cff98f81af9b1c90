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

use crate::auth::domain::MemberPermissions;
#[cfg(feature = "ssr")]
use crate::auth::session::{guard, Granted, Need};
use crate::error::AppError;
use crate::keys::domain::KeySummary;
#[cfg(feature = "ssr")]
use crate::web::forms::{finish, finish_going, finish_showing, Then};

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
    /// Members must sign in with two factors to act in the organisation.
    pub require_two_factor: bool,
    pub members: Vec<Member>,
    pub invitations: Vec<Invitation>,
}

/// A pending invitation, as the members page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub permissions: MemberPermissions,
    pub invited_by: String,
    pub expires_at: DateTime<Utc>,
}

/// An invitation link made by a plain form post, absolute, for the one
/// page view that shows it. No `Debug`: it holds the link.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SentInvitation {
    pub email: String,
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// What "Invite" returns: the only time the link exists outside the
/// invitee's hands. The same shape whether or not the email has an account.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedInvitation {
    pub id: i64,
    pub email: String,
    /// `/invite/<token>`; the page makes it absolute with its own origin.
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for CreatedInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedInvitation")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("path", &"/invite/…")
            .finish()
    }
}

/// What the invitation page shows the link's holder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationView {
    pub organisation: String,
    pub email: String,
    pub permissions: MemberPermissions,
    /// Whether to ask for the existing account's password or a new one.
    pub has_account: bool,
    pub expires_at: DateTime<Utc>,
}

#[server(input = Json)]
pub async fn list_members() -> Result<MembersPage, AppError> {
    let Granted { state, user, org } = guard(Need::OrgAdmin).await?;
    let developer_api = user.active.as_ref().is_some_and(|m| m.developer_api);
    let require_two_factor = user.active.as_ref().is_some_and(|m| m.require_two_factor);
    let members = data::list_members(&state.db, org.id)
        .await?
        .into_iter()
        .map(|m| Member {
            email: m.email,
            permissions: MemberPermissions {
                admin: m.is_admin,
                developer: m.is_developer,
            },
            joined_at: crate::platform::clock::from_millis(m.created_at),
        })
        .collect();
    Ok(MembersPage {
        invitations: service::pending_invitations(&state, org.id).await?,
        organisation: org.name,
        developer_api,
        require_two_factor,
        members,
    })
}

/// "Invite": a single-use link for the email, with these permissions.
/// Nobody but the invitee chooses their password.
/// A form post (URL-encoded) from the Members page. After a plain post the
/// link is held for the page view it returns to, which shows it once.
#[server]
pub async fn invite_member(
    email: String,
    #[server(default)] permissions: MemberPermissions,
    #[server(default)] confirm_password: String,
) -> Result<CreatedInvitation, AppError> {
    finish_showing(
        Then::Go("/members"),
        async {
            let Granted { state, user, org } = guard(Need::OrgAdmin).await?;
            // Inviting an admin hands over the organisation: it asks again.
            if permissions.admin {
                crate::auth::session::confirm_recent(&state, &user, &confirm_password).await?;
            }
            service::invite(&state, &org, &email, permissions).await
        },
        |created| {
            let origin = crate::web::forms::page_origin().unwrap_or_default();
            crate::web::flash::Flash::show(&SentInvitation {
                email: created.email.clone(),
                url: format!("{origin}{}", created.path),
                expires_at: created.expires_at,
            })
        },
    )
    .await
}

/// An organisation as the platform admin lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub slug: String,
    pub name: String,
    pub developer_api: bool,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
}

#[cfg(feature = "ssr")]
impl crate::web::flash::ShownOnce for SentInvitation {
    const KIND: &'static str = "invitation";
}

/// A form post (URL-encoded) from the Members page, which it returns to.
#[server]
pub async fn revoke_invitation(id: i64) -> Result<(), AppError> {
    finish(Then::Go("/members"), async {
        let Granted { state, org, .. } = guard(Need::OrgAdmin).await?;
        service::revoke_invitation(&state, &org, id).await
    })
    .await
}

/// Readable by whoever holds the link, signed in or not.
#[server(input = Json)]
pub async fn get_invitation(token: String) -> Result<InvitationView, AppError> {
    let state = crate::auth::session::state()?;
    service::invitation_for(&state, &token).await
}

/// Accepts with the existing account's password, or creates the account
/// with a new one; then signs in. A form post (URL-encoded): it works before
/// the wasm has loaded.
#[server]
pub async fn accept_invitation(token: String, password: String) -> Result<(), AppError> {
    finish_going(async {
        let state = crate::auth::session::state()?;
        let user_id = service::accept_invitation(&state, &token, &password).await?;
        let signed = crate::auth::session::start_session(&state, user_id).await?;
        Ok(((), signed.then()))
    })
    .await
}

/// Whether members must sign in with two factors to act in the
/// organisation; org admins only. A form post from the Members page.
#[server]
pub async fn set_two_factor_required(#[server(default)] required: bool) -> Result<(), AppError> {
    finish(Then::Go("/members"), async {
        let Granted { state, user, org } = guard(Need::OrgAdmin).await?;
        if required && !user.two_factor {
            return Err(AppError::Conflict(
                "Turn on two-factor sign-in for your own account first (on your Account page): you would be locked out.".into(),
            ));
        }
        service::set_two_factor_required(&state, &org, required).await
    })
    .await
}

/// A form post (URL-encoded) from the Members page, which it returns to.
#[server]
pub async fn set_member_permissions(
    email: String,
    permissions: MemberPermissions,
) -> Result<(), AppError> {
    finish(Then::Go("/members"), async {
        let Granted { state, user, org } = guard(Need::OrgAdmin).await?;
        if email.trim().eq_ignore_ascii_case(&user.email) && !permissions.admin {
            return Err(AppError::Conflict(
                "You cannot remove your own Admin permission. Ask another admin.".into(),
            ));
        }
        service::set_permissions(&state, &org, &email, permissions).await
    })
    .await
}

/// The member's keys that still work, for the removal dialog.
#[server(input = Json)]
pub async fn member_keys(email: String) -> Result<Vec<KeySummary>, AppError> {
    let Granted { state, org, .. } = guard(Need::OrgAdmin).await?;
    service::member_keys(&state, &org, &email).await
}

/// Removes a member; their next request no longer reaches this
/// organisation. With `revoke_keys`, the keys they created stop working too.
/// A form post (URL-encoded) from the Members page, which it returns to; an
/// unticked "Revoke these keys" is absent from the form, hence the default.
#[server]
pub async fn remove_member(
    email: String,
    #[server(default)] revoke_keys: bool,
) -> Result<(), AppError> {
    finish(Then::Go("/members"), async {
        let Granted { state, org, .. } = guard(Need::OrgAdmin).await?;
        service::remove_member(&state, &org, &email, revoke_keys).await
    })
    .await
}
