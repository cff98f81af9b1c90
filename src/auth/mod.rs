//! Accounts, sign-in sessions and who may do what.

#[cfg(feature = "ssr")]
pub mod accounts;
#[cfg(feature = "ssr")]
pub mod data;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::orgs::domain::MemberPermissions;
#[cfg(feature = "ssr")]
use crate::server::forms::{finish, Then};

/// The signed-in user as the dashboard sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub email: String,
    pub is_platform_admin: bool,
    pub organisations: Vec<OrgChoice>,
    pub active: Option<ActiveOrg>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgChoice {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveOrg {
    pub slug: String,
    pub name: String,
    pub permissions: MemberPermissions,
    pub developer_api: bool,
}

/// Why the Developer area is, or is not, open to someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeveloperAccess {
    Granted,
    MissingPermission,
    FlagOff,
    MissingPermissionAndFlag,
}

impl ActiveOrg {
    pub fn developer_access(&self) -> DeveloperAccess {
        match (self.permissions.developer, self.developer_api) {
            (true, true) => DeveloperAccess::Granted,
            (false, true) => DeveloperAccess::MissingPermission,
            (true, false) => DeveloperAccess::FlagOff,
            (false, false) => DeveloperAccess::MissingPermissionAndFlag,
        }
    }
}

impl DeveloperAccess {
    /// What is missing and who can grant it, in the docs page's words.
    pub fn explain(self, org: &str) -> Option<String> {
        let permission = format!(
            "You need the Developer permission in {org}. An admin of {org} can grant it on the Members page."
        );
        let flag = format!(
            "The Developer API feature flag is not enabled for {org}. It is enabled by your platform admin; it's not self-serve."
        );
        match self {
            Self::Granted => None,
            Self::MissingPermission => Some(permission),
            Self::FlagOff => Some(flag),
            Self::MissingPermissionAndFlag => Some(format!("{permission} {flag}")),
        }
    }
}

/// Why a signed-in user may not do something: one typed answer for every
/// access check (dashboard, server functions, CLI), so that callers and
/// tests match the reason rather than a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    NoOrganisation,
    /// The Developer area: the permission, the flag, or both, are missing.
    Developer {
        org: String,
        access: DeveloperAccess,
    },
    OrgAdmin {
        org: String,
    },
    PlatformAdmin,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoOrganisation => f.write_str("You are not a member of any organisation yet."),
            Self::Developer { org, access } => {
                f.write_str(&access.explain(org).unwrap_or_default())
            }
            Self::OrgAdmin { org } => {
                write!(
                    f,
                    "You need the Admin permission in {org} to manage members."
                )
            }
            Self::PlatformAdmin => f.write_str("Only platform admins can do this."),
        }
    }
}

#[server(input = Json)]
pub async fn get_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(session::current().await?.map(|s| s.viewer()))
}

/// A form post (URL-encoded), so that signing in works before the wasm has
/// loaded.
#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    finish(Then::Go("/leads"), session::sign_in(&email, &password)).await
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    finish(Then::Go("/sign-in"), session::sign_out()).await
}

/// Sets a new password with a one-time reset link, ends every session of
/// the user, and signs this browser in. A form post (URL-encoded).
#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    finish(Then::Go("/leads"), async {
        let state = session::state()?;
        let user_id = accounts::reset_password(&state, &token, &password).await?;
        session::start_session(&state, user_id).await
    })
    .await
}

/// One of the user's signed-in sessions, as their account page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// A reference to pick it by; not the token.
    pub id: String,
    pub current: bool,
    pub user_agent: String,
    pub client_ip: String,
    pub signed_in_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
}

#[server(input = Json)]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    session::list_sessions().await
}

/// A form post (URL-encoded) from the Account page, which it returns to.
#[server]
pub async fn end_session(id: String) -> Result<(), AppError> {
    finish(Then::Go("/account"), session::end_session(&id)).await
}

/// Needs the current password; ends every other session of the user. A form
/// post (URL-encoded) from the Account page, which it returns to.
#[server]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    finish(
        Then::Go("/account?password=changed"),
        session::change_password(&current_password, &new_password),
    )
    .await
}

/// A form post (URL-encoded): the organisation switch is a plain form.
#[server]
pub async fn switch_organisation(slug: String) -> Result<(), AppError> {
    finish(Then::Go("/leads"), session::switch_organisation(&slug)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(developer: bool, flag: bool) -> ActiveOrg {
        ActiveOrg {
            slug: "acme".into(),
            name: "Acme".into(),
            permissions: MemberPermissions {
                admin: false,
                developer,
            },
            developer_api: flag,
        }
    }

    #[test]
    fn developer_access_needs_both_the_permission_and_the_flag() {
        assert_eq!(org(true, true).developer_access(), DeveloperAccess::Granted);
        assert_eq!(
            org(false, true).developer_access(),
            DeveloperAccess::MissingPermission
        );
        assert_eq!(
            org(true, false).developer_access(),
            DeveloperAccess::FlagOff
        );
        assert_eq!(
            org(false, false).developer_access(),
            DeveloperAccess::MissingPermissionAndFlag
        );
    }

    #[test]
    fn the_explanation_says_who_can_grant_what() {
        let text = DeveloperAccess::MissingPermission.explain("Acme").unwrap();
        assert!(text.contains("Developer permission") && text.contains("admin of Acme"));
        let text = DeveloperAccess::FlagOff.explain("Acme").unwrap();
        assert!(text.contains("platform admin") && text.contains("not self-serve"));
        assert!(DeveloperAccess::Granted.explain("Acme").is_none());
    }
}
