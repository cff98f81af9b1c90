//! Dashboard → Developer → a key's usage: charts drawn by the server, each
//! with a table alternative, totals and the last refused requests.

use leptos::prelude::*;

use super::domain::{Chart, OrgOverview, Outcome};
use super::get_key_usage;
use crate::auth::pages::signed_in;
use crate::platform::clock::format_time;
use crate::web::ui::ErrorBanner;

/// A chart as the server drew it (SVG, titled for screen readers), its
/// legend, and the same numbers as a table. `hourly` says how buckets are
/// named in the table.
#[component]
pub fn UsageChart(chart: Chart, hourly: bool) -> impl IntoView {
    let rows = chart
        .buckets
        .iter()
        .map(|b| {
            let when = if hourly {
                b.start.format("%b %-d, %H:00").to_string()
            } else {
                b.start.format("%b %-d").to_string()
            };
            view! {
                <tr>
                    <th scope="row">{when}</th>
                    {b.counts.iter().map(|n| view! { <td>{*n}</td> }).collect_view()}
                    <td>{b.total()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="usage-chart">
            <div class="chart-box" inner_html=chart.svg/>
            <figcaption>
                <ul class="legend">
                    {Outcome::ALL.into_iter().map(|o| view! {
                        <li><span class=format!("swatch bar-{}", o.key()) aria-hidden="true"></span>{o.label()}</li>
                    }).collect_view()}
                </ul>
            </figcaption>
            <details class="chart-table">
                <summary>"Show as a table"</summary>
                <div class="table-wrap">
                    <table class="data">
                        <caption class="visually-hidden">{chart.title.clone()}</caption>
                        <thead><tr>
                            <th scope="col">{if hourly { "Hour (UTC)" } else { "Day (UTC)" }}</th>
                            {Outcome::ALL.into_iter().map(|o| view! { <th scope="col">{o.label()}</th> }).collect_view()}
                            <th scope="col">"Total"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

/// The Developer page's overview: all keys' requests over 7 days, and the
/// busiest keys. Drawn by the server, as the rest of that page.
#[component]
pub fn UsageOverview(overview: OrgOverview) -> impl IntoView {
    let top_keys = if overview.top_keys.is_empty() {
        view! { <p class="muted small">"No requests yet."</p> }.into_any()
    } else {
        view! {
            <ol class="top-keys">
                {overview.top_keys.into_iter().map(|k| view! {
                    <li>
                        <a href=format!("/developer/keys/{}", k.id)>{k.name}</a>
                        " "
                        <code class="small">{k.prefix}"…"</code>
                        <span class="muted small">" " {super::domain::requests(k.requests)}</span>
                    </li>
                }).collect_view()}
            </ol>
        }
        .into_any()
    };
    view! {
        <section class="card overview" aria-labelledby="overview-title">
            <h2 id="overview-title">"Requests, last 7 days"</h2>
            <div class="overview-grid">
                <UsageChart chart=overview.last_7_days hourly=false/>
                <div>
                    <h3>"Top keys"</h3>
                    {top_keys}
                </div>
            </div>
        </section>
    }
}

#[component]
pub fn KeyUsagePage() -> impl IntoView {
    // Drawn by the server: nothing on this page needs the wasm.
    let id = crate::web::ui::path_param("id").parse::<i64>().ok();
    let usage = Resource::new(
        move || id,
        |id| async move {
            match id {
                Some(id) => get_key_usage(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    signed_in(move |_| {
        view! {
            <Suspense fallback=|| view! { <p class="muted">"Loading usage…"</p> }>
                {move || Suspend::new(async move {
                    match usage.await {
                        Err(e) => view! {
                            <p><a href="/developer">"← Developer"</a></p>
                            <ErrorBanner message=e.to_string()/>
                        }.into_any(),
                        Ok(u) => {
                            let totals = u.totals;
                            let refused = u.refused.clone();
                            view! {
                                <p><a href="/developer">"← Developer"</a></p>
                                <div class="page-header">
                                    <div>
                                        <h1>"Usage of " {u.key.name.clone()}</h1>
                                        <p class="muted"><code>{u.key.prefix.clone()}"…"</code> " · " {u.key.status.label()}</p>
                                    </div>
                                    <a class="button" href=format!("/developer/requests?key={}", crate::web::ui::encode(&u.key.prefix))>"Requests of this key"</a>
                                </div>
                                <p class="muted small">"Each part of a bar opens the requests it counts."</p>
                                <section class="card">
                                    <h2>"Last 24 hours"</h2>
                                    <UsageChart chart=u.last_24_hours hourly=true/>
                                </section>
                                <section class="card">
                                    <h2>"Last 30 days"</h2>
                                    <dl class="totals">
                                        {Outcome::ALL.into_iter().map(|o| view! {
                                            <div><dt>{o.label()}</dt><dd>{totals[o.index()]}</dd></div>
                                        }).collect_view()}
                                    </dl>
                                    <UsageChart chart=u.last_30_days hourly=false/>
                                </section>
                                <section class="card">
                                    <h2>"Last refused requests"</h2>
                                    {if refused.is_empty() {
                                        view! { <p class="muted">"None in the last 90 days."</p> }.into_any()
                                    } else {
                                        view! {
                                            <div class="table-wrap">
                                                <table class="data">
                                                    <thead><tr>
                                                        <th scope="col">"Time"</th><th scope="col">"Code"</th><th scope="col">"Request"</th><th scope="col">"Client address"</th>
                                                    </tr></thead>
                                                    <tbody>
                                                        {refused.into_iter().map(|r| view! {
                                                            <tr>
                                                                <td data-label="Time">{format_time(r.at)}</td>
                                                                <td data-label="Code"><a href=format!("/docs/errors#{}", r.code) rel="external"><code>{r.code.clone()}</code></a></td>
                                                                <td data-label="Request"><code>{r.method} " " {r.path}</code></td>
                                                                <td data-label="Client address">{r.client}</td>
                                                            </tr>
                                                        }).collect_view()}
                                                    </tbody>
                                                </table>
                                            </div>
                                        }.into_any()
                                    }}
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        }
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_overview_escapes_key_names() {
        let overview = OrgOverview {
            last_7_days: Chart {
                title: "t".into(),
                buckets: vec![],
                svg: "<svg></svg>".into(),
            },
            top_keys: vec![super::super::domain::TopKey {
                id: 7,
                name: "<img src=x onerror=alert(1)>".into(),
                prefix: "sk_AbCd1234_01".into(),
                requests: 3,
            }],
        };
        let html = view! { <UsageOverview overview/> }.to_html();
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains(r#"href="/developer/keys/7""#));
    }
}
