//! Dashboard → Developer → Requests: the organisation's API requests, drawn
//! by the server. Filters are a GET form and pages are links, so every view
//! has its own address; a request id in the search box opens that request.

use leptos::prelude::*;

use super::domain::{LoggedRequest, RequestQuery, ShownRequest, StatusClass};
use super::list_requests;
use crate::auth::pages::with_developer_access;
use crate::keys::usage::domain::Outcome;
use crate::platform::clock::format_time;
use crate::web::ui::{encode, opened_with, CopyField, ErrorBanner};

#[component]
pub fn RequestsPage() -> impl IntoView {
    with_developer_access("Requests unavailable", || view! { <RequestLog/> })
}

fn query_from_address() -> RequestQuery {
    let get = |name: &str| opened_with(name).unwrap_or_default();
    RequestQuery {
        key: get("key"),
        class: get("class"),
        outcome: get("outcome"),
        code: get("code"),
        route: get("route"),
        from: get("from"),
        to: get("to"),
        before: get("before"),
        id: get("id"),
    }
}

/// The codes the API can answer with, from the catalogue (the page is
/// drawn by the server; the browser never draws it).
fn api_codes() -> Vec<&'static str> {
    #[cfg(feature = "ssr")]
    {
        crate::error::catalogue::CATALOGUE
            .iter()
            .filter(|doc| doc.api)
            .map(|doc| doc.code)
            .collect()
    }
    #[cfg(not(feature = "ssr"))]
    {
        Vec::new()
    }
}

/// Latency as people read it.
fn latency(us: i64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1_000.0)
    } else {
        format!("{:.2} s", us as f64 / 1_000_000.0)
    }
}

fn status_badge(status: u16) -> &'static str {
    match status {
        200..=299 => "badge ok",
        400..=499 => "badge warn",
        _ => "badge danger",
    }
}

