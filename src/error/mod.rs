//! The one error type, shared by server functions (serialised to the browser)
//! and the REST API (rendered as RFC 9457 problem details).

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod catalogue;
#[cfg(feature = "ssr")]
pub mod rate_limit;
mod refusal;
#[cfg(feature = "ssr")]
pub mod request_id;

/// The catalogue code of an error response, in its extensions: what the
/// API's request log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub &'static str);

pub use refusal::{DeveloperAccess, Refusal};

/// A message about one form or JSON field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Looks up the message for `field` in a list of field errors.
pub fn field_message(errors: &[FieldError], field: &str) -> Option<String> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.clone())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    // Dashboard and shared.
    #[error("Please sign in to continue.")]
    SignInRequired,
    #[error("The email or password is incorrect.")]
    WrongCredentials,
    #[error("{0}")]
    Forbidden(Refusal),
    #[error("Not found.")]
    NotFound,
    #[error("Please correct the highlighted fields.")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    Throttled { retry_after_secs: u64 },
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    #[error("Leadline cannot reach its database right now. Nothing was changed; try again in a few seconds.")]
    Unavailable,
    #[error("Could not reach the server: {0}")]
    Transport(String),
    #[error("This account has been disabled. Ask your platform admin.")]
    AccountDisabled,
    #[error("This password-reset link is not valid: it may have been used or have expired. Ask your platform admin for a new one.")]
    ResetLinkInvalid,
    #[error("This invitation link is not valid: it may have been used, revoked or have expired. Ask your organisation's admin for a new one.")]
    InvitationInvalid,
    #[error("That code is not valid. Enter the 6-digit code your authenticator app shows now, or one of your recovery codes.")]
    InvalidCode,
    #[error("Confirm it's you: enter your password, or a code from your authenticator app, to continue.")]
    ConfirmationRequired,

    // Public REST API.
    #[error("No API key was sent. Send it as `Authorization: Bearer <key>`.")]
    MissingCredentials,
    #[error("{0}")]
    BadRequest(String),
    #[error("The API key {key_prefix}… is not a valid key: it must be sk_xxxxxxxx_ followed by 32 characters, the last 6 a checksum of the rest. Copy the whole key again.")]
    MalformedKey { key_prefix: String },
    #[error("The API key {key_prefix}… is not valid.")]
    InvalidKey { key_prefix: String },
    #[error("The API key {key_prefix}… has been revoked.")]
    KeyRevoked { key_prefix: String },
    #[error("The API key {key_prefix}… has expired.")]
    KeyExpired { key_prefix: String },
    #[error("The API key {key_prefix}… lacks the {scope} permission.")]
    InsufficientPermission { key_prefix: String, scope: String },
    #[error("The API key {key_prefix}… belongs to an organisation without the Developer API feature flag. Your platform admin can enable it.")]
    FeatureDisabled { key_prefix: String },
    #[error("The API key {key_prefix}… may not be used from {address}: the address is not in the key's IP allowlist.")]
    IpNotAllowed { key_prefix: String, address: String },
    #[error("Rate limit exceeded. Retry in {retry_after_secs} seconds.")]
    RateLimited {
        key_prefix: Option<String>,
        retry_after_secs: u64,
        limit: u32,
    },
    #[error("The request body is larger than 64 KiB.")]
    PayloadTooLarge,
    #[error("Send the body as JSON with `Content-Type: application/json`.")]
    UnsupportedMediaType,
    #[error("This method is not allowed here. Allowed: {allow}.")]
    MethodNotAllowed { allow: String },
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The field errors, if this is a validation error.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Validation(errors) => errors,
            _ => &[],
        }
    }

    pub fn status_code(&self) -> u16 {
        match self {
            Self::SignInRequired | Self::WrongCredentials | Self::InvalidCode => 401,
            Self::ConfirmationRequired => 403,
            Self::MissingCredentials
            | Self::MalformedKey { .. }
            | Self::InvalidKey { .. }
            | Self::KeyRevoked { .. }
            | Self::KeyExpired { .. } => 401,
            Self::Forbidden(_)
            | Self::InsufficientPermission { .. }
            | Self::FeatureDisabled { .. }
            | Self::IpNotAllowed { .. } => 403,
            Self::NotFound | Self::InvitationInvalid | Self::ResetLinkInvalid => 404,
            Self::AccountDisabled => 403,
            Self::MethodNotAllowed { .. } => 405,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Validation(_) => 422,
            Self::Throttled { .. } | Self::RateLimited { .. } => 429,
            Self::BadRequest(_) => 400,
            Self::Internal => 500,
            Self::Unavailable => 503,
            Self::Transport(_) => 502,
        }
    }

    /// Stable machine-readable code, documented for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SignInRequired => "sign_in_required",
            Self::WrongCredentials => "wrong_credentials",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not_found",
            Self::InvitationInvalid => "invitation_invalid",
            Self::ResetLinkInvalid => "reset_link_invalid",
            Self::InvalidCode => "invalid_code",
            Self::ConfirmationRequired => "confirmation_required",
            Self::AccountDisabled => "account_disabled",
            Self::Validation(_) => "validation_failed",
            Self::Conflict(_) => "conflict",
            Self::Throttled { .. } => "too_many_attempts",
            Self::Internal => "internal_error",
            Self::Unavailable => "service_unavailable",
            Self::Transport(_) => "transport_error",
            Self::MissingCredentials => "missing_credentials",
            Self::BadRequest(_) => "bad_request",
            Self::MalformedKey { .. } => "malformed_key",
            Self::InvalidKey { .. } => "invalid_key",
            Self::KeyRevoked { .. } => "key_revoked",
            Self::KeyExpired { .. } => "key_expired",
            Self::InsufficientPermission { .. } => "insufficient_permission",
            Self::FeatureDisabled { .. } => "feature_disabled",
            Self::IpNotAllowed { .. } => "ip_not_allowed",
            Self::RateLimited { .. } => "rate_limited",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
        }
    }

    /// The key prefix this error is about, if any (never more than 14 characters).
    pub fn key_prefix(&self) -> Option<&str> {
        match self {
            Self::MalformedKey { key_prefix }
            | Self::InvalidKey { key_prefix }
            | Self::KeyRevoked { key_prefix }
            | Self::KeyExpired { key_prefix }
            | Self::InsufficientPermission { key_prefix, .. }
            | Self::FeatureDisabled { key_prefix }
            | Self::IpNotAllowed { key_prefix, .. } => Some(key_prefix.as_str()),
            Self::RateLimited { key_prefix, .. } => key_prefix.as_deref(),
            _ => None,
        }
        .filter(|prefix| !prefix.is_empty())
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        // Two requests creating the same thing at once: the loser is told it
        // exists, not that the server failed.
        if let sqlx::Error::Database(db) = &error {
            if db.is_unique_violation() {
                tracing::info!(%error, "unique constraint");
                return Self::Conflict("That already exists. Refresh and try again.".into());
            }
            // Text with a NUL character, which PostgreSQL cannot hold. Each
            // field refuses control characters before this; this is the
            // floor for any text that reaches a query unparsed.
            if db.code().as_deref() == Some("22021") {
                tracing::info!(%error, "text with a NUL character");
                return Self::BadRequest("Text cannot contain the NUL character (U+0000).".into());
            }
        }
        // The database is away (stopped, restarting, unreachable): the
        // caller is told so at once and may retry; it is not a fault here.
        let away = match &error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
            // PostgreSQL shutting down or starting up (SQLSTATE class 57P).
            sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("57P")),
            _ => false,
        };
        if away {
            tracing::warn!(%error, "database unavailable");
            return Self::Unavailable;
        }
        tracing::error!(%error, "database error");
        Self::Internal
    }
}

