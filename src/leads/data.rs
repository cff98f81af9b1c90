//! SQL for leads. Every query is scoped by organisation in SQL, so another
//! organisation's lead is simply not found.

use sqlx::FromRow;

use crate::platform::db::{Backend, Conn, Filtered};

use super::domain::{Lead, LeadFilter, LeadInput, LeadStatus, Tombstone};
use crate::platform::clock::from_millis;
use crate::platform::db::escape_like;
use crate::platform::Db;

#[derive(FromRow)]
struct Row {
    id: i64,
    name: String,
    email: String,
    company: String,
    phone: String,
    status: String,
    source: String,
    notes: String,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Lead {
    fn from(r: Row) -> Self {
        Lead {
            id: r.id,
            name: r.name,
            email: r.email,
            company: r.company,
            phone: r.phone,
            status: LeadStatus::parse(&r.status).unwrap_or(LeadStatus::New),
            source: r.source,
            notes: r.notes,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        }
    }
}

const COLUMNS: &str =
    "id, name, email, company, phone, status, source, notes, created_at, updated_at";

/// Search needs this many characters to use its index (trigrams); shorter
/// text is looked for in the organisation's leads one by one.
pub const SEARCH_INDEXED_FROM: usize = 3;

/// The list query for the filters present, and only those, so that each
/// combination is answered from an index (`migrations/*/…_list_indexes.sql`
/// and `…_lead_search.sql`; the plan tests check it).
pub fn list_query(
    backend: Backend,
    organisation_id: i64,
    filter: &LeadFilter,
    limit: i64,
) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {COLUMNS} FROM leads WHERE organisation_id = "
    ));
    query.bind(organisation_id);
    if let Some(status) = filter.status {
        query.push(" AND status = ").bind(status.key());
    }
    if !filter.q.is_empty() {
        search(&mut query, backend, filter.q.as_str());
    }
    match filter.updated_since {
        Some(since) => {
            query.push(" AND updated_at >= ").bind(since);
            if let Some((updated_at, id)) = filter.changed_after {
                query.push(" AND (updated_at, id) > (").bind(updated_at);
                query.push(", ").bind(id).push(")");
            }
            query.push(" ORDER BY updated_at, id LIMIT ").bind(limit);
        }
        None => {
            if let Some(before) = filter.before_id {
                query.push(" AND id < ").bind(before);
            }
            query.push(" ORDER BY id DESC LIMIT ").bind(limit);
        }
    }
    query
}

/// "Name, email or company contains `q`", in any case, accents or not.
fn search(query: &mut Filtered, backend: Backend, q: &str) {
    match backend {
        // The trigram index matches a quoted phrase as a substring, folding
        // case and accents as it does for the rows.
        Backend::Sqlite if q.chars().count() >= SEARCH_INDEXED_FROM => {
            let phrase = format!("\"{}\"", q.replace('"', "\"\""));
            query
                .push(" AND id IN (SELECT rowid FROM leads_search WHERE leads_search MATCH ")
                .bind(phrase)
                .push(")");
        }
        // Too short for trigrams: any case (SQLite's LOWER folds ASCII only).
        Backend::Sqlite => {
            let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
            query.push(" AND (LOWER(name) LIKE ").bind(pattern.as_str());
            query
                .push(" ESCAPE '\\' OR LOWER(email) LIKE ")
                .bind(pattern.as_str());
            query
                .push(" ESCAPE '\\' OR LOWER(company) LIKE ")
                .bind(pattern);
            query.push(" ESCAPE '\\')");
        }
        // One trigram GIN index per column, on the folded text; an email
        // address (text around an "@") from its local part's B-tree instead
        // (`…_email_search.sql`), as its trigrams may be in most rows.
        Backend::Postgres => {
            let needle = escape_like(q);
            let mut sep = " AND (";
            for column in ["name", "email", "company"] {
                query.push(sep);
                sep = " OR ";
                if column == "email" && email_shaped(q) {
                    let n = query.next_placeholder();
                    let local = "reverse(split_part(leadline_fold(email), '@', 1))";
                    let wanted = format!("reverse(split_part(leadline_fold(${n}), '@', 1))");
                    query.push_with(
                        &format!(
                            "({local} ~>=~ {wanted} AND {local} ~<~ ({wanted} || chr(1114111)) AND "
                        ),
                        q,
                    );
                }
                query
                    .push(&format!("leadline_fold({column}) LIKE '%' || leadline_fold("))
                    .bind(needle.as_str())
                    .push(") || '%'");
                if column == "email" && email_shaped(q) {
                    query.push(")");
                }
            }
            query.push(")");
            // Planned for its values each time: a plan cached for any
            // pattern cannot use the indexes above.
            query.plan_each_time();
        }
    }
}

