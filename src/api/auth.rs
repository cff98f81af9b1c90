//! Bearer authentication for the public API (RFC 6750), as middleware: it
//! resolves the key once, puts the caller in the request, and adds the
//! RateLimit headers to whatever the handler answers.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::keys::data::{find_credential, Credential};
use crate::keys::domain::{ApiKey, KeyPrefix, Permission, Permissions};
use crate::server::throttle::client_key;
use crate::server::AppState;

/// The key a request was authenticated with: its credential as loaded (or
/// cached), shared rather than copied.
#[derive(Debug, Clone)]
pub struct Caller(Arc<Credential>);

impl std::ops::Deref for Caller {
    type Target = Credential;

    fn deref(&self) -> &Credential {
        &self.0
    }
}

impl Caller {
    pub fn permissions(&self) -> Permissions {
        Permissions {
            read: self.can_read,
            create: self.can_create,
            update: self.can_update,
            delete: self.can_delete,
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

fn client_address(state: &AppState, request: &Request) -> IpAddr {
    crate::server::client::client_ip(
        request.headers(),
        request.extensions(),
        &state.config.trusted_proxies,
    )
}

/// Checks a credential found by hash: revoked, expired, flag off.
fn check(credential: Arc<Credential>, now: i64) -> Result<Caller, AppError> {
    let key_prefix = || credential.prefix.clone();
    if credential.revoked_at.is_some() {
        return Err(AppError::KeyRevoked {
            key_prefix: key_prefix(),
        });
    }
    if credential.expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::KeyExpired {
            key_prefix: key_prefix(),
        });
    }
    if !credential.developer_api {
        return Err(AppError::FeatureDisabled {
            key_prefix: key_prefix(),
        });
    }
    Ok(Caller(credential))
}

/// Verifies a bearer token: one shape check (garbage costs no database
/// access), one SHA-256, and an indexed look-up by hash unless the key's
/// credential is cached and still current.
pub async fn verify(state: &AppState, token: &str, now: i64) -> Result<Caller, AppError> {
    let Ok(key) = ApiKey::parse(token) else {
        return Err(AppError::MalformedKey {
            key_prefix: KeyPrefix::echo_untrusted(token),
        });
    };
    let hash = key.hash();
    if let Some(credential) = state.credentials.get(hash.as_str()) {
        return check(credential, now);
    }
    // Read the epoch before the row, so a change committed meanwhile makes
    // this entry stale rather than letting it through.
    let epoch = state.credentials.epoch();
    match find_credential(&state.db, hash.as_str()).await? {
        // A known prefix with the wrong secret lands here too: same answer.
        None => Err(AppError::InvalidKey {
            key_prefix: key.prefix().to_string(),
        }),
        Some(credential) => {
            let credential = Arc::new(credential);
            state
                .credentials
                .put(hash.as_str(), epoch, Arc::clone(&credential));
            check(credential, now)
        }
    }
}

/// The request checks that need no I/O: no key in the URL, exactly one
/// well-formed Authorization header. Returns the token.
fn credentials(request: &Request) -> Result<String, AppError> {
    if key_in_query(request.uri().query()) {
        return Err(AppError::BadRequest(
            "API keys are not accepted in the URL. Send them as `Authorization: Bearer <key>`."
                .into(),
        ));
    }
    bearer_token(request.headers()).map(str::to_owned)
}

/// Verification of a key the cache does not hold: throttled per client,
/// then one database look-up.
async fn authenticate(state: &AppState, token: &str, address: IpAddr) -> Result<Caller, AppError> {
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
    let outcome = verify(state, token, now.timestamp_millis()).await;
    if outcome.is_err() {
        failures.hit(client.as_str(), now);
    }
    outcome
}

/// Verification from the credential cache alone: `None` when the key is not
/// cached (or not a key), so that the caller decides without I/O.
fn verify_cached(state: &AppState, token: &str, now: i64) -> Option<Result<Caller, AppError>> {
    let key = ApiKey::parse(token).ok()?;
    let credential = state.credentials.get(key.hash().as_str())?;
    Some(check(credential, now))
}

pub async fn require_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // Only owned values cross the await: the request body is not `Sync`.
    let checked = credentials(&request);
    let authenticated = match checked {
        Err(error) => Err(error),
        Ok(token) => match verify_cached(&state, &token, state.clock.now().timestamp_millis()) {
            // The hot path: a key verified before costs no I/O and no
            // throttle look-up (a blocked client keeps its cached keys too).
            Some(Ok(caller)) => Ok(caller),
            Some(Err(refused)) => {
                let address = client_address(&state, &request);
                let failures = &state.limits.api_auth_failures_per_client;
                failures.hit(client_key(address).as_str(), state.clock.now());
                Err(refused)
            }
            None => {
                let address = client_address(&state, &request);
                authenticate(&state, &token, address).await
            }
        },
    };
    let caller = match authenticated {
        Ok(caller) => caller,
        Err(error) => {
            if let Some(prefix) = error.key_prefix() {
                tracing::info!(
                    code = error.code(),
                    key_prefix = prefix,
                    "API authentication refused"
                );
            }
            return error.into_response();
        }
    };
    let now = state.clock.now();
    let limits = &state.limits.api_per_key;
    let verdict = match limits.hit(caller.id, now).await {
        Ok(verdict) => verdict,
        Err(error) => return AppError::from(error).into_response(),
    };
    if !verdict.allowed {
        return AppError::RateLimited {
            key_prefix: Some(caller.prefix.clone()),
            retry_after_secs: verdict.reset_secs,
            limit: limits.limit,
        }
        .into_response();
    }
    state.usage.record(caller.id, now.timestamp_millis());
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(limits.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(verdict.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(verdict.reset_secs));
    response
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