/// How long a client is asked to wait while the database is away.
#[cfg(feature = "ssr")]
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// The problem `type` of a code: this server's own docs page for it, as a
/// reference relative to the server (RFC 9457 section 3.1.1 allows that);
/// made absolute on the way out when a public URL is configured
/// (`server::startup::absolute_problem_types`).
#[cfg(feature = "ssr")]
pub fn problem_type(code: &str) -> String {
    format!("/docs/errors#{code}")
}

#[cfg(feature = "ssr")]
mod response {
    use super::{problem_type, AppError};
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::{IntoResponse, Response};

    const REALM: &str = "leadline";

    fn invalid_token(description: &str) -> String {
        format!("Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{description}\"")
    }

    impl AppError {
        /// RFC 6750 section 3: what the WWW-Authenticate header says, if any.
        fn www_authenticate(&self) -> Option<String> {
            match self {
                Self::MissingCredentials => Some(format!("Bearer realm=\"{REALM}\"")),
                // RFC 6750 allows only plain ASCII here, so a fixed text
                // rather than the detail (which echoes the prefix).
                Self::MalformedKey { .. } => {
                    Some(invalid_token("The key is not in the expected format"))
                }
                Self::InvalidKey { .. } => Some(invalid_token("The key is not valid")),
                Self::KeyRevoked { .. } => Some(invalid_token("The key has been revoked")),
                Self::KeyExpired { .. } => Some(invalid_token("The key has expired")),
                Self::BadRequest(_) => Some(format!(
                    "Bearer realm=\"{REALM}\", error=\"invalid_request\""
                )),
                Self::InsufficientPermission { scope, .. } => Some(format!(
                    "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""
                )),
                _ => None,
            }
        }
    }

    /// RFC 9457 problem details, plus our `code` and `key_prefix`.
    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = StatusCode::from_u16(self.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut body = serde_json::json!({
                "type": problem_type(self.code()),
                "title": status.canonical_reason().unwrap_or("Error"),
                "status": status.as_u16(),
                "detail": self.to_string(),
                "code": self.code(),
            });
            if let Some(prefix) = self.key_prefix() {
                body["key_prefix"] = prefix.into();
            }
            if let Self::Validation(errors) = &self {
                body["errors"] = serde_json::to_value(errors).unwrap_or_default();
            }
            if let Some(id) = super::request_id::current() {
                body["request_id"] = id.as_str().into();
            }
            let mut response = (status, body.to_string()).into_response();
            response
                .extensions_mut()
                .insert(super::ErrorCode(self.code()));
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            );
            if let Some(value) = self.www_authenticate() {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            match &self {
                Self::Throttled { retry_after_secs }
                | Self::RateLimited {
                    retry_after_secs, ..
                } => {
                    headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
                }
                Self::Unavailable => {
                    headers.insert(
                        header::RETRY_AFTER,
                        HeaderValue::from(super::UNAVAILABLE_RETRY_SECS),
                    );
                }
                Self::MethodNotAllowed { allow } => {
                    if let Ok(value) = HeaderValue::from_str(allow) {
                        headers.insert(header::ALLOW, value);
                    }
                }
                _ => {}
            }
            if let Self::RateLimited {
                limit,
                retry_after_secs,
                ..
            } = &self
            {
                super::rate_limit::insert(headers, *limit, 0, *retry_after_secs);
            }
            response
        }
    }
}
