//! Telling people before keys break: key events become mail, through a
//! real SMTP server (aiosmtpd), once however many instances run the
//! scheduler; each person chooses their mail; failures are retried and
//! kept in the outbox with their error.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::json;

use crate::common::{spawn_app, spawn_app_with, MailServer, ReceivedMail, TestApp, READ};
use leadline::app::scheduler::{round, Round};
use leadline::error::AppError;
use leadline::keys::domain::{CreatedKey, Grace};
use leadline::keys::{CreateKey, RevokeKey, RollKey};
use leadline::notify::domain::{EventKind, MailStatus};
use leadline::notify::{GetMailSettings, GetOutbox, SaveMailSettings, SendMailAgain};

async fn with_smtp() -> (MailServer, TestApp) {
    let mail = MailServer::start().await;
    let url = mail.url.clone();
    let app = spawn_app_with(move |config| config.smtp_url = Some(url)).await;
    (mail, app)
}

/// One scheduler round on each instance, at the same time.
async fn rounds(instances: &[&TestApp]) -> Vec<Round> {
    futures::future::join_all(instances.iter().map(|app| round(&app.state)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

fn about<'a>(mail: &'a [ReceivedMail], words: &str) -> Vec<&'a ReceivedMail> {
    mail.iter().filter(|m| m.subject.contains(words)).collect()
}

async fn key_expiring(app: &TestApp, session: &crate::common::Session, at: &str) -> CreatedKey {
    app.call(
        Some(session),
        CreateKey {
            confirm_password: String::new(),
            name: "Zapier leads sync".into(),
            permissions: READ,
            expires_at: at.into(),
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_key_expiring_in_8_days_is_mailed_once_7_days_and_once_1_day_before_with_two_instances() {
    let (mail, app) = with_smtp().await;
    let other = app.another_instance().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    // The clock starts at 2026-11-27 12:00 UTC.
    let key = key_expiring(&app, &dev, "2026-12-05T12:00").await;

    let first = rounds(&[&app, &other]).await;
    assert_eq!(
        first.iter().filter(|r| r.held).count(),
        1,
        "one instance holds the lease: {first:?}"
    );
    assert!(about(&mail.received(), "expires").is_empty());
    assert_eq!(about(&mail.received(), "was created").len(), 1);

    app.state
        .clock
        .advance(Duration::days(1) + Duration::minutes(1));
    rounds(&[&app, &other]).await;
    rounds(&[&other, &app]).await;
    let received = mail.received();
    let week = about(&received, "expires");
    assert_eq!(week.len(), 1, "{received:#?}");
    assert_eq!(
        week[0].subject,
        format!(
            "API key \"Zapier leads sync\" ({}…) expires in 7 days",
            key.key.prefix
        )
    );
    assert_eq!(week[0].to, "dev@acme.test");
    assert!(week[0].text.contains(&format!(
        "/developer?org=acme&dialog=roll&id={}",
        key.key.id
    )));
    assert!(week[0].html.contains(&format!(
        "/developer?org=acme&amp;dialog=roll&amp;id={}",
        key.key.id
    )));

    app.state.clock.advance(Duration::days(6));
    rounds(&[&app, &other]).await;
    rounds(&[&other, &app]).await;
    let received = mail.received();
    let notices = about(&received, "expires");
    assert_eq!(notices.len(), 2, "{received:#?}");
    assert!(notices[1].subject.ends_with("expires within a day"));

    app.state.clock.advance(Duration::days(2));
    rounds(&[&app, &other]).await;
    rounds(&[&other, &app]).await;
    let received = mail.received();
    assert_eq!(about(&received, "has expired").len(), 1, "{received:#?}");
    for m in &received {
        assert!(!m.text.contains(&key.plaintext) && !m.html.contains(&key.plaintext));
        assert_eq!(m.from, "Leadline <leadline@localhost>");
    }
    assert_eq!(received.len(), 4, "created, 7-day, 1-day, expired");
}

#[tokio::test]
async fn a_key_created_three_days_before_expiry_gets_one_notice_and_a_restart_catches_up() {
    let (mail, app) = with_smtp().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    key_expiring(&app, &dev, "2026-11-30T12:00").await;
    // Down for two and a half days: the next round sends the notice that is
    // due now (1 day), not a late 7-day one as well.
    app.state.clock.advance(Duration::hours(60));
    let restarted = app.another_instance().await;
    rounds(&[&restarted]).await;
    let received = mail.received();
    let notices = about(&received, "expires");
    assert_eq!(notices.len(), 1, "{received:#?}");
    assert!(notices[0].subject.ends_with("expires within a day"));
}

async fn report_leak(app: &TestApp, key: &str) {
    let response = app
        .api(
            Method::POST,
            "/api/v1/leaked-keys",
            None,
            Some(json!({ "keys": [key] })),
        )
        .await;
    assert_eq!(response.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn leaked_keys_and_keys_still_called_are_mailed_to_the_org_admins_too() {
    let (mail, app) = with_smtp().await;
    let (slug, dev) = app.developer("Acme", "dev@acme.test").await;
    app.member(&slug, "admin@acme.test", true, false).await;
    app.member(&slug, "sales@acme.test", false, false).await;
    let key = app.create_key(&dev, "CI job", READ).await;
    rounds(&[&app]).await;

    report_leak(&app, &key.plaintext).await;
    rounds(&[&app]).await;
    let received = mail.received();
    let mut leaked: Vec<&str> = about(&received, "leaked")
        .iter()
        .map(|m| m.to.as_str())
        .collect();
    leaked.sort();
    assert_eq!(leaked, ["admin@acme.test", "dev@acme.test"]);

    // The integration keeps calling with the revoked key.
    for _ in 0..3 {
        let refused = app
            .api(Method::GET, "/api/v1/leads", Some(&key.plaintext), None)
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    app.state.usage.flush().await.unwrap();
    rounds(&[&app]).await;
    let received = mail.received();
    let called = about(&received, "still being called");
    assert_eq!(called.len(), 2, "{received:#?}");
    assert!(called[0].text.contains("3 requests"), "{}", called[0].text);

    // At most once a day per key.
    app.api(Method::GET, "/api/v1/leads", Some(&key.plaintext), None)
        .await;
    app.state.usage.flush().await.unwrap();
    app.state.clock.advance(Duration::minutes(30));
    rounds(&[&app]).await;
    assert_eq!(about(&mail.received(), "still being called").len(), 2);
    assert!(mail.received().iter().all(|m| m.to != "sales@acme.test"));
}

#[tokio::test]
async fn rolls_retirements_and_revocations_are_told_to_the_creator() {
    let (mail, app) = with_smtp().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let old = app.create_key(&dev, "Zapier", READ).await;
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
    rounds(&[&app]).await;
    let rolled = mail.received();
    let rolled = about(&rolled, "was rolled");
    assert_eq!(rolled.len(), 1);
    assert!(rolled[0].text.contains(&new.key.prefix));

    app.state
        .clock
        .advance(Duration::days(1) + Duration::minutes(1));
    rounds(&[&app]).await;
    assert_eq!(about(&mail.received(), "grace period ended").len(), 1);

    // A day later: signed in again.
    let dev = app.sign_in("dev@acme.test").await;
    app.call(Some(&dev), RevokeKey { id: new.key.id })
        .await
        .unwrap();
    rounds(&[&app]).await;
    let received = mail.received();
    assert_eq!(about(&received, "was revoked").len(), 1, "{received:#?}");
    // Created (the first key only: a roll is told as the roll), rolled,
    // retired, revoked.
    assert_eq!(received.len(), 4, "{received:#?}");
}

#[tokio::test]
async fn each_person_turns_kinds_of_mail_off_but_never_the_leak_mail() {
    let (mail, app) = with_smtp().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let settings = app.call(Some(&dev), GetMailSettings {}).await.unwrap();
    assert!(settings.iter().all(|s| s.on), "all on by default");

    // A plain form post with only "expiring" ticked.
    let saved = app
        .post_form(
            Some(&dev),
            SaveMailSettings {
                expiring: Some("on".into()),
                expired: None,
                revoked: None,
                rolled: None,
                retired: None,
                still_called: None,
                created: None,
            },
            "/account/notifications",
        )
        .await;
    assert!(saved.status.is_redirection(), "{:?}", saved.status);
    let settings = app.call(Some(&dev), GetMailSettings {}).await.unwrap();
    let on: Vec<EventKind> = settings.iter().filter(|s| s.on).map(|s| s.kind).collect();
    assert_eq!(on, [EventKind::Expiring, EventKind::Leaked]);

    let key = app.create_key(&dev, "CI job", READ).await;
    report_leak(&app, &key.plaintext).await;
    rounds(&[&app]).await;
    let received = mail.received();
    assert_eq!(received.len(), 1, "only the leak: {received:#?}");
    assert!(received[0].subject.contains("leaked"));
}

#[tokio::test]
async fn without_smtp_mail_is_logged_and_kept_in_the_outbox_for_platform_admins() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    app.user("root@leadline.test", true).await;
    let admin = app.sign_in("root@leadline.test").await;
    app.create_key(&dev, "CI job", READ).await;
    let done = rounds(&[&app]).await;
    assert_eq!(done[0].sent.logged, 1, "{done:?}");

    let outbox = app
        .call(
            Some(&admin),
            GetOutbox {
                status: None,
                before: None,
            },
        )
        .await
        .unwrap();
    assert!(!outbox.smtp);
    assert_eq!(outbox.mails.len(), 1);
    assert_eq!(outbox.mails[0].status, MailStatus::Logged);
    assert_eq!(outbox.mails[0].recipient, "dev@acme.test");
    assert_eq!(outbox.mails[0].kind, "key.created");

    let refused = app
        .call(
            Some(&dev),
            GetOutbox {
                status: None,
                before: None,
            },
        )
        .await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let unknown = app
        .call(
            Some(&admin),
            GetOutbox {
                status: Some("lost".into()),
                before: None,
            },
        )
        .await;
    assert!(
        matches!(unknown, Err(AppError::BadRequest(_))),
        "{unknown:?}"
    );
    let page = app.get("/admin/outbox", Some(&admin), None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("No SMTP server is configured"), "{html}");
    assert!(html.contains("dev@acme.test"));
}

#[tokio::test]
async fn a_failing_smtp_server_is_retried_with_backoff_then_kept_with_its_error() {
    // Nothing listens on this port.
    let port = crate::common::free_port();
    let app =
        spawn_app_with(move |config| config.smtp_url = Some(format!("smtp://127.0.0.1:{port}")))
            .await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    app.user("root@leadline.test", true).await;
    app.create_key(&dev, "CI job", READ).await;

    // Signed in afresh each time: the clock moves by hours.
    let outbox = || async {
        let admin = app.sign_in("root@leadline.test").await;
        app.call(
            Some(&admin),
            GetOutbox {
                status: None,
                before: None,
            },
        )
        .await
        .unwrap()
        .mails
    };
    let done = rounds(&[&app]).await;
    assert_eq!(done[0].sent.retried, 1, "{done:?}");
    let mail = &outbox().await[0];
    assert_eq!((mail.status, mail.attempts), (MailStatus::Queued, 1));
    assert!(mail.last_error.is_some());
    let first_retry = mail.next_attempt_at.unwrap();
    assert_eq!(first_retry - app.state.clock.now(), Duration::minutes(1));

    // Not due yet: nothing is tried.
    assert_eq!(rounds(&[&app]).await[0].sent.retried, 0);
    // 1, 5, 15, 60 and 180 minutes apart, then given up on.
    for minutes in [1, 5, 15, 60, 180] {
        app.state.clock.advance(Duration::minutes(minutes));
        rounds(&[&app]).await;
    }
    let mail = &outbox().await[0];
    assert_eq!((mail.status, mail.attempts), (MailStatus::Failed, 6));
    assert!(mail.next_attempt_at.is_none());
    let error = mail.last_error.clone().unwrap();
    assert!(!error.is_empty());

    let admin = app.sign_in("root@leadline.test").await;
    let again = app.call(Some(&admin), SendMailAgain { id: mail.id }).await;
    assert!(again.is_ok(), "{again:?}");
    let mail = &outbox().await[0];
    assert_eq!(mail.status, MailStatus::Queued);
    let twice = app.call(Some(&admin), SendMailAgain { id: mail.id }).await;
    assert!(matches!(twice, Err(AppError::Conflict(_))), "{twice:?}");
}

#[tokio::test]
async fn another_instance_takes_the_lease_when_its_holder_stops() {
    let app = spawn_app().await;
    let other = app.another_instance().await;
    assert!(rounds(&[&app]).await[0].held);
    assert!(!rounds(&[&other]).await[0].held);
    // The holder stops; its lease (3 intervals) runs out.
    app.state
        .clock
        .advance(Duration::from_std(app.state.config.notify_interval * 3).unwrap());
    assert!(rounds(&[&other]).await[0].held);
    assert!(!rounds(&[&app]).await[0].held);
}

#[tokio::test]
async fn the_roll_link_in_a_mail_opens_the_dialog_in_the_keys_organisation_on_any_page() {
    use leadline::auth::SwitchOrganisation;
    let app = spawn_app().await;
    let (acme, dev) = app.developer("Acme", "dev@acme.test").await;
    let target = app.create_key(&dev, "Old sync", READ).await;
    // Newer keys push it off the first page (20 a page).
    for n in 0..20 {
        app.create_key(&dev, &format!("Key {n}"), READ).await;
    }
    let link = format!("/developer?org={acme}&dialog=roll&id={}", target.key.id);
    let page = app.get(&link, Some(&dev), None).await;
    let html = String::from_utf8_lossy(&page.body).into_owned();
    assert!(html.contains("id=\"roll-key\""), "the Roll dialog: {html}");
    assert!(html.contains("Old sync"));

    // Looking at another organisation: switch first, then come back here.
    let beta = app.org("Beta", true).await;
    app.member(&beta, "dev@acme.test", false, true).await;
    let switched = app
        .post_form(
            Some(&dev),
            SwitchOrganisation {
                slug: beta.clone(),
                next: String::new(),
            },
            "/leads",
        )
        .await;
    assert_eq!(switched.header("location"), "/leads");
    let page = app.get(&link, Some(&dev), None).await;
    let html = String::from_utf8_lossy(&page.body).into_owned();
    assert!(html.contains("This link is for Acme"), "{html}");
    assert!(!html.contains("id=\"roll-key\""));
    let next = format!("/developer?dialog=roll&id={}", target.key.id);
    let offered = regex::Regex::new(r#"name="next" value="(/developer\?[^"]*)""#)
        .unwrap()
        .captures(&html)
        .map(|c| c[1].replace("&amp;", "&"))
        .unwrap_or_default();
    let mut params: Vec<&str> = offered
        .trim_start_matches("/developer?")
        .split('&')
        .collect();
    params.sort();
    assert_eq!(
        params,
        ["dialog=roll", &format!("id={}", target.key.id)],
        "{html}"
    );
    let back = app
        .post_form(
            Some(&dev),
            SwitchOrganisation {
                slug: acme.clone(),
                next: next.clone(),
            },
            &link,
        )
        .await;
    assert_eq!(back.header("location"), next);
    // Anywhere else is refused: the switch lands on Leads.
    let elsewhere = app
        .post_form(
            Some(&dev),
            SwitchOrganisation {
                slug: acme,
                next: "//evil.test/developer".into(),
            },
            &link,
        )
        .await;
    assert_eq!(elsewhere.header("location"), "/leads");
}

#[tokio::test]
async fn a_round_stops_sending_mail_when_the_smtp_server_fails() {
    // Nothing listens on this port.
    let port = crate::common::free_port();
    let app =
        spawn_app_with(move |config| config.smtp_url = Some(format!("smtp://127.0.0.1:{port}")))
            .await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    app.create_key(&dev, "First", READ).await;
    app.create_key(&dev, "Second", READ).await;
    // The first failure ends the round's sending: the other mail waits.
    let first = rounds(&[&app]).await;
    assert_eq!(
        (first[0].queued, first[0].sent.retried),
        (2, 1),
        "{first:?}"
    );
    let second = rounds(&[&app]).await;
    assert_eq!(second[0].sent.retried, 1, "{second:?}");
    let attempts: Vec<i64> = sqlx::query_scalar("SELECT attempts FROM mail_outbox ORDER BY id")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(attempts, [1, 1]);
}

#[tokio::test]
async fn a_deleted_key_leaves_no_events_or_mail_behind_but_its_audit_entries() {
    let (mail, app) = with_smtp().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = key_expiring(&app, &dev, "2026-11-30T12:00").await;
    rounds(&[&app]).await;
    assert_eq!(
        mail.received().len(),
        2,
        "created, and expires within 7 days"
    );
    app.call(Some(&dev), leadline::keys::DeleteKey { id: key.key.id })
        .await
        .unwrap();
    let left: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM key_events), (SELECT COUNT(*) FROM mail_outbox)",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(left, [(0, 0)]);
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_entries WHERE key_prefix = $1 ORDER BY id")
            .bind(&key.key.prefix)
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert_eq!(audit, ["key.created", "key.deleted"]);
    // Nothing about it comes back: no expiry mail for a key that is gone.
    app.state.clock.advance(Duration::days(3));
    rounds(&[&app]).await;
    assert_eq!(mail.received().len(), 2);
}
