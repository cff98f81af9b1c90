//! The site as a browser meets it: static files cached and compressed like a
//! production site, pages never stored, and the dashboard's main forms
//! working as plain HTML form posts, before the wasm has loaded.

use std::path::Path;

use axum::http::StatusCode;
use leadline::admin::{CreateOrganisation, CreatePasswordReset, SetDeveloperApi};
use leadline::auth::{ChangePassword, EndSession, GetViewer, ListSessions, SignIn, SignOut};
use leadline::keys::domain::Permissions;
use leadline::keys::{CreateKey, ListKeys};
use leadline::leads::domain::LeadDraft;
use leadline::leads::{CreateLead, DeleteLead, ListLeads};
use leadline::orgs::InviteMember;
use leadline::web::assets::{IMMUTABLE, NEVER_STORE, PUBLIC_FILE, REVALIDATE};

use crate::common::{spawn_app, spawn_app_with_site, PASSWORD};

const WASM: &[u8] = b"\0asm\x01\0\0\0 the wasm";
const WASM_BR: &[u8] = b"brotli bytes";
const WASM_GZ: &[u8] = b"gzip bytes";

/// A built site as `cargo leptos build --release --precompress` leaves it.
fn built_site(root: &Path) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("leadline.Xy12ab.wasm"), WASM).unwrap();
    std::fs::write(pkg.join("leadline.Xy12ab.wasm.br"), WASM_BR).unwrap();
    std::fs::write(pkg.join("leadline.Xy12ab.wasm.gz"), WASM_GZ).unwrap();
    std::fs::write(pkg.join("leadline.Cd34ef.css"), "body{}").unwrap();
    std::fs::write(root.join("favicon.ico"), b"\0\0\x01\0").unwrap();
    std::fs::write(root.join("robots.txt"), "User-agent: *\n").unwrap();
}

#[tokio::test]
async fn hashed_files_are_immutable_and_sent_precompressed() {
    let site = tempfile::tempdir().unwrap();
    built_site(site.path());
    let app = spawn_app_with_site(site.path(), true).await;

    let br = app
        .get("/pkg/leadline.Xy12ab.wasm", None, Some("gzip, deflate, br"))
        .await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.header("content-encoding"), "br");
    assert_eq!(br.header("content-type"), "application/wasm");
    assert_eq!(br.header("cache-control"), IMMUTABLE);
    assert_eq!(&br.body[..], WASM_BR);

    let gzip = app
        .get("/pkg/leadline.Xy12ab.wasm", None, Some("gzip"))
        .await;
    assert_eq!(gzip.header("content-encoding"), "gzip");
    assert_eq!(&gzip.body[..], WASM_GZ);

    let plain = app.get("/pkg/leadline.Xy12ab.wasm", None, None).await;
    assert_eq!(plain.header("content-encoding"), "");
    assert_eq!(&plain.body[..], WASM);
    assert_eq!(plain.header("cache-control"), IMMUTABLE);

    // Without a precompressed copy, the file is compressed on the way out.
    let css = app.get("/pkg/leadline.Cd34ef.css", None, Some("br")).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("cache-control"), IMMUTABLE);
}

#[tokio::test]
async fn a_missing_file_is_a_404_that_no_cache_keeps() {
    let site = tempfile::tempdir().unwrap();
    built_site(site.path());
    let app = spawn_app_with_site(site.path(), true).await;
    let missing = app.get("/pkg/leadline.Old999.wasm", None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_ne!(missing.header("cache-control"), IMMUTABLE);
}

#[tokio::test]
async fn files_without_hashes_in_their_names_are_revalidated() {
    let site = tempfile::tempdir().unwrap();
    built_site(site.path());
    let app = spawn_app_with_site(site.path(), false).await;
    let wasm = app.get("/pkg/leadline.Xy12ab.wasm", None, None).await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.header("cache-control"), REVALIDATE);
}

#[tokio::test]
async fn favicon_and_robots_come_from_public_and_are_cached_for_a_day() {
    let site = tempfile::tempdir().unwrap();
    built_site(site.path());
    let app = spawn_app_with_site(site.path(), true).await;
    for path in ["/favicon.ico", "/robots.txt"] {
        let response = app.get(path, None, None).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(response.header("cache-control"), PUBLIC_FILE, "{path}");
    }
}

