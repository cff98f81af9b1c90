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
    /// Two-factor sign-in is on for the account.
    pub two_factor: bool,
    /// When this session's owner last proved who they are (ms).
    pub confirmed_at: i64,
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

    /// The active membership, if the organisation's two-factor rule lets
    /// this account act in it.
    fn active(&self) -> Result<&MembershipRow, AppError> {
        let m = self
            .active
            .as_ref()
            .ok_or(AppError::Forbidden(Refusal::NoOrganisation))?;
        if m.require_two_factor && !self.two_factor {
            return Err(AppError::Forbidden(Refusal::TwoFactorRequired {
                org: Some(m.name.clone()),
            }));
        }
        Ok(m)
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

    /// A platform admin, signed in with two factors (ASVS 6.3.3: the console
    /// can reset anyone's access).
    pub fn require_platform_admin(&self) -> Result<(), AppError> {
        if !self.is_platform_admin {
            Err(AppError::Forbidden(Refusal::PlatformAdmin))
        } else if !self.two_factor {
            Err(AppError::Forbidden(Refusal::TwoFactorRequired {
                org: None,
            }))
        } else {
            Ok(())
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
    // A disabled account's sessions end at its very next request; a sign-in
    // waiting for its second factor waits a few minutes at most.
    let pending_over = row.second_factor_pending && now - row.created_at > PENDING_FOR_MS;
    if now - row.last_seen_at > idle
        || now - row.created_at > absolute
        || row.disabled_at.is_some()
        || pending_over
    {
        data::delete_session(&state.db, &token_hash).await?;
        return Ok(None);
    }
    // Half signed in is not signed in.
    if row.second_factor_pending {
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
        two_factor: row.two_factor,
        confirmed_at: row.confirmed_at.unwrap_or(row.created_at),
    }))
}

/// How long a sign-in waits for its second factor.
const PENDING_FOR_MS: i64 = 10 * 60 * 1000;

/// The account a sign-in waiting for its second factor is for.
struct Pending {
    user_id: i64,
    email: String,
    token_hash: String,
}

async fn pending_sign_in(state: &Platform) -> Result<Option<Pending>, AppError> {
    let Some(parts) = use_context::<Parts>() else {
        return Ok(None);
    };
    let Some(token) = session_token(state, &parts) else {
        return Ok(None);
    };
    let token_hash = TokenHash::of(&token).as_str().to_owned();
    let Some(row) = data::find_session(&state.db, &token_hash).await? else {
        return Ok(None);
    };
    let now = state.clock.now().timestamp_millis();
    let live = row.second_factor_pending
        && now - row.created_at <= PENDING_FOR_MS
        && row.disabled_at.is_none();
    Ok(live.then_some(Pending {
        user_id: row.user_id,
        email: row.email,
        token_hash,
    }))
}

/// Whether this browser's sign-in waits for its second factor.
pub async fn awaits_second_factor() -> Result<bool, AppError> {
    Ok(pending_sign_in(&state()?).await?.is_some())
}

/// Where a sign-in goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedIn {
    Done,
    /// Done, and a platform admin reset the account's second factor since
    /// the last sign-in: the Account page says so.
    ToldOfReset,
    /// The password was right; the second factor comes next.
    CodeNeeded,
}

impl SignedIn {
    pub fn then(self) -> crate::web::forms::Then {
        use crate::web::forms::Then;
        match self {
            Self::Done => Then::Go("/leads"),
            Self::ToldOfReset => Then::Go("/account?notice=two_factor_reset"),
            Self::CodeNeeded => Then::Go("/sign-in/code"),
        }
    }
}

/// The second step of signing in: a code from the app, or a recovery code,
/// for the sign-in this browser started with the password. Throttled like
/// the password; a code is accepted once.
pub async fn verify_second_factor(given: &str) -> Result<SignedIn, AppError> {
    let state = state()?;
    let pending = pending_sign_in(&state)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let accepted = throttled(
        &state,
        &pending.email,
        second_factor_matches(&state, pending.user_id, &pending.email, given),
    )
    .await?;
    if !accepted {
        security_event(
            &state,
            "sign_in.code_refused",
            &pending.email,
            &pending.email,
        )
        .await;
        return Err(AppError::InvalidCode);
    }
    // A new token for the whole session: the pending one proved one factor.
    data::delete_session(&state.db, &pending.token_hash).await?;
    let signed = open_session(&state, pending.user_id, false).await?;
    security_event(&state, "sign_in.succeeded", &pending.email, &pending.email).await;
    Ok(signed)
}

