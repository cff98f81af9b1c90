//! The error catalogue: one entry per `AppError` code, with what it means and
//! what to do. The `/docs/errors` page, the overview table on `/docs` and
//! the problem-details `code` enum of the OpenAPI document are all built
//! from it, so none of them can drift from the errors the server gives.

use super::{AppError, FieldError};
use crate::error::Refusal;

/// What the docs say about one error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorDoc {
    pub code: &'static str,
    /// Whether the public REST API can answer with it (the others are
    /// dashboard-only).
    pub api: bool,
    /// When it happens.
    pub meaning: &'static str,
    /// What the caller can do about it.
    pub fix: &'static str,
}

const fn api(code: &'static str, meaning: &'static str, fix: &'static str) -> ErrorDoc {
    ErrorDoc {
        code,
        api: true,
        meaning,
        fix,
    }
}

const fn dashboard(code: &'static str, meaning: &'static str, fix: &'static str) -> ErrorDoc {
    ErrorDoc {
        code,
        api: false,
        meaning,
        fix,
    }
}

pub const CATALOGUE: &[ErrorDoc] = &[
    api(
        "bad_request",
        "The request could not be read: invalid JSON, an unknown field or query parameter, a key in the URL, or more than one Authorization header.",
        "Fix the request as `detail` says. Send keys only in the Authorization header.",
    ),
    api(
        "missing_credentials",
        "No API key was sent, or the Authorization header does not use the Bearer scheme.",
        "Send `Authorization: Bearer <key>`.",
    ),
    api(
        "malformed_key",
        "The token is not shaped like a key (`sk_`, 8 characters, `_`, then 32 characters), or its last 6 characters are not the checksum of the rest: a character was mistyped, lost or added. It was refused before any look-up.",
        "Copy the whole key again; it is shown only once, so create a new one if it is lost.",
    ),
    api(
        "invalid_key",
        "No key matches the token: it was deleted, mistyped, or its secret is wrong.",
        "Check the key prefix in `key_prefix` against the keys list on the Developer page.",
    ),
    api(
        "key_revoked",
        "The key has been revoked.",
        "Use another key, or ask your platform admin to re-activate this one.",
    ),
    api(
        "key_expired",
        "The key's expiry has passed. Expiry never changes once a key is created.",
        "Create a new key on the Developer page.",
    ),
    api(
        "insufficient_permission",
        "The key lacks the permission this operation needs; `WWW-Authenticate` names it in `scope`.",
        "Edit the key's permissions on the Developer page, or use a key that has it.",
    ),
    api(
        "feature_disabled",
        "The key's organisation does not have the Developer API feature flag.",
        "Ask your platform admin to enable it; it is not self-serve.",
    ),
    api(
        "ip_not_allowed",
        "The key has an IP allowlist and the request came from an address outside it; `detail` names the address the server saw.",
        "Send the request from an allowed address, or add this one to the key's IP allowlist on the Developer page. Behind a proxy, ask your platform admin about LEADLINE_TRUSTED_PROXIES.",
    ),
    api(
        "not_found",
        "No such lead in the key's organisation, or no such path.",
        "Check the id; leads of other organisations are never visible.",
    ),
    api(
        "method_not_allowed",
        "The path does not support this HTTP method.",
        "Use one of the methods in the `Allow` header.",
    ),
    api(
        "payload_too_large",
        "The request body is larger than 64 KiB.",
        "Send a smaller body; no field needs more.",
    ),
    api(
        "unsupported_media_type",
        "The request body is not declared as JSON.",
        "Send `Content-Type: application/json`.",
    ),
    api(
        "validation_failed",
        "Some values are invalid; `errors` lists each field with a message.",
        "Correct the fields named in `errors` and send the request again.",
    ),
    api(
        "conflict",
        "Two requests changed the same thing at once, or it already exists.",
        "Read the current state and try again.",
    ),
    api(
        "rate_limited",
        "Too many requests with this key, or too many failed authentications from this address.",
        "Wait for the seconds in `Retry-After`; `RateLimit-Remaining` shows what is left.",
    ),
    api(
        "internal_error",
        "Something went wrong on the server. Nothing was changed.",
        "Try again later; if it persists, tell your platform admin.",
    ),
    api(
        "service_unavailable",
        "The server cannot reach its database (stopped, restarting or unreachable). Nothing was changed. It is answered at once, not after a long wait, and service resumes by itself when the database is back.",
        "Wait for the seconds in `Retry-After`, then retry; a sync client should retry the same request.",
    ),
    dashboard(
        "sign_in_required",
        "The dashboard needs a signed-in session.",
        "Sign in.",
    ),
    dashboard(
        "wrong_credentials",
        "The email or password is incorrect.",
        "Check both, or ask your platform admin for a password-reset link.",
    ),
    dashboard(
        "forbidden",
        "Your membership lacks the permission this page or action needs.",
        "Ask an admin of your organisation.",
    ),
    dashboard(
        "too_many_attempts",
        "Too many attempts of a throttled action, such as signing in.",
        "Wait for the seconds the message names.",
    ),
    dashboard(
        "transport_error",
        "The browser could not reach the server.",
        "Check your connection and try again.",
    ),
    dashboard(
        "account_disabled",
        "The account has been disabled by a platform admin.",
        "Ask your platform admin.",
    ),
    dashboard(
        "reset_link_invalid",
        "The password-reset link was used, expired or never existed.",
        "Ask your platform admin for a new one.",
    ),
    dashboard(
        "invitation_invalid",
        "The invitation link was used, revoked, expired or never existed.",
        "Ask your organisation's admin for a new one.",
    ),
    dashboard(
        "invalid_code",
        "The second factor given at sign-in (or to confirm a change) is not a current code of the account's authenticator app, nor an unused recovery code. A code is accepted once.",
        "Enter the code the app shows now, or a recovery code; if the device is lost, a platform admin can reset two-factor sign-in.",
    ),
    dashboard(
        "confirmation_required",
        "Creating or rolling a key, inviting an admin and changing the key policy need a password or code given within the last 15 minutes.",
        "Enter your password, or a code from your authenticator app, in the form and send it again.",
    ),
];

