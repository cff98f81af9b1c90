//! The `RateLimit-Limit`, `-Remaining` and `-Reset` headers that every
//! answer to a key carries (and a 429 too). Written on every authenticated
//! request, so without allocating: the names are constants, and the values
//! that recur (the configured limit, the reset's seconds) are shared
//! rather than formatted each time.

use std::sync::{LazyLock, OnceLock};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

pub const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Numbers up to a window's length in seconds (and a count near the limit).
const SMALL: usize = 60;

/// A number's text, shared: a value made from a `&'static str` is copied
/// without touching a reference count. The texts are made once per process
/// (61 of them, and the limit's).
fn shared(n: u64) -> HeaderValue {
    HeaderValue::from_static(Box::leak(n.to_string().into_boxed_str()))
}

fn number(n: u64) -> HeaderValue {
    static SMALL_NUMBERS: LazyLock<Vec<HeaderValue>> =
        LazyLock::new(|| (0..=SMALL as u64).map(shared).collect());
    usize::try_from(n)
        .ok()
        .and_then(|i| SMALL_NUMBERS.get(i).cloned())
        .unwrap_or_else(|| HeaderValue::from(n))
}

/// The limit: one per process, except in tests that vary it.
fn limit(n: u32) -> HeaderValue {
    static FIRST: OnceLock<(u32, HeaderValue)> = OnceLock::new();
    let (first, value) = FIRST.get_or_init(|| (n, shared(u64::from(n))));
    if *first == n {
        value.clone()
    } else {
        number(u64::from(n))
    }
}

pub fn insert(headers: &mut HeaderMap, limit_: u32, remaining: u32, reset_secs: u64) {
    headers.insert(LIMIT, limit(limit_));
    headers.insert(REMAINING, number(u64::from(remaining)));
    headers.insert(RESET, number(reset_secs));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_read_as_the_numbers() {
        let mut headers = HeaderMap::new();
        insert(&mut headers, 600, 599, 42);
        insert(&mut headers, 600, 12_345, 61);
        assert_eq!(headers[LIMIT], "600");
        assert_eq!(headers[REMAINING], "12345");
        assert_eq!(headers[RESET], "61");
        insert(&mut headers, 7, 0, 0);
        assert_eq!(
            (&headers[LIMIT], &headers[REMAINING], &headers[RESET]),
            (
                &HeaderValue::from(7u32),
                &HeaderValue::from(0u32),
                &HeaderValue::from(0u32)
            )
        );
    }
}
