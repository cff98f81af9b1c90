//! The platform admin console: organisations, feature flags, users, and
//! re-activating revoked keys.

pub mod pages;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::auth::{SecurityEvent, UserSummary};
use crate::error::AppError;
use crate::keys::domain::KeySummary;
use crate::orgs::OrgSummary;
#[cfg(feature = "ssr")]
use crate::web::forms::{finish, finish_showing, Then};

/// A password-reset link made by a plain post, for the page it returned to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetLink(pub String);

#[cfg(feature = "ssr")]
impl crate::web::flash::ShownOnce for ResetLink {
    const KIND: &'static str = "reset_link";
}

#[cfg(feature = "ssr")]
use crate::auth::session::guard_platform_admin as platform_admin;
#[cfg(feature = "ssr")]
use crate::keys::KeyState;

#[server(input = Json)]
pub async fn list_organisations() -> Result<Vec<OrgSummary>, AppError> {
    let (state, _) = platform_admin().await?;
    crate::orgs::service::list_organisations(&state).await
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
    crate::auth::accounts::find_users(&state, &q).await
}

#[server(input = Json)]
pub async fn find_key(prefix: String) -> Result<Option<KeySummary>, AppError> {
    platform_admin().await?;
    crate::keys::service::find_by_prefix(&KeyState::current()?, &prefix).await
}

/// "Revoke first when in doubt, it's reversible (we can re-activate)."
#[server]
pub async fn reactivate_key(prefix: String) -> Result<KeySummary, AppError> {
    finish(Then::Back, async {
        let (_, user) = platform_admin().await?;
        crate::keys::service::reactivate(&KeyState::current()?, &user.email, &prefix).await
    })
    .await
}

/// Revokes a working key found by its prefix, in any organisation.
#[server]
pub async fn revoke_key_by_prefix(prefix: String) -> Result<KeySummary, AppError> {
    finish(Then::Back, async {
        let (_, user) = platform_admin().await?;
        crate::keys::service::revoke_by_prefix(&KeyState::current()?, &user.email, &prefix).await
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

/// Turns off a locked-out user's two-factor sign-in (their device is lost
/// and so are their recovery codes). Written to the security log with who
/// did it; the user is told at their next sign-in.
#[server]
pub async fn reset_two_factor(email: String) -> Result<(), AppError> {
    finish(Then::Back, async {
        let (state, admin) = platform_admin().await?;
        let actor = format!("{} (platform admin)", admin.email);
        crate::auth::accounts::reset_two_factor(&state, &email, &actor).await
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
            let origin = crate::web::forms::page_origin().unwrap_or_default();
            crate::web::flash::Flash::show(&ResetLink(format!("{origin}{path}")))
        },
    )
    .await
}

#[server(input = Json)]
pub async fn list_security_events(before: Option<i64>) -> Result<Vec<SecurityEvent>, AppError> {
    let (state, _) = platform_admin().await?;
    crate::auth::accounts::security_events(&state, before).await
}
