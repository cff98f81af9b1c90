//! The sync feed: `updated_since` pages by (`updated_at`, `id`), so a lead
//! changed while a client pages through comes again later and is never
//! skipped; deleted leads are listed by `GET /api/v1/leads/deleted` for 30
//! days.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{spawn_app, TestApp};
use leadline::keys::domain::Permissions;

const ALL: Permissions = Permissions {
    read: true,
    create: true,
    update: true,
    delete: true,
};

fn names(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lead| lead["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn page(app: &TestApp, key: &str, query: &str) -> Value {
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/leads?{query}"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.json());
    r.json()
}

async fn create(app: &TestApp, key: &str, name: &str) -> i64 {
    app.state.clock.advance(chrono::Duration::seconds(1));
    let r = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(key),
            Some(json!({ "name": name })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    r.json()["id"].as_i64().unwrap()
}

async fn delete(app: &TestApp, key: &str, id: i64) {
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/leads/{id}"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "lead {id}");
}

#[tokio::test]
async fn a_lead_changed_while_a_client_pages_comes_again_later() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app
        .create_key(&dev, "Zapier, leads sync", ALL)
        .await
        .plaintext;
    let since = "2026-11-27T12:00:00Z";
    let ada = create(&app, &key, "Ada").await;
    create(&app, &key, "Grace").await;
    create(&app, &key, "Katherine").await;

    let first = page(&app, &key, &format!("updated_since={since}&limit=2")).await;
    assert_eq!(names(&first), ["Ada", "Grace"], "oldest change first");
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    assert!(cursor.contains('.'), "a cursor over time and id: {cursor}");

    // Ada changes between the two pages.
    app.state.clock.advance(chrono::Duration::seconds(1));
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/leads/{ada}"),
            Some(&key),
            Some(json!({ "status": "won" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let second = page(
        &app,
        &key,
        &format!("updated_since={since}&limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(
        names(&second),
        ["Katherine", "Ada"],
        "Ada again, not skipped"
    );
    assert_eq!(second["data"][1]["status"], "won");
    assert!(second["next_cursor"].is_null());

    // With a status filter, from the same index.
    let won = page(&app, &key, &format!("updated_since={since}&status=won")).await;
    assert_eq!(names(&won), ["Ada"]);
    // Newest first without updated_since, as before.
    assert_eq!(
        names(&page(&app, &key, "").await),
        ["Katherine", "Grace", "Ada"]
    );
}

#[tokio::test]
async fn deleted_leads_are_listed_for_thirty_days() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", ALL).await.plaintext;
    let mut ids = Vec::new();
    for name in ["Ada", "Grace", "Katherine"] {
        ids.push(create(&app, &key, name).await);
    }
    for id in &ids {
        app.state.clock.advance(chrono::Duration::seconds(1));
        delete(&app, &key, *id).await;
    }
    let deleted = |query: String| {
        let (app, key) = (&app, key.clone());
        async move {
            app.api(
                Method::GET,
                &format!("/api/v1/leads/deleted?{query}"),
                Some(&key),
                None,
            )
            .await
        }
    };
    let first = deleted("since=2026-11-27T12:00:00Z&limit=2".into()).await;
    assert_eq!(first.status, StatusCode::OK);
    let page = first.json();
    let listed: Vec<i64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, ids[..2]);
    assert!(page["data"][0]["deleted_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-27T12:00"));
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = deleted(format!("since=2026-11-27T12:00:00Z&cursor={cursor}")).await;
    assert_eq!(rest.json()["data"][0]["id"].as_i64(), Some(ids[2]));
    assert!(rest.json()["next_cursor"].is_null());

    // Another organisation sees none of them.
    let (_, other) = app.developer("Globex", "dev@globex.test").await;
    let their_key = app.create_key(&other, "Sync", ALL).await.plaintext;
    let theirs = app
        .api(
            Method::GET,
            "/api/v1/leads/deleted?since=2026-11-27T12:00:00Z",
            Some(&their_key),
            None,
        )
        .await;
    assert_eq!(theirs.json()["data"], json!([]));

    // `since` is required.
    let missing = deleted(String::new()).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.json()["errors"][0]["field"], "since");

    // Tombstones are kept 30 days, then pruned.
    app.state.clock.advance(chrono::Duration::days(31));
    let pruned = leadline::leads::data::prune_tombstones(
        &app.state.db,
        app.state.clock.now().timestamp_millis(),
    )
    .await
    .unwrap();
    assert_eq!(pruned, 3);
}

async fn deleted_ids(app: &TestApp, key: &str) -> Vec<i64> {
    let r = app
        .api(
            Method::GET,
            "/api/v1/leads/deleted?since=2026-11-27T00:00:00Z",
            Some(key),
            None,
        )
        .await;
    r.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect()
}

/// SQLite may give a new lead a deleted lead's id: its tombstone goes, so a
/// sync client takes the new lead in the old one's place, and deleting the
/// new one leaves a tombstone again.
#[tokio::test]
async fn a_reused_id_replaces_its_tombstone() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", ALL).await.plaintext;
    for round in 0..3 {
        let id = create(&app, &key, &format!("Round {round}")).await;
        assert!(
            !deleted_ids(&app, &key).await.contains(&id),
            "a live lead has no tombstone"
        );
        delete(&app, &key, id).await;
        assert!(deleted_ids(&app, &key).await.contains(&id));
    }
}
