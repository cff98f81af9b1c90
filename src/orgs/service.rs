//! Organisation operations shared by the CLI, the admin console and the
//! members page, so both paths validate the same way.

use super::data;
use super::domain::{Flag, OrgName, OrgSlug};
use super::{CreatedInvitation, Invitation, InvitationView};
use crate::audit::service::{self as audit, NewEntry};
use crate::audit::AuditAction;
use crate::auth::domain::MemberPermissions;
use crate::auth::session::{self, OrgScope};
use crate::auth::{
    data as users,
    domain::{Email, Password},
};
use crate::error::{AppError, FieldError};
use crate::platform::clock::from_millis;
use crate::platform::db::{begin_write, Conn};
use crate::platform::secret::TokenHash;
use crate::platform::Platform;

pub async fn create_organisation(
    state: &Platform,
    actor: &str,
    name: &str,
) -> Result<OrgSlug, AppError> {
    let name = OrgName::parse(name).map_err(|e| AppError::Validation(vec![e]))?;
    let base = OrgSlug::from_name(&name).map_err(|e| AppError::Validation(vec![e]))?;
    let now = state.clock.now().timestamp_millis();
    // Names may repeat; slugs may not: "acme", then "acme-2", "acme-3"...
    for n in 1..100 {
        let candidate = if n == 1 {
            base.as_str().to_owned()
        } else {
            format!("{}-{n}", base.as_str().chars().take(36).collect::<String>())
        };
        let slug = OrgSlug::parse(&candidate).map_err(|e| AppError::Validation(vec![e]))?;
        if data::find_organisation(&state.db, slug.as_str())
            .await?
            .is_none()
        {
            let mut tx = begin_write(&state.db).await?;
            let id = data::insert_organisation(&mut *tx, slug.as_str(), name.as_str(), now).await?;
            audit::record(
                &mut tx,
                NewEntry {
                    organisation_id: id,
                    occurred_at: now,
                    actor,
                    action: AuditAction::OrganisationCreated,
                    key_prefix: None,
                    key_name: None,
                    details: format!("{} ({})", name.as_str(), slug.as_str()),
                },
            )
            .await?;
            tx.commit().await?;
            tracing::info!(slug = slug.as_str(), "organisation created");
            return Ok(slug);
        }
    }
    Err(AppError::Conflict(
        "Too many organisations with this name.".into(),
    ))
}

async fn organisation(state: &Platform, slug: &str) -> Result<data::OrganisationRow, AppError> {
    data::find_organisation(&state.db, slug.trim())
        .await?
        .ok_or_else(|| {
            AppError::validation(
                "org",
                format!("No organisation with slug {:?}.", slug.trim()),
            )
        })
}

/// Turns a feature flag on or off (platform admins and the operator CLI
/// only), audited in the organisation's log.
pub async fn set_flag(
    state: &Platform,
    actor: &str,
    slug: &str,
    flag: Flag,
    on: bool,
) -> Result<(), AppError> {
    let org = organisation(state, slug).await?;
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    data::set_flag(&mut tx, org.id, flag, on, now).await?;
    audit::record(
        &mut tx,
        NewEntry {
            organisation_id: org.id,
            occurred_at: now,
            actor,
            action: AuditAction::FlagChanged,
            key_prefix: None,
            key_name: None,
            details: format!("{} turned {}", flag.key(), if on { "on" } else { "off" }),
        },
    )
    .await?;
    // Keys of this organisation must feel the flag on the next request.
    tx.commit().await?;
    tracing::info!(org = slug, flag = flag.key(), on, "feature flag changed");
    Ok(())
}

