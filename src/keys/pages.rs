//! Dashboard → Developer: the keys list, "New key", the one-time reveal,
//! editing, revoking and deleting.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::domain::{
    time_left, CreatedKey, Grace, KeyPolicy, KeyStatus, KeySummary, Permission, Permissions,
    IP_ALLOWLIST_MAX, KEY_NAME_MAX, POLICY_MAX_DAYS,
};

// The help texts below say these numbers as literals (formatting them
// costs wasm); this keeps them true.
const _: () = assert!(IP_ALLOWLIST_MAX == 50 && POLICY_MAX_DAYS == 3650);
use super::{
    list_keys, take_new_key, CancelRetirement, CreateKey, DeleteKey, RevokeKey, RollKey,
    SetKeyPolicy, UpdateKey,
};
use crate::auth::DeveloperAccess;
use crate::error::{AppError, FieldError};
use crate::ui::{
    copy_to_clipboard, error_parts, field_error, format_optional, format_time, opened_with,
    reloading, signed_in, AccessDenied, CancelLink, ErrorBanner, EyeIcon, EyeOffIcon, Modal,
};

#[component]
pub fn DeveloperPage() -> impl IntoView {
    // Created once per page view, outside anything that may render twice: a
    // key created by a plain form post can be taken only once.
    let posted_key = (opened_with("dialog").as_deref() == Some("reveal"))
        .then(|| Resource::new(|| (), |_| take_new_key()));
    signed_in(move |viewer| {
        let Some(org) = viewer.active else {
            return view! {
                <AccessDenied title="No organisation" message="You are not a member of any organisation yet."/>
            }
            .into_any();
        };
        let org_admin = org.permissions.admin;
        match org.developer_access().explain(&org.name) {
            None => {
                let keys = Resource::new(|| (), |_| list_keys(1, false));
                view! {
                    <Suspense fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
                        {move || Suspend::new(async move {
                            let posted = match posted_key {
                                Some(taken) => taken.await.ok().flatten(),
                                None => None,
                            };
                            view! { <KeysPanel org_admin=org_admin initial=keys.await posted=posted/> }
                        })}
                    </Suspense>
                }
                .into_any()
            }
            Some(why) => {
                let title = match org.developer_access() {
                    DeveloperAccess::FlagOff => "Developer API not enabled",
                    _ => "Developer permission needed",
                };
                view! { <AccessDenied title=title message=why/> }.into_any()
            }
        }
    })
}

/// Which dialog is open on the Developer page.
#[derive(Clone, PartialEq)]
enum Dialog {
    None,
    NewKey,
    Reveal(CreatedKey),
    Edit(KeySummary),
    Revoke(KeySummary),
    Delete(KeySummary),
    Roll(KeySummary),
    Policy(KeyPolicy),
}

/// "3 keys" or "1 key".
fn keys_count(n: i64) -> String {
    if n == 1 {
        "1 key".to_owned()
    } else {
        format!("{n} keys")
    }
}

