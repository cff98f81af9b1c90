//! API keys: the Developer page, its server functions and the key domain.

#[cfg(feature = "ssr")]
pub mod alerts;
#[cfg(feature = "ssr")]
pub mod cache;
#[cfg(feature = "ssr")]
pub mod data;
pub mod domain;
pub mod pages;
pub mod requests;
#[cfg(feature = "ssr")]
pub mod service;
pub mod token;
pub mod usage;
#[cfg(feature = "ssr")]
pub mod verify;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::web::forms::{finish, finish_showing, Then};
use domain::{CreatedKey, Grace, KeyPolicy, KeySummary, Permissions};

pub const KEYS_PAGE_SIZE: i64 = 20;
/// How many keys past the page's start the list counts (50 pages): enough
/// for "Page 3 of 12", while an organisation with ten thousand keys reads
/// "Page 3 of 53+" instead of counting them all on every view.
pub const KEYS_COUNTED_AHEAD: i64 = 1000;

/// What keys need beyond the platform: the credential cache, the usage
/// recorder, the request log's queue, and the prefixes of keys made before
/// checksums. Cheap to clone;
/// it derefs to the `Platform` it holds.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct KeyState(std::sync::Arc<KeyShared>);

#[cfg(feature = "ssr")]
pub struct KeyShared {
    pub platform: crate::platform::Platform,
    pub credentials: cache::CredentialCache,
    pub usage: usage::recorder::Usage,
    /// The API request log's unwritten rows.
    pub requests: requests::recorder::RequestLog,
    /// Prefixes of the keys made before checksums (loaded at start; none is
    /// ever added): the only tokens with a bad checksum worth looking up.
    pub legacy_keys: std::collections::HashSet<String>,
}

#[cfg(feature = "ssr")]
impl KeyState {
    pub fn new(
        platform: crate::platform::Platform,
        legacy_keys: std::collections::HashSet<String>,
    ) -> Self {
        Self(std::sync::Arc::new(KeyShared {
            credentials: cache::CredentialCache::new(std::sync::Arc::clone(&platform.changes)),
            usage: usage::recorder::Usage::new(platform.db.clone()),
            requests: requests::recorder::RequestLog::holding(
                platform.db.clone(),
                platform.config.request_log_rows_per_flush(),
            ),
            legacy_keys,
            platform,
        }))
    }

    /// The keys state of the request being served (server functions).
    pub fn current() -> Result<Self, AppError> {
        use_context::<Self>().ok_or(AppError::Internal)
    }
}

#[cfg(feature = "ssr")]
impl std::ops::Deref for KeyState {
    type Target = KeyShared;

    fn deref(&self) -> &KeyShared {
        &self.0
    }
}

#[cfg(feature = "ssr")]
impl std::ops::Deref for KeyShared {
    type Target = crate::platform::Platform;

