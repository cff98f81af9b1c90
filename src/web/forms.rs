//! How a form post finishes. The dashboard's forms are plain HTML posts to
//! server functions (they work before any wasm has loaded, or with
//! JavaScript off); each is answered with a redirect. What the redirect
//! cannot carry travels as a flash (`flash.rs`), which any instance can
//! read: nothing waits in one process's memory.
//!
//! - `finish` is the one way a server function that a form posts to ends.
//! - `form_flow` is the one middleware: it keeps a post's fields for
//!   `finish`, and takes the flash a page view was sent to show.
//! - `provide_flash_for_this_view` hands that flash to the page.

use std::future::Future;

use axum::extract::{Request, State};
use axum::http::{header, request::Parts, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::{provide_context, use_context};
use leptos::server::ServerActionError;
use leptos::server_fn::error::ServerFnUrlError;

use super::flash::{self, Flash, FlashId, Liveness, Refused, ShownOnce};
use crate::error::{AppError, FieldError};
use crate::platform::Platform;

/// The largest body a server function accepts.
pub const SERVER_FN_BODY_LIMIT: usize = 64 * 1024;

/// Query parameters that belong to one answer and are never carried on.
const ONE_VIEW_PARAMS: [&str; 7] = [
    "flash", "error", "error_in", "invalid", "retry", "__err", "__path",
];
/// The parameters that open a dialog (`?dialog=NAME&id=ID`).
const DIALOG_PARAMS: [&str; 2] = ["dialog", "id"];

/// Where a form post that succeeded goes.
pub enum Then {
    /// Back to the page the form is on, with its dialog closed and its
    /// filters, search and page kept.
    Back,
    /// To another page.
    Go(&'static str),
    /// To a page named at run time; the caller checks it is one of ours.
    To(String),
}

/// The one way a server function that a form posts to finishes: run `work`
/// and answer. A call from script gets the result as it is. A plain form
/// post (the browser asked for a page) is answered with a redirect: on
/// success as `then` says; on failure back to the form, its dialog still
/// open, with the error and the fields it sent.
pub async fn finish<T>(
    then: Then,
    work: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    finish_showing(then, work, |_| None).await
}

/// `finish`, and on success the page it goes to is handed what `show` takes
/// out of the result (a secret shown once): as a flash for a plain form
/// post, in the answer itself for a call from script.
pub async fn finish_showing<T>(
    then: Then,
    work: impl Future<Output = Result<T, AppError>>,
    show: impl FnOnce(&mut T) -> Option<Flash>,
) -> Result<T, AppError> {
    finish_going_showing(async { work.await.map(|value| (value, then)) }, show).await
}

/// `finish`, where the outcome says where to go (signing in goes on to the
/// second factor when the account has one).
pub async fn finish_going<T>(
    work: impl Future<Output = Result<(T, Then), AppError>>,
) -> Result<T, AppError> {
    finish_going_showing(work, |_| None).await
}

async fn finish_going_showing<T>(
    work: impl Future<Output = Result<(T, Then), AppError>>,
    show: impl FnOnce(&mut T) -> Option<Flash>,
) -> Result<T, AppError> {
    let result = work.await;
    let Some(post) = PlainPost::current() else {
        return result.map(|(value, _)| value);
    };
    match result {
        Ok((mut value, then)) => {
            let mut to = match then {
                Then::Back => post.back(&DIALOG_PARAMS),
                Then::Go(path) => path.to_owned(),
                Then::To(path) => path,
            };
            if let Some(shown) = show(&mut value) {
                match post.keep(&shown).await {
                    Ok(id) => to = with_param(&to, "flash", id.as_str()),
                    Err(refused) => {
                        tracing::warn!(?refused, "a flash was refused");
                        to = with_error(&post.back(&[]), &post.action, &AppError::Internal);
                    }
                }
            }
            leptos_axum::redirect(&to);
            Ok(value)
        }
        Err(error) => {
            let back = post.back(&[]);
            let fields = post.fields();
            let failed = |fields| Flash::Failed {
                action: post.action.clone(),
                error: error.clone(),
                fields,
            };
            let kept = match post.keep(&failed(fields)).await {
                // Too large to keep with its values: keep the error alone.
                Err(Refused::TooLarge) => post.keep(&failed(Vec::new())).await,
                kept => kept,
            };
            let to = match kept {
                Ok(id) => with_param(&back, "flash", id.as_str()),
                // No session to keep it for (signing in, a reset link):
                // the address carries a code the page maps to fixed text.
                Err(_) => with_error(&back, &post.action, &error),
            };
            leptos_axum::redirect(&to);
            Err(error)
        }
    }
}

/// The plain form post being answered.
struct PlainPost {
    state: Platform,
    parts: Parts,
    /// The server function's path: the page shows the error at its form.
    action: String,
}

impl PlainPost {
    fn current() -> Option<Self> {
        let parts = use_context::<Parts>()?;
        if !accepts_html(&parts.headers) {
            return None;
        }
        Some(Self {
            state: use_context::<Platform>()?,
            action: parts.uri.path().to_owned(),
            parts,
        })
    }

    /// The page the form is on (its Referer, on this site), without the
    /// parameters of one answer and those in `drop`.
    fn back(&self, drop: &[&str]) -> String {
        let referer = self
            .parts
            .headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("/");
        without_params(on_this_site(referer), drop)
    }

    /// The fields it sent, except passwords.
    fn fields(&self) -> Vec<(String, String)> {
        self.parts
            .extensions
            .get::<PostedForm>()
            .map(|form| {
                form_urlencoded::parse(&form.0)
                    .filter(|(name, _)| !name.to_ascii_lowercase().contains("password"))
                    .map(|(name, value)| (name.into_owned(), value.into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn keep(&self, shown: &Flash) -> Result<FlashId, Refused> {
        let Some(token) =
            crate::web::cookies::session_token(&self.state.config, &self.parts.headers)
        else {
            return Err(Refused::NoSession);
        };
        let now = self.state.clock.now();
        let live = liveness(&self.state, now);
        match flash::put(&self.state.db, now, &live, &token, shown).await {
            Ok(kept) => kept,
            Err(error) => {
                tracing::error!(%error, "could not keep a flash");
                Err(Refused::NoSession)
            }
        }
    }
}

fn liveness(state: &Platform, now: chrono::DateTime<chrono::Utc>) -> Liveness {
    let ago = |d: std::time::Duration| now - chrono::Duration::from_std(d).unwrap_or_default();
    Liveness {
        seen_after: ago(state.config.session_idle),
        started_after: ago(state.config.session_absolute),
    }
}

fn accepts_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
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

/// `path_and_query` without the parameters of one answer and those in `drop`.
fn without_params(path_and_query: &str, drop: &[&str]) -> String {
    let one_answer = |name: &str| ONE_VIEW_PARAMS.contains(&name) || drop.contains(&name);
    without(path_and_query, one_answer)
}

/// `path_and_query` without the parameters whose name `drop` picks.
fn without(path_and_query: &str, drop: impl Fn(&str) -> bool) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !drop(pair.split('=').next().unwrap_or_default()))
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

fn with_param(path_and_query: &str, name: &str, value: &str) -> String {
    let joiner = if path_and_query.contains('?') {
        '&'
    } else {
        '?'
    };
    let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    format!("{path_and_query}{joiner}{name}={value}")
}

/// `to` with the error as a code (and, for a form's fields, their names),
/// which `error_from_address` maps back to fixed text: a link anyone can
/// craft must not put words of theirs on this site's pages.
fn with_error(to: &str, action: &str, error: &AppError) -> String {
    let mut to = with_param(to, "error", error.code());
    to = with_param(&to, "error_in", action);
    for field in error.field_errors() {
        to = with_param(&to, "invalid", &field.field);
    }
    if let AppError::Throttled { retry_after_secs } = error {
        to = with_param(&to, "retry", &retry_after_secs.to_string());
    }
    to
}

/// The error an address names by code, in this site's own words.
fn error_from_address(code: &str, invalid: &[String], retry: Option<u64>) -> AppError {
    use crate::platform::text::{PASSWORD_MAX, PASSWORD_MIN};
    match code {
        "wrong_credentials" => AppError::WrongCredentials,
        "account_disabled" => AppError::AccountDisabled,
        "reset_link_invalid" => AppError::ResetLinkInvalid,
        "invitation_invalid" => AppError::InvitationInvalid,
        "invalid_code" => AppError::InvalidCode,
        "confirmation_required" => AppError::ConfirmationRequired,
        "sign_in_required" => AppError::SignInRequired,
        "not_found" => AppError::NotFound,
        "service_unavailable" => AppError::Unavailable,
        "too_many_attempts" => AppError::Throttled {
            retry_after_secs: retry.unwrap_or(60).clamp(1, 3600),
        },
        "validation_failed" => AppError::Validation(
            invalid
                .iter()
                .take(20)
                .map(|field| {
                    let message = match field.as_str() {
                        "email" => "Enter a valid email address, like name@example.com.".to_owned(),
                        name if name.contains("password") => {
                            format!("Use {PASSWORD_MIN} to {PASSWORD_MAX} characters that are not easy to guess (a few uncommon words work well).")
                        }
                        _ => "Check this field.".to_owned(),
                    };
                    FieldError::new(field, message)
                })
                .collect(),
        ),
        _ => AppError::Internal,
    }
}

/// The body of the plain form post being answered, for `finish` (the
/// server function reads it too, so `form_flow` buffers it).
#[derive(Clone)]
struct PostedForm(axum::body::Bytes);

/// The flash a page view was sent to show, taken by `form_flow`.
#[derive(Clone)]
struct TakenFlash(Flash);

/// The one middleware of the dashboard's form flow. A plain form post
/// (URL-encoded, from a browser asking for a page) has its body kept for
/// `finish`. A page view takes the flash its address names (`flash=ID`),
/// once, and never believes an error written in its address by anyone
/// (`__err`, Leptos's own way, is dropped).
pub async fn form_flow(State(state): State<Platform>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let is_form = parts.method == Method::POST
        && accepts_html(&parts.headers)
        && parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let Ok(bytes) = axum::body::to_bytes(body, SERVER_FN_BODY_LIMIT).await else {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        };
        parts.extensions.insert(PostedForm(bytes.clone()));
        return next
            .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
            .await;
    }
    if parts.method == Method::GET {
        if let Some(query) = parts.uri.query() {
            let id = form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "flash")
                .and_then(|(_, value)| FlashId::parse(&value));
            if query.contains("__err") || query.contains("__path") {
                let cleaned = without(&parts.uri.to_string(), |name| {
                    name == "__err" || name == "__path"
                });
                if let Ok(uri) = cleaned.parse::<Uri>() {
                    parts.uri = uri;
                }
            }
            let token = crate::web::cookies::session_token(&state.config, &parts.headers);
            if let (Some(id), Some(token)) = (id, token) {
                match flash::take(&state.db, state.clock.now(), &token, &id).await {
                    Ok(Some(taken)) => {
                        parts.extensions.insert(TakenFlash(taken));
                    }
                    Ok(None) => {}
                    Err(error) => tracing::warn!(%error, "could not take a flash"),
                }
            }
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The fields of the failed form post this page view shows the error of.
#[derive(Clone, Debug, Default)]
pub struct FormEcho(pub Vec<(String, String)>);

/// Once per page view, before anything renders: hands the page what its
/// flash holds, through context. A failed form's error reaches the
/// `ServerAction` of its form, as Leptos does for `__err`, and its fields
/// `ui::posted`. Without a flash, an error code in the address (a form
/// posted without a session) is shown in fixed words.
pub fn provide_flash_for_this_view() {
    let Some(parts) = use_context::<Parts>() else {
        return;
    };
    match parts.extensions.get::<TakenFlash>().map(|t| t.0.clone()) {
        // For `provide_shown`, which the shell calls for each type it shows.
        Some(shown @ Flash::Shown { .. }) => provide_context(TakenFlash(shown)),
        Some(Flash::Failed {
            action,
            error,
            fields,
        }) => {
            provide_action_error(&action, error);
            provide_context(FormEcho(fields));
        }
        None => {
            let query = parts.uri.query().unwrap_or_default();
            let mut code = None;
            let mut action = None;
            let mut invalid = Vec::new();
            let mut retry = None;
            for (name, value) in form_urlencoded::parse(query.as_bytes()) {
                match &*name {
                    "error" => code = Some(value.into_owned()),
                    "error_in" => action = Some(value.into_owned()),
                    "invalid" => invalid.push(value.into_owned()),
                    "retry" => retry = value.parse().ok(),
                    _ => {}
                }
            }
            if let (Some(code), Some(action)) = (code, action) {
                provide_action_error(&action, error_from_address(&code, &invalid, retry));
                provide_context(FormEcho::default());
            }
        }
    }
}

/// Hands the page view the `T` its flash shows, if it shows one: the page
/// reads it with `use_context::<T>()`. Call after
/// `provide_flash_for_this_view`.
pub fn provide_shown<T: ShownOnce>() {
    if let Some(value) = use_context::<TakenFlash>().and_then(|taken| taken.0.shown::<T>()) {
        provide_context(value);
    }
}

/// Shows `error` at the form of the server function at `action`.
fn provide_action_error(action: &str, error: AppError) {
    let encoded = ServerFnUrlError::new(action, error)
        .to_url("http://leadline.invalid/")
        .ok()
        .and_then(|url| {
            url.query_pairs()
                .find(|(name, _)| name == "__err")
                .map(|(_, value)| value.into_owned())
        });
    if let Some(encoded) = encoded {
        provide_context(ServerActionError::new(action, &encoded));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_back_keeps_the_path_and_never_leaves_the_site() {
        assert_eq!(
            on_this_site("http://127.0.0.1:3000/developer?dialog=edit&id=3"),
            "/developer?dialog=edit&id=3"
        );
        assert_eq!(on_this_site("https://leadline.example"), "/");
        assert_eq!(on_this_site("/leads?q=x"), "/leads?q=x");
        assert_eq!(on_this_site("https://a.example//evil.example/x"), "/");
        assert_eq!(on_this_site("https://a.example/\\evil.example"), "/");
        assert_eq!(on_this_site("evil.example"), "/");
    }

    #[test]
    fn back_keeps_filters_and_drops_what_belongs_to_one_answer() {
        let page =
            "/leads?q=acme&before=40&dialog=edit&id=7&flash=ab&error=x&error_in=/api/y&__err=z";
        assert_eq!(
            without_params(page, &[]),
            "/leads?q=acme&before=40&dialog=edit&id=7"
        );
        assert_eq!(
            without_params(page, &DIALOG_PARAMS),
            "/leads?q=acme&before=40"
        );
        assert_eq!(without_params("/leads?flash=ab", &[]), "/leads");
    }

    #[test]
    fn an_error_in_the_address_is_a_code_shown_in_fixed_words() {
        let to = with_error(
            "/reset-password/x",
            "/api/reset_password",
            &AppError::validation("password", "anything at all"),
        );
        assert_eq!(
            to,
            "/reset-password/x?error=validation_failed&error_in=%2Fapi%2Freset_password&invalid=password"
        );
        let shown = error_from_address("validation_failed", &["password".into()], None);
        assert!(shown.field_errors()[0]
            .message
            .starts_with("Use 10 to 128 characters"));
        // A code nobody issued reads as a fault, never as the link's words.
        let crafted = error_from_address("Your account is locked, call 555", &[], None);
        assert_eq!(crafted, AppError::Internal);
        assert_eq!(
            error_from_address("too_many_attempts", &[], Some(999_999)),
            AppError::Throttled {
                retry_after_secs: 3600
            }
        );
    }
}
