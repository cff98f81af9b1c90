//! The public REST API, as a table of outcomes: one section per status.

use crate::common::{spawn_app, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use leadline::keys::domain::Permissions;
use leadline::keys::{RevokeKey, UpdateKey};
use serde_json::json;

const ALL: Permissions = Permissions::LEADS_CRUD;
const READ: Permissions = Permissions {
    read: true,
    create: false,
    update: false,
    delete: false,
};

async fn app_with_key(permissions: Permissions) -> (TestApp, crate::common::Session, String, i64) {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let created = app.create_key(&dev, "CI", permissions).await;
    (app, dev, created.plaintext, created.key.id)
}

async fn create_lead(app: &TestApp, key: &str, name: &str) -> i64 {
    let r = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(key),
            Some(json!({ "name": name })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.json()["id"].as_i64().unwrap()
}

// 200 / 201 / 204

#[tokio::test]
async fn crud_round_trip_with_a_full_key() {
    let (app, _, key, _) = app_with_key(ALL).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(&key),
            Some(json!({"name": "Ada", "email": "ADA@example.com", "status": "qualified"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), format!("/api/v1/leads/{id}"));
    assert_eq!(r.json()["email"], "ada@example.com");

    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/leads/{id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json()["name"].as_str()),
        (StatusCode::OK, Some("Ada"))
    );
    assert_eq!(r.header("ratelimit-limit"), "600");

    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/leads/{id}"),
            Some(&key),
            Some(json!({"status": "won"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["name"].as_str()),
        (Some("won"), Some("Ada"))
    );

    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/leads/{id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/leads/{id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn listing_pages_with_a_cursor_and_filters() {
    let (app, _, key, _) = app_with_key(ALL).await;
    for i in 0..5 {
        create_lead(&app, &key, &format!("Lead {i}")).await;
    }
    let r = app
        .api(Method::GET, "/api/v1/leads?limit=2", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.json();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(page["data"][0]["name"], "Lead 4");
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/leads?limit=2&cursor={cursor}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.json()["data"][0]["name"], "Lead 2");
    let r = app
        .api(Method::GET, "/api/v1/leads?q=lead%203", Some(&key), None)
        .await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 1);
    let r = app
        .api(Method::GET, "/api/v1/leads?status=won", Some(&key), None)
        .await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 0);
    let r = app
        .api(
            Method::GET,
            "/api/v1/leads?updated_since=2026-11-27T11:00:00Z",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 5);
    assert!(r.json()["next_cursor"].is_null());
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let (app, _, key, _) = app_with_key(READ).await;
    let request = Request::get("/api/v1/leads")
        .header(header::AUTHORIZATION, format!("bearer {key}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::OK);
}

// 400

#[tokio::test]
async fn a_key_in_the_query_string_is_refused() {
    let (app, _, key, _) = app_with_key(READ).await;
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/leads?access_token={key}"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r
        .header("www-authenticate")
        .contains("error=\"invalid_request\""));
    assert!(!String::from_utf8_lossy(&r.body).contains(&key));
}

#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let (app, _, key, _) = app_with_key(READ).await;
    let request = Request::get("/api/v1/leads")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn invalid_json_and_unknown_fields_are_400() {
    let (app, _, key, _) = app_with_key(ALL).await;
    let request = Request::post("/api/v1/leads")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let r = app.send(request).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.header("content-type"), "application/problem+json");
    let r = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(&key),
            Some(json!({"name": "A", "colour": "red"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["detail"].as_str().unwrap().contains("colour"));
}

// 401

#[tokio::test]
async fn no_credentials_get_a_bare_bearer_challenge() {
    let (app, _, _, _) = app_with_key(READ).await;
    let r = app.api(Method::GET, "/api/v1/leads", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header("www-authenticate"), "Bearer realm=\"leadline\"");
    assert_eq!(r.json()["code"], "missing_credentials");
    assert_eq!(r.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn bad_keys_get_invalid_token_with_at_most_the_prefix() {
    let (app, _, key, _) = app_with_key(READ).await;
    let garbage = "definitely-not-a-key-but-rather-long-text";
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(garbage), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r
        .header("www-authenticate")
        .starts_with("Bearer realm=\"leadline\", error=\"invalid_token\""));
    // Not one of ours: nothing of it is echoed.
    assert_eq!(
        (r.json()["code"].as_str(), r.json()["key_prefix"].as_str()),
        (Some("malformed_key"), None)
    );
    let ours_but_bent = "sk_AbCd1234_but-not-the-right-shape";
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(ours_but_bent), None)
        .await;
    assert_eq!(
        (r.json()["code"].as_str(), r.json()["key_prefix"].as_str()),
        (Some("malformed_key"), Some(&ours_but_bent[..14]))
    );

    // A mistyped key fails its checksum: refused before any look-up.
    let mut typo = key.clone();
    typo.replace_range(30..31, if &key[30..31] == "x" { "y" } else { "x" });
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&typo), None)
        .await;
    assert_eq!(
        (
            r.status,
            r.json()["code"].as_str(),
            r.json()["key_prefix"].as_str()
        ),
        (
            StatusCode::UNAUTHORIZED,
            Some("malformed_key"),
            Some(&key[..14])
        )
    );

    // A known prefix with the wrong secret (checksum and all) answers
    // exactly like an unknown key.
    let seal = |body: String| {
        leadline::keys::token::ApiKey::seal(&body)
            .unwrap()
            .expose()
            .to_owned()
    };
    let wrong_secret = seal(format!("{}{}", &key[..14], "x".repeat(24)));
    let unknown = seal(format!("sk_ZZZZZZZZ_{}", "y".repeat(26)));
    let a = app
        .api(Method::GET, "/api/v1/leads", Some(&wrong_secret), None)
        .await;
    let b = app
        .api(Method::GET, "/api/v1/leads", Some(&unknown), None)
        .await;
    assert_eq!(
        (a.status, a.json()["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_key"))
    );
    assert_eq!(b.json()["code"], "invalid_key");
    let same = |r: &crate::common::Response, prefix: &str| {
        r.json()["detail"]
            .as_str()
            .unwrap()
            .replace(prefix, "PREFIX")
    };
    assert_eq!(
        same(&a, &wrong_secret[..14]),
        same(&b, &unknown[..14]),
        "identical but for the echoed prefix"
    );
    assert_eq!(a.json()["key_prefix"].as_str(), Some(&key[..14]));

    // The prefix alone can't authenticate.
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&key[..14]), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revoke_and_expiry_take_effect_on_the_very_next_request() {
    let (app, dev, key, id) = app_with_key(READ).await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
    app.call(Some(&dev), RevokeKey { id }).await.unwrap();
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("key_revoked"))
    );
    assert_eq!(
        r.header("www-authenticate"),
        "Bearer realm=\"leadline\", error=\"invalid_token\", error_description=\"The key has been revoked\""
    );

    let token = app
        .call(Some(&dev), leadline::keys::GenerateTestToken {})
        .await
        .unwrap();
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&token.plaintext), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    app.state.clock.advance(chrono::Duration::minutes(60));
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&token.plaintext), None)
        .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("key_expired"))
    );
}

