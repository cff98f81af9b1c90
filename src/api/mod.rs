//! The public REST API, beside the Leptos app on the same axum server.
//!
//! Routes and the OpenAPI document come from the same handler list
//! (utoipa-axum): a handler is served exactly when it is documented.

pub mod auth;
pub mod leads;
pub mod openapi;

use axum::extract::DefaultBodyLimit;
use axum::{middleware, Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::error::AppError;
use crate::server::AppState;

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

/// The answer to a method a route does not support. axum adds no `Allow`
/// header to routes of a nested router, so each route names its methods,
/// taken from what it documents.
fn not_allowed(
    allow: String,
) -> impl Fn() -> std::future::Ready<AppError> + Clone + Send + Sync + 'static {
    move || {
        std::future::ready(AppError::MethodNotAllowed {
            allow: allow.clone(),
        })
    }
}

/// Adds the 405 fallback to a route, with `Allow` listing the documented
/// methods (plus HEAD, which axum answers for every GET).
fn with_allow(
    (schemas, paths, method_router): UtoipaMethodRouter<AppState>,
) -> UtoipaMethodRouter<AppState> {
    let methods = openapi::documented_methods(&paths);
    let mut allow: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
    if allow.contains(&"GET") {
        allow.insert(1, "HEAD");
    }
    let method_router = method_router.fallback(not_allowed(allow.join(", ")));
    (schemas, paths, method_router)
}

/// The key-authenticated lead routes.
fn lead_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(with_allow(routes!(leads::list, leads::create)))
        .routes(with_allow(routes!(
            leads::get,
            leads::update,
            leads::delete
        )))
}

/// Routes anyone may read.
fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(with_allow(routes!(openapi_json)))
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

pub fn router(state: AppState) -> Router<AppState> {
    let api = lead_routes()
        .route_layer(middleware::from_fn_with_state(state, auth::require_key))
        .merge(public_routes());
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
}
