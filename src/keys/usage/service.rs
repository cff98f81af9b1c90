//! Usage as the dashboard shows it: buckets from the database plus what this
//! instance has not flushed yet, so a chart is never behind the API.

use std::collections::HashMap;

use super::chart::stacked_bars;
use super::data;
use super::domain::{
    hour_of, Bucket, Chart, KeyUsage, OrgOverview, Outcome, DAY_MS, HOUR_MS, INACTIVE,
    REFUSALS_KEPT,
};
use crate::auth::session::OrgScope;
use crate::error::AppError;
use crate::keys::KeyState;
use crate::platform::clock::from_millis;

/// `count` buckets of `width` ms ending with the one `now` falls in, filled
/// from (hour, outcome, requests) rows.
fn buckets(
    rows: impl IntoIterator<Item = (i64, Outcome, i64)>,
    now: i64,
    width: i64,
    count: i64,
) -> Vec<Bucket> {
    let last = now - now.rem_euclid(width);
    let first = last - (count - 1) * width;
    let mut out: Vec<Bucket> = (0..count)
        .map(|i| Bucket {
            start: from_millis(first + i * width),
            counts: [0; 4],
        })
        .collect();
    for (hour, outcome, requests) in rows {
        if hour >= first && hour < last + width {
            out[((hour - first) / width) as usize].counts[outcome.index()] += requests;
        }
    }
    out
}

fn rows(stored: Vec<data::BucketRow>) -> impl Iterator<Item = (i64, Outcome, i64)> {
    stored
        .into_iter()
        .filter_map(|r| Some((r.hour, Outcome::parse(&r.outcome)?, r.requests)))
}

/// The Requests page for a bar's part: its outcome, over the bucket's
/// `width` (ms), for the key with `prefix` (or every key).
fn requests_link(prefix: Option<&str>, width: i64) -> impl Fn(&Bucket, Outcome) -> String + '_ {
    move |bucket, outcome| {
        let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
        let to = bucket.start + chrono::Duration::milliseconds(width);
        let key = prefix
            .map(|p| format!("key={}&", crate::web::ui::encode(p)))
            .unwrap_or_default();
        format!(
            "/developer/requests?{key}outcome={}&from={}&to={}",
            outcome.key(),
            at(bucket.start),
            at(to)
        )
    }
}

fn hourly_chart(id: &str, title: &str, buckets: Vec<Bucket>, prefix: &str) -> Chart {
    let link = requests_link(Some(prefix), HOUR_MS);
    let svg = stacked_bars(
        id,
        title,
        &buckets,
        |b| b.start.format("%H:00").to_string(),
        4,
        Some(&link),
    );
    Chart {
        title: title.to_owned(),
        buckets,
        svg,
    }
}

fn daily_chart(
    id: &str,
    title: &str,
    buckets: Vec<Bucket>,
    label_every: usize,
    prefix: Option<&str>,
) -> Chart {
    let link = requests_link(prefix, DAY_MS);
    let svg = stacked_bars(
        id,
        title,
        &buckets,
        |b| b.start.format("%b %-d").to_string(),
        label_every,
        Some(&link),
    );
    Chart {
        title: title.to_owned(),
        buckets,
        svg,
    }
}