#[tokio::test]
async fn a_deleted_or_reactivated_key_is_seen_on_the_next_request_despite_the_cache() {
    let (app, dev, key, id) = app_with_key(READ).await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
    app.call(Some(&dev), RevokeKey { id }).await.unwrap();
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    app.user("root@leadline.test", true).await;
    let root = app.sign_in("root@leadline.test").await;
    app.call(
        Some(&root),
        leadline::admin::ReactivateKey {
            prefix: key[..14].into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
    app.call(Some(&dev), leadline::keys::DeleteKey { id })
        .await
        .unwrap();
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_key"))
    );
}

// 403

#[tokio::test]
async fn each_method_needs_its_permission_and_names_the_missing_scope() {
    let (app, dev, key, id) = app_with_key(Permissions::default()).await;
    for (method, path, scope) in [
        (Method::GET, "/api/v1/leads", "leads:read"),
        (Method::POST, "/api/v1/leads", "leads:create"),
        (Method::GET, "/api/v1/leads/1", "leads:read"),
        (Method::PATCH, "/api/v1/leads/1", "leads:update"),
        (Method::DELETE, "/api/v1/leads/1", "leads:delete"),
    ] {
        let body =
            (method == Method::POST || method == Method::PATCH).then(|| json!({"name": "X"}));
        let r = app.api(method.clone(), path, Some(&key), body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(
            r.header("www-authenticate"),
            format!("Bearer realm=\"leadline\", error=\"insufficient_scope\", scope=\"{scope}\"")
        );
        assert_eq!(r.json()["code"], "insufficient_permission");
    }
    // A permission edit takes effect on the next request.
    app.call(
        Some(&dev),
        UpdateKey {
            id,
            name: "CI".into(),
            permissions: READ,
            allowed_ips: String::new(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn keys_of_an_organisation_without_the_flag_get_feature_disabled() {
    let (app, _, key, _) = app_with_key(READ).await;
    // A first request caches the credential; the flag change must still count.
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
    leadline::orgs::service::set_flag(
        &app.state,
        "operator (test)",
        "acme",
        leadline::orgs::domain::Flag::DeveloperApi,
        false,
    )
    .await
    .unwrap();
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("feature_disabled"))
    );
}

// 404

#[tokio::test]
async fn another_organisations_lead_is_not_found_for_every_method() {
    let (app, _, acme_key, _) = app_with_key(ALL).await;
    let (_, globex) = app.developer("Globex", "dev@globex.test").await;
    let globex_key = app.create_key(&globex, "Globex", ALL).await.plaintext;
    let id = create_lead(&app, &globex_key, "Globex secret").await;
    let path = format!("/api/v1/leads/{id}");
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({"name": "stolen"}));
        let r = app.api(method.clone(), &path, Some(&acme_key), body).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&acme_key), None)
        .await;
    assert!(!String::from_utf8_lossy(&r.body).contains("Globex secret"));
    let r = app.api(Method::GET, &path, Some(&globex_key), None).await;
    assert_eq!(r.json()["name"], "Globex secret", "untouched");
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads/abc", Some(&acme_key), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

// 405, 413, 422, 429

#[tokio::test]
async fn unsupported_methods_get_405_with_allow() {
    let (app, _, key, _) = app_with_key(ALL).await;
    let r = app
        .api(Method::PUT, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        r.header("allow").contains("GET") && r.header("allow").contains("POST"),
        "{}",
        r.header("allow")
    );
    assert_eq!(r.json()["code"], "method_not_allowed");
}

#[tokio::test]
async fn bodies_over_64_kib_get_413() {
    let (app, _, key, _) = app_with_key(ALL).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(&key),
            Some(json!({"name": "A", "notes": "x".repeat(70_000)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["code"], "payload_too_large");
}

#[tokio::test]
async fn invalid_values_get_422_with_field_errors() {
    let (app, _, key, _) = app_with_key(ALL).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(&key),
            Some(json!({"name": "", "email": "nope", "status": "maybe"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<_> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        fields.contains(&"name".into())
            && fields.contains(&"email".into())
            && fields.contains(&"status".into())
    );
    let r = app
        .api(Method::GET, "/api/v1/leads?limit=101", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api(
            Method::GET,
            "/api/v1/leads?updated_since=yesterday",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn each_key_is_rate_limited_with_ratelimit_headers() {
    let app = crate::common::spawn_app_with(|c| c.api_rate_limit_per_minute = 3).await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "CI", READ).await.plaintext;
    let other = app.create_key(&dev, "Other", READ).await.plaintext;
    for remaining in ["2", "1", "0"] {
        let r = app
            .api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            (r.header("ratelimit-limit"), r.header("ratelimit-remaining")),
            ("3".into(), remaining.into())
        );
    }
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        (r.json()["code"].as_str(), r.json()["key_prefix"].as_str()),
        (Some("rate_limited"), Some(&key[..14]))
    );
    let retry: u64 = r.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(r.header("ratelimit-remaining"), "0");
    // Another key has its own budget; the next window starts afresh.
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&other), None)
            .await
            .status,
        StatusCode::OK
    );
    app.state
        .clock
        .advance(chrono::Duration::seconds(retry as i64));
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn failed_authentication_is_throttled_per_client() {
    let (app, dev, key, _) = app_with_key(READ).await;
    // The integration's key is in use (verified once, so cached).
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
    for _ in 0..30 {
        app.api(Method::GET, "/api/v1/leads", Some("garbage"), None)
            .await;
    }
    // Another client at the same address keeps guessing: refused, no database read.
    let guess = format!("{}{}", &key[..14], "y".repeat(30));
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&guess), None)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!r.header("retry-after").is_empty());
    // The valid key behind the same address is not refused for it.
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A key not yet verified from a blocked address waits (no database read).
    let fresh = app.create_key(&dev, "Fresh", READ).await.plaintext;
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&fresh), None)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

