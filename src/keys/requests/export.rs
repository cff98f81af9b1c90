//! `GET /developer/requests/export?format=csv|jsonl&…`: the request log
//! with the page's filters, as a download, streamed a page of rows at a
//! time (keyset pagination, newest first), like the audit export.

use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;

use super::data::{self, Filter};
use super::domain::{parse_cursor, LoggedRequest, RequestQuery};
use crate::auth::session::{guard_request, Need};
use crate::error::AppError;
use crate::platform::Platform;
use crate::web::export::{csv_records, download as streamed, paged, Format};

/// Rows read per database query, and so per chunk of the body.
const EXPORT_PAGE: i64 = 500;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    filters: RequestQuery,
}

const CSV_HEADER: &str = "request_id,time,key_prefix,method,route,path,status,error_code,client_ip,user_agent,latency_us,response_bytes,query_names\r\n";

/// CSV rows: every field quoted, formulas defused (`web::export`): a
/// user agent is the client's text.
fn csv_rows(requests: &[LoggedRequest]) -> String {
    csv_records(requests.iter().map(|r| {
        [
            r.request_id.clone(),
            r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            r.key_prefix.clone(),
            r.method.clone(),
            r.route.clone(),
            r.path.clone(),
            r.status.to_string(),
            r.error_code.clone().unwrap_or_default(),
            r.client_ip.clone(),
            r.user_agent.clone(),
            r.latency_us.to_string(),
            r.response_bytes.map(|b| b.to_string()).unwrap_or_default(),
            r.query_names.join(","),
        ]
    }))
}

fn encode(requests: &[LoggedRequest], format: Format) -> String {
    match format {
        Format::Csv => csv_rows(requests),
        Format::JsonLines => requests
            .iter()
            .map(|r| {
                let mut row = serde_json::to_value(r).unwrap_or_default();
                if let Some(fields) = row.as_object_mut() {
                    fields.remove("cursor");
                }
                row.to_string() + "\n"
            })
            .collect(),
    }
}

pub async fn download(
    State(state): State<Platform>,
    parts: Parts,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let granted = guard_request(&state, &parts, Need::Developer).await?;
    let format = Format::parse(query.format.as_str())?;
    let filter = super::service::filter(&query.filters)?;
    let (db, organisation_id) = (state.db.clone(), granted.org.id);
    let rows = paged(
        EXPORT_PAGE,
        "request log export",
        move |before| {
            let db = db.clone();
            let filter = Filter {
                before,
                ..filter.clone()
            };
            async move { data::list(&db, organisation_id, &filter, EXPORT_PAGE).await }
        },
        move |requests: &[LoggedRequest]| encode(requests, format),
        |request: &LoggedRequest| parse_cursor(&request.cursor),
    );
    let name = format!(
        "leadline-requests-{}-{}",
        granted.org.slug,
        state.clock.now().format("%Y-%m-%d")
    );
    Ok(streamed(format, CSV_HEADER, rows, &name))
}
