//! Telling people: events are recorded where they happen (in the action's
//! transaction, or by the scheduler for those time brings); the instance
//! holding the notifications lease turns new events into mail and sends
//! what is due, retrying with backoff.

use serde_json::json;

use super::data::{self, EventRow, NewEvent, NewMail};
use super::domain::{
    compose, recipients, retry_after_ms, EventFacts, EventKind, MailSetting, MailStatus,
    OutboxMail, MAIL_ATTEMPTS,
};
use crate::error::AppError;
use crate::platform::db::Conn;
use crate::platform::mail::{Delivered, Outgoing};
use crate::platform::Platform;

/// A key event, as the key's service tells of it.
pub struct KeyEvent<'a> {
    pub kind: EventKind,
    pub organisation_id: i64,
    pub key_id: i64,
    pub key_prefix: &'a str,
    pub key_name: &'a str,
    pub created_by: Option<i64>,
    pub expires_at: Option<i64>,
    /// For events time brings: the moment it is about (the expiry, the end
    /// of the grace period, the day), which makes it happen once.
    pub due_at: Option<i64>,
    pub requests: Option<i64>,
    pub replaced_by: Option<&'a str>,
}

/// Records an event in the caller's transaction: whether it is new (an
/// event time brings exists once, however many instances find it).
pub async fn record(conn: &mut Conn, event: &KeyEvent<'_>, now: i64) -> Result<bool, AppError> {
    let detail = json!({
        "expires_at": event.expires_at,
        "requests": event.requests,
        "replaced_by": event.replaced_by,
    });
    Ok(data::insert_event(
        conn,
        &NewEvent {
            kind: event.kind,
            organisation_id: event.organisation_id,
            key_id: event.key_id,
            key_prefix: event.key_prefix,
            key_name: event.key_name,
            created_by: event.created_by,
            due_at: event.due_at,
            occurred_at: now,
            detail: detail.to_string(),
        },
    )
    .await?)
}

/// Events turned into mail per round at most; the rest wait for the next.
const EVENTS_PER_ROUND: i64 = 200;
/// Mail attempted per round at most.
const MAIL_PER_ROUND: i64 = 200;
/// How long a sender holds a mail it is trying (a crash mid-send frees it
/// then): longer than the SMTP timeout.
const CLAIM_MS: i64 = 5 * 60_000;

/// Turns new events into queued mail for the people who should hear of
/// them: each event in its own transaction, marked queued in it, so each
/// is mailed once. How many events.
pub async fn queue_new_events(platform: &Platform) -> Result<usize, AppError> {
    let now = platform.clock.now().timestamp_millis();
    let site = platform.config.site_url();
    let events = data::unqueued(&platform.db, EVENTS_PER_ROUND).await?;
    let mut queued = 0;
    for event in events {
        let Some(kind) = EventKind::parse(&event.kind) else {
            tracing::warn!(
                kind = event.kind,
                "an event of a kind this version does not know"
            );
            continue;
        };
        let mut tx = platform.db.begin().await?;
        if !data::mark_queued(&mut tx, event.id, now).await? {
            continue;
        }
        let members =
            data::members_to_tell(&mut tx, event.organisation_id, event.created_by, kind).await?;
        let mail = compose(&facts(kind, &event), &site);
        for to in recipients(kind, event.created_by, &members) {
            data::queue_mail(
                &mut tx,
                &NewMail {
                    event_id: Some(event.id),
                    organisation_id: Some(event.organisation_id),
                    kind: kind.key(),
                    recipient: to,
                    subject: &mail.subject,
                    text_body: &mail.text,
                    html_body: &mail.html,
                    created_at: now,
                },
            )
            .await?;
        }
        tx.commit().await?;
        queued += 1;
    }
    Ok(queued)
}

fn facts<'a>(kind: EventKind, event: &'a EventRow) -> EventFacts<'a> {
    let detail: serde_json::Value = serde_json::from_str(&event.detail).unwrap_or_default();
    EventFacts {
        kind,
        organisation: &event.organisation_name,
        organisation_slug: &event.organisation_slug,
        key_id: event.key_id,
        key_prefix: &event.key_prefix,
        key_name: &event.key_name,
        occurred_at: event.occurred_at,
        expires_at: detail["expires_at"].as_i64(),
        requests: detail["requests"].as_i64(),
        replaced_by: detail["replaced_by"].as_str().map(str::to_owned),
    }
}