/// One key's usage page: 24 hours by hour, 30 days by day, totals and the
/// last refused requests.
pub async fn key_usage(state: &KeyState, org: &OrgScope, id: i64) -> Result<KeyUsage, AppError> {
    let mut conn = state.db.acquire().await?;
    let row = crate::keys::data::find(&mut conn, org.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let now = state.clock.now().timestamp_millis();
    let from = now - now.rem_euclid(DAY_MS) - 29 * DAY_MS;
    let mut all: Vec<(i64, Outcome, i64)> =
        rows(data::key_buckets(&state.db, id, from).await?).collect();
    all.extend(
        state
            .usage
            .pending_buckets(org.id, Some(id))
            .into_iter()
            .filter_map(|(_, hour, class, n)| Some((hour, Outcome::parse(class)?, n))),
    );
    let days = buckets(all.iter().copied(), now, DAY_MS, 30);
    let mut totals = [0; 4];
    for day in &days {
        for (total, n) in totals.iter_mut().zip(day.counts) {
            *total += n;
        }
    }
    let mut refused = state.usage.pending_refusals(id);
    refused.extend(data::refusals(&state.db, id, REFUSALS_KEPT as i64).await?);
    refused.truncate(REFUSALS_KEPT);
    Ok(KeyUsage {
        key: crate::keys::service::summary(state, &row),
        last_24_hours: hourly_chart(
            "key-24h",
            "Requests in the last 24 hours, by hour (UTC) and outcome",
            buckets(all.iter().copied(), now, HOUR_MS, 24),
            &row.prefix,
        ),
        last_30_days: daily_chart(
            "key-30d",
            "Requests in the last 30 days, by day (UTC) and outcome",
            days,
            5,
            Some(&row.prefix),
        ),
        totals,
        refused,
    })
}

/// The Developer page's overview: all keys over 7 days, and the five
/// busiest keys (from flushed usage).
pub async fn overview(state: &KeyState, organisation_id: i64) -> Result<OrgOverview, AppError> {
    let now = state.clock.now().timestamp_millis();
    let from = now - now.rem_euclid(DAY_MS) - 6 * DAY_MS;
    let mut all: Vec<(i64, Outcome, i64)> =
        rows(data::organisation_buckets(&state.db, organisation_id, from).await?).collect();
    all.extend(
        state
            .usage
            .pending_buckets(organisation_id, None)
            .into_iter()
            .filter_map(|(_, hour, class, n)| Some((hour, Outcome::parse(class)?, n))),
    );
    let mut top_keys = data::requests_by_key(&state.db, organisation_id, from, None).await?;
    top_keys.truncate(5);
    Ok(OrgOverview {
        last_7_days: daily_chart(
            "org-7d",
            "All keys' requests in the last 7 days, by day (UTC) and outcome",
            buckets(all, now, DAY_MS, 7),
            1,
            None,
        ),
        top_keys,
    })
}

/// Refused requests per key in the last 24 hours made while the key was
/// revoked or expired (flushed and pending): what the "Still called" badge
/// counts.
pub async fn calls_last_24_hours(
    state: &KeyState,
    organisation_id: i64,
) -> Result<HashMap<i64, i64>, AppError> {
    let now = state.clock.now().timestamp_millis();
    // Whole hours: the bucket the cut-off falls in counts.
    let from = hour_of(now - DAY_MS) + HOUR_MS;
    let mut calls: HashMap<i64, i64> =
        data::requests_by_key(&state.db, organisation_id, from, Some(INACTIVE))
            .await?
            .into_iter()
            .map(|k| (k.id, k.requests))
            .collect();
    for (key, hour, class, n) in state.usage.pending_buckets(organisation_id, None) {
        if hour >= from && class == INACTIVE {
            *calls.entry(key).or_default() += n;
        }
    }
    Ok(calls)
}

/// Drops usage older than the retention period (90 days).
pub async fn prune(state: &KeyState) -> Result<u64, AppError> {
    let now = state.clock.now().timestamp_millis();
    Ok(data::prune(&state.db, now - super::domain::RETENTION_DAYS * DAY_MS).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_land_in_their_bucket_and_old_ones_are_left_out() {
        let now = 100 * HOUR_MS + 1_000;
        let rows = [
            (100 * HOUR_MS, Outcome::Success, 3),
            (99 * HOUR_MS, Outcome::Refused, 2),
            (77 * HOUR_MS, Outcome::Success, 9),
            (76 * HOUR_MS, Outcome::Success, 50),
        ];
        let b = buckets(rows, now, HOUR_MS, 24);
        assert_eq!(b.len(), 24);
        assert_eq!(b[23].counts, [3, 0, 0, 0]);
        assert_eq!(b[22].counts, [0, 0, 2, 0]);
        assert_eq!(b[0].counts, [9, 0, 0, 0], "the 24th hour back is in");
        assert_eq!(
            b.iter().map(Bucket::total).sum::<i64>(),
            14,
            "the 25th is not"
        );
    }
}
