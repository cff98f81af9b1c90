//! Downloads streamed a page of rows at a time (the audit log's and the
//! request log's exports): the formats, CSV records as spreadsheets read
//! them safely, and the response that carries the stream.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// `csv` (or nothing) or `jsonl`.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw {
            "csv" | "" => Ok(Self::Csv),
            "jsonl" => Ok(Self::JsonLines),
            _ => Err(AppError::validation(
                "format",
                "Format must be csv or jsonl.",
            )),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::JsonLines => "application/x-ndjson",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::JsonLines => "jsonl",
        }
    }
}

/// CSV rows (RFC 4180, CRLF line ends). Every field is quoted, and one a
/// spreadsheet would run as a formula gets a leading `'`, as OWASP advises:
/// exports hold users' and clients' text.
pub fn csv_records<R, F>(records: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = F>,
    F: AsRef<str>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    for record in records {
        let fields: Vec<String> = record
            .into_iter()
            .map(|f| crate::platform::text::spreadsheet_safe(f.as_ref()).into_owned())
            .collect();
        // Writing to memory cannot fail.
        let _ = writer.write_record(&fields);
    }
    writer
        .into_inner()
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

/// A download's body read a page at a time: `read(after)` gives up to
/// `size` rows after the cursor `after` (none: from the start), `encode`
/// makes each page's chunk, and the next page starts after `next(last
/// row)`. So a log of any size never sits in memory. A failed read ends the
/// body unfinished (logged as `what`) rather than looking complete.
pub fn paged<C, T, Read, Fut, Encode, Next>(
    size: i64,
    what: &'static str,
    read: Read,
    encode: Encode,
    next: Next,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static
where
    C: Send + 'static,
    T: Send + 'static,
    Read: Fn(Option<C>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Vec<T>, sqlx::Error>> + Send + 'static,
    Encode: Fn(&[T]) -> String + Send + Sync + 'static,
    Next: Fn(&T) -> Option<C> + Send + Sync + 'static,
{
    let page = std::sync::Arc::new((read, encode, next));
    futures_util::stream::unfold((None::<C>, false), move |(after, done)| {
        let page = std::sync::Arc::clone(&page);
        async move {
            if done {
                return None;
            }
            let (read, encode, next) = &*page;
            match read(after).await {
                Err(error) => {
                    tracing::error!(%error, "{what} failed");
                    let failed = std::io::Error::other(format!("{what} failed"));
                    Some((Err(failed), (None, true)))
                }
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let done = (rows.len() as i64) < size;
                    let after = rows.last().and_then(next);
                    Some((Ok(Bytes::from(encode(&rows))), (after, done)))
                }
            }
        }
    })
}

/// The download: for CSV its header line first, then `rows` as they come,
/// named `{name}-{date}.csv` (or `.jsonl`), never cached.
pub fn download<S>(format: Format, csv_header: &'static str, rows: S, name: &str) -> Response
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
{
    let header_line = futures_util::stream::iter(
        (format == Format::Csv).then(|| Ok(Bytes::from_static(csv_header.as_bytes()))),
    );
    // Fused: the compression layer may poll again after the end, which an
    // unfold stream does not allow.
    let body = Body::from_stream(header_line.chain(rows).fuse());
    let disposition = format!("attachment; filename=\"{name}.{}\"", format.extension());
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_csv_by_default_or_json_lines() {
        assert_eq!(Format::parse("").unwrap(), Format::Csv);
        assert_eq!(Format::parse("jsonl").unwrap(), Format::JsonLines);
        assert!(Format::parse("xlsx").is_err());
    }
}
