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
/// GET), for the `Allow` header of its 405. axum adds none to routes of a
/// nested router.
fn allowed(paths: &utoipa::openapi::path::Paths) -> String {
    let methods = openapi::documented_methods(paths);
    let mut allow: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
    if allow.contains(&"GET") {
        allow.insert(1, "HEAD");
    }
    allow.join(", ")
}

/// Adds the 405 fallback to a public route.
fn with_allow(
    (schemas, paths, method_router): UtoipaMethodRouter<KeyState>,
) -> UtoipaMethodRouter<KeyState> {
    let allow = allowed(&paths);
    let method_router = method_router.fallback(move || {
        std::future::ready(AppError::MethodNotAllowed {
            allow: allow.clone(),
        })
    });
    (schemas, paths, method_router)
}

/// Adds the 405 fallback to a key-authenticated route: the key is checked
/// (and metered) first, as for the methods the route has.
fn with_allow_for_keys(
    (schemas, paths, method_router): UtoipaMethodRouter<KeyState>,
) -> UtoipaMethodRouter<KeyState> {
    let allow = allowed(&paths);
    let method_router = method_router.fallback(move |caller: auth::Caller| {
        let refusal = AppError::MethodNotAllowed {
            allow: allow.clone(),
        };
        std::future::ready(caller.answer::<()>(Err(refusal)))
    });
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
    let api = lead_routes().merge(public_routes());
    let (_, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(BASE_PATH, api)
        .split_for_parts();
    doc
}

async fn not_found() -> AppError {
    AppError::NotFound
}

pub fn router() -> Router<KeyState> {
    let api = lead_routes().merge(public_routes());
    let (api, _) = OpenApiRouter::new()
        .nest(BASE_PATH, api.fallback(not_found))
        .split_for_parts();
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
        .layer(axum::middleware::from_fn(with_request_id))
}

/// Gives every API request its id (see `error::request_id`): in the
/// response's `Request-Id`, in problem bodies, and as a field of every log
/// line of the request. A client's `X-Request-Id` is logged beside it, never
/// used as it.
async fn with_request_id(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use crate::error::request_id::{self, RequestId};
    use tracing::Instrument;
    let id = RequestId::new();
    let theirs: String = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect();
    let span = tracing::info_span!(
        "api",
        request_id = id.as_str(),
        client_request_id = theirs.as_str(),
        method = %request.method(),
    );
    let mut response = request_id::scope(id.clone(), next.run(request))
        .instrument(span)
        .await;
    if let Ok(value) = axum::http::HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(request_id::HEADER, value);
    }
    response
}
