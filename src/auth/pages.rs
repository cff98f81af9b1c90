//! The sign-in page and the Account page, drawn by the server: real HTML
//! forms that work before any wasm has loaded, and without JavaScript.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::Viewer;
use super::{
    get_two_factor, list_sessions, ChangePassword, EndSession, RecoveryCodes, ResetPassword,
    SignIn, StartTwoFactor, TurnOffTwoFactor, TurnOnTwoFactor, VerifySignInCode,
};
use crate::error::{AppError, FieldError};
use crate::platform::clock::format_time;
use crate::web::ui::{error_parts, field_error, opened_with, AccessDenied, ErrorBanner};

/// Sign in: drawn by the server, a plain form post, no wasm. It redirects
/// to /leads, or back here with the one generic error. (A signed-out browser
/// has no session to hold a form echo for, so the fields come back empty.)
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = action
        .value()
        .get_untracked()
        .and_then(|r| r.err())
        .map(|e| e.to_string());
    view! {
        <main class="centered">
            <ActionForm action=action attr:class="card sign-in">
                <h1>"Sign in to Leadline"</h1>
                {error.map(|m| view! { <div class="banner error" role="alert">{m}</div> })}
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required maxlength="254" autofocus/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"/>
                <button class="button primary" type="submit">"Sign in"</button>
                <p class="muted small">"New here? Ask your organisation's admin to add you."</p>
            </ActionForm>
        </main>
    }
}

/// `/sign-in/code`: the second step of signing in, for an account with
/// two-factor sign-in. Drawn by the server, a plain form post.
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let action = ServerAction::<VerifySignInCode>::new();
    let error = action
        .value()
        .get_untracked()
        .and_then(|r| r.err())
        .map(|e| e.to_string());
    view! {
        <main class="centered">
            <ActionForm action=action attr:class="card sign-in">
                <h1>"Two-factor sign-in"</h1>
                {error.map(|m| view! { <div class="banner error" role="alert">{m}</div> })}
                <label for="code">"Authentication code"</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    required maxlength="20" autofocus aria-describedby="code-help"/>
                <p class="muted small" id="code-help">"The 6-digit code your authenticator app shows for Leadline. Lost your device? Enter one of your recovery codes instead."</p>
                <button class="button primary" type="submit">"Verify"</button>
                <p class="muted small"><a href="/sign-in">"Start again"</a></p>
            </ActionForm>
        </main>
    }
}

/// Dashboard → Account: change your password, see and end your sessions.
/// Drawn by the server, no wasm: both are plain form posts that come back
/// here (with `?password=changed` after a change).
#[component]
pub fn AccountPage() -> impl IntoView {
    signed_in(|viewer| {
        view! {
            <div class="page-header"><div>
                <h1>"Account"</h1>
                <p class="muted">{format!("Signed in as {}.", viewer.email)}</p>
            </div></div>
            {(opened_with("notice").as_deref() == Some("two_factor_reset")).then(|| view! {
                <div class="banner warning" role="alert">
                    "A platform admin turned off two-factor sign-in for your account, as you or your organisation asked. Turn it on again below."
                </div>
            })}
            <section class="card">
                <h2>"Notifications"</h2>
                <p class="muted">"Mail about API keys: before one expires, when one leaks, is revoked or is still called."</p>
                <a class="button" href="/account/notifications">"Choose your mail"</a>
            </section>
            <TwoFactor/>
            <ChangePasswordForm/>
            <Sessions/>
        }
    })
}

