//! Account → Notifications (each person's choice of mail) and Admin →
//! Outbox (what was sent, what waits, what failed and why). Drawn by the
//! server; every change is a plain form post that comes back.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::domain::{EventKind, MailStatus};
use super::{get_mail_settings, get_outbox, SaveMailSettings, SendMailAgain};
use crate::auth::pages::signed_in;
use crate::platform::clock::{format_optional, format_time};
use crate::web::ui::{error_parts, opened_with, AccessDenied, Cursor, CursorPager, ErrorBanner};

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
                                                    {s.kind.label()}
                                                    <span class="muted small" id="leak-always">"(always on: a leaked key needs someone to act)"</span>
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
                                <td>{format_time(m.created_at)}</td>
                                <td><code>{m.kind}</code></td>
                                <td>{m.recipient}</td>
                                <td>
                                    <details>
                                        <summary>{m.subject}</summary>
                                        <pre class="mail-body">{m.text_body}</pre>
                                    </details>
                                </td>
                                <td>
                                    <span class=format!("badge {}", if failed { "danger" } else { "" })>{m.status.label()}</span>
                                    <br/><span class="muted small">{format!("{} attempt{}", m.attempts, if m.attempts == 1 { "" } else { "s" })}</span>
                                    {m.next_attempt_at.map(|t| view! { <br/><span class="muted small">"Next: " {format_time(t)}</span> })}
                                </td>
                                <td>
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
