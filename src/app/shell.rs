//! The HTML shell, the router and the dashboard layout.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::{path, SsrMode};

use crate::auth::pages::ViewerResource;
use crate::auth::{get_viewer, SignOut, SwitchOrganisation, Viewer};
use crate::error::DeveloperAccess;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="icon" href="/favicon.ico" sizes="32x32"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
                <script nonce=leptos::nonce::use_nonce() inner_html=PAGE_SCRIPT></script>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The one script the pages carry besides the islands' loader, so that
/// pages drawn by the server need no wasm: a `<select data-submit-on-change>`
/// or `<input data-submit-on-change>` submits its form when changed (the
/// organisation switch, the audit filter, the admin's flag switches),
/// a dialog opened from the address closes with Escape or a click on its
/// backdrop, as its close link would, and a click on a table row with
/// `data-href` (a key) opens it, as the key's name links there.
const PAGE_SCRIPT: &str = "(function(){function close(root){var c=root.querySelector('.modal-header a[href]');if(c)c.click();}\
document.addEventListener('change',function(e){var t=e.target;\
if((t instanceof HTMLSelectElement||t instanceof HTMLInputElement)&&t.hasAttribute('data-submit-on-change')&&t.form)t.form.requestSubmit();});\
document.addEventListener('keydown',function(e){if(e.key==='Escape')close(document);});\
document.addEventListener('click',function(e){var t=e.target;if(!(t instanceof Element))return;\
if(t.classList.contains('backdrop')){close(t);return;}\
var row=t.closest('tr[data-href]');\
if(row&&!t.closest('a,button,input,label,select,textarea,form'))location.assign(row.getAttribute('data-href'));});})();";

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    {
        crate::web::headers::set_page_policy();
        crate::web::forms::provide_flash_for_this_view();
        crate::web::forms::provide_shown::<crate::keys::domain::CreatedKey>();
        crate::web::forms::provide_shown::<crate::orgs::SentInvitation>();
        crate::web::forms::provide_shown::<crate::admin::ResetLink>();
        crate::web::forms::provide_shown::<crate::auth::RecoveryCodes>();
        crate::web::forms::provide_shown::<crate::notify::domain::EndpointSecret>();
    }
    let viewer = Resource::new(|| (), |_| get_viewer());
    provide_context(ViewerResource(viewer));

    view! {
        <Title text="Leadline"/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                // In order: each page arrives complete, without needing a
                // script to slot streamed parts in, so it reads (and its forms
                // post) before the wasm has loaded or with JavaScript off.
                <Route path=path!("/sign-in") view=crate::auth::pages::SignInPage ssr=SsrMode::InOrder/>
                <Route path=path!("/sign-in/code") view=crate::auth::pages::SignInCodePage ssr=SsrMode::InOrder/>
                <Route path=path!("/invite/:token") view=crate::orgs::pages::InvitationPage ssr=SsrMode::InOrder/>
                <Route path=path!("/reset-password/:token") view=crate::auth::pages::ResetPasswordPage ssr=SsrMode::InOrder/>
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::InOrder>
                    <Route path=path!("") view=|| view! { <Redirect path="/leads"/> }/>
                    <Route path=path!("leads") view=crate::leads::pages::LeadsPage/>
                    <Route path=path!("developer") view=crate::keys::pages::DeveloperPage/>
                    <Route path=path!("developer/keys/:id") view=crate::keys::usage::pages::KeyUsagePage/>
                    <Route path=path!("developer/requests") view=crate::keys::requests::pages::RequestsPage/>
                    <Route path=path!("developer/webhooks") view=crate::notify::pages::WebhooksPage/>
                    <Route path=path!("developer/webhooks/:id") view=crate::notify::pages::DeliveriesPage/>
                    <Route path=path!("audit") view=crate::audit::pages::AuditPage/>
                    <Route path=path!("account") view=crate::auth::pages::AccountPage/>
                    <Route path=path!("account/notifications") view=crate::notify::pages::NotificationsPage/>
                    <Route path=path!("members") view=crate::orgs::pages::MembersPage/>
                    <Route path=path!("admin") view=crate::admin::pages::AdminPage/>
                    <Route path=path!("admin/outbox") view=crate::notify::pages::OutboxPage/>
                    <Route path=path!("docs") view=crate::docs::pages::DocsIndex/>
                    <Route path=path!("docs/errors") view=crate::docs::pages::ErrorsPage/>
                    <Route path=path!("docs/:endpoint") view=crate::docs::pages::EndpointPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="centered">
            <section class="card empty">
                <h1>"Page not found"</h1>
                <a class="button" href="/leads">"Back to the dashboard"</a>
            </section>
        </main>
    }
}

