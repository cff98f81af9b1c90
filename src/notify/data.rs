//! SQL for key events, the mail outbox and each person's mail settings.

use sqlx::FromRow;

use super::domain::{EventKind, MailStatus, Member, OutboxMail};
use crate::platform::clock::from_millis;
use crate::platform::db::{Conn, Filtered};
use crate::platform::Db;

/// An event to record; `due_at` for those time brings (see the migration).
pub struct NewEvent<'a> {
    pub kind: EventKind,
    pub organisation_id: i64,
    pub key_id: i64,
    pub key_prefix: &'a str,
    pub key_name: &'a str,
    pub created_by: Option<i64>,
    pub due_at: Option<i64>,
    pub occurred_at: i64,
    /// JSON: what the mail and the webhook payload say besides the key.
    pub detail: String,
}

/// Records the event unless it exists (the same kind, key and `due_at`):
/// whether it was new.
pub async fn insert_event(conn: &mut Conn, event: &NewEvent<'_>) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO key_events (organisation_id, kind, key_id, key_prefix, key_name, created_by, due_at, occurred_at, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (key_id, kind, due_at) DO NOTHING",
    )
    .bind(event.organisation_id)
    .bind(event.kind.key())
    .bind(event.key_id)
    .bind(event.key_prefix)
    .bind(event.key_name)
    .bind(event.created_by)
    .bind(event.due_at)
    .bind(event.occurred_at)
    .bind(event.detail.as_str())
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

#[derive(Debug, FromRow)]
pub struct EventRow {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub organisation_slug: String,
    pub kind: String,
    pub key_id: i64,
    pub key_prefix: String,
    pub key_name: String,
    pub created_by: Option<i64>,
    pub occurred_at: i64,
    pub detail: String,
}

/// Events not yet turned into mail, oldest first (`key_events_to_queue`).
pub fn unqueued_query(limit: i64) -> Filtered {
    let mut query = Filtered::new(
        "SELECT e.id, e.organisation_id, o.name AS organisation_name, o.slug AS organisation_slug, e.kind, e.key_id, e.key_prefix,
                e.key_name, e.created_by, e.occurred_at, e.detail
         FROM key_events e
         JOIN organisations o ON o.id = e.organisation_id
         WHERE e.queued_at IS NULL ORDER BY e.id LIMIT ",
    );
    query.bind(limit);
    query
}

pub async fn unqueued(db: &Db, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    unqueued_query(limit).query_as().fetch_all(db).await
}

/// Marks the event queued; false when another instance did first.
pub async fn mark_queued(conn: &mut Conn, event_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let marked =
        sqlx::query("UPDATE key_events SET queued_at = $2 WHERE id = $1 AND queued_at IS NULL")
            .bind(event_id)
            .bind(now)
            .execute(conn)
            .await?;
    Ok(marked.rows_affected() == 1)
}

#[derive(FromRow)]
struct MemberRow {
    user_id: i64,
    email: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    is_admin: bool,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    opted_out: bool,
}

/// The organisation's enabled members who may hear of a `kind` event: the
/// key's creator and the admins, each with their setting for the kind.
pub async fn members_to_tell(
    conn: &mut Conn,
    organisation_id: i64,
    created_by: Option<i64>,
    kind: EventKind,
) -> Result<Vec<Member>, sqlx::Error> {
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT u.id AS user_id, u.email, CAST(m.is_admin AS INTEGER) AS is_admin,
                CASE WHEN EXISTS (SELECT 1 FROM notification_opt_outs n WHERE n.user_id = u.id AND n.kind = $3)
                     THEN 1 ELSE 0 END AS opted_out
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.organisation_id = $1 AND u.disabled_at IS NULL AND (m.is_admin OR u.id = $2)
         ORDER BY u.id",
    )
    .bind(organisation_id)
    .bind(created_by.unwrap_or(0))
    .bind(kind.key())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Member {
            user_id: r.user_id,
            email: r.email,
            is_admin: r.is_admin,
            opted_out: r.opted_out,
        })
        .collect())
}

pub struct NewMail<'a> {
    pub event_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub created_at: i64,
}