/// Whether `given` is a current code of the account's app (its step not
/// used before) or one of its unused recovery codes; each is used up.
pub(super) async fn second_factor_matches(
    state: &Platform,
    user_id: i64,
    email: &str,
    given: &str,
) -> Result<bool, AppError> {
    use super::two_factor::{recovery_hash, Authenticator, SecondFactor};
    let Some(factor) = SecondFactor::parse(given) else {
        return Ok(false);
    };
    let now = state.clock.now();
    match factor {
        SecondFactor::Code(code) => {
            let secret = data::two_factor_of(&state.db, user_id)
                .await?
                .filter(|t| t.totp_enabled_at.is_some())
                .and_then(|t| t.totp_secret);
            let step = secret
                .and_then(|secret| Authenticator::new(&secret, email))
                .and_then(|app| app.step_of(&code, now.timestamp()));
            match step {
                Some(step) => Ok(data::accept_totp_step(&state.db, user_id, step).await?),
                None => Ok(false),
            }
        }
        SecondFactor::Recovery(code) => {
            let used = data::use_recovery_code(
                &state.db,
                user_id,
                &recovery_hash(&code),
                now.timestamp_millis(),
            )
            .await?;
            if used {
                security_event(state, "recovery_code.used", email, email).await;
            }
            Ok(used)
        }
    }
}

/// How long a password or code given counts for the changes that ask for
/// one again (creating or rolling a key, inviting an admin, the key policy),
/// as GitHub's sudo mode does.
pub const STEP_UP_MS: i64 = 15 * 60 * 1000;

/// Lets a sensitive change through if its author proved who they are in the
/// last 15 minutes, or does now with `given` (their password, or a code when
/// two-factor sign-in is on); else `ConfirmationRequired`.
pub async fn confirm_recent(
    state: &Platform,
    user: &SessionUser,
    given: &str,
) -> Result<(), AppError> {
    let now = state.clock.now().timestamp_millis();
    if now - user.confirmed_at <= STEP_UP_MS {
        return Ok(());
    }
    if given.is_empty() {
        return Err(AppError::ConfirmationRequired);
    }
    let by_code = user.two_factor
        && super::two_factor::SecondFactor::parse(given).is_some()
        && throttled(
            state,
            &user.email,
            second_factor_matches(state, user.user_id, &user.email, given),
        )
        .await?;
    let confirmed = by_code || {
        let stored = data::find_user_by_email(&state.db, &user.email)
            .await?
            .map(|u| u.password_hash);
        check_password(state, &user.email, stored, given).await?
    };
    if !confirmed {
        return Err(AppError::validation(
            "confirm_password",
            "That is neither your password nor a current code.",
        ));
    }
    data::confirm_session(&state.db, &user.token_hash, now).await?;
    Ok(())
}

/// The access guard, then `confirm_recent` with what the form sent.
pub async fn guard_confirmed(need: Need, given: &str) -> Result<Granted, AppError> {
    let granted = guard(need).await?;
    confirm_recent(&granted.state, &granted.user, given).await?;
    Ok(granted)
}

pub async fn require_user() -> Result<SessionUser, AppError> {
    current().await?.ok_or(AppError::SignInRequired)
}

pub async fn sign_in(email: &str, candidate: &str) -> Result<SignedIn, AppError> {
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
        Ok(SignedIn::CodeNeeded) => {
            security_event(&state, "sign_in.code_asked", email.as_str(), email.as_str()).await
        }
        Ok(_) => security_event(&state, "sign_in.succeeded", email.as_str(), email.as_str()).await,
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

/// The one gate for password and code attempts: sign-in, its second
/// factor, joining through an invitation as an existing account, changing
/// a password, and confirming a change. Each attempt is counted before it
/// is checked, so parallel guesses cannot outrun the limit; limits are per
/// account and client, and per client.
pub async fn throttled(
    state: &Platform,
    account: &str,
    check: impl std::future::Future<Output = Result<bool, AppError>>,
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
    let verified = check.await?;
    if verified {
        limits.password_per_account_client.clear(pair.as_str());
        // Only failures add up against the address: an office behind one
        // address signs in all morning.
        limits.password_per_client.forgive(client.as_str());
    }
    Ok(verified)
}

/// A password attempt, through `throttled`.
pub async fn check_password(
    state: &Platform,
    account: &str,
    stored: Option<String>,
    candidate: &str,
) -> Result<bool, AppError> {
    throttled(state, account, password::verify_async(stored, candidate)).await
}

/// Signs this browser in as `user_id` after their password (or a reset or
/// invitation link): fully, or, when the account has two-factor sign-in,
/// pending its second factor.
pub async fn start_session(state: &Platform, user_id: i64) -> Result<SignedIn, AppError> {
    let two_factor = data::two_factor_of(&state.db, user_id)
        .await?
        .is_some_and(|t| t.totp_enabled_at.is_some());
    open_session(state, user_id, two_factor).await
}

/// A new random token in the cookie, replacing whatever session this browser
/// had (rotation at sign-in).
async fn open_session(state: &Platform, user_id: i64, pending: bool) -> Result<SignedIn, AppError> {
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
            second_factor_pending: pending,
        },
    )
    .await?;
    set_cookie(state, &token, state.config.session_absolute.as_secs());
    if pending {
        return Ok(SignedIn::CodeNeeded);
    }
    tracing::info!(user_id, "signed in");
    Ok(
        match data::take_two_factor_reset(&state.db, user_id).await? {
            Some(_) => SignedIn::ToldOfReset,
            None => SignedIn::Done,
        },
    )
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
