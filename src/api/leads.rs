//! `/api/v1/leads`: the public REST API over the organisation's leads.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::{metered_error, Caller, Metered};
use crate::error::{AppError, FieldError};
use crate::keys::domain::Permission;
use crate::leads::data::{self, LeadFilter};
use crate::leads::domain::{Lead, LeadDraft, LeadPatch, LeadStatus};
use crate::leads::service::{self, Actor};
use crate::server::db::next_cursor;
use crate::server::AppState;

/// JSON body extractor whose rejections are problem details, with the
/// caller's RateLimit headers.
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let caller = req.extensions().get::<Caller>().cloned();
        Self::parse(req, state)
            .await
            .map_err(|error| metered_error(caller.as_ref(), error))
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
    /// `next_cursor` from the previous page.
    #[param(value_type = String, required = false, pattern = r"^[1-9][0-9]{0,17}$")]
    pub cursor: Option<String>,
    /// Only leads with this status.
    #[param(value_type = LeadStatus, required = false)]
    pub status: Option<String>,
    /// Only leads updated at or after this RFC 3339 time.
    #[param(value_type = DateTime<Utc>, required = false)]
    pub updated_since: Option<String>,
    /// Only leads whose name, email or company contains this text (any case).
    #[param(value_type = String, required = false, max_length = 200)]
    pub q: Option<String>,
}

/// A cursor is the id of the last lead of a page, written plainly.
fn parse_cursor(raw: &str) -> Option<i64> {
    let canonical = !raw.is_empty()
        && raw.len() <= 18
        && !raw.starts_with('0')
        && raw.bytes().all(|b| b.is_ascii_digit());
    canonical.then(|| raw.parse().ok()).flatten()
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

fn parse_list(params: ListParams) -> Result<(LeadFilter, i64), AppError> {
    let mut errors = Vec::new();
    let limit = match params.limit.as_deref() {
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
    };
    let before_id = match params.cursor.as_deref() {
        None => None,
        Some(raw) => match parse_cursor(raw) {
            Some(id) => Some(id),
            None => {
                errors.push(FieldError::new(
                    "cursor",
                    "cursor must be a next_cursor value from a previous page.",
                ));
                None
            }
        },
    };
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
    let updated_since = match params.updated_since.as_deref() {
        None => None,
        Some(raw) => match DateTime::parse_from_rfc3339(raw) {
            Ok(t) => Some(t.with_timezone(&Utc).timestamp_millis()),
            Err(_) => {
                errors.push(FieldError::new(
                    "updated_since",
                    "updated_since must be an RFC 3339 time, like 2026-01-31T09:00:00Z.",
                ));
                None
            }
        },
    };
    let q = params.q.unwrap_or_default();
    if q.chars().count() > 200 {
        errors.push(FieldError::new("q", "q must be at most 200 characters."));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok((
        LeadFilter {
            status,
            updated_since,
            q,
            before_id,
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

/// List leads, newest first.
#[utoipa::path(get, path = "/leads", operation_id = "list-leads", tag = "Leads", params(ListParams),
    responses((status = 200, description = "A page of leads", body = LeadList)),
    security(("bearer" = ["leads:read"])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Metered<Json<LeadList>> {
    let page = async {
        caller.require(Permission::Read)?;
        let Query(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
        let (filter, limit) = parse_list(params)?;
        let mut leads = data::list(&state.db, caller.organisation_id, &filter, limit + 1).await?;
        let next_cursor = next_cursor(&mut leads, limit, |l| l.id).map(|id| id.to_string());
        Ok(Json(LeadList {
            data: leads,
            next_cursor,
        }))
    };
    caller.answer(page.await)
}

/// Create a lead.
#[utoipa::path(post, path = "/leads", operation_id = "create-lead", tag = "Leads", request_body = LeadDraft,
    responses((status = 201, description = "Created; Location names the new lead", body = Lead)),
    security(("bearer" = ["leads:create"])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Body<LeadDraft>,
) -> Metered<Response> {
    let created = async {
        caller.require(Permission::Create)?;
        let lead = service::create(&state, caller.organisation_id, &body.0, actor(&caller)).await?;
        let location = format!("/api/v1/leads/{}", lead.id);
        Ok((
            StatusCode::CREATED,
            [(header::LOCATION, location)],
            Json(lead),
        )
            .into_response())
    };
    caller.answer(created.await)
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
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Metered<Json<Lead>> {
    let lead = async {
        caller.require(Permission::Read)?;
        service::get(&state, caller.organisation_id, lead_id(&id)?).await
    };
    caller.answer(lead.await.map(Json))
}

/// The same read as [`get`] with no authentication, compiled only with the
/// `bench-routes` feature so the load script can measure what
/// authentication costs.
#[cfg(feature = "bench-routes")]
pub async fn get_unauthenticated(
    State(state): State<AppState>,
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
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body<LeadPatch>,
) -> Metered<Json<Lead>> {
    let lead = async {
        caller.require(Permission::Update)?;
        let id = lead_id(&id)?;
        service::update(&state, caller.organisation_id, id, body.0, actor(&caller)).await
    };
    caller.answer(lead.await.map(Json))
}

/// Delete a lead.
#[utoipa::path(delete, path = "/leads/{id}", operation_id = "delete-lead", tag = "Leads", params(("id" = i64, Path, minimum = 1, description = "Lead id")),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = ["leads:delete"])))]
pub async fn delete(
    State(state): State<AppState>,
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
    caller.answer(deleted.await.map(|()| StatusCode::NO_CONTENT))
}