#[component]
fn Layout() -> impl IntoView {
    let viewer = crate::auth::pages::use_viewer();
    view! {
        <div class="layout">
            <header class="topbar">
                <a class="brand" href="/leads">"Leadline"</a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match viewer.await {
                            Ok(Some(v)) => view! { <AccountMenu viewer=v/> }.into_any(),
                            Ok(None) => view! { <a class="button small" href="/sign-in">"Sign in"</a> }.into_any(),
                            // Not known to be signed out (the database is away).
                            Err(_) => ().into_any(),
                        }
                    })}
                </Suspense>
            </header>
            <Suspense fallback=|| view! { <nav class="sidebar" aria-label="Main"></nav> }>
                {move || Suspend::new(async move {
                    let v = viewer.await.ok().flatten();
                    view! { <Nav viewer=v/> }
                })}
            </Suspense>
            <main class="content" id="main">
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
fn Nav(viewer: Option<Viewer>) -> impl IntoView {
    let location = use_location();
    let link = move |href: &'static str, label: &'static str| {
        let current = move || location.pathname.get().starts_with(href).then_some("page");
        view! { <A href=href attr:aria-current=current>{label}</A> }
    };
    let active = viewer.as_ref().and_then(|v| v.active.clone());
    let show_developer = active
        .as_ref()
        .is_some_and(|o| o.developer_access() == DeveloperAccess::Granted);
    let member = active.is_some();
    let org_admin = active.as_ref().is_some_and(|o| o.permissions.admin);
    let platform_admin = viewer.as_ref().is_some_and(|v| v.is_platform_admin);
    view! {
        <nav class="sidebar" aria-label="Main">
            {member.then(|| link("/leads", "Leads"))}
            {member.then(|| link("/developer", "Developer"))}
            {show_developer.then(|| link("/audit", "Audit log"))}
            {link("/docs", "Docs")}
            {org_admin.then(|| link("/members", "Members"))}
            {platform_admin.then(|| link("/admin", "Admin"))}
        </nav>
    }
}

/// The organisation switch and "Sign out": plain HTML forms, whose posts
/// redirect (to /leads, to /sign-in), so no wasm is needed for either. The
/// switch submits itself on change through `PAGE_SCRIPT`; without
/// JavaScript it shows a Switch button.
#[component]
fn AccountMenu(viewer: Viewer) -> impl IntoView {
    let switch = ServerAction::<SwitchOrganisation>::new();
    let sign_out_action = ServerAction::<SignOut>::new();
    let active_slug = viewer
        .active
        .as_ref()
        .map(|o| o.slug.clone())
        .unwrap_or_default();
    let several = viewer.organisations.len() > 1;
    let single_name = viewer
        .active
        .as_ref()
        .map(|o| o.name.clone())
        .unwrap_or_else(|| "No organisation".into());
    view! {
        <div class="account">
            {if several {
                view! {
                    <ActionForm action=switch attr:class="bare-form org-switch">
                        <label class="visually-hidden" for="org-switch">"Organisation"</label>
                        <select id="org-switch" name="slug" data-submit-on-change="">
                            {viewer
                                .organisations
                                .iter()
                                .map(|o| {
                                    view! {
                                        <option value=o.slug.clone() selected=o.slug == active_slug>
                                            {o.name.clone()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <noscript><button class="button small" type="submit">"Switch"</button></noscript>
                    </ActionForm>
                }
                    .into_any()
            } else {
                view! { <span class="org-name" data-testid="active-org">{single_name}</span> }.into_any()
            }}
            <a class="user-email" href="/account" title="Account: password and sessions">{viewer.email.clone()}</a>
            <ActionForm action=sign_out_action attr:class="bare-form">
                <button class="button small ghost" type="submit">"Sign out"</button>
            </ActionForm>
        </div>
    }
}
