//! Plain HTML form posts: what the dashboard's forms do before the wasm has
//! loaded (or with JavaScript off). Such a post is answered with a redirect.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, request::Parts, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::{provide_context, use_context};

use super::state::AppState;

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

/// After a plain form post succeeded, go back to the page it came from,
/// without the error a previous attempt left in its address, and with the
/// dialog the form was in closed (`dialog`, `key`).
pub fn redirect_back() {
    if !is_plain_form_post() {
        return;
    }
    let Some(referer) = use_context::<Parts>().and_then(|parts| {
        parts
            .headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }) else {
        return;
    };
    let local = on_this_site(&referer);
    let (path, query) = local.split_once('?').unwrap_or((local, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            let name = p.split('=').next().unwrap_or_default();
            !p.is_empty() && !["__err", "__path", "dialog", "key"].contains(&name)
        })
        .collect();
    if kept.is_empty() {
        leptos_axum::redirect(path);
    } else {
        leptos_axum::redirect(&format!("{path}?{}", kept.join("&")));
    }
}

/// The path and query of a Referer, never its origin, so that a redirect
/// built from it stays on this site (`//host` and `/\\host` would leave it).
fn on_this_site(referer: &str) -> &str {
    let local = match referer.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => referer,
    };
    let leaves = local.starts_with("//") || local.starts_with("/\\");
    if local.starts_with('/') && !leaves {
        local
    } else {
        "/"
    }
}

/// `scheme://host` of the page the request came from (its Referer), as the
/// browser saw it: links people send each other are made absolute with it.
pub fn page_origin() -> Option<String> {
    let parts = use_context::<Parts>()?;
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let (scheme, rest) = referer.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{host}"))
}

/// Takes what `store` holds for the browser of the current request.
fn take_held<T>(store: impl Fn(&AppState) -> &HeldForOneView<T>) -> Option<T> {
    let (parts, state) = (use_context::<Parts>()?, use_context::<AppState>()?);
    let browser = crate::auth::session::browser_key(&state, &parts)?;
    store(&state).take(&browser)
}

/// Something held in memory for one page view of one browser, because a
/// redirect cannot carry it: taken once, by the same session, within a
/// minute; never written anywhere.
pub struct HeldForOneView<T>(Mutex<HashMap<String, (T, Instant)>>);

impl<T> Default for HeldForOneView<T> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

const HELD_FOR: Duration = Duration::from_secs(60);

impl<T> HeldForOneView<T> {
    pub fn put(&self, session_token_hash: &str, value: T) {
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        held.retain(|_, (_, at)| at.elapsed() < HELD_FOR);
        held.insert(session_token_hash.to_owned(), (value, Instant::now()));
    }

    pub fn take(&self, session_token_hash: &str) -> Option<T> {
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        held.remove(session_token_hash)
            .filter(|(_, at)| at.elapsed() < HELD_FOR)
            .map(|(value, _)| value)
    }
}

/// A key created by a plain form post, for the page it redirects to (a key
/// never goes in a URL).
pub type PendingReveals = HeldForOneView<CreatedKey>;

/// What a failed plain form post sent, for the one page view that shows its
/// error (the redirect carries the error, not the values), so that the form
/// comes back filled in: bad input loses nothing. Fields whose name says
/// password are never kept.
pub type FormEchoes = HeldForOneView<FormEcho>;

/// A password-reset link made by a plain form post, for the page it
/// redirects to (it is shown once).
pub type ResetLinks = HeldForOneView<String>;

/// An invitation link made by a plain form post, likewise.
pub type InvitationLinks = HeldForOneView<crate::orgs::SentInvitation>;

/// The fields of the failed form post this page view shows the error of.
#[derive(Clone, Debug, Default)]
pub struct FormEcho(pub Vec<(String, String)>);

/// Middleware on the dashboard's routes: when a plain form post (URL-encoded,
/// from a browser asking for a page) is answered with the redirect that
/// carries an error back to the form, its fields are kept for that page.
pub async fn remember_failed_form(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_form = request.method() == Method::POST
        && header_has(
            &request,
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        && header_has(&request, header::ACCEPT, "text/html");
    if !is_form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let browser = crate::auth::session::browser_key(&state, &parts);
    let Ok(bytes) = axum::body::to_bytes(body, super::startup::SERVER_FN_BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let response = next
        .run(Request::from_parts(
            parts,
            axum::body::Body::from(bytes.clone()),
        ))
        .await;
    let failed = response
        .headers()
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .is_some_and(|l| l.contains("__err="));
    if let (true, Some(browser)) = (failed, browser) {
        let fields = form_urlencoded::parse(&bytes)
            .filter(|(name, _)| !name.to_ascii_lowercase().contains("password"))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        state.form_echoes.put(&browser, FormEcho(fields));
    }
    response
}

fn header_has(request: &Request, name: header::HeaderName, part: &str) -> bool {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(part))
}

/// A password-reset link made by a plain post, for the page it returned to.
#[derive(Clone, Debug)]
pub struct ResetLink(pub String);

/// Once per page view, before anything renders (parts of a page may render
/// more than once while its data arrives): takes what this browser has held
/// for it and hands it to the page through context. The fields of a failed
/// form post go to a page that shows its error (`__err` in the address).
pub fn provide_held_for_this_view() {
    let shows_error = use_context::<Parts>()
        .is_some_and(|parts| parts.uri.query().is_some_and(|q| q.contains("__err=")));
    if let Some(fields) = shows_error.then(|| take_held(|s| &s.form_echoes)).flatten() {
        provide_context(fields);
    }
    if let Some(link) = take_held(|s| &s.reset_links) {
        provide_context(ResetLink(link));
    }
    if let Some(invitation) = take_held(|s| &s.invitation_links) {
        provide_context(invitation);
    }
}

#[cfg(test)]
mod tests {
    use super::on_this_site;

    #[test]
    fn a_redirect_back_keeps_the_path_and_never_leaves_the_site() {
        assert_eq!(
            on_this_site("http://127.0.0.1:3000/developer?dialog=edit&key=3"),
            "/developer?dialog=edit&key=3"
        );
        assert_eq!(on_this_site("https://leadline.example"), "/");
        assert_eq!(on_this_site("/leads?q=x"), "/leads?q=x");
        assert_eq!(on_this_site("https://a.example//evil.example/x"), "/");
        assert_eq!(on_this_site("https://a.example/\\evil.example"), "/");
        assert_eq!(on_this_site("evil.example"), "/");
    }
}