/// Text with something before its first "@", and no second one: in an
/// address, that text ends its local part, so the local part's B-tree finds it.
fn email_shaped(q: &str) -> bool {
    q.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.contains('@'))
}

pub async fn list(
    db: &Db,
    organisation_id: i64,
    filter: &LeadFilter,
    limit: i64,
) -> Result<Vec<Lead>, sqlx::Error> {
    let query = list_query(Backend::of_pool(db), organisation_id, filter, limit);
    let rows: Vec<Row> = query.query_as().fetch_all(db).await?;
    Ok(rows.into_iter().map(Lead::from).collect())
}

pub async fn find(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
) -> Result<Option<Lead>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM leads WHERE organisation_id = $1 AND id = $2"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Lead::from))
}

pub async fn insert(
    conn: &mut Conn,
    organisation_id: i64,
    lead: &LeadInput,
    now: i64,
) -> Result<Lead, sqlx::Error> {
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO leads (organisation_id, name, email, company, phone, status, source, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
    ))
    .bind(organisation_id)
    .bind(&lead.name)
    .bind(&lead.email)
    .bind(&lead.company)
    .bind(&lead.phone)
    .bind(lead.status.key())
    .bind(&lead.source)
    .bind(&lead.notes)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    // SQLite may give a new lead the id of a deleted one: the old tombstone
    // goes, so that a sync client takes the new lead in place of the old
    // (and never removes it as deleted).
    sqlx::query("DELETE FROM deleted_leads WHERE lead_id = $1")
        .bind(row.id)
        .execute(&mut *conn)
        .await?;
    Ok(row.into())
}

pub async fn update(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
    lead: &LeadInput,
    now: i64,
) -> Result<Option<Lead>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "UPDATE leads SET name = $1, email = $2, company = $3, phone = $4, status = $5, source = $6, notes = $7, updated_at = $8
         WHERE organisation_id = $9 AND id = $10 RETURNING {COLUMNS}"
    ))
    .bind(&lead.name)
    .bind(&lead.email)
    .bind(&lead.company)
    .bind(&lead.phone)
    .bind(lead.status.key())
    .bind(&lead.source)
    .bind(&lead.notes)
    .bind(now)
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Lead::from))
}

/// Deletes a lead and leaves its tombstone (id and time) for sync clients,
/// in the same transaction.
pub async fn delete(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
    now: i64,
) -> Result<Option<Lead>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "DELETE FROM leads WHERE organisation_id = $1 AND id = $2 RETURNING {COLUMNS}"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if row.is_some() {
        sqlx::query(
            "INSERT INTO deleted_leads (lead_id, organisation_id, deleted_at) VALUES ($1, $2, $3)
             ON CONFLICT (lead_id) DO UPDATE SET organisation_id = excluded.organisation_id, deleted_at = excluded.deleted_at",
        )
        .bind(id)
        .bind(organisation_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(row.map(Lead::from))
}

/// How long a deleted lead's tombstone is kept for sync clients.
pub const TOMBSTONE_DAYS: i64 = 30;

/// Leads deleted at or after `since`, oldest first, after `after`
/// (`deleted_at`, `lead_id`).
pub fn deleted_query(
    organisation_id: i64,
    since: i64,
    after: Option<(i64, i64)>,
    limit: i64,
) -> Filtered {
    let mut query =
        Filtered::new("SELECT lead_id, deleted_at FROM deleted_leads WHERE organisation_id = ");
    query.bind(organisation_id);
    query.push(" AND deleted_at >= ").bind(since);
    if let Some((deleted_at, id)) = after {
        query
            .push(" AND (deleted_at, lead_id) > (")
            .bind(deleted_at);
        query.push(", ").bind(id).push(")");
    }
    query
        .push(" ORDER BY deleted_at, lead_id LIMIT ")
        .bind(limit);
    query
}

pub async fn deleted(
    db: &Db,
    organisation_id: i64,
    since: i64,
    after: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<Tombstone>, sqlx::Error> {
    deleted_query(organisation_id, since, after, limit)
        .query_as()
        .fetch_all(db)
        .await
}

/// Forgets tombstones older than `TOMBSTONE_DAYS`.
pub async fn prune_tombstones(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM deleted_leads WHERE deleted_at < $1")
            .bind(now - TOMBSTONE_DAYS * 24 * 3_600_000)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
