//! The Developer page as a browser without wasm meets it: drawn by the
//! server, every dialog opened from the address, every action a plain form
//! post that redirects back to the list (or to the reveal), and a failed
//! post coming back to its dialog, filled in, with the error.

use axum::http::StatusCode;
use leadline::keys::domain::{Grace, KeyStatus, KeySummary, Permissions};
use leadline::keys::{
    CancelRetirement, DeleteKey, ListKeys, RevokeKey, RollKey, SetKeyPolicy, UpdateKey,
};

use crate::common::{spawn_app, Response, Session, TestApp, READ};

const ORIGIN: &str = "http://127.0.0.1:3000";

fn html(page: &Response) -> String {
    String::from_utf8_lossy(&page.body).into_owned()
}

/// The page a redirect sends the browser to.
async fn follow(app: &TestApp, session: &Session, response: &Response) -> String {
    assert_eq!(response.status, StatusCode::FOUND, "{}", html(response));
    let location = response.header("location");
    html(
        &app.get(location.trim_start_matches(ORIGIN), Some(session), None)
            .await,
    )
}

async fn keys(app: &TestApp, session: &Session) -> Vec<KeySummary> {
    app.call(
        Some(session),
        ListKeys {
            page: 1,
            unused_only: false,
            open: None,
        },
    )
    .await
    .unwrap()
    .keys
}