/// The catalogue entry for a code.
pub fn entry(code: &str) -> Option<&'static ErrorDoc> {
    CATALOGUE.iter().find(|doc| doc.code == code)
}

/// One error of every kind, so that the docs can show each code's status
/// and a test can check that every code has an entry.
pub fn samples() -> Vec<AppError> {
    let prefix = || "sk_AbCd1234_xx".to_owned();
    let all = vec![
        AppError::SignInRequired,
        AppError::WrongCredentials,
        AppError::Forbidden(Refusal::PlatformAdmin),
        AppError::NotFound,
        AppError::Validation(vec![FieldError::new("name", "Name is required.")]),
        AppError::Conflict("That already exists.".into()),
        AppError::Throttled {
            retry_after_secs: 60,
        },
        AppError::Internal,
        AppError::Unavailable,
        AppError::Transport("offline".into()),
        AppError::AccountDisabled,
        AppError::ResetLinkInvalid,
        AppError::InvitationInvalid,
        AppError::InvalidCode,
        AppError::ConfirmationRequired,
        AppError::MissingCredentials,
        AppError::BadRequest("Invalid JSON body.".into()),
        AppError::MalformedKey {
            key_prefix: prefix(),
        },
        AppError::InvalidKey {
            key_prefix: prefix(),
        },
        AppError::KeyRevoked {
            key_prefix: prefix(),
        },
        AppError::KeyExpired {
            key_prefix: prefix(),
        },
        AppError::InsufficientPermission {
            key_prefix: prefix(),
            scope: "leads:read".into(),
        },
        AppError::FeatureDisabled {
            key_prefix: prefix(),
        },
        AppError::IpNotAllowed {
            key_prefix: prefix(),
            address: "203.0.113.9".into(),
        },
        AppError::RateLimited {
            key_prefix: Some(prefix()),
            retry_after_secs: 60,
            limit: 600,
        },
        AppError::PayloadTooLarge,
        AppError::UnsupportedMediaType,
        AppError::MethodNotAllowed {
            allow: "GET".into(),
        },
    ];
    // A new variant fails to compile here until it has a sample above.
    for error in &all {
        match error {
            AppError::SignInRequired
            | AppError::WrongCredentials
            | AppError::Forbidden(_)
            | AppError::NotFound
            | AppError::Validation(_)
            | AppError::Conflict(_)
            | AppError::Throttled { .. }
            | AppError::Internal
            | AppError::Unavailable
            | AppError::Transport(_)
            | AppError::AccountDisabled
            | AppError::ResetLinkInvalid
            | AppError::InvitationInvalid
            | AppError::InvalidCode
            | AppError::ConfirmationRequired
            | AppError::MissingCredentials
            | AppError::BadRequest(_)
            | AppError::MalformedKey { .. }
            | AppError::InvalidKey { .. }
            | AppError::KeyRevoked { .. }
            | AppError::KeyExpired { .. }
            | AppError::InsufficientPermission { .. }
            | AppError::FeatureDisabled { .. }
            | AppError::IpNotAllowed { .. }
            | AppError::RateLimited { .. }
            | AppError::PayloadTooLarge
            | AppError::UnsupportedMediaType
            | AppError::MethodNotAllowed { .. } => {}
        }
    }
    all
}

/// The codes the public REST API can answer with, in catalogue order.
pub fn api_codes() -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .filter(|doc| doc.api)
        .map(|doc| doc.code)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_has_exactly_one_entry_and_every_entry_a_code() {
        let codes: HashSet<&str> = samples().iter().map(AppError::code).collect();
        for code in &codes {
            assert!(entry(code).is_some(), "`{code}` has no catalogue entry");
        }
        let documented: Vec<&str> = CATALOGUE.iter().map(|doc| doc.code).collect();
        let unique: HashSet<&str> = documented.iter().copied().collect();
        assert_eq!(unique.len(), documented.len(), "a code is documented twice");
        assert_eq!(unique, codes, "an entry names a code no error has");
    }

    #[test]
    fn entries_are_written_out() {
        for doc in CATALOGUE {
            assert!(doc.meaning.ends_with('.'), "{}", doc.code);
            assert!(doc.fix.ends_with('.'), "{}", doc.code);
            assert!(
                doc.code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{} is a valid URL fragment",
                doc.code
            );
        }
    }
}
