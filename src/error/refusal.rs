//! Why a signed-in user may not do something: one typed answer for every
//! access check, shared by the error type and the access guard.

use serde::{Deserialize, Serialize};

/// Why the Developer area is, or is not, open to someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeveloperAccess {
    Granted,
    MissingPermission,
    FlagOff,
    MissingPermissionAndFlag,
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
    /// Two-factor sign-in is not on for this account, and the organisation
    /// (`Some`) or the platform console (`None`) requires it.
    TwoFactorRequired {
        org: Option<String>,
    },
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
            Self::TwoFactorRequired { org: Some(org) } => write!(
                f,
                "{org} requires two-factor sign-in. Turn it on under Two-factor authentication on your Account page."
            ),
            Self::TwoFactorRequired { org: None } => f.write_str(
                "Platform admins need two-factor sign-in. Turn it on under Two-factor authentication on your Account page.",
            ),
        }
    }
}
