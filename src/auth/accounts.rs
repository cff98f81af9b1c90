//! Accounts: creating them (the CLI, the admin pages, the demo seed),
//! disabling them, reset links, and two-factor sign-in.

use super::two_factor::{
    new_recovery_codes, new_secret, recovery_hash, Authenticator, SecondFactor,
};
use super::{
    data,
    domain::{Email, Password},
    password,
};
use crate::error::{AppError, FieldError};
use crate::platform::clock::from_millis;
use crate::platform::db::begin_write;
use crate::platform::secret::TokenHash;
use crate::platform::{Db, Platform};

pub async fn create_user(
    db: &Db,
    email: &str,
    new_password: &str,
    is_platform_admin: bool,
    now: i64,
) -> Result<i64, AppError> {
    let email = Email::parse(email);
    let new_password = Password::parse(new_password);
    let (email, new_password) = match (email, new_password) {
        (Ok(e), Ok(p)) => (e, p),
        (e, p) => {
            return Err(AppError::Validation(
                [e.err(), p.err()].into_iter().flatten().collect(),
            ))
        }
    };
    if data::find_user_by_email(db, email.as_str())
        .await?
        .is_some()
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "email",
            format!("A user with email {} already exists.", email.as_str()),
        )]));
    }
    let hash = password::hash_async(new_password).await?;
    Ok(data::insert_user(db, email.as_str(), &hash, is_platform_admin, now).await?)
}

/// How long a password-reset link works.
pub const RESET_LINK_LIFETIME: chrono::Duration = chrono::Duration::hours(24);

async fn find(state: &Platform, email: &str) -> Result<data::UserRow, AppError> {
    let email = Email::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    data::find_user_by_email(&state.db, email.as_str())
        .await?
        .ok_or(AppError::NotFound)
}

/// Disables an account (its sessions end, sign-in is refused) or enables it
/// again. Platform admins and the operator CLI only; `actor` is who.
pub async fn set_disabled(
    state: &Platform,
    actor: &str,
    email: &str,
    disabled: bool,
) -> Result<i64, AppError> {
    let user = find(state, email).await?;
    let at = disabled.then(|| state.clock.now().timestamp_millis());
    data::set_disabled_at(&state.db, user.id, at).await?;
    if disabled {
        data::delete_sessions_of(&state.db, user.id, None).await?;
    }
    let kind = if disabled {
        "account.disabled"
    } else {
        "account.enabled"
    };
    super::session::security_event(state, kind, &user.email, actor).await;
    tracing::info!(
        user_id = user.id,
        disabled,
        "account disabled state changed"
    );
    Ok(user.id)
}

/// A one-time link (`/reset-password/<token>`) with which the user sets a new
/// password; only the token's SHA-256 is stored.
pub async fn create_reset_link(
    state: &Platform,
    actor: &str,
    email: &str,
) -> Result<(i64, String), AppError> {
    let user = find(state, email).await?;
    let token = crate::platform::secret::new_token();
    let now = state.clock.now();
    let mut tx = begin_write(&state.db).await?;
    data::insert_password_reset(
        &mut tx,
        user.id,
        TokenHash::of(&token).as_str(),
        now.timestamp_millis(),
        (now + RESET_LINK_LIFETIME).timestamp_millis(),
    )
    .await?;
    tx.commit().await?;
    super::session::security_event(state, "password_reset.issued", &user.email, actor).await;
    Ok((user.id, format!("/reset-password/{token}")))
}

