//! Webhooks: key events POSTed to an organisation's endpoints, signed by
//! the Standard Webhooks specification and checked here by its reference
//! library (a Python receiver, not our code); retried, redelivered,
//! disabled after 3 days of failures; private targets refused.

use std::collections::BTreeMap;

use axum::http::Method;
use chrono::Duration;
use serde_json::json;

use crate::common::{spawn_app_with, Session, TestApp, WebhookReceiver, READ};
use leadline::app::scheduler::round;
use leadline::error::AppError;
use leadline::notify::domain::{DeliveryStatus, EndpointSecret, EventKind};
use leadline::notify::{
    CreateWebhook, DeleteWebhook, GetDeliveries, ListWebhooks, Redeliver, RollWebhookSecret,
    UpdateWebhook,
};

fn events(kinds: &[EventKind]) -> BTreeMap<String, String> {
    kinds
        .iter()
        .map(|k| (k.key().to_owned(), "on".to_owned()))
        .collect()
}

/// An app whose webhooks may reach loopback (the receiver), with its clock
/// at the real time, which the receiver's library checks timestamps against.
async fn lab() -> (TestApp, Session, Session) {
    let app = spawn_app_with(|config| config.webhook_allow_private = true).await;
    let behind = chrono::Utc::now() - app.state.clock.now();
    app.state.clock.advance(behind);
    let (slug, dev) = app.developer("Acme", "dev@acme.test").await;
    app.member(&slug, "admin@acme.test", true, false).await;
    let admin = app.sign_in("admin@acme.test").await;
    (app, dev, admin)
}

async fn add_endpoint(
    app: &TestApp,
    admin: &Session,
    url: &str,
    kinds: &[EventKind],
) -> Result<EndpointSecret, AppError> {
    app.call(
        Some(admin),
        CreateWebhook {
            url: url.into(),
            description: "CRM sync".into(),
            events: events(kinds),
        },
    )
    .await
}

async fn log(app: &TestApp, admin: &Session, id: i64) -> leadline::notify::DeliveryLog {
    app.call(Some(admin), GetDeliveries { id, before: None })
        .await
        .unwrap()
}

