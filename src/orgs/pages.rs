//! Dashboard → Members: an organisation admin adds members and grants permissions.

use leptos::prelude::*;

use leptos::form::ActionForm;

use super::domain::MemberPermissions;
use super::{
    get_invitation, list_members, member_keys, AcceptInvitation, CreatedInvitation, InviteMember,
    RemoveMember as RemoveMemberFn, RevokeInvitation, SetMemberPermissions,
};
use crate::error::{AppError, FieldError};
use crate::ui::{
    absolute_url, copy_to_clipboard, error_parts, field_error, format_time, reloading, signed_in,
    AccessDenied, ErrorBanner, Modal,
};

#[component]
pub fn MembersPage() -> impl IntoView {
    signed_in(|viewer| {
        match viewer.active {
        Some(org) if org.permissions.admin => {
            let members = Resource::new(|| (), |_| list_members());
            view! {
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move { view! { <Members initial=members.await/> } })}
                </Suspense>
            }
            .into_any()
        }
        Some(org) => view! {
            <AccessDenied title="Admin permission needed" message=format!("You need the Admin permission in {} to manage members.", org.name)/>
        }.into_any(),
        None => view! { <AccessDenied title="No organisation" message="You are not a member of any organisation yet."/> }.into_any(),
    }
    })
}

