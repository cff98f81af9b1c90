//! Plain HTML form posts: what the dashboard's forms do before the wasm has
//! loaded (or with JavaScript off). Such a post is answered with a redirect.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, request::Parts};
use leptos::prelude::use_context;

use crate::keys::domain::CreatedKey;

/// Whether the current server-function call is a plain form post: the
/// browser asked for a page, not for data.
pub fn is_plain_form_post() -> bool {
    use_context::<Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// After a plain form post succeeded, go to `path` (rather than back to the
/// form). Calls from the hydrated page get their data and move on themselves.
pub fn redirect_plain_form_post(path: &str) {
    if is_plain_form_post() {
        leptos_axum::redirect(path);
    }
}

/// A key created by a plain form post, held in memory for the one page view
/// that shows it: the redirect cannot carry it (a key never goes in a URL).
/// Taken once, by the same session, within a minute; never written anywhere.
#[derive(Default)]
pub struct PendingReveals(Mutex<HashMap<String, (CreatedKey, Instant)>>);

const REVEAL_WITHIN: Duration = Duration::from_secs(60);

impl PendingReveals {
    pub fn put(&self, session_token_hash: &str, created: CreatedKey) {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, (_, at)| at.elapsed() < REVEAL_WITHIN);
        pending.insert(session_token_hash.to_owned(), (created, Instant::now()));
    }

    pub fn take(&self, session_token_hash: &str) -> Option<CreatedKey> {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        pending
            .remove(session_token_hash)
            .filter(|(_, at)| at.elapsed() < REVEAL_WITHIN)
            .map(|(created, _)| created)
    }
}