/// Requires (or not) two-factor sign-in of the organisation's members,
/// audited. Members without it are refused in the organisation until they
/// turn it on.
pub async fn set_two_factor_required(
    state: &Platform,
    org: &OrgScope,
    required: bool,
) -> Result<(), AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = begin_write(&state.db).await?;
    data::set_require_two_factor(&mut tx, org.id, required).await?;
    let details = if required {
        "Two-factor sign-in required of members"
    } else {
        "Two-factor sign-in no longer required"
    };
    let entry = NewEntry::organisation(
        org.id,
        now,
        &org.actor,
        AuditAction::TwoFactorPolicyChanged,
        details.into(),
    );
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds an existing account to an organisation: the operator CLI and the
/// demo seed. The dashboard invites instead; it never attaches an account
/// without its owner's consent.
pub async fn add_member(
    state: &Platform,
    slug: &str,
    email: &str,
    permissions: MemberPermissions,
) -> Result<(), AppError> {
    let org = organisation(state, slug).await?;
    let email = Email::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let now = state.clock.now().timestamp_millis();
    let user = users::find_user_by_email(&state.db, email.as_str())
        .await?
        .ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "email",
                format!("No user with email {}.", email.as_str()),
            )])
        })?;
    // An existing member's change is the dashboard's, by the operator.
    let mut tx = begin_write(&state.db).await?;
    let change = Change {
        organisation_id: org.id,
        actor: OPERATOR,
        user_id: user.id,
        email: email.as_str(),
        now,
    };
    match data::membership_permissions(&mut tx, user.id, org.id).await? {
        Some(before) => change_permissions(&mut tx, &change, before, permissions, "").await?,
        None => {
            data::upsert_membership(&mut *tx, user.id, org.id, permissions, now).await?;
            let details = format!("{} added as {}", email.as_str(), permissions.describe());
            audit::record(&mut tx, change.entry(AuditAction::MemberJoined, details)).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The audit log's actor for changes made with the operator CLI.
pub const OPERATOR: &str = "Operator (CLI)";

/// "; 2 pending invitations they sent revoked", or nothing.
fn invitations_note(revoked: u64) -> String {
    match revoked {
        0 => String::new(),
        1 => "; 1 pending invitation they sent revoked".to_owned(),
        n => format!("; {n} pending invitations they sent revoked"),
    }
}

const LAST_ADMIN: &str =
    "An organisation needs at least one admin. Make another member Admin first.";

/// Changes a member's permissions. The organisation keeps at least one
/// admin: checked in the same write transaction, so two admins demoting each
/// other at once cannot both succeed.
pub async fn set_permissions(
    state: &Platform,
    org: &OrgScope,
    email: &str,
    permissions: MemberPermissions,
) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let mut tx = begin_write(&state.db).await?;
    let user = users::find_user_by_email(&mut *tx, email.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let before = data::membership_permissions(&mut tx, user.id, org.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change {
        organisation_id: org.id,
        actor: &org.actor,
        user_id: user.id,
        email: email.as_str(),
        now: state.clock.now().timestamp_millis(),
    };
    change_permissions(&mut tx, &change, before, permissions, "").await?;
    tx.commit().await?;
    Ok(())
}

/// Who changes which member, when: what a permission change and its audit
/// entry need.
struct Change<'a> {
    organisation_id: i64,
    actor: &'a str,
    user_id: i64,
    email: &'a str,
    now: i64,
}

impl Change<'_> {
    fn entry(&self, action: AuditAction, details: String) -> NewEntry<'_> {
        NewEntry {
            organisation_id: self.organisation_id,
            occurred_at: self.now,
            actor: self.actor,
            action,
            key_prefix: None,
            key_name: None,
            details,
        }
    }
}

/// Changes a member's permissions inside the caller's write transaction,
/// however it is asked for (the Members page, the CLI, an invitation): the
/// organisation keeps an admin, an admin who is no longer one takes their
/// pending invitations along, and the audit entry says before → after, then
/// `context`.
async fn change_permissions(
    tx: &mut Conn,
    change: &Change<'_>,
    before: MemberPermissions,
    after: MemberPermissions,
    context: &str,
) -> Result<(), AppError> {
    let (org, user) = (change.organisation_id, change.user_id);
    let demoted = before.admin && !after.admin;
    if demoted && data::count_admins(&mut *tx, org).await? <= 1 {
        return Err(AppError::Conflict(LAST_ADMIN.into()));
    }
    data::update_membership(&mut *tx, user, org, after).await?;
    let invitations = if demoted {
        data::revoke_invitations_by(&mut *tx, org, change.email, change.now).await?
    } else {
        0
    };
    let details = format!(
        "{}: {} → {}{}{context}",
        change.email,
        before.describe(),
        after.describe(),
        invitations_note(invitations)
    );
    audit::record(
        tx,
        change.entry(AuditAction::MemberPermissionsChanged, details),
    )
    .await?;
    Ok(())
}

