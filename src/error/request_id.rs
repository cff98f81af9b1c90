//! The id of an API request: `req_` and a ULID (its first 10 characters the
//! time in milliseconds, so ids sort by time; then 80 random bits). Made by
//! the server for every API request and sent back as `Request-Id`, in
//! problem bodies as `request_id`, and on every log line of the request. A
//! client's own `X-Request-Id` or `Idempotency-Key` is never taken as the
//! id (it is logged beside it). Here, beside the error type, because every
//! problem body carries it.

/// The response header that carries it.
pub const HEADER: axum::http::HeaderName = axum::http::HeaderName::from_static("request-id");

/// What the id looks like, for the API document.
pub const PATTERN: &str = "^req_[0-9A-HJKMNP-TV-Z]{26}$";

/// Held inline (it has a fixed length): a request's id, and the log row
/// that carries it, cost no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId(arrayvec::ArrayString<30>);

impl RequestId {
    pub fn new() -> Self {
        let mut ulid = [0; ulid::ULID_LEN];
        let mut id = arrayvec::ArrayString::new();
        id.push_str("req_");
        id.push_str(ulid::Ulid::new().array_to_str(&mut ulid));
        Self(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The id of the API request being answered, if this is one.
pub fn current() -> Option<RequestId> {
    CURRENT.try_with(|id| *id).ok()
}

/// Runs `work` as the request `id`: [`current`] gives it within.
pub async fn scope<F: std::future::Future>(id: RequestId, work: F) -> F::Output {
    CURRENT.scope(id, work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_documented_shape_and_differ() {
        let pattern = regex::Regex::new(PATTERN).unwrap();
        let (a, b) = (RequestId::new(), RequestId::new());
        assert!(pattern.is_match(a.as_str()), "{a:?}");
        assert_ne!(a, b);
    }
}
