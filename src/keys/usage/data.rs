//! SQL for key usage. Every write is an additive increment, so instances
//! flushing at once never overwrite each other.

use super::domain::NewRefusal;
use sqlx::FromRow;

use super::domain::{RefusedRequest, TopKey};
use crate::platform::clock::from_millis;
use crate::platform::db::{Conn, Filtered};
use crate::platform::Db;

/// Adds `requests` to a key's bucket, unless the key was deleted meanwhile.
pub async fn add(
    conn: &mut Conn,
    key_id: i64,
    organisation_id: i64,
    hour: i64,
    class: &str,
    requests: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO key_usage (key_id, organisation_id, hour, outcome, requests)
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = $1)
         ON CONFLICT (key_id, hour, outcome) DO UPDATE SET requests = key_usage.requests + excluded.requests",
    )
    .bind(key_id)
    .bind(organisation_id)
    .bind(hour)
    .bind(class)
    .bind(requests)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn add_refusal(conn: &mut Conn, r: &NewRefusal) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO key_refusals (key_id, organisation_id, occurred_at, code, method, path, client_ip)
         SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = $1)",
    )
    .bind(r.key_id)
    .bind(r.organisation_id)
    .bind(r.occurred_at)
    .bind(r.code)
    .bind(&r.method)
    .bind(&r.path)
    .bind(&r.client_ip)
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps only the newest `keep` refusals of a key.
pub async fn trim_refusals(conn: &mut Conn, key_id: i64, keep: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM key_refusals WHERE key_id = $1 AND id NOT IN
           (SELECT id FROM key_refusals WHERE key_id = $1 ORDER BY id DESC LIMIT $2)",
    )
    .bind(key_id)
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(())
}

/// Drops usage older than `before` (ms); returns the rows removed.
pub async fn prune(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let buckets = sqlx::query("DELETE FROM key_usage WHERE hour < $1")
        .bind(before)
        .execute(db)
        .await?
        .rows_affected();
    let refusals = sqlx::query("DELETE FROM key_refusals WHERE occurred_at < $1")
        .bind(before)
        .execute(db)
        .await?
        .rows_affected();
    Ok(buckets + refusals)
}

/// A key's usage is history: it goes with the key.
pub async fn forget_key(conn: &mut Conn, key_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM key_usage WHERE key_id = $1")
        .bind(key_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM key_refusals WHERE key_id = $1")
        .bind(key_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct BucketRow {
    pub hour: i64,
    pub outcome: String,
    pub requests: i64,
}

/// A key's hourly counts since `from`, from its primary key (the plan
/// tests check each query of this module).
pub fn key_buckets_query(key_id: i64, from: i64) -> Filtered {
    let mut query = Filtered::new("SELECT hour, outcome, requests FROM key_usage WHERE key_id = ");
    query.bind(key_id).push(" AND hour >= ").bind(from);
    query
}

pub async fn key_buckets(db: &Db, key_id: i64, from: i64) -> Result<Vec<BucketRow>, sqlx::Error> {
    key_buckets_query(key_id, from)
        .query_as()
        .fetch_all(db)
        .await
}

pub fn organisation_buckets_query(organisation_id: i64, from: i64) -> Filtered {
    let mut query = Filtered::new(
        "SELECT hour, outcome, CAST(SUM(requests) AS BIGINT) AS requests FROM key_usage
         WHERE organisation_id = ",
    );
    query
        .bind(organisation_id)
        .push(" AND hour >= ")
        .bind(from)
        .push(" GROUP BY hour, outcome");
    query
}

pub async fn organisation_buckets(
    db: &Db,
    organisation_id: i64,
    from: i64,
) -> Result<Vec<BucketRow>, sqlx::Error> {
    organisation_buckets_query(organisation_id, from)
        .query_as()
        .fetch_all(db)
        .await
}

/// The organisation's counts in the window, from its index, with the
/// outcome filter only when there is one.
pub fn requests_by_key_query(organisation_id: i64, from: i64, class: Option<&str>) -> Filtered {
    let mut query = Filtered::new(
        "SELECT k.id, k.name, k.prefix, CAST(SUM(u.requests) AS BIGINT) AS requests
         FROM key_usage u JOIN api_keys k ON k.id = u.key_id
         WHERE u.organisation_id = ",
    );
    query
        .bind(organisation_id)
        .push(" AND u.hour >= ")
        .bind(from);
    if let Some(class) = class {
        query.push(" AND u.outcome = ").bind(class);
    }
    query.push(" GROUP BY k.id, k.name, k.prefix ORDER BY requests DESC, k.id DESC");
    query
}

/// Requests per key of the organisation since `from` (ms), busiest first;
/// with `class`, only those stored under it.
pub async fn requests_by_key(
    db: &Db,
    organisation_id: i64,
    from: i64,
    class: Option<&str>,
) -> Result<Vec<TopKey>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        id: i64,
        name: String,
        prefix: String,
        requests: i64,
    }
    let rows: Vec<Row> = requests_by_key_query(organisation_id, from, class)
        .query_as()
        .fetch_all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| TopKey {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            requests: r.requests,
        })
        .collect())
}

/// A key's latest refusals, newest first, from `key_refusals_by_key`.
pub fn refusals_query(key_id: i64, limit: i64) -> Filtered {
    let mut query = Filtered::new(
        "SELECT occurred_at, code, method, path, client_ip FROM key_refusals WHERE key_id = ",
    );
    query
        .bind(key_id)
        .push(" ORDER BY id DESC LIMIT ")
        .bind(limit);
    query
}

pub async fn refusals(
    db: &Db,
    key_id: i64,
    limit: i64,
) -> Result<Vec<RefusedRequest>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        occurred_at: i64,
        code: String,
        method: String,
        path: String,
        client_ip: String,
    }
    let rows: Vec<Row> = refusals_query(key_id, limit)
        .query_as()
        .fetch_all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| RefusedRequest {
            at: from_millis(r.occurred_at),
            code: r.code,
            method: r.method,
            path: r.path,
            client: r.client_ip,
        })
        .collect())
}

/// The key (and its organisation) with this prefix: a wrong secret for a
/// known prefix is counted against that key, as refused.
pub async fn key_by_prefix(db: &Db, prefix: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT id, organisation_id FROM api_keys WHERE prefix = $1")
        .bind(prefix)
        .fetch_optional(db)
        .await
}
