//! Reading the request log: the page's filters checked, a page of rows, and
//! one request in detail.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::data::{self, Filter};
use super::domain::{
    is_request_id, parse_cursor, RequestQuery, RequestsPage, ShownRequest, StatusClass,
    REQUESTS_PAGE_SIZE,
};
use crate::error::catalogue;
use crate::error::{AppError, FieldError};
use crate::keys::usage::domain::Outcome;
use crate::keys::KeyState;

/// A time from the page's fields: `YYYY-MM-DDTHH:MM` (UTC) or RFC 3339.
fn time(field: &'static str, raw: &str) -> Result<Option<i64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let parsed = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").map(|t| t.and_utc()))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S").map(|t| t.and_utc()));
    match parsed {
        Ok(t) => Ok(Some(t.timestamp_millis())),
        Err(_) => Err(FieldError::new(
            field,
            "Times must be YYYY-MM-DDTHH:MM (UTC) or RFC 3339.",
        )),
    }
}

/// The filters in `query`, checked: every bad one is named.
pub fn filter(query: &RequestQuery) -> Result<Filter, AppError> {
    let mut errors = Vec::new();
    let mut filter = Filter::default();
    let key = query.key.trim();
    if !key.is_empty() {
        filter.key_prefix = Some(key.chars().take(14).collect());
    }
    match query.class.trim() {
        "" => {}
        raw => match StatusClass::parse(raw) {
            Some(class) => filter.class = Some(class),
            None => errors.push(FieldError::new("class", "Status must be 2xx, 4xx or 5xx.")),
        },
    }
    match query.outcome.trim() {
        "" => {}
        raw => match Outcome::ALL.into_iter().find(|o| o.key() == raw) {
            Some(outcome) => filter.outcome = Some(outcome),
            None => errors.push(FieldError::new("outcome", "Unknown outcome.")),
        },
    }
    match query.code.trim() {
        "" => {}
        raw => match catalogue::entry(raw) {
            Some(doc) => filter.code = Some(doc.code.to_owned()),
            None => errors.push(FieldError::new(
                "code",
                "Unknown error code: the codes are listed at /docs/errors.",
            )),
        },
    }
    let route = query.route.trim();
    if !route.is_empty() {
        filter.route = Some(route.chars().take(200).collect());
    }
    for (field, raw, into) in [
        ("from", &query.from, &mut filter.from),
        ("to", &query.to, &mut filter.to),
    ] {
        match time(field, raw) {
            Ok(t) => *into = t,
            Err(e) => errors.push(e),
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if to <= from {
            errors.push(FieldError::new("to", "“To” must be after “From”."));
        }
    }
    match query.before.trim() {
        "" => {}
        raw => match parse_cursor(raw) {
            Some(cursor) => filter.before = Some(cursor),
            None => errors.push(FieldError::new(
                "before",
                "This page's address is not valid.",
            )),
        },
    }
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// A page of the organisation's log, and, when the search box was given a
/// request id, that request in detail.
pub async fn page(
    state: &KeyState,
    organisation_id: i64,
    query: &RequestQuery,
    origin: &str,
) -> Result<RequestsPage, AppError> {
    let id = query.id.trim();
    let shown = if id.is_empty() {
        None
    } else if is_request_id(id) {
        let canonical = format!("req_{}", id[4..].to_ascii_uppercase());
        Some(
            shown(state, organisation_id, &canonical, origin)
                .await?
                .ok_or_else(|| {
                    AppError::validation(
                        "id",
                        "No request of this organisation has this id in the log: it may be older than the log keeps, from another organisation, or not yet written (give it a few seconds).",
                    )
                })?,
        )
    } else {
        return Err(AppError::validation(
            "id",
            "A request id looks like req_01JDZ8W1S4X1T3V2M9C0FQ7H6K: copy it from the Request-Id header or the error's request_id.",
        ));
    };
    let filter = filter(query)?;
    let mut requests =
        data::list(&state.db, organisation_id, &filter, REQUESTS_PAGE_SIZE + 1).await?;
    let next =
        crate::platform::db::next_cursor(&mut requests, REQUESTS_PAGE_SIZE, |r| r.cursor.clone());
    Ok(RequestsPage {
        requests,
        next,
        shown,
        kept_days: state.config.request_log_days,
    })
}

async fn shown(
    state: &KeyState,
    organisation_id: i64,
    request_id: &str,
    origin: &str,
) -> Result<Option<ShownRequest>, AppError> {
    let Some(request) = data::find(&state.db, organisation_id, request_id).await? else {
        return Ok(None);
    };
    let mut conn = state.db.acquire().await?;
    let key_name = crate::keys::data::find(&mut conn, organisation_id, request.key_id)
        .await?
        .map(|k| k.name);
    drop(conn);
    let doc = request.error_code.as_deref().and_then(catalogue::entry);
    Ok(Some(ShownRequest {
        curl: request.as_curl(origin.trim_end_matches('/')),
        meaning: doc.map(|d| d.meaning.to_owned()),
        fix: doc.map(|d| d.fix.to_owned()),
        key_name,
        request,
    }))
}

/// Forgets requests older than the log keeps.
pub async fn prune(state: &KeyState) -> Result<u64, AppError> {
    let now = state.clock.now().timestamp_millis();
    let keep = i64::from(state.config.request_log_days) * crate::keys::usage::domain::DAY_MS;
    Ok(data::prune(&state.db, now - keep).await?)
}
