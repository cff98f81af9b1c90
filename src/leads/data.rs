//! SQL for leads. Every query is scoped by organisation in SQL, so another
//! organisation's lead is simply not found.

use sqlx::FromRow;

use crate::server::db::Conn;

use super::domain::{Lead, LeadInput, LeadStatus};
use crate::auth::data::escape_like;
use crate::server::clock::from_millis;
use crate::server::Db;

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

#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub status: Option<LeadStatus>,
    pub updated_since: Option<i64>,
    /// Name, email or company contains this.
    pub q: String,
    /// Only leads older (smaller id) than this: the pagination cursor.
    pub before_id: Option<i64>,
}

pub async fn list(
    db: &Db,
    organisation_id: i64,
    filter: &LeadFilter,
    limit: i64,
) -> Result<Vec<Lead>, sqlx::Error> {
    // Any case: both sides lower-cased (SQLite's LOWER folds ASCII only).
    let q = escape_like(&filter.q.trim().to_lowercase());
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM leads
         WHERE organisation_id = $1
           AND ($2 IS NULL OR status = $2)
           AND ($3 IS NULL OR updated_at >= $3)
           AND ($4 = '' OR LOWER(name) LIKE '%' || $4 || '%' ESCAPE '\\'
                OR LOWER(email) LIKE '%' || $4 || '%' ESCAPE '\\'
                OR LOWER(company) LIKE '%' || $4 || '%' ESCAPE '\\')
           AND ($5 IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6"
    ))
    .bind(organisation_id)
    .bind(filter.status.map(|s| s.key()))
    .bind(filter.updated_since)
    .bind(&q)
    .bind(filter.before_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
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
    .fetch_one(conn)
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

pub async fn delete(
    conn: &mut Conn,
    organisation_id: i64,
    id: i64,
) -> Result<Option<Lead>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "DELETE FROM leads WHERE organisation_id = $1 AND id = $2 RETURNING {COLUMNS}"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Lead::from))
}
