//! Searching leads: any part of the name, email or company, in any case,
//! with or without accents, the same on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::{spawn_app, TestApp};
use leadline::error::AppError;
use leadline::keys::domain::Permissions;

const READ_CREATE: Permissions = Permissions {
    read: true,
    create: true,
    update: true,
    delete: false,
};

async fn found(app: &TestApp, key: &str, q: &str) -> Vec<String> {
    let query: String = url_encode(q);
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/leads?q={query}"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.json());
    let mut names: Vec<String> = r.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lead| lead["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn url_encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn search_matches_any_part_in_any_case_and_without_accents() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Search", READ_CREATE).await.plaintext;
    for (name, email, company) in [
        (
            "José Álvarez",
            "jose.alvarez@acme.example",
            "Crème Brûlée Ltd",
        ),
        (
            "Ada Lovelace",
            "ada@analytical.example",
            "Analytical Engines",
        ),
        ("Grace Hopper", "grace@navy.example", "US Navy"),
        ("Percent Man", "p@x.example", "50% Off"),
        ("Adam Smith", "adam@analytical.example", "Smith & Co"),
        ("Granada Sales", "granada@sales.example", ""),
        ("Élodie Durand", "élodie@mail.example", ""),
        ("Mr At Home", "home@home.example", "At@Work"),
    ] {
        let r = app
            .api(
                Method::POST,
                "/api/v1/leads",
                Some(&key),
                Some(json!({ "name": name, "email": email, "company": company })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    for (q, expected) in [
        ("jose", vec!["José Álvarez"]),
        ("ÁLV", vec!["José Álvarez"]),
        ("brulee", vec!["José Álvarez"]),
        ("analytical.ex", vec!["Ada Lovelace", "Adam Smith"]),
        ("NAVY", vec!["Grace Hopper"]),
        ("50%", vec!["Percent Man"]),
        ("0%", vec!["Percent Man"]),
        ("zzz", vec![]),
        // Around an "@" (PostgreSQL reads these from the local part's
        // B-tree): still any part of the address, and of the other fields.
        ("ada@", vec!["Ada Lovelace", "Granada Sales"]),
        ("ada@analytical.ex", vec!["Ada Lovelace"]),
        ("A@ANALYTICAL", vec!["Ada Lovelace"]),
        ("m@analytical.example", vec!["Adam Smith"]),
        ("ELODIE@mail", vec!["Élodie Durand"]),
        ("t@w", vec!["Mr At Home"]),
        ("@navy", vec!["Grace Hopper"]),
        ("a@b@c", vec![]),
        ("ada@sales", vec!["Granada Sales"]),
        // Shorter than a trigram: still found.
        ("ov", vec!["Ada Lovelace"]),
    ] {
        assert_eq!(found(&app, &key, q).await, expected, "{q}");
    }
    // A changed lead is found by its new name, not its old one.
    let ada = app
        .api(Method::GET, "/api/v1/leads?q=lovelace", Some(&key), None)
        .await
        .json()["data"][0]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/leads/{ada}"),
            Some(&key),
            Some(json!({ "name": "Augusta King" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(found(&app, &key, "lovelace").await.is_empty());
    assert_eq!(found(&app, &key, "augusta").await, ["Augusta King"]);
    // And by its new address, not its old one.
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/leads/{ada}"),
            Some(&key),
            Some(json!({ "email": "augusta@Lovelace.example" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(found(&app, &key, "ada@analytical").await.is_empty());
    assert!(found(&app, &key, "analytical.example")
        .await
        .iter()
        .all(|name| name != "Augusta King"));
    assert_eq!(found(&app, &key, "augusta@love").await, ["Augusta King"]);
    assert_eq!(found(&app, &key, "lovelace.ex").await, ["Augusta King"]);

    // Leads written before the e-mail keys existed are found by their
    // address once the server has filled them in at start.
    sqlx::query("UPDATE leads SET email_local_key = NULL, email_domain_key = NULL")
        .execute(&app.state.db)
        .await
        .unwrap();
    assert!(found(&app, &key, "grace@navy").await.is_empty());
    let filled = leadline::leads::service::fill_email_keys(&app.state.db)
        .await
        .unwrap();
    assert_eq!(filled, 8);
    assert_eq!(found(&app, &key, "grace@navy").await, ["Grace Hopper"]);
    assert_eq!(found(&app, &key, "ELODIE@mail").await, ["Élodie Durand"]);
    assert_eq!(
        leadline::leads::service::fill_email_keys(&app.state.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn search_text_with_control_characters_is_refused_and_query_syntax_is_literal() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Search", READ_CREATE).await.plaintext;
    let r = app
        .api(
            Method::POST,
            "/api/v1/leads",
            Some(&key),
            Some(json!({ "name": "Quote \"Q\" Star*", "company": "NEAR(a b)" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Each backend's query language is taken as plain text.
    for (q, expected) in [
        ("\"q\" star*", vec!["Quote \"Q\" Star*"]),
        ("near(a", vec!["Quote \"Q\" Star*"]),
        ("\" OR \"", vec![]),
        ("a^b", vec![]),
        ("%_\\", vec![]),
    ] {
        assert_eq!(found(&app, &key, q).await, expected, "{q}");
    }
    // A NUL or another control character: a field error, on both backends.
    for q in ["ab\u{0}cd", "\u{0}", "abc\u{1f}", "a\tb"] {
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/leads?q={}", url_encode(q)),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q:?}");
        assert_eq!(r.json()["errors"][0]["field"], "q", "{q:?}");
    }
    let err = app
        .call(
            Some(&dev),
            leadline::leads::ListLeads {
                q: "ab\u{0}cd".into(),
                before: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "q");
}

#[tokio::test]
async fn text_with_a_nul_character_is_refused_not_a_server_error() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Search", READ_CREATE).await.plaintext;
    for field in ["company", "phone", "source", "notes"] {
        let r = app
            .api(
                Method::POST,
                "/api/v1/leads",
                Some(&key),
                Some(json!({ "name": "Ada", field: "a\u{0}b" })),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(r.json()["errors"][0]["field"], field);
    }
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(r.json()["data"], json!([]), "nothing was stored");
    // Text that reaches a query unparsed (a platform admin's user search):
    // PostgreSQL cannot hold a NUL, and says so as a bad request.
    app.user("root@leadline.test", true).await;
    let root = app.sign_in("root@leadline.test").await;
    match app
        .call(
            Some(&root),
            leadline::admin::FindUsers {
                q: "root\u{0}".into(),
            },
        )
        .await
    {
        Ok(users) => assert!(users.is_empty()),
        Err(err) => assert!(matches!(err, AppError::BadRequest(_)), "{err:?}"),
    }
}