// Operations

#[tokio::test]
async fn api_changes_are_audited_with_the_key_as_actor_and_usage_is_recorded() {
    let (app, dev, key, _) = app_with_key(ALL).await;
    create_lead(&app, &key, "From Zapier").await;
    let audit = app
        .call(
            Some(&dev),
            leadline::audit::ListAudit {
                prefix: key[..14].into(),
                action: "lead.created".into(),
                before: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.entries.len(), 1);
    assert_eq!(
        audit.entries[0].actor,
        format!("API key {} (CI)", &key[..14])
    );
    let listed = app
        .call(
            Some(&dev),
            leadline::keys::ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.keys[0].request_count, 1);
    assert!(listed.keys[0].last_used_at.is_some());
    assert_eq!(app.state.usage.flush().await.unwrap(), 1);
    let listed = app
        .call(
            Some(&dev),
            leadline::keys::ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        listed.keys[0].request_count, 1,
        "flushed, not double-counted"
    );
}

#[tokio::test]
async fn the_router_serves_exactly_the_documented_operations() {
    let (app, _, key, _) = app_with_key(ALL).await;
    let id = create_lead(&app, &key, "Ada").await;
    let r = app
        .api(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc, *leadline::api::openapi::document(), "served as built");
    let all = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ];
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 5, "{:?}", paths.keys());
    for (path, item) in paths {
        let documented: Vec<Method> = all
            .iter()
            .filter(|m| item.get(m.as_str().to_lowercase()).is_some())
            .cloned()
            .collect();
        assert!(!documented.is_empty(), "{path}");
        let mut url = path.replace("{id}", &id.to_string());
        if path.ends_with("/leads/deleted") {
            url.push_str("?since=2026-01-01T00:00:00Z");
        }
        for method in &all {
            // A body the documented operations accept, so that a refusal
            // can only come from routing.
            let body = matches!(*method, Method::POST | Method::PATCH).then(|| {
                if path.ends_with("leaked-keys") {
                    json!({ "keys": ["not a key"] })
                } else {
                    json!({ "name": "Grace" })
                }
            });
            let r = app.api(method.clone(), &url, Some(&key), body).await;
            if documented.contains(method) {
                assert!(
                    r.status.is_success(),
                    "{method} {path} is documented and served: {}",
                    r.status
                );
            } else {
                assert_eq!(
                    r.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is not documented"
                );
                let mut allow: Vec<String> = documented.iter().map(|m| m.to_string()).collect();
                if documented.contains(&Method::GET) {
                    allow.insert(1, "HEAD".into());
                }
                assert_eq!(r.header("allow"), allow.join(", "), "{path}");
                assert_eq!(r.json()["code"], "method_not_allowed");
            }
        }
    }
    // Anything else under the API is a problem-details 404.
    for path in [
        "/api/v1/lead",
        "/api/v1/leads/1/notes",
        "/api/v1/",
        "/api/v1",
        "/api/v2/leads",
    ] {
        let r = app.api(Method::GET, path, Some(&key), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            r.header("content-type"),
            "application/problem+json",
            "{path}"
        );
    }
}