#[component]
fn RequestLog() -> impl IntoView {
    let query = query_from_address();
    let filters = query.filters();
    let here = {
        let filters = filters.clone();
        move |extra: &str| {
            let joined = [filters.as_str(), extra]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("&");
            if joined.is_empty() {
                "/developer/requests".to_owned()
            } else {
                format!("/developer/requests?{joined}")
            }
        }
    };
    let newest = here("");
    let export_csv = format!("/developer/requests/export?format=csv&{filters}");
    let export_jsonl = format!("/developer/requests/export?format=jsonl&{filters}");
    let filtered = !filters.is_empty();
    let form = query.clone();
    let page = Resource::new(move || query.clone(), list_requests);
    view! {
        <p><a href="/developer">"← Developer"</a></p>
        <div class="page-header">
            <div>
                <h1>"Requests"</h1>
                <p class="muted">"Every API request made with one of your organisation's keys, refused ones included. Paste a request id from an error or a Request-Id header to find that request."</p>
            </div>
        </div>
        <form class="toolbar" method="get" action="/developer/requests" role="search">
            <label class="visually-hidden" for="request-id">"Request id"</label>
            <input type="search" id="request-id" name="id" placeholder="req_01JDZ8W1S4X1T3V2M9C0FQ7H6K"
                value=form.id.clone() spellcheck="false" autocomplete="off"/>
            <button class="button small" type="submit">"Find request"</button>
        </form>
        <form class="toolbar filters" method="get" action="/developer/requests" aria-label="Filter requests">
            <label>"Key prefix"
                <input type="text" name="key" placeholder="sk_AbCd1234_Ab" value=form.key.clone() spellcheck="false"/>
            </label>
            <label>"Status"
                <select name="class">
                    <option value="">"Any"</option>
                    {StatusClass::ALL.into_iter().map(|c| view! {
                        <option value=c.key() selected=form.class == c.key()>{c.key()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Outcome"
                <select name="outcome">
                    <option value="">"Any"</option>
                    {Outcome::ALL.into_iter().map(|o| view! {
                        <option value=o.key() selected=form.outcome == o.key()>{o.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Error code"
                <select name="code">
                    <option value="">"Any"</option>
                    {api_codes().into_iter().map(|code| view! {
                        <option value=code selected=form.code == code>{code}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Route"
                <input type="text" name="route" placeholder="/api/v1/leads/{id}" value=form.route.clone() spellcheck="false"/>
            </label>
            <label>"From (UTC)"
                <input type="datetime-local" name="from" value=form.from.clone()/>
            </label>
            <label>"To (UTC)"
                <input type="datetime-local" name="to" value=form.to.clone()/>
            </label>
            <button class="button small" type="submit">"Filter"</button>
            {filtered.then(|| view! { <a class="button small" href="/developer/requests">"Clear filters"</a> })}
            <a class="button small" download rel="external" href=export_csv>"Download CSV"</a>
            <a class="button small" download rel="external" href=export_jsonl>"Download JSON Lines"</a>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading requests…"</p> }>
            {move || {
                let here = here.clone();
                let newest = newest.clone();
                Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(p) => {
                            let older = p.next.as_ref().map(|c| here(&format!("before={}", encode(c))));
                            let kept = p.kept_days;
                            view! {
                                {p.shown.map(|shown| view! { <RequestDetail shown/> })}
                                {if p.requests.is_empty() {
                                    view! {
                                        <section class="card empty">
                                            <p>{format!("No requests match. The log keeps the last {kept} days; new requests appear within a few seconds.")}</p>
                                        </section>
                                    }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap">
                                            <table class="data requests">
                                                <thead><tr>
                                                    <th scope="col">"Time (UTC)"</th><th scope="col">"Request"</th><th scope="col">"Status"</th>
                                                    <th scope="col">"Key"</th><th scope="col">"Latency"</th><th scope="col">"Request id"</th>
                                                </tr></thead>
                                                <tbody>
                                                    {p.requests.into_iter().map(|r| view! { <RequestRow r/> }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    }.into_any()
                                }}
                                <nav class="pager" aria-label="Pages">
                                    <a class="button small" href=newest>"Newest"</a>
                                    {match older {
                                        Some(href) => view! { <a class="button small" href=href>"Older"</a> }.into_any(),
                                        None => view! { <span class="button small" aria-disabled="true">"Older"</span> }.into_any(),
                                    }}
                                </nav>
                            }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn RequestRow(r: LoggedRequest) -> impl IntoView {
    let detail = format!("/developer/requests?id={}", r.request_id);
    let route_filter = format!("/developer/requests?route={}", encode(&r.route));
    let route = if r.route.is_empty() {
        r.path.clone()
    } else {
        r.route.clone()
    };
    view! {
        <tr>
            <td data-label="Time (UTC)">{format_time(r.at)}</td>
            <td data-label="Request"><code>{r.method.clone()}</code> " " <a href=route_filter>{route}</a></td>
            <td data-label="Status">
                <span class=status_badge(r.status)>{r.status}</span>
                {r.error_code.clone().map(|code| view! {
                    " " <a href=format!("/docs/errors#{code}")><code>{code.clone()}</code></a>
                })}
            </td>
            <td data-label="Key"><a href=format!("/developer/requests?key={}", encode(&r.key_prefix))><code>{r.key_prefix.clone()}</code></a></td>
            <td data-label="Latency">{latency(r.latency_us)}</td>
            <td data-label="Request id"><a href=detail><code class="small">{r.request_id.clone()}</code></a></td>
        </tr>
    }
}

#[component]
fn RequestDetail(shown: ShownRequest) -> impl IntoView {
    let r = shown.request;
    let code = r.error_code.clone();
    view! {
        <section class="card request-detail" aria-labelledby="request-title">
            <h2 id="request-title"><code>{r.method.clone()} " " {r.path.clone()}</code></h2>
            <dl class="details-list">
                <div><dt>"Request id"</dt><dd><code>{r.request_id.clone()}</code></dd></div>
                <div><dt>"Time (UTC)"</dt><dd>{format_time(r.at)}</dd></div>
                <div><dt>"Status"</dt><dd><span class=status_badge(r.status)>{r.status}</span></dd></div>
                {code.clone().map(|code| view! {
                    <div><dt>"Error"</dt><dd>
                        <a href=format!("/docs/errors#{code}")><code>{code.clone()}</code></a>
                        {shown.meaning.clone().map(|m| view! { <p class="small">{m}</p> })}
                        {shown.fix.clone().map(|f| view! { <p class="small"><strong>"What to do: "</strong>{f}</p> })}
                    </dd></div>
                })}
                <div><dt>"Key"</dt><dd>
                    {match shown.key_name.clone() {
                        Some(name) => view! { <a href=format!("/developer/keys/{}", r.key_id)>{name}</a> " " }.into_any(),
                        None => view! { <span class="muted">"(deleted) "</span> }.into_any(),
                    }}
                    <code>{r.key_prefix.clone()}</code>
                </dd></div>
                <div><dt>"Route"</dt><dd><code>{if r.route.is_empty() { "(no route matched)".to_owned() } else { r.route.clone() }}</code></dd></div>
                <div><dt>"Query parameters"</dt><dd>
                    {if r.query_names.is_empty() { "None".to_owned() } else { r.query_names.join(", ") }}
                    <span class="muted small">" (names only: values are never stored)"</span>
                </dd></div>
                <div><dt>"Client address"</dt><dd>{r.client_ip.clone()}</dd></div>
                <div><dt>"User agent"</dt><dd>{if r.user_agent.is_empty() { "None sent".to_owned() } else { r.user_agent.clone() }}</dd></div>
                <div><dt>"Latency"</dt><dd>{latency(r.latency_us)}</dd></div>
                <div><dt>"Response size"</dt><dd>{r.response_bytes.map_or_else(|| "Streamed".to_owned(), |b| format!("{b} bytes"))}</dd></div>
            </dl>
            <h3>"Copy as curl"</h3>
            <p class="muted small">"The key is left to your shell: set LEADLINE_KEY first. Query values and bodies are not stored, so fill in the … parts."</p>
            <CopyField id="request-curl".to_owned() label="The request as a curl command".to_owned() value=shown.curl.clone() masked=false
                fallback="Could not copy. Select the command and copy it by hand.".to_owned()/>
        </section>
    }
}
