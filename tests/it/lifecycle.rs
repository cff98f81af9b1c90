//! The key lifecycle: rolls with a grace period, the organisation's key
//! policy, expiry warnings, IP allowlists, checksums and leak reports.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use serde_json::json;

use crate::common::{spawn_app, spawn_app_with, Session, TestApp, PASSWORD};
use leadline::audit::ListAudit;
use leadline::error::AppError;
use leadline::keys::domain::{Grace, KeyStatus, KeySummary, Permissions};
use leadline::keys::{CancelRetirement, CreateKey, ListKeys, RollKey, SetKeyPolicy, UpdateKey};

const ALL: Permissions = Permissions::LEADS_CRUD;

async fn status_of(app: &TestApp, key: &str) -> (StatusCode, String) {
    let r = app.api(Method::GET, "/api/v1/leads", Some(key), None).await;
    let code = r.json()["code"].as_str().unwrap_or("").to_owned();
    (r.status, code)
}

async fn listed(app: &TestApp, dev: &Session, prefix: &str) -> KeySummary {
    let page = app
        .call(
            Some(dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    page.keys.into_iter().find(|k| k.prefix == prefix).unwrap()
}

async fn audit(app: &TestApp, dev: &Session) -> Vec<(String, String, String)> {
    let page = app
        .call(
            Some(dev),
            ListAudit {
                prefix: String::new(),
                action: String::new(),
                before: None,
            },
        )
        .await
        .unwrap();
    page.entries
        .into_iter()
        .map(|e| (e.action, e.key_prefix.unwrap_or_default(), e.details))
        .collect()
}

// Roll with a grace period.

#[tokio::test]
async fn a_rolled_key_works_through_its_grace_period_then_is_refused_as_revoked() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let old = app.create_key(&dev, "Zapier, leads sync", ALL).await;
    let new = app
        .call(
            Some(&dev),
            RollKey {
                confirm_password: String::new(),
                id: old.key.id,
                grace: Grace::OneDay,
            },
        )
        .await
        .unwrap();
    assert_ne!(new.plaintext, old.plaintext);
    assert_eq!(new.key.name, "Zapier, leads sync");
    assert_eq!(new.key.permissions, ALL);
    assert_eq!(new.key.expires_at, old.key.expires_at);
    assert_eq!(
        new.key.rolled_from.as_deref(),
        Some(old.key.prefix.as_str())
    );

    // Both work during the grace period; the old one says when it retires.
    assert_eq!(status_of(&app, &old.plaintext).await.0, StatusCode::OK);
    assert_eq!(status_of(&app, &new.plaintext).await.0, StatusCode::OK);
    app.state.clock.advance(Duration::minutes(1));
    let retiring = listed(&app, &dev, &old.key.prefix).await;
    assert_eq!(retiring.status, KeyStatus::Retiring);
    assert_eq!(retiring.expires_at, old.key.expires_at, "expiry unchanged");
    let left = retiring.retires_in_ms.unwrap();
    assert_eq!(leadline::keys::domain::time_left(left), "23 h");

    // Both are audited, each naming the other.
    let entries = audit(&app, &dev).await;
    assert!(entries
        .iter()
        .any(|(action, prefix, details)| action == "key.rolled"
            && *prefix == old.key.prefix
            && details.contains(&new.key.prefix)));
    assert!(entries
        .iter()
        .any(|(action, prefix, details)| action == "key.created"
            && *prefix == new.key.prefix
            && details.contains(&old.key.prefix)));

    // At the end of the grace period the old key is revoked, the new one not.
    app.state
        .clock
        .advance(Duration::hours(23) + Duration::minutes(58));
    assert_eq!(
        status_of(&app, &old.plaintext).await.0,
        StatusCode::OK,
        "a minute left"
    );
    app.state.clock.advance(Duration::minutes(1));
    assert_eq!(
        status_of(&app, &old.plaintext).await,
        (StatusCode::UNAUTHORIZED, "key_revoked".into())
    );
    assert_eq!(status_of(&app, &new.plaintext).await.0, StatusCode::OK);
    // (The session has idled out meanwhile.)
    let dev = app.sign_in("dev@acme.test").await;
    assert_eq!(
        listed(&app, &dev, &old.key.prefix).await.status,
        KeyStatus::Revoked
    );
}

#[tokio::test]
async fn a_roll_without_grace_stops_the_old_key_at_once_even_from_the_cache() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let old = app.create_key(&dev, "CI", ALL).await;
    // Cached by this request.
    assert_eq!(status_of(&app, &old.plaintext).await.0, StatusCode::OK);
    let new = app
        .call(
            Some(&dev),
            RollKey {
                confirm_password: String::new(),
                id: old.key.id,
                grace: Grace::None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        status_of(&app, &old.plaintext).await,
        (StatusCode::UNAUTHORIZED, "key_revoked".into())
    );
    assert_eq!(status_of(&app, &new.plaintext).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_scheduled_revocation_can_be_cancelled_and_only_working_keys_roll() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let old = app.create_key(&dev, "CI", ALL).await;
    app.call(
        Some(&dev),
        RollKey {
            confirm_password: String::new(),
            id: old.key.id,
            grace: Grace::OneHour,
        },
    )
    .await
    .unwrap();
    // Rolling a retiring key again is refused: roll its replacement.
    let again = app
        .call(
            Some(&dev),
            RollKey {
                confirm_password: String::new(),
                id: old.key.id,
                grace: Grace::OneHour,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(again, AppError::Conflict(ref m) if m.contains("retiring")),
        "{again:?}"
    );

    let kept = app
        .call(Some(&dev), CancelRetirement { id: old.key.id })
        .await
        .unwrap();
    assert_eq!(kept.status, KeyStatus::Active);
    app.state.clock.advance(Duration::hours(2));
    assert_eq!(status_of(&app, &old.plaintext).await.0, StatusCode::OK);
    assert!(audit(&app, &dev)
        .await
        .iter()
        .any(|(action, ..)| action == "key.retirement_cancelled"));
    let twice = app
        .call(Some(&dev), CancelRetirement { id: old.key.id })
        .await
        .unwrap_err();
    assert!(matches!(twice, AppError::Conflict(_)));

    // A revoked key can't be rolled; nor can another organisation's.
    app.call(Some(&dev), leadline::keys::RevokeKey { id: old.key.id })
        .await
        .unwrap();
    // Hours have passed since signing in: the roll asks for the password.
    let revoked = app
        .call(
            Some(&dev),
            RollKey {
                confirm_password: PASSWORD.into(),
                id: old.key.id,
                grace: Grace::None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(revoked, AppError::Conflict(ref m) if m.contains("revoked")));
    let (_, other) = app.developer("Globex", "dev@globex.test").await;
    let theirs = app
        .call(
            Some(&other),
            RollKey {
                confirm_password: String::new(),
                id: old.key.id,
                grace: Grace::None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(theirs, AppError::NotFound);
}

// The organisation's key policy.

#[tokio::test]
async fn the_key_policy_bounds_new_keys_and_rolls_but_not_existing_keys() {
    let app = spawn_app().await;
    let slug = app.org("Acme", true).await;
    app.member(&slug, "admin@acme.test", true, true).await;
    app.member(&slug, "dev@acme.test", false, true).await;
    let admin = app.sign_in("admin@acme.test").await;
    let dev = app.sign_in("dev@acme.test").await;
    let forever = app.create_key(&dev, "Old", ALL).await;

    // Developers can't set it; org admins can, and a bad value is a field error.
    let policy = |days: &str| SetKeyPolicy {
        confirm_password: String::new(),
        max_lifetime_days: days.into(),
        expiry_required: false,
    };
    let refused = app.call(Some(&dev), policy("90")).await.unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    let bad = app.call(Some(&admin), policy("0")).await.unwrap_err();
    assert_eq!(bad.field_errors()[0].field, "max_lifetime_days");
    let set = app.call(Some(&admin), policy("90")).await.unwrap();
    assert_eq!(set.max_lifetime_days, Some(90));
    assert!(set.expiry_required);

    // The form is pre-filled with the latest date allowed (the clock is at
    // 2026-11-27), and the server enforces it.
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
    assert_eq!(page.suggested_expiry.as_deref(), Some("2027-02-25"));
    let create = |expires_at: &str| CreateKey {
        confirm_password: String::new(),
        name: "New".into(),
        permissions: ALL,
        expires_at: expires_at.into(),
    };
    for expires_at in ["", "2027-02-26"] {
        let e = app.call(Some(&dev), create(expires_at)).await.unwrap_err();
        assert_eq!(e.field_errors()[0].field, "expires_at", "{expires_at:?}");
        assert!(e.field_errors()[0].message.contains("90 days"), "{e:?}");
    }
    assert!(app.call(Some(&dev), create("2027-02-25")).await.is_ok());

    // The existing key keeps working and keeps no expiry; rolling it makes a
    // new key, which must obey the policy.
    assert_eq!(status_of(&app, &forever.plaintext).await.0, StatusCode::OK);
    let roll = app
        .call(
            Some(&dev),
            RollKey {
                confirm_password: String::new(),
                id: forever.key.id,
                grace: Grace::None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(roll.field_errors()[0].field, "expires_at");
    assert_eq!(
        listed(&app, &dev, &forever.key.prefix).await.status,
        KeyStatus::Active
    );
    assert!(audit(&app, &dev)
        .await
        .iter()
        .any(|(action, _, details)| action == "key_policy.changed" && details.contains("90 days")));
}

// Expiry warnings.

#[tokio::test]
async fn keys_expiring_within_a_week_are_flagged_and_announced_by_the_api() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let create = |name: &str, expires_at: &str| CreateKey {
        confirm_password: String::new(),
        name: name.into(),
        permissions: ALL,
        expires_at: expires_at.into(),
    };
    let soon = app
        .call(Some(&dev), create("Soon", "2026-11-30"))
        .await
        .unwrap();
    let later = app
        .call(Some(&dev), create("Later", "2027-01-31"))
        .await
        .unwrap();

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
    assert_eq!(page.expiring_soon, 1);
    let flagged = listed(&app, &dev, &soon.key.prefix).await;
    assert_eq!(
        leadline::keys::domain::time_left(flagged.expires_in_ms.unwrap()),
        "3 days"
    );
    assert_eq!(
        listed(&app, &dev, &later.key.prefix).await.expires_in_ms,
        None
    );

    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&soon.plaintext), None)
        .await;
    assert_eq!(r.header("leadline-key-expires"), "2026-11-30T23:59:59Z");
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&later.plaintext), None)
        .await;
    assert_eq!(r.header("leadline-key-expires"), "");
    // Only on success.
    let r = app
        .api(
            Method::GET,
            "/api/v1/leads/999",
            Some(&soon.plaintext),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.header("leadline-key-expires")),
        (StatusCode::NOT_FOUND, String::new())
    );

    // Once passed: "Expired", distinct from revoked, and no longer counted.
    app.state.clock.advance(Duration::days(4));
    let dev = app.sign_in("dev@acme.test").await;
    let expired = listed(&app, &dev, &soon.key.prefix).await;
    assert_eq!(
        (expired.status, expired.status.label()),
        (KeyStatus::Expired, "Expired")
    );
    assert_eq!(
        status_of(&app, &soon.plaintext).await,
        (StatusCode::UNAUTHORIZED, "key_expired".into())
    );
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
    assert_eq!(page.expiring_soon, 0);
}

// IP allowlists.

fn from(address: &str, key: &str, forwarded_for: Option<&str>) -> Request<Body> {
    let mut request = Request::builder()
        .uri("/api/v1/leads")
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    let mut request = request.body(Body::empty()).unwrap();
    let peer = std::net::SocketAddr::new(address.parse().unwrap(), 50000);
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    request
}

#[tokio::test]
async fn an_ip_allowlist_refuses_other_addresses_with_403_naming_key_and_address() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()]).await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Office", ALL).await;
    // Cached before the change: the change must still apply at once.
    assert_eq!(
        app.send(from("198.51.100.7", &key.plaintext, None))
            .await
            .status,
        StatusCode::OK
    );

    let update = |ips: &str| UpdateKey {
        id: key.key.id,
        name: "Office".into(),
        permissions: ALL,
        allowed_ips: ips.into(),
    };
    let bad = app
        .call(Some(&dev), update("203.0.113.5/24"))
        .await
        .unwrap_err();
    assert_eq!(bad.field_errors()[0].field, "allowed_ips");
    assert!(bad.field_errors()[0].message.contains("203.0.113.0/24"));
    let saved = app
        .call(Some(&dev), update("203.0.113.0/24\n2001:db8::/32"))
        .await
        .unwrap();
    assert_eq!(saved.allowed_ips, ["203.0.113.0/24", "2001:db8::/32"]);

    let r = app.send(from("198.51.100.7", &key.plaintext, None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["code"], "ip_not_allowed");
    assert_eq!(r.json()["key_prefix"], key.key.prefix.as_str());
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("198.51.100.7"));
    assert_eq!(
        app.send(from("203.0.113.9", &key.plaintext, None))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.send(from("2001:db8::1", &key.plaintext, None))
            .await
            .status,
        StatusCode::OK
    );

    // Behind a trusted proxy the forwarded client counts; an untrusted
    // peer's X-Forwarded-For is ignored.
    let via_proxy = app
        .send(from("10.1.1.1", &key.plaintext, Some("203.0.113.20")))
        .await;
    assert_eq!(via_proxy.status, StatusCode::OK);
    let spoofed = app
        .send(from("198.51.100.7", &key.plaintext, Some("203.0.113.20")))
        .await;
    assert_eq!(spoofed.status, StatusCode::FORBIDDEN);

    assert!(audit(&app, &dev)
        .await
        .iter()
        .any(|(action, _, details)| action == "key.updated" && details.contains("2001:db8::/32")));
    // Emptied: anywhere again.
    app.call(Some(&dev), update("")).await.unwrap();
    assert_eq!(
        app.send(from("198.51.100.7", &key.plaintext, None))
            .await
            .status,
        StatusCode::OK
    );
}

