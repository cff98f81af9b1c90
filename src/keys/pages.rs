//! Dashboard → Developer: the keys list, "New key", the one-time reveal,
//! editing, rolling, revoking and deleting. Drawn by the server: every
//! action is a plain form post that redirects, and every dialog opens from
//! the page's address (`?dialog=edit&key=ID`), so the page works before any
//! wasm has loaded. Only the reveal's eye and Copy buttons are an island.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::domain::{
    time_left, CreatedKey, Grace, KeyPolicy, KeyStatus, KeySummary, Permission, Permissions,
    IP_ALLOWLIST_MAX, KEY_NAME_MAX, POLICY_MAX_DAYS,
};

// The help texts below say these numbers as literals; this keeps them true.
const _: () = assert!(IP_ALLOWLIST_MAX == 50 && POLICY_MAX_DAYS == 3650);
use super::{
    list_keys, CancelRetirement, CreateKey, DeleteKey, KeysPage, RevokeKey, RollKey, SetKeyPolicy,
    UpdateKey,
};
use crate::auth::pages::signed_in;
use crate::error::DeveloperAccess;
use crate::error::FieldError;
use crate::keys::usage::domain::requests;
use crate::keys::usage::pages::UsageOverview;
use crate::platform::clock::{format_optional, format_time};
use crate::web::ui::{
    confirm_identity, encode, error_parts, field_error, opened_with, posted, posted_back,
    AccessDenied, CancelLink, CopyField, Cursor, ErrorBanner, KeepPlace, Modal,
};

