//! SQL for the request log. Every read is scoped by organisation.

use sqlx::FromRow;

use super::domain::{LoggedRequest, StatusClass};
use super::recorder::NewLoggedRequest;
use crate::keys::usage::domain::Outcome;
use crate::platform::clock::from_millis;
use crate::platform::db::{row_placeholders, Backend, Conn, Filtered};
use crate::platform::Db;

const COLUMNS: &str =
    "id, request_id, key_id, key_prefix, occurred_at, method, route, path, status, \
     error_code, client_ip, user_agent, latency_us, response_bytes, query_names";

#[derive(FromRow)]
struct Row {
    id: i64,
    request_id: String,
    key_id: i64,
    key_prefix: String,
    occurred_at: i64,
    method: String,
    route: String,
    path: String,
    status: i64,
    error_code: Option<String>,
    client_ip: String,
    user_agent: String,
    latency_us: i64,
    response_bytes: Option<i64>,
    query_names: String,
}

impl From<Row> for LoggedRequest {
    fn from(r: Row) -> Self {
        LoggedRequest {
            cursor: format!("{}.{}", r.occurred_at, r.id),
            request_id: r.request_id,
            key_id: r.key_id,
            key_prefix: r.key_prefix,
            at: from_millis(r.occurred_at),
            method: r.method,
            route: r.route,
            path: r.path,
            status: u16::try_from(r.status).unwrap_or(0),
            error_code: r.error_code,
            client_ip: r.client_ip,
            user_agent: r.user_agent,
            latency_us: r.latency_us,
            response_bytes: r.response_bytes,
            query_names: r
                .query_names
                .split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// The columns a flush writes, in the order of each row's values.
macro_rules! written {
    () => {
        "request_id, organisation_id, key_id, key_prefix, occurred_at, method, route, path, \
         status, status_class, outcome, error_code, client_ip, user_agent, latency_us, \
         response_bytes, query_names"
    };
}

const VALUES_PER_ROW: usize = 17;

/// Writes `rows` in one statement (SQLite; PostgreSQL copies, see [`COPY`]).
pub async fn insert(conn: &mut Conn, rows: &[NewLoggedRequest]) -> Result<(), sqlx::Error> {
    let mut sql = String::from(concat!(
        "INSERT INTO request_log (",
        written!(),
        ") VALUES "
    ));
    sql.push_str(&row_placeholders(
        Backend::of_connection(conn),
        rows.len(),
        VALUES_PER_ROW,
    ));
    let mut query = sqlx::query(&sql);
    for r in rows {
        query = query
            .bind(r.request_id.as_str())
            .bind(r.organisation_id)
            .bind(r.key_id)
            .bind(r.key_prefix.as_str())
            .bind(r.occurred_at)
            .bind(r.method.as_str())
            .bind(r.route)
            .bind(r.path())
            .bind(i64::from(r.status))
            .bind(StatusClass::of(r.status))
            .bind(Outcome::of_status(r.status).map(Outcome::key))
            .bind(r.error_code)
            .bind(r.client_ip.to_string())
            .bind(r.texts.user_agent())
            .bind(r.latency_us)
            .bind(r.response_bytes)
            .bind(r.query_names());
    }
    query.execute(conn).await?;
    Ok(())
}

/// How a flush writes on PostgreSQL, with [`copy_rows`] as its data.
pub const COPY: &str = concat!(
    "COPY request_log (",
    written!(),
    ") FROM STDIN (FORMAT csv)"
);

/// `rows` as [`COPY`] reads them: CSV, texts quoted, NULL as nothing.
pub fn copy_rows(rows: &[NewLoggedRequest]) -> String {
    use std::fmt::Write;
    let mut csv = String::with_capacity(rows.len() * 256);
    let text = crate::platform::db::csv_text;
    for r in rows {
        text(&mut csv, r.request_id.as_str());
        let _ = write!(csv, ",{},{},", r.organisation_id, r.key_id);
        text(&mut csv, r.key_prefix.as_str());
        let _ = write!(csv, ",{},", r.occurred_at);
        text(&mut csv, r.method.as_str());
        csv.push(',');
        text(&mut csv, r.route);
        csv.push(',');
        text(&mut csv, &r.path());
        let _ = write!(csv, ",{},{},", r.status, StatusClass::of(r.status));
        if let Some(outcome) = Outcome::of_status(r.status) {
            text(&mut csv, outcome.key());
        }
        csv.push(',');
        if let Some(code) = r.error_code {
            text(&mut csv, code);
        }
        let _ = write!(csv, ",\"{}\",", r.client_ip);
        text(&mut csv, r.texts.user_agent());
        let _ = write!(csv, ",{},", r.latency_us);
        if let Some(bytes) = r.response_bytes {
            let _ = write!(csv, "{bytes}");
        }
        csv.push(',');
        text(&mut csv, &r.query_names());
        csv.push('\n');
    }
    csv
}

/// The filters a list is read with, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub key_prefix: Option<String>,
    pub class: Option<StatusClass>,
    pub outcome: Option<Outcome>,
    pub code: Option<String>,
    pub route: Option<String>,
    /// Times in ms: from (inclusive), to (exclusive).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Older than this (`occurred_at`, `id`).
    pub before: Option<(i64, i64)>,
}

/// The organisation's requests, newest first, from the index that fits the
/// filter (`…_request_log.sql`: one per filter, each ordered by time).
pub fn list_query(organisation_id: i64, filter: &Filter, limit: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {COLUMNS} FROM request_log WHERE organisation_id = "
    ));
    query.bind(organisation_id);
    if let Some(prefix) = &filter.key_prefix {
        query.push(" AND key_prefix = ").bind(prefix.as_str());
    }
    if let Some(class) = filter.class {
        query.push(" AND status_class = ").bind(class.digit());
        // The class index leaves successes out; its condition, written out,
        // lets both planners use it for the other classes.
        if class != StatusClass::Success {
            query.push(" AND status_class <> 2");
        }
    }
    if let Some(outcome) = filter.outcome {
        query.push(" AND outcome = ").bind(outcome.key());
    }
    if let Some(code) = &filter.code {
        query.push(" AND error_code = ").bind(code.as_str());
    }
    if let Some(route) = &filter.route {
        query.push(" AND route = ").bind(route.as_str());
    }
    if let Some(from) = filter.from {
        query.push(" AND occurred_at >= ").bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND occurred_at < ").bind(to);
    }
    if let Some((at, id)) = filter.before {
        query.push(" AND (occurred_at, id) < (").bind(at);
        query.push(", ").bind(id).push(")");
    }
    query
        .push(" ORDER BY occurred_at DESC, id DESC LIMIT ")
        .bind(limit);
    query
}

