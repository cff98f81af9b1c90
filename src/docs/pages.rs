//! `/docs`: the overview and API-keys guide, and one page per endpoint with
//! "Generate test token" and a playground that calls the real API.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{get_api_reference, ApiReference, EndpointDoc, ErrorEntry, SchemaDoc};
use crate::auth::pages::use_viewer;
use crate::error::AppError;
use crate::keys::GenerateTestToken;
use crate::platform::clock::format_optional;
use crate::web::ui::{encode, ErrorBanner, EyeIcon, EyeOffIcon};

fn reference() -> Resource<Result<ApiReference, AppError>> {
    Resource::new(|| (), |_| get_api_reference())
}

fn method_badge(method: &str) -> impl IntoView {
    view! { <span class=format!("method {}", method.to_lowercase())>{method.to_owned()}</span> }
}

/// The error codes as a table: each code links to (or, on the errors page,
/// is) its own anchor, which problem `type` URLs point at. The links load
/// the page (`rel="external"`), so the browser scrolls to the anchor itself.
#[component]
fn ErrorTable(errors: Vec<ErrorEntry>, detailed: bool) -> impl IntoView {
    view! {
        <div class="table-wrap"><table class="data errors">
            <thead><tr>
                <th scope="col">"Status"</th><th scope="col">"code"</th><th scope="col">"Meaning"</th>
                {detailed.then(|| view! { <th scope="col">"What to do"</th> })}
            </tr></thead>
            <tbody>
                {errors.into_iter().map(|e| {
                    let code = e.code.clone();
                    view! {
                        <tr id=detailed.then(|| code.clone())>
                            <td>{e.status}</td>
                            <td><a href=format!("{}#{code}", if detailed { "" } else { "/docs/errors" }) rel="external"><code>{code.clone()}</code></a></td>
                            <td>{e.meaning}</td>
                            {detailed.then(|| view! { <td>{e.fix}</td> })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
pub fn ErrorsPage() -> impl IntoView {
    let reference = reference();
    view! {
        <article class="docs">
            <p><a href="/docs">"← API docs"</a></p>
            <h1>"Error codes"</h1>
            <p>"Errors are " <code>"application/problem+json"</code> " (RFC 9457). Each has a stable " <code>"code"</code> " for programs, a " <code>"detail"</code> " for people, the request's " <code>"request_id"</code> " and, where a key was sent, its " <code>"key_prefix"</code> ". Its " <code>"type"</code> " links to the code's entry below. Every answer, success or not, has a " <code>"Request-Id"</code> " header (" <code>"req_"</code> " and a ULID): paste it into Developer → " <a href="/developer/requests">"Requests"</a> " to see that request (its key, route, status, error and timing), or quote it when you ask for help."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match reference.await {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(r) => {
                            let (api, dashboard): (Vec<_>, Vec<_>) = r.errors.into_iter().partition(|e| e.api);
                            view! {
                                <h2 id="api">"REST API"</h2>
                                <ErrorTable errors=api detailed=true/>
                                <h2 id="dashboard">"Dashboard"</h2>
                                <p>"These appear in the dashboard, never in API responses."</p>
                                <ErrorTable errors=dashboard detailed=true/>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </article>
    }
}

#[component]
pub fn DocsIndex() -> impl IntoView {
    let reference = reference();
    view! {
        <article class="docs">
            <h1>"API docs"</h1>
            <p>"The public REST API reads and changes your organisation's leads. Every request carries an API key."</p>

            <h2 id="authentication">"Authentication"</h2>
            <p>"Send the key as a Bearer token in the Authorization header:"</p>
            <pre tabindex="0"><code>"Authorization: Bearer sk_xxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"</code></pre>
            <p>"The first 14 characters (sk_xxxxxxxx_...) are your key prefix: you'll see it on the keys list, in the audit log, and in error messages. The prefix alone can't be used to authenticate. Keys in the URL are refused. See " <a href="#api-keys">"API keys"</a> " for rolling keys, expiry warnings, IP allowlists and reporting a leaked key."</p>

            <h2 id="errors">"Errors"</h2>
            <p>"Errors are " <code>"application/problem+json"</code> " (RFC 9457) with a stable " <code>"code"</code> ", the request's " <code>"request_id"</code> " and, where a key was sent, its " <code>"key_prefix"</code> ". Every request made with one of your keys, refused ones included, is kept (14 days, unless your operator chose otherwise) in Developer → " <a href="/developer/requests">"Requests"</a> ": paste a " <code>"request_id"</code> " there to find it."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match reference.await {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(r) => view! { <ErrorTable errors=r.errors.into_iter().filter(|e| e.api).collect() detailed=false/> }.into_any(),
                    }
                })}
            </Suspense>
            <p>"Every code has an entry in " <a href="/docs/errors">"Error codes"</a> ", which each problem's " <code>"type"</code> " links to."</p>

            <h2 id="rate-limits">"Rate limits"</h2>
            <p>"Each key may make 600 requests a minute by default. Every response carries " <code>"RateLimit-Limit"</code> ", " <code>"RateLimit-Remaining"</code> " and " <code>"RateLimit-Reset"</code> "; a 429 adds " <code>"Retry-After"</code> ". Repeated failed authentication from one address is throttled too."</p>

            <h2 id="pagination">"Pagination"</h2>
            <p>"Lists are newest first. Pass " <code>"limit"</code> " (1 to 100, default 25); when more remain, the response's " <code>"next_cursor"</code> " goes into the next request's " <code>"cursor"</code> "."</p>

            <h2 id="sync">"Keeping a copy in sync"</h2>
            <p>"An integration that mirrors your leads (a Zapier leads sync, a nightly job) asks for what changed since its last run. With " <code>"updated_since"</code> ", " <code>"GET /api/v1/leads"</code> " is the sync feed: leads created or changed at or after that time, oldest change first (by " <code>"updated_at"</code> ", then " <code>"id"</code> "). A lead changed while you page through comes again on a later page: none is skipped. " <code>"GET /api/v1/leads/deleted?since=…"</code> " lists the leads deleted since then, with the same paging; deletions are kept for 30 days, so sync at least that often."</p>
            <pre tabindex="0"><code>"since = load_saved_time()   # the start of your last run, or a time before your first
started = now()
for path, params in [(\"/api/v1/leads\", {\"updated_since\": since}),
                     (\"/api/v1/leads/deleted\", {\"since\": since})]:
    cursor = None
    while True:
        page = get(path, {**params, \"limit\": 100, **({\"cursor\": cursor} if cursor else {})})
        for item in page[\"data\"]:
            upsert(item) if path.endswith(\"/leads\") else remove(item[\"id\"])
        cursor = page[\"next_cursor\"]
        if not cursor:
            break
save_time(started)   # next run starts here; an overlap only repeats work"</code></pre>

            <h2 id="endpoints">"Endpoints"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match reference.await {
                        Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                        Ok(r) => view! {
                            <ul class="endpoint-list">
                                {r.endpoints.into_iter().map(|e| view! {
                                    <li><a href=format!("/docs/{}", e.slug)>{method_badge(&e.method)} " " <code>{e.path.clone()}</code> " " {e.summary.clone()}</a></li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href="/api/v1/openapi.json">"OpenAPI document (JSON)"</a></p>

            <KeysGuide/>
        </article>
    }
}

/// The API-keys guide, in the product's own words.
#[component]
fn KeysGuide() -> impl IntoView {
    view! {
        <section class="guide" id="api-keys">
            <h2>"API keys"</h2>
            <p>"API keys let scripts and integrations talk to your organisation's data through the public REST API. Keys are scoped: each one carries its own permissions and (optionally) an expiry date."</p>
            <h3>"Creating a key"</h3>
            <ol>
                <li>"Open Dashboard → " <a href="/developer">"Developer"</a> "."</li>
                <li>"Click " <strong>"New key"</strong> " (top-right)."</li>
                <li>"Fill in " <strong>"Key name"</strong> " (1–100 characters, required), " <strong>"Permissions"</strong> " (Leads: read, create, update, delete; all unticked by default) and, optionally, " <strong>"Expiry"</strong> "."</li>
                <li>"Click " <strong>"Create key"</strong> "."</li>
            </ol>
            <p>"A modal shows the raw key, masked by default. Click the eye icon to reveal it, then Copy it. You only see the raw key once: we never store the plaintext, only a SHA-256 hash."</p>
            <h3>"Editing, revoking and deleting"</h3>
            <p>"Click a row in the keys list to change its name, permissions and IP allowlist; the expiry can't change. Revoke marks a key inactive (its requests get a 401; it stays in the list, and your platform admin can re-activate it). Delete removes it permanently, apart from its audit log entries."</p>
            <h3 id="rolling">"Rolling a key"</h3>
            <p>"Roll key, on a key's row, makes a new key with the same name, permissions, expiry and IP allowlist, shown once like any new key. The old key keeps working for the grace period you choose (none, 1 hour, 24 hours or 7 days), so an integration can switch without downtime; the list shows it as Retiring (\"Retires in 23 h\"), then it is revoked and its requests get a 401 " <code>"key_revoked"</code> ". Its expiry does not change. Cancel revocation keeps it working after all. The audit log's entries for the two keys name each other."</p>
            <h3 id="key-policy">"Key policy"</h3>
            <p>"Organisation admins can set a maximum lifetime (for example 90 days) and require an expiry. New keys and rolls must then have an expiry within it; the New key form fills in the latest date allowed, and the server refuses anything else with a message on the Expiry field. Existing keys keep their expiry."</p>
            <h3 id="expiry-warnings">"Expiry warnings"</h3>
            <p>"Keys that expire within 7 days show \"Expires in N days\" in the list, and the Developer page counts them in a banner; expired keys show Expired, not Revoked. While a key expires within 7 days, the API's successful responses to it carry " <code>"Leadline-Key-Expires"</code> " with the time it expires (RFC 3339, UTC), so an integration can warn its owner."</p>
            <h3 id="notifications">"Mail and webhooks about your keys"</h3>
            <p>"Leadline mails the key's creator 7 days and again 1 day before a key expires (with a link straight to its Roll dialog), when it has expired, and when it is revoked, rolled, retired after a roll, or created. Organisation admins are mailed too when a key is reported as leaked, and when a revoked or expired key is still being called (at most once a day per key). Choose your mail on Account → " <a href="/account/notifications">"Notifications"</a> "; the leak mail is always on. Mail names a key by its name and prefix, never the key."</p>
            <p>"Organisation admins can also send these events to their own systems: Developer → " <a href="/developer/webhooks">"Webhooks"</a> ", Add endpoint (a public https URL), and choose the events. Each delivery is a JSON POST signed by the " <a href="https://www.standardwebhooks.com/">"Standard Webhooks"</a> " specification (" <code>"webhook-id"</code> ", " <code>"webhook-timestamp"</code> ", " <code>"webhook-signature"</code> "), with the endpoint's " <code>"whsec_"</code> " secret, shown once; any Standard Webhooks library verifies it:"</p>
            <pre tabindex="0"><code>"from standardwebhooks.webhooks import Webhook
event = Webhook(secret).verify(request.body, request.headers)  # raises if forged or stale
if event[\"type\"] == \"key.expiring\":
    notify_owner(event[\"data\"][\"key\"][\"prefix\"], event[\"data\"][\"key\"][\"expires_at\"])"</code></pre>
            <p>"Answer with a 2xx within 10 seconds. Anything else is retried after 5 seconds, 5 and 30 minutes, 2, 5, 10 and 6 hours, with the same " <code>"webhook-id"</code> " (so you can drop duplicates); the endpoint's delivery log shows each attempt's status, response code and latency, with Redeliver. An endpoint that fails for 3 days is disabled, and the admins are mailed."</p>
            <h3 id="ip-allowlists">"IP allowlists"</h3>
            <p>"Edit a key to limit where it may be used from: up to 50 IPv4 or IPv6 addresses and CIDR ranges (like " <code>"203.0.113.0/24"</code> "), one per line; empty means anywhere. A request from elsewhere gets a 403 " <code>"ip_not_allowed"</code> " naming the key prefix and the address the server saw. Behind your own reverse proxies, the server reads the client's address from " <code>"X-Forwarded-For"</code> " only when your platform admin lists the proxies in " <code>"LEADLINE_TRUSTED_PROXIES"</code> "."</p>
            <h3 id="leaked-keys">"Checksums and leaked keys"</h3>
            <p>"The last 6 characters of a key are a checksum of the rest, so a mistyped or made-up key is refused (" <code>"malformed_key"</code> ") before any look-up, and tools can tell a Leadline key from random text. The other 34 characters are random: about 202 bits."</p>
            <p>"Found a key where it should not be, such as a public repository or a log? Report it; no authentication is needed, since holding the key is proof enough. Every working key among up to 100 reported tokens is revoked at once (the audit log says \"reported as leaked\") and its organisation's Developer page shows a banner. The answer is always 202, whatever matched, and reports are rate-limited per address."</p>
            <pre tabindex="0"><code>"curl -X POST https://your-leadline/api/v1/leaked-keys \\\n  -H 'Content-Type: application/json' \\\n  -d '{\"keys\": [\"sk_...\"]}'"</code></pre>
            <p>"To catch keys before they leak, run " <code>"leadline key scan FILE…"</code> " in CI or a pre-commit hook: it prints the file, line and prefix of every key whose checksum is valid, never the key itself, and exits with 1 when it finds one."</p>
            <h3>"Temp keys from the docs playground"</h3>
            <p>"Generate test token on an endpoint page creates a 1-hour key on your behalf, named \"Docs playground (temp)\", scoped to leads CRUD. It shows in the same keys list and auto-expires; revoke it early if you're worried."</p>
            <h3>"Permissions you'll need"</h3>
            <p>"The Developer permission, plus the Developer API feature flag on your organisation. The flag is enabled by your platform admin; it's not self-serve."</p>
        </section>
    }
}

#[component]
pub fn EndpointPage() -> impl IntoView {
    let params = use_params_map();
    let reference = reference();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let slug = params.read().get("endpoint").unwrap_or_default();
                match reference.await {
                    Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
                    Ok(r) => match r.endpoints.into_iter().find(|e| e.slug == slug) {
                        None => view! { <ErrorBanner message="No such endpoint."/> }.into_any(),
                        Some(e) => view! { <Endpoint endpoint=e/> }.into_any(),
                    },
                }
            })}
        </Suspense>
    }
}

fn schema_table(schema: &SchemaDoc) -> impl IntoView {
    view! {
        <p class="muted small">"Schema " <code>{schema.name.clone()}</code></p>
        <div class="table-wrap"><table class="data">
            <thead><tr><th scope="col">"Field"</th><th scope="col">"Type"</th><th scope="col">"Description"</th></tr></thead>
            <tbody>
                {schema.fields.iter().map(|f| view! {
                    <tr>
                        <td><code>{f.name.clone()}</code>{f.required.then_some(" (required)")}</td>
                        <td>{f.kind.clone()}</td>
                        <td>{f.description.clone()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
fn Endpoint(endpoint: EndpointDoc) -> impl IntoView {
    let e = endpoint.clone();
    view! {
        <article class="docs">
            <p><a href="/docs">"← API docs"</a></p>
            <h1>{e.summary.clone()}</h1>
            <p class="endpoint-line">{method_badge(&e.method)} " " <code>{e.path.clone()}</code></p>
            {(!e.description.is_empty()).then(|| view! { <p>{e.description.clone()}</p> })}
            <p>"Needs a key with the " <code>{e.scope.clone()}</code> " permission."</p>

            {(!e.parameters.is_empty()).then(|| view! {
                <h2>"Parameters"</h2>
                <div class="table-wrap"><table class="data">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"In"</th><th scope="col">"Type"</th><th scope="col">"Description"</th></tr></thead>
                    <tbody>
                        {e.parameters.iter().map(|p| view! {
                            <tr>
                                <td><code>{p.name.clone()}</code>{p.required.then_some(" (required)")}</td>
                                <td>{p.location.clone()}</td><td>{p.kind.clone()}</td><td>{p.description.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            })}

            {e.request.clone().map(|body| view! {
                <h2>"Request body"</h2>
                {schema_table(&body.schema)}
                <p class="muted small">"Example"</p>
                <pre tabindex="0"><code>{body.example.clone()}</code></pre>
            })}

            <h2>"Responses"</h2>
            <div class="table-wrap"><table class="data">
                <thead><tr><th scope="col">"Status"</th><th scope="col">"Meaning"</th><th scope="col">"Body"</th></tr></thead>
                <tbody>
                    {e.responses.iter().map(|r| view! {
                        <tr>
                            <td><code>{r.status.clone()}</code></td>
                            <td>{if r.codes.is_empty() {
                                r.description.clone().into_any()
                            } else {
                                let reason = r.description.split(':').next().unwrap_or_default().to_owned();
                                view! {
                                    {reason} ": "
                                    {r.codes.iter().enumerate().map(|(i, code)| view! {
                                        {(i > 0).then_some(", ")}
                                        <a href=format!("/docs/errors#{code}") rel="external"><code>{code.clone()}</code></a>
                                    }).collect_view()}
                                }.into_any()
                            }}</td>
                            <td>{r.schema.as_ref().map(|s| view! { <code>{s.name.clone()}</code> }.into_any()).unwrap_or_else(|| {
                                if r.status.starts_with('2') { view! { "–" }.into_any() } else { view! { <code>"application/problem+json"</code> }.into_any() }
                            })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
            {e.responses.iter().find(|r| r.status.starts_with('2') && r.schema.is_some()).map(|r| view! {
                <h3>{format!("{} response", r.status)}</h3>
                {r.schema.as_ref().map(schema_table)}
                {r.example.clone().map(|x| view! { <p class="muted small">"Example"</p><pre tabindex="0"><code>{x}</code></pre> })}
            })}

            <h2>"Example"</h2>
            <pre tabindex="0"><code>{e.curl()}</code></pre>

            <Playground endpoint=endpoint/>
        </article>
    }
}

/// What the playground shows of a response.
#[derive(Clone, Debug, PartialEq)]
struct Exchange {
    status: u16,
    status_text: String,
    headers: Vec<(String, String)>,
    body: String,
}

#[component]
fn Playground(endpoint: EndpointDoc) -> impl IntoView {
    let viewer = use_viewer();
    view! {
        <section class="card playground" aria-labelledby="playground-title">
            <h2 id="playground-title">"Try it"</h2>
            <Suspense fallback=|| ()>
                {move || {
                    let endpoint = endpoint.clone();
                    Suspend::new(async move {
                        match viewer.await {
                            Ok(Some(v)) => {
                                let missing = v
                                    .active
                                    .as_ref()
                                    .map(|o| o.developer_access().explain(&o.name))
                                    .unwrap_or_else(|| Some("You are not a member of any organisation yet.".into()));
                                // Only what the form needs crosses to the browser.
                                let params = endpoint.parameters.iter().map(|p| (p.name.clone(), p.location.clone())).collect();
                                let example = endpoint.request.as_ref().map(|b| b.example.clone());
                                view! {
                                    <PlaygroundForm method=endpoint.method.clone() path=endpoint.path.clone()
                                        params=params example=example missing=missing/>
                                }.into_any()
                            }
                            _ => view! {
                                <button class="button" type="button" disabled=true>"Generate test token"</button>
                                <p class="muted"><a href="/sign-in">"Sign in"</a> " to generate a test token and send requests from this page."</p>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The playground's live part: an island, loaded as its own wasm chunk.
/// `params` are the endpoint's parameters (name, `path` or `query`),
/// `example` its request body's example if it takes one, and `missing` what
/// access the viewer lacks, if any.
#[island(lazy)]
fn PlaygroundForm(
    method: String,
    path: String,
    params: Vec<(String, String)>,
    example: Option<String>,
    missing: Option<String>,
) -> impl IntoView {
    crate::web::ui::island_start();
    let generate = ServerAction::<GenerateTestToken>::new();
    let authorization = RwSignal::new(String::new());
    let revealed = RwSignal::new(false);
    let token_note = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(created)) = generate.value().get() {
            // The token goes into the field and is dropped from the action.
            authorization.set(format!("Bearer {}", created.plaintext));
            revealed.set(false);
            token_note.set(Some(format!(
                "Key {} was added to your keys list as \"Docs playground (temp)\". It expires {}.",
                created.key.prefix,
                format_optional(created.key.expires_at, "never")
            )));
            generate.value().set(None);
        }
    });
    let token_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Err(e)) = generate.value().get() {
            token_error.set(Some(e.to_string()));
        }
    });

    let params: Vec<(String, String, RwSignal<String>)> = params
        .into_iter()
        .map(|(name, location)| (name, location, RwSignal::new(String::new())))
        .collect();
    let has_body = example.is_some();
    let body = RwSignal::new(example.unwrap_or_default());
    let send_params = params.clone();
    // A local task started by the click, not an Action: its future holds
    // browser-only values, and nothing of it needs to exist on the server.
    let response = RwSignal::new(None::<Result<Exchange, String>>);
    let sending = RwSignal::new(false);
    let send = move || {
        let mut url = path.clone();
        let mut query = Vec::new();
        for (name, location, value) in &send_params {
            let value = value.get_untracked();
            if location == "path" {
                url = url.replace(&format!("{{{name}}}"), &encode(&value));
            } else if !value.is_empty() {
                query.push(format!("{name}={}", encode(&value)));
            }
        }
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let method = method.clone();
        let auth = authorization.get_untracked();
        let body = has_body.then(|| body.get_untracked());
        sending.set(true);
        leptos::task::spawn_local(async move {
            response.set(Some(send_request(method, url, auth, body).await));
            sending.set(false);
        });
    };
    view! {
        {missing.map(|why| view! { <p class="banner error" role="alert">{why}</p> })}
        <div class="playground-token">
            <button class="button primary" type="button" disabled=move || generate.pending().get()
                on:click=move |_| { token_error.set(None); generate.dispatch(GenerateTestToken {}); }>
                "Generate test token"
            </button>
            <span class="muted small">"A 1-hour key named \"Docs playground (temp)\", scoped to leads CRUD."</span>
        </div>
        {move || token_error.get().map(|m| view! { <ErrorBanner message=m/> })}
        <label for="playground-authorization">"Authorization"</label>
        <div class="secret-row">
            <input id="playground-authorization" class="secret" spellcheck="false" autocomplete="off"
                placeholder="Bearer sk_…"
                type=move || if revealed.get() { "text" } else { "password" }
                bind:value=authorization/>
            <button class="icon-button" type="button"
                aria-label=move || if revealed.get() { "Hide key" } else { "Reveal key" }
                aria-pressed=move || revealed.get().to_string()
                on:click=move |_| revealed.update(|r| *r = !*r)>
                {move || if revealed.get() { view! { <EyeOffIcon/> }.into_any() } else { view! { <EyeIcon/> }.into_any() }}
            </button>
        </div>
        {move || token_note.get().map(|n| view! { <p class="muted small">{n}</p> })}
        {params.into_iter().map(|(name, location, value)| {
            let id = format!("param-{name}");
            let label_for = id.clone();
            view! {
                <label for=label_for>{name.clone()} <span class="muted small">{format!(" ({location})")}</span></label>
                <input id=id bind:value=value placeholder=if location == "path" { "1" } else { "" }/>
            }
        }).collect_view()}
        {has_body.then(|| view! {
            <label for="playground-body">"Request body (JSON)"</label>
            <textarea id="playground-body" class="code" rows="9" spellcheck="false" bind:value=body></textarea>
        })}
        <div class="modal-actions">
            <button class="button primary" type="button" disabled=move || sending.get()
                on:click=move |_| send()>"Send request"</button>
        </div>
        <div aria-live="polite">
            {move || response.get().map(|result| match result {
                Err(message) => view! { <ErrorBanner message=message/> }.into_any(),
                Ok(x) => view! {
                    <div class="response" data-testid="response">
                        <p class="response-status"><strong data-testid="response-status">{x.status}</strong> " " {x.status_text.clone()}</p>
                        <details>
                            <summary>"Headers"</summary>
                            <ul class="plain-list small">
                                {x.headers.iter().map(|(k, v)| view! { <li><code>{k.clone()}</code> ": " {v.clone()}</li> }).collect_view()}
                            </ul>
                        </details>
                        <pre tabindex="0"><code data-testid="response-body">{x.body.clone()}</code></pre>
                    </div>
                }.into_any(),
            })}
        </div>
    }
}

fn pretty(body: String) -> String {
    serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(body)
}

/// Calls the real public API from the browser.
async fn send_request(
    method: String,
    url: String,
    authorization: String,
    body: Option<String>,
) -> Result<Exchange, String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        use wasm_bindgen_futures::JsFuture;
        let fail = |e: JsValue| format!("The request could not be sent: {e:?}");
        let headers = web_sys::Headers::new().map_err(fail)?;
        if !authorization.trim().is_empty() {
            headers
                .set("Authorization", authorization.trim())
                .map_err(fail)?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method(&method);
        if let Some(body) = body {
            headers
                .set("Content-Type", "application/json")
                .map_err(fail)?;
            init.set_body(&JsValue::from_str(&body));
        }
        init.set_headers(&headers);
        let request = web_sys::Request::new_with_str_and_init(&url, &init).map_err(fail)?;
        let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request))
            .await
            .map_err(fail)?
            .dyn_into()
            .map_err(fail)?;
        let mut pairs = Vec::new();
        if let Ok(Some(iter)) = js_sys::try_iter(&response.headers()) {
            for entry in iter.flatten() {
                let entry: js_sys::Array = entry.unchecked_into();
                pairs.push((
                    entry.get(0).as_string().unwrap_or_default(),
                    entry.get(1).as_string().unwrap_or_default(),
                ));
            }
        }
        let text = JsFuture::from(response.text().map_err(fail)?)
            .await
            .map_err(fail)?;
        Ok(Exchange {
            status: response.status(),
            status_text: response.status_text(),
            headers: pairs,
            body: pretty(text.as_string().unwrap_or_default()),
        })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, url, authorization, body, pretty);
        Err("The playground runs in the browser.".to_owned())
    }
}
