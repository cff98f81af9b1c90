//! Dashboard → Audit log.

use leptos::prelude::*;

use super::{list_audit, AuditAction};
use crate::auth::DeveloperAccess;
use crate::ui::{format_time, opened_with, signed_in, AccessDenied, ErrorBanner};

/// Dashboard → Audit log: drawn by the server, no wasm. The filters are a
/// GET form and the pages are links, so every view has its own address.
#[component]
pub fn AuditPage() -> impl IntoView {
    signed_in(|viewer| {
        let access = viewer
            .active
            .as_ref()
            .map(|o| (o.developer_access(), o.name.clone()));
        match access {
            Some((DeveloperAccess::Granted, _)) => view! { <AuditLog/> }.into_any(),
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

/// Where the reader is: the filters, the page (`before`), and the pages
/// before it (`trail`, `0` for the first), so that "Newer" goes back.
#[derive(Clone, Default)]
struct AuditView {
    prefix: String,
    action: String,
    before: Option<i64>,
    trail: Vec<Option<i64>>,
}

impl AuditView {
    fn from_query() -> Self {
        let query = |name| opened_with(name).unwrap_or_default();
        let cursor = |s: &str| s.parse::<i64>().ok().filter(|n| *n > 0);
        Self {
            prefix: query("prefix"),
            action: query("action"),
            before: cursor(&query("before")),
            trail: query("trail")
                .split('.')
                .filter(|s| !s.is_empty())
                .map(cursor)
                .collect(),
        }
    }

    fn href(&self) -> String {
        let mut href = format!(
            "/audit?prefix={}&action={}",
            encode(&self.prefix),
            encode(&self.action)
        );
        if let Some(before) = self.before {
            href.push_str(&format!("&before={before}"));
        }
        if !self.trail.is_empty() {
            let trail: Vec<String> = self
                .trail
                .iter()
                .map(|c| c.unwrap_or(0).to_string())
                .collect();
            href.push_str(&format!("&trail={}", trail.join(".")));
        }
        href
    }

    fn older(&self, next: i64) -> Self {
        let mut trail = self.trail.clone();
        trail.push(self.before);
        Self {
            before: Some(next),
            trail,
            ..self.clone()
        }
    }

    fn newer(&self) -> Option<Self> {
        let mut trail = self.trail.clone();
        let before = trail.pop()?;
        Some(Self {
            before,
            trail,
            ..self.clone()
        })
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let at = AuditView::from_query();
    let (prefix, action, before) = (at.prefix.clone(), at.action.clone(), at.before);
    let entries = Resource::new(
        move || (prefix.clone(), action.clone(), before),
        |(p, a, b)| list_audit(p, a, b),
    );
    let export = |format: &str| {
        format!(
            "/audit/export?format={format}&prefix={}&action={}",
            encode(&at.prefix),
            encode(&at.action)
        )
    };
    view! {
        <div class="page-header">
            <div>
                <h1>"Audit log"</h1>
                <p class="muted">"Every change to your organisation's API keys, and every change made through the API. Entries stay after a key is deleted."</p>
            </div>
        </div>
        <form class="toolbar" method="get" action="/audit" role="search">
            <input type="search" name="prefix" placeholder="Key prefix, e.g. sk_AbCd1234_" aria-label="Filter by key prefix"
                value=at.prefix.clone()/>
            <select name="action" aria-label="Filter by action" data-submit-on-change="">
                <option value="">"All actions"</option>
                {AuditAction::ALL.iter().map(|a| view! {
                    <option value=a.key() selected=at.action == a.key()>{a.key()}</option>
                }).collect_view()}
            </select>
            <button class="button small" type="submit">"Filter"</button>
            // The whole log with these filters, streamed by the server.
            <a class="button small" download rel="external" href=export("csv")>"Download CSV"</a>
            <a class="button small" download rel="external" href=export("jsonl")>"Download JSON Lines"</a>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let at = at.clone();
                Suspend::new(async move {
                match entries.await {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(page) if page.entries.is_empty() => view! {
                        <section class="card empty"><p>"No audit entries match."</p></section>
                    }.into_any(),
                    Ok(page) => {
                        let pager = |label: &'static str, to: Option<AuditView>| match to {
                            Some(to) => view! { <a class="button small" href=to.href()>{label}</a> }.into_any(),
                            None => view! { <span class="button small" aria-disabled="true">{label}</span> }.into_any(),
                        };
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
                            <nav class="pager" aria-label="Pages">
                                {pager("Newer", at.newer())}
                                {pager("Older", page.next_before.map(|next| at.older(next)))}
                            </nav>
                        }.into_any()
                    }
                }
                })
            }}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_then_newer_comes_back_to_the_same_page() {
        let first = AuditView {
            prefix: "sk_AbCd1234_Xy".into(),
            action: "key.created".into(),
            ..Default::default()
        };
        assert!(first.newer().is_none(), "the first page has nothing newer");
        let second = first.older(120);
        let third = second.older(95);
        assert_eq!(
            third.href(),
            "/audit?prefix=sk_AbCd1234_Xy&action=key.created&before=95&trail=0.120"
        );
        let back = third.newer().unwrap();
        assert_eq!(back.href(), second.href());
        assert_eq!(back.newer().unwrap().href(), first.href());
    }

    #[test]
    fn filters_are_percent_encoded_in_links() {
        let view = AuditView {
            prefix: "a b&c=d".into(),
            ..Default::default()
        };
        assert_eq!(view.href(), "/audit?prefix=a%20b%26c%3Dd&action=");
    }
}