/// The Members page's live part: an island, loaded as its own wasm chunk.
#[island(lazy)]
fn Members(initial: Result<super::MembersPage, AppError>) -> impl IntoView {
    crate::ui::island_start();
    let version = RwSignal::new(0u32);
    let members = reloading(initial, move || version.get(), |_| list_members());
    let set = ServerAction::<SetMemberPermissions>::new();
    let invite = ServerAction::<InviteMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let refresh = move || version.update(|v| *v += 1);
    Effect::new(move |_| {
        if set.value().get().is_some() || revoke.value().get().is_some() {
            refresh();
        }
    });
    let email = RwSignal::new(String::new());
    let new_permissions = RwSignal::new(MemberPermissions::default());
    let created = RwSignal::new(None::<CreatedInvitation>);
    let removing = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(invitation)) = invite.value().get() {
            // Hand the link to the dialog and forget it here.
            invite.value().set(None);
            email.set(String::new());
            created.set(Some(invitation));
            refresh();
        }
    });
    let invite_result = Signal::derive(move || invite.value().get().map(|r| r.map(|_| ())));
    let invite_fields: Signal<Vec<FieldError>> =
        Signal::derive(move || error_parts(invite_result.get()).1);
    view! {
        <div class="page-header"><div>
            <h1>"Members"</h1>
            <p class="muted">"Grant Admin to manage members, and Developer to use the Developer area."</p>
        </div></div>
        {move || error_parts(set.value().get()).0.map(|m| view! { <ErrorBanner message=m/> })}
        {move || error_parts(revoke.value().get()).0.map(|m| view! { <ErrorBanner message=m/> })}
        {move || {
                match members.get() {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(page) => view! {
                        <p class="muted">
                            "Developer API feature flag for " {page.organisation.clone()} ": "
                            <strong data-testid="flag-state">{if page.developer_api { "On" } else { "Off" }}</strong>
                            " (set by your platform admin; it's not self-serve)."
                        </p>
                        <div class="table-wrap"><table class="data">
                            <thead><tr><th scope="col">"Email"</th><th scope="col">"Admin"</th><th scope="col">"Developer"</th><th scope="col">"Joined"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>
                                {page.members.into_iter().map(|m| {
                                    let p = m.permissions;
                                    let e1 = m.email.clone();
                                    let e2 = m.email.clone();
                                    let e3 = m.email.clone();
                                    view! {
                                        <tr data-email=m.email.clone()>
                                            <td data-label="Email">{m.email.clone()}</td>
                                            <td data-label="Admin"><input type="checkbox" aria-label=format!("Admin for {}", m.email) prop:checked=p.admin
                                                on:change=move |ev| { set.dispatch(SetMemberPermissions { email: e1.clone(), permissions: MemberPermissions { admin: event_target_checked(&ev), ..p } }); }/></td>
                                            <td data-label="Developer"><input type="checkbox" aria-label=format!("Developer for {}", m.email) prop:checked=p.developer
                                                on:change=move |ev| { set.dispatch(SetMemberPermissions { email: e2.clone(), permissions: MemberPermissions { developer: event_target_checked(&ev), ..p } }); }/></td>
                                            <td data-label="Joined">{format_time(m.joined_at)}</td>
                                            <td class="actions">
                                                <button class="button small danger" type="button" aria-label=format!("Remove {}", m.email)
                                                    on:click=move |_| removing.set(Some(e3.clone()))>"Remove"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                        {(!page.invitations.is_empty()).then(|| view! {
                            <h2 class="section-title">"Pending invitations"</h2>
                            <div class="table-wrap"><table class="data">
                                <thead><tr><th scope="col">"Email"</th><th scope="col">"Permissions"</th><th scope="col">"Invited by"</th><th scope="col">"Expires"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {page.invitations.into_iter().map(|i| {
                                        let id = i.id;
                                        view! {
                                            <tr data-invitation=i.email.clone()>
                                                <td data-label="Email">{i.email.clone()}</td>
                                                <td data-label="Permissions">{i.permissions.describe()}</td>
                                                <td data-label="Invited by">{i.invited_by.clone()}</td>
                                                <td data-label="Expires">{format_time(i.expires_at)}</td>
                                                <td class="actions">
                                                    <button class="button small" type="button" aria-label=format!("Revoke the invitation of {}", i.email)
                                                        on:click=move |_| { revoke.dispatch(RevokeInvitation { id }); }>"Revoke"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        })}
                    }.into_any(),
                }
        }}
        <form class="card form-card" novalidate on:submit=move |ev| {
            ev.prevent_default();
            invite.dispatch(InviteMember { email: email.get(), permissions: new_permissions.get() });
        }>
            <h2>"Invite member"</h2>
            <p class="muted small">"You get a link to send them. They choose their own password, or sign in with the one they have. The link works once, for 7 days."</p>
            {move || error_parts(invite_result.get()).0.map(|m| view! { <ErrorBanner message=m/> })}
            <label for="member-email">"Email"</label>
            <input id="member-email" type="email" required bind:value=email/>
            {field_error(invite_fields, "email")}
            <div class="checks">
                <label class="check"><input type="checkbox" on:change=move |ev| new_permissions.update(|p| p.admin = event_target_checked(&ev))/>"Admin"</label>
                <label class="check"><input type="checkbox" on:change=move |ev| new_permissions.update(|p| p.developer = event_target_checked(&ev))/>"Developer"</label>
            </div>
            <button class="button primary" type="submit" disabled=move || invite.pending().get()>"Invite"</button>
        </form>
        {move || removing.get().map(|email| view! {
            <RemoveMember email=email
                on_close=Callback::new(move |_| removing.set(None))
                on_done=Callback::new(move |_| { removing.set(None); refresh(); })/>
        })}
        {move || created.get().map(|invitation| view! {
            <InvitationLink invitation=invitation on_close=Callback::new(move |_| created.set(None))/>
        })}
    }
}

/// "Remove": lists the member's working keys, offered for revocation
/// (ticked by default), then removes them.
#[component]
fn RemoveMember(email: String, on_close: Callback<()>, on_done: Callback<()>) -> impl IntoView {
    let for_keys = email.clone();
    let keys = Resource::new(move || for_keys.clone(), member_keys);
    let revoke_keys = RwSignal::new(true);
    let remove = ServerAction::<RemoveMemberFn>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            on_done.run(());
        }
    });
    let general = move || error_parts(remove.value().get()).0;
    let target = StoredValue::new(email.clone());
    view! {
        <Modal title="Remove member" id="remove-member" on_close=on_close>
            {move || general().map(|m| view! { <ErrorBanner message=m/> })}
            <p>"Remove " <strong>{email.clone()}</strong> " from this organisation? Their next request no longer reaches its data."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading their keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"They have no working API keys."</p> }.into_any(),
                        Ok(list) => view! {
                            <p>"API keys they created that still work:"</p>
                            <ul class="key-list">
                                {list.into_iter().map(|k| view! { <li><code>{k.prefix.clone()}"…"</code> " " {k.name.clone()}</li> }).collect_view()}
                            </ul>
                            <label class="check">
                                <input type="checkbox" prop:checked=move || revoke_keys.get()
                                    on:change=move |ev| revoke_keys.set(event_target_checked(&ev))/>
                                "Revoke these keys"
                            </label>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <div class="modal-actions">
                <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button class="button danger" type="button" disabled=move || remove.pending().get()
                    on:click=move |_| { remove.dispatch(RemoveMemberFn { email: target.get_value(), revoke_keys: revoke_keys.get() }); }>"Remove member"</button>
            </div>
        </Modal>
    }
}

/// The invitation link, shown once with Copy, like a new key.
#[component]
fn InvitationLink(invitation: CreatedInvitation, on_close: Callback<()>) -> impl IntoView {
    let link = StoredValue::new(absolute_url(&invitation.path));
    let copied = RwSignal::new(None::<bool>);
    let copy = move || {
        let text = link.get_value();
        leptos::task::spawn_local(async move { copied.set(Some(copy_to_clipboard(text).await)) });
    };
    view! {
        <Modal title="Invitation link" id="invitation-link" on_close=on_close>
            <p>"Send this link to " <strong>{invitation.email.clone()}</strong> ". It works once, until " {format_time(invitation.expires_at)} "."</p>
            <div class="secret-row">
                <label class="visually-hidden" for="invitation-url">"Invitation link"</label>
                <input id="invitation-url" class="secret" readonly spellcheck="false" autocomplete="off" prop:value=move || link.get_value()/>
                <button class="button" type="button" on:click=move |_| copy()>"Copy"</button>
            </div>
            <p class="status-line" aria-live="polite">
                {move || match copied.get() {
                    Some(true) => "Copied to the clipboard.",
                    Some(false) => "Could not copy. Select the link and copy it by hand.",
                    None => "",
                }}
            </p>
            <div class="banner warning" role="note">
                "You only see this link once. Anyone holding it can join as this email until it is used, revoked or expires."
            </div>
            <div class="modal-actions">
                <button class="button primary" type="button" on:click=move |_| on_close.run(())>"Done"</button>
            </div>
        </Modal>
    }
}

/// `/invite/:token`: the invitee joins with their own password. Drawn by
/// the server, without wasm: a plain form post that redirects to /leads.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let token = crate::ui::path_param("token");
    let for_form = StoredValue::new(token.clone());
    let invitation = Resource::new(move || token.clone(), get_invitation);
    view! {
        <main class="centered">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    view! { <Invitation token=for_form.get_value() invitation=invitation.await/> }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Invitation(token: String, invitation: Result<super::InvitationView, AppError>) -> impl IntoView {
    let token = StoredValue::new(token);
    let token = move || token.get_value();
    let accept = ServerAction::<AcceptInvitation>::new();
    let result = Signal::derive(move || accept.value().get());
    let fields: Signal<Vec<FieldError>> = Signal::derive(move || error_parts(result.get()).1);
    view! {
                {
                    match invitation {
                        Err(e) => view! {
                            <section class="card sign-in">
                                <h1>"Invitation"</h1>
                                <ErrorBanner message=e.to_string()/>
                                <a class="button" href="/sign-in">"Sign in"</a>
                            </section>
                        }.into_any(),
                        Ok(i) => {
                            let (lead, hint, autocomplete) = if i.has_account {
                                ("Enter the password of your Leadline account to accept.", "Your current password.", "current-password")
                            } else {
                                ("Choose a password to create your Leadline account.", "At least 10 characters. Only you know it.", "new-password")
                            };
                            view! {
                                <ActionForm action=accept attr:class="card sign-in">
                                    <h1>{format!("Join {}", i.organisation)}</h1>
                                    <p>"You were invited as " <strong>{i.permissions.describe()}</strong> ". " {lead}</p>
                                    {move || error_parts(result.get()).0.map(|m| view! { <ErrorBanner message=m/> })}
                                    <input type="hidden" name="token" value=token()/>
                                    <label for="invite-email">"Email"</label>
                                    <input id="invite-email" type="email" autocomplete="username" readonly value=i.email.clone()/>
                                    <label for="invite-password">"Password"</label>
                                    <input id="invite-password" name="password" type="password" required maxlength="128"
                                        autocomplete=autocomplete aria-describedby="invite-password-help"/>
                                    <p class="muted small" id="invite-password-help">{hint}</p>
                                    {field_error(fields, "password")}
                                    <button class="button primary" type="submit" disabled=move || accept.pending().get()>"Accept invitation"</button>
                                </ActionForm>
                            }.into_any()
                        }
                    }
                }
    }
}
