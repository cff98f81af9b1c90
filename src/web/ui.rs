//! Small shared UI pieces: dialogs, field errors, dates,
//! lazily loaded pages.

use leptos::prelude::*;

use crate::error::{field_message, AppError, FieldError};

#[component]
pub fn ErrorBanner(#[prop(into)] message: String) -> impl IntoView {
    view! { <div class="banner error" role="alert">{message}</div> }
}

/// A page that says what access is missing and who can grant it.
#[component]
pub fn AccessDenied(#[prop(into)] title: String, #[prop(into)] message: String) -> impl IntoView {
    view! {
        <section class="card empty access-denied">
            <h2>{title}</h2>
            <p>{message}</p>
        </section>
    }
}

/// The error text for one field, if the last attempt reported one.
pub fn field_error(errors: Signal<Vec<FieldError>>, field: &'static str) -> impl IntoView {
    move || {
        field_message(&errors.get(), field).map(
            |m| view! { <p class="field-error" id=format!("{field}-error") role="alert">{m}</p> },
        )
    }
}

/// The "confirm it's you" field of a change that asks again for a password
/// or code when the last one is over 15 minutes old: shown once the server
/// asked (`ConfirmationRequired`), or when what was given did not match.
pub fn confirm_identity(result: &Option<Result<(), AppError>>) -> impl IntoView {
    let wrong = match result {
        Some(Err(AppError::Validation(fields))) => field_message(fields, "confirm_password"),
        _ => None,
    };
    let asked = matches!(result, Some(Err(AppError::ConfirmationRequired))) || wrong.is_some();
    asked.then(|| {
        view! {
            <label for="confirm-password">"Password or authentication code"</label>
            <input id="confirm-password" name="confirm_password" type="password" autofocus
                autocomplete="current-password" maxlength="1024" aria-describedby="confirm-password-help"/>
            <p class="muted small" id="confirm-password-help">"You last confirmed it's you over 15 minutes ago."</p>
            {wrong.map(|m| view! { <p class="field-error" id="confirm_password-error" role="alert">{m}</p> })}
        }
    })
}

/// Splits an action result into a general message and field messages.
pub fn error_parts(result: Option<Result<(), AppError>>) -> (Option<String>, Vec<FieldError>) {
    match result {
        Some(Err(AppError::Validation(fields))) => (None, fields),
        Some(Err(e)) => (Some(e.to_string()), vec![]),
        _ => (None, vec![]),
    }
}

/// A modal dialog, drawn by the server and opened from the page's address
/// (so that it works without wasm). Its close button is a link to
/// `close_href`, the page without the dialog; Escape and a click on the
/// backdrop follow that link (`PAGE_SCRIPT`).
#[component]
pub fn Modal(
    #[prop(into)] title: String,
    #[prop(into)] id: String,
    #[prop(into)] close_href: String,
    children: Children,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    view! {
        <div class="backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby=labelled_by id=id>
                <header class="modal-header">
                    <h2 id=title_id>{title}</h2>
                    <a class="icon-button" href=close_href aria-label="Close">"×"</a>
                </header>
                {children()}
            </div>
        </div>
    }
}

/// A dialog's Cancel: a link back to the page without the dialog.
#[component]
pub fn CancelLink(#[prop(into)] href: String) -> impl IntoView {
    view! { <a class="button" href=href>"Cancel"</a> }
}

/// The value of `name` in the page's query string when the page was opened.
/// Dialogs that must work before hydration are opened this way; once the
/// page is hydrated they open from clicks, without changing the URL. The
/// router answers on the server; an island in the browser has no router, so
/// it reads the same address from `window.location`.
pub fn opened_with(name: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        page_query().and_then(|q| q.get(name))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        leptos_router::hooks::use_query_map().with_untracked(|q| q.get(name))
    }
}

/// This page's address (at `path`) without the query parameter `drop`
/// (server-drawn pages).
pub fn query_without(path: &str, drop: &str) -> String {
    let mut query = leptos_router::hooks::use_query_map().get_untracked();
    query.remove(drop);
    format!("{path}{}", query.to_query_string())
}