pub async fn list(
    db: &Db,
    organisation_id: i64,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<LoggedRequest>, sqlx::Error> {
    let rows: Vec<Row> = list_query(organisation_id, filter, limit)
        .query_as()
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(LoggedRequest::from).collect())
}

/// One of the organisation's requests, by its id.
pub async fn find(
    db: &Db,
    organisation_id: i64,
    request_id: &str,
) -> Result<Option<LoggedRequest>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM request_log WHERE organisation_id = $1 AND request_id = $2"
    ))
    .bind(organisation_id)
    .bind(request_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(LoggedRequest::from))
}

/// Deletes one organisation's requests older than `before` (ms), through
/// `request_log_by_time`: the log has no index on age alone, which every
/// written row would pay for.
pub fn prune_query(organisation_id: i64, before: i64) -> Filtered {
    let mut query = Filtered::new("DELETE FROM request_log WHERE organisation_id = ");
    query
        .bind(organisation_id)
        .push(" AND occurred_at < ")
        .bind(before);
    query
}

/// Forgets requests older than `before` (ms), organisation by organisation.
pub async fn prune(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let organisations: Vec<i64> = sqlx::query_scalar("SELECT id FROM organisations")
        .fetch_all(db)
        .await?;
    let mut deleted = 0;
    for organisation_id in organisations {
        deleted += prune_query(organisation_id, before)
            .query()
            .execute(db)
            .await?
            .rows_affected();
    }
    Ok(deleted)
}
