//! SQL for API keys. Every dashboard query is scoped by organisation in SQL.

use super::verify::Credential;
use sqlx::FromRow;

use crate::platform::db::{Conn, Filtered};

use super::domain::{
    Expiry, IpAllowlist, KeyPolicy, KeyStatus, KeySummary, Permissions, Revocation, EXPIRY_WARNING,
};
use crate::platform::clock::from_millis;
use crate::platform::Db;

#[derive(Debug, Clone, FromRow)]
pub struct KeyRow {
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub prefix: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub can_read: bool,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub can_create: bool,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub can_update: bool,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub can_delete: bool,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    pub rolled_from: Option<String>,
    pub allowed_ips: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub is_playground: bool,
    pub created_at: i64,
    pub created_by: Option<i64>,
    pub created_by_email: Option<String>,
    pub last_used_at: Option<i64>,
    pub request_count: i64,
}

impl KeyRow {
    pub fn permissions(&self) -> Permissions {
        Permissions {
            read: self.can_read,
            create: self.can_create,
            update: self.can_update,
            delete: self.can_delete,
        }
    }

    pub fn expiry(&self) -> Expiry {
        self.expires_at
            .map_or(Expiry::NEVER, |ms| Expiry::at(from_millis(ms)))
    }

    pub fn status(&self, now: chrono::DateTime<chrono::Utc>) -> KeyStatus {
        KeyStatus::of(self.revocation(), self.expiry(), now)
    }

    pub fn revocation(&self) -> Revocation {
        Revocation::from_stored(self.revoked_at, self.revoked_reason.as_deref())
    }

    pub fn summary(&self, now: chrono::DateTime<chrono::Utc>) -> KeySummary {
        let status = self.status(now);
        let now_ms = now.timestamp_millis();
        KeySummary {
            id: self.id,
            name: self.name.clone(),
            prefix: self.prefix.clone(),
            permissions: self.permissions(),
            status,
            revoked_at: self.revoked_at.map(from_millis),
            revoked_reason: self.revoked_reason.clone(),
            rolled_from: self.rolled_from.clone(),
            allowed_ips: IpAllowlist::from_stored(&self.allowed_ips).entries(),
            retires_in_ms: self
                .revoked_at
                .filter(|_| status == KeyStatus::Retiring)
                .map(|at| at - now_ms),
            expires_in_ms: self
                .expires_at
                .map(|at| at - now_ms)
                .filter(|left| status.works() && *left <= EXPIRY_WARNING.num_milliseconds()),
            calls_24h: 0,
            unused: status.works()
                && self.last_used_at.unwrap_or(self.created_at)
                    < now_ms
                        - crate::keys::usage::domain::UNUSED_DAYS
                            * crate::keys::usage::domain::DAY_MS,
            expires_at: self.expires_at.map(from_millis),
            created_at: from_millis(self.created_at),
            created_by: self
                .created_by_email
                .clone()
                .unwrap_or_else(|| "(deleted user)".into()),
            last_used_at: self.last_used_at.map(from_millis),
            request_count: self.request_count,
            is_playground: self.is_playground,
        }
    }
}

const COLUMNS: &str = "k.id, k.organisation_id, k.name, k.prefix, CAST(k.can_read AS INTEGER) AS can_read,
    CAST(k.can_create AS INTEGER) AS can_create, CAST(k.can_update AS INTEGER) AS can_update,
    CAST(k.can_delete AS INTEGER) AS can_delete, k.expires_at, k.revoked_at, k.revoked_reason, k.rolled_from, k.allowed_ips,
    CAST(k.is_playground AS INTEGER) AS is_playground, k.created_at, k.created_by, u.email AS created_by_email, k.last_used_at, k.request_count";

pub struct InsertKey<'a> {
    pub organisation_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub permissions: Permissions,
    pub expires_at: Option<i64>,
    pub is_playground: bool,
    pub created_by: i64,
    pub created_at: i64,
    pub rolled_from: Option<&'a str>,
    pub allowed_ips: &'a str,
}

