//! The session cookie: its name, reading it from a request and writing it.
//! Signing in and out (auth) write it; the flash (here) is sealed under it.

use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

use crate::platform::config::Config;

const NAME: &str = "leadline_session";
/// `__Host-`: the browser keeps it only if it is Secure, host-only and for
/// `Path=/`, so a sibling subdomain cannot plant one.
const SECURE_NAME: &str = "__Host-leadline_session";

fn name(config: &Config) -> &'static str {
    if config.secure_cookies {
        SECURE_NAME
    } else {
        NAME
    }
}

/// This browser's session token, from its cookie alone (whether it names a
/// live session is for the caller to find out).
pub fn session_token(config: &Config, headers: &HeaderMap) -> Option<String> {
    let name = name(config);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The `Set-Cookie` value that stores `token` for `max_age_secs` (0: clears
/// it): HttpOnly, SameSite=Lax, Secure unless plain http on loopback.
pub fn set_session(config: &Config, token: &str, max_age_secs: u64) -> Option<HeaderValue> {
    let cookie = Cookie::build((name(config), token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age_secs).unwrap_or(i64::MAX),
        ))
        .secure(config.secure_cookies)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(secure_cookies: bool) -> Config {
        Config {
            secure_cookies,
            ..Config::for_tests("sqlite::memory:")
        }
    }

    #[test]
    fn the_token_is_read_from_any_cookie_header_by_name() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; leadline_session_x=2"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; leadline_session=abc"),
        );
        assert_eq!(
            session_token(&config(false), &headers).as_deref(),
            Some("abc")
        );
        assert_eq!(
            session_token(&config(true), &headers),
            None,
            "the secure name differs"
        );
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_when_configured() {
        let plain = set_session(&config(false), "abc", 60).unwrap();
        let plain = plain.to_str().unwrap();
        assert!(plain.starts_with("leadline_session=abc"), "{plain}");
        for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=60"] {
            assert!(plain.contains(part), "{plain} lacks {part}");
        }
        assert!(!plain.contains("Secure"));
        let secure = set_session(&config(true), "", 0).unwrap();
        let secure = secure.to_str().unwrap();
        assert!(secure.starts_with("__Host-leadline_session=;"), "{secure}");
        assert!(secure.contains("Secure") && secure.contains("Max-Age=0"));
    }
}
