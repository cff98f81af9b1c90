//! The audit log: who changed which key (or, through the API, which lead), when.

#[cfg(feature = "ssr")]
pub mod data;
#[cfg(feature = "ssr")]
pub mod export;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAction {
    KeyCreated,
    KeyUpdated,
    KeyRevoked,
    KeyReactivated,
    KeyDeleted,
    KeyRolled,
    KeyRetirementCancelled,
    KeyPolicyChanged,
    LeadCreated,
    LeadUpdated,
    LeadDeleted,
    MemberInvited,
    InvitationRevoked,
    MemberJoined,
    MemberRemoved,
    MemberPermissionsChanged,
    FlagChanged,
    OrganisationCreated,
    TwoFactorPolicyChanged,
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    WebhookSecretRolled,
    WebhookDisabled,
}

impl AuditAction {
    pub const ALL: [AuditAction; 24] = [
        Self::KeyCreated,
        Self::KeyUpdated,
        Self::KeyRevoked,
        Self::KeyReactivated,
        Self::KeyDeleted,
        Self::KeyRolled,
        Self::KeyRetirementCancelled,
        Self::KeyPolicyChanged,
        Self::LeadCreated,
        Self::LeadUpdated,
        Self::LeadDeleted,
        Self::MemberInvited,
        Self::InvitationRevoked,
        Self::MemberJoined,
        Self::MemberRemoved,
        Self::MemberPermissionsChanged,
        Self::FlagChanged,
        Self::OrganisationCreated,
        Self::TwoFactorPolicyChanged,
        Self::WebhookCreated,
        Self::WebhookUpdated,
        Self::WebhookDeleted,
        Self::WebhookSecretRolled,
        Self::WebhookDisabled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::KeyCreated => "key.created",
            Self::KeyUpdated => "key.updated",
            Self::KeyRevoked => "key.revoked",
            Self::KeyReactivated => "key.reactivated",
            Self::KeyDeleted => "key.deleted",
            Self::KeyRolled => "key.rolled",
            Self::KeyRetirementCancelled => "key.retirement_cancelled",
            Self::KeyPolicyChanged => "key_policy.changed",
            Self::LeadCreated => "lead.created",
            Self::LeadUpdated => "lead.updated",
            Self::LeadDeleted => "lead.deleted",
            Self::MemberInvited => "member.invited",
            Self::InvitationRevoked => "invitation.revoked",
            Self::MemberJoined => "member.joined",
            Self::MemberRemoved => "member.removed",
            Self::MemberPermissionsChanged => "member.permissions_changed",
            Self::FlagChanged => "flag.changed",
            Self::OrganisationCreated => "organisation.created",
            Self::TwoFactorPolicyChanged => "two_factor_policy.changed",
            Self::WebhookCreated => "webhook.created",
            Self::WebhookUpdated => "webhook.updated",
            Self::WebhookDeleted => "webhook.deleted",
            Self::WebhookSecretRolled => "webhook.secret_rolled",
            Self::WebhookDisabled => "webhook.disabled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub key_prefix: Option<String>,
    pub key_name: Option<String>,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` to get the next (older) page.
    pub next_before: Option<i64>,
}

pub const AUDIT_PAGE_SIZE: i64 = 25;

/// The active organisation's audit log, newest first. Needs the Developer
/// permission and flag, like the keys it describes.
#[server(input = Json)]
pub async fn list_audit(
    prefix: String,
    action: String,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    let crate::auth::session::Granted { state, org, .. } =
        crate::auth::session::guard(crate::auth::session::Need::Developer).await?;
    let action = match action.trim() {
        "" => None,
        other => Some(
            AuditAction::parse(other)
                .ok_or_else(|| AppError::validation("action", "Unknown action."))?,
        ),
    };
    let mut entries = data::list(
        &state.db,
        org.id,
        prefix.trim(),
        action,
        before,
        AUDIT_PAGE_SIZE + 1,
    )
    .await?;
    let next_before = crate::platform::db::next_cursor(&mut entries, AUDIT_PAGE_SIZE, |e| e.id);
    Ok(AuditPage {
        entries,
        next_before,
    })
}