/// The member's keys that still work: what the removal dialog offers to
/// revoke.
pub async fn member_keys(
    state: &Platform,
    org: &OrgScope,
    email: &str,
) -> Result<Vec<crate::keys::domain::KeySummary>, AppError> {
    let email = Email::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let mut conn = state.db.acquire().await?;
    let user = users::find_user_by_email(&mut *conn, email.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    data::membership_admin(&mut conn, user.id, org.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    crate::keys::service::working_keys_created_by(&mut conn, org.id, user.id, now).await
}

/// Removes a member, and (when asked) revokes the keys they created. One
/// transaction: the membership, the revocations and their audit entries
/// commit together; the organisation keeps at least one admin.
pub async fn remove_member(
    state: &Platform,
    org: &OrgScope,
    email: &str,
    revoke_keys: bool,
) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let now = state.clock.now().timestamp_millis();
    let mut tx = state.begin_access_change().await?;
    let user = users::find_user_by_email(&mut *tx, email.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let is_admin = data::membership_admin(&mut tx, user.id, org.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if is_admin && data::count_admins(&mut tx, org.id).await? <= 1 {
        return Err(AppError::Conflict(LAST_ADMIN.into()));
    }
    let revoked = if revoke_keys {
        let details = format!("Revoked on removing {}", email.as_str());
        crate::keys::service::revoke_created_by_in(
            &mut tx,
            Some(org.id),
            user.id,
            now,
            &org.actor,
            &details,
        )
        .await?
    } else {
        0
    };
    data::delete_membership(&mut tx, user.id, org.id).await?;
    // Invitations speak for the admin who sent them: they go with them.
    let invitations = data::revoke_invitations_by(&mut tx, org.id, email.as_str(), now).await?;
    audit::record(
        &mut tx,
        NewEntry {
            organisation_id: org.id,
            occurred_at: now,
            actor: &org.actor,
            action: AuditAction::MemberRemoved,
            key_prefix: None,
            key_name: None,
            details: format!(
                "Removed {}; {} of their keys revoked{}",
                email.as_str(),
                revoked,
                invitations_note(invitations)
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How long an invitation link can be used.
pub const INVITATION_LIFETIME: chrono::Duration = chrono::Duration::days(7);

/// An org admin invites an email. The answer is the same whether or not the
/// email has an account: nothing is looked up here.
pub async fn invite(
    state: &Platform,
    org: &OrgScope,
    email: &str,
    permissions: MemberPermissions,
) -> Result<CreatedInvitation, AppError> {
    let email = Email::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let now = state.clock.now();
    let expires_at = now + INVITATION_LIFETIME;
    let token = crate::platform::secret::new_token();
    let mut tx = begin_write(&state.db).await?;
    let id = data::insert_invitation(
        &mut tx,
        data::NewInvitation {
            organisation_id: org.id,
            email: email.as_str(),
            token_hash: TokenHash::of(&token).as_str(),
            permissions,
            invited_by: &org.actor,
            now: now.timestamp_millis(),
            expires_at: expires_at.timestamp_millis(),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        NewEntry {
            organisation_id: org.id,
            occurred_at: now.timestamp_millis(),
            actor: &org.actor,
            action: AuditAction::MemberInvited,
            key_prefix: None,
            key_name: None,
            details: format!(
                "Invited {} as {}; the link expires {}",
                email.as_str(),
                permissions.describe(),
                crate::platform::clock::format_time(expires_at)
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedInvitation {
        id,
        email: email.as_str().to_owned(),
        path: format!("/invite/{token}"),
        expires_at,
    })
}

pub async fn revoke_invitation(state: &Platform, org: &OrgScope, id: i64) -> Result<(), AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut tx = begin_write(&state.db).await?;
    let email = data::revoke_invitation(&mut tx, org.id, id, now)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        NewEntry {
            organisation_id: org.id,
            occurred_at: now,
            actor: &org.actor,
            action: AuditAction::InvitationRevoked,
            key_prefix: None,
            key_name: None,
            details: format!("Revoked the invitation of {email}"),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn pending_invitations(
    state: &Platform,
    organisation_id: i64,
) -> Result<Vec<Invitation>, AppError> {
    let now = state.clock.now().timestamp_millis();
    Ok(data::pending_invitations(&state.db, organisation_id, now)
        .await?
        .into_iter()
        .map(|row| Invitation {
            id: row.id,
            email: row.email,
            permissions: MemberPermissions {
                admin: row.is_admin,
                developer: row.is_developer,
            },
            invited_by: row.invited_by,
            expires_at: from_millis(row.expires_at),
        })
        .collect())
}

/// What the invitation page shows its holder.
pub async fn invitation_for(state: &Platform, token: &str) -> Result<InvitationView, AppError> {
    if !crate::platform::secret::is_token(token) {
        return Err(AppError::InvitationInvalid);
    }
    let now = state.clock.now().timestamp_millis();
    let mut conn = state.db.acquire().await?;
    let row = data::find_pending_invitation(&mut conn, TokenHash::of(token).as_str(), now)
        .await?
        .ok_or(AppError::InvitationInvalid)?;
    let has_account = users::find_user_by_email(&mut *conn, &row.email)
        .await?
        .is_some();
    Ok(InvitationView {
        organisation: row.organisation_name,
        email: row.email,
        permissions: MemberPermissions {
            admin: row.is_admin,
            developer: row.is_developer,
        },
        has_account,
        expires_at: from_millis(row.expires_at),
    })
}

/// Accepts an invitation. An existing account joins only with its own
/// password; otherwise the invitee creates the account with a password of
/// their choosing. Returns the user who joined.
pub async fn accept_invitation(
    state: &Platform,
    token: &str,
    password: &str,
) -> Result<i64, AppError> {
    if !crate::platform::secret::is_token(token) {
        return Err(AppError::InvitationInvalid);
    }
    let token_hash = TokenHash::of(token);
    let now = state.clock.now();
    let pending = {
        let mut conn = state.db.acquire().await?;
        data::find_pending_invitation(&mut conn, token_hash.as_str(), now.timestamp_millis())
            .await?
            .ok_or(AppError::InvitationInvalid)?
    };
    let existing = users::find_user_by_email(&state.db, &pending.email).await?;
    // Argon2 runs before the write transaction, so the lock is held briefly.
    let new_hash = match &existing {
        Some(user) => {
            let stored = Some(user.password_hash.clone());
            if !session::check_password(state, &pending.email, stored, password).await? {
                return Err(AppError::WrongCredentials);
            }
            if user.disabled_at.is_some() {
                return Err(AppError::AccountDisabled);
            }
            None
        }
        None => {
            let password = Password::parse(password).map_err(|e| AppError::Validation(vec![e]))?;
            Some(crate::auth::password::hash_async(password).await?)
        }
    };
    let mut tx = begin_write(&state.db).await?;
    if !data::mark_accepted(&mut tx, pending.id, now.timestamp_millis()).await? {
        return Err(AppError::InvitationInvalid);
    }
    let user_id = match (&existing, new_hash) {
        (Some(user), _) => user.id,
        (None, Some(hash)) => {
            users::insert_user(
                &mut *tx,
                &pending.email,
                &hash,
                false,
                now.timestamp_millis(),
            )
            .await?
        }
        (None, None) => return Err(AppError::Internal),
    };
    let invited = MemberPermissions {
        admin: pending.is_admin,
        developer: pending.is_developer,
    };
    // An invitation adds permissions and never takes any away: accepted by
    // someone who is a member already, it cannot demote them (nor leave the
    // organisation without an admin), and a change is audited as one.
    let change = Change {
        organisation_id: pending.organisation_id,
        actor: &pending.email,
        user_id,
        email: &pending.email,
        now: now.timestamp_millis(),
    };
    match data::membership_permissions(&mut tx, user_id, pending.organisation_id).await? {
        Some(had) => {
            let union = MemberPermissions {
                admin: had.admin || invited.admin,
                developer: had.developer || invited.developer,
            };
            let context = format!(" (accepted the invitation from {})", pending.invited_by);
            change_permissions(&mut tx, &change, had, union, &context).await?;
        }
        None => {
            let (org, at) = (pending.organisation_id, change.now);
            data::upsert_membership(&mut *tx, user_id, org, invited, at).await?;
            let details = format!(
                "Accepted the invitation from {} as {}{}",
                pending.invited_by,
                invited.describe(),
                if existing.is_some() {
                    ""
                } else {
                    "; account created"
                }
            );
            audit::record(&mut tx, change.entry(AuditAction::MemberJoined, details)).await?;
        }
    }
    tx.commit().await?;
    tracing::info!(
        organisation_id = pending.organisation_id,
        user_id,
        "invitation accepted"
    );
    Ok(user_id)
}

/// Every organisation, by name: the platform admin's list.
pub async fn list_organisations(state: &Platform) -> Result<Vec<super::OrgSummary>, AppError> {
    Ok(data::list_organisations(&state.db)
        .await?
        .into_iter()
        .map(|o| super::OrgSummary {
            slug: o.slug,
            name: o.name,
            developer_api: o.developer_api,
            member_count: o.member_count,
            created_at: from_millis(o.created_at),
        })
        .collect())
}
