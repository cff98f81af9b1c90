//! The sign-in page (a real HTML form: it signs in before the wasm has
//! loaded, and without JavaScript at all) and the Account page.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::{list_sessions, ChangePassword, EndSession, ResetPassword, SignIn};
use crate::error::{AppError, FieldError};
use crate::ui::{
    error_parts, field_error, format_time, reload_to, reloading, signed_in, ErrorBanner,
};

#[component]
pub fn SignInPage() -> impl IntoView {
    view! { <SignInForm/> }
}

/// The sign-in form: an island, loaded as its own wasm chunk.
#[island(lazy)]
fn SignInForm() -> impl IntoView {
    crate::ui::island_start();
    let action = ServerAction::<SignIn>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            reload_to("/leads");
        }
    });
    let error = move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <main class="centered">
            <ActionForm action=action attr:class="card sign-in">
                <h1>"Sign in to Leadline"</h1>
                {move || error().map(|m| view! { <div class="banner error" role="alert">{m}</div> })}
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required maxlength="254"/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"/>
                <button class="button primary" type="submit" disabled=move || action.pending().get()>
                    "Sign in"
                </button>
                <p class="muted small">"New here? Ask your organisation's admin to add you."</p>
            </ActionForm>
        </main>
    }
}

/// Dashboard → Account: change your password, see and end your sessions.
#[component]
pub fn AccountPage() -> impl IntoView {
    signed_in(|viewer| {
        view! {
            <div class="page-header"><div>
                <h1>"Account"</h1>
                <p class="muted">{format!("Signed in as {}.", viewer.email)}</p>
            </div></div>
            <ChangePasswordForm/>
            {
                let sessions = Resource::new(|| (), |_| list_sessions());
                view! {
                    <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || Suspend::new(async move { view! { <Sessions initial=sessions.await/> } })}
                    </Suspense>
                }
            }
        }
    })
}

#[island(lazy)]
fn ChangePasswordForm() -> impl IntoView {
    crate::ui::island_start();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let change = ServerAction::<ChangePassword>::new();
    let done = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            current.set(String::new());
            new.set(String::new());
            done.set(true);
        }
    });
    let result = Signal::derive(move || change.value().get());
    let fields: Signal<Vec<FieldError>> = Signal::derive(move || error_parts(result.get()).1);
    view! {
        <form class="card form-card" novalidate on:submit=move |ev| {
            ev.prevent_default();
            done.set(false);
            change.dispatch(ChangePassword { current_password: current.get(), new_password: new.get() });
        }>
            <h2>"Change password"</h2>
            {move || error_parts(result.get()).0.map(|m| view! { <ErrorBanner message=m/> })}
            <label for="current-password">"Current password"</label>
            <input id="current-password" type="password" autocomplete="current-password" bind:value=current/>
            {field_error(fields, "current_password")}
            <label for="new-password">"New password"</label>
            <input id="new-password" type="password" autocomplete="new-password" bind:value=new aria-describedby="new-password-help"/>
            <p class="muted small" id="new-password-help">"At least 10 characters. Your other sessions end when it changes."</p>
            {field_error(fields, "new_password")}
            <button class="button primary" type="submit" disabled=move || change.pending().get()>"Change password"</button>
            <p class="status-line" aria-live="polite">
                {move || done.get().then_some("Password changed. Your other sessions have ended.")}
            </p>
        </form>
    }
}

#[island(lazy)]
fn Sessions(initial: Result<Vec<super::SessionInfo>, AppError>) -> impl IntoView {
    crate::ui::island_start();
    let version = RwSignal::new(0u32);
    let end = ServerAction::<EndSession>::new();
    let sessions = reloading(
        initial,
        move || (version.get(), end.version().get()),
        |_| list_sessions(),
    );
    Effect::new(move |_| {
        if let Some(Ok(())) = end.value().get() {
            version.update(|v| *v += 1);
        }
    });
    view! {
        <section class="card">
            <h2>"Signed-in sessions"</h2>
            {move || error_parts(end.value().get()).0.map(|m| view! { <ErrorBanner message=m/> })}
            {move || {
                    match sessions.get() {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="data">
                                <thead><tr>
                                    <th scope="col">"Device"</th><th scope="col">"IP address"</th>
                                    <th scope="col">"Signed in"</th><th scope="col">"Last seen"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|s| {
                                        let id = s.id.clone();
                                        let device = if s.user_agent.is_empty() { "Unknown browser".to_owned() } else { s.user_agent.clone() };
                                        view! {
                                            <tr data-session=s.id.clone()>
                                                <td data-label="Device">
                                                    <span>{device}{s.current.then(|| view! { " " <span class="badge info">"This session"</span> })}</span>
                                                </td>
                                                <td data-label="IP address">{if s.client_ip.is_empty() { "—".to_owned() } else { s.client_ip.clone() }}</td>
                                                <td data-label="Signed in">{format_time(s.signed_in_at)}</td>
                                                <td data-label="Last seen">{format_time(s.last_seen_at)}</td>
                                                <td class="actions">
                                                    {(!s.current).then(|| view! {
                                                        <button class="button small" type="button" on:click=move |_| { end.dispatch(EndSession { id: id.clone() }); }>"End session"</button>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
            }}
        </section>
    }
}

/// `/reset-password/:token`: a one-time link from the platform admin. A real
/// HTML form, so it works before the wasm has loaded.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = crate::ui::path_param("token");
    view! { <ResetPasswordForm token=token/> }
}

#[island(lazy)]
fn ResetPasswordForm(token: String) -> impl IntoView {
    crate::ui::island_start();
    let token = StoredValue::new(token);
    let token = move || token.get_value();
    let reset = ServerAction::<ResetPassword>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = reset.value().get() {
            reload_to("/leads");
        }
    });
    let result = Signal::derive(move || reset.value().get());
    let fields: Signal<Vec<FieldError>> = Signal::derive(move || error_parts(result.get()).1);
    view! {
        <main class="centered">
            <ActionForm action=reset attr:class="card sign-in">
                <h1>"Choose a new password"</h1>
                {move || error_parts(result.get()).0.map(|m| view! { <ErrorBanner message=m/> })}
                <input type="hidden" name="token" value=token/>
                <label for="reset-password">"New password"</label>
                <input id="reset-password" name="password" type="password" required maxlength="128"
                    autocomplete="new-password" aria-describedby="reset-password-help"/>
                <p class="muted small" id="reset-password-help">"At least 10 characters. Every other session of yours ends."</p>
                {field_error(fields, "password")}
                <button class="button primary" type="submit" disabled=move || reset.pending().get()>"Set password"</button>
            </ActionForm>
        </main>
    }
}