/// Queues a mail for its first attempt now.
pub async fn queue_mail(conn: &mut Conn, mail: &NewMail<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mail_outbox (event_id, organisation_id, kind, recipient, subject, text_body, html_body,
                                  status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9)",
    )
    .bind(mail.event_id)
    .bind(mail.organisation_id)
    .bind(mail.kind)
    .bind(mail.recipient)
    .bind(mail.subject)
    .bind(mail.text_body)
    .bind(mail.html_body)
    .bind(MailStatus::Queued.key())
    .bind(mail.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

const OUTBOX_COLUMNS: &str =
    "id, kind, recipient, subject, text_body, html_body, status, attempts, \
                              next_attempt_at, last_error, created_at, sent_at";

#[derive(Debug, FromRow)]
pub struct MailRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

impl From<MailRow> for OutboxMail {
    fn from(r: MailRow) -> Self {
        OutboxMail {
            id: r.id,
            kind: r.kind,
            recipient: r.recipient,
            subject: r.subject,
            text_body: r.text_body,
            status: MailStatus::parse(&r.status).unwrap_or(MailStatus::Failed),
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at.map(from_millis),
            last_error: r.last_error,
            created_at: from_millis(r.created_at),
            sent_at: r.sent_at.map(from_millis),
        }
    }
}

/// Mail whose next attempt is due, soonest first (`mail_outbox_due`).
pub fn due_query(now: i64, limit: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= "
    ));
    query
        .bind(now)
        .push(" ORDER BY next_attempt_at LIMIT ")
        .bind(limit);
    query
}

pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<MailRow>, sqlx::Error> {
    due_query(now, limit).query_as().fetch_all(db).await
}

/// Takes a due mail for one attempt by moving its next attempt to `until`:
/// false when another sender took it first (its time changed).
pub async fn claim(db: &Db, id: i64, due_at: i64, until: i64) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = $3, attempts = attempts + 1
         WHERE id = $1 AND next_attempt_at = $2",
    )
    .bind(id)
    .bind(due_at)
    .bind(until)
    .execute(db)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Sent, logged or given up on: out of the queue.
pub async fn finish(
    db: &Db,
    id: i64,
    status: MailStatus,
    at: i64,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    let sent_at = (status != MailStatus::Failed).then_some(at);
    sqlx::query(
        "UPDATE mail_outbox SET status = $2, next_attempt_at = NULL, sent_at = $3, last_error = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(status.key())
    .bind(sent_at)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}

/// A failed attempt, to be made again at `next`.
pub async fn retry(db: &Db, id: i64, next: i64, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mail_outbox SET next_attempt_at = $2, last_error = $3 WHERE id = $1")
        .bind(id)
        .bind(next)
        .bind(error)
        .execute(db)
        .await?;
    Ok(())
}

/// A failed mail back in the queue, for an attempt now (the Outbox's
/// "Send again").
pub async fn requeue(db: &Db, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let requeued = sqlx::query(
        "UPDATE mail_outbox SET status = $2, next_attempt_at = $3, attempts = 0 WHERE id = $1 AND status = $4",
    )
    .bind(id)
    .bind(MailStatus::Queued.key())
    .bind(now)
    .bind(MailStatus::Failed.key())
    .execute(db)
    .await?;
    Ok(requeued.rows_affected() == 1)
}

/// The outbox, newest first, a page at a time; with a status, from
/// `mail_outbox_by_status`.
pub fn outbox_query(status: Option<MailStatus>, before: Option<i64>, limit: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE 1 = 1"
    ));
    if let Some(status) = status {
        query.push(" AND status = ").bind(status.key());
    }
    if let Some(before) = before {
        query.push(" AND id < ").bind(before);
    }
    query.push(" ORDER BY id DESC LIMIT ").bind(limit);
    query
}

pub async fn outbox(
    db: &Db,
    status: Option<MailStatus>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<MailRow>, sqlx::Error> {
    outbox_query(status, before, limit)
        .query_as()
        .fetch_all(db)
        .await
}

pub async fn outbox_mail(db: &Db, id: i64) -> Result<Option<MailRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The kinds of mail the user turned off.
pub async fn opt_outs(db: &Db, user_id: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT kind FROM notification_opt_outs WHERE user_id = $1 ORDER BY kind")
        .bind(user_id)
        .fetch_all(db)
        .await
}

/// Replaces the user's choices in one transaction.
pub async fn set_opt_outs(db: &Db, user_id: i64, kinds: &[EventKind]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM notification_opt_outs WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for kind in kinds {
        sqlx::query("INSERT INTO notification_opt_outs (user_id, kind) VALUES ($1, $2)")
            .bind(user_id)
            .bind(kind.key())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Forgets events and finished mail older than `before` (ms).
pub async fn prune(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let mail =
        sqlx::query("DELETE FROM mail_outbox WHERE created_at < $1 AND next_attempt_at IS NULL")
            .bind(before)
            .execute(db)
            .await?
            .rows_affected();
    let events =
        sqlx::query("DELETE FROM key_events WHERE occurred_at < $1 AND queued_at IS NOT NULL")
            .bind(before)
            .execute(db)
            .await?
            .rows_affected();
    Ok(mail + events)
}