/// The Developer page's live part: an island, loaded as its own wasm chunk.
/// `initial` is the first page of keys; `posted` a key just created by a
/// plain form post, to reveal.
#[island(lazy)]
fn KeysPanel(
    org_admin: bool,
    initial: Result<super::KeysPage, AppError>,
    posted: Option<CreatedKey>,
) -> impl IntoView {
    crate::ui::island_start();
    let page = RwSignal::new(1i64);
    let version = RwSignal::new(0u32);
    let unused_only = RwSignal::new(false);
    let keys = reloading(
        initial,
        move || (page.get(), version.get(), unused_only.get()),
        |(page, _, unused_only)| list_keys(page, unused_only),
    );
    // "New key" and the reveal after a plain form post open from the URL.
    let opened = opened_with("dialog");
    let dialog = RwSignal::new(match opened.as_deref() {
        Some("new-key") => Dialog::NewKey,
        _ => Dialog::None,
    });
    let refresh = move || version.update(|v| *v += 1);
    let close = Callback::new(move |_: ()| dialog.set(Dialog::None));
    let done = Callback::new(move |_: ()| {
        refresh();
        dialog.set(Dialog::None);
    });
    let revealed = Callback::new(move |created: CreatedKey| {
        page.set(1);
        refresh();
        dialog.set(Dialog::Reveal(created));
    });

    view! {
        <div class="page-header">
            <div>
                <h1>"Developer"</h1>
                <p class="muted">"Create, manage, and revoke keys for the public REST API."</p>
            </div>
            <NewKeyButton dialog=dialog/>
        </div>
        {posted.map(|created| view! { <PostedKeyReveal created=created/> })}
            {move || {
                match keys.get() {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(p) if p.keys.is_empty() && p.page == 1 && !p.unused_only => view! {
                        <section class="card empty">
                            <h2>"No API keys yet"</h2>
                            <p>"API keys let scripts and integrations, like a Zapier leads sync or a CI job, read and change your organisation's leads through the public REST API. Each key carries its own permissions and, optionally, an expiry date."</p>
                            <NewKeyButton dialog=dialog/>
                        </section>
                    }.into_any(),
                    Ok(p) => {
                        let pages = (p.total + p.page_size - 1) / p.page_size;
                        let current = p.page;
                        let policy = p.policy;
                        view! {
                            {(p.leaked > 0).then(|| view! {
                                <div class="banner error" role="alert">
                                    <strong>{format!("{} reported as leaked and revoked. ", keys_count(p.leaked))}</strong>
                                    "Someone sent them to the leak-report endpoint. Give the integrations that used them new keys, then delete the revoked ones."
                                </div>
                            })}
                            {(p.expiring_soon > 0).then(|| view! {
                                <div class="banner warning" role="status">
                                    <strong>{format!("{} expiring within 7 days. ", keys_count(p.expiring_soon))}</strong>
                                    "Roll them, or create replacements, before the integrations using them stop."
                                </div>
                            })}
                            <div inner_html=p.overview_html></div>
                            <p class="muted small policy-line">
                                "Key policy: " {p.policy_text.clone()} " "
                                {org_admin.then(|| view! {
                                    <button class="link-button" type="button" on:click=move |_| dialog.set(Dialog::Policy(policy))>"Change key policy"</button>
                                })}
                            </p>
                            <label class="check filter" for="unused-only">
                                <input type="checkbox" id="unused-only" prop:checked=move || unused_only.get()
                                    on:change=move |ev| { page.set(1); unused_only.set(event_target_checked(&ev)); }/>
                                "Only keys unused for 90 days"
                            </label>
                            {(p.keys.is_empty()).then(|| view! { <p class="muted">"No working key has gone unused for 90 days."</p> })}
                            <div class="table-wrap">
                                <table class="data keys">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Prefix"</th><th scope="col">"Permissions"</th>
                                        <th scope="col">"Status"</th><th scope="col">"Expiry"</th><th scope="col">"Created"</th>
                                        <th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {p.keys.into_iter().map(|key| view! { <KeyRow key=key dialog=dialog on_changed=done/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {(pages > 1).then(|| view! {
                                <div class="pager">
                                    <button class="button small" type="button" disabled=current <= 1 on:click=move |_| page.update(|p| *p -= 1)>"Previous"</button>
                                    <span class="muted">{format!("Page {current} of {pages}")}</span>
                                    <button class="button small" type="button" disabled=current >= pages on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                                </div>
                            })}
                        }.into_any()
                    }
                }
            }}
        {move || match dialog.get() {
            Dialog::None => ().into_any(),
            Dialog::NewKey => view! {
                <NewKeyForm on_close=close on_created=revealed keys=keys/>
            }.into_any(),
            Dialog::Reveal(created) => view! { <RevealKey created=created on_close=close/> }.into_any(),
            Dialog::Edit(key) => view! { <EditKey key=key on_close=close on_saved=done/> }.into_any(),
            Dialog::Revoke(key) => view! { <RevokeKeyDialog key=key on_close=close on_done=done/> }.into_any(),
            Dialog::Delete(key) => view! { <DeleteKeyDialog key=key on_close=close on_done=done/> }.into_any(),
            Dialog::Roll(key) => view! { <RollKeyDialog key=key on_close=close on_rolled=revealed/> }.into_any(),
            Dialog::Policy(policy) => view! { <PolicyDialog policy=policy on_close=close on_saved=done/> }.into_any(),
        }}
    }
}

/// "New key": a real button in a GET form, so that it opens the form from
/// the URL before the wasm has loaded, and in place once it has.
#[component]
fn NewKeyButton(dialog: RwSignal<Dialog>) -> impl IntoView {
    view! {
        <form method="get" action="/developer" class="bare-form"
            on:submit=move |ev| { ev.prevent_default(); dialog.set(Dialog::NewKey); }>
            <input type="hidden" name="dialog" value="new-key"/>
            <button class="button primary" type="submit">"New key"</button>
        </form>
    }
}

#[component]
fn KeyRow(key: KeySummary, dialog: RwSignal<Dialog>, on_changed: Callback<()>) -> impl IntoView {
    let status = key.status;
    let status_class = match status {
        KeyStatus::Active => "badge ok",
        KeyStatus::Retiring => "badge warn",
        KeyStatus::Revoked => "badge danger",
        KeyStatus::Expired => "badge muted",
    };
    let status_note = match (status, key.retires_in_ms, key.revoked_reason.as_deref()) {
        (KeyStatus::Retiring, Some(ms), _) => Some(format!("Retires in {}", time_left(ms))),
        (KeyStatus::Revoked, _, Some("leaked")) => Some("Reported as leaked".to_owned()),
        (KeyStatus::Revoked, _, Some("rolled")) => Some("Replaced by a roll".to_owned()),
        _ => None,
    };
    let expiry_note = key
        .expires_in_ms
        .map(|ms| format!("Expires in {}", time_left(ms)));
    let ips = key.allowed_ips.len();
    let for_edit = key.clone();
    let for_revoke = key.clone();
    let for_delete = key.clone();
    let for_roll = key.clone();
    let id = key.id;
    let cancel = ServerAction::<CancelRetirement>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = cancel.value().get() {
            on_changed.run(());
        }
    });
    let open = move || dialog.set(Dialog::Edit(for_edit.clone()));
    let open_on_key = open.clone();
    view! {
        <tr class="clickable" tabindex="0" data-prefix=key.prefix.clone()
            aria-label=format!("Edit key {}", key.name)
            on:click=move |_| open()
            on:keydown=move |ev| if ev.key() == "Enter" { open_on_key() }>
            <td data-label="Name">
                <span>
                    <span class="key-name">{key.name.clone()}</span>
                    {key.is_playground.then(|| view! { <span class="badge info">"Playground"</span> })}
                    {key.rolled_from.clone().map(|from| view! { <br/><span class="muted small">"Rolled from " <code>{from}"…"</code></span> })}
                </span>
            </td>
            <td data-label="Prefix"><code>{key.prefix.clone()}"…"</code></td>
            <td data-label="Permissions">
                <span>
                    {key.permissions.describe()}
                    {(ips > 0).then(|| view! { <br/><span class="muted small">{format!("IP allowlist: {ips} {}", if ips == 1 { "entry" } else { "entries" })}</span> })}
                </span>
            </td>
            <td data-label="Status">
                <span>
                    <span class=status_class>{status.label()}</span>
                    {status_note.map(|note| view! { <br/><span class="small status-note">{note}</span> })}
                    {(key.calls_24h > 0).then(|| view! { <br/><span class="badge danger">{format!("Still called: {} requests in 24 h", key.calls_24h)}</span> })}
                    {key.unused.then(|| view! { <br/><span class="badge muted">"Unused for 90 days"</span> })}
                </span>
            </td>
            <td data-label="Expiry">
                <span>
                    {format_optional(key.expires_at, "Never")}
                    {expiry_note.map(|note| view! { <br/><span class="small expiring">{note}</span> })}
                </span>
            </td>
            <td data-label="Created">
                <span>{format_time(key.created_at)}<br/><span class="muted small">"by " {key.created_by.clone()}</span></span>
            </td>
            <td data-label="Last used">
                <span>
                    {format_optional(key.last_used_at, "Never")}
                    {(key.request_count > 0).then(|| view! { <br/><span class="muted small">{format!("{} requests", key.request_count)}</span> })}
                </span>
            </td>
            <td class="actions" on:click=|ev| ev.stop_propagation() on:keydown=|ev| ev.stop_propagation()>
                <a class="button small" href=format!("/developer/keys/{id}")
                    aria-label=format!("Usage of {}", key.name)>"Usage"</a>
                {(status == KeyStatus::Active).then(|| view! {
                    <button class="button small" type="button" on:click=move |_| dialog.set(Dialog::Roll(for_roll.clone()))>"Roll key"</button>
                })}
                {(status == KeyStatus::Retiring).then(|| view! {
                    <button class="button small" type="button" disabled=move || cancel.pending().get()
                        on:click=move |_| { cancel.dispatch(CancelRetirement { id }); }>"Cancel revocation"</button>
                })}
                {(status != KeyStatus::Revoked).then(|| view! {
                    <button class="button small" type="button" on:click=move |_| dialog.set(Dialog::Revoke(for_revoke.clone()))>"Revoke"</button>
                })}
                <button class="button small danger" type="button" on:click=move |_| dialog.set(Dialog::Delete(for_delete.clone()))>"Delete"</button>
            </td>
        </tr>
    }
}

/// The four Leads checkboxes.
#[component]
fn PermissionBoxes(permissions: RwSignal<Permissions>) -> impl IntoView {
    view! {
        <fieldset class="permissions">
            <legend>"Permissions"</legend>
            <p class="muted small">"Leads"</p>
            <div class="checks">
                {Permission::ALL.into_iter().map(|p| {
                    let id = format!("perm-{}", p.label());
                    let for_label = id.clone();
                    view! {
                        <label class="check" for=for_label>
                            <input type="checkbox" id=id name=format!("permissions[{}]", p.label()) value="true"
                                prop:checked=move || permissions.get().allows(p)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    permissions.update(|ps| ps.set(p, on));
                                }/>
                            {p.label()}
                        </label>
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}

/// A real HTML form (URL-encoded post): it creates a key before the wasm has
/// loaded too, and the key is then revealed on the page it redirects to.
#[component]
fn NewKeyForm(
    on_close: Callback<()>,
    on_created: Callback<CreatedKey>,
    keys: RwSignal<Result<super::KeysPage, AppError>>,
) -> impl IntoView {
    let create = ServerAction::<CreateKey>::new();
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            // Hand the plaintext over and forget it here.
            create.value().set(None);
            on_created.run(created);
        }
    });
    let result = Signal::derive(move || create.value().get().map(|r| r.map(|_| ())));
    let fields: Signal<Vec<FieldError>> = Signal::derive(move || error_parts(result.get()).1);
    let general = move || error_parts(result.get()).0;
    view! {
        <Modal title="New key" id="new-key" on_close=on_close close_href="/developer">
            <ActionForm action=create attr:novalidate=true>
                {move || general().map(|m| view! { <ErrorBanner message=m/> })}
                <label for="key-name">"Key name"</label>
                <input id="key-name" name="name" autofocus placeholder="Zapier, leads sync"
                    aria-describedby="key-name-help"/>
                <p class="muted small" id="key-name-help">{format!("A label for you. 1–{KEY_NAME_MAX} characters, required.")}</p>
                {field_error(fields, "name")}
                <PermissionBoxes permissions=RwSignal::new(Permissions::default())/>
                <label for="key-expiry">"Expiry"</label>
                // Under a key policy, pre-filled with the latest date allowed.
                {move || {
                        let suggested = keys.with(|k| k.as_ref().ok().and_then(|p| p.suggested_expiry.clone()));
                        let help = if suggested.is_some() {
                            "Required by your organisation's key policy, at most the date filled in. The key stops working after that date (end of day, UTC). It can't be changed later."
                        } else {
                            "Optional. The key stops working after that date (end of day, UTC). It can't be changed later."
                        };
                        view! {
                            <input id="key-expiry" name="expires_at" type="date" aria-describedby="key-expiry-help"
                                value=suggested.clone() max=suggested/>
                            <p class="muted small" id="key-expiry-help">{help}</p>
                        }
                }}
                {field_error(fields, "expires_at")}
                <div class="modal-actions">
                    <CancelLink href="/developer" on_close=on_close/>
                    <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create key"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}

/// The reveal for a key created by a plain form post, on the page the post
/// redirected to.
#[component]
fn PostedKeyReveal(created: CreatedKey) -> impl IntoView {
    let dismissed = RwSignal::new(false);
    view! {
        <Show when=move || !dismissed.get()>
            <RevealKey created=created.clone() on_close=Callback::new(move |_| dismissed.set(true))/>
        </Show>
    }
}

#[component]
fn RevealKey(created: CreatedKey, on_close: Callback<()>) -> impl IntoView {
    let revealed = RwSignal::new(false);
    let copied = RwSignal::new(None::<bool>);
    let plaintext = StoredValue::new(created.plaintext);
    let copy = move || {
        let text = plaintext.get_value();
        leptos::task::spawn_local(async move { copied.set(Some(copy_to_clipboard(text).await)) });
    };
    view! {
        <Modal title="Your new API key" id="reveal-key" on_close=on_close>
            <p>"Key " <strong>{created.key.name.clone()}</strong> " was created with prefix " <code>{created.key.prefix.clone()}</code> "."</p>
            <div class="secret-row">
                <label class="visually-hidden" for="raw-key">"API key"</label>
                <input id="raw-key" class="secret" readonly spellcheck="false" autocomplete="off"
                    type=move || if revealed.get() { "text" } else { "password" }
                    value=plaintext.get_value()/>
                <button class="icon-button" type="button"
                    aria-label=move || if revealed.get() { "Hide key" } else { "Reveal key" }
                    aria-pressed=move || revealed.get().to_string()
                    on:click=move |_| revealed.update(|r| *r = !*r)>
                    {move || if revealed.get() { view! { <EyeOffIcon/> }.into_any() } else { view! { <EyeIcon/> }.into_any() }}
                </button>
                <button class="button" type="button" on:click=move |_| copy()>"Copy"</button>
            </div>
            // Without JavaScript the eye button can't switch the field; this can.
            <noscript inner_html=format!(
                "<details class=\"reveal-plain\"><summary>Reveal key</summary><code>{}</code></details>",
                plaintext.get_value(),
            )/>
            <p class="status-line" aria-live="polite">
                {move || match copied.get() {
                    Some(true) => "Copied to the clipboard.",
                    Some(false) => "Could not copy. Reveal the key and copy it by hand.",
                    None => "",
                }}
            </p>
            <div class="banner warning" role="note">
                <strong>"You only see the raw key once. "</strong>
                "We never store the plaintext, only a SHA-256 hash. If you lose the key, you can't recover it; you'll need to make a new one. Save it in your password manager or your CI's secret store before closing the dialog."
            </div>
            <div class="modal-actions">
                <button class="button primary" type="button" on:click=move |_| on_close.run(())>"Done"</button>
            </div>
        </Modal>
    }
}

#[component]
fn EditKey(key: KeySummary, on_close: Callback<()>, on_saved: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(key.name.clone());
    let permissions = RwSignal::new(key.permissions);
    let allowed_ips = RwSignal::new(key.allowed_ips.join("\n"));
    let update = ServerAction::<UpdateKey>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            on_saved.run(());
        }
    });
    let result = Signal::derive(move || update.value().get().map(|r| r.map(|_| ())));
    let fields: Signal<Vec<FieldError>> = Signal::derive(move || error_parts(result.get()).1);
    let general = move || error_parts(result.get()).0;
    let id = key.id;
    view! {
        <Modal title="Edit key" id="edit-key" on_close=on_close>
            <form novalidate on:submit=move |ev| {
                ev.prevent_default();
                update.dispatch(UpdateKey { id, name: name.get(), permissions: permissions.get(), allowed_ips: allowed_ips.get() });
            }>
                {move || general().map(|m| view! { <ErrorBanner message=m/> })}
                <p class="muted">"Prefix " <code>{key.prefix.clone()}</code> " · " {key.status.label()}</p>
                <label for="edit-key-name">"Key name"</label>
                <input id="edit-key-name" bind:value=name/>
                {field_error(fields, "name")}
                <PermissionBoxes permissions=permissions/>
                <label for="edit-key-ips">"IP allowlist"</label>
                <textarea id="edit-key-ips" rows="3" spellcheck="false" aria-describedby="edit-key-ips-help"
                    placeholder="203.0.113.7\n2001:db8::/32" bind:value=allowed_ips></textarea>
                <p class="muted small" id="edit-key-ips-help">"Optional. Addresses or CIDR ranges the key may be used from, one per line, at most 50. Empty: anywhere."</p>
                {field_error(fields, "allowed_ips")}
                <label for="edit-key-expiry">"Expiry"</label>
                <input id="edit-key-expiry" readonly aria-describedby="edit-key-expiry-help"
                    value=format_optional(key.expires_at, "Never")/>
                <p class="muted small" id="edit-key-expiry-help">"You can't change the expiry once a key is created."</p>
                <div class="modal-actions">
                    <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button class="button primary" type="submit" disabled=move || update.pending().get()>"Save"</button>
                </div>
            </form>
        </Modal>
    }
}

#[component]
fn RevokeKeyDialog(
    key: KeySummary,
    on_close: Callback<()>,
    on_done: Callback<()>,
) -> impl IntoView {
    let revoke = ServerAction::<RevokeKey>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = revoke.value().get() {
            on_done.run(());
        }
    });
    let general = move || error_parts(revoke.value().get().map(|r| r.map(|_| ()))).0;
    let id = key.id;
    view! {
        <Modal title="Revoke key" id="revoke-key" on_close=on_close>
            {move || general().map(|m| view! { <ErrorBanner message=m/> })}
            <p>"Revoke " <strong>{key.name.clone()}</strong> " (" <code>{key.prefix.clone()}</code> ")?"</p>
            <p class="muted">"Requests with it will get a 401. The key stays in the list for audit purposes. Revoking is reversible: your platform admin can re-activate it."</p>
            <div class="modal-actions">
                <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button class="button danger" type="button" on:click=move |_| { revoke.dispatch(RevokeKey { id }); }>"Revoke"</button>
            </div>
        </Modal>
    }
}