#[tokio::test]
async fn problem_types_link_to_this_servers_error_page() {
    let app = spawn_app().await;
    let r = app
        .api(Method::GET, "/api/v1/leads", Some("sk_Unknown1_abc"), None)
        .await;
    let problem = r.json();
    let code = problem["code"].as_str().unwrap();
    assert_eq!(problem["type"], format!("/docs/errors#{code}"));
    let page = app.get("/docs/errors", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&page.body);
    for entry in leadline::error::catalogue::CATALOGUE {
        assert!(
            html.contains(&format!("id=\"{}\"", entry.code)),
            "the page has an anchor for {}",
            entry.code
        );
    }
}

#[tokio::test]
async fn with_a_public_url_problem_types_are_absolute() {
    let app = crate::common::spawn_app_with(|c| {
        c.public_url = Some("https://crm.example.com".into());
    })
    .await;
    let r = app
        .api(Method::GET, "/api/v1/leads", Some("sk_Unknown1_abc"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json()["type"],
        "https://crm.example.com/docs/errors#malformed_key"
    );
    let r = app.api(Method::GET, "/api/v2/leads", None, None).await;
    assert_eq!(
        r.json()["type"],
        "https://crm.example.com/docs/errors#not_found"
    );
}

#[tokio::test]
async fn a_body_not_declared_as_json_gets_415() {
    let (app, _, key, _) = app_with_key(ALL).await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/leads")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"name":"Ada"}"#))
        .unwrap();
    let r = app.send(request).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.json()["code"], "unsupported_media_type");
    assert!(!r.header("ratelimit-remaining").is_empty());
}