#[tokio::test]
async fn the_list_is_drawn_by_the_server_with_dialogs_opened_from_the_address() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;
    let id = app.create_key(&session, "Zapier", READ).await.key.id;

    let page = html(&app.get("/developer", Some(&session), None).await);
    assert!(page.contains("Zapier") && page.contains("Leads: read"));
    assert!(
        !page.contains("<leptos-island"),
        "the list needs no wasm: {page}"
    );
    assert!(
        page.contains(&format!(
            r#"data-href="/developer?dialog=edit&amp;id={id}""#
        )),
        "a click on the row opens Edit"
    );
    assert!(
        page.contains(&format!(
            r#"href="/developer?dialog=edit&amp;id={id}" aria-label="Edit key Zapier""#
        )),
        "the name links to Edit"
    );
    for dialog in ["roll", "revoke", "delete"] {
        assert!(
            page.contains(&format!(r#"name="dialog" value="{dialog}""#)),
            "a {dialog} button"
        );
    }

    let edit = html(
        &app.get(
            &format!("/developer?dialog=edit&id={id}"),
            Some(&session),
            None,
        )
        .await,
    );
    assert!(edit.contains(r#"id="edit-key""#) && edit.contains(r#"value="Zapier""#));
    assert!(edit.contains(r#"name="permissions[read]" value="true" checked"#));
    assert!(
        edit.contains(r#"href="/developer" class="button">Cancel"#),
        "Cancel goes back to the list"
    );
    for (dialog, title) in [
        ("roll", "Roll key"),
        ("revoke", "Revoke key"),
        ("delete", "Delete key"),
    ] {
        let page = html(
            &app.get(
                &format!("/developer?dialog={dialog}&id={id}"),
                Some(&session),
                None,
            )
            .await,
        );
        assert!(page.contains(&format!(r#"id="{dialog}-key""#)), "{title}");
    }

    // A key that is not there opens nothing; a developer who isn't an org
    // admin gets no policy dialog.
    let missing = html(
        &app.get("/developer?dialog=edit&id=999", Some(&session), None)
            .await,
    );
    assert!(!missing.contains(r#"id="edit-key""#));
    assert!(missing.contains("That key is not in this list any more"));
    let policy = html(
        &app.get("/developer?dialog=policy", Some(&session), None)
            .await,
    );
    assert!(!policy.contains(r#"id="key-policy""#));
}

#[tokio::test]
async fn edit_roll_cancel_revoke_and_delete_work_as_plain_form_posts() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;
    let id = app.create_key(&session, "CI", READ).await.key.id;
    let edit_page = format!("{ORIGIN}/developer?dialog=edit&id={id}");

    // Bad input: back to the dialog, as it was sent, with the field's error.
    let update = |name: &str, ips: &str| UpdateKey {
        id,
        name: name.into(),
        permissions: Permissions {
            read: true,
            create: true,
            ..Default::default()
        },
        allowed_ips: ips.into(),
    };
    let failed = app
        .post_form(
            Some(&session),
            update("CI nightly", "203.0.113.5/24"),
            &edit_page,
        )
        .await;
    let page = follow(&app, &session, &failed).await;
    assert!(
        page.contains(r#"id="edit-key""#),
        "the dialog is open again"
    );
    assert!(page.contains("did you mean 203.0.113.0/24?"));
    assert!(page.contains(r#"value="CI nightly""#) && page.contains(">203.0.113.5/24</textarea>"));
    assert!(
        page.contains(r#"name="permissions[create]" value="true" checked"#),
        "the boxes as they were sent"
    );
    assert_eq!(keys(&app, &session).await[0].name, "CI", "nothing saved");

    let saved = app
        .post_form(
            Some(&session),
            update("CI nightly", "203.0.113.0/24"),
            &format!("{edit_page}&__err=x&__path=y"),
        )
        .await;
    assert_eq!(saved.header("location"), "/developer");
    let key = &keys(&app, &session).await[0];
    assert_eq!(key.name, "CI nightly");
    assert!(key.permissions.create);
    assert_eq!(key.allowed_ips, ["203.0.113.0/24"]);

    // Roll: the new key is revealed once, on the page the post goes to.
    let rolled = app
        .post_form(
            Some(&session),
            RollKey {
                confirm_password: String::new(),
                id,
                grace: Grace::OneHour,
            },
            &format!("{ORIGIN}/developer?dialog=roll&id={id}"),
        )
        .await;
    let location = rolled.header("location");
    assert!(location.starts_with("/developer?flash="), "{location}");
    let reveal = follow(&app, &session, &rolled).await;
    assert!(reveal.contains("Your new API key"));
    let start = reveal.find(r#"value="sk_"#).expect("the new key") + 7;
    let fresh = &reveal[start..start + 44];
    assert!(!html(&rolled).contains(fresh), "the redirect has no key");
    let again = html(&app.get(&location, Some(&session), None).await);
    assert!(!again.contains(fresh), "shown once");
    let listed = keys(&app, &session).await;
    let old = listed.iter().find(|k| k.id == id).unwrap();
    assert_eq!(old.status, KeyStatus::Retiring);
    let list = html(&app.get("/developer", Some(&session), None).await);
    assert!(list.contains("Cancel revocation") && list.contains("Retires in"));

    // Cancel revocation: a form in the row, back to the list.
    let cancelled = app
        .post_form(
            Some(&session),
            CancelRetirement { id },
            &format!("{ORIGIN}/developer"),
        )
        .await;
    assert_eq!(cancelled.header("location"), "/developer");
    let old = keys(&app, &session).await;
    assert_eq!(
        old.iter().find(|k| k.id == id).unwrap().status,
        KeyStatus::Active
    );

    let revoked = app
        .post_form(
            Some(&session),
            RevokeKey { id },
            &format!("{ORIGIN}/developer?dialog=revoke&id={id}"),
        )
        .await;
    assert_eq!(revoked.header("location"), "/developer");
    let old = keys(&app, &session).await;
    assert_eq!(
        old.iter().find(|k| k.id == id).unwrap().status,
        KeyStatus::Revoked
    );

    let deleted = app
        .post_form(
            Some(&session),
            DeleteKey { id },
            &format!("{ORIGIN}/developer?dialog=delete&id={id}"),
        )
        .await;
    assert_eq!(deleted.header("location"), "/developer");
    assert!(keys(&app, &session).await.iter().all(|k| k.id != id));

    // Deleting it again (a second tab): the page says why nothing opened.
    let again = app
        .post_form(
            Some(&session),
            DeleteKey { id },
            &format!("{ORIGIN}/developer?dialog=delete&id={id}"),
        )
        .await;
    let page = follow(&app, &session, &again).await;
    assert!(page.contains("That key is not in this list any more"));
}

#[tokio::test]
async fn an_org_admin_sets_the_key_policy_with_a_plain_form_post() {
    let app = spawn_app().await;
    let (slug, _) = app.developer("Acme", "dev@acme.test").await;
    app.member(&slug, "owner@acme.test", true, true).await;
    let owner = app.sign_in("owner@acme.test").await;
    let dialog = format!("{ORIGIN}/developer?dialog=policy");
    let page = html(
        &app.get("/developer?dialog=policy", Some(&owner), None)
            .await,
    );
    assert!(page.contains(r#"id="key-policy""#));

    let failed = app
        .post_form(
            Some(&owner),
            SetKeyPolicy {
                confirm_password: String::new(),
                max_lifetime_days: "0".into(),
                expiry_required: true,
            },
            &dialog,
        )
        .await;
    let page = follow(&app, &owner, &failed).await;
    assert!(page.contains("whole number of days from 1 to 3650"));
    assert!(page.contains(r#"name="max_lifetime_days" inputmode="numeric" value="0""#));
    assert!(page.contains(r#"name="expiry_required" value="true" checked"#));

    let saved = app
        .post_form(
            Some(&owner),
            SetKeyPolicy {
                confirm_password: String::new(),
                max_lifetime_days: "30".into(),
                expiry_required: false,
            },
            &dialog,
        )
        .await;
    assert_eq!(saved.header("location"), "/developer");
    let page = html(
        &app.get("/developer?dialog=new-key", Some(&owner), None)
            .await,
    );
    assert!(page.contains("New keys must expire within 30 days."));
    assert!(
        page.contains(r#"name="expires_at" type="date""#) && page.contains("max=\"20"),
        "New key is filled in with the latest date allowed"
    );
}

#[tokio::test]
async fn the_list_pages_and_filters_through_its_address() {
    let app = spawn_app().await;
    let (_, session) = app.developer("Acme", "dev@acme.test").await;
    for i in 0..21 {
        app.create_key(&session, &format!("Key {i:02}"), READ).await;
    }
    let first = html(&app.get("/developer", Some(&session), None).await);
    assert!(first.contains("Page 1 of 2") && first.contains(r#"href="/developer?page=2""#));
    assert!(first.contains("Key 20") && !first.contains("Key 00<"));
    let second = html(&app.get("/developer?page=2", Some(&session), None).await);
    assert!(second.contains("Key 00<") && second.contains(r#"href="/developer""#));
    assert!(
        second.contains(r#"name="page" value="2""#),
        "a row's dialog opens on the same page"
    );

    let unused = html(&app.get("/developer?unused=1", Some(&session), None).await);
    assert!(unused.contains("No working key has gone unused for 90 days."));
    assert!(unused.contains(r#"name="unused" value="1" data-submit-on-change="" checked"#));
}
