//! Telling people: events are recorded where they happen (in the action's
//! transaction, or by the scheduler for those time brings); the instance
//! holding the notifications lease turns new events into mail and sends
//! what is due, retrying with backoff.

use serde_json::json;

use super::data::{self, EventRow, NewMail};
pub use super::domain::KeyEvent;
use super::domain::{
    compose, recipients, retry_after_ms, EventFacts, EventKind, MailSetting, MailStatus,
    OutboxMail, MAIL_ATTEMPTS,
};
use crate::error::AppError;
use crate::platform::db::Conn;
use crate::platform::mail::{Delivered, Outgoing};
use crate::platform::Platform;

/// Records an event in the caller's transaction: whether it is new (an
/// event time brings exists once, however many instances find it).
pub async fn record(conn: &mut Conn, event: &KeyEvent<'_>, now: i64) -> Result<bool, AppError> {
    let detail = json!({
        "expires_at": event.expires_at,
        "requests": event.requests,
        "replaced_by": event.replaced_by,
    });
    Ok(data::insert_event(conn, event, now, &detail.to_string()).await?)
}

/// A deleted key leaves no history but its audit entries: its events, and
/// the mail and deliveries made from them, go in the caller's transaction.
pub async fn forget_key(conn: &mut Conn, key_id: i64) -> Result<(), AppError> {
    Ok(data::forget_key(conn, key_id).await?)
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
        let facts = facts(kind, &event);
        queue_webhooks(&mut tx, &event, &facts, now).await?;
        let mail = compose(&facts, &site);
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
        if !data::claim(
            &platform.db,
            data::Queue::Mail,
            mail.id,
            due_at,
            now + CLAIM_MS,
        )
        .await?
        {
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
        let server_trouble = outcome.as_ref().is_err_and(|refused| !refused.permanent);
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
        // The SMTP server is away or failing: the rest of the queue waits
        // for the next round rather than each waiting out its timeout now.
        if server_trouble {
            break;
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
    let before = now - RETENTION_DAYS * super::domain::DAY_MS;
    // Deliveries first: they name the events.
    let deliveries = data::prune_deliveries(&platform.db, before).await?;
    Ok(deliveries + data::prune(&platform.db, before).await?)
}

// Webhooks.

use super::data::{Attempt, NewDelivery, NewEndpoint};
use super::domain::{
    new_secret, parse_kinds, sign, store_kinds, webhook_payload, webhook_retry_after_ms, Delivery,
    DeliveryStatus, Endpoint, EndpointSecret, DESCRIPTION_MAX, ENDPOINTS_MAX, FAILING_FOR_MS,
};
use crate::audit::service::NewEntry;
use crate::audit::AuditAction;
use crate::auth::session::OrgScope;
use crate::error::FieldError;

/// What an org admin types for an endpoint, checked.
pub struct EndpointForm<'a> {
    pub url: &'a str,
    pub description: &'a str,
    pub kinds: &'a [EventKind],
}

impl EndpointForm<'_> {
    /// The URL (shape, then where it leads) and the rest, each error named
    /// for its field.
    async fn check(&self, platform: &Platform) -> Result<String, AppError> {
        let mut errors = Vec::new();
        let url = match crate::platform::outbound::check_url(self.url) {
            Ok(url) => match platform.outbound.check_target(&url).await {
                Ok(()) => Some(url.to_string()),
                Err(message) => {
                    errors.push(FieldError::new("url", message));
                    None
                }
            },
            Err(message) => {
                errors.push(FieldError::new("url", message));
                None
            }
        };
        if self.description.chars().count() > DESCRIPTION_MAX {
            errors.push(FieldError::new(
                "description",
                format!("Use at most {DESCRIPTION_MAX} characters."),
            ));
        }
        if self.kinds.is_empty() {
            errors.push(FieldError::new("kinds", "Choose at least one event."));
        }
        match url {
            Some(url) if errors.is_empty() => Ok(url),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

fn webhook_entry<'a>(
    org: &'a OrgScope,
    now: i64,
    action: AuditAction,
    details: String,
) -> NewEntry<'a> {
    NewEntry {
        organisation_id: org.id,
        occurred_at: now,
        actor: &org.actor,
        action,
        key_prefix: None,
        key_name: None,
        details,
    }
}

pub async fn endpoints(platform: &Platform, org: &OrgScope) -> Result<Vec<Endpoint>, AppError> {
    Ok(data::endpoints(&platform.db, org.id)
        .await?
        .iter()
        .map(data::EndpointRow::summary)
        .collect())
}

/// Adds an endpoint; its secret is in the answer, and nowhere else ever.
pub async fn create_endpoint(
    platform: &Platform,
    org: &OrgScope,
    form: EndpointForm<'_>,
) -> Result<EndpointSecret, AppError> {
    let url = form.check(platform).await?;
    let now = platform.clock.now().timestamp_millis();
    let secret = new_secret();
    let mut tx = crate::platform::db::begin_write(&platform.db).await?;
    if data::count_endpoints(&mut tx, org.id).await? >= ENDPOINTS_MAX {
        return Err(AppError::Conflict(format!(
            "An organisation has at most {ENDPOINTS_MAX} webhook endpoints. Delete one first."
        )));
    }
    let kinds = store_kinds(form.kinds);
    let id = data::insert_endpoint(
        &mut tx,
        &NewEndpoint {
            organisation_id: org.id,
            url: &url,
            description: form.description.trim(),
            kinds: &kinds,
            secret: &secret,
            created_at: now,
        },
    )
    .await?;
    let details = json!({"url": url, "events": kinds}).to_string();
    crate::audit::service::record(
        &mut tx,
        webhook_entry(org, now, AuditAction::WebhookCreated, details),
    )
    .await?;
    let row = data::endpoint(&mut *tx, org.id, id)
        .await?
        .ok_or(AppError::Internal)?;
    tx.commit().await?;
    Ok(EndpointSecret {
        endpoint: row.summary(),
        secret,
    })
}

/// Changes an endpoint's URL, description, events, or whether it is on.
pub async fn update_endpoint(
    platform: &Platform,
    org: &OrgScope,
    id: i64,
    form: EndpointForm<'_>,
    enabled: bool,
) -> Result<Endpoint, AppError> {
    let url = form.check(platform).await?;
    let now = platform.clock.now().timestamp_millis();
    let mut tx = crate::platform::db::begin_write(&platform.db).await?;
    let before = data::endpoint(&mut *tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let kinds = store_kinds(form.kinds);
    data::update_endpoint(&mut tx, id, &url, form.description.trim(), &kinds, enabled).await?;
    let after = data::endpoint(&mut *tx, org.id, id)
        .await?
        .ok_or(AppError::Internal)?;
    let mut changes = serde_json::Map::new();
    for (field, was, is) in [
        ("url", before.url.as_str(), after.url.as_str()),
        ("description", &before.description, &after.description),
        ("events", &before.kinds, &after.kinds),
    ] {
        if was != is {
            changes.insert(field.into(), json!({"before": was, "after": is}));
        }
    }
    if before.enabled != after.enabled {
        changes.insert(
            "enabled".into(),
            json!({"before": before.enabled, "after": after.enabled}),
        );
    }
    if !changes.is_empty() {
        changes.insert("endpoint".into(), json!(after.url));
        let details = serde_json::Value::Object(changes).to_string();
        crate::audit::service::record(
            &mut tx,
            webhook_entry(org, now, AuditAction::WebhookUpdated, details),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after.summary())
}

pub async fn delete_endpoint(platform: &Platform, org: &OrgScope, id: i64) -> Result<(), AppError> {
    let now = platform.clock.now().timestamp_millis();
    let mut tx = crate::platform::db::begin_write(&platform.db).await?;
    let endpoint = data::endpoint(&mut *tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    data::delete_endpoint(&mut tx, id).await?;
    let details = json!({"url": endpoint.url}).to_string();
    crate::audit::service::record(
        &mut tx,
        webhook_entry(org, now, AuditAction::WebhookDeleted, details),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new signing secret, shown once; the old one stops at once.
pub async fn roll_secret(
    platform: &Platform,
    org: &OrgScope,
    id: i64,
) -> Result<EndpointSecret, AppError> {
    let now = platform.clock.now().timestamp_millis();
    let secret = new_secret();
    let mut tx = crate::platform::db::begin_write(&platform.db).await?;
    let endpoint = data::endpoint(&mut *tx, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    data::set_secret(&mut tx, id, &secret).await?;
    let details = json!({"url": endpoint.url}).to_string();
    crate::audit::service::record(
        &mut tx,
        webhook_entry(org, now, AuditAction::WebhookSecretRolled, details),
    )
    .await?;
    tx.commit().await?;
    Ok(EndpointSecret {
        endpoint: endpoint.summary(),
        secret,
    })
}

pub const DELIVERIES_PAGE: i64 = 50;

/// An endpoint and its deliveries, newest first, a page at a time.
pub async fn deliveries(
    platform: &Platform,
    org: &OrgScope,
    id: i64,
    before: Option<i64>,
) -> Result<(Endpoint, Vec<Delivery>, Option<i64>), AppError> {
    let endpoint = data::endpoint(&platform.db, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut rows: Vec<Delivery> = data::deliveries(&platform.db, id, before, DELIVERIES_PAGE + 1)
        .await?
        .into_iter()
        .map(Delivery::from)
        .collect();
    let next = crate::platform::db::next_cursor(&mut rows, DELIVERIES_PAGE, |d| d.id);
    Ok((endpoint.summary(), rows, next))
}

/// "Redeliver": the message again, on the scheduler's next round.
pub async fn redeliver(
    platform: &Platform,
    org: &OrgScope,
    endpoint_id: i64,
    id: i64,
) -> Result<(), AppError> {
    let endpoint = data::endpoint(&platform.db, org.id, endpoint_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !endpoint.enabled {
        return Err(AppError::Conflict(
            "This endpoint is disabled. Turn it on first, then redeliver.".into(),
        ));
    }
    let now = platform.clock.now().timestamp_millis();
    if data::redeliver(&platform.db, endpoint_id, id, now).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Queues the event's message for each of the organisation's enabled
/// endpoints that receive its kind, in the caller's transaction.
async fn queue_webhooks(
    conn: &mut Conn,
    event: &EventRow,
    facts: &EventFacts<'_>,
    now: i64,
) -> Result<(), AppError> {
    let kind = facts.kind;
    let endpoints = data::endpoints(&mut *conn, event.organisation_id).await?;
    let wanted: Vec<_> = endpoints
        .iter()
        .filter(|e| e.enabled && parse_kinds(&e.kinds).contains(&kind))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let payload = webhook_payload(
        facts,
        crate::platform::clock::from_millis(event.occurred_at),
    );
    for endpoint in wanted {
        let message_id = format!("msg_{}", ulid::Ulid::new());
        data::queue_delivery(
            &mut *conn,
            &NewDelivery {
                endpoint_id: endpoint.id,
                event_id: Some(event.id),
                message_id: &message_id,
                kind: kind.key(),
                payload: &payload,
                created_at: now,
            },
        )
        .await?;
    }
    Ok(())
}

/// What one round of webhook deliveries did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Deliveries {
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
    pub endpoints_disabled: usize,
}

/// Deliveries attempted per round at most.
const DELIVERIES_PER_ROUND: i64 = 200;

/// Tries each delivery that is due, signed by the Standard Webhooks
/// specification. A 2xx answer delivers it; anything else is retried for
/// about a day, and an endpoint failing for 3 days is disabled and its
/// organisation's admins mailed.
pub async fn deliver_due(platform: &Platform) -> Result<Deliveries, AppError> {
    let now = platform.clock.now().timestamp_millis();
    let mut round = Deliveries::default();
    // An endpoint that failed once this round is not tried again until the
    // next: a slow or dead receiver costs one timeout a round, not one per
    // message.
    let mut failing = std::collections::HashSet::new();
    for due in data::due_deliveries(&platform.db, now, DELIVERIES_PER_ROUND).await? {
        let d = &due.delivery;
        let Some(due_at) = d.next_attempt_at else {
            continue;
        };
        if failing.contains(&d.endpoint_id)
            || !due.enabled
            || !data::claim(
                &platform.db,
                data::Queue::Webhooks,
                d.id,
                due_at,
                now + CLAIM_MS,
            )
            .await?
        {
            continue;
        }
        let attempts = d.attempts + 1;
        let timestamp = now / 1000;
        let headers = [
            ("webhook-id", d.message_id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            (
                "webhook-signature",
                sign(&due.secret, &d.message_id, timestamp, &d.payload),
            ),
        ];
        let answer = platform
            .outbound
            .post(&due.url, &headers, d.payload.clone())
            .await;
        let (ok, response_status, latency_ms, error) = match &answer {
            Ok(a) if (200..300).contains(&a.status) => {
                (true, Some(i64::from(a.status)), Some(a.latency_ms), None)
            }
            Ok(a) => (
                false,
                Some(i64::from(a.status)),
                Some(a.latency_ms),
                Some(format!("answered {}", a.status)),
            ),
            Err(no) => (false, None, no.latency_ms, Some(no.reason.clone())),
        };
        if ok {
            round.delivered += 1;
            data::record_attempt(
                &platform.db,
                d.id,
                &Attempt {
                    status: DeliveryStatus::Delivered,
                    next: None,
                    response_status,
                    latency_ms,
                    error: None,
                    at: now,
                },
            )
            .await?;
            data::endpoint_answered(&platform.db, d.endpoint_id).await?;
            continue;
        }
        failing.insert(d.endpoint_id);
        let next = webhook_retry_after_ms(attempts).map(|after| now + after);
        let status = if next.is_some() {
            DeliveryStatus::Pending
        } else {
            DeliveryStatus::Failed
        };
        if next.is_some() {
            round.retried += 1;
        } else {
            round.failed += 1;
        }
        data::record_attempt(
            &platform.db,
            d.id,
            &Attempt {
                status,
                next,
                response_status,
                latency_ms,
                error: error.as_deref(),
                at: now,
            },
        )
        .await?;
        let since = data::endpoint_failed(&platform.db, d.endpoint_id, now).await?;
        if now - since >= FAILING_FOR_MS && disable_failing(platform, &due, now).await? {
            round.endpoints_disabled += 1;
        }
    }
    Ok(round)
}

/// Disables an endpoint that has failed for 3 days, audits it, and mails
/// its organisation's admins; false when it was off already.
async fn disable_failing(
    platform: &Platform,
    due: &data::DueDelivery,
    now: i64,
) -> Result<bool, AppError> {
    let reason = "Every delivery failed for 3 days.";
    let mut tx = crate::platform::db::begin_write(&platform.db).await?;
    if !data::disable_endpoint(&mut tx, due.delivery.endpoint_id, reason, now).await? {
        return Ok(false);
    }
    crate::audit::service::record(
        &mut tx,
        NewEntry {
            organisation_id: due.organisation_id,
            occurred_at: now,
            actor: "Leadline (webhook deliveries)",
            action: AuditAction::WebhookDisabled,
            key_prefix: None,
            key_name: None,
            details: json!({"url": due.url, "reason": reason}).to_string(),
        },
    )
    .await?;
    let mail = super::domain::compose_endpoint_disabled(&due.url, &platform.config.site_url());
    for to in data::admin_emails(&mut tx, due.organisation_id).await? {
        data::queue_mail(
            &mut tx,
            &NewMail {
                event_id: None,
                organisation_id: Some(due.organisation_id),
                kind: "webhook.disabled",
                recipient: &to,
                subject: &mail.subject,
                text_body: &mail.text,
                html_body: &mail.html,
                created_at: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    tracing::warn!(
        endpoint = due.delivery.endpoint_id,
        url = due.url,
        "webhook endpoint disabled after failing for 3 days"
    );
    Ok(true)
}
