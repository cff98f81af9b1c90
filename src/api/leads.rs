//! `/api/v1/leads`: the public REST API over the organisation's leads.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::{Caller, Metered};
use crate::error::{AppError, FieldError};
use crate::keys::domain::Permission;
use crate::keys::KeyState;
use crate::leads::domain::LeadFilter;
use crate::leads::domain::{Lead, LeadDraft, LeadPatch, LeadStatus, SearchText};
use crate::leads::service::{self, Actor};
use crate::platform::db::next_cursor;

/// JSON body extractor whose rejections are problem details. A handler
/// that has a [`Caller`] takes it as `Result<Body<T>, AppError>` and answers
/// the rejection through the caller, so that it is metered like any error.
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        Self::parse(req, state).await
    }
}

impl<T> Body<T> {
    async fn parse<S>(req: Request, state: &S) -> Result<Self, AppError>
    where
        Json<T>: FromRequest<S, Rejection = JsonRejection>,
        S: Send + Sync,
    {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::PayloadTooLarge)
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::UnsupportedMediaType),
            Err(rejection) => Err(AppError::BadRequest(format!(
                "Invalid JSON body: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// The list's query parameters, read as text so that each bad value gets
/// its own field error; the document states their real types.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// How many leads to return: 1 to 100, default 25.
    #[param(value_type = i64, required = false, minimum = 1, maximum = 100, default = 25)]
    pub limit: Option<String>,
    /// `next_cursor` from the previous page, with the same `updated_since`.
    #[param(value_type = String, required = false, pattern = r"^[1-9][0-9]{0,17}(\.[1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
    /// Only leads with this status.
    #[param(value_type = LeadStatus, required = false)]
    pub status: Option<String>,
    /// The sync feed: only leads created or changed at or after this RFC 3339
    /// time, oldest change first (by `updated_at`, then `id`), so that a lead
    /// changed while you page through comes again later rather than being
    /// skipped. Deleted leads are in `GET /leads/deleted`.
    #[param(value_type = DateTime<Utc>, required = false)]
    pub updated_since: Option<String>,
    /// Only leads whose name, email or company contains this text (any case,
    /// accents or not). No control characters.
    #[param(value_type = String, required = false, max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub q: Option<String>,
}

/// A number as a cursor writes it: digits, no leading zero.
fn parse_cursor(raw: &str) -> Option<i64> {
    let canonical = !raw.is_empty()
        && raw.len() <= 18
        && !raw.starts_with('0')
        && raw.bytes().all(|b| b.is_ascii_digit());
    canonical.then(|| raw.parse().ok()).flatten()
}

/// Where a page starts. Newest first, a cursor is the id of the last lead
/// of the page before; in the sync feed it is that lead's `updated_at`
/// (milliseconds) and id, `1764230400000.42`. Cursors are opaque to
/// clients, so either form positions either list: by its id newest first,
/// and a bare id in the sync feed as that id at `since`.
fn parse_position(raw: &str, since: Option<i64>) -> Option<Position> {
    let (at, id) = match raw.split_once('.') {
        Some((at, id)) => (Some(parse_cursor(at)?), parse_cursor(id)?),
        None => (None, parse_cursor(raw)?),
    };
    Some(match since {
        None => Position::Before(id),
        Some(since) => Position::After(at.unwrap_or(since), id),
    })
}

/// Where a page starts: before an id (newest first), or after a change
/// (`updated_at` or `deleted_at`, then id) in a feed.
enum Position {
    Before(i64),
    After(i64, i64),
}

/// The cursor of the page after `last`, as `parse_position` reads it.
fn cursor_after(last: &Lead, sync: bool) -> String {
    if sync {
        format!("{}.{}", last.updated_at.timestamp_millis(), last.id)
    } else {
        last.id.to_string()
    }
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({ "data": [{
    "id": 42, "name": "Ada Lovelace", "email": "ada@analytical.example", "company": "Analytical Engines",
    "phone": "", "status": "qualified", "source": "Conference", "notes": "",
    "created_at": "2026-11-27T09:00:00Z", "updated_at": "2026-11-27T09:30:00Z"
}], "next_cursor": "42" }))]
pub struct LeadList {
    pub data: Vec<Lead>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `limit`: 1 to 100, default 25.
fn parse_limit(raw: Option<&str>, errors: &mut Vec<FieldError>) -> i64 {
    match raw {
        None => 25,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) && raw.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    "limit must be a whole number from 1 to 100.",
                ));
                25
            }
        },
    }
}