/// What the field `name` held in the failed form post whose error this page
/// shows (server-rendered forms only: islands get their values as props).
pub fn posted(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::web::forms::FormEcho>()
            .and_then(|echo| echo.0.into_iter().find(|(n, _)| n == name).map(|(_, v)| v))
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = name;
        None
    }
}

/// Whether this page view shows a failed form post's error and the fields
/// it sent: a box left unticked is then absent from `posted`, not "as stored".
pub fn posted_back() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::web::forms::FormEcho>().is_some()
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// A parameter of the page's route, read on the server and handed to the
/// page's island as a prop.
pub fn path_param(name: &str) -> String {
    leptos_router::hooks::use_params_map()
        .with_untracked(|p| p.get(name))
        .unwrap_or_default()
}

#[cfg(feature = "hydrate")]
fn page_query() -> Option<web_sys::UrlSearchParams> {
    let search = window().location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search).ok()
}

/// Called first in every island: counts the island as hydrated once its
/// view is live (`body[data-hydrated]`, which browser tests wait for).
pub fn island_start() {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| island_hydrated(true));
}

/// Marks the page interactive (`body[data-hydrated]`) once every island on
/// it has hydrated; `one_more` counts an island that just did.
#[cfg(feature = "hydrate")]
pub fn island_hydrated(one_more: bool) {
    use std::cell::Cell;
    thread_local! { static HYDRATED: Cell<u32> = const { Cell::new(0) }; }
    let done = HYDRATED.with(|n| {
        n.set(n.get() + u32::from(one_more));
        n.get()
    });
    let doc = document();
    let islands = doc
        .query_selector_all("leptos-island")
        .map(|l| l.length())
        .unwrap_or(0);
    if done >= islands {
        if let Some(body) = doc.body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    }
}

#[component]
pub fn EyeIcon() -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2">
            <path d="M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z"/><circle cx="12" cy="12" r="3"/>
        </svg>
    }
}

#[component]
pub fn EyeOffIcon() -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2">
            <path d="M17.94 17.94A10.07 10.07 0 0 1 12 19C5 19 1 12 1 12a18.45 18.45 0 0 1 5.06-5.94M9.9 4.24A9.12 9.12 0 0 1 12 4c7 0 11 8 11 8a18.5 18.5 0 0 1-2.16 3.19"/>
            <line x1="1" y1="1" x2="23" y2="23"/>
        </svg>
    }
}

