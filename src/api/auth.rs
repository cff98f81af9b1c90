//! Bearer authentication for the public API (RFC 6750), as an extractor: a
//! handler that takes a [`Caller`] runs only for a verified, metered key, and
//! answers through [`Caller::answer`] so that every response, error or not,
//! carries the RateLimit headers. (An extractor rather than a middleware
//! layer: the layer's boxing and cloning cost a measurable share of a cached
//! read; see the README's Benchmarks.)

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};

use crate::error::AppError;
use crate::keys::domain::{Permission, EXPIRY_WARNING};
use crate::keys::requests::{Attribution, RequestNote};
use crate::keys::token::{ApiKey, KeyPrefix};
use crate::keys::usage::domain::NewRefusal;
use crate::keys::usage::domain::Outcome;
use crate::keys::verify::{verify, verify_cached, Credential};
use crate::keys::KeyState;
use crate::platform::throttle::client_key;

/// The path a refusal remembers, as the client sent it: no query string (it
/// could carry anything), at most 200 characters.
fn refusal_path(uri: &Uri) -> String {
    crate::platform::text::capped(uri.path(), 200).to_owned()
}

/// What the per-key rate limit said about a request, sent back as the
/// `RateLimit-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct Meter {
    limit: u32,
    remaining: u32,
    reset_secs: u64,
}

/// The response header that warns of a key's coming expiry.
pub const KEY_EXPIRES_HEADER: axum::http::HeaderName =
    axum::http::HeaderName::from_static("leadline-key-expires");

impl IntoResponseParts for Meter {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        crate::error::rate_limit::insert(
            res.headers_mut(),
            self.limit,
            self.remaining,
            self.reset_secs,
        );
        Ok(res)
    }
}

/// A handler's answer with the caller's RateLimit headers, success or not,
/// and on success the key's coming expiry, if it is within a week.
pub struct Metered<T> {
    meter: Meter,
    expires_soon: Option<i64>,
    result: Result<T, AppError>,
}

impl<T: IntoResponse> IntoResponse for Metered<T> {
    fn into_response(self) -> Response {
        let succeeded = self.result.is_ok();
        let mut response = (self.meter, self.result).into_response();
        if let Some(at) = self.expires_soon.filter(|_| succeeded) {
            let when = crate::platform::clock::from_millis(at)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            if let Ok(value) = HeaderValue::from_str(&when) {
                response.headers_mut().insert(KEY_EXPIRES_HEADER, value);
            }
        }
        response
    }
}

/// The key a request was authenticated with: its credential as loaded (or
/// cached), shared rather than copied, and what the rate limit said.
pub struct Caller {
    credential: Arc<Credential>,
    meter: Meter,
    /// The key's expiry (ms), when it falls within [`EXPIRY_WARNING`].
    expires_soon: Option<i64>,
    /// What a refusal remembers of the request.
    method: Method,
    uri: Uri,
    client: IpAddr,
    /// When the request arrived (ms).
    at: i64,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("key", &self.credential.prefix)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for Caller {
    type Target = Credential;

    fn deref(&self) -> &Credential {
        &self.credential
    }
}

impl Caller {
    /// The handler's answer, with this request's RateLimit headers; the
    /// key's use (last used, request count) and the outcome are counted in
    /// `state`'s usage. (Borrowed, not held: a clone per request would
    /// write reference counts that every core shares.)
    pub fn answer<T>(&self, state: &KeyState, result: Result<T, AppError>) -> Metered<T> {
        let usage = &state.usage;
        let status = result.as_ref().map_or_else(AppError::status_code, |_| 200);
        let (id, org, now) = (self.credential.id, self.credential.organisation_id, self.at);
        match (Outcome::of_status(status), &result) {
            (Some(Outcome::Refused), Err(error)) => {
                usage.record(id, now);
                usage.refused(NewRefusal {
                    key_id: id,
                    organisation_id: org,
                    occurred_at: now,
                    code: error.code(),
                    method: self.method.to_string(),
                    path: refusal_path(&self.uri),
                    client_ip: self.client.to_string(),
                });
            }
            (Some(outcome), _) => usage.answered(id, org, now, outcome),
            (None, _) => usage.record(id, now),
        }
        Metered {
            meter: self.meter,
            expires_soon: self.expires_soon,
            result,
        }
    }

    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.permissions().allows(permission) {
            Ok(())
        } else {
            Err(AppError::InsufficientPermission {
                key_prefix: self.prefix.clone(),
                scope: permission.scope().to_owned(),
            })
        }
    }
}

