//! Builds the axum app (Leptos pages, server functions, REST API) and serves it.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use super::{AppState, BoxError};
use crate::app::shell::{shell, App};
use crate::error::AppError;
use crate::platform::config::Config;
use crate::platform::{db, Clock};
use crate::web::assets;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// Server functions do no CSRF check by design: refuse state-changing
/// requests that a browser marks as cross-site.
async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let is_api = request.uri().path().starts_with("/api/v1/");
    if !safe && !is_api {
        let headers = request.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let cross_site = matches!(fetch_site, Some("cross-site"));
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        // An opaque ("null") origin or one naming another host is cross-site.
        let origin_mismatch = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            None => false,
            Some(origin) => origin.split_once("://").map(|(_, h)| h) != host || origin == "null",
        };
        if cross_site || origin_mismatch {
            return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
        }
    }
    next.run(request).await
}

/// server_fn answers every error with 500. Give each error the status it
/// means (401, 403, 404, 422...), so logs and clients can tell a user's
/// mistake from a fault. The browser treats any 4xx/5xx as an error, as before.
async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    // A plain HTML form post is answered with a redirect that carries the
    // error in its URL; it must stay a redirect for the browser to follow it.
    let is_redirect = response.headers().contains_key(header::LOCATION);
    if is_redirect || !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status_code()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The app's routes, generated once per process. Generating them renders the
/// app with resource loading suppressed through a process-wide flag, and a
/// resource first polled meanwhile (a page rendered at that moment by another
/// router in the same process, as in the tests) would never resolve
/// (leptos-rs/leptos#4773). Once generated, the window never opens again.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn app(state: AppState) -> Router {
    let routes = route_list();
    let options = state.leptos_options.clone();
    let assets = assets::router(&state.leptos_options);
    // Pages and server functions: no form or call needs more than 64 KiB.
    let dashboard = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || state.provide_parts()
            },
            move || shell(options.clone()),
        )
        .layer(middleware::from_fn_with_state(
            state.platform().clone(),
            crate::web::forms::form_flow,
        ))
        .layer(RequestBodyLimitLayer::new(
            crate::web::forms::SERVER_FN_BODY_LIMIT,
        ));
    Router::new()
        .merge(crate::api::router(&state.keys).with_state(state.keys.clone()))
        .route(
            "/audit/export",
            axum::routing::get(crate::audit::export::download),
        )
        .route(
            "/developer/requests/export",
            axum::routing::get(crate::keys::requests::export::download),
        )
        .route("/healthz", axum::routing::get(super::health::healthz))
        .route("/readyz", axum::routing::get(super::health::readyz))
        .merge(dashboard)
        .layer(middleware::from_fn(assets::never_store_by_default))
        .merge(assets)
        .fallback(not_found)
        .layer(middleware::from_fn(server_fn_error_status))
        .layer(middleware::map_response_with_state(
            state.clone(),
            absolute_problem_types,
        ))
        .layer(middleware::from_fn(refuse_cross_site))
        .layer(middleware::from_fn_with_state(
            state.platform().clone(),
            crate::web::headers::security_headers,
        ))
        // Precompressed files keep their own encoding; this compresses the
        // rest (pages, server functions, the API) for clients that ask.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(
            // Log the path only: a query string could carry a credential.
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                tracing::info_span!("request", method = %request.method(), path = %loggable_path(request.uri().path()))
            }),
        )
        .with_state(state)
}

/// Problem `type` links are written relative (`/docs/errors#<code>`); with
/// LEADLINE_PUBLIC_URL set they are made absolute here, where the
/// configuration is at hand. Only error responses pay for it.
async fn absolute_problem_types(State(state): State<AppState>, response: Response) -> Response {
    let Some(base) = state.config.public_url.as_deref() else {
        return response;
    };
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t == "application/problem+json");
    if !is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let Ok(mut problem) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    if let Some(relative) = problem["type"].as_str().filter(|t| t.starts_with('/')) {
        problem["type"] = format!("{base}{relative}").into();
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(problem.to_string()))
}

/// The path as logs may show it: invitation and reset links carry secrets.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/invite/") {
        "/invite/…"
    } else if path.starts_with("/reset-password/") {
        "/reset-password/…"
    } else {
        path
    }
}

/// Any path nothing else answers: the dashboard's "Page not found" (problem
/// details under `/api`), never stored by a cache.
async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    // API clients get problem details, whatever the version in the path.
    if request.uri().path().starts_with("/api/") || request.uri().path() == "/api" {
        return crate::error::AppError::NotFound.into_response();
    }
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(state.clone());
            state.provide_parts();
        },
        move || shell(options.clone()),
    );
    let mut response = handler(request).await.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static(assets::NEVER_STORE),
    );
    response
}

/// Reads the Leptos settings from the environment (`LEPTOS_*`).
pub fn leptos_options() -> Result<LeptosOptions, BoxError> {
    let mut options = get_configuration(None)
        .map_err(|e| format!("Leptos configuration: {e}"))?
        .leptos_options;
    assets::detect_hashed_files(&mut options);
    Ok(options)
}

/// Opens and migrates the database and builds the state.
pub async fn prepare(config: Config, clock: Clock) -> Result<AppState, BoxError> {
    prepare_with(config, clock, leptos_options()?).await
}