pub async fn insert(conn: &mut Conn, key: InsertKey<'_>) -> Result<i64, sqlx::Error> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO api_keys (organisation_id, name, prefix, key_hash, can_read, can_create, can_update, can_delete,
                               expires_at, is_playground, created_by, created_at, rolled_from, allowed_ips, checksummed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, TRUE) RETURNING id",
    )
    .bind(key.organisation_id)
    .bind(key.name)
    .bind(key.prefix)
    .bind(key.key_hash)
    .bind(key.permissions.read)
    .bind(key.permissions.create)
    .bind(key.permissions.update)
    .bind(key.permissions.delete)
    .bind(key.expires_at)
    .bind(key.is_playground)
    .bind(key.created_by)
    .bind(key.created_at)
    .bind(key.rolled_from)
    .bind(key.allowed_ips)
    .fetch_one(conn)
    .await?;
    Ok(id.0)
}

/// "This key works at `now`" in SQL, for every query that needs it: not
/// revoked (or retiring: rolled with a grace period that ends later) and
/// not expired. The same rule as `KeyStatus::of(..).works()`, which a test
/// checks over a table of cases on both backends. `alias` is the table's
/// alias with its dot (`"k."`) or empty; `now` is a placeholder or a cast.
pub fn works_at(alias: &str, now: &str) -> String {
    format!(
        "({alias}revoked_at IS NULL OR ({alias}revoked_reason = '{rolled}' AND {alias}revoked_at > {now})) \
         AND ({alias}expires_at IS NULL OR {alias}expires_at > {now})",
        rolled = Revocation::ROLLED
    )
}

/// Which keys the list shows.
#[derive(Debug, Clone, Copy)]
pub enum KeyFilter {
    All,
    /// Working keys last used (or, never used, created) before this (ms).
    UnusedSince {
        before: i64,
        now: i64,
    },
}

impl KeyFilter {
    /// Adds the filter's condition on `k`, if it has one: only the
    /// conditions present reach the planner.
    fn push_condition(self, query: &mut Filtered) {
        if let Self::UnusedSince { before, now } = self {
            // Typed explicitly: PostgreSQL would infer a bare `$n` in a
            // comparison with a BIGINT expression as a 4-byte integer.
            query.push(" AND COALESCE(k.last_used_at, k.created_at) < CAST(");
            query.bind(before).push(" AS BIGINT) AND ");
            // `now` is bound once and named twice by `works_at`.
            let now_cast = format!("CAST(${} AS BIGINT)", query.next_placeholder());
            query.push_with(&works_at("k.", &now_cast), now);
        }
    }
}

/// The organisation's keys, newest first, a page at a time (the plan tests
/// check it is read from `api_keys_by_organisation`).
pub fn list_query(organisation_id: i64, filter: KeyFilter, limit: i64, offset: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.organisation_id = "
    ));
    query.bind(organisation_id);
    filter.push_condition(&mut query);
    query
        .push(" ORDER BY k.id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    query
}

pub async fn list(
    db: &Db,
    organisation_id: i64,
    filter: KeyFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<KeyRow>, sqlx::Error> {
    list_query(organisation_id, filter, limit, offset)
        .query_as()
        .fetch_all(db)
        .await
}

/// How many keys `filter` picks, counted up to `at_most` and one more: a
/// count of every key would read all of an organisation's index entries.
pub fn count_query(organisation_id: i64, filter: KeyFilter, at_most: i64) -> Filtered {
    let mut query =
        Filtered::new("SELECT COUNT(*) FROM (SELECT 1 FROM api_keys k WHERE k.organisation_id = ");
    query.bind(organisation_id);
    filter.push_condition(&mut query);
    query.push(" LIMIT ").bind(at_most.saturating_add(1));
    query.push(") AS counted");
    query
}

/// The number of keys `filter` picks, if at most `at_most`; None when
/// there are more.
pub async fn count(
    db: &Db,
    organisation_id: i64,
    filter: KeyFilter,
    at_most: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let (n,): (i64,) = count_query(organisation_id, filter, at_most)
        .query_as()
        .fetch_one(db)
        .await?;
    Ok((n <= at_most).then_some(n))
}

pub async fn find(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.organisation_id = $1 AND k.id = $2"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Platform-admin look-up across organisations, by the displayed prefix.
pub async fn find_by_prefix(conn: &mut Conn, prefix: &str) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.prefix = $1"
    ))
    .bind(prefix)
    .fetch_optional(conn)
    .await
}

