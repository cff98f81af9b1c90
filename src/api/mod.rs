//! The public REST API, beside the Leptos app on the same axum server.
//!
//! Routes and the OpenAPI document come from the same handler list
//! (utoipa-axum): a handler is served exactly when it is documented.

pub mod auth;
pub mod leads;
pub mod leaks;
pub mod openapi;

use axum::extract::DefaultBodyLimit;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::error::AppError;
use crate::keys::KeyState;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Where the API is mounted.
pub const BASE_PATH: &str = "/api/v1";

/// The catch-all route that answers 404 for any other path under
/// [`BASE_PATH`]; logged and counted as no route.
const UNMATCHED: &str = "/api/v1/{*rest}";

#[derive(OpenApi)]
#[openapi(
    info(title = "Leadline public API", version = "1.0.0",
         description = "Read and change your organisation's leads. Authenticate with an API key from Dashboard → Developer, sent as `Authorization: Bearer sk_...`. Errors are `application/problem+json` (RFC 9457); each `code` is explained at `/docs/errors`."),
    components(schemas(crate::leads::domain::LeadStatus)),
    tags((name = "Leads", description = "The organisation's leads"),
         (name = "Leaked keys", description = "Report keys found where they should not be"),
         (name = "Meta", description = "This document"))
)]
pub struct ApiDoc;

/// The document as served: utoipa's output for the routes below, with the
/// shared error responses, headers and links added (see [`openapi`]).
#[utoipa::path(get, path = "/openapi.json", operation_id = "get-openapi-document", tag = "Meta",
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json",
               body = Object)))]
async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(openapi::document())
}

/// The methods a route documents (plus HEAD, which axum answers for every
/// GET), for the `Allow` header of its 405: the route's fallback answers
/// it, as a problem like every other error.
fn allowed(paths: &utoipa::openapi::path::Paths) -> String {
    let methods = openapi::documented_methods(paths);
    let mut allow: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
    if allow.contains(&"GET") {
        allow.insert(1, "HEAD");
    }
    allow.join(", ")
}

/// A route's documented path under [`BASE_PATH`]. The routes are mounted
/// there directly rather than nested: a nested router strips the prefix
/// from every request, rebuilding its URI (allocations on the hot path).
fn mounted(mut paths: utoipa::openapi::path::Paths) -> utoipa::openapi::path::Paths {
    paths.paths = std::mem::take(&mut paths.paths)
        .into_iter()
        .map(|(path, item)| (format!("{BASE_PATH}{path}"), item))
        .collect();
    paths
}

/// Adds the 405 fallback to a public route, mounted under [`BASE_PATH`].
fn with_allow(
    (schemas, paths, method_router): UtoipaMethodRouter<KeyState>,
) -> UtoipaMethodRouter<KeyState> {
    let paths = mounted(paths);
    let allow = allowed(&paths);
    let method_router = method_router.fallback(move || {
        std::future::ready(AppError::MethodNotAllowed {
            allow: allow.clone(),
        })
    });
    (schemas, paths, method_router)
}

/// Adds the 405 fallback to a key-authenticated route, mounted under
/// [`BASE_PATH`]: the key is checked (and metered) first, as for the
/// methods the route has.
fn with_allow_for_keys(
    (schemas, paths, method_router): UtoipaMethodRouter<KeyState>,
) -> UtoipaMethodRouter<KeyState> {
    let paths = mounted(paths);
    let allow = allowed(&paths);
    let method_router = method_router.fallback(
        move |axum::extract::State(state): axum::extract::State<KeyState>, caller: auth::Caller| {
            let refusal = AppError::MethodNotAllowed {
                allow: allow.clone(),
            };
            std::future::ready(caller.answer::<()>(&state, Err(refusal)))
        },
    );
    (schemas, paths, method_router)
}

/// The key-authenticated lead routes.
fn lead_routes() -> OpenApiRouter<KeyState> {
    OpenApiRouter::new()
        .routes(with_allow_for_keys(routes!(leads::list, leads::create)))
        .routes(with_allow_for_keys(routes!(leads::deleted)))
        .routes(with_allow_for_keys(routes!(
            leads::get,
            leads::update,
            leads::delete
        )))
}

/// Routes anyone may read.
fn public_routes() -> OpenApiRouter<KeyState> {
    OpenApiRouter::new()
        .routes(with_allow(routes!(leaks::report)))
        .routes(with_allow(routes!(openapi_json)))
}

