//! Several instances on one database, as behind a load balancer. Run on
//! PostgreSQL by `make test` (scripts/with-postgres.sh); the revocation and
//! usage tests also hold for two processes on one SQLite file.

use std::time::{Duration, Instant};

use crate::common::{spawn_app, spawn_app_with, test_postgres, TestApp};
use axum::http::{Method, StatusCode};
use leadline::keys::domain::Permissions;
use leadline::keys::RevokeKey;
use sqlx::Executor;

async fn status(app: &TestApp, key: &str) -> (StatusCode, String) {
    let r = app.api(Method::GET, "/api/v1/leads", Some(key), None).await;
    let code = if r.status.is_success() {
        String::new()
    } else {
        r.json()["code"].as_str().unwrap_or_default().to_owned()
    };
    (r.status, code)
}

/// Polls until `key` is refused as revoked on `app`; returns how long it took.
async fn refused_within(app: &TestApp, key: &str, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if status(app, key).await == (StatusCode::UNAUTHORIZED, "key_revoked".into()) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

#[tokio::test]
async fn a_revocation_on_one_instance_is_seen_by_another_within_a_second() {
    let a = spawn_app().await;
    let b = a.another_instance().await;
    let (_, dev) = a.developer("Acme", "dev@acme.test").await;
    let created = a.create_key(&dev, "Sync", Permissions::LEADS_CRUD).await;
    // B has verified the key, so it holds it in its cache.
    for _ in 0..3 {
        assert_eq!(status(&b, &created.plaintext).await.0, StatusCode::OK);
    }
    a.call(Some(&dev), RevokeKey { id: created.key.id })
        .await
        .unwrap();
    let took = refused_within(&b, &created.plaintext, Duration::from_secs(1)).await;
    println!("revocation seen by the other instance after {took:?}");
    assert!(took.is_some(), "the other instance still accepts the key");
}

#[tokio::test]
async fn an_instance_whose_listener_drops_reads_every_credential_until_it_is_back() {
    if test_postgres().is_none() {
        return; // SQLite shares an epoch file; there is no connection to lose.
    }
    let a = spawn_app().await;
    let (_, dev) = a.developer("Acme", "dev@acme.test").await;
    let created = a.create_key(&dev, "Sync", Permissions::LEADS_CRUD).await;
    for _ in 0..3 {
        assert_eq!(status(&a, &created.plaintext).await.0, StatusCode::OK);
    }
    // Cut every listening connection, then revoke behind the application's
    // back: no NOTIFY is sent, so only failing closed can catch it.
    let db = a.state.db.clone();
    db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .await
    .unwrap();
    sqlx::query("UPDATE api_keys SET revoked_at = 1 WHERE id = $1")
        .bind(created.key.id)
        .execute(&db)
        .await
        .unwrap();
    let took = refused_within(&a, &created.plaintext, Duration::from_secs(2)).await;
    println!("revocation without a notification seen after {took:?}");
    assert!(took.is_some(), "a stale cached credential was trusted");
}

#[tokio::test]
async fn the_rate_limit_of_a_key_holds_across_instances() {
    if test_postgres().is_none() {
        return; // One SQLite file means one instance; its limit is in memory.
    }
    let a = spawn_app_with(|c| c.api_rate_limit_per_minute = 40).await;
    let b = a.another_instance().await;
    let c = a.another_instance().await;
    let (_, dev) = a.developer("Acme", "dev@acme.test").await;
    let created = a.create_key(&dev, "Busy", Permissions::LEADS_CRUD).await;
    let instances = [&a, &b, &c];
    let mut allowed = 0;
    for i in 0..120 {
        let (code, _) = status(instances[i % 3], &created.plaintext).await;
        if code == StatusCode::OK {
            allowed += 1;
        } else {
            assert_eq!(code, StatusCode::TOO_MANY_REQUESTS);
        }
    }
    println!("3 instances, limit 40: {allowed} requests allowed");
    // Never over the limit; at most one block (40 / 20 = 2) per instance unused.
    assert!(allowed <= 40, "{allowed} allowed");
    assert!(allowed >= 40 - 3 * 2, "{allowed} allowed");
}

#[tokio::test]
async fn usage_counted_by_two_instances_adds_up() {
    let a = spawn_app().await;
    let b = a.another_instance().await;
    let (_, dev) = a.developer("Acme", "dev@acme.test").await;
    let created = a.create_key(&dev, "Counted", Permissions::LEADS_CRUD).await;
    for _ in 0..3 {
        status(&a, &created.plaintext).await;
    }
    for _ in 0..4 {
        status(&b, &created.plaintext).await;
    }
    let (flushed_a, flushed_b) = tokio::join!(a.state.usage.flush(), b.state.usage.flush());
    assert_eq!((flushed_a.unwrap(), flushed_b.unwrap()), (1, 1));
    let count: i64 = sqlx::query_scalar("SELECT request_count FROM api_keys WHERE id = $1")
        .bind(created.key.id)
        .fetch_one(&a.state.db)
        .await
        .unwrap();
    assert_eq!(count, 7);
}

#[tokio::test]
async fn the_playground_cap_holds_when_clicks_land_on_different_instances() {
    let a = spawn_app().await;
    let b = a.another_instance().await;
    let (_, dev) = a.developer("Acme", "dev@acme.test").await;
    let clicks = (0..10).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.call(Some(&dev), leadline::keys::GenerateTestToken {})
    });
    let made = futures::future::join_all(clicks)
        .await
        .iter()
        .filter(|r| r.is_ok())
        .count();
    assert_eq!(made, 5);
}
