//! Server-side sessions: a random token in an HttpOnly cookie, stored hashed.

use axum::http::{header, request::Parts};
use leptos::prelude::*;

use super::data::{self, memberships_of, MembershipRow};
use super::domain::{Email, MemberPermissions};
use super::{password, ActiveOrg, OrgChoice, SessionInfo, Viewer};
use crate::error::AppError;
use crate::error::{DeveloperAccess, Refusal};
use crate::platform::clock::from_millis;
use crate::platform::secret::TokenHash;
use crate::platform::Platform;

/// The app state, as provided to every server function by leptos_axum.
pub fn state() -> Result<Platform, AppError> {
    use_context::<Platform>().ok_or(AppError::Internal)
}

/// A signed-in user with their memberships, resolved from the session cookie.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: i64,
    pub email: String,
    pub is_platform_admin: bool,
    pub token_hash: String,
    pub memberships: Vec<MembershipRow>,
    pub active: Option<MembershipRow>,
}

/// The organisation a request acts on, after its permission check passed.
#[derive(Debug, Clone)]
pub struct OrgScope {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub user_id: i64,
    pub actor: String,
}

impl SessionUser {
    pub fn viewer(&self) -> Viewer {
        Viewer {
            email: self.email.clone(),
            is_platform_admin: self.is_platform_admin,
            organisations: self
                .memberships
                .iter()
                .map(|m| OrgChoice {
                    slug: m.slug.clone(),
                    name: m.name.clone(),
                })
                .collect(),
            active: self.active.as_ref().map(|m| ActiveOrg {
                slug: m.slug.clone(),
                name: m.name.clone(),
                permissions: MemberPermissions {
                    admin: m.is_admin,
                    developer: m.is_developer,
                },
                developer_api: m.developer_api,
            }),
        }
    }

    fn scope(&self, m: &MembershipRow) -> OrgScope {
        OrgScope {
            id: m.organisation_id,
            slug: m.slug.clone(),
            name: m.name.clone(),
            user_id: self.user_id,
            actor: self.email.clone(),
        }
    }

    fn active(&self) -> Result<&MembershipRow, AppError> {
        self.active
            .as_ref()
            .ok_or(AppError::Forbidden(Refusal::NoOrganisation))
    }

    /// Any member of the active organisation (the Leads pages).
    pub fn require_member(&self) -> Result<OrgScope, AppError> {
        Ok(self.scope(self.active()?))
    }

    /// The Developer permission and the Developer API flag, both required.
    pub fn require_developer(&self) -> Result<OrgScope, AppError> {
        let m = self.active()?;
        developer_gate(m)?;
        Ok(self.scope(m))
    }

    pub fn require_org_admin(&self) -> Result<OrgScope, AppError> {
        let m = self.active()?;
        if m.is_admin {
            Ok(self.scope(m))
        } else {
            Err(AppError::Forbidden(Refusal::OrgAdmin {
                org: m.name.clone(),
            }))
        }
    }

    pub fn require_platform_admin(&self) -> Result<(), AppError> {
        if self.is_platform_admin {
            Ok(())
        } else {
            Err(AppError::Forbidden(Refusal::PlatformAdmin))
        }
    }
}

/// What a server function needs of the signed-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A member of the active organisation (the Leads pages).
    Member,
    /// The Developer permission and the Developer API flag.
    Developer,
    /// The Admin permission in the active organisation.
    OrgAdmin,
}

/// A request that passed the access guard: the state, who is signed in,
/// and the organisation they act on.
pub struct Granted {
    pub state: Platform,
    pub user: SessionUser,
    pub org: OrgScope,
}

/// The one access guard of server functions: signed in, then `need` in the
/// active organisation. Refusals are typed (`Refusal`).
pub async fn guard(need: Need) -> Result<Granted, AppError> {
    let state = state()?;
    let user = require_user().await?;
    grant(state, user, need)
}

/// The same guard for a plain axum handler (a download), from the request.
pub async fn guard_request(
    state: &Platform,
    parts: &Parts,
    need: Need,
) -> Result<Granted, AppError> {
    let token = session_token(state, parts).ok_or(AppError::SignInRequired)?;
    let user = resolve(state, &token)
        .await?
        .ok_or(AppError::SignInRequired)?;
    grant(state.clone(), user, need)
}