#[component]
pub fn DeveloperPage() -> impl IntoView {
    // A key a plain form post just made, handed to this page view once (its
    // flash, `server::forms`).
    let posted_key = use_context::<CreatedKey>();
    signed_in(move |viewer| {
        let Some(org) = viewer.active else {
            return view! {
                <AccessDenied title="No organisation" message="You are not a member of any organisation yet."/>
            }
            .into_any();
        };
        // A link from a mail about a key in another of the viewer's
        // organisations: offer to switch, then come back to the same place.
        if let Some(other) = opened_with("org")
            .filter(|slug| *slug != org.slug)
            .and_then(|slug| {
                viewer
                    .organisations
                    .iter()
                    .find(|o| o.slug == slug)
                    .cloned()
            })
        {
            return view! { <SwitchFirst to=other from=org.name.clone()/> }.into_any();
        }
        match org.developer_access().explain(&org.name) {
            None => view! { <Keys org_admin=org.permissions.admin posted_key=posted_key.clone()/> }
                .into_any(),
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

/// The page was opened for another organisation than the active one.
#[component]
fn SwitchFirst(to: crate::auth::OrgChoice, from: String) -> impl IntoView {
    let switch = ServerAction::<crate::auth::SwitchOrganisation>::new();
    // The same address without `org`: where the switch goes on to.
    let next = crate::web::ui::query_without("/developer", "org");
    view! {
        <div class="page-header"><div><h1>"Developer"</h1></div></div>
        <section class="card">
            <h2>{format!("This link is for {}", to.name)}</h2>
            <p>{format!("You are looking at {from}. Switch to {} to see the key this link is about.", to.name)}</p>
            <ActionForm action=switch attr:class="inline-form">
                <input type="hidden" name="slug" value=to.slug.clone()/>
                <input type="hidden" name="next" value=next/>
                <button class="button primary" type="submit">{format!("Switch to {}", to.name)}</button>
            </ActionForm>
        </section>
    }
}

/// Where the reader is in the list: its page and filter, kept in the address
/// so that dialogs open and close to the same place.
#[derive(Clone, Debug, PartialEq)]
struct Place {
    page: i64,
    unused_only: bool,
}

impl Place {
    fn from_query() -> Self {
        Self {
            page: opened_with("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1i64)
                .max(1),
            unused_only: opened_with("unused").is_some_and(|v| v == "1"),
        }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if self.page > 1 {
            params.push(("page", self.page.to_string()));
        }
        if self.unused_only {
            params.push(("unused", "1".to_owned()));
        }
        params
    }

    /// The list here, with `extra` parameters (a dialog to open).
    fn href(&self, extra: &[(&'static str, String)]) -> String {
        let query: Vec<String> = self
            .params()
            .into_iter()
            .chain(extra.iter().cloned())
            .map(|(k, v)| format!("{k}={}", encode(&v)))
            .collect();
        if query.is_empty() {
            "/developer".to_owned()
        } else {
            format!("/developer?{}", query.join("&"))
        }
    }

    fn at_page(&self, page: i64) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }
}

/// "3 keys" or "1 key".
fn keys_count(n: i64) -> String {
    if n == 1 {
        "1 key".to_owned()
    } else {
        format!("{n} keys")
    }
}

#[component]
fn Keys(org_admin: bool, posted_key: Option<CreatedKey>) -> impl IntoView {
    let place = Place::from_query();
    let dialog = opened_with("dialog");
    let key_id: Option<i64> = opened_with("id").and_then(|k| k.parse().ok());
    let (page, unused_only) = (place.page, place.unused_only);
    let keys = Resource::new(|| (), move |_| list_keys(page, unused_only, key_id));
    let cancel = ServerAction::<CancelRetirement>::new();
    let cancel_error = error_parts(cancel.value().get_untracked().map(|r| r.map(|_| ()))).0;
    view! {
        <div class="page-header">
            <div>
                <h1>"Developer"</h1>
                <p class="muted">"Create, manage, and revoke keys for the public REST API."</p>
            </div>
            <div class="header-actions">
                <a class="button" href="/developer/requests">"Requests"</a>
                {org_admin.then(|| view! { <a class="button" href="/developer/webhooks">"Webhooks"</a> })}
                <DialogButton place=place.clone() dialog="new-key" key=None label="New key" class="button primary" aria_label=None/>
            </div>
        </div>
        {cancel_error.map(|m| view! { <ErrorBanner message=m/> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
            {move || {
                let (place, dialog, posted) = (place.clone(), dialog.clone(), posted_key.clone());
                Suspend::new(async move {
                    let p = match keys.await {
                        Err(e) => return view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(p) => p,
                    };
                    let back = place.href(&[]);
                    let opened = match (dialog.as_deref(), key_id.and_then(|id| p.keys.iter().find(|k| k.id == id).cloned().or_else(|| p.opened.clone().filter(|k| k.id == id)))) {
                        (Some("new-key"), _) => view! { <NewKeyForm suggested=p.suggested_expiry.clone() back=back/> }.into_any(),
                        (Some("policy"), _) if org_admin => view! { <PolicyDialog policy=p.policy back=back/> }.into_any(),
                        (Some("edit"), Some(key)) => view! { <EditKey key=key back=back/> }.into_any(),
                        (Some("roll"), Some(key)) => view! { <RollKeyDialog key=key back=back/> }.into_any(),
                        (Some("revoke"), Some(key)) => view! { <RevokeKeyDialog key=key back=back/> }.into_any(),
                        (Some("delete"), Some(key)) => view! { <DeleteKeyDialog key=key back=back/> }.into_any(),
                        // An old link, or a key someone else just deleted.
                        (Some("edit" | "roll" | "revoke" | "delete"), None) => view! {
                            <ErrorBanner message="That key is not in this list any more: it may have been deleted."/>
                        }.into_any(),
                        _ => ().into_any(),
                    };
                    view! {
                        <KeyList page=p place=place org_admin=org_admin/>
                        {opened}
                        {posted.map(|created| view! { <RevealKey created=created/> })}
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

/// A button that opens one of the page's dialogs: a GET form, so it works
/// without wasm, that keeps the list's place.
#[component]
fn DialogButton(
    place: Place,
    dialog: &'static str,
    key: Option<i64>,
    label: &'static str,
    class: &'static str,
    aria_label: Option<String>,
) -> impl IntoView {
    view! {
        <form method="get" action="/developer" class="bare-form">
            <KeepPlace filters=place.params() at=Cursor::default()/>
            <input type="hidden" name="dialog" value=dialog/>
            {key.map(|id| view! { <input type="hidden" name="id" value=id/> })}
            <button class=class type="submit" aria-label=aria_label>{label}</button>
        </form>
    }
}

#[component]
fn KeyList(page: KeysPage, place: Place, org_admin: bool) -> impl IntoView {
    let p = page;
    // Shown with or without keys: a policy is best set before the first one.
    // A div, not a p: it holds a form.
    let policy_line = view! {
        <div class="muted small policy-line">
            "Key policy: " {p.policy_text.clone()} " "
            {org_admin.then(|| view! {
                <DialogButton place=place.clone() dialog="policy" key=None label="Change key policy" class="link-button" aria_label=None/>
            })}
        </div>
    };
    if p.keys.is_empty() && p.page == 1 && !p.unused_only {
        return view! {
            <section class="card empty">
                <h2>"No API keys yet"</h2>
                <p>"API keys let scripts and integrations, like a Zapier leads sync or a CI job, read and change your organisation's leads through the public REST API. Each key carries its own permissions and, optionally, an expiry date."</p>
                <DialogButton place=place dialog="new-key" key=None label="New key" class="button primary" aria_label=None/>
            </section>
            {policy_line}
        }
        .into_any();
    }
    let pages = ((p.total + p.page_size - 1) / p.page_size).max(1);
    let current = p.page;
    let more = p.more;
    let link = |label: &'static str, to: Option<i64>| match to {
        Some(n) => {
            view! { <a class="button small" href=place.at_page(n).href(&[])>{label}</a> }.into_any()
        }
        None => view! { <span class="button small" aria-disabled="true">{label}</span> }.into_any(),
    };
    let pager = (pages > 1 || current > 1 || more).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {link("Previous", (current > 1).then(|| (current - 1).min(pages)))}
                <span class="muted">{format!("Page {current} of {pages}{}", if more { "+" } else { "" })}</span>
                {link("Next", (current < pages || more).then_some(current + 1))}
            </nav>
        }
    });
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
        <UsageOverview overview=p.overview.clone()/>
        {policy_line}
        <form method="get" action="/developer" class="filter">
            <label class="check filter" for="unused-only">
                <input type="checkbox" id="unused-only" name="unused" value="1" data-submit-on-change=""
                    checked=p.unused_only/>
                "Only keys unused for 90 days"
            </label>
            <noscript><button class="button small" type="submit">"Apply"</button></noscript>
        </form>
        {p.unused_only.then(|| view! {
            <p class="muted" role="status">
                {if p.total == 0 {
                    "No working key has gone unused for 90 days.".to_owned()
                } else if p.more {
                    format!("More than {} unused for 90 days.", keys_count(p.total))
                } else {
                    format!("{} unused for 90 days.", keys_count(p.total))
                }}
            </p>
        })}
        <div class="table-wrap">
            <table class="data keys">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Prefix"</th><th scope="col">"Permissions"</th>
                    <th scope="col">"Status"</th><th scope="col">"Expiry"</th><th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {p.keys.into_iter().map(|key| view! { <KeyRow key=key place=place.clone()/> }).collect_view()}
                </tbody>
            </table>
        </div>
        {pager}
    }
    .into_any()
}

#[component]
fn KeyRow(key: KeySummary, place: Place) -> impl IntoView {
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
        (KeyStatus::Revoked, _, Some("rolled" | "replaced")) => {
            Some("Replaced by a roll".to_owned())
        }
        _ => None,
    };
    let expiry_note = key
        .expires_in_ms
        .map(|ms| format!("Expires in {}", time_left(ms)));
    let ips = key.allowed_ips.len();
    let id = key.id;
    let edit = place.href(&[("dialog", "edit".to_owned()), ("id", id.to_string())]);
    let row_href = edit.clone();
    let cancel = ServerAction::<CancelRetirement>::new();
    let action = |dialog: &'static str, label: &'static str, class: &'static str| {
        let aria = format!("{label} {}", key.name);
        view! { <DialogButton place=place.clone() dialog=dialog key=Some(id) label=label class=class aria_label=Some(aria)/> }
    };
    view! {
        // The name is a link to Edit; a click anywhere else on the row
        // follows it too (`PAGE_SCRIPT`).
        <tr class="clickable" data-prefix=key.prefix.clone() data-href=row_href>
            <td data-label="Name">
                <span>
                    <a class="key-name" href=edit aria-label=format!("Edit key {}", key.name)>{key.name.clone()}</a>
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
                    {(key.calls_24h > 0).then(|| view! { <br/><span class="badge danger">{format!("Still called: {} in 24 h", requests(key.calls_24h))}</span> })}
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
                    {(key.request_count > 0).then(|| view! { <br/><span class="muted small">{requests(key.request_count)}</span> })}
                </span>
            </td>
            <td class="actions"><div class="row-actions">
                <a class="button small" href=format!("/developer/keys/{id}")
                    aria-label=format!("Usage of {}", key.name)>"Usage"</a>
                {(status == KeyStatus::Active).then(|| action("roll", "Roll key", "button small"))}
                {(status == KeyStatus::Retiring).then(|| view! {
                    <ActionForm action=cancel attr:class="bare-form">
                        <input type="hidden" name="id" value=id/>
                        <button class="button small" type="submit">"Cancel revocation"</button>
                    </ActionForm>
                })}
                {(status != KeyStatus::Revoked).then(|| action("revoke", "Revoke", "button small"))}
                {action("delete", "Delete", "button small danger")}
            </div></td>
        </tr>
    }
}

/// The four Leads checkboxes, ticked as `granted` (or, after a failed post,
/// as they were sent).
#[component]
fn PermissionBoxes(granted: Permissions) -> impl IntoView {
    let back = posted_back();
    view! {
        <fieldset class="permissions">
            <legend>"Permissions"</legend>
            <p class="muted small">"Leads"</p>
            <div class="checks">
                {Permission::ALL.into_iter().map(|p| {
                    let id = format!("perm-{}", p.label());
                    let for_label = id.clone();
                    let name = format!("permissions[{}]", p.label());
                    let ticked = if back { posted(&name).is_some_and(|v| v == "true") } else { granted.allows(p) };
                    view! {
                        <label class="check" for=for_label>
                            <input type="checkbox" id=id name=name value="true" checked=ticked/>
                            {p.label()}
                        </label>
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}

/// "New key": a plain form post; the key is then revealed on the page it
/// redirects to. Under a key policy, Expiry is filled in with the latest
/// date allowed.
#[component]
fn NewKeyForm(suggested: Option<String>, back: String) -> impl IntoView {
    let create = ServerAction::<CreateKey>::new();
    let result = create.value().get_untracked().map(|r| r.map(|_| ()));
    let confirm = confirm_identity(&result);
    let (general, fields) = error_parts(result);
    let fields: Signal<Vec<FieldError>> = Signal::stored(fields);
    let help = if suggested.is_some() {
        "Required by your organisation's key policy, at most the date filled in. The key stops working after that date (end of day, UTC). It can't be changed later."
    } else {
        "Optional. The key stops working after that date (end of day, UTC). It can't be changed later."
    };
    let expiry = posted("expires_at").or(suggested.clone());
    view! {
        <Modal title="New key" id="new-key" close_href=back.clone()>
            <ActionForm action=create attr:novalidate=true>
                {general.map(|m| view! { <ErrorBanner message=m/> })}
                <label for="key-name">"Key name"</label>
                <input id="key-name" name="name" autofocus placeholder="Zapier, leads sync"
                    aria-describedby="key-name-help" value=posted("name")/>
                <p class="muted small" id="key-name-help">{format!("A label for you. 1–{KEY_NAME_MAX} characters, required.")}</p>
                {field_error(fields, "name")}
                <PermissionBoxes granted=Permissions::default()/>
                <label for="key-expiry">"Expiry"</label>
                <input id="key-expiry" name="expires_at" type="date" aria-describedby="key-expiry-help"
                    value=expiry max=suggested/>
                <p class="muted small" id="key-expiry-help">{help}</p>
                {field_error(fields, "expires_at")}
                {confirm}
                <div class="modal-actions">
                    <CancelLink href=back/>
                    <button class="button primary" type="submit">"Create key"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}

/// The one-time reveal of a key just created or rolled: masked, with an eye
/// to show it and Copy (the island `CopyField`). Without JavaScript a
/// disclosure shows it instead.
#[component]
fn RevealKey(created: CreatedKey) -> impl IntoView {
    let plaintext = created.plaintext;
    view! {
        <Modal title="Your new API key" id="reveal-key" close_href="/developer">
            <p>"Key " <strong>{created.key.name.clone()}</strong> " was created with prefix " <code>{created.key.prefix.clone()}</code> "."</p>
            <CopyField id="raw-key".to_owned() label="API key".to_owned() value=plaintext.clone() masked=true
                fallback="Could not copy. Reveal the key and copy it by hand.".to_owned()/>
            // The key is letters, digits and underscores: nothing to escape.
            <noscript inner_html=format!(
                "<details class=\"reveal-plain\"><summary>Reveal key</summary><code>{plaintext}</code></details>",
            )/>
            <div class="banner warning" role="note">
                <strong>"You only see the raw key once. "</strong>
                "We never store the plaintext, only a SHA-256 hash. If you lose the key, you can't recover it; you'll need to make a new one. Save it in your password manager or your CI's secret store before closing the dialog."
            </div>
            <form method="get" action="/developer" class="modal-actions">
                <button class="button primary" type="submit">"Done"</button>
            </form>
        </Modal>
    }
}

/// "Prefix sk_… · Active": which key a dialog is about.
fn key_line(key: &KeySummary) -> impl IntoView {
    view! { <p class="muted">"Prefix " <code>{key.prefix.clone()}</code> " · " {key.status.label()}</p> }
}

/// Name, permissions and IP allowlist; the expiry is shown, read-only.
#[component]
fn EditKey(key: KeySummary, back: String) -> impl IntoView {
    let update = ServerAction::<UpdateKey>::new();
    let (general, fields) = error_parts(update.value().get_untracked().map(|r| r.map(|_| ())));
    let fields: Signal<Vec<FieldError>> = Signal::stored(fields);
    let name = posted("name").unwrap_or_else(|| key.name.clone());
    let ips = posted("allowed_ips").unwrap_or_else(|| key.allowed_ips.join("\n"));
    view! {
        <Modal title="Edit key" id="edit-key" close_href=back.clone()>
            <ActionForm action=update attr:novalidate=true>
                {general.map(|m| view! { <ErrorBanner message=m/> })}
                <input type="hidden" name="id" value=key.id/>
                {key_line(&key)}
                <label for="edit-key-name">"Key name"</label>
                <input id="edit-key-name" name="name" value=name autofocus/>
                {field_error(fields, "name")}
                <PermissionBoxes granted=key.permissions/>
                <label for="edit-key-ips">"IP allowlist"</label>
                <textarea id="edit-key-ips" name="allowed_ips" rows="3" spellcheck="false" aria-describedby="edit-key-ips-help"
                    placeholder="203.0.113.7\n2001:db8::/32">{ips}</textarea>
                <p class="muted small" id="edit-key-ips-help">"Optional. Addresses or CIDR ranges the key may be used from, one per line, at most 50. Empty: anywhere."</p>
                {field_error(fields, "allowed_ips")}
                <label for="edit-key-expiry">"Expiry"</label>
                <input id="edit-key-expiry" readonly aria-describedby="edit-key-expiry-help"
                    value=format_optional(key.expires_at, "Never")/>
                <p class="muted small" id="edit-key-expiry-help">"You can't change the expiry once a key is created."</p>
                <div class="modal-actions">
                    <CancelLink href=back/>
                    <button class="button primary" type="submit">"Save"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}

#[component]
fn RevokeKeyDialog(key: KeySummary, back: String) -> impl IntoView {
    let revoke = ServerAction::<RevokeKey>::new();
    let general = error_parts(revoke.value().get_untracked().map(|r| r.map(|_| ()))).0;
    view! {
        <Modal title="Revoke key" id="revoke-key" close_href=back.clone()>
            {general.map(|m| view! { <ErrorBanner message=m/> })}
            <p>"Revoke " <strong>{key.name.clone()}</strong> " (" <code>{key.prefix.clone()}</code> ")?"</p>
            <p class="muted">"Requests with it will get a 401. The key stays in the list for audit purposes. Revoking is reversible: your platform admin can re-activate it."</p>
            <ActionForm action=revoke attr:class="modal-actions">
                <input type="hidden" name="id" value=key.id/>
                <CancelLink href=back/>
                <button class="button danger" type="submit" autofocus>"Revoke"</button>
            </ActionForm>
        </Modal>
    }
}

#[component]
fn DeleteKeyDialog(key: KeySummary, back: String) -> impl IntoView {
    let delete = ServerAction::<DeleteKey>::new();
    let general = error_parts(delete.value().get_untracked()).0;
    view! {
        <Modal title="Delete key" id="delete-key" close_href=back.clone()>
            {general.map(|m| view! { <ErrorBanner message=m/> })}
            <p>"Permanently delete " <strong>{key.name.clone()}</strong> " (" <code>{key.prefix.clone()}</code> ")?"</p>
            <p class="muted">"Once deleted there's no history of it ever existing, apart from audit log entries. This can't be undone; revoke first when in doubt."</p>
            <ActionForm action=delete attr:class="modal-actions">
                <input type="hidden" name="id" value=key.id/>
                <CancelLink href=back/>
                <button class="button danger" type="submit" autofocus>"Delete"</button>
            </ActionForm>
        </Modal>
    }
}

#[component]
fn RollKeyDialog(key: KeySummary, back: String) -> impl IntoView {
    let roll = ServerAction::<RollKey>::new();
    let result = roll.value().get_untracked().map(|r| r.map(|_| ()));
    let confirm = confirm_identity(&result);
    let general = error_parts(result).0;
    let chosen = posted("grace").unwrap_or_else(|| Grace::OneDay.name().to_owned());
    view! {
        <Modal title="Roll key" id="roll-key" close_href=back.clone()>
            <ActionForm action=roll>
                {general.map(|m| view! { <ErrorBanner message=m/> })}
                <input type="hidden" name="id" value=key.id/>
                <p>"Roll " <strong>{key.name.clone()}</strong> " (" <code>{key.prefix.clone()}</code> "): a new key with the same name, permissions, expiry and IP allowlist is shown once. The old key keeps working for the grace period, then is revoked, so you can swap keys without downtime."</p>
                <fieldset class="grace">
                    <legend>"Grace period"</legend>
                    {Grace::ALL.into_iter().map(|g| {
                        let id = format!("grace-{}", g.duration().num_hours());
                        let for_label = id.clone();
                        view! {
                            <label class="check" for=for_label>
                                <input type="radio" id=id name="grace" value=g.name() checked=chosen == g.name()/>
                                {g.label()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                {confirm}
                <div class="modal-actions">
                    <CancelLink href=back/>
                    <button class="button primary" type="submit">"Roll key"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}

/// Org admins: the rules for new keys and rolls.
#[component]
fn PolicyDialog(policy: KeyPolicy, back: String) -> impl IntoView {
    let save = ServerAction::<SetKeyPolicy>::new();
    let result = save.value().get_untracked().map(|r| r.map(|_| ()));
    let confirm = confirm_identity(&result);
    let (general, fields) = error_parts(result);
    let fields: Signal<Vec<FieldError>> = Signal::stored(fields);
    let days = posted("max_lifetime_days").unwrap_or_else(|| {
        policy
            .max_lifetime_days
            .map(|d| d.to_string())
            .unwrap_or_default()
    });
    let required = if posted_back() {
        posted("expiry_required").is_some_and(|v| v == "true")
    } else {
        policy.expiry_required
    };
    view! {
        <Modal title="Key policy" id="key-policy" close_href=back.clone()>
            <ActionForm action=save attr:novalidate=true>
                {general.map(|m| view! { <ErrorBanner message=m/> })}
                <p class="muted">"Applies to new keys and rolls. Existing keys keep their expiry."</p>
                <label for="policy-days">"Maximum lifetime (days)"</label>
                <input id="policy-days" name="max_lifetime_days" inputmode="numeric" value=days
                    aria-describedby="policy-days-help" autofocus/>
                <p class="muted small" id="policy-days-help">"1 to 3650; empty for none. New keys must then expire within it, and the form fills it in."</p>
                {field_error(fields, "max_lifetime_days")}
                <label class="check" for="policy-required">
                    <input type="checkbox" id="policy-required" name="expiry_required" value="true" checked=required/>
                    "Expiry required"
                </label>
                {confirm}
                <div class="modal-actions">
                    <CancelLink href=back/>
                    <button class="button primary" type="submit">"Save"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}
