//! Dashboard → Members: an organisation admin adds members and grants permissions.

use leptos::prelude::*;

use leptos::form::ActionForm;

use super::{
    get_invitation, list_members, member_keys, AcceptInvitation, InviteMember,
    RemoveMember as RemoveMemberFn, RevokeInvitation, SentInvitation, SetMemberPermissions,
    SetTwoFactorRequired,
};
use crate::auth::domain::MemberPermissions;
use crate::auth::pages::signed_in;
use crate::error::{AppError, FieldError};
use crate::platform::clock::format_time;
use crate::web::ui::{
    confirm_identity, error_parts, field_error, opened_with, posted, AccessDenied, CancelLink,
    CopyField, ErrorBanner, Modal,
};

/// Dashboard → Members: drawn by the server, without wasm but the Copy
/// button of a new invitation link. Every change is a plain form post that
/// comes back here; Remove opens from the address (`?dialog=remove&id=EMAIL`).
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
    let members = Resource::new(|| (), |_| list_members());
    let set = ServerAction::<SetMemberPermissions>::new();
    let invite = ServerAction::<InviteMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let general = |e: Option<String>| e.map(|m| view! { <ErrorBanner message=m/> });
    let invite_result = invite.value().get_untracked().map(|r| r.map(|_| ()));
    let invite_confirm = confirm_identity(&invite_result);
    let (invite_error, invite_fields) = error_parts(invite_result);
    let require = ServerAction::<SetTwoFactorRequired>::new();
    let invite_fields: Signal<Vec<FieldError>> = Signal::stored(invite_fields);
    let ticked = |name: &str| posted(name).is_some_and(|v| v == "true");
    let removing = (opened_with("dialog").as_deref() == Some("remove"))
        .then(|| opened_with("id"))
        .flatten();
    let sent = sent_invitation();
    view! {
        <div class="page-header"><div>
            <h1>"Members"</h1>
            <p class="muted">"Grant Admin to manage members, and Developer to use the Developer area."</p>
        </div></div>
        {general(error_parts(set.value().get_untracked()).0)}
        {general(error_parts(revoke.value().get_untracked()).0)}
        {general(error_parts(require.value().get_untracked()).0)}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match members.await {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(page) => view! {
                        <p class="muted">
                            "Developer API feature flag for " {page.organisation.clone()} ": "
                            <strong data-testid="flag-state">{if page.developer_api { "On" } else { "Off" }}</strong>
                            " (set by your platform admin; it's not self-serve)."
                        </p>
                        <ActionForm action=require attr:class="inline-form">
                            <label class="check" for="require-two-factor">
                                <input type="checkbox" id="require-two-factor" name="required" value="true" checked=page.require_two_factor/>
                                "Require two-factor sign-in"
                            </label>
                            <button class="button small" type="submit">"Save"</button>
                            <span class="muted small">"Members without it can't act in " {page.organisation.clone()} " until they turn it on."</span>
                        </ActionForm>
                        <div class="table-wrap"><table class="data">
                            <thead><tr><th scope="col">"Email"</th><th scope="col">"Admin"</th><th scope="col">"Developer"</th><th scope="col">"Joined"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>
                                {page.members.into_iter().map(|m| {
                                    let p = m.permissions;
                                    view! {
                                        <tr data-email=m.email.clone()>
                                            <td data-label="Email">{m.email.clone()}</td>
                                            <td data-label="Admin">
                                                <PermissionSwitch email=m.email.clone() label="Admin" on=p.admin
                                                    flipped=MemberPermissions { admin: !p.admin, ..p }/>
                                            </td>
                                            <td data-label="Developer">
                                                <PermissionSwitch email=m.email.clone() label="Developer" on=p.developer
                                                    flipped=MemberPermissions { developer: !p.developer, ..p }/>
                                            </td>
                                            <td data-label="Joined">{format_time(m.joined_at)}</td>
                                            <td class="actions">
                                                <form method="get" action="/members" class="bare-form">
                                                    <input type="hidden" name="dialog" value="remove"/>
                                                    <input type="hidden" name="id" value=m.email.clone()/>
                                                    <button class="button small danger" type="submit" aria-label=format!("Remove {}", m.email)>"Remove"</button>
                                                </form>
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
                                    {page.invitations.into_iter().map(|i| { let revoke_label = format!("Revoke the invitation of {}", i.email); view! {
                                        <tr data-invitation=i.email.clone()>
                                            <td data-label="Email">{i.email.clone()}</td>
                                            <td data-label="Permissions">{i.permissions.describe()}</td>
                                            <td data-label="Invited by">{i.invited_by.clone()}</td>
                                            <td data-label="Expires">{format_time(i.expires_at)}</td>
                                            <td class="actions">
                                                <ActionForm action=revoke attr:class="bare-form">
                                                    <input type="hidden" name="id" value=i.id/>
                                                    <button class="button small" type="submit" aria-label=revoke_label>"Revoke"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table></div>
                        })}
                    }.into_any(),
                }
            })}
        </Suspense>
        <ActionForm action=invite attr:class="card form-card" attr:novalidate=true>
            <h2>"Invite member"</h2>
            <p class="muted small">"You get a link to send them. They choose their own password, or sign in with the one they have. The link works once, for 7 days."</p>
            {general(invite_error)}
            <label for="member-email">"Email"</label>
            <input id="member-email" name="email" type="email" required value=posted("email")/>
            {field_error(invite_fields, "email")}
            <div class="checks">
                <label class="check"><input type="checkbox" name="permissions[admin]" value="true" checked=ticked("permissions[admin]")/>"Admin"</label>
                <label class="check"><input type="checkbox" name="permissions[developer]" value="true" checked=ticked("permissions[developer]")/>"Developer"</label>
            </div>
            {invite_confirm}
            <button class="button primary" type="submit">"Invite"</button>
        </ActionForm>
        {removing.map(|email| view! { <RemoveMember email=email/> })}
        {sent.map(|invitation| view! { <InvitationLink invitation=invitation/> })}
    }
}

/// A member's Admin or Developer switch: a form that posts the permissions
/// with this one flipped, and submits itself when the box changes (a
/// button does without JavaScript).
#[component]
fn PermissionSwitch(
    email: String,
    label: &'static str,
    on: bool,
    flipped: MemberPermissions,
) -> impl IntoView {
    let set = ServerAction::<SetMemberPermissions>::new();
    let aria = format!("{label} for {email}");
    view! {
        <ActionForm action=set attr:class="bare-form">
            <input type="hidden" name="email" value=email/>
            <input type="hidden" name="permissions[admin]" value=flipped.admin.to_string()/>
            <input type="hidden" name="permissions[developer]" value=flipped.developer.to_string()/>
            <input type="checkbox" class="switch" data-submit-on-change="" aria-label=aria checked=on/>
            <noscript><button class="button small" type="submit">{if on { "Revoke" } else { "Grant" }}</button></noscript>
        </ActionForm>
    }
}

/// "Remove": lists the member's working keys, offered for revocation
/// (ticked by default), then removes them.
#[component]
fn RemoveMember(email: String) -> impl IntoView {
    let for_keys = email.clone();
    let keys = Resource::new(move || for_keys.clone(), member_keys);
    let remove = ServerAction::<RemoveMemberFn>::new();
    let (general, _) = error_parts(remove.value().get_untracked());
    let target = email.clone();
    view! {
        <Modal title="Remove member" id="remove-member" close_href="/members">
            {general.map(|m| view! { <ErrorBanner message=m/> })}
            <p>"Remove " <strong>{email.clone()}</strong> " from this organisation? Their next request no longer reaches its data."</p>
            <ActionForm action=remove>
                <input type="hidden" name="email" value=target/>
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
                                    <input type="checkbox" name="revoke_keys" value="true" checked/>
                                    "Revoke these keys"
                                </label>
                            }.into_any(),
                        }
                    })}
                </Suspense>
                <div class="modal-actions">
                    <CancelLink href="/members"/>
                    <button class="button danger" type="submit">"Remove member"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}