fn grant(state: Platform, user: SessionUser, need: Need) -> Result<Granted, AppError> {
    let org = match need {
        Need::Member => user.require_member()?,
        Need::Developer => user.require_developer()?,
        Need::OrgAdmin => user.require_org_admin()?,
    };
    Ok(Granted { state, user, org })
}

/// The guard for the platform console.
pub async fn guard_platform_admin() -> Result<(Platform, SessionUser), AppError> {
    let state = state()?;
    let user = require_user().await?;
    user.require_platform_admin()?;
    Ok((state, user))
}

/// The one Developer-area check, for sessions and the operator CLI alike:
/// the member's Developer permission and the organisation's flag.
pub fn developer_gate(m: &MembershipRow) -> Result<(), AppError> {
    let access = ActiveOrg {
        slug: m.slug.clone(),
        name: m.name.clone(),
        permissions: MemberPermissions {
            admin: m.is_admin,
            developer: m.is_developer,
        },
        developer_api: m.developer_api,
    }
    .developer_access();
    match access {
        DeveloperAccess::Granted => Ok(()),
        access => Err(AppError::Forbidden(Refusal::Developer {
            org: m.name.clone(),
            access,
        })),
    }
}

/// This browser's session token, from its cookie alone.
fn session_token(state: &Platform, parts: &Parts) -> Option<String> {
    crate::web::cookies::session_token(&state.config, &parts.headers)
}