// Checksums and leak reports.

async fn report(app: &TestApp, keys: serde_json::Value, address: &str) -> crate::common::Response {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/leaked-keys")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "keys": keys }).to_string()))
        .unwrap();
    let peer: std::net::SocketAddr = format!("{address}:50000").parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    app.send(request).await
}

#[tokio::test]
async fn a_leak_report_revokes_working_keys_and_answers_the_same_whatever_matched() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let leaked = app.create_key(&dev, "Leaked", ALL).await;
    let kept = app.create_key(&dev, "Kept", ALL).await;

    let nothing = report(
        &app,
        json!(["hello", "sk_AbCd1234_0123456789abcdefghijABCDEFGHIJKL"]),
        "192.0.2.1",
    )
    .await;
    let something = report(
        &app,
        json!([format!("  {}\n", leaked.plaintext)]),
        "192.0.2.1",
    )
    .await;
    assert_eq!(
        (nothing.status, something.status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(nothing.body, something.body, "no hint of what matched");

    assert_eq!(
        status_of(&app, &leaked.plaintext).await,
        (StatusCode::UNAUTHORIZED, "key_revoked".into())
    );
    assert_eq!(status_of(&app, &kept.plaintext).await.0, StatusCode::OK);
    let row = listed(&app, &dev, &leaked.key.prefix).await;
    assert_eq!(
        (row.status, row.revoked_reason.as_deref()),
        (KeyStatus::Revoked, Some("leaked"))
    );
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
    assert_eq!(page.leaked, 1, "the Developer page's banner");
    assert!(audit(&app, &dev)
        .await
        .iter()
        .any(|(action, prefix, details)| action == "key.revoked"
            && *prefix == leaked.key.prefix
            && details == "reported as leaked"));

    // Reported again: nothing more happens, same answer.
    let again = report(&app, json!([leaked.plaintext]), "192.0.2.1").await;
    assert_eq!(again.body, nothing.body);
    let entries = audit(&app, &dev).await;
    assert_eq!(
        entries
            .iter()
            .filter(|(_, _, d)| d == "reported as leaked")
            .count(),
        1
    );
}

#[tokio::test]
async fn leak_reports_are_bounded_in_size_and_rate_per_client() {
    let app = spawn_app_with(|c| c.leak_reports_per_minute = 3).await;
    let none = report(&app, json!([]), "192.0.2.1").await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(none.json()["errors"][0]["field"], "keys");
    let many: Vec<String> = (0..101).map(|i| format!("token {i}")).collect();
    let r = report(&app, json!(many), "192.0.2.1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = report(&app, json!(["x"]), "192.0.2.1").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = report(&app, json!(["x"]), "192.0.2.1").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["code"], "rate_limited");
    assert!(!r.header("retry-after").is_empty());
    // Another client is not affected.
    assert_eq!(
        report(&app, json!(["x"]), "192.0.2.2").await.status,
        StatusCode::ACCEPTED
    );
    // Not JSON: 415, as everywhere in the API.
    let r = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/leaked-keys")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("sk_..."))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// A mistyped key or a made-up token is refused before any database access:
/// with the database closed, the answer is still a 401, not a 500.
#[tokio::test]
async fn a_bad_checksum_is_refused_without_touching_the_database() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "CI", ALL).await;
    let mut typo = key.plaintext.clone();
    typo.replace_range(
        40..41,
        if &key.plaintext[40..41] == "0" {
            "1"
        } else {
            "0"
        },
    );
    app.state.db.close().await;
    assert_eq!(
        status_of(&app, &typo).await,
        (StatusCode::UNAUTHORIZED, "malformed_key".into())
    );
    // A well-formed unknown key does need the database, and so is told
    // the database is unavailable (503, retry), not refused.
    let unknown = leadline::keys::token::ApiKey::generate();
    assert_eq!(
        status_of(&app, unknown.expose()).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable".into()
        )
    );
    // A leak report of only bad tokens needs no database either.
    assert_eq!(
        report(&app, json!([typo]), "192.0.2.1").await.status,
        StatusCode::ACCEPTED
    );
}

