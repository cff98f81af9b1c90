//! Dashboard → Admin (platform admins only).

use leptos::prelude::*;

use super::{
    find_key, find_users, list_organisations, list_security_events, CreateOrganisation,
    CreatePasswordReset, ReactivateKey, SetDeveloperApi, SetUserDisabled,
};
use crate::error::AppError;
use crate::keys::domain::KeyStatus;
use crate::ui::{
    absolute_url, error_parts, format_time, reloading, signed_in, AccessDenied, ErrorBanner,
};

#[component]
pub fn AdminPage() -> impl IntoView {
    signed_in(|viewer| {
        if viewer.is_platform_admin {
            // What the console shows first, loaded with the page.
            let first = Resource::new(
                || (),
                |_| async {
                    (
                        list_organisations().await,
                        find_users(String::new()).await,
                        find_key(String::new()).await,
                    )
                },
            );
            view! {
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let (orgs, users, key) = first.await;
                        view! { <Console orgs=orgs users=users found=key/> }
                    })}
                </Suspense>
                <SecurityLog/>
            }
            .into_any()
        } else {
            view! { <AccessDenied title="Platform admins only" message="This console is for the people who run this Leadline installation."/> }.into_any()
        }
    })
}

/// The platform console's live part: an island, loaded as its own wasm chunk.
#[island(lazy)]
fn Console(
    orgs: Result<Vec<super::OrgSummary>, AppError>,
    users: Result<Vec<super::UserSummary>, AppError>,
    found: Result<Option<crate::keys::domain::KeySummary>, AppError>,
) -> impl IntoView {
    crate::ui::island_start();
    let version = RwSignal::new(0u32);
    let orgs = reloading(orgs, move || version.get(), |_| list_organisations());
    let set_flag = ServerAction::<SetDeveloperApi>::new();
    let create = ServerAction::<CreateOrganisation>::new();
    Effect::new(move |_| {
        if set_flag.value().get().is_some() || create.value().get().is_some() {
            version.update(|v| *v += 1);
        }
    });
    let new_name = RwSignal::new(String::new());
    let user_q = RwSignal::new(String::new());
    let disable = ServerAction::<SetUserDisabled>::new();
    let reset = ServerAction::<CreatePasswordReset>::new();
    let users = reloading(
        users,
        move || (user_q.get(), disable.version().get()),
        |(q, _)| find_users(q),
    );
    let reset_link = move || match reset.value().get() {
        Some(Ok(path)) => Some(absolute_url(&path)),
        _ => None,
    };
    let key_prefix = RwSignal::new(String::new());
    let key_version = RwSignal::new(0u32);
    let key = reloading(
        found,
        move || (key_prefix.get(), key_version.get()),
        |(p, _)| find_key(p),
    );
    let reactivate = ServerAction::<ReactivateKey>::new();
    Effect::new(move |_| {
        if reactivate.value().get().is_some() {
            key_version.update(|v| *v += 1);
        }
    });

    view! {
        <div class="page-header"><div>
            <h1>"Admin"</h1>
            <p class="muted">"Organisations, feature flags, users and key re-activation."</p>
        </div></div>
        <section class="card">
            <h2>"Organisations"</h2>
            {move || error_parts(set_flag.value().get()).0.map(|m| view! { <ErrorBanner message=m/> })}
            {move || {
                    match orgs.get() {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="data">
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Slug"</th><th scope="col">"Members"</th><th scope="col">"Developer API"</th><th scope="col">"Created"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|o| {
                                        let slug = o.slug.clone();
                                        view! {
                                            <tr data-org=o.slug.clone()>
                                                <td data-label="Name">{o.name.clone()}</td>
                                                <td data-label="Slug"><code>{o.slug.clone()}</code></td>
                                                <td data-label="Members">{o.member_count}</td>
                                                <td data-label="Developer API">
                                                    <label class="switch">
                                                        <input type="checkbox" role="switch" aria-label=format!("Developer API for {}", o.name)
                                                            prop:checked=o.developer_api
                                                            on:change=move |ev| { set_flag.dispatch(SetDeveloperApi { slug: slug.clone(), on: event_target_checked(&ev) }); }/>
                                                        {if o.developer_api { "On" } else { "Off" }}
                                                    </label>
                                                </td>
                                                <td data-label="Created">{format_time(o.created_at)}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
            }}
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); create.dispatch(CreateOrganisation { name: new_name.get() }); new_name.set(String::new()); }>
                <label for="new-org">"New organisation"</label>
                <input id="new-org" placeholder="Organisation name" bind:value=new_name/>
                <button class="button" type="submit">"Create organisation"</button>
            </form>
            {move || error_parts(create.value().get().map(|r| r.map(|_| ()))).0.map(|m| view! { <ErrorBanner message=m/> })}
            {move || error_parts(create.value().get().map(|r| r.map(|_| ()))).1.first().map(|f| view! { <ErrorBanner message=f.message.clone()/> })}
        </section>
        <section class="card">
            <h2>"Users"</h2>
            <input type="search" aria-label="Find users by email" placeholder="Find users by email" on:input=move |ev| user_q.set(event_target_value(&ev))/>
            {move || error_parts(disable.value().get()).0.map(|m| view! { <ErrorBanner message=m/> })}
            {move || reset_link().map(|link| view! {
                <div class="banner warning" role="note">
                    <p>"One-time password-reset link (24 hours). Send it to the user; it is shown only now."</p>
                    <label class="visually-hidden" for="reset-link">"Password-reset link"</label>
                    <input id="reset-link" class="secret" readonly prop:value=link/>
                </div>
            })}
            {move || {
                    match users.get() {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(list) => view! {
                            <ul class="plain-list">
                                {list.into_iter().map(|u| {
                                    let (e1, e2) = (u.email.clone(), u.email.clone());
                                    let disabled = u.disabled;
                                    view! {
                                        <li data-user=u.email.clone()>
                                            {u.email.clone()} {u.is_platform_admin.then_some(" · platform admin")}
                                            {disabled.then(|| view! { " " <span class="badge danger">"Disabled"</span> })}
                                            <span class="muted small">" · joined " {format_time(u.created_at)}</span>
                                            " "
                                            <button class="button small" type="button" aria-label=format!("{} {}", if disabled { "Enable" } else { "Disable" }, u.email)
                                                on:click=move |_| { disable.dispatch(SetUserDisabled { email: e1.clone(), disabled: !disabled }); }>
                                                {if disabled { "Enable" } else { "Disable" }}
                                            </button>
                                            " "
                                            <button class="button small" type="button" aria-label=format!("Password-reset link for {}", u.email)
                                                on:click=move |_| { reset.dispatch(CreatePasswordReset { email: e2.clone() }); }>"Reset link"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
            }}
        </section>
        <section class="card">
            <h2>"Re-activate a revoked key"</h2>
            <label for="find-prefix">"Key prefix"</label>
            <input id="find-prefix" placeholder="sk_AbCd1234_Xy" on:input=move |ev| key_prefix.set(event_target_value(&ev))/>
            {move || error_parts(reactivate.value().get().map(|r| r.map(|_| ()))).0.map(|m| view! { <ErrorBanner message=m/> })}
            {move || {
                    match key.get() {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(None) => view! { <p class="muted">"Enter the 14-character prefix shown in the keys list or the audit log."</p> }.into_any(),
                        Ok(Some(k)) => {
                            let prefix = k.prefix.clone();
                            view! {
                                <div class="found-key">
                                    <p><strong>{k.name.clone()}</strong> " " <code>{k.prefix.clone()}</code> " · " {k.status.label()}</p>
                                    {(k.status == KeyStatus::Revoked).then(|| view! {
                                        <button class="button" type="button" on:click=move |_| { reactivate.dispatch(ReactivateKey { prefix: prefix.clone() }); }>"Re-activate"</button>
                                    })}
                                </div>
                            }.into_any()
                        }
                    }
            }}
        </section>
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
                                    <th scope="col">"IP address"</th><th scope="col">"Browser"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr>
                                            <td data-label="When">{format_time(e.occurred_at)}</td>
                                            <td data-label="Event"><code>{e.kind}</code></td>
                                            <td data-label="Email">{e.email}</td>
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