/// Sets a new password with a reset link: once, before it expires. Every
/// session of the user ends. Returns the user.
pub async fn reset_password(
    state: &Platform,
    token: &str,
    new_password: &str,
) -> Result<i64, AppError> {
    if !crate::platform::secret::is_token(token) {
        return Err(AppError::ResetLinkInvalid);
    }
    // The link is looked up before Argon2 runs, so that made-up links cost
    // one indexed read and never queue for the hashing pool that sign-in
    // shares; a client sending them counts against the password gate's
    // per-client limit.
    let now_at = state.clock.now();
    let now = now_at.timestamp_millis();
    let client = super::session::request_client(state);
    let per_client = &state.limits.password_per_client;
    if let Some(retry_after_secs) = per_client.is_blocked(client.as_str(), now_at) {
        return Err(AppError::Throttled { retry_after_secs });
    }
    let token_hash = TokenHash::of(token);
    if data::pending_password_reset(&state.db, token_hash.as_str(), now)
        .await?
        .is_none()
    {
        per_client.hit(client.as_str(), now_at);
        return Err(AppError::ResetLinkInvalid);
    }
    // Judged only for a real link: the guessability estimate costs CPU.
    let new_password = Password::parse(new_password).map_err(|e| AppError::Validation(vec![e]))?;
    let hash = password::hash_async(new_password).await?;
    let mut tx = begin_write(&state.db).await?;
    let user_id = data::use_password_reset(&mut tx, token_hash.as_str(), now)
        .await?
        .ok_or(AppError::ResetLinkInvalid)?;
    data::set_password_hash_in(&mut tx, user_id, &hash).await?;
    data::drop_pending_resets(&mut tx, user_id).await?;
    tx.commit().await?;
    data::delete_sessions_of(&state.db, user_id, None).await?;
    tracing::info!(user_id, "password reset with a link");
    let owner = format!("user #{user_id}");
    super::session::security_event(state, "password_reset.used", &owner, &owner).await;
    Ok(user_id)
}

/// Accounts whose email contains `q` (at most 50): the platform admin's search.
pub async fn find_users(state: &Platform, q: &str) -> Result<Vec<super::UserSummary>, AppError> {
    Ok(data::search_users(&state.db, q.trim(), 50)
        .await?
        .into_iter()
        .map(|u| super::UserSummary {
            email: u.email,
            is_platform_admin: u.is_platform_admin,
            created_at: from_millis(u.created_at),
            disabled: u.disabled_at.is_some(),
            two_factor: u.two_factor,
        })
        .collect())
}

/// The security log, newest first, 50 entries before `before` (an id).
pub async fn security_events(
    state: &Platform,
    before: Option<i64>,
) -> Result<Vec<super::SecurityEvent>, AppError> {
    Ok(data::security_events(&state.db, before, 50)
        .await?
        .into_iter()
        .map(|e| super::SecurityEvent {
            id: e.id,
            occurred_at: from_millis(e.occurred_at),
            kind: e.kind,
            email: e.email,
            actor: e.actor,
            client_ip: e.client_ip,
            user_agent: e.user_agent,
        })
        .collect())
}