/// An RFC 3339 time, in milliseconds.
fn parse_time(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.with_timezone(&Utc).timestamp_millis()),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                format!("{field} must be an RFC 3339 time, like 2026-01-31T09:00:00Z."),
            ));
            None
        }
    }
}

fn parse_list(params: ListParams) -> Result<(LeadFilter, i64), AppError> {
    let mut errors = Vec::new();
    let limit = parse_limit(params.limit.as_deref(), &mut errors);
    let status = match params.status.as_deref() {
        None => None,
        Some(raw) => {
            let status = LeadStatus::parse(raw);
            if status.is_none() {
                errors.push(FieldError::new(
                    "status",
                    "status must be one of new, contacted, qualified, won, lost.",
                ));
            }
            status
        }
    };
    let updated_since = params
        .updated_since
        .as_deref()
        .and_then(|raw| parse_time("updated_since", raw, &mut errors));
    let q = SearchText::parse(params.q.as_deref().unwrap_or_default()).unwrap_or_else(|e| {
        errors.push(e);
        SearchText::default()
    });
    let (before_id, changed_after) = match params.cursor.as_deref() {
        None => (None, None),
        Some(raw) => match parse_position(raw, updated_since) {
            Some(Position::Before(id)) => (Some(id), None),
            Some(Position::After(at, id)) => (None, Some((at, id))),
            None => {
                errors.push(FieldError::new(
                    "cursor",
                    "cursor must be a next_cursor value from a previous page.",
                ));
                (None, None)
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok((
        LeadFilter {
            status,
            updated_since,
            q,
            before_id,
            changed_after,
        },
        limit,
    ))
}

/// Lead ids in paths are numbers; anything else is simply not found.
fn lead_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}

/// List leads: newest first, or, with `updated_since`, the sync feed.
#[utoipa::path(get, path = "/leads", operation_id = "list-leads", tag = "Leads", params(ListParams),
    responses((status = 200, description = "A page of leads", body = LeadList)),
    security(("bearer" = ["leads:read"])))]
pub async fn list(
    State(state): State<KeyState>,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Metered<Json<LeadList>> {
    let page = async {
        caller.require(Permission::Read)?;
        let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
        let (filter, limit) = parse_list(params)?;
        let sync = filter.updated_since.is_some();
        let mut leads = service::list(&state, caller.organisation_id, &filter, limit + 1).await?;
        let next_cursor = next_cursor(&mut leads, limit, |last| cursor_after(last, sync));
        Ok(Json(LeadList {
            data: leads,
            next_cursor,
        }))
    };
    caller.answer(&state, page.await)
}

/// The deleted-leads feed's query parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeletedParams {
    /// Only leads deleted at or after this RFC 3339 time (deletions are kept
    /// for 30 days).
    #[param(value_type = DateTime<Utc>, required = true)]
    pub since: Option<String>,
    /// How many to return: 1 to 100, default 25.
    #[param(value_type = i64, required = false, minimum = 1, maximum = 100, default = 25)]
    pub limit: Option<String>,
    /// `next_cursor` from the previous page, with the same `since`.
    #[param(value_type = String, required = false, pattern = r"^[1-9][0-9]{0,17}(\.[1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
}

/// A lead that was deleted.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeletedLead {
    pub id: i64,
    pub deleted_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({ "data": [{ "id": 42, "deleted_at": "2026-11-27T10:00:00Z" }], "next_cursor": null }))]
pub struct DeletedLeadList {
    pub data: Vec<DeletedLead>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// List deleted leads, oldest deletion first: with the sync feed
/// (`updated_since`), what a sync client needs to mirror the leads.
#[utoipa::path(get, path = "/leads/deleted", operation_id = "list-deleted-leads", tag = "Leads", params(DeletedParams),
    responses((status = 200, description = "A page of deleted leads", body = DeletedLeadList)),
    security(("bearer" = ["leads:read"])))]