#[component]
fn DeleteKeyDialog(
    key: KeySummary,
    on_close: Callback<()>,
    on_done: Callback<()>,
) -> impl IntoView {
    let delete = ServerAction::<DeleteKey>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            on_done.run(());
        }
    });
    let general = move || error_parts(delete.value().get()).0;
    let id = key.id;
    view! {
        <Modal title="Delete key" id="delete-key" on_close=on_close>
            {move || general().map(|m| view! { <ErrorBanner message=m/> })}
            <p>"Permanently delete " <strong>{key.name.clone()}</strong> " (" <code>{key.prefix.clone()}</code> ")?"</p>
            <p class="muted">"Once deleted there's no history of it ever existing, apart from audit log entries. This can't be undone; revoke first when in doubt."</p>
            <div class="modal-actions">
                <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button class="button danger" type="button" on:click=move |_| { delete.dispatch(DeleteKey { id }); }>"Delete"</button>
            </div>
        </Modal>
    }
}

#[component]
fn RollKeyDialog(
    key: KeySummary,
    on_close: Callback<()>,
    on_rolled: Callback<CreatedKey>,
) -> impl IntoView {
    let grace = RwSignal::new(Grace::OneDay);
    let roll = ServerAction::<RollKey>::new();
    Effect::new(move |_| {
        if let Some(Ok(created)) = roll.value().get() {
            roll.value().set(None);
            on_rolled.run(created);
        }
    });
    let general = move || error_parts(roll.value().get().map(|r| r.map(|_| ()))).0;
    let id = key.id;
    view! {
        <Modal title="Roll key" id="roll-key" on_close=on_close>
            <form on:submit=move |ev| { ev.prevent_default(); roll.dispatch(RollKey { id, grace: grace.get() }); }>
                {move || general().map(|m| view! { <ErrorBanner message=m/> })}
                <p>"Roll " <strong>{key.name.clone()}</strong> " (" <code>{key.prefix.clone()}</code> "): a new key with the same name, permissions, expiry and IP allowlist is shown once. The old key keeps working for the grace period, then is revoked, so you can swap keys without downtime."</p>
                <fieldset class="grace">
                    <legend>"Grace period"</legend>
                    {Grace::ALL.into_iter().map(|g| {
                        let id = format!("grace-{}", g.duration().num_hours());
                        let for_label = id.clone();
                        view! {
                            <label class="check" for=for_label>
                                <input type="radio" id=id name="grace" prop:checked=move || grace.get() == g
                                    on:change=move |_| grace.set(g)/>
                                {g.label()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="modal-actions">
                    <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button class="button primary" type="submit" disabled=move || roll.pending().get()>"Roll key"</button>
                </div>
            </form>
        </Modal>
    }
}

/// Org admins: the rules for new keys and rolls.
#[component]
fn PolicyDialog(
    policy: KeyPolicy,
    on_close: Callback<()>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let days = RwSignal::new(
        policy
            .max_lifetime_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
    );
    let required = RwSignal::new(policy.expiry_required);
    let save = ServerAction::<SetKeyPolicy>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            on_saved.run(());
        }
    });
    let result = Signal::derive(move || save.value().get().map(|r| r.map(|_| ())));
    let fields: Signal<Vec<FieldError>> = Signal::derive(move || error_parts(result.get()).1);
    let general = move || error_parts(result.get()).0;
    view! {
        <Modal title="Key policy" id="key-policy" on_close=on_close>
            <form novalidate on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(SetKeyPolicy { max_lifetime_days: days.get(), expiry_required: required.get() });
            }>
                {move || general().map(|m| view! { <ErrorBanner message=m/> })}
                <p class="muted">"Applies to new keys and rolls. Existing keys keep their expiry."</p>
                <label for="policy-days">"Maximum lifetime (days)"</label>
                <input id="policy-days" inputmode="numeric" bind:value=days aria-describedby="policy-days-help"/>
                <p class="muted small" id="policy-days-help">"1 to 3650; empty for none. New keys must then expire within it, and the form fills it in."</p>
                {field_error(fields, "max_lifetime_days")}
                <label class="check" for="policy-required">
                    <input type="checkbox" id="policy-required" bind:checked=required/>
                    "Expiry required"
                </label>
                <div class="modal-actions">
                    <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button class="button primary" type="submit" disabled=move || save.pending().get()>"Save"</button>
                </div>
            </form>
        </Modal>
    }
}
