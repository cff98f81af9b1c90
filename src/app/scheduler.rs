//! The notifications scheduler. On every round (LEADLINE_NOTIFY_INTERVAL_SECS)
//! the instance that holds the notifications lease records the key events
//! time brings, turns new events into mail and webhook messages, and sends
//! what is due.
//! Other instances only try for the lease, so mail goes out once however
//! many run; if the holder stops, another takes over when its lease ends.

use crate::error::AppError;
use crate::notify::service::Sent;
use crate::platform::lease;

use super::AppState;

pub const LEASE: &str = "notifications";

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// This instance held the lease and did the work.
    pub held: bool,
    /// Events time brought, newly recorded.
    pub recorded: usize,
    /// Events turned into mail.
    pub queued: usize,
    pub sent: Sent,
    pub webhooks: crate::notify::service::Deliveries,
}

/// One round, as the scheduler runs it every interval (and tests, with
/// the clock where they want it).
pub async fn round(state: &AppState) -> Result<Round, AppError> {
    let now = state.clock.now().timestamp_millis();
    // Three missed rounds and the lease is another instance's to take.
    let ttl = 3 * i64::try_from(state.config.notify_interval.as_millis()).unwrap_or(i64::MAX / 4);
    if !lease::hold(
        &state.db,
        LEASE,
        &state.instance,
        now,
        now.saturating_add(ttl),
    )
    .await?
    {
        return Ok(Round::default());
    }
    let recorded = crate::keys::alerts::record_due(&state.keys).await?;
    let queued = crate::notify::service::queue_new_events(state.platform()).await?;
    let sent = crate::notify::service::send_due(state.platform()).await?;
    let webhooks = crate::notify::service::deliver_due(state.platform()).await?;
    Ok(Round {
        held: true,
        recorded,
        queued,
        sent,
        webhooks,
    })
}

/// A round's outcome, for operators' metrics.
fn count(done: &Round) {
    use crate::platform::metrics::{NOTIFICATIONS, NOTIFY_LEASE};
    if !crate::platform::metrics::on() {
        return;
    }
    metrics::gauge!(NOTIFY_LEASE).set(if done.held { 1.0 } else { 0.0 });
    let (mail, hooks) = (done.sent, done.webhooks);
    for (channel, result, n) in [
        ("mail", "sent", mail.sent),
        ("mail", "logged", mail.logged),
        ("mail", "retried", mail.retried),
        ("mail", "failed", mail.failed),
        ("webhook", "delivered", hooks.delivered),
        ("webhook", "retried", hooks.retried),
        ("webhook", "failed", hooks.failed),
    ] {
        metrics::counter!(NOTIFICATIONS, "channel" => channel, "result" => result)
            .increment(n as u64);
    }
}

/// Runs rounds until `stopping` says so, then gives the lease up.
pub fn spawn(
    state: AppState,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.config.notify_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_prune: Option<i64> = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    match round(&state).await {
                        Ok(done) => {
                            count(&done);
                            if done.held && done != (Round { held: true, ..Round::default() }) {
                                tracing::info!(?done, "notifications round");
                            }
                        }
                        Err(error) => tracing::warn!(%error, "notifications round failed; will retry"),
                    }
                    let now = state.clock.now().timestamp_millis();
                    if last_prune.is_none_or(|at| now - at >= 3_600_000) {
                        match crate::notify::service::prune(state.platform()).await {
                            Ok(_) => last_prune = Some(now),
                            Err(error) => tracing::warn!(%error, "could not prune old key events and mail; will retry"),
                        }
                    }
                }
                _ = stopping.changed() => break,
            }
        }
        if let Err(error) = lease::release(&state.db, LEASE, &state.instance).await {
            tracing::warn!(%error, "could not give up the notifications lease");
        }
    })
}
