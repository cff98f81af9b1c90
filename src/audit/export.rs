//! `GET /audit/export?format=csv|jsonl&prefix=&action=`: the organisation's
//! audit log with the page's filters, as a download. Streamed a page of
//! rows at a time (keyset pagination, newest first), so a log of any size
//! never sits in memory.

use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;

use super::{data, AuditAction, AuditEntry};
use crate::auth::session::{guard_request, Need};
use crate::error::AppError;
use crate::platform::Platform;
use crate::web::export::{csv_records, download as streamed, paged, Format};

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

const CSV_HEADER: &str = "id,occurred_at,actor,action,key_prefix,key_name,details\r\n";

/// CSV rows: every field quoted, formulas defused (`web::export`).
fn csv_rows(entries: &[AuditEntry]) -> String {
    csv_records(entries.iter().map(|e| {
        [
            e.id.to_string(),
            e.occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            e.actor.clone(),
            e.action.clone(),
            e.key_prefix.clone().unwrap_or_default(),
            e.key_name.clone().unwrap_or_default(),
            e.details.clone(),
        ]
    }))
}

fn encode(entries: &[AuditEntry], format: Format) -> String {
    match format {
        Format::Csv => csv_rows(entries),
        Format::JsonLines => entries
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default() + "\n")
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
    let action = match query.action.trim() {
        "" => None,
        other => Some(
            AuditAction::parse(other)
                .ok_or_else(|| AppError::validation("action", "Unknown action."))?,
        ),
    };
    let (db, organisation_id, prefix) = (
        state.db.clone(),
        granted.org.id,
        query.prefix.trim().to_owned(),
    );
    let rows = paged(
        EXPORT_PAGE,
        "audit export",
        move |before| {
            let (db, prefix) = (db.clone(), prefix.clone());
            async move { data::list(&db, organisation_id, &prefix, action, before, EXPORT_PAGE).await }
        },
        move |entries: &[AuditEntry]| encode(entries, format),
        |entry: &AuditEntry| Some(entry.id),
    );
    let name = format!(
        "leadline-audit-{}-{}",
        granted.org.slug,
        state.clock.now().format("%Y-%m-%d")
    );
    Ok(streamed(format, CSV_HEADER, rows, &name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(details: &str) -> AuditEntry {
        AuditEntry {
            id: 7,
            occurred_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            actor: "dev@acme.test".into(),
            action: "key.created".into(),
            key_prefix: Some("sk_AbCd1234_01".into()),
            key_name: Some("CI".into()),
            details: details.into(),
        }
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_are_defused() {
        let field = |v: &str| {
            csv_rows(&[entry(v)])
                .strip_prefix(r#""7","1970-01-01T00:00:00.000Z","dev@acme.test","key.created","sk_AbCd1234_01","CI","#)
                .and_then(|rest| rest.strip_suffix("\r\n"))
                .unwrap()
                .to_owned()
        };
        assert_eq!(field("plain"), "\"plain\"");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "\"'-1\"");
        assert_eq!(field(""), "\"\"");
    }
}
