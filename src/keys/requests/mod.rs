//! The request log: each API request by a known key, refusals included,
//! findable by the `Request-Id` its answer carried. Dashboard → Developer →
//! Requests, its export, and what the API layer fills in for each request.

#[cfg(feature = "ssr")]
pub mod data;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod export;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod recorder;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use domain::{RequestQuery, RequestsPage};

/// A page of the organisation's request log. Needs what the Developer page
/// needs: the Developer permission and the organisation's flag.
#[server(input = Json)]
pub async fn list_requests(query: RequestQuery) -> Result<RequestsPage, AppError> {
    let granted = crate::auth::session::guard(crate::auth::session::Need::Developer).await?;
    let state = super::KeyState::current()?;
    let origin = origin(&state).await;
    service::page(&state, granted.org.id, &query, &origin).await
}

/// Where users reach this server, for "Copy as curl": the configured public
/// address, else the address this page was asked for.
#[cfg(feature = "ssr")]
async fn origin(state: &super::KeyState) -> String {
    if let Some(url) = state.config.public_url.as_deref() {
        return url.trim_end_matches('/').to_owned();
    }
    let host = leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .ok()
        .and_then(|headers| {
            headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// Who an API request came from, as far as authentication got: the key
/// extractor fills it in, and the request log reads it after the answer.
/// The API layer puts an empty one in every request's extensions.
#[cfg(feature = "ssr")]
#[derive(Clone, Default)]
pub struct RequestNote(std::sync::Arc<std::sync::OnceLock<Attribution>>);

/// The key (known to exist) a request named. Held inline: naming a request
/// allocates nothing.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
pub struct Attribution {
    pub organisation_id: i64,
    pub key_id: i64,
    pub key_prefix: recorder::LoggedPrefix,
    pub client_ip: std::net::IpAddr,
    /// When the request arrived, by the server's clock (ms).
    pub at: i64,
}

#[cfg(feature = "ssr")]
impl RequestNote {
    /// Names the request's key; the first naming stands.
    pub fn attribute(&self, attribution: Attribution) {
        let _ = self.0.set(attribution);
    }

    /// The attribution, once the answer is made: moved out when the
    /// request's copy of the note is gone by then, as it usually is.
    pub fn take(self) -> Option<Attribution> {
        match std::sync::Arc::try_unwrap(self.0) {
            Ok(cell) => cell.into_inner(),
            Err(shared) => shared.get().copied(),
        }
    }
}
