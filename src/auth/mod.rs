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
#[cfg(feature = "ssr")]
pub mod two_factor;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, DeveloperAccess};
#[cfg(feature = "ssr")]
use crate::web::forms::{finish, finish_going, finish_showing, Then};
use domain::MemberPermissions;

/// An account as the platform admin finds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub email: String,
    pub is_platform_admin: bool,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
    pub two_factor: bool,
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

#[server(input = Json)]
pub async fn get_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(session::current().await?.map(|s| s.viewer()))
}

/// A form post (URL-encoded), so that signing in works before the wasm has
/// loaded.
#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    finish_going(async {
        let signed = session::sign_in(&email, &password).await?;
        Ok(((), signed.then()))
    })
    .await
}

/// The second step of signing in, when the account has two-factor sign-in:
/// a code from the app, or a recovery code. A form post (URL-encoded).
#[server]
pub async fn verify_sign_in_code(code: String) -> Result<(), AppError> {
    finish_going(async {
        let signed = session::verify_second_factor(&code).await?;
        Ok(((), signed.then()))
    })
    .await
}

/// Whether this browser has given its password and owes the second factor.
#[server(input = Json)]
pub async fn awaits_sign_in_code() -> Result<bool, AppError> {
    session::awaits_second_factor().await
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    finish(Then::Go("/sign-in"), session::sign_out()).await
}

/// Sets a new password with a one-time reset link, ends every session of
/// the user, and signs this browser in. A form post (URL-encoded).
#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    finish_going(async {
        let state = session::state()?;
        let user_id = accounts::reset_password(&state, &token, &password).await?;
        let signed = session::start_session(&state, user_id).await?;
        Ok(((), signed.then()))
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

/// Two-factor sign-in as the Account page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    pub enabled_since: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
    /// Who requires it of this account: "Platform admins", or organisations.
    pub required_by: Vec<String>,
    /// An enrolment started and not yet confirmed.
    pub setup: Option<TwoFactorSetup>,
}

/// What an authenticator app needs to enrol: the QR code (SVG drawn on the
/// server) and the secret, for typing in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    pub secret: String,
    pub qr_svg: String,
}

/// Ten recovery codes, shown once when two-factor sign-in is turned on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryCodes(pub Vec<String>);

#[cfg(feature = "ssr")]
impl crate::web::flash::ShownOnce for RecoveryCodes {
    const KIND: &'static str = "recovery_codes";
}

#[server(input = Json)]
pub async fn get_two_factor() -> Result<TwoFactorStatus, AppError> {
    let user = session::require_user().await?;
    accounts::two_factor_status(&session::state()?, &user).await
}

/// Starts enrolment: a new secret, shown with its QR code until a code
/// from the app confirms it.
#[server]
pub async fn start_two_factor() -> Result<(), AppError> {
    finish(Then::Go("/account"), async {
        let user = session::require_user().await?;
        accounts::start_two_factor(&session::state()?, &user).await
    })
    .await
}

/// Confirms enrolment with a code from the app; the recovery codes are shown
/// once, on the Account page.
#[server]
pub async fn turn_on_two_factor(code: String) -> Result<RecoveryCodes, AppError> {
    finish_showing(
        Then::Go("/account"),
        async {
            let user = session::require_user().await?;
            accounts::turn_on_two_factor(&session::state()?, &user, &code).await
        },
        |codes| {
            let shown = RecoveryCodes(std::mem::take(&mut codes.0));
            crate::web::flash::Flash::show(&shown)
        },
    )
    .await
}

/// Needs a current code from the app.
#[server]
pub async fn turn_off_two_factor(code: String) -> Result<(), AppError> {
    finish(Then::Go("/account"), async {
        let user = session::require_user().await?;
        accounts::turn_off_two_factor(&session::state()?, &user, &code).await
    })
    .await
}

/// A form post (URL-encoded): the organisation switch is a plain form. It
/// goes on to the Leads page, or to `next` when that is a Developer page
/// address (a link from a mail about a key in the other organisation);
/// nothing else, so the switch cannot send anyone elsewhere.
#[server]
pub async fn switch_organisation(
    slug: String,
    #[server(default)] next: String,
) -> Result<(), AppError> {
    finish_going(async {
        session::switch_organisation(&slug).await?;
        Ok((
            (),
            domain::after_switch(&next).map_or(Then::Go("/leads"), Then::To),
        ))
    })
    .await
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
