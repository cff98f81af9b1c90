//! Dashboard → Developer → a key's usage: charts drawn by the server, each
//! with a table alternative, totals and the last refused requests.

use leptos::prelude::*;

use super::domain::{Chart, Outcome};
use super::get_key_usage;
use crate::ui::{format_time, signed_in, ErrorBanner};

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

#[component]
pub fn KeyUsagePage() -> impl IntoView {
    // Drawn by the server: nothing on this page needs the wasm.
    let id = crate::ui::path_param("id").parse::<i64>().ok();
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
                                </div>
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