#[tokio::test]
async fn deliveries_are_signed_so_that_the_standard_webhooks_library_accepts_them() {
    let receiver = WebhookReceiver::start().await;
    let (app, dev, admin) = lab().await;
    let made = add_endpoint(
        &app,
        &admin,
        &receiver.url,
        &[EventKind::Created, EventKind::Leaked],
    )
    .await
    .unwrap();
    assert!(made.secret.starts_with("whsec_"));
    receiver.expect_secret(&made.secret);
    let listed = app.call(Some(&admin), ListWebhooks {}).await.unwrap();
    assert_eq!(listed.len(), 1);
    let page = serde_json::to_string(&listed).unwrap();
    assert!(
        !page.contains(&made.secret),
        "the secret is shown once only"
    );

    let key = app.create_key(&dev, "Zapier", READ).await;
    let done = round(&app.state).await.unwrap();
    assert_eq!(done.webhooks.delivered, 1, "{done:?}");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].verified, "{:?}", got[0].error);
    assert_eq!(got[0].body["type"], "key.created");
    assert_eq!(
        got[0].body["data"]["key"]["prefix"],
        key.key.prefix.as_str()
    );
    assert_eq!(got[0].body["data"]["organisation"], "acme");
    assert!(!got[0].body.to_string().contains(&key.plaintext));

    // Not subscribed: a revocation is not sent; a leak is.
    let revoked = app.create_key(&dev, "Old", READ).await;
    app.call(Some(&dev), leadline::keys::RevokeKey { id: revoked.key.id })
        .await
        .unwrap();
    let report = app
        .api(
            Method::POST,
            "/api/v1/leaked-keys",
            None,
            Some(json!({ "keys": [key.plaintext] })),
        )
        .await;
    assert_eq!(report.status.as_u16(), 202);
    round(&app.state).await.unwrap();
    let got = receiver.received();
    let kinds: Vec<&str> = got
        .iter()
        .map(|w| w.body["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["key.created", "key.created", "key.leaked"]);
    assert!(got.iter().all(|w| w.verified));

    let delivered = log(&app, &admin, made.endpoint.id).await;
    let last = &delivered.deliveries[0];
    assert_eq!(last.status, DeliveryStatus::Delivered);
    assert_eq!(last.response_status, Some(200));
    assert!(last.latency_ms.is_some());

    // A rolled secret signs from now on; the old one no longer verifies.
    let rolled = app
        .call(
            Some(&admin),
            RollWebhookSecret {
                id: made.endpoint.id,
            },
        )
        .await
        .unwrap();
    assert_ne!(rolled.secret, made.secret);
    app.create_key(&dev, "After the roll", READ).await;
    round(&app.state).await.unwrap();
    assert!(
        !receiver.received().last().unwrap().verified,
        "checked with the old secret"
    );
    receiver.expect_secret(&rolled.secret);
    let delivery = log(&app, &admin, made.endpoint.id).await.deliveries[0].id;
    app.call(
        Some(&admin),
        Redeliver {
            endpoint: made.endpoint.id,
            id: delivery,
        },
    )
    .await
    .unwrap();
    round(&app.state).await.unwrap();
    let got = receiver.received();
    let last = got.last().unwrap();
    assert!(last.verified, "{:?}", last.error);
    assert_eq!(
        last.id,
        got[got.len() - 2].id,
        "a redelivery keeps its webhook-id"
    );
}

#[tokio::test]
async fn failures_are_retried_on_a_schedule_and_an_endpoint_failing_for_3_days_is_disabled() {
    let receiver = WebhookReceiver::start().await;
    receiver.answer(500);
    let (app, dev, admin) = lab().await;
    let made = add_endpoint(&app, &admin, &receiver.url, &[EventKind::Created])
        .await
        .unwrap();
    receiver.expect_secret(&made.secret);
    app.create_key(&dev, "First", READ).await;
    let done = round(&app.state).await.unwrap();
    assert_eq!(done.webhooks.retried, 1, "{done:?}");
    let first = log(&app, &admin, made.endpoint.id).await;
    let d = &first.deliveries[0];
    assert_eq!(
        (d.status, d.attempts, d.response_status),
        (DeliveryStatus::Pending, 1, Some(500))
    );
    assert_eq!(d.last_error.as_deref(), Some("answered 500"));
    assert_eq!(
        d.next_attempt_at.unwrap() - app.state.clock.now(),
        Duration::seconds(5)
    );
    assert!(first.endpoint.failing_since.is_some());

    // Through the whole schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 6 h.
    for step in [
        Duration::seconds(5),
        Duration::minutes(5),
        Duration::minutes(30),
        Duration::hours(2),
        Duration::hours(5),
        Duration::hours(10),
        Duration::hours(6),
    ] {
        app.state.clock.advance(step);
        round(&app.state).await.unwrap();
    }
    let admin = app.sign_in("admin@acme.test").await;
    let given_up = log(&app, &admin, made.endpoint.id).await;
    let d = &given_up.deliveries[0];
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Failed, 8));
    assert!(d.next_attempt_at.is_none());
    assert_eq!(receiver.received().len(), 8);
    assert!(given_up.endpoint.enabled, "failing for a day only");

    // Three days after the first failure, another failure disables it.
    app.state
        .clock
        .advance(Duration::days(2) + Duration::hours(1));
    let dev = app.sign_in("dev@acme.test").await;
    app.create_key(&dev, "Third day", READ).await;
    let done = round(&app.state).await.unwrap();
    assert_eq!(done.webhooks.endpoints_disabled, 1, "{done:?}");
    let admin = app.sign_in("admin@acme.test").await;
    let disabled = log(&app, &admin, made.endpoint.id).await;
    assert!(!disabled.endpoint.enabled);
    assert!(disabled
        .endpoint
        .disabled_reason
        .unwrap()
        .contains("3 days"));
    // Its admins are told (the mail waits in the outbox for the next round).
    round(&app.state).await.unwrap();
    let told: Vec<(String, String)> = sqlx::query_as(
        "SELECT recipient, subject FROM mail_outbox WHERE kind = 'webhook.disabled'",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, "admin@acme.test");
    // Nothing more is sent to it, and it cannot be redelivered to until
    // it is turned on again.
    app.create_key(&dev, "Fourth day", READ).await;
    round(&app.state).await.unwrap();
    let before = receiver.received().len();
    let refused = app
        .call(
            Some(&admin),
            Redeliver {
                endpoint: made.endpoint.id,
                id: disabled.deliveries[0].id,
            },
        )
        .await;
    assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
    receiver.answer(200);
    app.call(
        Some(&admin),
        UpdateWebhook {
            id: made.endpoint.id,
            url: receiver.url.clone(),
            description: String::new(),
            events: events(&[EventKind::Created]),
            enabled: Some("on".into()),
        },
    )
    .await
    .unwrap();
    app.call(
        Some(&admin),
        Redeliver {
            endpoint: made.endpoint.id,
            id: disabled.deliveries[0].id,
        },
    )
    .await
    .unwrap();
    round(&app.state).await.unwrap();
    assert_eq!(receiver.received().len(), before + 1);
    let back = log(&app, &admin, made.endpoint.id).await;
    assert!(back.endpoint.enabled && back.endpoint.failing_since.is_none());
}

