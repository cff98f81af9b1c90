//! `GET /audit/export?format=csv|jsonl&prefix=&action=`: the organisation's
//! audit log with the page's filters, as a download. Streamed a page of
//! rows at a time (keyset pagination, newest first), so a log of any size
//! never sits in memory.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{data, AuditAction, AuditEntry};
use crate::auth::session::{guard_request, Need};
use crate::error::AppError;
use crate::server::AppState;

/// Rows read per database query, and so per chunk of the body.
pub const EXPORT_PAGE: i64 = 500;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    action: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
}

const CSV_HEADER: &str = "id,occurred_at,actor,action,key_prefix,key_name,details\r\n";

/// One CSV field (RFC 4180). A value a spreadsheet would run as a formula
/// (it starts with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`: key
/// names and details come from users.
fn csv_field(out: &mut String, value: &str) {
    let guarded = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = guarded || value.contains([',', '"', '\n', '\r']);
    if quoted {
        out.push('"');
    }
    if guarded {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quoted {
        out.push('"');
    }
}

fn encode(entries: &[AuditEntry], format: Format) -> String {
    let mut out = String::with_capacity(entries.len() * 160);
    for e in entries {
        match format {
            Format::Csv => {
                let occurred = e
                    .occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                for (i, field) in [
                    e.id.to_string().as_str(),
                    occurred.as_str(),
                    &e.actor,
                    &e.action,
                    e.key_prefix.as_deref().unwrap_or(""),
                    e.key_name.as_deref().unwrap_or(""),
                    &e.details,
                ]
                .into_iter()
                .enumerate()
                {
                    if i > 0 {
                        out.push(',');
                    }
                    csv_field(&mut out, field);
                }
                out.push_str("\r\n");
            }
            Format::JsonLines => {
                out.push_str(&serde_json::to_string(e).unwrap_or_default());
                out.push('\n');
            }
        }
    }
    out
}

/// Where the stream is: the id to continue below, or done.
struct Cursor {
    state: AppState,
    organisation_id: i64,
    prefix: String,
    action: Option<AuditAction>,
    before: Option<i64>,
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
        &cursor.prefix,
        cursor.action,
        cursor.before,
        EXPORT_PAGE,
    )
    .await;
    match page {
        Err(error) => {
            // The download ends unfinished rather than looking complete.
            tracing::error!(%error, "audit export failed");
            cursor.done = true;
            Some((Err(std::io::Error::other("audit export failed")), cursor))
        }
        Ok(entries) => {
            cursor.done = (entries.len() as i64) < EXPORT_PAGE;
            cursor.before = entries.last().map(|e| e.id);
            if entries.is_empty() {
                return None;
            }
            let chunk = Bytes::from(encode(&entries, cursor.format));
            Some((Ok(chunk), cursor))
        }
    }
}

pub async fn download(
    State(state): State<AppState>,
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
    let action = match query.action.trim() {
        "" => None,
        other => Some(
            AuditAction::parse(other)
                .ok_or_else(|| AppError::validation("action", "Unknown action."))?,
        ),
    };
    let cursor = Cursor {
        state: state.clone(),
        organisation_id: granted.org.id,
        prefix: query.prefix.trim().to_owned(),
        action,
        before: None,
        format,
        done: false,
    };
    use futures_util::StreamExt;
    let rows = futures_util::stream::unfold(cursor, next_chunk);
    let header = futures_util::stream::iter(
        (format == Format::Csv).then(|| Ok(Bytes::from_static(CSV_HEADER.as_bytes()))),
    );
    // Fused: the compression layer may poll again after the end, which an
    // unfold stream does not allow.
    let body = Body::from_stream(header.chain(rows).fuse());
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::JsonLines => ("application/x-ndjson", "jsonl"),
    };
    let date = state.clock.now().format("%Y-%m-%d");
    let disposition = format!(
        "attachment; filename=\"leadline-audit-{}-{date}.{extension}\"",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_are_defused() {
        let field = |v: &str| {
            let mut out = String::new();
            csv_field(&mut out, v);
            out
        };
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "\"'-1\"");
        assert_eq!(field(""), "");
    }
}
