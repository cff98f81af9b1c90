//! SQL for key events, the mail outbox and each person's mail settings.

use sqlx::FromRow;

use super::domain::{EventKind, KeyEvent, MailStatus, Member, OutboxMail};
use crate::platform::clock::from_millis;
use crate::platform::db::{Conn, Filtered};
use crate::platform::Db;

/// Records the event unless it exists (the same kind, key and `due_at`):
/// whether it was new.
pub async fn insert_event(
    conn: &mut Conn,
    event: &KeyEvent<'_>,
    occurred_at: i64,
    detail: &str,
) -> Result<bool, sqlx::Error> {
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
    .bind(occurred_at)
    .bind(detail)
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

/// The two queues a round sends from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Mail,
    Webhooks,
}

impl Queue {
    fn table(self) -> &'static str {
        match self {
            Queue::Mail => "mail_outbox",
            Queue::Webhooks => "webhook_deliveries",
        }
    }
}

/// Takes a due mail or delivery for one attempt by moving its next attempt
/// to `until` (a sender that dies mid-attempt frees it then): false when
/// another sender took it first (its time changed).
pub async fn claim(
    db: &Db,
    queue: Queue,
    id: i64,
    due_at: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(&format!(
        "UPDATE {} SET next_attempt_at = $3, attempts = attempts + 1
         WHERE id = $1 AND next_attempt_at = $2",
        queue.table()
    ))
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

// Webhook endpoints and their deliveries.

const ENDPOINT_COLUMNS: &str = "id, organisation_id, url, description, kinds, secret, \
     CAST(enabled AS INTEGER) AS enabled, disabled_reason, failing_since, created_at";

#[derive(Debug, Clone, FromRow)]
pub struct EndpointRow {
    pub id: i64,
    pub organisation_id: i64,
    pub url: String,
    pub description: String,
    pub kinds: String,
    pub secret: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
}

impl EndpointRow {
    pub fn summary(&self) -> super::domain::Endpoint {
        super::domain::Endpoint {
            id: self.id,
            url: self.url.clone(),
            description: self.description.clone(),
            kinds: super::domain::parse_kinds(&self.kinds),
            enabled: self.enabled,
            disabled_reason: self.disabled_reason.clone(),
            failing_since: self.failing_since.map(from_millis),
            created_at: from_millis(self.created_at),
        }
    }
}

/// The organisation's endpoints, oldest first (`webhook_endpoints_by_organisation`).
pub async fn endpoints<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Any>,
    organisation_id: i64,
) -> Result<Vec<EndpointRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organisation_id = $1 ORDER BY id"
    ))
    .bind(organisation_id)
    .fetch_all(conn)
    .await
}

pub async fn endpoint<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Any>,
    organisation_id: i64,
    id: i64,
) -> Result<Option<EndpointRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organisation_id = $1 AND id = $2"
    ))
    .bind(organisation_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub struct NewEndpoint<'a> {
    pub organisation_id: i64,
    pub url: &'a str,
    pub description: &'a str,
    pub kinds: &'a str,
    pub secret: &'a str,
    pub created_at: i64,
}

pub async fn insert_endpoint(conn: &mut Conn, new: &NewEndpoint<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO webhook_endpoints (organisation_id, url, description, kinds, secret, enabled, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.organisation_id)
    .bind(new.url)
    .bind(new.description)
    .bind(new.kinds)
    .bind(new.secret)
    .bind(true)
    .bind(new.created_at)
    .fetch_one(conn)
    .await
}

/// Changes what an endpoint is and receives; turning it on clears why it
/// was off and its failing streak.
pub async fn update_endpoint(
    conn: &mut Conn,
    id: i64,
    url: &str,
    description: &str,
    kinds: &str,
    enabled: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_endpoints SET url = $2, description = $3, kinds = $4, enabled = $5,
             disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
             failing_since = CASE WHEN $5 THEN NULL ELSE failing_since END
         WHERE id = $1",
    )
    .bind(id)
    .bind(url)
    .bind(description)
    .bind(kinds)
    .bind(enabled)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_secret(conn: &mut Conn, id: i64, secret: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE webhook_endpoints SET secret = $2 WHERE id = $1")
        .bind(id)
        .bind(secret)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_endpoint(conn: &mut Conn, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count_endpoints(conn: &mut Conn, organisation_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE organisation_id = $1")
        .bind(organisation_id)
        .fetch_one(conn)
        .await
}

pub struct NewDelivery<'a> {
    pub endpoint_id: i64,
    pub event_id: Option<i64>,
    pub message_id: &'a str,
    pub kind: &'a str,
    pub payload: &'a str,
    pub created_at: i64,
}

/// Queues a message for its first attempt now.
pub async fn queue_delivery(conn: &mut Conn, new: &NewDelivery<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, message_id, kind, payload, status, attempts,
                                         next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
    )
    .bind(new.endpoint_id)
    .bind(new.event_id)
    .bind(new.message_id)
    .bind(new.kind)
    .bind(new.payload)
    .bind(super::domain::DeliveryStatus::Pending.key())
    .bind(new.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.message_id, d.kind, d.payload, d.status, d.attempts, \
     d.next_attempt_at, d.response_status, d.latency_ms, d.last_error, d.created_at, d.last_attempt_at";

#[derive(Debug, FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: i64,
    pub message_id: String,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub response_status: Option<i64>,
    pub latency_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub last_attempt_at: Option<i64>,
}

impl From<DeliveryRow> for super::domain::Delivery {
    fn from(r: DeliveryRow) -> Self {
        use super::domain::DeliveryStatus;
        super::domain::Delivery {
            id: r.id,
            message_id: r.message_id,
            kind: r.kind,
            status: DeliveryStatus::parse(&r.status).unwrap_or(DeliveryStatus::Failed),
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at.map(from_millis),
            response_status: r.response_status,
            latency_ms: r.latency_ms,
            last_error: r.last_error,
            created_at: from_millis(r.created_at),
            last_attempt_at: r.last_attempt_at.map(from_millis),
            payload: r.payload,
        }
    }
}

/// A due delivery with what sending it needs from its endpoint.
#[derive(Debug, FromRow)]
pub struct DueDelivery {
    #[sqlx(flatten)]
    pub delivery: DeliveryRow,
    pub organisation_id: i64,
    pub url: String,
    pub secret: String,
    #[sqlx(try_from = "crate::platform::db::SqlBool")]
    pub enabled: bool,
    pub failing_since: Option<i64>,
}

/// Deliveries whose next attempt is due, soonest first (`webhook_deliveries_due`).
pub fn due_deliveries_query(now: i64, limit: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {DELIVERY_COLUMNS}, w.organisation_id, w.url, w.secret, CAST(w.enabled AS INTEGER) AS enabled,
                w.failing_since
         FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
         WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= "
    ));
    query
        .bind(now)
        .push(" ORDER BY d.next_attempt_at LIMIT ")
        .bind(limit);
    query
}

