//! The flash: what a form post hands to the page its redirect shows. Any
//! instance reads it (a restart between the two loses nothing), each entry
//! is taken once and names its own view, nothing in it is readable in the
//! database, and nobody without a live session can store anything.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use leptos::server_fn::ServerFn;
use rand::RngCore;

use leadline::keys::CreateKey;

use crate::common::{spawn_app, Response, TestApp, READ};

const ORIGIN: &str = "http://127.0.0.1:3000";

fn html(page: &Response) -> String {
    String::from_utf8_lossy(&page.body).into_owned()
}

fn create(name: &str) -> CreateKey {
    CreateKey {
        confirm_password: String::new(),
        name: name.into(),
        permissions: READ,
        expires_at: String::new(),
    }
}

/// The raw key a reveal page shows, if any.
fn revealed(page: &str) -> Option<String> {
    let start = page.find(r#"value="sk_"#)? + 7;
    Some(page[start..start + 44].to_owned())
}

async fn flashes(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT session_hash, sealed FROM flashes")
        .fetch_all(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_key_is_revealed_by_another_instance_after_a_restart() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let posted = app
        .post_form(
            Some(&dev),
            create("Zapier, leads sync"),
            &format!("{ORIGIN}/developer?dialog=new-key"),
        )
        .await;
    assert_eq!(posted.status, StatusCode::FOUND);
    let location = posted.header("location");
    // The next page view is served by a new process on the same database.
    let other = app.another_instance().await;
    let page = html(&other.get(&location, Some(&dev), None).await);
    let key = revealed(&page).expect("the key is revealed");
    assert!(page.contains("Zapier, leads sync"));
    let api = other
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(api.status, StatusCode::OK, "and it works");
    // Taken once, whichever instance is asked again.
    for instance in [&app, &other] {
        let again = html(&instance.get(&location, Some(&dev), None).await);
        assert!(!again.contains(&key));
    }
    assert!(flashes(&app).await.is_empty());
}

#[tokio::test]
async fn two_tabs_each_reveal_their_own_key() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let referer = format!("{ORIGIN}/developer?dialog=new-key");
    let first = app.post_form(Some(&dev), create("Tab one"), &referer).await;
    let second = app.post_form(Some(&dev), create("Tab two"), &referer).await;
    let (one, two) = (first.header("location"), second.header("location"));
    assert_ne!(one, two, "each reveal has its own address");
    // Shown in the other order: neither overwrote the other.
    let page_two = html(&app.get(&two, Some(&dev), None).await);
    let page_one = html(&app.get(&one, Some(&dev), None).await);
    assert!(
        page_one.contains("<strong>Tab one<!></strong> was created"),
        "{page_one}"
    );
    assert!(page_two.contains("<strong>Tab two<!></strong> was created"));
    assert_ne!(revealed(&page_one).unwrap(), revealed(&page_two).unwrap());
}

#[tokio::test]
async fn a_flash_is_taken_only_by_the_session_it_was_made_for() {
    let app = spawn_app().await;
    let (slug, dev) = app.developer("Acme", "dev@acme.test").await;
    app.member(&slug, "other@acme.test", false, true).await;
    let other = app.sign_in("other@acme.test").await;
    let posted = app
        .post_form(Some(&dev), create("Mine"), &format!("{ORIGIN}/developer"))
        .await;
    let location = posted.header("location");
    let stolen = html(&app.get(&location, Some(&other), None).await);
    assert!(revealed(&stolen).is_none(), "another session sees nothing");
    let anonymous = html(&app.get(&location, None, None).await);
    assert!(revealed(&anonymous).is_none());
    let mine = html(&app.get(&location, Some(&dev), None).await);
    assert!(revealed(&mine).is_some(), "and its own session still does");
}

#[tokio::test]
async fn nothing_in_the_flash_is_readable_in_the_database() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let posted = app
        .post_form(Some(&dev), create("CI"), &format!("{ORIGIN}/developer"))
        .await;
    // What the database holds while the key waits for its page view.
    let stored = flashes(&app).await;
    assert_eq!(stored.len(), 1);
    let files: Vec<Vec<u8>> = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let path = format!("{}{suffix}", app.db_path.as_ref()?.display());
            std::fs::read(path).ok()
        })
        .collect();
    let page = html(&app.get(&posted.header("location"), Some(&dev), None).await);
    let key = revealed(&page).unwrap();
    let secret = &key.as_bytes()[14..];
    let hex_secret = hex::encode(secret);
    for (_, sealed) in &stored {
        assert!(!sealed.contains(&key[14..]) && !sealed.contains(&hex_secret));
    }
    for bytes in files {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret));
        let hex = hex_secret.as_bytes();
        assert!(!bytes.windows(hex.len()).any(|w| w == hex));
    }
    assert!(!html(&posted).contains(&key[14..]), "nor in the redirect");
    assert!(!posted.header("location").contains(&key[14..]));
}