    fn deref(&self) -> &crate::platform::Platform {
        &self.platform
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeysPage {
    pub keys: Vec<KeySummary>,
    /// The key a dialog was opened for, when it is not on this page.
    pub opened: Option<KeySummary>,
    pub page: i64,
    /// How many keys the list has, or, when it has more than that, how many
    /// were counted (`more`).
    pub total: i64,
    /// Whether the list has more keys than `total`: keys are counted only
    /// up to `KEYS_COUNTED_AHEAD` past the page's start.
    pub more: bool,
    pub page_size: i64,
    /// Working keys, on any page, that expire within 7 days.
    pub expiring_soon: i64,
    /// Keys revoked because someone reported them as leaked.
    pub leaked: i64,
    pub policy: KeyPolicy,
    /// The policy in words, for the line above the list.
    pub policy_text: String,
    /// What "New key" pre-fills in Expiry, under a maximum lifetime.
    pub suggested_expiry: Option<String>,
    /// Whether the list shows only keys unused for 90 days.
    pub unused_only: bool,
    /// All keys' requests over 7 days and the top keys.
    pub overview: usage::domain::OrgOverview,
}

#[cfg(feature = "ssr")]
async fn developer() -> Result<(KeyState, crate::auth::session::OrgScope), AppError> {
    let granted = crate::auth::session::guard(crate::auth::session::Need::Developer).await?;
    Ok((KeyState::current()?, granted.org))
}

/// `developer()` for the changes that ask again for a password or code when
/// the last one is over 15 minutes old (a new key, a roll).
#[cfg(feature = "ssr")]
async fn developer_confirmed(
    confirm_password: &str,
) -> Result<(KeyState, crate::auth::session::OrgScope), AppError> {
    use crate::auth::session::{guard_confirmed, Need};
    let granted = guard_confirmed(Need::Developer, confirm_password).await?;
    Ok((KeyState::current()?, granted.org))
}

/// The active organisation's keys, newest first; with `unused_only`, only
/// working keys unused for 90 days.
#[server(input = Json)]
pub async fn list_keys(
    page: i64,
    #[server(default)] unused_only: bool,
    #[server(default)] open: Option<i64>,
) -> Result<KeysPage, AppError> {
    let (state, org) = developer().await?;
    // Clamped so that the offset cannot overflow, whatever the caller sends.
    let page = page.clamp(1, i64::MAX / KEYS_PAGE_SIZE);
    let now = state.clock.now();
    let filter = if unused_only {
        let now = now.timestamp_millis();
        data::KeyFilter::UnusedSince {
            before: now
                - crate::keys::usage::domain::UNUSED_DAYS * crate::keys::usage::domain::DAY_MS,
            now,
        }
    } else {
        data::KeyFilter::All
    };
    let rows = data::list(
        &state.db,
        org.id,
        filter,
        KEYS_PAGE_SIZE,
        (page - 1) * KEYS_PAGE_SIZE,
    )
    .await?;
    let calls = crate::keys::usage::service::calls_last_24_hours(&state, org.id).await?;
    let alerts = data::alerts(&state.db, org.id, now.timestamp_millis()).await?;
    let policy = service::policy(&state, &org).await?;
    let keys = rows
        .iter()
        .map(|r| {
            let mut key = service::summary(&state, r);
            if !key.status.works() {
                key.calls_24h = calls.get(&key.id).copied().unwrap_or(0);
            }
            key
        })
        .collect();
    // A dialog opened for a key on another page (a link from a mail).
    let opened = match open.filter(|id| !rows.iter().any(|r| r.id == *id)) {
        Some(id) => data::find(&mut *state.db.acquire().await?, org.id, id)
            .await?
            .map(|row| service::summary(&state, &row)),
        None => None,
    };
    let counted = ((page - 1) * KEYS_PAGE_SIZE).saturating_add(KEYS_COUNTED_AHEAD);
    let total = data::count(&state.db, org.id, filter, counted).await?;
    Ok(KeysPage {
        keys,
        opened,
        page,
        total: total.unwrap_or(counted),
        more: total.is_none(),
        unused_only,
        overview: usage::service::overview(&state, org.id).await?,
        page_size: KEYS_PAGE_SIZE,
        expiring_soon: alerts.expiring_soon,
        leaked: alerts.leaked,
        suggested_expiry: policy.suggested_expiry(now),
        policy_text: policy.describe(),
        policy,
    })
}

/// "Create key". The response is the only time the plaintext is sent. A
/// form post (URL-encoded) so that it works before the wasm has loaded; then
/// the key goes to the page view that reveals it as a flash, never in a URL.
#[server]
pub async fn create_key(
    name: String,
    #[server(default)] permissions: Permissions,
    #[server(default)] expires_at: String,
    #[server(default)] confirm_password: String,
) -> Result<CreatedKey, AppError> {
    finish_showing(
        Then::Back,
        async {
            let (state, org) = developer_confirmed(&confirm_password).await?;
            let new = domain::NewKey::parse(&name, permissions, &expires_at, state.clock.now())?;
            service::create(&state, &org, new, false).await
        },
        reveal,
    )
    .await
}

/// The key a plain form post made, for the page that reveals it, and out of
/// the redirect's body.
#[cfg(feature = "ssr")]
fn reveal(created: &mut CreatedKey) -> Option<crate::web::flash::Flash> {
    let shown = CreatedKey {
        key: created.key.clone(),
        plaintext: std::mem::take(&mut created.plaintext),
    };
    crate::web::flash::Flash::show(&shown)
}

#[cfg(feature = "ssr")]
impl crate::web::flash::ShownOnce for CreatedKey {
    const KIND: &'static str = "new_key";
}

// The Developer page's dialogs post these as plain forms (URL-encoded); on
// success the browser goes back to the list, with the dialog closed.

/// Name, permissions and IP allowlist only: expiry can't change once a key
/// is created.
#[server]
pub async fn update_key(
    id: i64,
    name: String,
    #[server(default)] permissions: Permissions,
    #[server(default)] allowed_ips: String,
) -> Result<KeySummary, AppError> {
    finish(Then::Back, async {
        let (state, org) = developer().await?;
        service::update(&state, &org, id, &name, permissions, &allowed_ips).await
    })
    .await
}

/// "Roll key": a new key, shown once; the old one retires after `grace`.
#[server]
pub async fn roll_key(
    id: i64,
    grace: Grace,
    #[server(default)] confirm_password: String,
) -> Result<CreatedKey, AppError> {
    finish_showing(
        Then::Back,
        async {
            let (state, org) = developer_confirmed(&confirm_password).await?;
            service::roll(&state, &org, id, grace).await
        },
        reveal,
    )
    .await
}

/// Keeps a rolled key working: cancels its scheduled revocation.
#[server]
pub async fn cancel_retirement(id: i64) -> Result<KeySummary, AppError> {
    finish(Then::Back, async {
        let (state, org) = developer().await?;
        service::cancel_retirement(&state, &org, id).await
    })
    .await
}

/// The organisation's key policy; org admins only.
#[server]
pub async fn set_key_policy(
    #[server(default)] max_lifetime_days: String,
    #[server(default)] expiry_required: bool,
    #[server(default)] confirm_password: String,
) -> Result<KeyPolicy, AppError> {
    finish(Then::Back, async {
        use crate::auth::session::{guard_confirmed, Need};
        let granted = guard_confirmed(Need::OrgAdmin, &confirm_password).await?;
        let policy = KeyPolicy::parse(&max_lifetime_days, expiry_required)
            .map_err(|e| AppError::Validation(vec![e]))?;
        service::set_policy(&KeyState::current()?, &granted.org, policy).await
    })
    .await
}

#[server]
pub async fn revoke_key(id: i64) -> Result<KeySummary, AppError> {
    finish(Then::Back, async {
        let (state, org) = developer().await?;
        service::revoke(&state, &org, id).await
    })
    .await
}

#[server]
pub async fn delete_key(id: i64) -> Result<(), AppError> {
    finish(Then::Back, async {
        let (state, org) = developer().await?;
        service::delete(&state, &org, id).await
    })
    .await
}

/// "Generate test token" on a docs endpoint page: a 1-hour leads CRUD key
/// named "Docs playground (temp)".
#[server(input = Json)]
pub async fn generate_test_token() -> Result<CreatedKey, AppError> {
    let (state, org) = developer().await?;
    service::create_playground(&state, &org).await
}