/// The invitation link a plain "Invite" post made, on the page it returned
/// to (its flash, handed to the page view by `provide_flash_for_this_view`).
fn sent_invitation() -> Option<SentInvitation> {
    #[cfg(feature = "ssr")]
    {
        use_context::<SentInvitation>()
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The invitation link, shown once with Copy, like a new key.
#[component]
fn InvitationLink(invitation: SentInvitation) -> impl IntoView {
    view! {
        <Modal title="Invitation link" id="invitation-link" close_href="/members">
            <p>"Send this link to " <strong>{invitation.email.clone()}</strong> ". It works once, until " {format_time(invitation.expires_at)} "."</p>
            <CopyField id="invitation-url".to_owned() label="Invitation link".to_owned() value=invitation.url masked=false
                fallback="Could not copy. Select the link and copy it by hand.".to_owned()/>
            <div class="banner warning" role="note">
                "You only see this link once. Anyone holding it can join as this email until it is used, revoked or expires."
            </div>
            <form method="get" action="/members" class="modal-actions">
                <button class="button primary" type="submit" autofocus>"Done"</button>
            </form>
        </Modal>
    }
}

/// `/invite/:token`: the invitee joins with their own password. Drawn by
/// the server, without wasm: a plain form post that redirects to /leads.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let token = crate::web::ui::path_param("token");
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
                                ("Choose a password to create your Leadline account.", "At least 10 characters, not easy to guess. Only you know it.", "new-password")
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
