//! Probes for load balancers and orchestrators: `/healthz` says the process
//! is up (restart it if not); `/readyz` says it can serve (send it traffic
//! only then): the database answers and, on PostgreSQL, the credential
//! listener listens, so a revocation made elsewhere reaches this instance.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::AppState;
use crate::platform::db::ACQUIRE_TIMEOUT;

/// The process is up. It touches nothing else.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers within the acquire timeout, and (PostgreSQL) the
/// listener listens: 200, else 503 with what is wrong.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = tokio::time::timeout(
        ACQUIRE_TIMEOUT,
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.db),
    )
    .await
    .is_ok_and(|answer| answer.is_ok());
    // SQLite has no listener: the cache is invalidated through shared memory.
    let listener = state.changes.notified().map(|epoch| epoch.is_listening());
    let ready = database && listener.unwrap_or(true);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "ready": ready,
        "database": if database { "ok" } else { "unavailable" },
        "listener": match listener {
            None => "none",
            Some(true) => "listening",
            Some(false) => "not listening",
        },
    });
    (status, Json(body)).into_response()
}
