//! The platform admin console: organisations, feature flags, users, and
//! re-activating revoked keys.

pub mod pages;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::keys::domain::KeySummary;
#[cfg(feature = "ssr")]
use crate::server::forms::{finish, finish_showing, Then};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub slug: String,
    pub name: String,
    pub developer_api: bool,
    pub member_count: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub email: String,
    pub is_platform_admin: bool,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
}

#[cfg(feature = "ssr")]
use crate::auth::session::guard_platform_admin as platform_admin;

#[server(input = Json)]
pub async fn list_organisations() -> Result<Vec<OrgSummary>, AppError> {
    let (state, _) = platform_admin().await?;
    Ok(crate::orgs::data::list_organisations(&state.db)
        .await?
        .into_iter()
        .map(|o| OrgSummary {
            slug: o.slug,
            name: o.name,
            developer_api: o.developer_api,
            member_count: o.member_count,
            created_at: crate::server::clock::from_millis(o.created_at),
        })
        .collect())
}

#[server]
pub async fn create_organisation(name: String) -> Result<String, AppError> {
    finish(Then::Back, async {
        let (state, admin) = platform_admin().await?;
        let slug = crate::orgs::service::create_organisation(&state, &admin.email, &name).await?;
        Ok(slug.as_str().to_owned())
    })
    .await
}

/// Only platform admins change feature flags: the flag is not self-serve.
#[server]
pub async fn set_developer_api(slug: String, on: bool) -> Result<(), AppError> {
    finish(Then::Back, async {
        let (state, admin) = platform_admin().await?;
        crate::orgs::service::set_flag(
            &state,
            &admin.email,
            &slug,
            crate::orgs::domain::Flag::DeveloperApi,
            on,
        )
        .await
    })
    .await
}

#[server(input = Json)]
pub async fn find_users(q: String) -> Result<Vec<UserSummary>, AppError> {
    let (state, _) = platform_admin().await?;
    Ok(crate::auth::data::search_users(&state.db, q.trim(), 50)
        .await?
        .into_iter()
        .map(|u| UserSummary {
            email: u.email,
            is_platform_admin: u.is_platform_admin,
            created_at: crate::server::clock::from_millis(u.created_at),
            disabled: u.disabled_at.is_some(),
        })
        .collect())
}

#[server(input = Json)]
pub async fn find_key(prefix: String) -> Result<Option<KeySummary>, AppError> {
    let (state, _) = platform_admin().await?;
    crate::keys::service::find_by_prefix(&state, &prefix).await
}

/// "Revoke first when in doubt, it's reversible (we can re-activate)."
#[server]
pub async fn reactivate_key(prefix: String) -> Result<KeySummary, AppError> {
    finish(Then::Back, async {
        let (state, user) = platform_admin().await?;
        crate::keys::service::reactivate(&state, &user.email, &prefix).await
    })
    .await
}

/// Revokes a working key found by its prefix, in any organisation.
#[server]
pub async fn revoke_key_by_prefix(prefix: String) -> Result<KeySummary, AppError> {
    finish(Then::Back, async {
        let (state, user) = platform_admin().await?;
        crate::keys::service::revoke_by_prefix(&state, &user.email, &prefix).await
    })
    .await
}

/// Disables an account (all its sessions end at once; sign-in is refused) or
/// enables it again. Disabling also revokes the API keys the user created
/// when `revoke_keys` (the form's box, ticked by default): a person who may
/// no longer sign in should not keep integrations running.
#[server]
pub async fn set_user_disabled(
    email: String,
    disabled: bool,
    #[server(default)] revoke_keys: bool,
) -> Result<(), AppError> {
    finish(Then::Back, async {
        let (state, admin) = platform_admin().await?;
        if disabled && email.trim().eq_ignore_ascii_case(&admin.email) {
            return Err(AppError::Conflict(
                "You cannot disable your own account.".into(),
            ));
        }
        let user_id =
            crate::auth::accounts::set_disabled(&state, &admin.email, &email, disabled).await?;
        if disabled && revoke_keys {
            let why = format!("on disabling {}", email.trim().to_lowercase());
            let actor = format!("{} (platform admin)", admin.email);
            crate::keys::service::revoke_created_by(&state, user_id, &actor, &why).await?;
        }
        Ok(())
    })
    .await
}

/// A one-time password-reset link for the user, shown once: after a plain
/// form post, on the one page view it redirects to.
/// With `revoke_keys` (ticked by default) the API keys the user created are
/// revoked too: a reset often follows a suspected compromise.
#[server]
pub async fn create_password_reset(
    email: String,
    #[server(default)] revoke_keys: bool,
) -> Result<String, AppError> {
    finish_showing(
        Then::Back,
        async {
            let (state, admin) = platform_admin().await?;
            let (user_id, path) =
                crate::auth::accounts::create_reset_link(&state, &admin.email, &email).await?;
            if revoke_keys {
                let why = format!("on a password reset for {}", email.trim().to_lowercase());
                let actor = format!("{} (platform admin)", admin.email);
                crate::keys::service::revoke_created_by(&state, user_id, &actor, &why).await?;
            }
            Ok(path)
        },
        |path| {
            let origin = crate::server::forms::page_origin().unwrap_or_default();
            Some(crate::server::flash::Flash::ResetLink(format!(
                "{origin}{path}"
            )))
        },
    )
    .await
}

/// One entry of the security log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvent {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub kind: String,
    pub email: String,
    /// Who acted: the owner, a platform admin, "Operator (CLI)"; empty for
    /// an anonymous client.
    pub actor: String,
    pub client_ip: String,
    pub user_agent: String,
}

/// The security log (sign-ins, password and account changes), newest first,
/// 50 at a time.
#[server(input = Json)]
pub async fn list_security_events(before: Option<i64>) -> Result<Vec<SecurityEvent>, AppError> {
    let (state, _) = platform_admin().await?;
    Ok(crate::auth::data::security_events(&state.db, before, 50)
        .await?
        .into_iter()
        .map(|e| SecurityEvent {
            id: e.id,
            occurred_at: crate::server::clock::from_millis(e.occurred_at),
            kind: e.kind,
            email: e.email,
            actor: e.actor,
            client_ip: e.client_ip,
            user_agent: e.user_agent,
        })
        .collect())
}