pub async fn update(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
    name: &str,
    permissions: Permissions,
    allowed_ips: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_keys SET name = $1, can_read = $2, can_create = $3, can_update = $4, can_delete = $5,
                             allowed_ips = $6
         WHERE organisation_id = $7 AND id = $8",
    )
    .bind(name)
    .bind(permissions.read)
    .bind(permissions.create)
    .bind(permissions.update)
    .bind(permissions.delete)
    .bind(allowed_ips)
    .bind(organisation_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Revokes (at `revoked_at`, which may be later: a retiring key), or with
/// `None` makes the key active again. `reason` says why when it was not a
/// person's choice.
pub async fn set_revoked_at(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
    revoked_at: Option<i64>,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_keys SET revoked_at = $1, revoked_reason = $2 WHERE organisation_id = $3 AND id = $4",
    )
    .bind(revoked_at)
    .bind(reason)
    .bind(organisation_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a key and its usage: once deleted there's no history of it
/// (apart from audit log entries).
pub async fn delete(conn: &mut Conn, organisation_id: i64, id: i64) -> Result<(), sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM api_keys WHERE organisation_id = $1 AND id = $2")
        .bind(organisation_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if deleted > 0 {
        crate::keys::usage::data::forget_key(conn, id).await?;
    }
    Ok(())
}

/// Playground keys of one user that still work at `now`.
pub async fn count_live_playground(
    conn: &mut Conn,
    user_id: i64,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let n: (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM api_keys WHERE created_by = $1 AND is_playground AND {}",
        works_at("", "$2")
    ))
    .bind(user_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n.0)
}

pub async fn find_credential(db: &Db, key_hash: &str) -> Result<Option<Credential>, sqlx::Error> {
    let found: Option<Credential> = sqlx::query_as(&format!(
        "SELECT {COLUMNS},
                EXISTS (SELECT 1 FROM organisation_flags f
                        WHERE f.organisation_id = k.organisation_id AND f.flag = 'developer-api') AS developer_api
         FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.key_hash = $1"
    ))
    .bind(key_hash)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|mut credential| {
        credential.allowlist = IpAllowlist::from_stored(&credential.key.allowed_ips);
        credential
    }))
}

pub async fn add_usage(
    conn: &mut Conn,
    id: i64,
    last_used_at: i64,
    requests: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_keys
         SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < $1 THEN $1 ELSE last_used_at END,
             request_count = request_count + $2
         WHERE id = $3",
    )
    .bind(last_used_at)
    .bind(requests)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The working keys a user created, in one organisation (what removing
/// them offers to revoke) or in every one (`None`: disabling their account,
/// resetting their password).
pub async fn live_keys_created_by(
    conn: &mut Conn,
    organisation_id: Option<i64>,
    user_id: i64,
    now: i64,
) -> Result<Vec<KeyRow>, sqlx::Error> {
    let mut query = Filtered::new(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.created_by = "
    ));
    query.bind(user_id);
    if let Some(organisation_id) = organisation_id {
        query
            .push(" AND k.organisation_id = ")
            .bind(organisation_id);
    }
    let n = query.next_placeholder();
    query.push_with(
        &format!(
            " AND {} ORDER BY k.organisation_id, k.id DESC",
            works_at("k.", &format!("${n}"))
        ),
        now,
    );
    query.query_as().fetch_all(conn).await
}

