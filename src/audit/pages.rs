//! Dashboard → Audit log.

use leptos::prelude::*;

use super::{list_audit, AuditAction};
use crate::auth::DeveloperAccess;
use crate::error::AppError;
use crate::ui::{format_time, reloading, signed_in, AccessDenied, ErrorBanner};

#[component]
pub fn AuditPage() -> impl IntoView {
    signed_in(|viewer| {
        let access = viewer
            .active
            .as_ref()
            .map(|o| (o.developer_access(), o.name.clone()));
        match access {
            Some((DeveloperAccess::Granted, _)) => {
                let entries = Resource::new(|| (), |_| list_audit(String::new(), String::new(), None));
                view! {
                    <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || Suspend::new(async move { view! { <AuditLog initial=entries.await/> } })}
                    </Suspense>
                }
                .into_any()
            }
            Some((access, name)) => view! {
                <AccessDenied title="Audit log unavailable" message=access.explain(&name).unwrap_or_default()/>
            }.into_any(),
            None => view! { <AccessDenied title="No organisation" message="You are not a member of any organisation yet."/> }.into_any(),
        }
    })
}

/// Percent-encodes a query value (letters, digits and `-_.~` pass).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The audit log's live part (filters, paging): an island, loaded as its own wasm chunk.
#[island(lazy)]
fn AuditLog(initial: Result<super::AuditPage, AppError>) -> impl IntoView {
    crate::ui::island_start();
    let prefix = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let before = RwSignal::new(None::<i64>);
    let history = RwSignal::new(Vec::<Option<i64>>::new());
    let entries = reloading(
        initial,
        move || (prefix.get(), action.get(), before.get()),
        |(p, a, b)| list_audit(p, a, b),
    );
    let reset = move || {
        before.set(None);
        history.set(vec![]);
    };
    view! {
        <div class="page-header">
            <div>
                <h1>"Audit log"</h1>
                <p class="muted">"Every change to your organisation's API keys, and every change made through the API. Entries stay after a key is deleted."</p>
            </div>
        </div>
        <div class="toolbar">
            <input type="search" placeholder="Key prefix, e.g. sk_AbCd1234_" aria-label="Filter by key prefix"
                on:input=move |ev| { reset(); prefix.set(event_target_value(&ev)); }/>
            <select aria-label="Filter by action" on:change=move |ev| { reset(); action.set(event_target_value(&ev)); }>
                <option value="">"All actions"</option>
                {AuditAction::ALL.iter().map(|a| view! { <option value=a.key()>{a.key()}</option> }).collect_view()}
            </select>
            // The whole log with these filters, streamed by the server.
            {["csv", "jsonl"].map(|format| view! {
                <a class="button small" download rel="external"
                    href=move || format!("/audit/export?format={format}&prefix={}&action={}", encode(&prefix.get()), encode(&action.get()))>
                    {if format == "csv" { "Download CSV" } else { "Download JSON Lines" }}
                </a>
            })}
        </div>
        {move || {
                match entries.get() {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(page) if page.entries.is_empty() => view! {
                        <section class="card empty"><p>"No audit entries match."</p></section>
                    }.into_any(),
                    Ok(page) => {
                        let next = page.next_before;
                        view! {
                            <div class="table-wrap">
                                <table class="data audit">
                                    <thead><tr>
                                        <th scope="col">"Time"</th><th scope="col">"Action"</th><th scope="col">"Key"</th>
                                        <th scope="col">"Actor"</th><th scope="col">"Details"</th>
                                    </tr></thead>
                                    <tbody>
                                        {page.entries.into_iter().map(|e| view! {
                                            <tr>
                                                <td data-label="Time">{format_time(e.occurred_at)}</td>
                                                <td data-label="Action"><code>{e.action.clone()}</code></td>
                                                <td data-label="Key">
                                                    {e.key_name.clone().unwrap_or_default()}
                                                    {e.key_prefix.clone().map(|p| view! { <br/><code>{p}</code> })}
                                                </td>
                                                <td data-label="Actor">{e.actor.clone()}</td>
                                                <td data-label="Details" class="details">{e.details.clone()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <div class="pager">
                                <button class="button small" type="button" disabled=move || history.get().is_empty()
                                    on:click=move |_| { let mut h = history.get(); let prev = h.pop().flatten(); history.set(h); before.set(prev); }>"Newer"</button>
                                <button class="button small" type="button" disabled=next.is_none()
                                    on:click=move |_| { history.update(|h| h.push(before.get_untracked())); before.set(next); }>"Older"</button>
                            </div>
                        }.into_any()
                    }
                }
        }}
    }
}
