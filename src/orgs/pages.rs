//! Dashboard → Members: an organisation admin adds members and grants permissions.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use super::domain::MemberPermissions;
use super::{list_members, AddMember, SetMemberPermissions};
use crate::error::FieldError;
use crate::ui::{error_parts, field_error, format_time, signed_in, AccessDenied, ErrorBanner};

/// The Members page, loaded as its own wasm chunk when first visited (`--split`), so
/// that the first dashboard load stays small.
pub struct MembersRoute;

#[lazy_route]
impl LazyRoute for MembersRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <MembersPage/> }.into_any()
    }
}

#[component]
pub fn MembersPage() -> impl IntoView {
    signed_in(|viewer| {
        match viewer.active {
        Some(org) if org.permissions.admin => view! { <Members/> }.into_any(),
        Some(org) => view! {
            <AccessDenied title="Admin permission needed" message=format!("You need the Admin permission in {} to manage members.", org.name)/>
        }.into_any(),
        None => view! { <AccessDenied title="No organisation" message="You are not a member of any organisation yet."/> }.into_any(),
    }
    })
}

#[component]
fn Members() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let members = Resource::new(move || version.get(), |_| list_members());
    let set = ServerAction::<SetMemberPermissions>::new();
    let add = ServerAction::<AddMember>::new();
    Effect::new(move |_| {
        if set.value().get().is_some() {
            version.update(|v| *v += 1);
        }
    });
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let new_permissions = RwSignal::new(MemberPermissions::default());
    Effect::new(move |_| {
        if let Some(Ok(())) = add.value().get() {
            email.set(String::new());
            password.set(String::new());
            version.update(|v| *v += 1);
        }
    });
    let add_result = Signal::derive(move || add.value().get());
    let add_fields: Signal<Vec<FieldError>> =
        Signal::derive(move || error_parts(add_result.get()).1);
    view! {
        <div class="page-header"><div>
            <h1>"Members"</h1>
            <p class="muted">"Grant Admin to manage members, and Developer to use the Developer area."</p>
        </div></div>
        {move || error_parts(set.value().get()).0.map(|m| view! { <ErrorBanner message=m/> })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match members.await {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(page) => view! {
                        <p class="muted">
                            "Developer API feature flag for " {page.organisation.clone()} ": "
                            <strong data-testid="flag-state">{if page.developer_api { "On" } else { "Off" }}</strong>
                            " (set by your platform admin; it's not self-serve)."
                        </p>
                        <div class="table-wrap"><table class="data">
                            <thead><tr><th scope="col">"Email"</th><th scope="col">"Admin"</th><th scope="col">"Developer"</th><th scope="col">"Joined"</th></tr></thead>
                            <tbody>
                                {page.members.into_iter().map(|m| {
                                    let p = m.permissions;
                                    let e1 = m.email.clone();
                                    let e2 = m.email.clone();
                                    view! {
                                        <tr data-email=m.email.clone()>
                                            <td data-label="Email">{m.email.clone()}</td>
                                            <td data-label="Admin"><input type="checkbox" aria-label=format!("Admin for {}", m.email) prop:checked=p.admin
                                                on:change=move |ev| { set.dispatch(SetMemberPermissions { email: e1.clone(), permissions: MemberPermissions { admin: event_target_checked(&ev), ..p } }); }/></td>
                                            <td data-label="Developer"><input type="checkbox" aria-label=format!("Developer for {}", m.email) prop:checked=p.developer
                                                on:change=move |ev| { set.dispatch(SetMemberPermissions { email: e2.clone(), permissions: MemberPermissions { developer: event_target_checked(&ev), ..p } }); }/></td>
                                            <td data-label="Joined">{format_time(m.joined_at)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                }
            })}
        </Transition>
        <form class="card form-card" on:submit=move |ev| {
            ev.prevent_default();
            add.dispatch(AddMember { email: email.get(), initial_password: password.get(), permissions: new_permissions.get() });
        }>
            <h2>"Add member"</h2>
            {move || error_parts(add_result.get()).0.map(|m| view! { <ErrorBanner message=m/> })}
            <label for="member-email">"Email"</label>
            <input id="member-email" type="email" required bind:value=email/>
            {field_error(add_fields, "email")}
            <label for="member-password">"Initial password"</label>
            <input id="member-password" type="password" autocomplete="new-password" bind:value=password aria-describedby="member-password-help"/>
            <p class="muted small" id="member-password-help">"For a new account: at least 10 characters. Existing accounts keep their password."</p>
            {field_error(add_fields, "password")}
            <div class="checks">
                <label class="check"><input type="checkbox" on:change=move |ev| new_permissions.update(|p| p.admin = event_target_checked(&ev))/>"Admin"</label>
                <label class="check"><input type="checkbox" on:change=move |ev| new_permissions.update(|p| p.developer = event_target_checked(&ev))/>"Developer"</label>
            </div>
            <button class="button primary" type="submit">"Add member"</button>
        </form>
    }
}