/// Query parameters that would put a credential in a URL (and so in logs).
const CREDENTIAL_PARAMS: [&str; 5] = ["access_token", "api_key", "apikey", "key", "token"];

fn key_in_query(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            CREDENTIAL_PARAMS.contains(&name.to_ascii_lowercase().as_str())
                || ApiKey::parse(value).is_ok()
        })
    })
}

/// Extracts the token of `Authorization: Bearer <token>`; the scheme is
/// case-insensitive.
fn bearer_token(headers: &HeaderMap) -> Result<&str, AppError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next().ok_or(AppError::MissingCredentials)?;
    if values.next().is_some() {
        return Err(AppError::BadRequest(
            "Send exactly one Authorization header.".into(),
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| AppError::BadRequest("The Authorization header is not valid text.".into()))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::MissingCredentials);
    }
    Ok(token.trim())
}

fn client_address(state: &KeyState, parts: &Parts) -> IpAddr {
    crate::platform::client::client_ip(
        &parts.headers,
        &parts.extensions,
        &state.config.trusted_proxies,
    )
}

/// The request checks that need no I/O: no key in the URL, exactly one
/// well-formed Authorization header. Returns the token.
fn credentials(parts: &Parts) -> Result<&str, AppError> {
    if key_in_query(parts.uri.query()) {
        return Err(AppError::BadRequest(
            "API keys are not accepted in the URL. Send them as `Authorization: Bearer <key>`."
                .into(),
        ));
    }
    bearer_token(&parts.headers)
}

/// Verification of a key the cache does not hold: throttled per client,
/// then one database look-up.
async fn authenticate(
    state: &KeyState,
    token: &str,
    address: IpAddr,
) -> Result<Arc<Credential>, AppError> {
    let now = state.clock.now();
    let failures = &state.limits.api_auth_failures_per_client;
    let client = client_key(address);
    // A blocked client costs no database read. (Keys it had verified before
    // were answered from the cache already, so one bad client behind a
    // shared address does not lock out the integrations that use it.)
    if let Some(retry_after_secs) = failures.is_blocked(client.as_str(), now) {
        return Err(AppError::RateLimited {
            key_prefix: Some(KeyPrefix::echo_untrusted(token)).filter(|p| !p.is_empty()),
            retry_after_secs,
            limit: failures.limit,
        });
    }
    let outcome = verify(state, token, now.timestamp_millis(), || address).await;
    if outcome.is_err() {
        failures.hit(client.as_str(), now);
    }
    outcome
}