/// `prepare` with the Leptos settings given, for tests of a particular site.
pub async fn prepare_with(
    config: Config,
    clock: Clock,
    options: LeptosOptions,
) -> Result<AppState, BoxError> {
    if config.metrics_addr.is_some() {
        crate::platform::metrics::handle();
    }
    let db = db::connect(&config.database_url).await?;
    db::migrate(&db).await?;
    let filled = crate::leads::service::fill_email_keys(&db).await?;
    if filled > 0 {
        tracing::info!(
            filled,
            "filled the e-mail search keys of leads written before them"
        );
    }
    let url = config.database_url.clone();
    let legacy_keys = crate::keys::data::legacy_prefixes(&db)
        .await?
        .into_iter()
        .collect();
    let state = AppState::new(options, db, clock, config, legacy_keys);
    if let Some(epoch) = state.changes.notified() {
        crate::platform::changes::listen_for_credential_changes(
            url,
            state.db.clone(),
            epoch,
            state.config.listener_heartbeat,
        );
    }
    Ok(state)
}

pub async fn serve(state: AppState) -> Result<(), BoxError> {
    let addr: SocketAddr = state.leptos_options.site_addr;
    super::seed::seed_demo_if_empty(&state).await?;
    let proxied = !state.config.trusted_proxies.is_empty();
    if (!addr.ip().is_loopback() || proxied) && !state.config.secure_cookies {
        tracing::warn!(
            "listening on {addr} (behind a proxy: {proxied}) with LEADLINE_SECURE_COOKIES=false: \
             session cookies would travel without TLS; serve behind HTTPS and leave secure cookies on"
        );
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("Leadline listening on http://{addr}");
    if let Some(metrics_addr) = state.config.metrics_addr {
        let db = state.db.clone();
        // Bound before the site answers, so that a wrong address fails the
        // start rather than leaving the metrics silently absent.
        let metrics_listener = tokio::net::TcpListener::bind(metrics_addr).await?;
        tokio::spawn(async move {
            if let Err(error) = crate::platform::metrics::serve(metrics_listener, db).await {
                tracing::error!(%error, "the metrics endpoint stopped");
            }
        });
    }

    let ticker = state.clone();
    let every = state.config.usage_flush;
    let log_every = state.config.request_log_flush();
    let (stop, mut stopping) = tokio::sync::watch::channel(false);
    let flusher = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        let mut log_tick = tokio::time::interval(log_every);
        let mut last_usage_prune: Option<i64> = None;
        loop {
            tokio::select! {
                _ = log_tick.tick() => {
                    let requests = ticker.keys.requests.flush().await.map(|_| ());
                    flushed("requests", requests, ticker.keys.requests.waiting());
                }
                _ = tick.tick() => {
                    let usage = ticker.usage.flush().await.map(|_| ());
                    flushed("usage", usage, ticker.usage.waiting());
                    if let Err(error) = ticker.limits.api_per_key.prune(ticker.clock.now()).await {
                        tracing::warn!(%error, "could not prune rate-limit windows; will retry");
                    }
                    if let Err(error) = crate::web::flash::prune(&ticker.db, ticker.clock.now()).await {
                        tracing::warn!(%error, "could not prune flashes; will retry");
                    }
                    // Usage older than 90 days goes, checked hourly.
                    let now = ticker.clock.now().timestamp_millis();
                    if last_usage_prune.is_none_or(|at| now - at >= crate::keys::usage::domain::HOUR_MS) {
                        let keep = i64::from(ticker.config.security_log_days) * 24 * crate::keys::usage::domain::HOUR_MS;
                        if let Err(error) = crate::auth::data::prune_security_events(&ticker.db, now - keep).await {
                            tracing::warn!(%error, "could not prune the security log; will retry");
                        }
                        if let Err(error) = crate::keys::requests::service::prune(&ticker.keys).await {
                            tracing::warn!(%error, "could not prune the request log; will retry");
                        }
                        let tombstones = crate::leads::data::prune_tombstones(&ticker.db, now).await;
                        if let Err(error) = tombstones {
                            tracing::warn!(%error, "could not prune deleted-lead tombstones; will retry");
                        }
                        match crate::keys::usage::service::prune(&ticker).await {
                            Ok(_) => last_usage_prune = Some(now),
                            Err(error) => tracing::warn!(%error, "could not prune key usage; will retry"),
                        }
                    }
                }
                _ = stopping.changed() => break,
            }
        }
    });

    let scheduler = super::scheduler::spawn(state.clone(), stop.subscribe());

    let router = app(state.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    // Stop the ticker between flushes (a flush under way completes), then
    // write what was counted since.
    let _ = stop.send(true);
    let _ = flusher.await;
    let _ = scheduler.await;
    // Usage recorded since the last tick is written before we exit.
    state.usage.flush().await?;
    state.keys.requests.flush().await?;
    state.db.close().await;
    tracing::info!("Leadline stopped");
    Ok(())
}

/// Logs and counts a flush of the usage counts or the request log.
fn flushed(log: &'static str, result: Result<(), sqlx::Error>, waiting: usize) {
    use crate::platform::metrics::{FLUSH_FAILURES, FLUSH_LAST_SUCCESS, FLUSH_WAITING};
    match result {
        Ok(()) => metrics::gauge!(FLUSH_LAST_SUCCESS, "log" => log)
            .set(chrono::Utc::now().timestamp_millis() as f64 / 1000.0),
        Err(error) => {
            tracing::warn!(%error, log, "could not write usage or the request log; will retry");
            metrics::counter!(FLUSH_FAILURES, "log" => log).increment(1);
        }
    }
    metrics::gauge!(FLUSH_WAITING, "log" => log).set(waiting as f64);
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
