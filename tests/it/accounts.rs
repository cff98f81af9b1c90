//! Sign-in, sessions, organisations and every permission gate of the dashboard.

use crate::common::{spawn_app, Session, PASSWORD};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use leadline::admin::{ListOrganisations, SetDeveloperApi};
use leadline::auth::domain::MemberPermissions;
use leadline::auth::{GetViewer, SignIn, SignOut, SwitchOrganisation};
use leadline::error::AppError;
use leadline::orgs::{InviteMember, ListMembers, SetMemberPermissions};

#[tokio::test]
async fn a_member_signs_in_and_sees_their_organisation() {
    let app = spawn_app().await;
    let slug = app.org("Acme", true).await;
    app.member(&slug, "dev@acme.test", false, true).await;
    let (response, session) = app
        .call_raw(
            None,
            SignIn {
                email: "DEV@acme.test".into(),
                password: PASSWORD.into(),
            },
        )
        .await;
    assert!(response.status.is_success());
    let cookie = response.header("set-cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let viewer = app
        .call(session.as_ref(), GetViewer {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(viewer.email, "dev@acme.test");
    let active = viewer.active.unwrap();
    assert_eq!(active.name, "Acme");
    assert!(active.permissions.developer && active.developer_api);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_generic_message() {
    let app = spawn_app().await;
    app.user("ada@acme.test", false).await;
    let wrong = app
        .call(
            None,
            SignIn {
                email: "ada@acme.test".into(),
                password: "nope nope nope".into(),
            },
        )
        .await;
    let unknown = app
        .call(
            None,
            SignIn {
                email: "who@acme.test".into(),
                password: PASSWORD.into(),
            },
        )
        .await;
    assert_eq!(wrong, Err(AppError::WrongCredentials));
    assert_eq!(unknown, Err(AppError::WrongCredentials));
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_for_the_right_password() {
    let app = spawn_app().await;
    app.user("ada@acme.test", false).await;
    for _ in 0..5 {
        let r = app
            .call(
                None,
                SignIn {
                    email: "ada@acme.test".into(),
                    password: "wrong password".into(),
                },
            )
            .await;
        assert_eq!(r, Err(AppError::WrongCredentials));
    }
    let r = app
        .call(
            None,
            SignIn {
                email: "ada@acme.test".into(),
                password: PASSWORD.into(),
            },
        )
        .await;
    assert!(matches!(r, Err(AppError::Throttled { .. })), "{r:?}");
    app.state.clock.advance(chrono::Duration::minutes(16));
    assert!(app
        .call(
            None,
            SignIn {
                email: "ada@acme.test".into(),
                password: PASSWORD.into()
            }
        )
        .await
        .is_ok());
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    app.user("ada@acme.test", false).await;
    let session = app.sign_in("ada@acme.test").await;
    assert!(app
        .call(Some(&session), GetViewer {})
        .await
        .unwrap()
        .is_some());
    app.call(Some(&session), SignOut {}).await.unwrap();
    assert_eq!(app.call(Some(&session), GetViewer {}).await.unwrap(), None);
}

#[tokio::test]
async fn signing_in_again_rotates_the_session_token() {
    let app = spawn_app().await;
    app.user("ada@acme.test", false).await;
    let first = app.sign_in("ada@acme.test").await;
    let (_, second) = app
        .call_raw(
            Some(&first),
            SignIn {
                email: "ada@acme.test".into(),
                password: PASSWORD.into(),
            },
        )
        .await;
    let second = second.unwrap();
    assert_ne!(first.0, second.0);
    assert_eq!(app.call(Some(&first), GetViewer {}).await.unwrap(), None);
    assert!(app
        .call(Some(&second), GetViewer {})
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn sessions_expire_when_idle_and_absolutely() {
    let app = spawn_app().await;
    app.user("ada@acme.test", false).await;
    let idle = app.sign_in("ada@acme.test").await;
    app.state.clock.advance(chrono::Duration::minutes(121));
    assert_eq!(app.call(Some(&idle), GetViewer {}).await.unwrap(), None);

    let active = app.sign_in("ada@acme.test").await;
    for _ in 0..24 {
        app.state.clock.advance(chrono::Duration::minutes(59));
        assert!(app
            .call(Some(&active), GetViewer {})
            .await
            .unwrap()
            .is_some());
    }
    app.state.clock.advance(chrono::Duration::minutes(59));
    assert_eq!(
        app.call(Some(&active), GetViewer {}).await.unwrap(),
        None,
        "24h absolute limit"
    );
}

#[tokio::test]
async fn the_session_token_is_stored_hashed() {
    let app = spawn_app().await;
    app.user("ada@acme.test", false).await;
    let Session(cookie) = app.sign_in("ada@acme.test").await;
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let stored: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM sessions")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].0, token);
}

#[tokio::test]
async fn a_user_switches_between_their_organisations_only() {
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    let globex = app.org("Globex", false).await;
    let other = app.org("Initech", true).await;
    app.member(&acme, "ada@acme.test", false, true).await;
    app.member(&globex, "ada@acme.test", true, false).await;
    let _ = other;
    let session = app.sign_in("ada@acme.test").await;
    let viewer = app
        .call(Some(&session), GetViewer {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(viewer.organisations.len(), 2);
    app.call(
        Some(&session),
        SwitchOrganisation {
            slug: globex.clone(),
            next: String::new(),
        },
    )
    .await
    .unwrap();
    let viewer = app
        .call(Some(&session), GetViewer {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(viewer.active.unwrap().slug, globex);
    let refused = app
        .call(
            Some(&session),
            SwitchOrganisation {
                slug: "initech".into(),
                next: String::new(),
            },
        )
        .await;
    assert_eq!(refused, Err(AppError::NotFound));
}

#[tokio::test]
async fn only_platform_admins_change_feature_flags() {
    let app = spawn_app().await;
    let acme = app.org("Acme", false).await;
    app.member(&acme, "owner@acme.test", true, true).await;
    let owner = app.sign_in("owner@acme.test").await;
    let refused = app
        .call(
            Some(&owner),
            SetDeveloperApi {
                slug: acme.clone(),
                on: true,
            },
        )
        .await;
    assert!(matches!(refused, Err(AppError::Forbidden(_))));
    let viewer = app.call(Some(&owner), GetViewer {}).await.unwrap().unwrap();
    assert!(!viewer.active.unwrap().developer_api, "nothing changed");

    app.user("root@leadline.test", true).await;
    let root = app.sign_in("root@leadline.test").await;
    app.call(
        Some(&root),
        SetDeveloperApi {
            slug: acme.clone(),
            on: true,
        },
    )
    .await
    .unwrap();
    let orgs = app.call(Some(&root), ListOrganisations {}).await.unwrap();
    assert!(orgs.iter().find(|o| o.slug == acme).unwrap().developer_api);
    let viewer = app.call(Some(&owner), GetViewer {}).await.unwrap().unwrap();
    assert!(viewer.active.unwrap().developer_api);
}

#[tokio::test]
async fn signed_out_visitors_reach_no_server_function() {
    let app = spawn_app().await;
    assert_eq!(
        app.call(None, ListMembers {}).await,
        Err(AppError::SignInRequired)
    );
    assert_eq!(
        app.call(None, ListOrganisations {}).await,
        Err(AppError::SignInRequired)
    );
    assert_eq!(app.call(None, GetViewer {}).await, Ok(None));
}

#[tokio::test]
async fn only_org_admins_manage_members() {
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "owner@acme.test", true, false).await;
    app.member(&acme, "dev@acme.test", false, false).await;
    let dev = app.sign_in("dev@acme.test").await;
    assert!(matches!(
        app.call(Some(&dev), ListMembers {}).await,
        Err(AppError::Forbidden(_))
    ));
    let grant = SetMemberPermissions {
        email: "dev@acme.test".into(),
        permissions: MemberPermissions {
            admin: false,
            developer: true,
        },
    };
    assert!(matches!(
        app.call(Some(&dev), grant).await,
        Err(AppError::Forbidden(_))
    ));

    let owner = app.sign_in("owner@acme.test").await;
    let grant = SetMemberPermissions {
        email: "dev@acme.test".into(),
        permissions: MemberPermissions {
            admin: false,
            developer: true,
        },
    };
    app.call(Some(&owner), grant).await.unwrap();
    let viewer = app.call(Some(&dev), GetViewer {}).await.unwrap().unwrap();
    assert!(
        viewer.active.unwrap().permissions.developer,
        "takes effect on the next request"
    );

    let members = app.call(Some(&owner), ListMembers {}).await.unwrap();
    assert_eq!(members.members.len(), 2);
}

#[tokio::test]
async fn an_admin_cannot_remove_their_own_admin_permission() {
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "owner@acme.test", true, false).await;
    let owner = app.sign_in("owner@acme.test").await;
    let demote = SetMemberPermissions {
        email: "owner@acme.test".into(),
        permissions: MemberPermissions::default(),
    };
    assert!(matches!(
        app.call(Some(&owner), demote).await,
        Err(AppError::Conflict(_))
    ));
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = spawn_app().await;
    let request = Request::builder()
        .method(Method::POST)
        .uri(<SignOut as leptos::server_fn::ServerFn>::PATH)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::FORBIDDEN);
    let request = Request::builder()
        .method(Method::POST)
        .uri(<SignOut as leptos::server_fn::ServerFn>::PATH)
        .header("sec-fetch-site", "cross-site")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::FORBIDDEN);
    // An opaque origin (sandboxed frame, data: URL) is cross-site too.
    let request = Request::builder()
        .method(Method::POST)
        .uri(<SignOut as leptos::server_fn::ServerFn>::PATH)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "null")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::FORBIDDEN);
    // The same origin passes.
    let request = Request::builder()
        .method(Method::POST)
        .uri(<SignOut as leptos::server_fn::ServerFn>::PATH)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn server_function_errors_carry_the_status_they_mean() {
    let app = spawn_app().await;
    let (response, _) = app.call_raw(None, ListMembers {}).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let (response, _) = app
        .call_raw(
            None,
            SignIn {
                email: "x@y.test".into(),
                password: "nope nope nope".into(),
            },
        )
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let acme = app.org("Acme", true).await;
    app.member(&acme, "owner@acme.test", true, false).await;
    let owner = app.sign_in("owner@acme.test").await;
    let bad = InviteMember {
        confirm_password: String::new(),
        email: "not an email".into(),
        permissions: MemberPermissions::default(),
    };
    let (response, _) = app.call_raw(Some(&owner), bad).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn pages_render_on_the_server() {
    let app = spawn_app().await;
    let response = app
        .send(Request::get("/sign-in").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&response.body).contains("Sign in to Leadline"));
    let response = app
        .send(Request::get("/no-such-page").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dashboard_search_text_is_bounded() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let err = app
        .call(
            Some(&dev),
            leadline::leads::ListLeads {
                q: "x".repeat(201),
                before: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "q");
}