/// Two-factor sign-in: its state, enrolment (QR code, secret, a code to
/// confirm), the recovery codes once, and turning it off with a code.
#[component]
fn TwoFactor() -> impl IntoView {
    let start = ServerAction::<StartTwoFactor>::new();
    let turn_on = ServerAction::<TurnOnTwoFactor>::new();
    let turn_off = ServerAction::<TurnOffTwoFactor>::new();
    let status = Resource::new(|| (), |_| get_two_factor());
    let codes = use_context::<RecoveryCodes>();
    let on_result = turn_on.value().get_untracked().map(|r| r.map(|_| ()));
    let off_result = turn_off.value().get_untracked();
    let start_error = error_parts(start.value().get_untracked()).0;
    view! {
        <section class="card" aria-labelledby="two-factor-title">
            <h2 id="two-factor-title">"Two-factor authentication"</h2>
            {start_error.map(|m| view! { <ErrorBanner message=m/> })}
            {codes.map(|RecoveryCodes(codes)| view! {
                <div class="banner warning" role="alert">
                    <p><strong>"Two-factor sign-in is on. Save these recovery codes now: they are shown only once."</strong></p>
                    <p>"Each works once, in place of a code, if you lose your device."</p>
                    <ul class="recovery-codes" aria-label="Recovery codes">
                        {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                    </ul>
                </div>
            })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let (on_result, off_result) = (on_result.clone(), off_result.clone());
                    Suspend::new(async move {
                        match status.await {
                            Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                            Ok(s) => {
                                let required = (!s.required_by.is_empty()).then(|| view! {
                                    <p class="muted small">{format!("Required by: {}.", s.required_by.join(", "))}</p>
                                });
                                match (s.enabled_since, s.setup) {
                                    (Some(since), _) => {
                                        let (message, fields) = error_parts(off_result);
                                        let fields = Signal::stored(fields);
                                        view! {
                                            <p>"On since " {format_time(since)} ". "
                                               {format!("{} of 10 recovery codes unused.", s.recovery_codes_left)}</p>
                                            {required}
                                            {message.map(|m| view! { <ErrorBanner message=m/> })}
                                            <ActionForm action=turn_off attr:class="inline-form" attr:novalidate=true>
                                                <label for="off-code">"Code from your app"</label>
                                                <input id="off-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="20"/>
                                                <button class="button" type="submit">"Turn off"</button>
                                            </ActionForm>
                                            {field_error(fields, "code")}
                                        }.into_any()
                                    }
                                    (None, Some(setup)) => {
                                        let (message, fields) = error_parts(on_result);
                                        let fields = Signal::stored(fields);
                                        view! {
                                            <p>"Scan this QR code with an authenticator app (1Password, Google Authenticator, Authy…), then enter the 6-digit code it shows."</p>
                                            <div class="qr-code" role="img" aria-label="QR code for your authenticator app" inner_html=setup.qr_svg></div>
                                            <p class="muted small">"Can't scan it? Enter this key in the app: " <code class="secret-key">{setup.secret}</code></p>
                                            {message.map(|m| view! { <ErrorBanner message=m/> })}
                                            <ActionForm action=turn_on attr:class="inline-form" attr:novalidate=true>
                                                <label for="on-code">"Code from your app"</label>
                                                <input id="on-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="20" autofocus/>
                                                <button class="button primary" type="submit">"Turn on"</button>
                                            </ActionForm>
                                            {field_error(fields, "code")}
                                        }.into_any()
                                    }
                                    (None, None) => view! {
                                        <p>"Off. With it on, signing in asks for a code from an app on your phone as well as your password."</p>
                                        {required}
                                        <ActionForm action=start attr:class="bare-form">
                                            <button class="button primary" type="submit">"Set up two-factor sign-in"</button>
                                        </ActionForm>
                                    }.into_any(),
                                }
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let result = Signal::derive(move || change.value().get());
    let fields: Signal<Vec<FieldError>> = Signal::derive(move || error_parts(result.get()).1);
    let changed = opened_with("password").as_deref() == Some("changed");
    view! {
        <ActionForm action=change attr:class="card form-card" attr:novalidate=true>
            <h2>"Change password"</h2>
            {error_parts(result.get_untracked()).0.map(|m| view! { <ErrorBanner message=m/> })}
            <label for="current-password">"Current password"</label>
            <input id="current-password" name="current_password" type="password" autocomplete="current-password"/>
            {field_error(fields, "current_password")}
            <label for="new-password">"New password"</label>
            <input id="new-password" name="new_password" type="password" autocomplete="new-password" aria-describedby="new-password-help"/>
            <p class="muted small" id="new-password-help">"At least 10 characters, not easy to guess. Your other sessions end when it changes."</p>
            {field_error(fields, "new_password")}
            <button class="button primary" type="submit">"Change password"</button>
            <p class="status-line" role="status">
                {changed.then_some("Password changed. Your other sessions have ended.")}
            </p>
        </ActionForm>
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(|| (), |_| list_sessions());
    view! {
        <section class="card">
            <h2>"Signed-in sessions"</h2>
            {error_parts(end.value().get_untracked()).0.map(|m| view! { <ErrorBanner message=m/> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
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
                                                        <ActionForm action=end attr:class="bare-form">
                                                            <input type="hidden" name="id" value=id/>
                                                            <button class="button small" type="submit">"End session"</button>
                                                        </ActionForm>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// `/reset-password/:token`: a one-time link from the platform admin. Drawn
/// by the server, without wasm: a plain form post that redirects to /leads.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = crate::web::ui::path_param("token");
    view! { <ResetPasswordForm token=token/> }
}

#[component]
fn ResetPasswordForm(token: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let token = move || token.get_value();
    let reset = ServerAction::<ResetPassword>::new();
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
                <p class="muted small" id="reset-password-help">"At least 10 characters, not easy to guess. Every other session of yours ends."</p>
                {field_error(fields, "password")}
                <button class="button primary" type="submit" disabled=move || reset.pending().get()>"Set password"</button>
            </ActionForm>
        </main>
    }
}

/// The signed-in viewer, loaded once per page and shared through context.
#[derive(Clone, Copy)]
pub struct ViewerResource(pub Resource<Result<Option<Viewer>, AppError>>);

pub fn use_viewer() -> Resource<Result<Option<Viewer>, AppError>> {
    expect_context::<ViewerResource>().0
}

/// Renders `page` for a signed-in viewer, or a sign-in prompt.
pub fn signed_in<V: IntoView + 'static>(
    page: impl Fn(Viewer) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let viewer = use_viewer();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(v)) => page(v).into_any(),
                        Ok(None) => view! { <SignInPrompt/> }.into_any(),
                        // The database is away: say so plainly, as a page.
                        Err(e @ AppError::Unavailable) => view! {
                            <AccessDenied title="Leadline is unavailable" message=e.to_string()/>
                        }
                        .into_any(),
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Renders `page` for a viewer with Developer access to their organisation
/// (the permission and the flag); anyone else is told why not, under
/// `unavailable`.
pub fn with_developer_access<V: IntoView + 'static>(
    unavailable: &'static str,
    page: impl Fn() -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    signed_in(move |viewer| {
        let access = viewer
            .active
            .as_ref()
            .map(|o| (o.developer_access(), o.name.clone()));
        match access {
            Some((crate::error::DeveloperAccess::Granted, _)) => page().into_any(),
            Some((access, name)) => view! {
                <AccessDenied title=unavailable message=access.explain(&name).unwrap_or_default()/>
            }
            .into_any(),
            None => view! {
                <AccessDenied title="No organisation" message="You are not a member of any organisation yet."/>
            }
            .into_any(),
        }
    })
}

#[component]
pub fn SignInPrompt() -> impl IntoView {
    view! {
        <section class="card empty">
            <h2>"Please sign in"</h2>
            <p>"You need to be signed in to see this page."</p>
            <a class="button primary" href="/sign-in">"Sign in"</a>
        </section>
    }
}