/// Keys made before checksums existed keep working: the migration marks the
/// rows it finds, and only their prefixes skip the checksum.
#[tokio::test]
async fn keys_made_before_checksums_keep_working() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let made = app.create_key(&dev, "Old", ALL).await;
    // Turn it into a pre-checksum key: a secret without a checksum, and the
    // row as the migration leaves an old one.
    let old = format!("{}{}", &made.plaintext[..14], "Q".repeat(30));
    assert!(!leadline::keys::token::ApiKey::parse(&old)
        .unwrap()
        .has_valid_checksum());
    sqlx::query("UPDATE api_keys SET key_hash = $1, checksummed = FALSE WHERE id = $2")
        .bind(leadline::platform::secret::TokenHash::of(&old).as_str())
        .bind(made.key.id)
        .execute(&app.state.db)
        .await
        .unwrap();
    // The set of old prefixes is read when the server starts.
    let restarted = app.another_instance().await;
    assert_eq!(status_of(&restarted, &old).await.0, StatusCode::OK);
    // A token with the same shape but no old prefix is still refused unread.
    let stranger = format!("sk_Zz9Zz9Zz_{}", "Q".repeat(32));
    assert_eq!(
        status_of(&restarted, &stranger).await,
        (StatusCode::UNAUTHORIZED, "malformed_key".into())
    );
    // And the old key can be reported as leaked like any other.
    assert_eq!(
        report(&restarted, json!([old]), "192.0.2.1").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        status_of(&restarted, &old).await,
        (StatusCode::UNAUTHORIZED, "key_revoked".into())
    );
}