pub async fn deleted(
    State(state): State<KeyState>,
    caller: Caller,
    params: Result<Query<DeletedParams>, QueryRejection>,
) -> Metered<Json<DeletedLeadList>> {
    let page = async {
        caller.require(Permission::Read)?;
        let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
        let mut errors = Vec::new();
        let limit = parse_limit(params.limit.as_deref(), &mut errors);
        let since = match params.since.as_deref() {
            Some(raw) => parse_time("since", raw, &mut errors),
            None => {
                errors.push(FieldError::new(
                    "since",
                    "since is required: the time of your last sync, like 2026-01-31T09:00:00Z.",
                ));
                None
            }
        };
        let after = match params.cursor.as_deref() {
            None => None,
            Some(raw) => match parse_position(raw, Some(since.unwrap_or_default())) {
                Some(Position::After(at, id)) => Some((at, id)),
                Some(Position::Before(_)) => None,
                None => {
                    errors.push(FieldError::new(
                        "cursor",
                        "cursor must be a next_cursor value from a previous page.",
                    ));
                    None
                }
            },
        };
        let Some(since) = since.filter(|_| errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let mut rows =
            service::deleted(&state, caller.organisation_id, since, after, limit + 1).await?;
        let next_cursor = next_cursor(&mut rows, limit, |last| {
            format!("{}.{}", last.deleted_at, last.lead_id)
        });
        Ok(Json(DeletedLeadList {
            data: rows
                .into_iter()
                .map(|row| DeletedLead {
                    id: row.lead_id,
                    deleted_at: crate::platform::clock::from_millis(row.deleted_at),
                })
                .collect(),
            next_cursor,
        }))
    };
    caller.answer(&state, page.await)
}

/// Create a lead.
#[utoipa::path(post, path = "/leads", operation_id = "create-lead", tag = "Leads", request_body = LeadDraft,
    responses((status = 201, description = "Created; Location names the new lead", body = Lead)),
    security(("bearer" = ["leads:create"])))]
pub async fn create(
    State(state): State<KeyState>,
    caller: Caller,
    body: Result<Body<LeadDraft>, AppError>,
) -> Metered<Response> {
    let created = async {
        let Body(draft) = body?;
        caller.require(Permission::Create)?;
        let lead = service::create(&state, caller.organisation_id, &draft, actor(&caller)).await?;
        let location = format!("/api/v1/leads/{}", lead.id);
        Ok((
            StatusCode::CREATED,
            [(header::LOCATION, location)],
            Json(lead),
        )
            .into_response())
    };
    caller.answer(&state, created.await)
}

/// The audit log's name for what a key did.
fn actor(caller: &Caller) -> Actor<'_> {
    Actor::Key {
        prefix: &caller.prefix,
        name: &caller.name,
    }
}

/// Get one lead.
#[utoipa::path(get, path = "/leads/{id}", operation_id = "get-lead", tag = "Leads", params(("id" = i64, Path, minimum = 1, description = "Lead id")),
    responses((status = 200, description = "The lead", body = Lead)),
    security(("bearer" = ["leads:read"])))]
pub async fn get(
    State(state): State<KeyState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Metered<Json<Lead>> {
    let lead = async {
        caller.require(Permission::Read)?;
        service::get(&state, caller.organisation_id, lead_id(&id)?).await
    };
    caller.answer(&state, lead.await.map(Json))
}

/// The same read as [`get`] with no authentication, compiled only with the
/// `bench-routes` feature so the load script can measure what
/// authentication costs.
#[cfg(feature = "bench-routes")]
pub async fn get_unauthenticated(
    State(state): State<KeyState>,
    Path((org, id)): Path<(i64, String)>,
) -> Result<Json<Lead>, AppError> {
    Ok(Json(service::get(&state, org, lead_id(&id)?).await?))
}

/// Change some fields of a lead.
#[utoipa::path(patch, path = "/leads/{id}", operation_id = "update-lead", tag = "Leads", params(("id" = i64, Path, minimum = 1, description = "Lead id")),
    request_body = LeadPatch,
    responses((status = 200, description = "The updated lead", body = Lead)),
    security(("bearer" = ["leads:update"])))]
pub async fn update(
    State(state): State<KeyState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Body<LeadPatch>, AppError>,
) -> Metered<Json<Lead>> {
    let lead = async {
        let Body(patch) = body?;
        caller.require(Permission::Update)?;
        let id = lead_id(&id)?;
        service::update(&state, caller.organisation_id, id, patch, actor(&caller)).await
    };
    caller.answer(&state, lead.await.map(Json))
}

/// Delete a lead.
#[utoipa::path(delete, path = "/leads/{id}", operation_id = "delete-lead", tag = "Leads", params(("id" = i64, Path, minimum = 1, description = "Lead id")),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = ["leads:delete"])))]
pub async fn delete(
    State(state): State<KeyState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Metered<StatusCode> {
    let deleted = async {
        caller.require(Permission::Delete)?;
        service::delete(
            &state,
            caller.organisation_id,
            lead_id(&id)?,
            actor(&caller),
        )
        .await
    };
    caller.answer(&state, deleted.await.map(|()| StatusCode::NO_CONTENT))
}