/// A flood of anonymous posts, each with a body near the limit and a new
/// random cookie, stores nothing: entries are kept only for live sessions.
#[tokio::test]
async fn anonymous_posts_store_nothing_whatever_they_send() {
    let app = spawn_app().await;
    let filler = "x".repeat(60 * 1024);
    for _ in 0..1_000 {
        let mut token = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut token);
        let body = format!("name={filler}&expires_at=");
        let request = Request::builder()
            .method(Method::POST)
            .uri(<CreateKey as ServerFn>::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(
                header::REFERER,
                format!("{ORIGIN}/developer?dialog=new-key"),
            )
            .header(
                header::COOKIE,
                format!("leadline_session={}", hex::encode(token)),
            )
            .body(Body::from(body))
            .unwrap();
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::FOUND);
        let location = response.header("location");
        assert!(
            location.contains("error=sign_in_required"),
            "told to sign in, by code: {location}"
        );
    }
    assert!(flashes(&app).await.is_empty());
}

/// A session holds a bounded number of entries; beyond it the error still
/// comes back, in fixed words, and nothing more is stored.
#[tokio::test]
async fn a_session_holds_a_bounded_number_of_entries() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let referer = format!("{ORIGIN}/developer?dialog=new-key");
    let cap = leadline::web::flash::PER_SESSION as usize;
    for n in 0..cap + 3 {
        let failed = app.post_form(Some(&dev), create(""), &referer).await;
        let location = failed.header("location");
        if n < cap {
            assert!(location.contains("flash="), "{location}");
        } else {
            assert!(
                location.contains("error=validation_failed&error_in=")
                    && location.contains("invalid=name"),
                "{location}"
            );
            let page = html(&app.get(&location, Some(&dev), None).await);
            assert!(page.contains("Check this field."), "the field is marked");
        }
    }
    assert_eq!(flashes(&app).await.len(), cap);
    // Expired entries are pruned.
    app.state.clock.advance(chrono::Duration::seconds(61));
    let pruned = leadline::web::flash::prune(&app.state.db, app.state.clock.now())
        .await
        .unwrap();
    assert_eq!(pruned, cap as u64);
}

/// The banner never shows words from the address: Leptos's own `__err`
/// is ignored, and a code nobody issued reads as a fault.
#[tokio::test]
async fn an_error_in_a_crafted_link_is_never_shown_as_written() {
    let app = spawn_app().await;
    let lie = "Your account is locked, call 555-0100";
    let crafted = leptos::server_fn::error::ServerFnUrlError::new(
        <leadline::auth::SignIn as ServerFn>::PATH,
        leadline::error::AppError::Conflict(lie.into()),
    )
    .to_url(&format!("{ORIGIN}/sign-in"))
    .unwrap();
    let path = crafted.as_str().trim_start_matches(ORIGIN).to_owned();
    let page = html(&app.get(&path, None, None).await);
    assert!(!page.contains("555-0100"), "{page}");
    assert!(!page.contains(r#"role="alert""#));

    let path = format!(
        "/sign-in?error={}&error_in={}",
        lie.replace(' ', "+"),
        <leadline::auth::SignIn as ServerFn>::PATH
    );
    let page = html(&app.get(&path, None, None).await);
    assert!(!page.contains("555-0100"));
    assert!(page.contains("Something went wrong on our side"));
}

/// A failed Leads edit comes back to its dialog, then to the list as it was:
/// its search and page are kept.
#[tokio::test]
async fn the_leads_page_keeps_its_search_and_page_through_an_edit() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let mut id = 0;
    for n in 0..30 {
        let lead = app
            .call(
                Some(&dev),
                leadline::leads::CreateLead {
                    draft: leadline::leads::domain::LeadDraft {
                        name: format!("Acme {n}"),
                        status: "new".into(),
                        ..Default::default()
                    },
                },
            )
            .await
            .unwrap();
        id = lead.id;
    }
    let page = format!("{ORIGIN}/leads?q=Acme&before=20&trail=0&dialog=edit&id={id}");
    let edit = |name: &str| leadline::leads::UpdateLead {
        id,
        draft: leadline::leads::domain::LeadDraft {
            name: name.into(),
            status: "new".into(),
            ..Default::default()
        },
    };
    let failed = app.post_form(Some(&dev), edit(""), &page).await;
    let location = failed.header("location");
    assert!(
        location.starts_with(&format!(
            "/leads?q=Acme&before=20&trail=0&dialog=edit&id={id}&flash="
        )),
        "{location}"
    );
    let saved = app.post_form(Some(&dev), edit("Renamed"), &page).await;
    assert_eq!(saved.header("location"), "/leads?q=Acme&before=20&trail=0");
}
