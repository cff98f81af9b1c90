//! The key events time brings, which the scheduler looks for on every
//! round: a key about to expire (7 days before, and again 1 day before),
//! expired, retired (a roll's grace period over), or still called while it
//! no longer works (once a day at most). Each is recorded once however
//! many instances look (`key_events_once`); after downtime the next round
//! catches up, within a week for what has already happened.

use super::data::{self, KeyRow};
use super::KeyState;
use crate::error::AppError;
use crate::notify::domain::{EventKind, DAY_MS, EXPIRY_NOTICES};
use crate::notify::service::{record, KeyEvent};

/// How far back a round looks for expiries and retirements it missed.
const CATCH_UP_MS: i64 = 7 * DAY_MS;
/// Keys of each kind recorded per round at most; the rest on the next.
const PER_ROUND: i64 = 500;
const HOUR_MS: i64 = 3_600_000;

fn event(kind: EventKind, key: &KeyRow, due_at: i64) -> KeyEvent<'_> {
    super::service::event_of(kind, key, Some(due_at))
}

/// Records the events that are due; how many were new.
pub async fn record_due(state: &KeyState) -> Result<usize, AppError> {
    let now = state.clock.now().timestamp_millis();
    let mut conn = state.db.acquire().await?;
    let mut recorded = 0;
    // The nearer notice first: a key found only a day before its expiry
    // gets the 1-day notice, not a late 7-day one as well.
    let mut until = now;
    for ahead in EXPIRY_NOTICES.into_iter().rev() {
        let found = data::keys_of(
            &state.db,
            data::expiring_query(until, now + ahead, ahead, PER_ROUND),
        )
        .await?;
        for key in &found {
            let due = key.expires_at.unwrap_or(now) - ahead;
            recorded +=
                usize::from(record(&mut conn, &event(EventKind::Expiring, key, due), now).await?);
        }
        until = now + ahead;
    }
    let expired = data::keys_of(
        &state.db,
        data::expired_query(now - CATCH_UP_MS, now, PER_ROUND),
    )
    .await?;
    for key in &expired {
        let due = key.expires_at.unwrap_or(now);
        recorded +=
            usize::from(record(&mut conn, &event(EventKind::Expired, key, due), now).await?);
    }
    let retired = data::keys_of(
        &state.db,
        data::retired_query(now - CATCH_UP_MS, now, PER_ROUND),
    )
    .await?;
    for key in &retired {
        let due = key.revoked_at.unwrap_or(now);
        recorded +=
            usize::from(record(&mut conn, &event(EventKind::Retired, key, due), now).await?);
    }
    // Refusals counted this hour and the last (usage is written every few
    // seconds), told once per key and day.
    let day = now - now.rem_euclid(DAY_MS);
    let from = now - now.rem_euclid(HOUR_MS) - HOUR_MS;
    for called in
        data::still_called(&state.db, data::still_called_query(from, day, PER_ROUND)).await?
    {
        let event = KeyEvent {
            requests: Some(called.requests),
            ..event(EventKind::StillCalled, &called.key, day)
        };
        recorded += usize::from(record(&mut conn, &event, now).await?);
    }
    Ok(recorded)
}