/// Two-factor sign-in as `user` sees it on their Account page.
pub async fn two_factor_status(
    state: &Platform,
    user: &super::session::SessionUser,
) -> Result<super::TwoFactorStatus, AppError> {
    let row = data::two_factor_of(&state.db, user.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let setup = match (&row.totp_secret, row.totp_enabled_at) {
        (Some(secret), None) => {
            Authenticator::new(secret, &user.email).map(|app| super::TwoFactorSetup {
                secret: secret.clone(),
                qr_svg: app.qr_svg(),
            })
        }
        _ => None,
    };
    Ok(super::TwoFactorStatus {
        enabled_since: row.totp_enabled_at.map(from_millis),
        recovery_codes_left: row.recovery_codes_left,
        required_by: required_by(user),
        setup,
    })
}

/// Who requires two-factor sign-in of `user`.
fn required_by(user: &super::session::SessionUser) -> Vec<String> {
    let platform = user.is_platform_admin.then(|| "Platform admins".to_owned());
    platform
        .into_iter()
        .chain(
            user.memberships
                .iter()
                .filter(|m| m.require_two_factor)
                .map(|m| m.name.clone()),
        )
        .collect()
}

/// Starts enrolment (again): a new secret, not in force until confirmed.
pub async fn start_two_factor(
    state: &Platform,
    user: &super::session::SessionUser,
) -> Result<(), AppError> {
    if !data::set_pending_totp_secret(&state.db, user.user_id, &new_secret()).await? {
        return Err(AppError::Conflict(
            "Two-factor sign-in is already on.".into(),
        ));
    }
    Ok(())
}

/// Confirms enrolment with a code from the app: two-factor sign-in is on,
/// and ten recovery codes are made (returned once, stored hashed).
pub async fn turn_on_two_factor(
    state: &Platform,
    user: &super::session::SessionUser,
    code: &str,
) -> Result<super::RecoveryCodes, AppError> {
    let secret = data::two_factor_of(&state.db, user.user_id)
        .await?
        .filter(|t| t.totp_enabled_at.is_none())
        .and_then(|t| t.totp_secret)
        .ok_or_else(|| AppError::Conflict("Start setting up two-factor sign-in first.".into()))?;
    let now = state.clock.now();
    let step = match SecondFactor::parse(code) {
        Some(SecondFactor::Code(code)) => Authenticator::new(&secret, &user.email)
            .and_then(|app| app.step_of(&code, now.timestamp())),
        _ => None,
    };
    let Some(step) = step else {
        return Err(AppError::validation(
            "code",
            "That is not the code the app shows now. Check the app's clock, and that it scanned this QR code.",
        ));
    };
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
    let mut tx = begin_write(&state.db).await?;
    let enabled =
        data::enable_totp(&mut tx, user.user_id, now.timestamp_millis(), step, &hashes).await?;
    if !enabled {
        return Err(AppError::Conflict(
            "Two-factor sign-in is already on.".into(),
        ));
    }
    tx.commit().await?;
    data::confirm_session(&state.db, &user.token_hash, now.timestamp_millis()).await?;
    super::session::security_event(state, "two_factor.enabled", &user.email, &user.email).await;
    Ok(super::RecoveryCodes(codes))
}

/// Turns two-factor sign-in off, with a current code from the app; not
/// while a role or an organisation requires it.
pub async fn turn_off_two_factor(
    state: &Platform,
    user: &super::session::SessionUser,
    code: &str,
) -> Result<(), AppError> {
    if let Some(who) = required_by(user).first() {
        return Err(AppError::Conflict(format!(
            "{who} require two-factor sign-in, so it stays on."
        )));
    }
    let current = match SecondFactor::parse(code) {
        Some(SecondFactor::Code(_)) => {
            super::session::throttled(
                state,
                &user.email,
                super::session::second_factor_matches(state, user.user_id, &user.email, code),
            )
            .await?
        }
        _ => false,
    };
    if !current {
        return Err(AppError::validation(
            "code",
            "Enter the code your authenticator app shows now.",
        ));
    }
    let mut tx = begin_write(&state.db).await?;
    data::clear_two_factor(&mut tx, user.user_id, None).await?;
    tx.commit().await?;
    super::session::security_event(state, "two_factor.disabled", &user.email, &user.email).await;
    Ok(())
}

/// Two-factor sign-in on for `email` with a given secret and no recovery
/// codes: the demo's admin, when LEADLINE_DEMO_TOTP_SECRET is set (tests).
pub async fn turn_on_two_factor_with(
    state: &Platform,
    email: &str,
    secret: &str,
) -> Result<(), AppError> {
    let user = find(state, email).await?;
    if Authenticator::new(secret, &user.email).is_none() {
        return Err(AppError::validation(
            "totp_secret",
            "The authenticator secret must be base32, at least 128 bits.",
        ));
    }
    data::set_pending_totp_secret(&state.db, user.id, secret).await?;
    let mut tx = begin_write(&state.db).await?;
    data::enable_totp(
        &mut tx,
        user.id,
        state.clock.now().timestamp_millis(),
        0,
        &[],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A platform admin's (or the operator's) reset of a locked-out user's
/// second factor: it is off, its recovery codes are gone, the security log
/// names who did it, and the user is told at their next sign-in.
pub async fn reset_two_factor(state: &Platform, email: &str, actor: &str) -> Result<(), AppError> {
    let user = find(state, email).await?;
    let mut tx = begin_write(&state.db).await?;
    data::clear_two_factor(&mut tx, user.id, Some(state.clock.now().timestamp_millis())).await?;
    tx.commit().await?;
    super::session::security_event(state, "two_factor.reset", &user.email, actor).await;
    Ok(())
}
