//! The public REST API, beside the Leptos app on the same axum server.

pub mod auth;
pub mod leads;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;

use crate::error::AppError;
use crate::server::AppState;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "Leadline public API", version = "1.0.0",
         description = "Read and change your organisation's leads. Authenticate with an API key from Dashboard → Developer, sent as `Authorization: Bearer sk_...`."),
    paths(leads::list, leads::create, leads::get, leads::update, leads::delete),
    components(schemas(crate::leads::domain::Lead, crate::leads::domain::LeadDraft,
                       crate::leads::domain::LeadPatch, crate::leads::domain::LeadStatus, leads::LeadList)),
    modifiers(&BearerScheme),
    tags((name = "Leads", description = "The organisation's leads"))
)]
pub struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Turns axum's bare 405 into problem details with an `Allow` header.
async fn problem_for_405(request: axum::extract::Request, next: middleware::Next) -> Response {
    let is_collection = request
        .uri()
        .path()
        .trim_end_matches('/')
        .ends_with("/leads");
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = match response
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
    {
        Some(allow) if !allow.is_empty() => allow.to_owned(),
        _ if is_collection => "GET, POST".to_owned(),
        _ => "GET, PATCH, DELETE".to_owned(),
    };
    AppError::MethodNotAllowed { allow }.into_response()
}

async fn not_found() -> AppError {
    AppError::NotFound
}

pub fn router(state: AppState) -> Router<AppState> {
    let leads = Router::new()
        .route("/leads", get(leads::list).post(leads::create))
        .route(
            "/leads/{id}",
            get(leads::get).patch(leads::update).delete(leads::delete),
        )
        .route_layer(middleware::from_fn_with_state(state, auth::require_key));
    Router::new()
        .merge(leads)
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .layer(middleware::from_fn(problem_for_405))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}
