//! Account → Notifications (each person's choice of mail) and Admin →
//! Outbox (what was sent, what waits, what failed and why). Drawn by the
//! server; every change is a plain form post that comes back.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::domain::{DeliveryStatus, Endpoint, EndpointSecret, EventKind, MailStatus};
use super::{
    get_deliveries, get_mail_settings, get_outbox, list_webhooks, CreateWebhook, DeleteWebhook,
    Redeliver, RollWebhookSecret, SaveMailSettings, SendMailAgain, UpdateWebhook,
};
use crate::auth::pages::signed_in;
use crate::error::FieldError;
use crate::platform::clock::{format_optional, format_time};
use crate::web::ui::{
    error_parts, field_error, opened_with, path_param, posted, posted_back, AccessDenied,
    CopyField, Cursor, CursorPager, ErrorBanner,
};

/// The form field that keeps a kind on (see `save_mail_settings`).
fn field(kind: EventKind) -> &'static str {
    kind.key().trim_start_matches("key.")
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    signed_in(|viewer| {
        let save = ServerAction::<SaveMailSettings>::new();
        let settings = Resource::new(|| (), |_| get_mail_settings());
        let error = error_parts(save.value().get_untracked()).0;
        let saved = opened_with("saved").is_some();
        view! {
            <div class="page-header"><div>
                <p class="muted small"><a href="/account">"Account"</a> " / Notifications"</p>
                <h1>"Notifications"</h1>
                <p class="muted">{format!("Mail about API keys goes to {}.", viewer.email)}</p>
            </div></div>
            {error.map(|m| view! { <ErrorBanner message=m/> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(settings) => view! {
                            <ActionForm action=save attr:class="card form-card">
                                <fieldset>
                                    <legend>"Mail me when"</legend>
                                    <p class="muted small">"About keys you created; org admins also hear of leaked keys and keys still called, and of keys whose creator has left."</p>
                                    <div class="mail-kinds">
                                    {settings.into_iter().map(|s| {
                                        let id = format!("mail-{}", field(s.kind));
                                        let for_label = id.clone();
                                        if s.kind.can_opt_out() {
                                            view! {
                                                <label class="check" for=for_label>
                                                    <input type="checkbox" id=id name=field(s.kind) value="on" checked=s.on/>
                                                    {s.kind.label()}
                                                </label>
                                            }.into_any()
                                        } else {
                                            view! {
                                                <label class="check" for=for_label>
                                                    <input type="checkbox" id=id checked=true disabled=true aria-describedby="leak-always"/>
                                                    <span>
                                                        {s.kind.label()}
                                                        <br/><span class="muted small" id="leak-always">"Always on: a leaked key needs someone to act."</span>
                                                    </span>
                                                </label>
                                            }.into_any()
                                        }
                                    }).collect_view()}
                                    </div>
                                </fieldset>
                                <button class="button primary" type="submit">"Save"</button>
                                <p class="status-line" role="status">{saved.then_some("Saved.")}</p>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        }
    })
}

/// Admin → Outbox: platform admins only.
#[component]
pub fn OutboxPage() -> impl IntoView {
    signed_in(|viewer| {
        if viewer.is_platform_admin {
            view! { <Outbox/> }.into_any()
        } else {
            view! { <AccessDenied title="Platform admins only" message="The outbox is for the people who run this Leadline installation."/> }.into_any()
        }
    })
}

#[component]
fn Outbox() -> impl IntoView {
    let status = opened_with("status").unwrap_or_default();
    let at = Cursor::from_query();
    let (s, before) = (status.clone(), at.before);
    let page = Resource::new(|| (), move |_| get_outbox(Some(s.clone()), before));
    let again = ServerAction::<SendMailAgain>::new();
    let again_error = error_parts(again.value().get_untracked()).0;
    let base = format!("/admin/outbox?status={status}");
    view! {
        <div class="page-header"><div>
            <p class="muted small"><a href="/admin">"Admin"</a> " / Outbox"</p>
            <h1>"Outbox"</h1>
            <p class="muted">"Mail about API keys: queued, sent, and failed with their error."</p>
        </div></div>
        {again_error.map(|m| view! { <ErrorBanner message=m/> })}
        <form class="toolbar filters" method="get" action="/admin/outbox" aria-label="Filter mail">
            <label for="outbox-status">"Status"</label>
            <select id="outbox-status" name="status">
                <option value="" selected=status.is_empty()>"All"</option>
                {MailStatus::ALL.into_iter().map(|s| view! {
                    <option value=s.key() selected=status == s.key()>{s.label()}</option>
                }).collect_view()}
            </select>
            <button class="button" type="submit">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let (base, at) = (base.clone(), at.clone());
                Suspend::new(async move {
                    let page = match page.await {
                        Err(e) => return view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(page) => page,
                    };
                    let smtp = (!page.smtp).then(|| view! {
                        <div class="banner warning" role="status">
                            "No SMTP server is configured (LEADLINE_SMTP_URL), so mail is written to the server log and kept here, not sent."
                        </div>
                    });
                    let rows = page.mails.into_iter().map(|m| {
                        let failed = m.status == MailStatus::Failed;
                        let id = m.id;
                        view! {
                            <tr>
                                <td data-label="Queued">{format_time(m.created_at)}</td>
                                <td data-label="Kind"><code>{m.kind}</code></td>
                                <td data-label="To">{m.recipient}</td>
                                <td data-label="Subject">
                                    <details>
                                        <summary>{m.subject}</summary>
                                        <pre class="mail-body">{m.text_body}</pre>
                                    </details>
                                </td>
                                <td data-label="Status">
                                    <span class=format!("badge {}", if failed { "danger" } else { "" })>{m.status.label()}</span>
                                    <br/><span class="muted small">{format!("{} attempt{}", m.attempts, if m.attempts == 1 { "" } else { "s" })}</span>
                                    {m.next_attempt_at.map(|t| view! { <br/><span class="muted small">"Next: " {format_time(t)}</span> })}
                                </td>
                                <td data-label="Sent / error">
                                    {format_optional(m.sent_at, "—")}
                                    {m.last_error.map(|e| view! { <br/><span class="field-error">{e}</span> })}
                                </td>
                                <td>
                                    {failed.then(|| view! {
                                        <ActionForm action=again>
                                            <input type="hidden" name="id" value=id.to_string()/>
                                            <button class="button small" type="submit">"Send again"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        {smtp}
                        <div class="table-wrap"><table class="data">
                            <caption class="visually-hidden">"Mail, newest first"</caption>
                            <thead><tr>
                                <th scope="col">"Queued"</th><th scope="col">"Kind"</th><th scope="col">"To"</th>
                                <th scope="col">"Subject"</th><th scope="col">"Status"</th><th scope="col">"Sent / error"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table></div>
                        <CursorPager base=base at=at next=page.next/>
                    }.into_any()
                })
            }}
        </Suspense>
    }
}

/// Developer → Webhooks: org admins only.
fn org_admins_only<V: IntoView + 'static>(
    page: impl Fn() -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    signed_in(move |viewer| {
        if viewer.active.as_ref().is_some_and(|o| o.permissions.admin) {
            page().into_any()
        } else {
            view! { <AccessDenied title="Org admins only" message="Webhook endpoints are set up by the organisation's admins."/> }.into_any()
        }
    })
}

/// The event checkboxes of an endpoint form: ticked as `chosen`, or as the
/// failed post sent them.
#[component]
fn EventChoice(chosen: Vec<EventKind>, prefix: &'static str) -> impl IntoView {
    let back = posted_back();
    view! {
        <fieldset>
            <legend>"Events"</legend>
            <div class="mail-kinds">
                {EventKind::ALL.into_iter().map(|kind| {
                    let name = format!("events[{}]", kind.key());
                    let ticked = if back { posted(&name).is_some() } else { chosen.contains(&kind) };
                    let id = format!("{prefix}-{}", kind.key().replace('.', "-"));
                    let for_label = id.clone();
                    view! {
                        <label class="check" for=for_label>
                            <input type="checkbox" id=id name=name value="on" checked=ticked/>
                            <code>{kind.key()}</code> " " <span class="muted small">{kind.label()}</span>
                        </label>
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}

/// The signing secret, once: just after the endpoint was added or its
/// secret rolled.
#[component]
fn RevealSecret(made: EndpointSecret) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="secret-title">
            <h2 id="secret-title">"Signing secret"</h2>
            <p>"For " <code>{made.endpoint.url.clone()}</code> ". Check each delivery's " <code>"webhook-signature"</code> " with it, using any Standard Webhooks library."</p>
            <CopyField id="webhook-secret".to_owned() label="Signing secret".to_owned() value=made.secret.clone() masked=true
                fallback="Could not copy. Reveal the secret and copy it by hand.".to_owned()/>
            <div class="banner warning" role="note">
                <strong>"You only see the secret once. "</strong>
                "Store it with your receiver now. If you lose it, roll it: the old one stops at once."
            </div>
        </section>
    }
}

fn status_badge(endpoint: &Endpoint) -> impl IntoView {
    match (endpoint.enabled, endpoint.failing_since) {
        (false, _) => view! { <span class="badge danger">"Disabled"</span> }.into_any(),
        (true, Some(since)) => {
            view! { <span class="badge warn">"Failing since " {format_time(since)}</span> }
                .into_any()
        }
        (true, None) => view! { <span class="badge ok">"Enabled"</span> }.into_any(),
    }
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let made = use_context::<EndpointSecret>();
    org_admins_only(move || {
        let create = ServerAction::<CreateWebhook>::new();
        let (error, fields) = error_parts(create.value().get_untracked().map(|r| r.map(|_| ())));
        let fields: Signal<Vec<FieldError>> = Signal::stored(fields);
        let endpoints = Resource::new(|| (), |_| list_webhooks());
        let made = made.clone();
        view! {
            <div class="page-header"><div>
                <p class="muted small"><a href="/developer">"Developer"</a> " / Webhooks"</p>
                <h1>"Webhooks"</h1>
                <p class="muted">"Leadline POSTs your organisation's key events to these endpoints, signed by the Standard Webhooks specification, and retries failures for 24 hours."</p>
            </div></div>
            {made.map(|made| view! { <RevealSecret made=made/> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match endpoints.await {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted">"No endpoints yet. Add one below."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="data">
                                <caption class="visually-hidden">"Webhook endpoints"</caption>
                                <thead><tr>
                                    <th scope="col">"Endpoint"</th><th scope="col">"Events"</th>
                                    <th scope="col">"Status"</th><th scope="col">"Added"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr>
                                            <td data-label="Endpoint">
                                                <a href=format!("/developer/webhooks/{}", e.id)>{e.url.clone()}</a>
                                                {(!e.description.is_empty()).then(|| view! { <br/><span class="muted small">{e.description.clone()}</span> })}
                                            </td>
                                            <td data-label="Events" class="small">{e.kinds.iter().map(|k| k.key()).collect::<Vec<_>>().join(", ")}</td>
                                            <td data-label="Status">{status_badge(&e)}</td>
                                            <td data-label="Added">{format_time(e.created_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action=create attr:class="card form-card" attr:novalidate=true>
                <h2>"Add endpoint"</h2>
                {error.clone().map(|m| view! { <ErrorBanner message=m/> })}
                <label for="webhook-url">"Endpoint URL"</label>
                <input id="webhook-url" name="url" type="url" required placeholder="https://example.com/webhooks/leadline"
                    value=posted("url").unwrap_or_default() aria-describedby="webhook-url-help"/>
                <p class="muted small" id="webhook-url-help">"https only. Private, loopback and link-local addresses are refused."</p>
                {field_error(fields, "url")}
                <label for="webhook-description">"Description (optional)"</label>
                <input id="webhook-description" name="description" maxlength="200" value=posted("description").unwrap_or_default()/>
                {field_error(fields, "description")}
                <EventChoice chosen=vec![EventKind::Expiring, EventKind::Leaked, EventKind::StillCalled] prefix="new"/>
                {field_error(fields, "kinds")}
                <button class="button primary" type="submit">"Add endpoint"</button>
            </ActionForm>
        }
    })
}

#[component]
pub fn DeliveriesPage() -> impl IntoView {
    let made = use_context::<EndpointSecret>();
    org_admins_only(move || {
        let id: i64 = path_param("id").parse().unwrap_or(0);
        let at = Cursor::from_query();
        let before = at.before;
        let log = Resource::new(|| (), move |_| get_deliveries(id, before));
        let update = ServerAction::<UpdateWebhook>::new();
        let roll = ServerAction::<RollWebhookSecret>::new();
        let delete = ServerAction::<DeleteWebhook>::new();
        let again = ServerAction::<Redeliver>::new();
        let (update_error, fields) = error_parts(update.value().get_untracked());
        let fields: Signal<Vec<FieldError>> = Signal::stored(fields);
        let other_errors = [
            error_parts(roll.value().get_untracked().map(|r| r.map(|_| ()))).0,
            error_parts(delete.value().get_untracked()).0,
            error_parts(again.value().get_untracked()).0,
        ];
        let made = made.clone();
        view! {
            <div class="page-header"><div>
                <p class="muted small"><a href="/developer">"Developer"</a> " / " <a href="/developer/webhooks">"Webhooks"</a> " / Endpoint"</p>
                <h1>"Endpoint"</h1>
            </div></div>
            {made.map(|made| view! { <RevealSecret made=made/> })}
            {other_errors.into_iter().flatten().map(|m| view! { <ErrorBanner message=m/> }).collect_view()}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let (update_error, at) = (update_error.clone(), at.clone());
                    Suspend::new(async move {
                    let log = match log.await {
                        Err(e) => return view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(log) => log,
                    };
                    let e = log.endpoint.clone();
                    let back = posted_back();
                    let url = if back { posted("url").unwrap_or_default() } else { e.url.clone() };
                    let description = if back { posted("description").unwrap_or_default() } else { e.description.clone() };
                    let enabled = if back { posted("enabled").is_some() } else { e.enabled };
                    let empty = log.deliveries.is_empty();
                    let rows = log.deliveries.into_iter().map(|d| {
                        let failed = d.status == DeliveryStatus::Failed;
                        let (delivery, endpoint) = (d.id, e.id);
                        view! {
                            <tr>
                                <td data-label="Queued">{format_time(d.created_at)}</td>
                                <td data-label="Event"><code>{d.kind.clone()}</code><br/><span class="muted small"><code>{d.message_id.clone()}</code></span></td>
                                <td data-label="Status">
                                    <span class=format!("badge {}", match d.status { DeliveryStatus::Failed => "danger", DeliveryStatus::Delivered => "ok", DeliveryStatus::Pending => "" })>{d.status.label()}</span>
                                    <br/><span class="muted small">{format!("{} attempt{}", d.attempts, if d.attempts == 1 { "" } else { "s" })}</span>
                                    {d.next_attempt_at.map(|t| view! { <br/><span class="muted small">"Next: " {format_time(t)}</span> })}
                                </td>
                                <td data-label="Response">{d.response_status.map_or_else(|| "—".to_owned(), |s| s.to_string())}</td>
                                <td data-label="Latency">{d.latency_ms.map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms"))}</td>
                                <td data-label="Error and payload">
                                    {d.last_error.clone().map(|m| view! { <span class=if failed { "field-error" } else { "muted small" }>{m}</span> })}
                                    <details><summary class="small">"Payload"</summary><pre class="mail-body">{d.payload.clone()}</pre></details>
                                </td>
                                <td>
                                    <ActionForm action=again>
                                        <input type="hidden" name="endpoint" value=endpoint.to_string()/>
                                        <input type="hidden" name="id" value=delivery.to_string()/>
                                        <button class="button small" type="submit">"Redeliver"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <section class="card">
                            <p><code>{e.url.clone()}</code> " " {status_badge(&e)}</p>
                            {e.disabled_reason.clone().map(|r| view! { <p class="field-error">{r}</p> })}
                            <div class="header-actions">
                                <ActionForm action=roll>
                                    <input type="hidden" name="id" value=e.id.to_string()/>
                                    <button class="button" type="submit">"Roll secret"</button>
                                </ActionForm>
                                <ActionForm action=delete>
                                    <input type="hidden" name="id" value=e.id.to_string()/>
                                    <button class="button danger" type="submit">"Delete endpoint"</button>
                                </ActionForm>
                            </div>
                        </section>
                        <ActionForm action=update attr:class="card form-card" attr:novalidate=true>
                            <h2>"Edit endpoint"</h2>
                            {update_error.map(|m| view! { <ErrorBanner message=m/> })}
                            <input type="hidden" name="id" value=e.id.to_string()/>
                            <label for="edit-url">"Endpoint URL"</label>
                            <input id="edit-url" name="url" type="url" required value=url/>
                            {field_error(fields, "url")}
                            <label for="edit-description">"Description (optional)"</label>
                            <input id="edit-description" name="description" maxlength="200" value=description/>
                            {field_error(fields, "description")}
                            <EventChoice chosen=e.kinds.clone() prefix="edit"/>
                            {field_error(fields, "kinds")}
                            <div class="checks">
                                <label class="check" for="edit-enabled">
                                    <input type="checkbox" id="edit-enabled" name="enabled" value="on" checked=enabled/>
                                    "Enabled: deliver events to this endpoint"
                                </label>
                            </div>
                            <button class="button primary" type="submit">"Save"</button>
                        </ActionForm>
                        <h2 class="section-title">"Deliveries"</h2>
                        <div class="table-wrap"><table class="data">
                            <caption class="visually-hidden">"Deliveries, newest first"</caption>
                            <thead><tr>
                                <th scope="col">"Queued"</th><th scope="col">"Event"</th><th scope="col">"Status"</th>
                                <th scope="col">"Response"</th><th scope="col">"Latency"</th><th scope="col">"Error and payload"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table></div>
                        {empty.then(|| view! { <p class="muted">"No deliveries yet: events this endpoint receives show up here as they are sent."</p> })}
                        <CursorPager base=format!("/developer/webhooks/{}?", e.id) at=at next=log.next/>
                    }.into_any()
                })}}
            </Suspense>
        }
    })
}
