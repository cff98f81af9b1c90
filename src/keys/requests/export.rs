//! `GET /developer/requests/export?format=csv|jsonl&…`: the request log
//! with the page's filters, as a download, streamed a page of rows at a
//! time (keyset pagination, newest first), like the audit export.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::data::{self, Filter};
use super::domain::{LoggedRequest, RequestQuery};
use crate::auth::session::{guard_request, Need};
use crate::error::AppError;
use crate::platform::Platform;

/// Rows read per database query, and so per chunk of the body.
const EXPORT_PAGE: i64 = 500;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    filters: RequestQuery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
}

const CSV_HEADER: &str = "request_id,time,key_prefix,method,route,path,status,error_code,client_ip,user_agent,latency_us,response_bytes,query_names\r\n";

/// CSV rows, every field quoted and formulas defused (a user agent is the
/// client's text).
fn csv_rows(requests: &[LoggedRequest]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::with_capacity(requests.len() * 200));
    for r in requests {
        let record = [
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
        .map(|field| crate::platform::text::spreadsheet_safe(&field).into_owned());
        // Writing to memory cannot fail.
        let _ = writer.write_record(&record);
    }
    writer
        .into_inner()
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
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

struct Cursor {
    state: Platform,
    organisation_id: i64,
    filter: Filter,
    format: Format,
    done: bool,
}

async fn next_chunk(mut cursor: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    if cursor.done {
        return None;
    }
    let page = data::list(
        &cursor.state.db,
        cursor.organisation_id,
        &cursor.filter,
        EXPORT_PAGE,
    )
    .await;
    match page {
        Err(error) => {
            // The download ends unfinished rather than looking complete.
            tracing::error!(%error, "request log export failed");
            cursor.done = true;
            Some((
                Err(std::io::Error::other("request log export failed")),
                cursor,
            ))
        }
        Ok(rows) => {
            cursor.done = (rows.len() as i64) < EXPORT_PAGE;
            cursor.filter.before = rows.last().and_then(|r| {
                let (at, id) = r.cursor.split_once('.')?;
                Some((at.parse().ok()?, id.parse().ok()?))
            });
            if rows.is_empty() {
                return None;
            }
            Some((Ok(Bytes::from(encode(&rows, cursor.format))), cursor))
        }
    }
}

pub async fn download(
    State(state): State<Platform>,
    parts: Parts,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let granted = guard_request(&state, &parts, Need::Developer).await?;
    let format = match query.format.as_str() {
        "csv" | "" => Format::Csv,
        "jsonl" => Format::JsonLines,
        _ => {
            return Err(AppError::validation(
                "format",
                "Format must be csv or jsonl.",
            ))
        }
    };
    let mut filter = super::service::filter(&query.filters)?;
    filter.before = None;
    let cursor = Cursor {
        state: state.clone(),
        organisation_id: granted.org.id,
        filter,
        format,
        done: false,
    };
    use futures_util::StreamExt;
    let rows = futures_util::stream::unfold(cursor, next_chunk);
    let header = futures_util::stream::iter(
        (format == Format::Csv).then(|| Ok(Bytes::from_static(CSV_HEADER.as_bytes()))),
    );
    let body = Body::from_stream(header.chain(rows).fuse());
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::JsonLines => ("application/x-ndjson", "jsonl"),
    };
    let date = state.clock.now().format("%Y-%m-%d");
    let disposition = format!(
        "attachment; filename=\"leadline-requests-{}-{date}.{extension}\"",
        granted.org.slug
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
