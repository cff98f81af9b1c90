//! Dashboard → Audit log.

use leptos::prelude::*;

use super::{list_audit, AuditAction};
use crate::auth::pages::with_developer_access;
use crate::platform::clock::format_time;
use crate::web::ui::{encode, opened_with, Cursor, CursorPager, ErrorBanner};

/// Dashboard → Audit log: drawn by the server, no wasm. The filters are a
/// GET form and the pages are links, so every view has its own address.
#[component]
pub fn AuditPage() -> impl IntoView {
    with_developer_access("Audit log unavailable", || view! { <AuditLog/> })
}

#[component]
fn AuditLog() -> impl IntoView {
    let (prefix, action) = (
        opened_with("prefix").unwrap_or_default(),
        opened_with("action").unwrap_or_default(),
    );
    let at = Cursor::from_query();
    let filters = format!("prefix={}&action={}", encode(&prefix), encode(&action));
    let base = format!("/audit?{filters}");
    let export = move |format: &str| format!("/audit/export?format={format}&{filters}");
    let selected = action.clone();
    let shown_prefix = prefix.clone();
    let before = at.before;
    let entries = Resource::new(
        move || (prefix.clone(), action.clone(), before),
        |(p, a, b)| list_audit(p, a, b),
    );
    view! {
        <div class="page-header">
            <div>
                <h1>"Audit log"</h1>
                <p class="muted">"Every change to your organisation's API keys, and every change made through the API. Entries stay after a key is deleted."</p>
            </div>
        </div>
        <form class="toolbar" method="get" action="/audit" role="search">
            <input type="search" name="prefix" placeholder="Key prefix, e.g. sk_AbCd1234_" aria-label="Filter by key prefix"
                value=shown_prefix/>
            <select name="action" aria-label="Filter by action" data-submit-on-change="">
                <option value="">"All actions"</option>
                {AuditAction::ALL.iter().map(|a| view! {
                    <option value=a.key() selected=selected == a.key()>{a.key()}</option>
                }).collect_view()}
            </select>
            <button class="button small" type="submit">"Filter"</button>
            // The whole log with these filters, streamed by the server.
            <a class="button small" download rel="external" href=export("csv")>"Download CSV"</a>
            <a class="button small" download rel="external" href=export("jsonl")>"Download JSON Lines"</a>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let (at, base) = (at.clone(), base.clone());
                Suspend::new(async move {
                match entries.await {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(page) if page.entries.is_empty() => view! {
                        <section class="card empty"><p>"No audit entries match."</p></section>
                    }.into_any(),
                    Ok(page) => {
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
                            <CursorPager base=base at=at next=page.next_before/>
                        }.into_any()
                    }
                }
                })
            }}
        </Suspense>
    }
}