fn set_cookie(state: &Platform, value: &str, max_age_secs: u64) {
    if let (Some(response), Some(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        crate::web::cookies::set_session(&state.config, value, max_age_secs),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// The browser (User-Agent, at most 200 characters) and the address a
/// session comes from, as its owner sees them in their session list.
fn client_details(parts: &Parts) -> (String, String) {
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let client_ip = state()
        .map(|state| {
            crate::platform::client::client_ip(
                &parts.headers,
                &parts.extensions,
                &state.config.trusted_proxies,
            )
        })
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    (user_agent, client_ip)
}

/// The session's public reference: enough of its hash to pick it from the
/// owner's list, never the token.
pub fn session_ref(token_hash: &str) -> String {
    token_hash.chars().take(16).collect()
}

/// The signed-in user's sessions, this one marked.
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    let state = state()?;
    let user = require_user().await?;
    Ok(data::sessions_of(&state.db, user.user_id)
        .await?
        .into_iter()
        .map(|row| SessionInfo {
            id: session_ref(&row.token_hash),
            current: row.token_hash == user.token_hash,
            user_agent: row.user_agent,
            client_ip: row.client_ip,
            signed_in_at: from_millis(row.created_at),
            last_seen_at: from_millis(row.last_seen_at),
        })
        .collect())
}

/// Ends one of the signed-in user's sessions (this one included).
pub async fn end_session(id: &str) -> Result<(), AppError> {
    let state = state()?;
    let user = require_user().await?;
    let target = data::sessions_of(&state.db, user.user_id)
        .await?
        .into_iter()
        .find(|row| session_ref(&row.token_hash) == id)
        .ok_or(AppError::NotFound)?;
    data::delete_session(&state.db, &target.token_hash).await?;
    if target.token_hash == user.token_hash {
        set_cookie(&state, "", 0);
    }
    security_event(&state, "session.ended", &user.email, &user.email).await;
    tracing::info!(user_id = user.user_id, "session ended by its owner");
    Ok(())
}

/// Changes the signed-in user's password; the current one is required, and
/// every other session of theirs ends.
pub async fn change_password(current_password: &str, new_password: &str) -> Result<(), AppError> {
    let state = state()?;
    let user = require_user().await?;
    let stored = data::find_user_by_email(&state.db, &user.email)
        .await?
        .map(|u| u.password_hash);
    if !check_password(&state, &user.email, stored, current_password).await? {
        return Err(AppError::validation(
            "current_password",
            "That is not your current password.",
        ));
    }
    let new_password = super::domain::Password::parse(new_password).map_err(|mut e| {
        e.field = "new_password".into();
        AppError::Validation(vec![e])
    })?;
    let hash = password::hash_async(new_password).await?;
    // A reset link issued before no longer works once the owner has chosen
    // a password themselves.
    let mut tx = state.db.begin().await?;
    data::set_password_hash_in(&mut tx, user.user_id, &hash).await?;
    data::drop_pending_resets(&mut tx, user.user_id).await?;
    tx.commit().await?;
    security_event(&state, "password.changed", &user.email, &user.email).await;
    let ended = data::delete_sessions_of(&state.db, user.user_id, Some(&user.token_hash)).await?;
    tracing::info!(user_id = user.user_id, ended, "password changed");
    Ok(())
}

/// Resolves the session of the current request, if any and still valid.
pub async fn current() -> Result<Option<SessionUser>, AppError> {
    let state = state()?;
    let Some(parts) = use_context::<Parts>() else {
        return Ok(None);
    };
    let Some(token) = session_token(&state, &parts) else {
        return Ok(None);
    };
    resolve(&state, &token).await
}

pub async fn resolve(state: &Platform, token: &str) -> Result<Option<SessionUser>, AppError> {
    let token_hash = TokenHash::of(token).as_str().to_owned();
    let Some(row) = data::find_session(&state.db, &token_hash).await? else {
        return Ok(None);
    };
    let now = state.clock.now().timestamp_millis();
    let idle = state.config.session_idle.as_millis() as i64;
    let absolute = state.config.session_absolute.as_millis() as i64;
    // A disabled account's sessions end at its very next request.
    if now - row.last_seen_at > idle || now - row.created_at > absolute || row.disabled_at.is_some()
    {
        data::delete_session(&state.db, &token_hash).await?;
        return Ok(None);
    }
    // Coalesce activity updates: one write a minute is enough for idle expiry.
    if now - row.last_seen_at > 60_000 {
        data::touch_session(&state.db, &token_hash, now).await?;
    }
    let memberships = memberships_of(&state.db, row.user_id).await?;
    let active = row
        .active_organisation_id
        .and_then(|id| memberships.iter().find(|m| m.organisation_id == id))
        .or_else(|| memberships.first())
        .cloned();
    Ok(Some(SessionUser {
        user_id: row.user_id,
        email: row.email,
        is_platform_admin: row.is_platform_admin,
        token_hash,
        memberships,
        active,
    }))
}

pub async fn require_user() -> Result<SessionUser, AppError> {
    current().await?.ok_or(AppError::SignInRequired)
}

pub async fn sign_in(email: &str, candidate: &str) -> Result<(), AppError> {
    let state = state()?;
    // Input that cannot be an account gets the generic answer and leaves no
    // throttle state behind.
    let Ok(email) = Email::parse(email) else {
        anonymous_security_event(&state, "sign_in.failed", "(not an email address)").await;
        return Err(AppError::WrongCredentials);
    };
    let user = data::find_user_by_email(&state.db, email.as_str()).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let checked = check_password(&state, email.as_str(), stored, candidate).await;
    let outcome = match (user, checked) {
        (_, Err(error)) => Err(error),
        // Only the account's owner learns that it is disabled.
        (Some(user), Ok(true)) if user.disabled_at.is_some() => Err(AppError::AccountDisabled),
        (Some(user), Ok(true)) => start_session(&state, user.id).await,
        _ => Err(AppError::WrongCredentials),
    };
    match &outcome {
        Ok(()) => security_event(&state, "sign_in.succeeded", email.as_str(), email.as_str()).await,
        Err(AppError::AccountDisabled) => {
            security_event(&state, "sign_in.disabled", email.as_str(), email.as_str()).await
        }
        Err(AppError::Throttled { .. }) => {
            anonymous_security_event(&state, "sign_in.throttled", email.as_str()).await
        }
        Err(_) => anonymous_security_event(&state, "sign_in.failed", email.as_str()).await,
    }
    outcome
}

/// Writes an entry to the security log that platform admins read: what,
/// for which email, who acted (the owner, a platform admin, the operator;
/// empty for an anonymous client), from which address and browser. Never a
/// password. A failure to write is logged, not fatal: it must not block
/// signing in.
pub async fn security_event(state: &Platform, kind: &str, email: &str, actor: &str) {
    let (user_agent, client_ip) = use_context::<Parts>()
        .map(|parts| client_details(&parts))
        .unwrap_or_default();
    let event = data::NewSecurityEvent {
        occurred_at: state.clock.now().timestamp_millis(),
        kind,
        email,
        actor,
        client_ip: &client_ip,
        user_agent: &user_agent,
    };
    if let Err(error) = data::record_security_event(&state.db, event).await {
        tracing::error!(%error, kind, "could not write the security log");
    }
    tracing::info!(kind, email, actor, client_ip, "security event");
}

/// An event that anyone can cause (a failed, throttled or malformed
/// sign-in): written to the security log within a per-client and an overall
/// bound (`Limits::anonymous_events*`), past which it goes to the server log
/// only. The log's growth is bounded whatever a client sends.
pub async fn anonymous_security_event(state: &Platform, kind: &str, email: &str) {
    let now = state.clock.now();
    let client = request_client(state);
    let limits = &state.limits;
    let within = limits
        .anonymous_events_per_client
        .hit(client.as_str(), now)
        .allowed
        && limits.anonymous_events.hit("", now).allowed;
    if within {
        security_event(state, kind, email, "").await;
    } else {
        tracing::info!(
            kind,
            email,
            client,
            "security event (not logged: over the bound)"
        );
    }
}

/// The throttles' name for the client of the request being served (its
/// address, or IPv6 /64).
pub fn request_client(state: &Platform) -> String {
    use_context::<Parts>()
        .map(|parts| {
            let ip = crate::platform::client::client_ip(
                &parts.headers,
                &parts.extensions,
                &state.config.trusted_proxies,
            );
            crate::platform::throttle::client_key(ip)
        })
        .unwrap_or_default()
}

/// The one gate for password attempts: sign-in, joining through an
/// invitation as an existing account, and changing a password. Each attempt
/// is counted before Argon2 runs, so parallel guesses cannot outrun the
/// limit; limits are per account and client, and per client.
pub async fn check_password(
    state: &Platform,
    account: &str,
    stored: Option<String>,
    candidate: &str,
) -> Result<bool, AppError> {
    let now = state.clock.now();
    let client = request_client(state);
    let pair = format!("{account} {client}");
    let limits = &state.limits;
    let blocked = [
        limits
            .password_per_account_client
            .is_blocked(pair.as_str(), now),
        limits.password_per_client.is_blocked(client.as_str(), now),
    ];
    if let Some(retry_after_secs) = blocked.into_iter().flatten().max() {
        return Err(AppError::Throttled { retry_after_secs });
    }
    limits.password_per_account_client.hit(pair.as_str(), now);
    limits.password_per_client.hit(client.as_str(), now);
    let verified = password::verify_async(stored, candidate).await?;
    if verified {
        limits.password_per_account_client.clear(pair.as_str());
    }
    Ok(verified)
}

/// Signs this browser in as `user_id`: a new random token in the cookie,
/// replacing whatever session it had (rotation at sign-in).
pub async fn start_session(state: &Platform, user_id: i64) -> Result<(), AppError> {
    let now = state.clock.now();
    if let Some(parts) = use_context::<Parts>() {
        if let Some(old) = session_token(state, &parts) {
            data::delete_session(&state.db, TokenHash::of(&old).as_str()).await?;
        }
    }
    let token = crate::platform::secret::new_token();
    let first_org = memberships_of(&state.db, user_id)
        .await?
        .first()
        .map(|m| m.organisation_id);
    let (user_agent, client_ip) = use_context::<Parts>()
        .map(|parts| client_details(&parts))
        .unwrap_or_default();
    data::insert_session(
        &state.db,
        data::NewSession {
            token_hash: TokenHash::of(&token).as_str(),
            user_id,
            active_organisation_id: first_org,
            now: now.timestamp_millis(),
            user_agent: &user_agent,
            client_ip: &client_ip,
        },
    )
    .await?;
    set_cookie(state, &token, state.config.session_absolute.as_secs());
    tracing::info!(user_id, "signed in");
    Ok(())
}

pub async fn sign_out() -> Result<(), AppError> {
    let state = state()?;
    if let Some(user) = current().await? {
        data::delete_session(&state.db, &user.token_hash).await?;
        security_event(&state, "sign_out", &user.email, &user.email).await;
    }
    set_cookie(&state, "", 0);
    Ok(())
}

pub async fn switch_organisation(slug: &str) -> Result<(), AppError> {
    let state = state()?;
    let user = require_user().await?;
    let m = user
        .memberships
        .iter()
        .find(|m| m.slug == slug)
        .ok_or(AppError::NotFound)?;
    data::set_active_organisation(&state.db, &user.token_hash, m.organisation_id).await?;
    Ok(())
}
