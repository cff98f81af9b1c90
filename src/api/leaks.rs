//! `POST /api/v1/leaked-keys`: anyone who finds a key where it should not be
//! (a public repository, a paste, a log) can have it revoked. Holding the
//! key is proof enough, so no authentication; the answer never says which
//! tokens matched.

use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::leads::Body;
use crate::error::AppError;
use crate::keys::service::{self, LEAK_REPORT_MAX};
use crate::keys::KeyState;
use crate::platform::throttle::client_key;

/// Tokens found somewhere they should not be.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "keys": ["sk_AbCd1234_0123456789abcdefghijklmnopqr"] }))]
pub struct LeakReport {
    /// 1 to 100 tokens. Anything that is not a working Leadline key is ignored.
    #[schema(min_items = 1, max_items = 100)]
    pub keys: Vec<String>,
}

/// The same answer whatever was reported.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeakReportReceived {
    /// Always "received".
    #[schema(example = "received")]
    pub status: String,
}

/// Report leaked keys. Every working key among them is revoked at once
/// (audited as "reported as leaked") and its organisation's Developer page
/// says so. The answer is the same whether or not anything matched.
#[utoipa::path(post, path = "/leaked-keys", operation_id = "report-leaked-keys", tag = "Leaked keys",
    request_body = LeakReport,
    responses((status = 202, description = "Received; any working key among them is revoked", body = LeakReportReceived)),
    security(()))]
pub async fn report(
    State(state): State<KeyState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Body<LeakReport>,
) -> Result<(StatusCode, Json<LeakReportReceived>), AppError> {
    let address =
        crate::platform::client::client_ip(&headers, &extensions, &state.config.trusted_proxies);
    let limit = &state.limits.leak_reports_per_client;
    let verdict = limit.hit(client_key(address).as_str(), state.clock.now());
    if !verdict.allowed {
        return Err(AppError::RateLimited {
            key_prefix: None,
            retry_after_secs: verdict.reset_secs,
            limit: limit.limit,
        });
    }
    let keys = body.0.keys;
    if keys.is_empty() || keys.len() > LEAK_REPORT_MAX {
        return Err(AppError::validation(
            "keys",
            format!(
                "Send 1 to {LEAK_REPORT_MAX} keys (there are {}).",
                keys.len()
            ),
        ));
    }
    service::report_leaked(&state, &keys).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(LeakReportReceived {
            status: "received".into(),
        }),
    ))
}
