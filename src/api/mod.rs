//! The public REST API, beside the Leptos app on the same axum server.

pub mod auth;
pub mod leads;

use axum::extract::DefaultBodyLimit;
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

/// The answer to a method a route does not support. Each route names its own
/// methods: axum adds no `Allow` header to routes of a nested router.
fn not_allowed(
    allow: &'static str,
) -> impl Fn() -> std::future::Ready<AppError> + Clone + Send + Sync + 'static {
    move || {
        std::future::ready(AppError::MethodNotAllowed {
            allow: allow.to_owned(),
        })
    }
}

async fn not_found() -> AppError {
    AppError::NotFound
}

pub fn router(state: AppState) -> Router<AppState> {
    let leads = Router::new()
        .route(
            "/leads",
            get(leads::list)
                .post(leads::create)
                .fallback(not_allowed("GET, POST")),
        )
        .route(
            "/leads/{id}",
            get(leads::get)
                .patch(leads::update)
                .delete(leads::delete)
                .fallback(not_allowed("GET, PATCH, DELETE")),
        )
        .route_layer(middleware::from_fn_with_state(state, auth::require_key));
    let api = Router::new().merge(leads);
    // An unauthenticated read for the load script to compare against. Only
    // in a build with the `bench-routes` feature, which no release enables,
    // and even then only with LEADLINE_BENCH_ROUTES=true.
    #[cfg(feature = "bench-routes")]
    let api = if std::env::var("LEADLINE_BENCH_ROUTES").is_ok_and(|v| v == "true") {
        api.route(
            "/_bench/orgs/{org}/leads/{id}",
            get(leads::get_unauthenticated),
        )
    } else {
        api
    };
    api.route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}