/// The key with this hash if it still works (or is only scheduled to
/// stop): what a leak report revokes.
pub async fn find_live_by_hash(
    conn: &mut Conn,
    key_hash: &str,
    now: i64,
) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.key_hash = $1 AND {}",
        works_at("k.", "$2")
    ))
    .bind(key_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Whether any of these hashes is a working key's: one indexed read, with
/// no write lock, so that a leak report of made-up tokens costs no more.
pub async fn any_live_among(db: &Db, key_hashes: &[&str], now: i64) -> Result<bool, sqlx::Error> {
    if key_hashes.is_empty() {
        return Ok(false);
    }
    let mut query = Filtered::new("SELECT k.id FROM api_keys k WHERE k.key_hash IN (");
    for (i, hash) in key_hashes.iter().enumerate() {
        query.push(if i == 0 { "" } else { ", " }).bind(*hash);
    }
    let n = query.next_placeholder();
    query.push_with(
        &format!(") AND {} LIMIT 1", works_at("k.", &format!("${n}"))),
        now,
    );
    let found: Option<(i64,)> = query.query_as().fetch_optional(db).await?;
    Ok(found.is_some())
}

/// What the Developer page's banners count, over all of the organisation's
/// keys (not only the page shown). Playground keys, which last an hour by
/// design, are not warned about.
#[derive(Debug, Clone, Copy)]
pub struct KeyAlerts {
    pub expiring_soon: i64,
    pub leaked: i64,
}

/// Working keys (not playground ones) that expire within the warning
/// period: a range of `api_keys_by_expiry`, however many keys there are.
pub fn expiring_soon_query(organisation_id: i64, now: i64) -> Filtered {
    let mut query = Filtered::new("SELECT COUNT(*) FROM api_keys WHERE organisation_id = ");
    query.bind(organisation_id);
    let n = query.next_placeholder();
    query.push_with(
        &format!(
            " AND expires_at > ${n} AND is_playground = FALSE AND {} AND expires_at <= ",
            works_at("", &format!("${n}"))
        ),
        now,
    );
    query.bind(now + EXPIRY_WARNING.num_milliseconds());
    query
}

/// Keys revoked as leaked: from `api_keys_leaked`.
pub fn leaked_query(organisation_id: i64, now: i64) -> Filtered {
    let mut query = Filtered::new("SELECT COUNT(*) FROM api_keys WHERE organisation_id = ");
    query.bind(organisation_id);
    query
        .push(&format!(
            " AND revoked_reason = '{}' AND revoked_at <= ",
            Revocation::LEAKED
        ))
        .bind(now);
    query
}

pub async fn alerts(db: &Db, organisation_id: i64, now: i64) -> Result<KeyAlerts, sqlx::Error> {
    let (expiring_soon,): (i64,) = expiring_soon_query(organisation_id, now)
        .query_as()
        .fetch_one(db)
        .await?;
    let (leaked,): (i64,) = leaked_query(organisation_id, now)
        .query_as()
        .fetch_one(db)
        .await?;
    Ok(KeyAlerts {
        expiring_soon,
        leaked,
    })
}

/// Prefixes of the keys made before checksums: the only tokens with a bad
/// checksum that may still be keys. No new ones are ever made.
pub async fn legacy_prefixes(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT prefix FROM api_keys WHERE checksummed = FALSE")
        .fetch_all(db)
        .await
}

#[derive(Debug, Clone, FromRow)]
struct PolicyRow {
    key_max_lifetime_days: Option<i64>,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    key_expiry_required: bool,
}

pub async fn policy(
    conn: impl sqlx::Executor<'_, Database = sqlx::Any>,
    organisation_id: i64,
) -> Result<KeyPolicy, sqlx::Error> {
    let row: Option<PolicyRow> = sqlx::query_as(
        "SELECT CAST(key_max_lifetime_days AS BIGINT) AS key_max_lifetime_days,
                CAST(key_expiry_required AS INTEGER) AS key_expiry_required
         FROM organisations WHERE id = $1",
    )
    .bind(organisation_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map_or_else(KeyPolicy::default, |r| KeyPolicy {
        max_lifetime_days: r.key_max_lifetime_days.and_then(|d| u32::try_from(d).ok()),
        expiry_required: r.key_expiry_required,
    }))
}

pub async fn set_policy(
    conn: &mut Conn,
    organisation_id: i64,
    policy: KeyPolicy,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE organisations SET key_max_lifetime_days = $1, key_expiry_required = $2 WHERE id = $3",
    )
    .bind(policy.max_lifetime_days.map(i64::from))
    .bind(policy.expiry_required)
    .bind(organisation_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Working keys (not retiring, not playground keys) whose expiry falls in
/// (`from`, `to`] and whose `key.expiring` notice for `ahead` ms before
/// expiry has not been recorded: found through `api_keys_expiring`, and the
/// notice through `key_events_once`.
pub fn expiring_query(from: i64, to: i64, ahead: i64, limit: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.is_playground = FALSE AND k.revoked_at IS NULL AND k.expires_at > "
    ));
    query.bind(from).push(" AND k.expires_at <= ").bind(to);
    query.push(
        " AND NOT EXISTS (SELECT 1 FROM key_events e WHERE e.key_id = k.id AND e.kind = 'key.expiring' AND e.due_at = k.expires_at - ",
    );
    query
        .bind(ahead)
        .push(") ORDER BY k.expires_at LIMIT ")
        .bind(limit);
    query
}