pub async fn due_deliveries(
    db: &Db,
    now: i64,
    limit: i64,
) -> Result<Vec<DueDelivery>, sqlx::Error> {
    due_deliveries_query(now, limit)
        .query_as()
        .fetch_all(db)
        .await
}

/// What an attempt found; `next` when it is to be tried again.
pub struct Attempt<'a> {
    pub status: super::domain::DeliveryStatus,
    pub next: Option<i64>,
    pub response_status: Option<i64>,
    pub latency_ms: Option<i64>,
    pub error: Option<&'a str>,
    pub at: i64,
}

pub async fn record_attempt(db: &Db, id: i64, attempt: &Attempt<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, response_status = $4,
             latency_ms = $5, last_error = $6, last_attempt_at = $7
         WHERE id = $1",
    )
    .bind(id)
    .bind(attempt.status.key())
    .bind(attempt.next)
    .bind(attempt.response_status)
    .bind(attempt.latency_ms)
    .bind(attempt.error)
    .bind(attempt.at)
    .execute(db)
    .await?;
    Ok(())
}

/// A success ends the endpoint's failing streak.
pub async fn endpoint_answered(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A failure starts the endpoint's failing streak if none has; when it began.
pub async fn endpoint_failed(db: &Db, id: i64, now: i64) -> Result<i64, sqlx::Error> {
    let since: Option<Option<i64>> = sqlx::query_scalar(
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1
         RETURNING failing_since",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(since.flatten().unwrap_or(now))
}

/// Turns an endpoint off (false when it was off already) and gives up its
/// waiting deliveries.
pub async fn disable_endpoint(
    conn: &mut Conn,
    id: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let disabled = sqlx::query(
        "UPDATE webhook_endpoints SET enabled = $2, disabled_reason = $3 WHERE id = $1 AND enabled = $4",
    )
    .bind(id)
    .bind(false)
    .bind(reason)
    .bind(true)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $2, next_attempt_at = NULL, last_error = $3, last_attempt_at = $4
         WHERE endpoint_id = $1 AND next_attempt_at IS NOT NULL",
    )
    .bind(id)
    .bind(super::domain::DeliveryStatus::Failed.key())
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(disabled.rows_affected() == 1)
}

/// An endpoint's deliveries, newest first, a page at a time
/// (`webhook_deliveries_by_endpoint`).
pub fn deliveries_query(endpoint_id: i64, before: Option<i64>, limit: i64) -> Filtered {
    let mut query = Filtered::new(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.endpoint_id = "
    ));
    query.bind(endpoint_id);
    if let Some(before) = before {
        query.push(" AND d.id < ").bind(before);
    }
    query.push(" ORDER BY d.id DESC LIMIT ").bind(limit);
    query
}

pub async fn deliveries(
    db: &Db,
    endpoint_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    deliveries_query(endpoint_id, before, limit)
        .query_as()
        .fetch_all(db)
        .await
}

/// "Redeliver": the same message (same webhook-id), tried again now with
/// a fresh schedule. False when it is not the endpoint's.
pub async fn redeliver(db: &Db, endpoint_id: i64, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let queued = sqlx::query(
        "UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, attempts = 0
         WHERE id = $1 AND endpoint_id = $2",
    )
    .bind(id)
    .bind(endpoint_id)
    .bind(super::domain::DeliveryStatus::Pending.key())
    .bind(now)
    .execute(db)
    .await?;
    Ok(queued.rows_affected() == 1)
}

/// The organisation's admins (mailed when an endpoint is disabled).
pub async fn admin_emails(
    conn: &mut Conn,
    organisation_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.organisation_id = $1 AND m.is_admin AND u.disabled_at IS NULL ORDER BY u.id",
    )
    .bind(organisation_id)
    .fetch_all(conn)
    .await
}

/// Forgets deliveries older than `before` that are finished.
pub async fn prune_deliveries(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM webhook_deliveries WHERE created_at < $1 AND next_attempt_at IS NULL",
    )
    .bind(before)
    .execute(db)
    .await?
    .rows_affected())
}

/// Forgets everything about a deleted key: its events, and the mail and
/// webhook deliveries made from them (`…_by_event`, `key_events_once`).
pub async fn forget_key(conn: &mut Conn, key_id: i64) -> Result<(), sqlx::Error> {
    for table in ["mail_outbox", "webhook_deliveries"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE event_id IN (SELECT id FROM key_events WHERE key_id = $1)"
        ))
        .bind(key_id)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM key_events WHERE key_id = $1")
        .bind(key_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
