//! Dashboard → Developer: the keys list, "New key", the one-time reveal,
//! editing, revoking and deleting.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::domain::{CreatedKey, KeyStatus, KeySummary, Permission, Permissions, KEY_NAME_MAX};
use super::{list_keys, take_new_key, CreateKey, DeleteKey, RevokeKey, UpdateKey};
use crate::auth::DeveloperAccess;
use crate::error::{AppError, FieldError};
use crate::ui::{
    copy_to_clipboard, error_parts, field_error, format_optional, format_time, opened_with,
    signed_in, AccessDenied, CancelLink, ErrorBanner, EyeIcon, EyeOffIcon, Modal,
};

// The Developer page, loaded as its own wasm chunk when first visited (`--split`), so
// that the first dashboard load stays small.
crate::ui::lazy_page!(DeveloperRoute => DeveloperPage);

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
        match org.developer_access().explain(&org.name) {
            None => view! { <KeysPanel posted_key=posted_key/> }.into_any(),
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
}

#[component]
fn KeysPanel(posted_key: Option<Resource<Result<Option<CreatedKey>, AppError>>>) -> impl IntoView {
    let page = RwSignal::new(1i64);
    let version = RwSignal::new(0u32);
    let keys = Resource::new(
        move || (page.get(), version.get()),
        |(page, _)| list_keys(page),
    );
    // "New key" and the reveal after a plain form post open from the URL.
    let opened = opened_with("dialog");
    let dialog = RwSignal::new(match opened.as_deref() {
        Some("new-key") => Dialog::NewKey,
        _ => Dialog::None,
    });
    let refresh = move || version.update(|v| *v += 1);
    let close = Callback::new(move |_: ()| dialog.set(Dialog::None));

    view! {
        <div class="page-header">
            <div>
                <h1>"Developer"</h1>
                <p class="muted">"Create, manage, and revoke keys for the public REST API."</p>
            </div>
            <NewKeyButton dialog=dialog/>
        </div>
        {posted_key.map(|created| view! { <PostedKeyReveal created=created/> })}
        <Transition fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(p) if p.keys.is_empty() && p.page == 1 => view! {
                        <section class="card empty">
                            <h2>"No API keys yet"</h2>
                            <p>"API keys let scripts and integrations, like a Zapier leads sync or a CI job, read and change your organisation's leads through the public REST API. Each key carries its own permissions and, optionally, an expiry date."</p>
                            <NewKeyButton dialog=dialog/>
                        </section>
                    }.into_any(),
                    Ok(p) => {
                        let pages = (p.total + p.page_size - 1) / p.page_size;
                        let current = p.page;
                        view! {
                            <div class="table-wrap">
                                <table class="data keys">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Prefix"</th><th scope="col">"Permissions"</th>
                                        <th scope="col">"Status"</th><th scope="col">"Expiry"</th><th scope="col">"Created"</th>
                                        <th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {p.keys.into_iter().map(|key| view! { <KeyRow key=key dialog=dialog/> }).collect_view()}
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
            })}
        </Transition>
        {move || match dialog.get() {
            Dialog::None => ().into_any(),
            Dialog::NewKey => view! {
                <NewKeyForm on_close=close on_created=Callback::new(move |created: CreatedKey| {
                    page.set(1);
                    refresh();
                    dialog.set(Dialog::Reveal(created));
                })/>
            }.into_any(),
            Dialog::Reveal(created) => view! { <RevealKey created=created on_close=close/> }.into_any(),
            Dialog::Edit(key) => view! { <EditKey key=key on_close=close on_saved=Callback::new(move |_| { refresh(); dialog.set(Dialog::None); })/> }.into_any(),
            Dialog::Revoke(key) => view! { <RevokeKeyDialog key=key on_close=close on_done=Callback::new(move |_| { refresh(); dialog.set(Dialog::None); })/> }.into_any(),
            Dialog::Delete(key) => view! { <DeleteKeyDialog key=key on_close=close on_done=Callback::new(move |_| { refresh(); dialog.set(Dialog::None); })/> }.into_any(),
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
fn KeyRow(key: KeySummary, dialog: RwSignal<Dialog>) -> impl IntoView {
    let status = key.status;
    let status_class = match status {
        KeyStatus::Active => "badge ok",
        KeyStatus::Revoked => "badge danger",
        KeyStatus::Expired => "badge muted",
    };
    let for_edit = key.clone();
    let for_revoke = key.clone();
    let for_delete = key.clone();
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
                </span>
            </td>
            <td data-label="Prefix"><code>{key.prefix.clone()}"…"</code></td>
            <td data-label="Permissions">{key.permissions.describe()}</td>
            <td data-label="Status"><span class=status_class>{status.label()}</span></td>
            <td data-label="Expiry">{format_optional(key.expires_at, "Never")}</td>
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
fn NewKeyForm(on_close: Callback<()>, on_created: Callback<CreatedKey>) -> impl IntoView {
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
                <input id="key-expiry" name="expires_at" type="date" aria-describedby="key-expiry-help"/>
                <p class="muted small" id="key-expiry-help">"Optional. The key stops working after that date (end of day, UTC). It can't be changed later."</p>
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
fn PostedKeyReveal(created: Resource<Result<Option<CreatedKey>, AppError>>) -> impl IntoView {
    let dismissed = RwSignal::new(false);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                created.await.ok().flatten().map(|created| view! {
                    <Show when=move || !dismissed.get()>
                        <RevealKey created=created.clone() on_close=Callback::new(move |_| dismissed.set(true))/>
                    </Show>
                })
            })}
        </Suspense>
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
                update.dispatch(UpdateKey { id, name: name.get(), permissions: permissions.get() });
            }>
                {move || general().map(|m| view! { <ErrorBanner message=m/> })}
                <p class="muted">"Prefix " <code>{key.prefix.clone()}</code> " · " {key.status.label()}</p>
                <label for="edit-key-name">"Key name"</label>
                <input id="edit-key-name" bind:value=name/>
                {field_error(fields, "name")}
                <PermissionBoxes permissions=permissions/>
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
