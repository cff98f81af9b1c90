//! SQL for leads. Every query is scoped by organisation in SQL, so another
//! organisation's lead is simply not found.

use sqlx::FromRow;

use crate::platform::db::{Backend, Conn, Filtered};

use super::domain::{Lead, LeadFilter, LeadInput, LeadStatus, Tombstone};
use crate::platform::clock::from_millis;
use crate::platform::db::escape_like;
use crate::platform::text::fold;
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
        search(&mut query, backend, organisation_id, filter.q.as_str());
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
fn search(query: &mut Filtered, backend: Backend, organisation_id: i64, q: &str) {
    let address = EmailSearch::of(q);
    match backend {
        // Trigram indexes match a quoted phrase as a substring, folding case
        // and accents as they do for the rows: one for names and companies,
        // one for e-mails, unless the e-mail keys answer.
        Backend::Sqlite if q.chars().count() >= SEARCH_INDEXED_FROM => {
            let phrase = format!("\"{}\"", q.replace('"', "\"\""));
            query
                .push(" AND id IN (SELECT rowid FROM leads_search WHERE leads_search MATCH ")
                .bind(phrase.as_str());
            match &address {
                Some(address) => {
                    query
                        .push(" UNION SELECT id FROM leads WHERE organisation_id = ")
                        .bind(organisation_id)
                        .push(" AND ");
                    address.push(query);
                }
                None => {
                    query
                        .push(" UNION SELECT rowid FROM leads_search_email WHERE leads_search_email MATCH ")
                        .bind(phrase);
                }
            }
            query.push(")");
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
        // One trigram GIN index per column, on the folded text; an e-mail
        // address from the e-mail keys instead.
        Backend::Postgres => {
            let needle = escape_like(q);
            let mut sep = " AND (";
            for column in ["name", "email", "company"] {
                query.push(sep);
                sep = " OR ";
                match &address {
                    Some(address) if column == "email" => {
                        query.push("(");
                        address.push(query);
                        query.push(")");
                    }
                    _ => {
                        query
                            .push(&format!(
                                "leadline_fold({column}) LIKE '%' || leadline_fold("
                            ))
                            .bind(needle.as_str())
                            .push(") || '%'");
                    }
                }
            }
            query.push(")");
            // Planned for its values each time: a plan cached for any
            // pattern cannot use the indexes above.
            query.plan_each_time();
        }
    }
}

/// A search for an e-mail address or its part around the "@": text with
/// something before its first "@", and no second one. In an address, that
/// text ends the local part, and what follows it starts the domain, so the
/// e-mail keys (`…_email_keys.sql`) find it by a range of their index.
struct EmailSearch {
    /// The folded text before the "@", reversed: where the range starts.
    local_key: String,
    /// The folded text after the "@", which the domain starts with.
    domain: String,
}

impl EmailSearch {
    fn of(q: &str) -> Option<Self> {
        let (local, domain) = q.split_once('@')?;
        if local.is_empty() || domain.contains('@') {
            return None;
        }
        let (local_key, domain) = email_keys(q);
        Some(EmailSearch { local_key, domain })
    }

    /// "Local part ends with …, domain starts with …": a prefix range over
    /// the reversed local parts (U+10FFFF sorts after every character).
    fn push(&self, query: &mut Filtered) {
        query
            .push("email_local_key >= ")
            .bind(self.local_key.as_str());
        query
            .push(" AND email_local_key < ")
            .bind(format!("{}\u{10FFFF}", self.local_key));
        if !self.domain.is_empty() {
            query
                .push(" AND email_domain_key LIKE ")
                .bind(format!("{}%", escape_like(&self.domain)));
            query.push(" ESCAPE '\\'");
        }
    }
}

/// A lead's e-mail search keys: its local part folded and reversed, and
/// its domain folded. Emails hold at most one "@" (`LeadInput::parse`).
pub fn email_keys(email: &str) -> (String, String) {
    let folded = fold(email);
    let (local, domain) = folded.split_once('@').unwrap_or((folded.as_str(), ""));
    (local.chars().rev().collect(), domain.to_owned())
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
    let (local_key, domain_key) = email_keys(&lead.email);
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO leads (organisation_id, name, email, company, phone, status, source, notes, created_at, updated_at,
                            email_local_key, email_domain_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLUMNS}"
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
    .bind(&local_key)
    .bind(&domain_key)
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
    let (local_key, domain_key) = email_keys(&lead.email);
    let row: Option<Row> = sqlx::query_as(&format!(
        "UPDATE leads SET name = $1, email = $2, company = $3, phone = $4, status = $5, source = $6, notes = $7, updated_at = $8,
                          email_local_key = $11, email_domain_key = $12
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
    .bind(&local_key)
    .bind(&domain_key)
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

/// Leads whose e-mail keys are not filled yet, from `leads_email_keys_unfilled`
/// (empty once every lead has them).
pub fn unfilled_query(after: i64, batch: i64) -> Filtered {
    let mut query =
        Filtered::new("SELECT id, email FROM leads WHERE email_local_key IS NULL AND id > ");
    query.bind(after).push(" ORDER BY id LIMIT ").bind(batch);
    query
}

/// Fills the e-mail keys of up to `batch` leads written before they existed
/// (id above `after`), and answers the last id it filled and how many, or
/// None when none is left.
pub async fn fill_email_keys(
    db: &Db,
    after: i64,
    batch: i64,
) -> Result<Option<(i64, u64)>, sqlx::Error> {
    let rows: Vec<(i64, String)> = unfilled_query(after, batch)
        .query_as()
        .fetch_all(db)
        .await?;
    let Some(&(last, _)) = rows.last() else {
        return Ok(None);
    };
    // One statement per batch: a CTE of the new keys, joined by id.
    let mut sql = String::from("WITH filled (id, local_key, domain_key) AS (VALUES ");
    sql.push_str(&crate::platform::db::row_placeholders(
        crate::platform::db::Backend::of_pool(db),
        rows.len(),
        3,
    ));
    sql.push_str(
        ") UPDATE leads SET email_local_key = filled.local_key, email_domain_key = filled.domain_key
         FROM filled WHERE leads.id = filled.id",
    );
    let mut update = sqlx::query(&sql);
    for (id, email) in &rows {
        let (local_key, domain_key) = email_keys(email);
        update = update.bind(*id).bind(local_key).bind(domain_key);
    }
    let filled = update.execute(db).await?.rows_affected();
    Ok(Some((last, filled)))
}

#[cfg(test)]
mod tests {
    use super::{email_keys, EmailSearch};

    #[test]
    fn an_address_is_kept_as_its_reversed_local_part_and_its_domain() {
        assert_eq!(
            email_keys("Élodie@Mail.example"),
            ("eidole".to_owned(), "mail.example".to_owned())
        );
        assert_eq!(email_keys(""), (String::new(), String::new()));
    }

    #[test]
    fn only_text_with_one_at_and_something_before_it_is_read_as_an_address() {
        let address = EmailSearch::of("ADA@analytical").unwrap();
        assert_eq!(
            (address.local_key.as_str(), address.domain.as_str()),
            ("ada", "analytical")
        );
        assert_eq!(EmailSearch::of("m@").unwrap().domain, "");
        for not_an_address in ["@navy", "a@b@c", "ada", ""] {
            assert!(
                EmailSearch::of(not_an_address).is_none(),
                "{not_an_address}"
            );
        }
    }
}