/// The document as utoipa generates it, before [`openapi::document`]
/// completes it.
pub fn generated_document() -> utoipa::openapi::OpenApi {
    let (_, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(lead_routes())
        .merge(public_routes())
        .split_for_parts();
    doc
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// The API's route templates, kept from the first router built: a logged
/// request borrows its route's from here rather than copying it.
static ROUTES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// The template of a matched route, as the router has it; empty for none
/// of the API's documented routes.
fn route_template(matched: Option<&axum::extract::MatchedPath>) -> &'static str {
    let Some(matched) = matched else { return "" };
    ROUTES
        .get()
        .and_then(|routes| routes.iter().find(|route| *route == matched.as_str()))
        .map_or("", String::as_str)
}

pub fn router(state: &KeyState) -> Router<KeyState> {
    let (api, doc) = lead_routes().merge(public_routes()).split_for_parts();
    ROUTES.get_or_init(|| doc.paths.paths.into_keys().collect());
    // Any other path under the API's is the API's 404, not the app's page.
    let api = api
        .route(BASE_PATH, axum::routing::any(not_found))
        .route(UNMATCHED, axum::routing::any(not_found));
    // An unauthenticated read for the load script to compare against. Only
    // in a build with the `bench-routes` feature, which no release enables,
    // and even then only with LEADLINE_BENCH_ROUTES=true.
    #[cfg(feature = "bench-routes")]
    let api = if std::env::var("LEADLINE_BENCH_ROUTES").is_ok_and(|v| v == "true") {
        api.route(
            "/api/v1/_bench/orgs/{org}/leads/{id}",
            axum::routing::get(leads::get_unauthenticated),
        )
    } else {
        api
    };
    api.layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            with_request_id,
        ))
}

/// Gives every API request its id (see `error::request_id`): in the
/// response's `Request-Id`, in problem bodies, and as a field of every log
/// line of the request. A client's `X-Request-Id` is logged beside it, never
/// used as it. Then logs the request, when it named a key that exists
/// (`keys::requests`): the key extractor attributes it, through the note
/// put in the request's extensions here.
async fn with_request_id(
    axum::extract::State(state): axum::extract::State<KeyState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use crate::error::request_id::{self, RequestId};
    use crate::keys::requests::RequestNote;
    use tracing::Instrument;
    let started = std::time::Instant::now();
    let id = RequestId::new();
    let theirs = header_text(request.headers(), "x-request-id", 100);
    let span = tracing::info_span!(
        "api",
        request_id = id.as_str(),
        client_request_id = theirs,
        method = %request.method(),
    );
    let note = RequestNote::default();
    request.extensions_mut().insert(note.clone());
    let method = request.method().clone();
    // The route's template: this layer runs after routing (axum applies a
    // router's layers to each route); none when no route matched.
    let route = route_template(request.extensions().get::<axum::extract::MatchedPath>());
    // Copied only if the request is logged, after the response.
    let target = request.uri().clone();
    let user_agent = request
        .headers()
        .get(axum::http::header::USER_AGENT)
        .cloned();
    let mut response = request_id::scope(id, next.run(request))
        .instrument(span)
        .await;
    if let Ok(value) = axum::http::HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(request_id::HEADER, value);
    }
    let status = response.status().as_u16();
    if crate::platform::metrics::on() {
        count_request(route, status, started.elapsed());
    }
    if let Some(who) = note.take() {
        use crate::keys::requests::recorder;
        use axum::body::HttpBody;
        let error_code = response
            .extensions()
            .get::<crate::error::ErrorCode>()
            .map(|code| code.0);
        let response_bytes = response
            .body()
            .size_hint()
            .exact()
            .and_then(|n| i64::try_from(n).ok());
        state.requests.push(recorder::NewLoggedRequest {
            request_id: id,
            organisation_id: who.organisation_id,
            key_id: who.key_id,
            key_prefix: who.key_prefix,
            occurred_at: who.at,
            method,
            route,
            texts: recorder::RequestTexts::new(
                target
                    .path_and_query()
                    .map_or(target.path(), |pq| pq.as_str()),
                user_agent
                    .as_ref()
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default(),
            ),
            status,
            error_code,
            client_ip: who.client_ip,
            latency_us: i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX),
            response_bytes,
        });
    }
    response
}

/// The API's request counter and latency histogram.
fn count_request(route: &str, status: u16, took: std::time::Duration) {
    use crate::platform::metrics::{API_LATENCY, API_REQUESTS};
    let outcome = crate::keys::usage::domain::Outcome::of_status(status).map_or(
        if status >= 500 {
            "server_error"
        } else {
            "other"
        },
        |o| o.key(),
    );
    let route = if route.is_empty() { "unmatched" } else { route };
    let class = match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
    metrics::counter!(API_REQUESTS, "route" => route.to_owned(), "status_class" => class, "outcome" => outcome)
        .increment(1);
    metrics::histogram!(API_LATENCY, "route" => route.to_owned()).record(took.as_secs_f64());
}

/// A header's text, at most `max` characters (empty if absent or not text).
fn header_text<'a>(headers: &'a axum::http::HeaderMap, name: &str, max: usize) -> &'a str {
    crate::platform::text::capped(
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
        max,
    )
}