#[test]
fn the_public_folder_has_a_favicon_and_robots_txt() {
    let public = Path::new(env!("CARGO_MANIFEST_DIR")).join("public");
    let svg = std::fs::read_to_string(public.join("favicon.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    let ico = std::fs::read(public.join("favicon.ico")).unwrap();
    assert_eq!(&ico[..4], &[0, 0, 1, 0], "an ICO header");
    let robots = std::fs::read_to_string(public.join("robots.txt")).unwrap();
    assert!(robots.contains("User-agent"));
}

#[tokio::test]
async fn pages_link_the_favicons_and_are_never_stored() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;

    let sign_in = app.get("/sign-in", None, None).await;
    assert_eq!(sign_in.status, StatusCode::OK);
    assert!(sign_in.header("content-type").starts_with("text/html"));
    assert_eq!(sign_in.header("cache-control"), NEVER_STORE);
    let html = String::from_utf8_lossy(&sign_in.body);
    assert!(html.contains(r#"<link rel="icon" href="/favicon.svg" type="image/svg+xml""#));
    assert!(html.contains(r#"<link rel="icon" href="/favicon.ico""#));

    // A page with the organisation's data in it.
    let leads = app.get("/leads", Some(&session), None).await;
    assert_eq!(leads.status, StatusCode::OK);
    assert_eq!(leads.header("cache-control"), NEVER_STORE);

    let not_found = app.get("/no-such-page", None, None).await;
    assert_eq!(not_found.status, StatusCode::NOT_FOUND);
    assert_eq!(not_found.header("cache-control"), NEVER_STORE);

    // Server functions and the API carry data too.
    let (viewer, _) = app.call_raw(Some(&session), GetViewer {}).await;
    assert_eq!(viewer.header("cache-control"), NEVER_STORE);
    let api = app
        .api(axum::http::Method::GET, "/api/v1/leads", None, None)
        .await;
    assert_eq!(api.header("cache-control"), NEVER_STORE);
}

#[tokio::test]
async fn pages_are_compressed_for_browsers_that_ask() {
    let app = spawn_app().await;
    let br = app.get("/sign-in", None, Some("gzip, deflate, br")).await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.header("content-encoding"), "br");
    let gzip = app.get("/sign-in", None, Some("gzip")).await;
    assert_eq!(gzip.header("content-encoding"), "gzip");
}

#[tokio::test]
async fn signing_in_works_as_a_plain_form_post() {
    let app = spawn_app().await;
    let slug = app.org("Acme", true).await;
    app.member(&slug, "dev@acme.test", false, true).await;
    let response = app
        .post_form(
            None,
            SignIn {
                email: "dev@acme.test".into(),
                password: PASSWORD.into(),
            },
            "http://127.0.0.1:3000/sign-in",
        )
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert_eq!(response.header("location"), "/leads");
    let cookie = response.header("set-cookie");
    assert!(cookie.starts_with("leadline_session="), "{cookie}");
    let session = crate::common::Session(cookie.split(';').next().unwrap().to_owned());
    let viewer = app.call(Some(&session), GetViewer {}).await.unwrap();
    assert_eq!(viewer.unwrap().email, "dev@acme.test");

    // Signing out the same way ends the session and goes to the sign-in page.
    let out = app
        .post_form(Some(&session), SignOut {}, "http://127.0.0.1:3000/leads")
        .await;
    assert_eq!(out.status, StatusCode::FOUND);
    assert_eq!(out.header("location"), "/sign-in");
    assert_eq!(app.call(Some(&session), GetViewer {}).await.unwrap(), None);
}

#[tokio::test]
async fn a_failed_plain_sign_in_returns_to_the_form_with_the_error_and_no_password() {
    let app = spawn_app().await;
    app.user("dev@acme.test", false).await;
    let response = app
        .post_form(
            None,
            SignIn {
                email: "dev@acme.test".into(),
                password: "wrong-password-123".into(),
            },
            "http://127.0.0.1:3000/sign-in",
        )
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    let location = response.header("location");
    assert!(
        location.starts_with("/sign-in?error=wrong_credentials&error_in="),
        "a code, never words: {location}"
    );
    assert!(!location.contains("wrong-password"), "{location}");
    let path = location.trim_start_matches("http://127.0.0.1:3000");
    let page = app.get(path, None, None).await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("The email or password is incorrect."));
    assert!(
        !html.contains("wrong-password"),
        "the password is not echoed"
    );
    assert!(
        !html.contains("<leptos-island"),
        "the sign-in page needs no wasm"
    );
}

/// The one page view after a plain "Create key" post shows the key; the next
/// does not.
#[tokio::test]
async fn a_key_created_by_a_plain_form_post_is_revealed_once() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;
    let response = app
        .post_form(
            Some(&session),
            CreateKey {
                confirm_password: String::new(),
                name: "CI job".into(),
                permissions: Permissions {
                    read: true,
                    ..Default::default()
                },
                expires_at: String::new(),
            },
            "http://127.0.0.1:3000/developer?dialog=new-key",
        )
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    let location = response.header("location");
    assert!(location.starts_with("/developer?flash="), "{location}");
    let redirect_body = String::from_utf8_lossy(&response.body).into_owned();

    let page = app.get(&location, Some(&session), None).await;
    assert_eq!(page.header("cache-control"), NEVER_STORE);
    let html = String::from_utf8_lossy(&page.body).into_owned();
    let start = html
        .find("value=\"sk_")
        .expect("the key in the masked field")
        + 7;
    let key = &html[start..start + 44];
    assert!(html.contains(r#"type="password""#));
    assert!(
        html.contains("Reveal key"),
        "a way to reveal it without JavaScript"
    );
    assert!(
        !redirect_body.contains(key),
        "the redirect does not carry the key"
    );

    let keys = app
        .call(
            Some(&session),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(keys.keys[0].name, "CI job");
    assert!(keys.keys[0].permissions.read && !keys.keys[0].permissions.create);
    let api = app
        .api(axum::http::Method::GET, "/api/v1/leads", Some(key), None)
        .await;
    assert_eq!(api.status, StatusCode::OK);

    let again = app.get(&location, Some(&session), None).await;
    assert!(!String::from_utf8_lossy(&again.body).contains(key));
}

#[tokio::test]
async fn a_plain_create_key_post_with_bad_input_returns_to_the_form_with_field_errors() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;
    let response = app
        .post_form(
            Some(&session),
            CreateKey {
                confirm_password: String::new(),
                name: "  ".into(),
                permissions: Permissions::default(),
                expires_at: String::new(),
            },
            "http://127.0.0.1:3000/developer?dialog=new-key",
        )
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    let location = response.header("location");
    let page = app
        .get(
            location.trim_start_matches("http://127.0.0.1:3000"),
            Some(&session),
            None,
        )
        .await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(r#"id="new-key""#), "the form is open again");
    assert!(html.contains("name-error"), "with the name's error");
    let keys = app
        .call(
            Some(&session),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert!(keys.keys.is_empty());
}

#[tokio::test]
async fn a_lead_is_created_by_a_plain_form_post() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;
    let response = app
        .post_form(
            Some(&session),
            CreateLead {
                draft: LeadDraft {
                    name: "Mary Jackson".into(),
                    email: "mary@langley.example".into(),
                    status: "new".into(),
                    ..Default::default()
                },
            },
            "http://127.0.0.1:3000/leads?dialog=new-lead",
        )
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert_eq!(response.header("location"), "/leads");
    let leads = app
        .call(
            Some(&session),
            ListLeads {
                q: "Mary".into(),
                before: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(leads.leads.len(), 1);
}

#[tokio::test]
async fn the_forms_open_from_the_url_before_the_wasm_has_loaded() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;
    let new_key = app
        .get("/developer?dialog=new-key", Some(&session), None)
        .await;
    let html = String::from_utf8_lossy(&new_key.body);
    assert!(html.contains(r#"id="new-key""#) && html.contains("Create key"));
    assert!(html.contains(r#"name="permissions[read]""#));

    let new_lead = app
        .get("/leads?dialog=new-lead", Some(&session), None)
        .await;
    let html = String::from_utf8_lossy(&new_lead.body);
    assert!(html.contains(r#"id="lead-form""#) && html.contains(r#"name="draft[name]""#));
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_bound_to_their_nonce() {
    let app = spawn_app().await;
    let page = app.get("/sign-in", None, None).await;
    let csp = page.header("content-security-policy");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = String::from_utf8_lossy(&page.body);
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries the nonce"
    );
    // A second page view gets another nonce.
    let again = app.get("/sign-in", None, None).await;
    assert_ne!(again.header("content-security-policy"), csp);

    for response in [
        &page,
        &app.api(axum::http::Method::GET, "/api/v1/leads", None, None)
            .await,
    ] {
        assert_eq!(response.header("referrer-policy"), "same-origin");
        assert_eq!(response.header("x-frame-options"), "DENY");
        assert_eq!(response.header("x-content-type-options"), "nosniff");
    }
}

#[tokio::test]
async fn behind_https_cookies_are_secure_and_hsts_is_sent() {
    let app = crate::common::spawn_app_with(|c| c.secure_cookies = true).await;
    let slug = app.org("Acme", true).await;
    app.member(&slug, "dev@acme.test", false, true).await;
    let (response, _) = app
        .call_raw(
            None,
            SignIn {
                email: "dev@acme.test".into(),
                password: PASSWORD.into(),
            },
        )
        .await;
    let cookie = response.header("set-cookie");
    assert!(cookie.starts_with("__Host-leadline_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(response
        .header("strict-transport-security")
        .starts_with("max-age=31536000"));
    let plain = spawn_app().await.get("/sign-in", None, None).await;
    assert_eq!(plain.header("strict-transport-security"), "");
}

/// A plain form post with bad input comes back with the error and with the
/// form as it was sent, once; passwords are never sent back.
#[tokio::test]
async fn a_failed_plain_form_post_comes_back_filled_in_once() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;
    let response = app
        .post_form(
            Some(&session),
            CreateLead {
                draft: LeadDraft {
                    name: "Mary <Jackson>".into(),
                    email: "not-an-email".into(),
                    company: "Langley".into(),
                    status: "won".into(),
                    ..Default::default()
                },
            },
            "http://127.0.0.1:3000/leads?dialog=new-lead",
        )
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    let location = response.header("location");
    let path = location.trim_start_matches("http://127.0.0.1:3000");
    assert!(path.starts_with("/leads?dialog=new-lead&flash="), "{path}");

    let page = app.get(path, Some(&session), None).await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("Enter a valid email address"), "{html}");
    assert!(
        html.contains(r#"value="Mary &lt;Jackson&gt;""#),
        "the name is kept, escaped"
    );
    assert!(html.contains(r#"value="not-an-email""#));
    assert!(html.contains(r#"value="Langley""#));
    assert!(html.contains(r#"<option value="won" selected"#));

    // Shown once: the same address again (a reload) has the error, not the values.
    let again = app.get(path, Some(&session), None).await;
    assert!(!String::from_utf8_lossy(&again.body).contains("not-an-email"));

    // Another browser never sees them.
    let (_, other) = app.developer("Globex", "other@globex.test").await;
    let post = app
        .post_form(
            Some(&session),
            CreateLead {
                draft: LeadDraft {
                    name: "Kept for me".into(),
                    email: "bad".into(),
                    status: "new".into(),
                    ..Default::default()
                },
            },
            "http://127.0.0.1:3000/leads?dialog=new-lead",
        )
        .await;
    let path = post
        .header("location")
        .trim_start_matches("http://127.0.0.1:3000")
        .to_owned();
    let theirs = app.get(&path, Some(&other), None).await;
    assert!(!String::from_utf8_lossy(&theirs.body).contains("Kept for me"));

    // A failed password change keeps no password.
    let change = app
        .post_form(
            Some(&session),
            ChangePassword {
                current_password: "not-the-password-1".into(),
                new_password: "my-new-secret-pass".into(),
            },
            "http://127.0.0.1:3000/account",
        )
        .await;
    let path = change
        .header("location")
        .trim_start_matches("http://127.0.0.1:3000")
        .to_owned();
    let page = app.get(&path, Some(&session), None).await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(
        html.contains("That is not your current password."),
        "{html}"
    );
    assert!(!html.contains("my-new-secret-pass") && !html.contains("not-the-password-1"));
}

/// The Leads page's dialogs open from its address, for the lead on the page
/// the reader is on; Delete is a plain form post back to the list.
#[tokio::test]
async fn leads_are_searched_paged_edited_and_deleted_through_addresses() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;
    for i in 0..30 {
        let lead = app
            .call(
                Some(&session),
                CreateLead {
                    draft: LeadDraft {
                        name: format!("Lead {i:02}"),
                        status: "new".into(),
                        ..Default::default()
                    },
                },
            )
            .await
            .unwrap();
        let _ = lead;
    }
    let first = app.get("/leads", Some(&session), None).await;
    let html = String::from_utf8_lossy(&first.body);
    assert!(html.contains("Lead 29") && !html.contains("Lead 00"));
    let older = html
        .split(r#"href=""#)
        .filter_map(|s| s.split('"').next())
        .find(|href| href.starts_with("/leads?q=&amp;before="))
        .expect("an Older link")
        .replace("&amp;", "&");
    let second = app.get(&older, Some(&session), None).await;
    let html = String::from_utf8_lossy(&second.body);
    assert!(
        html.contains("Lead 00"),
        "the second page has the oldest lead"
    );
    assert!(
        html.contains(r#"<a href="/leads?q=" class="button small">Newer"#),
        "Newer goes back to the first page"
    );

    let searched = app.get("/leads?q=Lead%2007", Some(&session), None).await;
    let html = String::from_utf8_lossy(&searched.body);
    assert!(html.contains("Lead 07") && !html.contains("Lead 08"));

    let id = app
        .call(
            Some(&session),
            ListLeads {
                q: "Lead 07".into(),
                before: None,
            },
        )
        .await
        .unwrap()
        .leads[0]
        .id;
    let edit = app
        .get(
            &format!("/leads?q=Lead%2007&dialog=edit&id={id}"),
            Some(&session),
            None,
        )
        .await;
    let html = String::from_utf8_lossy(&edit.body);
    assert!(html.contains("Edit lead") && html.contains(r#"value="Lead 07""#));
    assert!(
        html.contains(r#"href="/leads?q=Lead%2007""#),
        "closing goes back to the search"
    );

    let delete = app
        .get(
            &format!("/leads?q=Lead%2007&dialog=delete&id={id}"),
            Some(&session),
            None,
        )
        .await;
    assert!(String::from_utf8_lossy(&delete.body).contains("Delete lead"));
    let response = app
        .post_form(
            Some(&session),
            DeleteLead { id },
            &format!("http://127.0.0.1:3000/leads?q=Lead%2007&dialog=delete&id={id}"),
        )
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert_eq!(
        response.header("location"),
        "/leads?q=Lead%2007",
        "back to the search"
    );
    let gone = app
        .call(
            Some(&session),
            ListLeads {
                q: "Lead 07".into(),
                before: None,
            },
        )
        .await
        .unwrap();
    assert!(gone.leads.is_empty());
}

/// The Account page's forms are plain posts that come back to it.
#[tokio::test]
async fn sessions_end_and_passwords_change_through_plain_form_posts() {
    let app = spawn_app().await;
    let (_, laptop) = app.developer("Acme", "dev@acme.test").await;
    let phone = app.sign_in("dev@acme.test").await;
    let sessions = app.call(Some(&laptop), ListSessions {}).await.unwrap();
    let other = sessions.iter().find(|s| !s.current).unwrap().id.clone();
    let ended = app
        .post_form(
            Some(&laptop),
            EndSession { id: other },
            "http://127.0.0.1:3000/account",
        )
        .await;
    assert_eq!(ended.status, StatusCode::FOUND);
    assert_eq!(ended.header("location"), "/account");
    assert!(app
        .call(Some(&phone), GetViewer {})
        .await
        .unwrap()
        .is_none());

    let changed = app
        .post_form(
            Some(&laptop),
            ChangePassword {
                current_password: PASSWORD.into(),
                new_password: "a brand new password".into(),
            },
            "http://127.0.0.1:3000/account",
        )
        .await;
    assert_eq!(changed.header("location"), "/account?password=changed");
    let page = app
        .get("/account?password=changed", Some(&laptop), None)
        .await;
    assert!(String::from_utf8_lossy(&page.body)
        .contains("Password changed. Your other sessions have ended."));
}

/// The admin console's changes are plain form posts that come back to the
/// page they came from, without an earlier error; a reset link made that way
/// is shown on that one page view.
#[tokio::test]
async fn the_admin_console_works_through_plain_form_posts() {
    let app = spawn_app().await;
    app.user("root@leadline.test", true).await;
    let admin = app.sign_in("root@leadline.test").await;
    let slug = app.org("Acme", false).await;
    app.member(&slug, "dev@acme.test", false, true).await;

    let flag = app
        .post_form(
            Some(&admin),
            SetDeveloperApi {
                slug: slug.clone(),
                on: true,
            },
            "http://127.0.0.1:3000/admin?user=dev&__path=x&__err=y",
        )
        .await;
    assert_eq!(flag.status, StatusCode::FOUND);
    assert_eq!(flag.header("location"), "/admin?user=dev");
    let page = app.get("/admin?user=dev", Some(&admin), None).await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(
        html.contains(r#"aria-label="Developer API for Acme" checked"#) || html.contains("checked")
    );
    assert!(html.contains(r#"data-user="dev@acme.test""#));

    let reset = app
        .post_form(
            Some(&admin),
            CreatePasswordReset {
                email: "dev@acme.test".into(),
                revoke_keys: false,
            },
            "http://127.0.0.1:3000/admin?user=dev",
        )
        .await;
    let location = reset.header("location");
    assert!(location.starts_with("/admin?user=dev&flash="), "{location}");
    let page = app.get(&location, Some(&admin), None).await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(
        html.contains(r#"value="http://127.0.0.1:3000/reset-password/"#),
        "the link, absolute: {html}"
    );
    let again = app.get(&location, Some(&admin), None).await;
    assert!(
        !String::from_utf8_lossy(&again.body).contains("/reset-password/"),
        "shown once"
    );

    // A failed create comes back with the name that was sent and its error.
    let failed = app
        .post_form(
            Some(&admin),
            CreateOrganisation { name: "   ".into() },
            "http://127.0.0.1:3000/admin",
        )
        .await;
    let path = failed
        .header("location")
        .trim_start_matches("http://127.0.0.1:3000")
        .to_owned();
    assert!(path.starts_with("/admin?flash="), "{path}");
    let html = String::from_utf8_lossy(&app.get(&path, Some(&admin), None).await.body).into_owned();
    assert!(html.contains(r#"role="alert""#), "{html}");
}

/// "Invite" with no box ticked is a plain form post too; the link it makes
/// is shown, absolute, on the one page view it returns to.
#[tokio::test]
async fn an_invitation_link_made_by_a_plain_form_post_is_shown_once() {
    let app = spawn_app().await;
    let slug = app.org("Acme", true).await;
    app.member(&slug, "boss@acme.test", true, true).await;
    let admin = app.sign_in("boss@acme.test").await;
    let body = "email=sam%40acme.test";
    let request = axum::http::Request::builder()
        .method("POST")
        .uri(<InviteMember as leptos::server_fn::ServerFn>::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("referer", "http://127.0.0.1:3000/members")
        .header("cookie", admin.0.clone())
        .body(axum::body::Body::from(body))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::FOUND);
    let location = response.header("location");
    assert!(location.starts_with("/members?flash="), "{location}");
    let page = app.get(&location, Some(&admin), None).await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("Invitation link"), "{html}");
    assert!(html.contains(r#"value="http://127.0.0.1:3000/invite/"#));
    assert!(html.contains(r#"data-invitation="sam@acme.test""#));
    let again = app.get(&location, Some(&admin), None).await;
    assert!(
        !String::from_utf8_lossy(&again.body).contains("/invite/"),
        "shown once"
    );
}
