//! The request log: every API request by a known key, refusals included,
//! written by the flush, findable by its Request-Id, scoped to its
//! organisation, and holding nothing secret.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::common::{spawn_app, Session, TestApp, READ};
use leadline::error::AppError;
use leadline::keys::domain::Permissions;
use leadline::keys::requests::domain::{RequestQuery, RequestsPage};
use leadline::keys::requests::recorder::{self, NewLoggedRequest, RequestLog};
use leadline::keys::requests::ListRequests;
use leadline::keys::RevokeKey;

async fn flush(app: &TestApp) {
    app.state.keys.requests.flush().await.unwrap();
}

async fn page(app: &TestApp, dev: &Session, query: RequestQuery) -> Result<RequestsPage, AppError> {
    app.call(Some(dev), ListRequests { query }).await
}

async fn all(app: &TestApp, dev: &Session) -> RequestsPage {
    page(app, dev, RequestQuery::default()).await.unwrap()
}

#[tokio::test]
async fn requests_are_logged_with_their_id_and_a_revoked_keys_refusal_with_its_code() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", READ).await;
    let ok = app
        .send(
            Request::get("/api/v1/leads?q=ada%40example.com&limit=5")
                .header(header::AUTHORIZATION, format!("Bearer {}", key.plaintext))
                .header(header::USER_AGENT, "zapier-sync/2.1")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let missing = app
        .api(
            Method::GET,
            "/api/v1/leads/999999",
            Some(&key.plaintext),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    app.call(Some(&dev), RevokeKey { id: key.key.id })
        .await
        .unwrap();
    let refused = app
        .api(Method::GET, "/api/v1/leads", Some(&key.plaintext), None)
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["code"], "key_revoked");
    // A token that names no key of anyone's is not anyone's to see.
    let stranger = app
        .api(
            Method::GET,
            "/api/v1/leads",
            Some("sk_nobody00_nothing"),
            None,
        )
        .await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);

    assert!(
        all(&app, &dev).await.requests.is_empty(),
        "written by the flush"
    );
    flush(&app).await;
    let logged = all(&app, &dev).await.requests;
    assert_eq!(logged.len(), 3, "{logged:#?}");
    // Newest first.
    let (revoked, not_found, listed) = (&logged[0], &logged[1], &logged[2]);
    assert_eq!(revoked.request_id, refused.header("request-id"));
    assert_eq!(revoked.status, 401);
    assert_eq!(revoked.error_code.as_deref(), Some("key_revoked"));
    assert_eq!(revoked.key_prefix, key.key.prefix);
    assert_eq!(not_found.request_id, missing.header("request-id"));
    assert_eq!(
        (not_found.route.as_str(), not_found.path.as_str()),
        ("/api/v1/leads/{id}", "/api/v1/leads/999999")
    );
    assert_eq!(not_found.error_code.as_deref(), Some("not_found"));
    assert_eq!(listed.request_id, ok.header("request-id"));
    assert_eq!(
        (listed.method.as_str(), listed.route.as_str(), listed.status),
        ("GET", "/api/v1/leads", 200)
    );
    assert_eq!(listed.query_names, ["q", "limit"]);
    assert_eq!(listed.user_agent, "zapier-sync/2.1");
    assert_eq!(listed.key_id, key.key.id);
    assert!(listed.response_bytes.is_some_and(|n| n > 0));
    assert!(listed.latency_us >= 0);

    // Pasting the id (in any case) shows that request, with its
    // catalogue entry and a curl command that never holds the key.
    let shown = page(
        &app,
        &dev,
        RequestQuery {
            id: format!("  {}  ", refused.header("request-id").to_lowercase()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .shown
    .unwrap();
    assert_eq!(shown.request.request_id, refused.header("request-id"));
    assert_eq!(shown.key_name.as_deref(), Some("Sync"));
    assert!(shown.meaning.unwrap().contains("revoked"));
    assert!(shown.curl.contains("$LEADLINE_KEY"));
    assert!(!shown.curl.contains(&key.plaintext));
    assert!(shown
        .curl
        .ends_with("/api/v1/leads' -H \"Authorization: Bearer $LEADLINE_KEY\""));
}

/// Behind a load balancer: each instance writes its own requests, and any
/// instance shows them all.
#[tokio::test]
async fn every_instance_logs_its_requests_and_shows_the_others() {
    let a = spawn_app().await;
    let b = a.another_instance().await;
    let (_, dev) = a.developer("Acme", "dev@acme.test").await;
    let key = a.create_key(&dev, "Sync", READ).await.plaintext;
    let via_a = a.api(Method::GET, "/api/v1/leads", Some(&key), None).await;
    let via_b = b
        .api(Method::GET, "/api/v1/leads/31337", Some(&key), None)
        .await;
    flush(&a).await;
    flush(&b).await;
    for instance in [&a, &b] {
        let mut ids: Vec<String> = all(instance, &dev)
            .await
            .requests
            .into_iter()
            .map(|r| r.request_id)
            .collect();
        ids.sort();
        let mut expected = vec![via_a.header("request-id"), via_b.header("request-id")];
        expected.sort();
        assert_eq!(ids, expected);
    }
}

#[tokio::test]
async fn another_organisations_requests_never_appear() {
    let app = spawn_app().await;
    let (_, acme) = app.developer("Acme", "dev@acme.test").await;
    let (_, globex) = app.developer("Globex", "dev@globex.test").await;
    let acme_key = app.create_key(&acme, "Acme sync", READ).await.plaintext;
    let globex_key = app.create_key(&globex, "Globex sync", READ).await.plaintext;
    let theirs = app
        .api(Method::GET, "/api/v1/leads", Some(&globex_key), None)
        .await;
    app.api(Method::GET, "/api/v1/leads", Some(&acme_key), None)
        .await;
    flush(&app).await;
    let seen = all(&app, &acme).await.requests;
    assert_eq!(seen.len(), 1);
    assert!(seen[0].key_prefix.starts_with(&acme_key[..14]));
    let error = page(
        &app,
        &acme,
        RequestQuery {
            id: theirs.header("request-id"),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    let AppError::Validation(errors) = error else {
        panic!("{error:?}")
    };
    assert!(errors[0]
        .message
        .contains("No request of this organisation"));
    // Nor by filtering for their key.
    let filtered = page(
        &app,
        &acme,
        RequestQuery {
            key: globex_key[..14].to_owned(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(filtered.requests.is_empty());
}

#[tokio::test]
async fn the_log_needs_the_developer_permission_and_the_flag() {
    let app = spawn_app().await;
    let slug = app.org("Acme", true).await;
    app.member(&slug, "sales@acme.test", false, false).await;
    let sales = app.sign_in("sales@acme.test").await;
    assert_eq!(
        page(&app, &sales, RequestQuery::default())
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    // A platform admin who is not a member sees no organisation's log.
    app.user("root@leadline.test", true).await;
    let admin = app.sign_in("root@leadline.test").await;
    assert!(page(&app, &admin, RequestQuery::default()).await.is_err());
    let flagless = app.org("Initech", false).await;
    app.member(&flagless, "dev@initech.test", false, true).await;
    let dev = app.sign_in("dev@initech.test").await;
    assert!(page(&app, &dev, RequestQuery::default()).await.is_err());
    let export = app
        .router
        .clone()
        .oneshot(
            Request::get("/developer/requests/export?format=csv")
                .header(header::COOKIE, &sales.0)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn filters_pick_rows_from_their_index_and_bad_filters_are_named() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let reader = app.create_key(&dev, "Reader", READ).await.plaintext;
    let writer = app
        .create_key(
            &dev,
            "Writer",
            Permissions {
                read: true,
                create: true,
                update: false,
                delete: false,
            },
        )
        .await
        .plaintext;
    for _ in 0..3 {
        app.api(Method::GET, "/api/v1/leads", Some(&reader), None)
            .await;
    }
    let denied = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(&reader),
            Some(json!({ "name": "A", "email": "a@example.com" })),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    app.api(
        Method::POST,
        "/api/v1/leads",
        Some(&writer),
        Some(json!({ "name": "B", "email": "b@example.com" })),
    )
    .await;
    flush(&app).await;
    let with = |query: RequestQuery| {
        let (app, dev) = (&app, &dev);
        async move { page(app, dev, query).await }
    };
    let by_key = with(RequestQuery {
        key: reader[..14].to_owned(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(by_key.requests.len(), 4);
    let refused = with(RequestQuery {
        class: "4xx".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(refused.requests.len(), 1);
    assert_eq!(
        refused.requests[0].error_code.as_deref(),
        Some("insufficient_permission")
    );
    let by_code = with(RequestQuery {
        code: "insufficient_permission".into(),
        outcome: "refused".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(by_code.requests[0].request_id, denied.header("request-id"));
    let created = with(RequestQuery {
        route: "/api/v1/leads".into(),
        class: "2xx".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(created.requests.len(), 4);
    let now = app.state.clock.now();
    let window =
        |from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>| RequestQuery {
            from: from.format("%Y-%m-%dT%H:%M").to_string(),
            to: to.format("%Y-%m-%dT%H:%M").to_string(),
            ..Default::default()
        };
    let minutes = chrono::Duration::minutes;
    assert_eq!(
        with(window(now - minutes(2), now + minutes(2)))
            .await
            .unwrap()
            .requests
            .len(),
        5
    );
    assert!(with(window(now - minutes(30), now - minutes(10)))
        .await
        .unwrap()
        .requests
        .is_empty());

    let bad = with(RequestQuery {
        class: "3xx".into(),
        code: "no_such_code".into(),
        from: "yesterday".into(),
        outcome: "fine".into(),
        before: "x".into(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    let AppError::Validation(errors) = bad else {
        panic!("{bad:?}")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["class", "outcome", "code", "from", "before"]);
    let not_an_id = with(RequestQuery {
        id: "sk_AbCd1234_x".into(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    let AppError::Validation(errors) = not_an_id else {
        panic!("{not_an_id:?}")
    };
    assert!(errors[0].message.contains("req_"));
}

#[tokio::test]
async fn pages_follow_each_other_by_cursor_and_the_export_streams_every_row() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", READ).await.plaintext;
    for _ in 0..60 {
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await;
    }
    flush(&app).await;
    let first = all(&app, &dev).await;
    assert_eq!(first.requests.len(), 50);
    let second = page(
        &app,
        &dev,
        RequestQuery {
            before: first.next.clone().unwrap(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(second.requests.len(), 10);
    assert!(second.next.is_none());
    let mut ids: Vec<String> = first
        .requests
        .iter()
        .chain(&second.requests)
        .map(|r| r.request_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60);

    for (format, lines) in [("csv", 61), ("jsonl", 60)] {
        let response = app
            .router
            .clone()
            .oneshot(
                Request::get(format!(
                    "/developer/requests/export?format={format}&class=2xx"
                ))
                .header(header::COOKIE, &dev.0)
                .body(Body::empty())
                .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(text.lines().count(), lines, "{format}");
        assert!(!text.contains(&key), "{format}");
        if format == "jsonl" {
            let row: serde_json::Value =
                serde_json::from_str(text.lines().next().unwrap()).unwrap();
            assert_eq!(row["status"], 200);
            assert!(row.get("cursor").is_none());
        } else {
            assert!(text.starts_with("request_id,time,key_prefix,"));
        }
    }
}

/// Neither the key, nor the Authorization header, nor a body, nor a query
/// value reaches the log.
#[tokio::test]
async fn nothing_secret_or_personal_is_stored() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app
        .create_key(
            &dev,
            "Writer",
            Permissions {
                read: true,
                create: true,
                update: false,
                delete: false,
            },
        )
        .await
        .plaintext;
    app.api(
        Method::POST,
        "/api/v1/leads",
        Some(&key),
        Some(json!({ "name": "Body Text Zanzibar", "email": "zanzibar@private.example" })),
    )
    .await;
    app.api(
        Method::GET,
        "/api/v1/leads?q=quixotic-search-value",
        Some(&key),
        None,
    )
    .await;
    flush(&app).await;
    assert_eq!(all(&app, &dev).await.requests.len(), 2);
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT request_id || key_prefix || method || route || path || COALESCE(error_code, '') || client_ip
                || user_agent || query_names FROM request_log",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    let secret = &key[14..];
    for (row,) in &rows {
        for forbidden in [secret, "Bearer", "Zanzibar", "zanzibar", "quixotic"] {
            assert!(!row.contains(forbidden), "{forbidden} in {row}");
        }
    }
    if let Some(path) = &app.db_path {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&app.state.db)
            .await;
        let bytes = std::fs::read(path).unwrap();
        for forbidden in [secret, "quixotic-search-value"] {
            let needle = forbidden.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{forbidden} in the database file"
            );
        }
    }
}

/// Under overload the oldest unwritten rows go, counted; the queue never
/// grows past its bound.
#[tokio::test]
async fn a_full_queue_drops_its_oldest_rows_and_counts_them() {
    let app = spawn_app().await;
    let log = RequestLog::holding(app.state.db.clone(), 3);
    let org = {
        let slug = app.org("Acme", true).await;
        app.org_id(&slug).await
    };
    for n in 0..5 {
        log.push(NewLoggedRequest {
            request_id: leadline::error::request_id::RequestId::new(),
            organisation_id: org,
            key_id: 1,
            key_prefix: recorder::logged_prefix("sk_AbCd1234_Ab"),
            occurred_at: n,
            method: axum::http::Method::GET,
            route: "/api/v1/leads",
            texts: recorder::RequestTexts::new("/api/v1/leads", ""),
            status: 200,
            error_code: None,
            client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            latency_us: 10,
            response_bytes: Some(2),
        });
    }
    assert_eq!((log.waiting(), log.dropped()), (3, 2));
    assert_eq!(log.flush().await.unwrap(), 3);
    let kept: Vec<(i64,)> =
        sqlx::query_as("SELECT occurred_at FROM request_log ORDER BY occurred_at")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    let kept: Vec<i64> = kept.into_iter().map(|(at,)| at).collect();
    assert_eq!(kept, [2, 3, 4], "the two oldest went");
    assert_eq!(log.waiting(), 0);
}

/// Whatever a client sends in its path and user agent (quotes, commas,
/// backslashes, tabs, accents) is written back as it was, and what is
/// absent stays NULL rather than empty: PostgreSQL's rows go through COPY's
/// CSV, SQLite's through bound values.
#[tokio::test]
async fn a_rows_texts_and_missing_values_are_written_exactly() {
    let app = spawn_app().await;
    let log = RequestLog::holding(app.state.db.clone(), 10);
    let org = {
        let slug = app.org("Acme", true).await;
        app.org_id(&slug).await
    };
    let agent = "say \"hi\", \\back\\slash\ttab é ,\"\"";
    let target = "/api/v1/leads/%22x%22,\"y\\?q=%22a%22&li\"mit=5";
    let row =
        |n: i64, status: u16, code: Option<&'static str>, bytes: Option<i64>| NewLoggedRequest {
            request_id: leadline::error::request_id::RequestId::new(),
            organisation_id: org,
            key_id: 1,
            key_prefix: recorder::logged_prefix("sk_\"a,b\\c"),
            occurred_at: n,
            method: axum::http::Method::GET,
            route: "/api/v1/leads/{id}",
            texts: recorder::RequestTexts::new(target, agent),
            status,
            error_code: code,
            client_ip: "2001:db8::1".parse().unwrap(),
            latency_us: 10,
            response_bytes: bytes,
        };
    log.push(row(1, 200, None, Some(42)));
    log.push(row(2, 401, Some("key_revoked"), None));
    log.push(row(3, 101, None, None));
    assert_eq!(log.flush().await.unwrap(), 3);
    type Written = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let written: Vec<Written> = sqlx::query_as(
        "SELECT path, user_agent, query_names, key_prefix, client_ip, outcome, error_code, response_bytes
         FROM request_log ORDER BY occurred_at",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    let texts = |w: &Written| {
        (
            w.0.clone(),
            w.1.clone(),
            w.2.clone(),
            w.3.clone(),
            w.4.clone(),
        )
    };
    for w in &written {
        assert_eq!(
            texts(w),
            (
                "/api/v1/leads/%22x%22,\"y\\".to_owned(),
                agent.to_owned(),
                "q,limit".to_owned(),
                "sk_\"a,b\\c".to_owned(),
                "2001:db8::1".to_owned()
            )
        );
    }
    let rest: Vec<_> = written
        .iter()
        .map(|w| (w.5.as_deref(), w.6.as_deref(), w.7))
        .collect();
    assert_eq!(
        rest,
        [
            (Some("success"), None, Some(42)),
            (Some("refused"), Some("key_revoked"), None),
            (None, None, None),
        ]
    );
}

#[tokio::test]
async fn rows_older_than_the_log_keeps_are_pruned() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", READ).await.plaintext;
    app.api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    flush(&app).await;
    assert_eq!(
        leadline::keys::requests::service::prune(&app.state.keys)
            .await
            .unwrap(),
        0
    );
    app.state
        .clock
        .advance(chrono::Duration::days(14) + chrono::Duration::minutes(1));
    assert_eq!(
        leadline::keys::requests::service::prune(&app.state.keys)
            .await
            .unwrap(),
        1
    );
    let dev = app.sign_in("dev@acme.test").await;
    assert!(all(&app, &dev).await.requests.is_empty());
}

/// `GET /metrics` on its own listener: the API's requests by route template,
/// status class and outcome, latency buckets, and no key or organisation in
/// any label. (`scripts/contract.sh` parses a real run's page with
/// prometheus_client.)
#[tokio::test]
async fn metrics_are_served_on_their_own_address_with_bounded_labels() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    leadline::platform::metrics::handle();
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", READ).await.plaintext;
    app.api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    app.api(Method::GET, "/api/v1/leads/424242", Some(&key), None)
        .await;
    app.api(Method::GET, "/api/v1/nothing-here", Some(&key), None)
        .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(leadline::platform::metrics::serve(
        listener,
        app.state.db.clone(),
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).await.unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    for expected in [
        r#"leadline_api_requests_total{route="/api/v1/leads",status_class="2xx",outcome="success"}"#,
        r#"leadline_api_requests_total{route="/api/v1/leads/{id}",status_class="4xx",outcome="client_error"}"#,
        r#"leadline_api_requests_total{route="unmatched",status_class="4xx",outcome="client_error"}"#,
        r#"leadline_api_request_duration_seconds_bucket{route="/api/v1/leads",le="0.0005"}"#,
        r#"leadline_credential_cache_lookups_total{result="hit"}"#,
        r#"leadline_db_pool_connections{state="in_use"}"#,
        "# TYPE leadline_api_request_duration_seconds histogram",
    ] {
        assert!(page.contains(expected), "{expected} missing from {page}");
    }
    assert!(!page.contains("sk_") && !page.contains("424242") && !page.contains("acme"));
    // Not on the site's own address.
    let public = app.get("/metrics", None, None).await;
    assert_eq!(public.status, StatusCode::NOT_FOUND);
}