/// The key's credential, from the cache when it holds it, else verified
/// under the failure throttle; refusals are logged by prefix, and counted
/// for the key when it is known.
async fn authenticated(
    state: &KeyState,
    parts: &Parts,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Arc<Credential>, AppError> {
    let token = credentials(parts)?;
    let address = || client_address(state, parts);
    let outcome = match verify_cached(state, token, now.timestamp_millis(), address) {
        // The hot path: a key verified before costs no I/O and no throttle
        // look-up (a blocked client keeps its cached keys too).
        Some(Ok(credential)) => Ok(credential),
        Some(Err(refused)) => {
            let failures = &state.limits.api_auth_failures_per_client;
            failures.hit(client_key(address()).as_str(), now);
            Err(refused)
        }
        None => authenticate(state, token, address()).await,
    };
    if let Err(error) = &outcome {
        if let Some(prefix) = error.key_prefix() {
            tracing::info!(
                code = error.code(),
                key_prefix = prefix,
                "API authentication refused"
            );
        }
        count_refusal(state, parts, token, error).await;
    }
    outcome
}

/// Names the request's key for the request log (`keys::requests`), with
/// the client's address and the time its caller has already worked out.
fn attribute(parts: &Parts, who: (i64, i64, &str), client: IpAddr, at: i64) {
    let (key_id, organisation_id, prefix) = who;
    if let Some(note) = parts.extensions.get::<RequestNote>() {
        note.attribute(Attribution {
            organisation_id,
            key_id,
            key_prefix: crate::keys::requests::recorder::logged_prefix(prefix),
            client_ip: client,
            at,
        });
    }
}

/// Counts a refused authentication against the key it names, when that key
/// exists: by its hash (revoked, expired, flag off, address refused), or by
/// its prefix (a wrong secret). Tokens that name no key are not counted.
async fn count_refusal(state: &KeyState, parts: &Parts, token: &str, error: &AppError) {
    let key = crate::keys::verify::key_refused(state, token, error).await;
    if let Some((key_id, organisation_id)) = key {
        let prefix = error
            .key_prefix()
            .map_or_else(|| KeyPrefix::echo_untrusted(token), str::to_owned);
        let (client, at) = (
            client_address(state, parts),
            state.clock.now().timestamp_millis(),
        );
        attribute(parts, (key_id, organisation_id, &prefix), client, at);
        state.usage.refused(NewRefusal {
            key_id,
            organisation_id,
            occurred_at: at,
            code: error.code(),
            method: parts.method.to_string(),
            path: refusal_path(&parts.uri),
            client_ip: client.to_string(),
        });
    }
}

impl FromRequestParts<KeyState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &KeyState) -> Result<Self, AppError> {
        // One reading of the clock for the whole request.
        let now = state.clock.now();
        let credential = authenticated(state, parts, now).await?;
        let limits = &state.limits.api_per_key;
        let verdict = limits.hit(credential.id, now).await?;
        let client = client_address(state, parts);
        attribute(
            parts,
            (
                credential.id,
                credential.organisation_id,
                &credential.prefix,
            ),
            client,
            now.timestamp_millis(),
        );
        if !verdict.allowed {
            metrics::counter!(crate::platform::metrics::RATE_LIMIT_DENIALS).increment(1);
            state.usage.count(
                credential.id,
                credential.organisation_id,
                now.timestamp_millis(),
                Outcome::RateLimited,
            );
            return Err(AppError::RateLimited {
                key_prefix: Some(credential.prefix.clone()),
                retry_after_secs: verdict.reset_secs,
                limit: limits.limit,
            });
        }
        let now = now.timestamp_millis();
        // The key's use is recorded with the outcome, in `answer`.
        let meter = Meter {
            limit: limits.limit,
            remaining: verdict.remaining,
            reset_secs: verdict.reset_secs,
        };
        let expires_soon = credential
            .expires_at
            .filter(|at| at - now <= EXPIRY_WARNING.num_milliseconds());
        let caller = Caller {
            credential,
            meter,
            expires_soon,
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            client,
            at: now,
        };
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_query_string_are_spotted() {
        assert!(key_in_query(Some("access_token=abc")));
        assert!(key_in_query(Some("limit=5&API_KEY=abc")));
        assert!(key_in_query(Some(
            "q=sk_AbCd1234_AbCdEfGhIjKlMnOpQrStUvWxYz012345"
        )));
        assert!(
            !key_in_query(Some("q=sk_ab")),
            "text that merely starts like a key is a search"
        );
        assert!(!key_in_query(Some("limit=5&q=acme")));
        assert!(!key_in_query(None));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bEaReR  abc "),
        );
        assert_eq!(bearer_token(&h).unwrap(), "abc");
    }

    #[test]
    fn other_schemes_and_duplicates_are_refused() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_token(&h), Err(AppError::MissingCredentials));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&h), Err(AppError::MissingCredentials));
        h.append(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert!(matches!(bearer_token(&h), Err(AppError::BadRequest(_))));
    }
}
