//! Dashboard → Admin (platform admins only).

use leptos::prelude::*;

use super::{
    find_key, find_users, list_organisations, list_security_events, CreateOrganisation,
    CreatePasswordReset, ReactivateKey, ResetTwoFactor, RevokeKeyByPrefix, SetDeveloperApi,
    SetUserDisabled,
};
use leptos::form::ActionForm;

use crate::auth::pages::signed_in;
use crate::keys::domain::KeyStatus;
use crate::platform::clock::format_time;
use crate::web::ui::{error_parts, opened_with, posted, AccessDenied, ErrorBanner};

/// Dashboard → Admin: drawn by the server, without wasm. Every change is a
/// plain form post that comes back here; the user and key searches are GET
/// forms, so what is shown has an address.
#[component]
pub fn AdminPage() -> impl IntoView {
    signed_in(|viewer| {
        if viewer.is_platform_admin {
            view! { <Console/> <SecurityLog/> }.into_any()
        } else {
            view! { <AccessDenied title="Platform admins only" message="This console is for the people who run this Leadline installation."/> }.into_any()
        }
    })
}

#[component]
fn Console() -> impl IntoView {
    let user_q = opened_with("user").unwrap_or_default();
    let prefix = opened_with("prefix").unwrap_or_default();
    let (q, p) = (user_q.clone(), prefix.clone());
    let found = Resource::new(
        || (),
        move |_| {
            let (q, p) = (q.clone(), p.clone());
            async move {
                (
                    list_organisations().await,
                    find_users(q).await,
                    find_key(p).await,
                )
            }
        },
    );
    let set_flag = ServerAction::<SetDeveloperApi>::new();
    let create = ServerAction::<CreateOrganisation>::new();
    let disable = ServerAction::<SetUserDisabled>::new();
    let reset = ServerAction::<CreatePasswordReset>::new();
    let reset_two_factor = ServerAction::<ResetTwoFactor>::new();
    let reactivate = ServerAction::<ReactivateKey>::new();
    let revoke = ServerAction::<RevokeKeyByPrefix>::new();
    let reset_link = take_reset_link();
    let general = |e: Option<String>| e.map(|m| view! { <ErrorBanner message=m/> });
    let create_error = error_parts(create.value().get_untracked().map(|r| r.map(|_| ())));
    view! {
        <div class="page-header">
            <div>
                <h1>"Admin"</h1>
                <p class="muted">"Organisations, feature flags, users and key re-activation."</p>
            </div>
            <div class="header-actions"><a class="button" href="/admin/outbox">"Outbox"</a></div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let (user_q, prefix, reset_link, create_error) = (user_q.clone(), prefix.clone(), reset_link.clone(), create_error.clone());
                Suspend::new(async move {
                let (orgs, users, key) = found.await;
                view! {
        <section class="card">
            <h2>"Organisations"</h2>
            {general(error_parts(set_flag.value().get_untracked()).0)}
            {match orgs {
                Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                Ok(list) => view! {
                    <div class="table-wrap"><table class="data">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Slug"</th><th scope="col">"Members"</th><th scope="col">"Developer API"</th><th scope="col">"Created"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|o| { let slug = o.slug.clone(); view! {
                                <tr data-org=o.slug.clone()>
                                    <td data-label="Name">{o.name.clone()}</td>
                                    <td data-label="Slug"><code>{o.slug.clone()}</code></td>
                                    <td data-label="Members">{o.member_count}</td>
                                    <td data-label="Developer API">
                                        // Posts the opposite of the shown state; the switch
                                        // submits itself, and without JavaScript a button does.
                                        <ActionForm action=set_flag attr:class="bare-form">
                                            <input type="hidden" name="slug" value=slug/>
                                            <input type="hidden" name="on" value=(!o.developer_api).to_string()/>
                                            <label class="switch">
                                                <input type="checkbox" class="switch" role="switch" data-submit-on-change=""
                                                    aria-label=format!("Developer API for {}", o.name) checked=o.developer_api/>
                                                {if o.developer_api { "On" } else { "Off" }}
                                            </label>
                                            <noscript><button class="button small" type="submit">{if o.developer_api { "Turn off" } else { "Turn on" }}</button></noscript>
                                        </ActionForm>
                                    </td>
                                    <td data-label="Created">{format_time(o.created_at)}</td>
                                </tr>
                            }}).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any(),
            }}
            <ActionForm action=create attr:class="inline-form">
                <label for="new-org">"New organisation"</label>
                <input id="new-org" name="name" placeholder="Organisation name" value=posted("name")/>
                <button class="button" type="submit">"Create organisation"</button>
            </ActionForm>
            {general(create_error.0)}
            {create_error.1.first().map(|f| view! { <ErrorBanner message=f.message.clone()/> })}
        </section>
        <section class="card">
            <h2>"Users"</h2>
            <form method="get" action="/admin" class="inline-form" role="search">
                <input type="search" name="user" aria-label="Find users by email" placeholder="Find users by email" value=user_q.clone()/>
                <input type="hidden" name="prefix" value=prefix.clone()/>
                <button class="button small" type="submit">"Find"</button>
            </form>
            {general(error_parts(disable.value().get_untracked()).0)}
            {general(error_parts(reset.value().get_untracked().map(|r| r.map(|_| ()))).0)}
            {general(error_parts(reset_two_factor.value().get_untracked()).0)}
            {reset_link.map(|link| view! {
                <div class="banner warning" role="note">
                    <p>"One-time password-reset link (24 hours). Send it to the user; it is shown only now."</p>
                    <label class="visually-hidden" for="reset-link">"Password-reset link"</label>
                    <input id="reset-link" class="secret" readonly value=link/>
                </div>
            })}
            {match users {
                Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                Ok(list) => view! {
                    <ul class="plain-list">
                        {list.into_iter().map(|u| {
                            let disabled = u.disabled;
                            let (e1, e2, e3) = (u.email.clone(), u.email.clone(), u.email.clone());
                            let two_factor_label = format!("Reset two-factor sign-in of {}", u.email);
                            let toggle_label = format!("{} {}", if disabled { "Enable" } else { "Disable" }, u.email);
                            let reset_label = format!("Password-reset link for {}", u.email);
                            view! {
                                <li data-user=u.email.clone()>
                                    {u.email.clone()} {u.is_platform_admin.then_some(" · platform admin")}
                                    {disabled.then(|| view! { " " <span class="badge danger">"Disabled"</span> })}
                                    {u.two_factor.then(|| view! { " " <span class="badge">"Two-factor"</span> })}
                                    <span class="muted small">" · joined " {format_time(u.created_at)}</span>
                                    " "
                                    <ActionForm action=disable attr:class="bare-form">
                                        <input type="hidden" name="email" value=e1/>
                                        <input type="hidden" name="disabled" value=(!disabled).to_string()/>
                                        {(!disabled).then(|| view! {
                                            <label class="check small">
                                                <input type="checkbox" name="revoke_keys" value="true" checked/>
                                                " Revoke their API keys"
                                            </label>
                                            " "
                                        })}
                                        <button class="button small" type="submit" aria-label=toggle_label>
                                            {if disabled { "Enable" } else { "Disable" }}
                                        </button>
                                    </ActionForm>
                                    " "
                                    <ActionForm action=reset attr:class="bare-form">
                                        <input type="hidden" name="email" value=e2/>
                                        <label class="check small">
                                            <input type="checkbox" name="revoke_keys" value="true" checked/>
                                            " Revoke their API keys"
                                        </label>
                                        " "
                                        <button class="button small" type="submit" aria-label=reset_label>"Reset link"</button>
                                    </ActionForm>
                                    {u.two_factor.then(|| view! {
                                        " "
                                        <ActionForm action=reset_two_factor attr:class="bare-form">
                                            <input type="hidden" name="email" value=e3/>
                                            <button class="button small" type="submit" aria-label=two_factor_label>"Reset two-factor"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
        <section class="card">
            <h2>"Find a key"</h2>
            <form method="get" action="/admin" class="inline-form" role="search">
                <label for="find-prefix">"Key prefix"</label>
                <input id="find-prefix" name="prefix" placeholder="sk_AbCd1234_Xy" value=prefix.clone()/>
                <input type="hidden" name="user" value=user_q.clone()/>
                <button class="button small" type="submit">"Find"</button>
            </form>
            {general(error_parts(reactivate.value().get_untracked().map(|r| r.map(|_| ()))).0)}
            {general(error_parts(revoke.value().get_untracked().map(|r| r.map(|_| ()))).0)}
            {match key {
                Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                Ok(None) if prefix.is_empty() => view! { <p class="muted">"Enter the 14-character prefix shown in the keys list or the audit log."</p> }.into_any(),
                Ok(None) => view! { <p class="muted">"No key has this prefix. Enter the 14 characters shown in the keys list or the audit log."</p> }.into_any(),
                Ok(Some(k)) => {
                    let (p1, p2) = (k.prefix.clone(), k.prefix.clone());
                    view! {
                    <div class="found-key">
                        <p><strong>{k.name.clone()}</strong> " " <code>{k.prefix.clone()}</code> " · " {k.status.label()}</p>
                        {(k.status == KeyStatus::Revoked).then(|| view! {
                            <ActionForm action=reactivate attr:class="bare-form">
                                <input type="hidden" name="prefix" value=p1/>
                                <button class="button" type="submit">"Re-activate"</button>
                            </ActionForm>
                        })}
                        {k.status.works().then(|| view! {
                            <ActionForm action=revoke attr:class="bare-form">
                                <input type="hidden" name="prefix" value=p2/>
                                <button class="button danger" type="submit">"Revoke"</button>
                            </ActionForm>
                        })}
                    </div>
                }.into_any()
                }
            }}
        </section>
                }
                })
            }}
        </Suspense>
    }
}

/// The reset link a plain "Reset link" post made, on the page it returned to
/// (its flash, handed to the page view by `forms::provide_shown`).
fn take_reset_link() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use_context::<super::ResetLink>().map(|link| link.0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Sign-ins and account changes, with address and browser; never a password.
#[component]
fn SecurityLog() -> impl IntoView {
    let events = Resource::new(|| (), |_| list_security_events(None));
    view! {
        <section class="card">
            <h2>"Security log"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match events.await {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="data security-log">
                                <thead><tr>
                                    <th scope="col">"When"</th><th scope="col">"Event"</th><th scope="col">"Email"</th>
                                    <th scope="col">"By"</th><th scope="col">"IP address"</th><th scope="col">"Browser"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr>
                                            <td data-label="When">{format_time(e.occurred_at)}</td>
                                            <td data-label="Event"><code>{e.kind}</code></td>
                                            <td data-label="Email">{e.email}</td>
                                            <td data-label="By">{if e.actor.is_empty() { "—".to_owned() } else { e.actor }}</td>
                                            <td data-label="IP address">{e.client_ip}</td>
                                            <td data-label="Browser" class="muted small">{e.user_agent}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
