//! Key usage: hourly buckets by outcome, written by the usage flush as
//! additive increments; the key's usage page, badges, overview and pruning;
//! and the streamed audit export.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::common::{spawn_app, spawn_app_with, Session, TestApp, READ};
use leadline::keys::usage::domain::{KeyUsage, Outcome};
use leadline::keys::usage::GetKeyUsage;
use leadline::keys::{ListKeys, RevokeKey};

async fn usage(app: &TestApp, dev: &Session, id: i64) -> KeyUsage {
    app.call(Some(dev), GetKeyUsage { id }).await.unwrap()
}

fn totals(u: &KeyUsage) -> [i64; 4] {
    u.totals
}

async fn org_id(app: &TestApp) -> i64 {
    leadline::orgs::data::find_organisation(&app.state.db, "acme")
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn get(app: &TestApp, key: &str, path: &str) -> StatusCode {
    app.api(Method::GET, path, Some(key), None).await.status
}

#[tokio::test]
async fn requests_are_counted_by_outcome_class_and_refusals_are_remembered() {
    let app = spawn_app_with(|c| c.api_rate_limit_per_minute = 6).await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", READ).await;
    let id = key.key.id;

    assert_eq!(
        get(&app, &key.plaintext, "/api/v1/leads").await,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &key.plaintext, "/api/v1/leads").await,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &key.plaintext, "/api/v1/leads/999").await,
        StatusCode::NOT_FOUND
    );
    let r = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(&key.plaintext),
            Some(serde_json::json!({"name": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A wrong secret for this key's prefix counts against it as refused; a
    // key nobody has is not counted anywhere.
    let wrong =
        leadline::keys::token::ApiKey::seal(&format!("{}{}", &key.plaintext[..14], "w".repeat(24)))
            .unwrap();
    assert_eq!(
        get(&app, wrong.expose(), "/api/v1/leads").await,
        StatusCode::UNAUTHORIZED
    );
    let stranger = leadline::keys::token::ApiKey::generate();
    assert_eq!(
        get(&app, stranger.expose(), "/api/v1/leads").await,
        StatusCode::UNAUTHORIZED
    );
    // The sixth request of the minute passes, the seventh is rate limited.
    assert_eq!(
        get(&app, &key.plaintext, "/api/v1/leads").await,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &key.plaintext, "/api/v1/leads").await,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &key.plaintext, "/api/v1/leads").await,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Before any flush the page already shows them (pending usage)...
    let before = usage(&app, &dev, id).await;
    // ...and after it, the same from the database.
    app.state.usage.flush().await.unwrap();
    let after = usage(&app, &dev, id).await;
    assert_eq!(totals(&before), totals(&after));
    let mut expected = [0; 4];
    expected[Outcome::Success.index()] = 4;
    expected[Outcome::ClientError.index()] = 1;
    expected[Outcome::Refused.index()] = 2;
    expected[Outcome::RateLimited.index()] = 1;
    assert_eq!(totals(&after), expected);
    let now_hour = after.last_24_hours.buckets.last().unwrap();
    assert_eq!(now_hour.counts, expected, "all in the current hour");

    // Revoked, it is refused and still counted; the refusals list names code,
    // method, path and client, newest first.
    app.call(Some(&dev), RevokeKey { id }).await.unwrap();
    app.state.clock.advance(Duration::minutes(1));
    assert_eq!(
        get(&app, &key.plaintext, "/api/v1/leads?limit=5").await,
        StatusCode::UNAUTHORIZED
    );
    let u = usage(&app, &dev, id).await;
    assert_eq!(u.totals[Outcome::Refused.index()], 3);
    let codes: Vec<&str> = u.refused.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        codes,
        ["key_revoked", "invalid_key", "insufficient_permission"]
    );
    assert_eq!(u.refused[0].method, "GET");
    assert_eq!(u.refused[0].path, "/api/v1/leads", "no query string");
    assert_eq!(u.refused[2].method, "POST");
    assert!(!u.refused[0].client.is_empty());
    assert!(u.last_24_hours.svg.contains("<title"), "a titled SVG");
}

#[tokio::test]
async fn buckets_follow_the_hour_boundaries_of_the_clock() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", READ).await;
    // The test clock starts at 12:00:00.000.
    app.state
        .clock
        .advance(Duration::minutes(59) + Duration::seconds(59) + Duration::milliseconds(999));
    get(&app, &key.plaintext, "/api/v1/leads").await;
    app.state.clock.advance(Duration::milliseconds(1));
    get(&app, &key.plaintext, "/api/v1/leads").await;
    get(&app, &key.plaintext, "/api/v1/leads").await;
    app.state.usage.flush().await.unwrap();
    let u = usage(&app, &dev, key.key.id).await;
    let hours: Vec<(String, i64)> = u
        .last_24_hours
        .buckets
        .iter()
        .rev()
        .take(2)
        .map(|b| (b.start.format("%H:%M").to_string(), b.total()))
        .collect();
    assert_eq!(hours, [("13:00".to_owned(), 2), ("12:00".to_owned(), 1)]);
    // 30 days by day: both in today's bucket.
    assert_eq!(u.last_30_days.buckets.last().unwrap().total(), 3);
    assert_eq!(u.last_30_days.buckets.len(), 30);
    // 23 hours later (12:00 the next day) the 12:00 hour has left the
    // 24-hour chart, not the 30 days.
    app.state.clock.advance(Duration::hours(23));
    let dev = app.sign_in("dev@acme.test").await;
    let u = usage(&app, &dev, key.key.id).await;
    assert_eq!(
        u.last_24_hours
            .buckets
            .iter()
            .map(|b| b.total())
            .sum::<i64>(),
        2
    );
    assert_eq!(u.totals[Outcome::Success.index()], 3);
}