#[tokio::test]
async fn list_parameters_accept_exactly_what_the_document_says() {
    let (app, _, key, _) = app_with_key(ALL).await;
    for query in [
        "limit=0",
        "limit=101",
        "limit=%2B5",
        "limit=5.0",
        "cursor=",
        "cursor=0",
        "cursor=007",
        "cursor=abc",
        "cursor=0.4",
        "cursor=4.",
        "cursor=1.2.3&updated_since=2026-11-27T12:00:00Z",
        "status=",
        "status=New",
        "status=%20new",
        "updated_since=",
        "updated_since=yesterday",
    ] {
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/leads?{query}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let field = query.split('=').next().unwrap();
        assert_eq!(r.json()["errors"][0]["field"], field, "{query}");
    }
    for query in [
        "limit=1",
        "limit=100",
        "cursor=1",
        "status=won",
        "updated_since=2026-01-31T09:00:00Z",
        "updated_since=2026-01-31T09:00:00.5%2B05:30",
        "q=sk_",
    ] {
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/leads?{query}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{query}");
    }
}

#[tokio::test]
async fn lead_fields_are_checked_as_sent_and_stored_trimmed() {
    let (app, _, key, _) = app_with_key(ALL).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(&key),
            Some(json!({ "name": "  Ada  ", "email": " ADA@Example.com ", "status": "won" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["name"], "Ada");
    assert_eq!(r.json()["email"], "ada@example.com");
    for (body, field) in [
        (json!({ "name": format!("Ada{}", " ".repeat(198)) }), "name"),
        (json!({ "name": "\u{3000}" }), "name"),
        (json!({ "name": "\nAda" }), "name"),
        (json!({ "name": "Ada", "status": " won" }), "status"),
        (
            json!({ "name": "Ada", "company": format!("{:201}", "x") }),
            "company",
        ),
        (json!({ "name": "Ada", "email": "a@b" }), "email"),
        (json!({ "name": "Ada", "email": "a@@b.co" }), "email"),
    ] {
        let r = app
            .api(
                Method::POST,
                "/api/v1/leads",
                Some(&key),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.json()["errors"][0]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn the_unauthenticated_benchmark_route_is_off_by_default() {
    let (app, _, _, _) = app_with_key(READ).await;
    let r = app
        .api(Method::GET, "/api/v1/_bench/orgs/1/leads/1", None, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_third_party_token_is_never_echoed() {
    let app = crate::common::spawn_app().await;
    let secret = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    let response = app
        .api(Method::GET, "/api/v1/leads", Some(secret), None)
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let body = String::from_utf8_lossy(&response.body);
    assert!(!body.contains("ghp_"), "{body}");
    assert!(response.json().get("key_prefix").is_none());
    assert!(!response.header("www-authenticate").contains("ghp_"));
}

/// The load script's unauthenticated read exists only in a build with the
/// `bench-routes` feature; this one (and every release) has none, whatever
/// the environment says.
#[tokio::test]
async fn the_benchmark_route_is_not_in_a_normal_build() {
    std::env::set_var("LEADLINE_BENCH_ROUTES", "true");
    let app = crate::common::spawn_app().await;
    let r = app
        .api(Method::GET, "/api/v1/_bench/orgs/1/leads/1", None, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// A key verified once is served from the credential cache: later requests
/// read no credential from the database, even after the database forgets it.
#[tokio::test]
async fn a_verified_key_is_served_from_the_cache() {
    let (app, _, key, id) = app_with_key(READ).await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
    // Behind the application's back, so nothing invalidates the cache.
    sqlx::query("UPDATE api_keys SET key_hash = 'gone' WHERE id = $1")
        .bind(id)
        .execute(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK,
        "the second request was verified against the database"
    );
}

/// Once a key is verified, every answer carries its RateLimit headers: the
/// handlers' errors, the body's rejections and the 405s alike.
#[tokio::test]
async fn every_answer_to_a_verified_key_is_metered() {
    let (app, _, key, _) = app_with_key(READ).await;
    let request = |method: Method, uri: &str, content_type: &str, body: String| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let json = "application/json";
    let cases = [
        (
            request(Method::GET, "/api/v1/leads/1", json, String::new()),
            StatusCode::NOT_FOUND,
        ),
        (
            request(Method::GET, "/api/v1/leads?limit=0", json, String::new()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            request(
                Method::POST,
                "/api/v1/leads",
                json,
                r#"{"name":"Ada"}"#.into(),
            ),
            StatusCode::FORBIDDEN,
        ),
        (
            request(Method::PUT, "/api/v1/leads/1", json, String::new()),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            request(Method::PATCH, "/api/v1/leads/1", "text/plain", "{}".into()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            request(Method::PATCH, "/api/v1/leads/1", json, "x".repeat(70_000)),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (request, status) in cases {
        let label = format!("{} {}", request.method(), request.uri());
        let r = app.send(request).await;
        assert_eq!(r.status, status, "{label}: {:?}", r.body);
        for name in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
            assert!(!r.header(name).is_empty(), "{label}: no {name}");
        }
    }
    // Without a key, a 405 is a 401 first: the route's methods are not told.
    let r = app.api(Method::PUT, "/api/v1/leads/1", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// Every API answer names its request: `Request-Id` is `req_` and a ULID,
/// problem bodies carry the same id, and a client's `X-Request-Id` is never
/// taken as it.
#[tokio::test]
async fn every_answer_carries_a_request_id_that_the_client_cannot_choose() {
    let pattern = regex::Regex::new(leadline::error::request_id::PATTERN).unwrap();
    let (app, _, key, _) = app_with_key(ALL).await;
    let mut seen = std::collections::HashSet::new();
    let mut check = |r: &crate::common::Response, label: &str| {
        let id = r.header("request-id");
        assert!(pattern.is_match(&id), "{label}: {id:?}");
        if r.status.is_client_error() || r.status.is_server_error() {
            assert_eq!(r.json()["request_id"], id.as_str(), "{label}");
        }
        assert!(seen.insert(id), "{label}: an id was used twice");
    };
    let ok = app
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    check(&ok, "200");
    let unauthorized = app.api(Method::GET, "/api/v1/leads", None, None).await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    check(&unauthorized, "401");
    let missing = app
        .api(Method::GET, "/api/v1/leads/999999", Some(&key), None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    check(&missing, "404");
    let nowhere = app
        .api(Method::GET, "/api/v1/nowhere", Some(&key), None)
        .await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    check(&nowhere, "404 (no route)");
    let invalid = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(&key),
            Some(json!({ "name": "" })),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    check(&invalid, "422");
    let not_allowed = app
        .api(Method::PUT, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(not_allowed.status, StatusCode::METHOD_NOT_ALLOWED);
    check(&not_allowed, "405");
    let document = app
        .api(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    check(&document, "the API document");

    let chosen = "req_01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let request = axum::http::Request::builder()
        .uri("/api/v1/leads")
        .header("authorization", format!("Bearer {key}"))
        .header("x-request-id", chosen)
        .header("request-id", chosen)
        .body(axum::body::Body::empty())
        .unwrap();
    let answered = app.send(request).await;
    check(&answered, "with the client's own id");
    assert_ne!(answered.header("request-id"), chosen);
}