#[tokio::test]
async fn private_targets_are_refused_when_added_and_when_delivering() {
    let receiver = WebhookReceiver::start().await;
    let app = spawn_app_with(|_| {}).await;
    let (slug, dev) = app.developer("Acme", "dev@acme.test").await;
    app.member(&slug, "admin@acme.test", true, false).await;
    let admin = app.sign_in("admin@acme.test").await;
    for (url, says) in [
        (receiver.url.as_str(), "private"),
        ("http://localhost:9/hook", "private"),
        ("https://10.0.0.8/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://[::1]/hook", "private"),
        ("http://example.com/hook", "https"),
        ("ftp://example.com/hook", "https"),
        ("https://user:pw@example.com/hook", "password"),
    ] {
        let refused = add_endpoint(&app, &admin, url, &[EventKind::Created]).await;
        match refused {
            Err(AppError::Validation(errors)) => {
                assert_eq!(errors[0].field, "url", "{url}");
                assert!(
                    errors[0].message.contains(says),
                    "{url}: {}",
                    errors[0].message
                );
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    // A public address (no name to resolve), with no event chosen.
    let none = add_endpoint(&app, &admin, "https://93.184.216.34/x", &[]).await;
    assert!(matches!(none, Err(AppError::Validation(e)) if e[0].field == "kinds"));

    // A name that resolved to a public address when added and to a private
    // one now (DNS rebinding): refused on the address connected to.
    sqlx::query(
        "INSERT INTO webhook_endpoints (organisation_id, url, description, kinds, secret, enabled, created_at)
         VALUES ($1, $2, '', 'key.created', 'whsec_AAAA', $3, 0)",
    )
    .bind(app.org_id(&slug).await)
    .bind(receiver.url.replace("127.0.0.1", "localhost"))
    .bind(true)
    .execute(&app.state.db)
    .await
    .unwrap();
    app.create_key(&dev, "Zapier", READ).await;
    let done = round(&app.state).await.unwrap();
    assert_eq!(done.webhooks.retried, 1, "{done:?}");
    assert!(receiver.received().is_empty(), "no request reached it");
    let listed = app.call(Some(&admin), ListWebhooks {}).await.unwrap();
    let attempt = log(&app, &admin, listed[0].id).await.deliveries[0].clone();
    assert!(
        attempt
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("private"),
        "{attempt:?}"
    );
}

#[tokio::test]
async fn only_org_admins_manage_endpoints_and_every_change_is_audited() {
    let receiver = WebhookReceiver::start().await;
    let (app, dev, admin) = lab().await;
    let refused = app.call(Some(&dev), ListWebhooks {}).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let refused = add_endpoint(&app, &dev, &receiver.url, &[EventKind::Created]).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );

    let made = add_endpoint(&app, &admin, &receiver.url, &[EventKind::Created])
        .await
        .unwrap();
    app.call(
        Some(&admin),
        UpdateWebhook {
            id: made.endpoint.id,
            url: receiver.url.clone(),
            description: "Renamed".into(),
            events: events(&[EventKind::Created, EventKind::Expiring]),
            enabled: Some("on".into()),
        },
    )
    .await
    .unwrap();
    app.call(
        Some(&admin),
        RollWebhookSecret {
            id: made.endpoint.id,
        },
    )
    .await
    .unwrap();
    app.call(
        Some(&admin),
        DeleteWebhook {
            id: made.endpoint.id,
        },
    )
    .await
    .unwrap();
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_entries WHERE action LIKE 'webhook.%' ORDER BY id",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "webhook.created",
            "webhook.updated",
            "webhook.secret_rolled",
            "webhook.deleted"
        ]
    );
    let entries: Vec<String> =
        sqlx::query_scalar("SELECT details FROM audit_entries WHERE action LIKE 'webhook.%'")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert!(entries.iter().all(|d| !d.contains("whsec_")), "{entries:?}");
    let gone = app
        .call(
            Some(&admin),
            GetDeliveries {
                id: made.endpoint.id,
                before: None,
            },
        )
        .await;
    assert!(matches!(gone, Err(AppError::NotFound)), "{gone:?}");
    let page = app.get("/developer/webhooks", Some(&admin), None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(String::from_utf8_lossy(&page.body).contains("Add endpoint"));
}

#[tokio::test]
async fn a_failing_endpoint_is_tried_once_a_round() {
    let receiver = WebhookReceiver::start().await;
    receiver.answer(503);
    let (app, dev, admin) = lab().await;
    let made = add_endpoint(&app, &admin, &receiver.url, &[EventKind::Created])
        .await
        .unwrap();
    receiver.expect_secret(&made.secret);
    app.create_key(&dev, "First", READ).await;
    app.create_key(&dev, "Second", READ).await;
    let done = round(&app.state).await.unwrap();
    assert_eq!(done.webhooks.retried, 1, "{done:?}");
    assert_eq!(receiver.received().len(), 1);
    let done = round(&app.state).await.unwrap();
    assert_eq!(done.webhooks.retried, 1, "the other one, now: {done:?}");
    assert_eq!(receiver.received().len(), 2);
}