#[tokio::test]
async fn two_instances_add_their_counts_and_old_usage_is_pruned() {
    let a = spawn_app().await;
    let b = a.another_instance().await;
    let (_, dev) = a.developer("Acme", "dev@acme.test").await;
    let key = a.create_key(&dev, "Sync", READ).await;
    for _ in 0..3 {
        get(&a, &key.plaintext, "/api/v1/leads").await;
    }
    for _ in 0..4 {
        get(&b, &key.plaintext, "/api/v1/leads").await;
    }
    // Both flush the same bucket, each adding its own count.
    let (x, y) = tokio::join!(a.state.usage.flush(), b.state.usage.flush());
    x.unwrap();
    y.unwrap();
    get(&b, &key.plaintext, "/api/v1/leads").await;
    b.state.usage.flush().await.unwrap();
    assert_eq!(
        usage(&a, &dev, key.key.id).await.totals[Outcome::Success.index()],
        8
    );

    // The overview counts them too, and names the key.
    let page = a
        .call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    let top = &page.overview.top_keys[0];
    assert_eq!((&top.prefix, top.requests), (&key.key.prefix, 8));
    let overview = leadline::keys::usage::service::overview(&a.state, org_id(&a).await)
        .await
        .unwrap();
    assert_eq!(overview.top_keys[0].prefix, key.key.prefix);
    assert_eq!(overview.top_keys[0].requests, 8);
    assert_eq!(overview.last_7_days.buckets.last().unwrap().total(), 8);

    // 91 days on, the background prune drops them.
    a.state.clock.advance(Duration::days(91));
    assert!(
        leadline::keys::usage::service::prune(&a.state)
            .await
            .unwrap()
            > 0
    );
    let left: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM key_usage")
        .fetch_one(&a.state.db)
        .await
        .unwrap();
    assert_eq!(left.0, 0);
}

#[tokio::test]
async fn forgotten_integrations_are_flagged_in_the_list() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let called = app.create_key(&dev, "Old Zapier", READ).await;
    let idle = app.create_key(&dev, "Idle", READ).await;
    let busy = app.create_key(&dev, "Busy", READ).await;
    // Calls while it worked are not "still called".
    for _ in 0..2 {
        get(&app, &called.plaintext, "/api/v1/leads").await;
    }
    app.state.usage.flush().await.unwrap();
    app.call(Some(&dev), RevokeKey { id: called.key.id })
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            get(&app, &called.plaintext, "/api/v1/leads").await,
            StatusCode::UNAUTHORIZED
        );
    }
    let page = app
        .call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    let row = |prefix: &str| {
        page.keys
            .iter()
            .find(|k| k.prefix == prefix)
            .unwrap()
            .clone()
    };
    assert_eq!(
        row(&called.key.prefix).calls_24h,
        3,
        "Still called: 3 requests in 24 h"
    );
    assert_eq!(
        row(&busy.key.prefix).calls_24h,
        0,
        "only revoked or expired keys"
    );

    // 91 days on: the idle key is unused; the busy one was used meanwhile.
    app.state.clock.advance(Duration::days(89));
    get(&app, &busy.plaintext, "/api/v1/leads").await;
    app.state.usage.flush().await.unwrap();
    app.state.clock.advance(Duration::days(2));
    let dev = app.sign_in("dev@acme.test").await;
    let page = app
        .call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    let unused: Vec<&str> = page
        .keys
        .iter()
        .filter(|k| k.unused)
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(unused, ["Idle"], "revoked keys are not 'unused'");
    let filtered = app
        .call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: true,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (filtered.total, filtered.keys[0].prefix.as_str()),
        (1, idle.key.prefix.as_str())
    );
    // Its calls have aged out of the 24 hours.
    assert_eq!(
        page.keys
            .iter()
            .find(|k| k.prefix == called.key.prefix)
            .unwrap()
            .calls_24h,
        0
    );
}

