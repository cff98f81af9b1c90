//! Server-side sessions: a random token in an HttpOnly cookie, stored hashed.

use axum::http::{header, request::Parts, HeaderValue};
use leptos::prelude::*;
use rand::RngCore;

use super::{data, domain::Email, password, ActiveOrg, OrgChoice, Viewer};
use crate::error::AppError;
use crate::keys::domain::KeyHash;
use crate::orgs::data::{memberships_of, MembershipRow};
use crate::orgs::domain::MemberPermissions;
use crate::server::AppState;

const COOKIE: &str = "leadline_session";
const SECURE_COOKIE: &str = "__Host-leadline_session";

/// The app state, as provided to every server function by leptos_axum.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or(AppError::Internal)
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
        self.active.as_ref().ok_or_else(|| {
            AppError::Forbidden("You are not a member of any organisation yet.".into())
        })
    }

    /// Any member of the active organisation (the Leads pages).
    pub fn require_member(&self) -> Result<OrgScope, AppError> {
        Ok(self.scope(self.active()?))
    }

    /// The Developer permission and the Developer API flag, both required.
    pub fn require_developer(&self) -> Result<OrgScope, AppError> {
        let viewer = self.viewer();
        let org = viewer.active.as_ref().ok_or_else(|| {
            AppError::Forbidden("You are not a member of any organisation yet.".into())
        })?;
        match org.developer_access().explain(&org.name) {
            None => Ok(self.scope(self.active()?)),
            Some(why) => Err(AppError::Forbidden(why)),
        }
    }

    pub fn require_org_admin(&self) -> Result<OrgScope, AppError> {
        let m = self.active()?;
        if m.is_admin {
            Ok(self.scope(m))
        } else {
            Err(AppError::Forbidden(format!(
                "You need the Admin permission in {} to manage members.",
                m.name
            )))
        }
    }

    pub fn require_platform_admin(&self) -> Result<(), AppError> {
        if self.is_platform_admin {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Only platform admins can do this.".into(),
            ))
        }
    }
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

fn session_token(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(state: &AppState, value: &str, max_age_secs: u64) {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}",
        cookie_name(state)
    );
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// Resolves the session of the current request, if any and still valid.
pub async fn current() -> Result<Option<SessionUser>, AppError> {
    let state = state()?;
    let Some(parts) = use_context::<Parts>() else {
        return Ok(None);
    };
    let Some(token) = session_token(&parts, cookie_name(&state)) else {
        return Ok(None);
    };
    resolve(&state, &token).await
}

pub async fn resolve(state: &AppState, token: &str) -> Result<Option<SessionUser>, AppError> {
    let token_hash = KeyHash::of(token).as_str().to_owned();
    let Some(row) = data::find_session(&state.db, &token_hash).await? else {
        return Ok(None);
    };
    let now = state.clock.now().timestamp_millis();
    let idle = state.config.session_idle.as_millis() as i64;
    let absolute = state.config.session_absolute.as_millis() as i64;
    if now - row.last_seen_at > idle || now - row.created_at > absolute {
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
    let now = state.clock.now();
    let key = email.trim().to_lowercase();
    if let Some(retry_after_secs) = state.limits.sign_in_per_account.is_blocked(&key, now) {
        return Err(AppError::Throttled { retry_after_secs });
    }
    let user = match Email::parse(email) {
        Ok(email) => data::find_user_by_email(&state.db, email.as_str()).await?,
        Err(_) => None,
    };
    let candidate = candidate.to_owned();
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verified = tokio::task::spawn_blocking(move || match stored {
        Some(stored) => password::verify(&candidate, &stored),
        None => {
            password::verify_nothing(&candidate);
            false
        }
    })
    .await
    .map_err(|_| AppError::Internal)?;
    let user = match (user, verified) {
        (Some(user), true) => user,
        _ => {
            state.limits.sign_in_per_account.hit(&key, now);
            tracing::info!(email = %key, "sign-in failed");
            return Err(AppError::WrongCredentials);
        }
    };
    state.limits.sign_in_per_account.clear(&key);

    // Rotate: whatever session this browser had ends here.
    if let Some(parts) = use_context::<Parts>() {
        if let Some(old) = session_token(&parts, cookie_name(&state)) {
            data::delete_session(&state.db, KeyHash::of(&old).as_str()).await?;
        }
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let first_org = memberships_of(&state.db, user.id)
        .await?
        .first()
        .map(|m| m.organisation_id);
    data::insert_session(
        &state.db,
        KeyHash::of(&token).as_str(),
        user.id,
        first_org,
        now.timestamp_millis(),
    )
    .await?;
    set_cookie(&state, &token, state.config.session_absolute.as_secs());
    tracing::info!(user_id = user.id, "signed in");
    Ok(())
}

pub async fn sign_out() -> Result<(), AppError> {
    let state = state()?;
    if let Some(user) = current().await? {
        data::delete_session(&state.db, &user.token_hash).await?;
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