/// What one round of sending did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub sent: usize,
    pub logged: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Tries each mail that is due: sent (or logged, without SMTP) leaves the
/// queue; a failure is tried again later with backoff, until it fails
/// for good (a permanent refusal, or the last attempt) and stays in the
/// outbox with its error.
pub async fn send_due(platform: &Platform) -> Result<Sent, AppError> {
    let now = platform.clock.now().timestamp_millis();
    let mut round = Sent::default();
    for mail in data::due(&platform.db, now, MAIL_PER_ROUND).await? {
        let Some(due_at) = mail.next_attempt_at else {
            continue;
        };
        if !data::claim(&platform.db, mail.id, due_at, now + CLAIM_MS).await? {
            continue;
        }
        let attempts = mail.attempts + 1;
        let outcome = platform
            .mail
            .send(Outgoing {
                to: &mail.recipient,
                subject: &mail.subject,
                text: &mail.text_body,
                html: &mail.html_body,
            })
            .await;
        match outcome {
            Ok(delivered) => {
                let status = match delivered {
                    Delivered::Sent => {
                        round.sent += 1;
                        MailStatus::Sent
                    }
                    Delivered::Logged => {
                        round.logged += 1;
                        MailStatus::Logged
                    }
                };
                data::finish(&platform.db, mail.id, status, now, None).await?;
            }
            Err(refused) if refused.permanent || attempts >= MAIL_ATTEMPTS => {
                tracing::warn!(
                    mail = mail.id,
                    attempts,
                    reason = refused.reason,
                    "mail failed for good"
                );
                round.failed += 1;
                data::finish(
                    &platform.db,
                    mail.id,
                    MailStatus::Failed,
                    now,
                    Some(&refused.reason),
                )
                .await?;
            }
            Err(refused) => {
                tracing::info!(
                    mail = mail.id,
                    attempts,
                    reason = refused.reason,
                    "mail failed; will retry"
                );
                round.retried += 1;
                let next = now + retry_after_ms(attempts);
                data::retry(&platform.db, mail.id, next, &refused.reason).await?;
            }
        }
    }
    Ok(round)
}

/// The outbox for the Outbox admin page: newest first, `limit` at a time.
pub async fn outbox(
    platform: &Platform,
    status: Option<MailStatus>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<OutboxMail>, AppError> {
    Ok(data::outbox(&platform.db, status, before, limit)
        .await?
        .into_iter()
        .map(OutboxMail::from)
        .collect())
}

/// One mail, with its HTML body.
pub async fn outbox_mail(platform: &Platform, id: i64) -> Result<(OutboxMail, String), AppError> {
    let row = data::outbox_mail(&platform.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let html = row.html_body.clone();
    Ok((OutboxMail::from(row), html))
}

/// A failed mail, tried again on the next round.
pub async fn send_again(platform: &Platform, id: i64) -> Result<(), AppError> {
    let now = platform.clock.now().timestamp_millis();
    if data::requeue(&platform.db, id, now).await? {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "Only a mail that failed can be sent again.".into(),
        ))
    }
}

/// Each kind of mail, on or off for the user.
pub async fn settings(platform: &Platform, user_id: i64) -> Result<Vec<MailSetting>, AppError> {
    let off = data::opt_outs(&platform.db, user_id).await?;
    Ok(EventKind::ALL
        .into_iter()
        .map(|kind| MailSetting {
            kind,
            on: !kind.can_opt_out() || !off.iter().any(|k| k == kind.key()),
        })
        .collect())
}

/// Keeps the kinds in `on` (and the leak mail, which cannot be turned off).
pub async fn save_settings(
    platform: &Platform,
    user_id: i64,
    on: &[EventKind],
) -> Result<Vec<MailSetting>, AppError> {
    let off: Vec<EventKind> = EventKind::ALL
        .into_iter()
        .filter(|kind| kind.can_opt_out() && !on.contains(kind))
        .collect();
    data::set_opt_outs(&platform.db, user_id, &off).await?;
    settings(platform, user_id).await
}

/// Events and finished mail are kept 90 days.
pub const RETENTION_DAYS: i64 = 90;

pub async fn prune(platform: &Platform) -> Result<u64, AppError> {
    let now = platform.clock.now().timestamp_millis();
    Ok(data::prune(&platform.db, now - RETENTION_DAYS * super::domain::DAY_MS).await?)
}