#[tokio::test]
async fn a_deleted_key_takes_its_usage_with_it_and_other_orgs_cannot_read_it() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", READ).await;
    get(&app, &key.plaintext, "/api/v1/leads").await;
    app.state.usage.flush().await.unwrap();
    let (_, other) = app.developer("Globex", "dev@globex.test").await;
    let refused = app
        .call(Some(&other), GetKeyUsage { id: key.key.id })
        .await
        .unwrap_err();
    assert_eq!(refused, leadline::error::AppError::NotFound);
    app.call(Some(&dev), leadline::keys::DeleteKey { id: key.key.id })
        .await
        .unwrap();
    let left: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM key_usage WHERE key_id = $1")
        .bind(key.key.id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(left.0, 0);
}

// The audit export.

async fn fill_audit_log(app: &TestApp, organisation_id: i64, entries: i64) {
    let mut tx = app.state.db.begin().await.unwrap();
    let batch = 500;
    for start in (0..entries).step_by(batch as usize) {
        let values: Vec<String> = (start..(start + batch).min(entries))
            .map(|i| {
                format!(
                    "({organisation_id}, {}, 'operator (test)', 'key.updated', 'sk_Fill{:05}_0', 'Key {i}', '{{\"n\":{i}}}')",
                    1_700_000_000_000i64 + i,
                    i % 100_000
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO audit_entries (organisation_id, occurred_at, actor, action, key_prefix, key_name, details) VALUES {}",
            values.join(",")
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The body as it arrives: how many chunks, the largest, and the whole text.
async fn stream(app: &TestApp, path: &str, session: &Session) -> (StatusCode, Vec<usize>, String) {
    let request = Request::builder()
        .uri(path)
        .header(header::COOKIE, &session.0)
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let mut body = response.into_body();
    let mut sizes = Vec::new();
    let mut text = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            sizes.push(data.len());
            text.extend_from_slice(&data);
        }
    }
    (status, sizes, String::from_utf8(text).unwrap())
}

/// 100,000 entries leave as a stream: the body arrives in many bounded
/// chunks (one per page of rows read), never as one buffer of the whole log.
#[tokio::test]
async fn a_100k_entry_audit_log_is_exported_as_a_stream() {
    let app = spawn_app().await;
    let (slug, dev) = app.developer("Acme", "dev@acme.test").await;
    let org = leadline::orgs::data::find_organisation(&app.state.db, &slug)
        .await
        .unwrap()
        .unwrap();
    fill_audit_log(&app, org.id, 100_000).await;

    let (status, sizes, csv) = stream(&app, "/audit/export?format=csv", &dev).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    // The fill, plus the entries made when the organisation was set up.
    assert!(lines.len() > 100_001, "{}", lines.len());
    assert_eq!(
        lines[0],
        "id,occurred_at,actor,action,key_prefix,key_name,details"
    );
    assert!(lines[1].contains("Key 99999"), "newest first: {}", lines[1]);
    let largest = *sizes.iter().max().unwrap();
    assert!(sizes.len() >= 200, "{} chunks", sizes.len());
    assert!(
        largest < 128 * 1024,
        "largest chunk {largest} B, of {} B",
        csv.len()
    );
    assert!(
        csv.len() > 8 * 1024 * 1024,
        "the whole export is {} B",
        csv.len()
    );

    let (status, sizes, jsonl) =
        stream(&app, "/audit/export?format=jsonl&action=key.updated", &dev).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sizes.len() >= 200);
    let entries: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 100_000, "the action filter applies");
    assert_eq!(entries[0]["key_name"], "Key 99999");
    assert_eq!(entries[99_999]["key_name"], "Key 0");
}

#[tokio::test]
async fn the_audit_export_keeps_filters_and_access_rules() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "=cmd|' /C calc'!A0", READ).await;
    app.create_key(&dev, "Other", READ).await;
    let prefix = &key.key.prefix;
    let (status, _, csv) = stream(
        &app,
        &format!("/audit/export?format=csv&prefix={prefix}"),
        &dev,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains(prefix.as_str()));
    assert!(
        lines[1].contains("\"'=cmd|' /C calc'!A0\""),
        "a formula is defused: {}",
        lines[1]
    );

    // Compressed for browsers that ask, to the end.
    let request = Request::builder()
        .uri("/audit/export?format=jsonl")
        .header(header::COOKIE, &dev.0)
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    let gz = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        gz.len() > 20 && gz[..2] == [0x1f, 0x8b],
        "a whole gzip stream"
    );

    let anonymous = Session(String::new());
    assert_eq!(
        stream(&app, "/audit/export", &anonymous).await.0,
        StatusCode::UNAUTHORIZED
    );
    let bad = stream(&app, "/audit/export?format=xlsx", &dev).await;
    assert_eq!(bad.0, StatusCode::UNPROCESSABLE_ENTITY);
    let slug = app.org("Initech", true).await;
    app.member(&slug, "sales@initech.test", false, false).await;
    let sales = app.sign_in("sales@initech.test").await;
    assert_eq!(
        stream(&app, "/audit/export", &sales).await.0,
        StatusCode::FORBIDDEN
    );
}
