//! `/docs`: the overview, and one page per endpoint with "Generate test token".

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::keys::GenerateTestToken;
use crate::ui::{use_viewer, ErrorBanner};

/// One documented endpoint.
pub struct Endpoint {
    pub slug: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub title: &'static str,
    pub permission: &'static str,
    pub summary: &'static str,
}

pub const ENDPOINTS: [Endpoint; 5] = [
    Endpoint { slug: "list-leads", method: "GET", path: "/api/v1/leads", title: "List leads", permission: "leads:read",
        summary: "Newest first. Query: limit (1 to 100, default 25), cursor (next_cursor of the previous page), status, updated_since (RFC 3339), q (name, email or company contains)." },
    Endpoint { slug: "create-lead", method: "POST", path: "/api/v1/leads", title: "Create a lead", permission: "leads:create",
        summary: "JSON body: name (required), email, company, phone, status, source, notes. Answers 201 with a Location header." },
    Endpoint { slug: "get-lead", method: "GET", path: "/api/v1/leads/{id}", title: "Get a lead", permission: "leads:read",
        summary: "One lead by id. Another organisation's lead answers 404." },
    Endpoint { slug: "update-lead", method: "PATCH", path: "/api/v1/leads/{id}", title: "Update a lead", permission: "leads:update",
        summary: "JSON body with only the fields to change." },
    Endpoint { slug: "delete-lead", method: "DELETE", path: "/api/v1/leads/{id}", title: "Delete a lead", permission: "leads:delete",
        summary: "Answers 204 with no body." },
];

#[component]
pub fn DocsIndex() -> impl IntoView {
    view! {
        <article class="docs">
            <h1>"API docs"</h1>
            <p>"API keys let scripts and integrations talk to your organisation's data through the public REST API. Create keys in Dashboard → Developer."</p>
            <h2>"Authentication"</h2>
            <p>"Send the key as a Bearer token in the Authorization header:"</p>
            <pre><code>"Authorization: Bearer sk_xxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"</code></pre>
            <p>"The first 14 characters are your key prefix: you'll see it on the keys list, in the audit log, and in error messages. The prefix alone can't be used to authenticate."</p>
            <h2>"Errors"</h2>
            <p>"Errors are application/problem+json with a stable code: missing_credentials, malformed_key, invalid_key, key_revoked, key_expired (401); insufficient_permission, feature_disabled (403); not_found (404); validation_failed (422); rate_limited (429)."</p>
            <h2>"Endpoints"</h2>
            <ul class="endpoint-list">
                {ENDPOINTS.iter().map(|e| view! {
                    <li><a href=format!("/docs/{}", e.slug)><span class=format!("method {}", e.method.to_lowercase())>{e.method}</span> <code>{e.path}</code> " " {e.title}</a></li>
                }).collect_view()}
            </ul>
            <p><a href="/api/v1/openapi.json">"OpenAPI document"</a></p>
        </article>
    }
}

#[component]
pub fn EndpointPage() -> impl IntoView {
    let params = use_params_map();
    let endpoint = move || {
        let slug = params.read().get("endpoint").unwrap_or_default();
        ENDPOINTS.iter().find(|e| e.slug == slug)
    };
    view! {
        {move || match endpoint() {
            None => view! { <ErrorBanner message="No such endpoint."/> }.into_any(),
            Some(e) => view! {
                <article class="docs">
                    <p><a href="/docs">"← API docs"</a></p>
                    <h1>{e.title}</h1>
                    <p><span class=format!("method {}", e.method.to_lowercase())>{e.method}</span> " " <code>{e.path}</code></p>
                    <p>{e.summary}</p>
                    <p>"Needs the " <code>{e.permission}</code> " permission."</p>
                    <pre><code>{format!("curl -X {} -H \"Authorization: Bearer $LEADLINE_KEY\" http://127.0.0.1:3000{}", e.method, e.path.replace("{id}", "1"))}</code></pre>
                    <TestToken/>
                </article>
            }.into_any(),
        }}
    }
}

#[component]
fn TestToken() -> impl IntoView {
    let viewer = use_viewer();
    let generate = ServerAction::<GenerateTestToken>::new();
    let revealed = RwSignal::new(false);
    view! {
        <section class="card playground">
            <h2>"Try it"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(_)) => view! {
                            <button class="button primary" type="button" on:click=move |_| { generate.dispatch(GenerateTestToken {}); }>"Generate test token"</button>
                            <p class="muted small">"Creates a 1-hour key named \"Docs playground (temp)\", scoped to leads CRUD. It shows in your keys list; revoke it early if you're worried."</p>
                        }.into_any(),
                        _ => view! {
                            <button class="button" type="button" disabled=true>"Generate test token"</button>
                            <p><a href="/sign-in">"Sign in"</a> " to generate a test token."</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            {move || generate.value().get().map(|r| match r {
                Ok(created) => {
                    let token = created.plaintext.clone();
                    view! {
                        <label for="playground-token">"Authorization"</label>
                        <div class="secret-row">
                            <input id="playground-token" class="secret" readonly
                                type=move || if revealed.get() { "text" } else { "password" }
                                prop:value=format!("Bearer {token}")/>
                            <button class="icon-button" type="button" aria-label=move || if revealed.get() { "Hide key" } else { "Reveal key" }
                                on:click=move |_| revealed.update(|r| *r = !*r)>"👁"</button>
                        </div>
                        <p class="muted small">{format!("Key {} expires {}.", created.key.prefix, crate::ui::format_optional(created.key.expires_at, "never"))}</p>
                    }.into_any()
                }
                Err(e) => view! { <ErrorBanner message=e.to_string()/> }.into_any(),
            })}
        </section>
    }
}