/// Copies text to the clipboard; resolves to whether it worked.
pub async fn copy_to_clipboard(text: String) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let promise = window().navigator().clipboard().write_text(&text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// A read-only field with a Copy button, for a secret shown once on a page
/// drawn by the server (a new key, an invitation link). An island: only the
/// buttons and the status line are live; they stay disabled until the wasm
/// has loaded, because until then they can do nothing. `masked` starts the
/// field as a password field with an eye button that shows it. `fallback`
/// says what to do if copying fails.
#[island(lazy)]
pub fn CopyField(
    id: String,
    label: String,
    value: String,
    masked: bool,
    fallback: String,
) -> impl IntoView {
    island_start();
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let shown = RwSignal::new(!masked);
    let copied = RwSignal::new(None::<bool>);
    let text = StoredValue::new(value.clone());
    let copy = move |_| {
        let text = text.get_value();
        leptos::task::spawn_local(async move { copied.set(Some(copy_to_clipboard(text).await)) });
    };
    view! {
        <div class="secret-row">
            <label class="visually-hidden" for=id.clone()>{label}</label>
            <input id=id class="secret" readonly spellcheck="false" autocomplete="off" value=value
                type=move || if shown.get() { "text" } else { "password" }/>
            {masked.then(|| view! {
                <button class="icon-button" type="button" disabled=move || !live.get()
                    aria-label=move || if shown.get() { "Hide key" } else { "Reveal key" }
                    aria-pressed=move || shown.get().to_string()
                    on:click=move |_| shown.update(|s| *s = !*s)>
                    {move || if shown.get() { view! { <EyeOffIcon/> }.into_any() } else { view! { <EyeIcon/> }.into_any() }}
                </button>
            })}
            <button class="button" type="button" disabled=move || !live.get() on:click=copy>"Copy"</button>
        </div>
        <p class="status-line" aria-live="polite">
            {move || match copied.get() {
                Some(true) => "Copied to the clipboard.".to_owned(),
                Some(false) => fallback.clone(),
                None => String::new(),
            }}
        </p>
    }
}

/// Percent-encodes a query value (letters, digits and `-_.~` pass).
pub fn encode(value: &str) -> String {
    /// Everything but RFC 3986's unreserved characters.
    const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Where a reader is in a list paged by cursor, kept in the page's address:
/// the page (`before`) and the pages before it (`trail`, `0` for the first),
/// so that "Newer" goes back the way "Older" came.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cursor {
    pub before: Option<i64>,
    trail: Vec<Option<i64>>,
}

impl Cursor {
    pub fn from_query() -> Self {
        let cursor = |s: &str| s.parse::<i64>().ok().filter(|n| *n > 0);
        Self {
            before: opened_with("before").as_deref().and_then(cursor),
            trail: opened_with("trail")
                .unwrap_or_default()
                .split('.')
                .filter(|s| !s.is_empty())
                .map(cursor)
                .collect(),
        }
    }

    /// The query parameters (`before`, `trail`), empty on the first page.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(before) = self.before {
            params.push(("before", before.to_string()));
        }
        if !self.trail.is_empty() {
            let trail: Vec<String> = self
                .trail
                .iter()
                .map(|c| c.unwrap_or(0).to_string())
                .collect();
            params.push(("trail", trail.join(".")));
        }
        params
    }

    /// `base` (which has a query already) at this page.
    pub fn href(&self, base: &str) -> String {
        self.params()
            .into_iter()
            .fold(base.to_owned(), |href, (k, v)| format!("{href}&{k}={v}"))
    }

    pub fn older(&self, next: i64) -> Self {
        let mut trail = self.trail.clone();
        trail.push(self.before);
        Self {
            before: Some(next),
            trail,
        }
    }

    pub fn newer(&self) -> Option<Self> {
        let mut trail = self.trail.clone();
        let before = trail.pop()?;
        Some(Self { before, trail })
    }
}

/// "Newer" and "Older" links for a list at `at`, whose address without the
/// cursor is `base`; `next` is the cursor of the older page, if any.
#[component]
pub fn CursorPager(base: String, at: Cursor, next: Option<i64>) -> impl IntoView {
    let link = |label: &'static str, to: Option<Cursor>| match to {
        Some(to) => view! { <a class="button small" href=to.href(&base)>{label}</a> }.into_any(),
        None => view! { <span class="button small" aria-disabled="true">{label}</span> }.into_any(),
    };
    view! {
        <nav class="pager" aria-label="Pages">
            {link("Newer", at.newer())}
            {link("Older", next.map(|n| at.older(n)))}
        </nav>
    }
}

/// Hidden fields that keep a GET form (a row's Edit, Delete) at the list's
/// place: its filters and cursor.
#[component]
pub fn KeepPlace(filters: Vec<(&'static str, String)>, at: Cursor) -> impl IntoView {
    filters
        .into_iter()
        .chain(at.params())
        .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_then_newer_comes_back_to_the_same_page() {
        let first = Cursor::default();
        assert!(first.newer().is_none(), "the first page has nothing newer");
        let second = first.older(120);
        let third = second.older(95);
        assert_eq!(third.href("/audit?q="), "/audit?q=&before=95&trail=0.120");
        let back = third.newer().unwrap();
        assert_eq!(back, second);
        assert_eq!(back.newer().unwrap(), first);
        assert_eq!(first.href("/leads?q=x"), "/leads?q=x");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode("sk_AbCd-1.~"), "sk_AbCd-1.~");
    }
}