/// Keys nobody revoked that expired in (`from`, `to`], without their
/// `key.expired` event.
pub fn expired_query(from: i64, to: i64, limit: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.is_playground = FALSE AND k.revoked_at IS NULL AND k.expires_at > "
    ));
    query.bind(from).push(" AND k.expires_at <= ").bind(to);
    query.push(
        " AND NOT EXISTS (SELECT 1 FROM key_events e WHERE e.key_id = k.id AND e.kind = 'key.expired' AND e.due_at = k.expires_at)
          ORDER BY k.expires_at LIMIT ",
    );
    query.bind(limit);
    query
}

/// Rolled keys whose grace period ended in (`from`, `to`], without their
/// `key.retired` event (`api_keys_retiring`).
pub fn retired_query(from: i64, to: i64, limit: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.revoked_reason = '{rolled}' AND k.revoked_at > ",
        rolled = Revocation::ROLLED
    ));
    query.bind(from).push(" AND k.revoked_at <= ").bind(to);
    query.push(
        " AND NOT EXISTS (SELECT 1 FROM key_events e WHERE e.key_id = k.id AND e.kind = 'key.retired' AND e.due_at = k.revoked_at)
          ORDER BY k.revoked_at LIMIT ",
    );
    query.bind(limit);
    query
}

pub async fn keys_of(db: &Db, query: Filtered) -> Result<Vec<KeyRow>, sqlx::Error> {
    query.query_as().fetch_all(db).await
}

/// A key refused as revoked or expired, with how many such requests.
#[derive(Debug, FromRow)]
pub struct StillCalled {
    #[sqlx(flatten)]
    pub key: KeyRow,
    pub requests: i64,
}

/// Keys (not playground keys) refused as revoked or expired in the hours
/// from `from` (ms), without a `key.still_called` event for the day that
/// starts at `day` (`key_usage_by_hour`, then each key by its id).
pub fn still_called_query(from: i64, day: i64, limit: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {COLUMNS}, CAST(SUM(c.requests) AS BIGINT) AS requests
         FROM key_usage c JOIN api_keys k ON k.id = c.key_id LEFT JOIN users u ON u.id = k.created_by
         WHERE c.outcome = '{inactive}' AND k.is_playground = FALSE AND c.hour >= ",
        inactive = super::usage::domain::INACTIVE
    ));
    query.bind(from).push(
        " AND NOT EXISTS (SELECT 1 FROM key_events e WHERE e.key_id = k.id AND e.kind = 'key.still_called' AND e.due_at = ",
    );
    query
        .bind(day)
        .push(") GROUP BY k.id, u.id ORDER BY k.id LIMIT ")
        .bind(limit);
    query
}

pub async fn still_called(db: &Db, query: Filtered) -> Result<Vec<StillCalled>, sqlx::Error> {
    query.query_as().fetch_all(db).await
}