/// The checksum is public, so anyone can forge well-formed tokens. A report
/// that names no working key must cost a read: it waits for no write lock
/// (here held by another writer) and empties no credential cache.
#[tokio::test]
async fn a_leak_report_that_matches_nothing_takes_no_write_lock_and_invalidates_nothing() {
    use leadline::keys::token::ApiKey;
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "CI", ALL).await;
    assert_eq!(status_of(&app, &key.plaintext).await.0, StatusCode::OK);
    let epoch = app.state.changes.current();
    let forged: Vec<String> = (0..100)
        .map(|_| ApiKey::generate().expose().to_owned())
        .collect();
    let writer = leadline::platform::db::begin_write(&app.state.db)
        .await
        .unwrap();
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        report(&app, json!(forged), "192.0.2.1"),
    )
    .await
    .expect("a report of forged tokens waited for the write lock");
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    drop(writer);
    assert_eq!(app.state.changes.current(), epoch, "no cache was emptied");
    // A report with the real key among the forged ones still revokes it.
    let mut mixed = forged[..99].to_vec();
    mixed.push(key.plaintext.clone());
    assert_eq!(
        report(&app, json!(mixed), "192.0.2.1").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        status_of(&app, &key.plaintext).await,
        (StatusCode::UNAUTHORIZED, "key_revoked".into())
    );
}
