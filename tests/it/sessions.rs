//! A user's own sessions: listed with device and address, ended one by one,
//! and all but the current one ended by a password change.

use axum::body::Body;
use axum::http::{header, Method, Request};
use leadline::auth::{ChangePassword, EndSession, GetViewer, ListSessions, SignIn};
use leadline::error::AppError;

use crate::common::{spawn_app, Session, TestApp, PASSWORD};

/// Signs in from a browser with this User-Agent.
async fn sign_in_from(app: &TestApp, email: &str, user_agent: &str) -> Session {
    let body = serde_qs::to_string(&SignIn {
        email: email.into(),
        password: PASSWORD.into(),
    })
    .unwrap();
    let response = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(<SignIn as leptos::server_fn::ServerFn>::PATH)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .header(header::USER_AGENT, user_agent)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert!(response.status.is_success());
    Session(
        response
            .header("set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
    )
}

async fn signed_in(app: &TestApp, session: &Session) -> bool {
    app.call(Some(session), GetViewer {})
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn a_user_sees_their_sessions_and_ends_another_one() {
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "dev@acme.test", false, true).await;
    app.member(&acme, "other@acme.test", false, true).await;
    let laptop = sign_in_from(&app, "dev@acme.test", "Firefox on the laptop").await;
    let phone = sign_in_from(&app, "dev@acme.test", "Safari on the phone").await;
    let someone_else = app.sign_in("other@acme.test").await;

    let list = app.call(Some(&laptop), ListSessions {}).await.unwrap();
    assert_eq!(list.len(), 2, "only their own");
    let this = list.iter().find(|s| s.current).unwrap();
    assert_eq!(this.user_agent, "Firefox on the laptop");
    let other = list.iter().find(|s| !s.current).unwrap();
    assert_eq!(other.user_agent, "Safari on the phone");
    assert_eq!(other.id.len(), 16);

    // Another user's session cannot be ended by reference.
    let theirs = app
        .call(Some(&someone_else), ListSessions {})
        .await
        .unwrap();
    let err = app
        .call(
            Some(&laptop),
            EndSession {
                id: theirs[0].id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, AppError::NotFound);
    assert!(signed_in(&app, &someone_else).await);

    app.call(
        Some(&laptop),
        EndSession {
            id: other.id.clone(),
        },
    )
    .await
    .unwrap();
    assert!(
        !signed_in(&app, &phone).await,
        "the phone's next request is refused"
    );
    assert!(signed_in(&app, &laptop).await);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "dev@acme.test", false, true).await;
    let here = app.sign_in("dev@acme.test").await;
    let elsewhere = app.sign_in("dev@acme.test").await;

    let err = app
        .call(
            Some(&here),
            ChangePassword {
                current_password: "not the password".into(),
                new_password: "a brand new password".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "current_password");
    let err = app
        .call(
            Some(&here),
            ChangePassword {
                current_password: PASSWORD.into(),
                new_password: "short".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "new_password");
    let err = app
        .call(
            Some(&here),
            ChangePassword {
                current_password: PASSWORD.into(),
                new_password: "password123".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "new_password");
    assert!(
        err.field_errors()[0]
            .message
            .starts_with("This password is too easy to guess."),
        "{err:?}"
    );
    assert!(signed_in(&app, &elsewhere).await, "nothing changed yet");

    app.call(
        Some(&here),
        ChangePassword {
            current_password: PASSWORD.into(),
            new_password: "a brand new password".into(),
        },
    )
    .await
    .unwrap();
    assert!(signed_in(&app, &here).await);
    assert!(!signed_in(&app, &elsewhere).await);
    let old = app
        .call(
            None,
            SignIn {
                email: "dev@acme.test".into(),
                password: PASSWORD.into(),
            },
        )
        .await;
    assert_eq!(old.unwrap_err(), AppError::WrongCredentials);
    let new = app
        .call(
            None,
            SignIn {
                email: "dev@acme.test".into(),
                password: "a brand new password".into(),
            },
        )
        .await;
    assert!(new.is_ok());
}

#[tokio::test]
async fn signed_out_visitors_have_no_sessions_to_manage() {
    let app = spawn_app().await;
    let err = app.call(None, ListSessions {}).await.unwrap_err();
    assert_eq!(err, AppError::SignInRequired);
    let err = app
        .call(
            None,
            ChangePassword {
                current_password: PASSWORD.into(),
                new_password: "a brand new password".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, AppError::SignInRequired);
}

/// A JSON sign-in from a given client address.
/// A form post of a server function from the client at `client`
/// (`address:port`), answered as JSON.
async fn post_from<S>(app: &TestApp, input: &S, client: &str) -> crate::common::Response
where
    S: leptos::server_fn::ServerFn + serde::Serialize,
{
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(S::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(serde_qs::to_string(input).unwrap()))
        .unwrap();
    let addr: std::net::SocketAddr = client.parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    app.send(request).await
}

async fn sign_in_as_client(
    app: &TestApp,
    email: &str,
    password: &str,
    client: &str,
) -> axum::http::StatusCode {
    let input = SignIn {
        email: email.into(),
        password: password.into(),
    };
    post_from(app, &input, client).await.status
}

#[tokio::test]
async fn parallel_guesses_are_counted_before_the_password_is_checked() {
    let app = spawn_app().await;
    app.user("dev@acme.test", false).await;
    let guesses = (0..12).map(|i| {
        let app = &app;
        async move {
            sign_in_as_client(
                app,
                "dev@acme.test",
                &format!("guess number {i}"),
                "203.0.113.7:4000",
            )
            .await
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let wrong = statuses.iter().filter(|s| s.as_u16() == 401).count();
    let throttled = statuses.iter().filter(|s| s.as_u16() == 429).count();
    assert_eq!((wrong, throttled), (5, 7), "{statuses:?}");
}

#[tokio::test]
async fn a_guesser_elsewhere_does_not_lock_the_owner_out() {
    let app = spawn_app().await;
    app.user("dev@acme.test", false).await;
    for i in 0..8 {
        sign_in_as_client(
            &app,
            "dev@acme.test",
            &format!("wrong {i} wrong"),
            "198.51.100.1:5000",
        )
        .await;
    }
    assert_eq!(
        sign_in_as_client(
            &app,
            "dev@acme.test",
            "another wrong one",
            "198.51.100.1:5000"
        )
        .await,
        axum::http::StatusCode::TOO_MANY_REQUESTS
    );
    // The owner, from their own address, still signs in.
    assert_eq!(
        sign_in_as_client(&app, "dev@acme.test", PASSWORD, "192.0.2.44:6000").await,
        axum::http::StatusCode::OK
    );
    // A guesser rotating IPv6 addresses inside one /64 is one client.
    for i in 0..5 {
        sign_in_as_client(
            &app,
            "dev@acme.test",
            "wrong wrong wrong",
            &format!("[2001:db8:9:9::{i}]:7000"),
        )
        .await;
    }
    assert_eq!(
        sign_in_as_client(
            &app,
            "dev@acme.test",
            "wrong wrong wrong",
            "[2001:db8:9:9:ffff::1]:7000"
        )
        .await,
        axum::http::StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn input_that_cannot_be_an_account_is_refused_without_throttle_state() {
    let app = spawn_app().await;
    for _ in 0..10 {
        let err = app
            .call(
                None,
                SignIn {
                    email: "not an email".into(),
                    password: "x".repeat(64),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            err,
            AppError::WrongCredentials,
            "never throttled: nothing was counted"
        );
    }
}

#[tokio::test]
async fn server_function_bodies_are_limited_to_64_kib() {
    let app = spawn_app().await;
    let big = serde_qs::to_string(&SignIn {
        email: "dev@acme.test".into(),
        password: "x".repeat(70 * 1024),
    })
    .unwrap();
    let response = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(<SignIn as leptos::server_fn::ServerFn>::PATH)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::CONTENT_LENGTH, big.len())
                .body(Body::from(big))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, axum::http::StatusCode::PAYLOAD_TOO_LARGE);
}

mod platform_admin {
    use super::*;
    use leadline::admin::{CreatePasswordReset, SetUserDisabled};
    use leadline::auth::ResetPassword;

    async fn setup(app: &TestApp) -> (Session, Session) {
        app.user("root@leadline.test", true).await;
        let acme = app.org("Acme", true).await;
        app.member(&acme, "dev@acme.test", false, true).await;
        (
            app.sign_in("root@leadline.test").await,
            app.sign_in("dev@acme.test").await,
        )
    }

    #[tokio::test]
    async fn a_disabled_account_is_signed_out_at_once_and_cannot_sign_in() {
        let app = spawn_app().await;
        let (root, dev) = setup(&app).await;
        let err = app
            .call(
                Some(&dev),
                SetUserDisabled {
                    email: "root@leadline.test".into(),
                    disabled: true,
                    revoke_keys: false,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AppError::Forbidden(leadline::error::Refusal::PlatformAdmin)
            ),
            "{err:?}"
        );
        let err = app
            .call(
                Some(&root),
                SetUserDisabled {
                    email: "root@leadline.test".into(),
                    disabled: true,
                    revoke_keys: false,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Conflict(_)),
            "not yourself: {err:?}"
        );

        app.call(
            Some(&root),
            SetUserDisabled {
                email: "dev@acme.test".into(),
                disabled: true,
                revoke_keys: false,
            },
        )
        .await
        .unwrap();
        assert!(!signed_in(&app, &dev).await);
        let refused = app
            .call(
                None,
                SignIn {
                    email: "dev@acme.test".into(),
                    password: PASSWORD.into(),
                },
            )
            .await;
        assert_eq!(refused.unwrap_err(), AppError::AccountDisabled);

        app.call(
            Some(&root),
            SetUserDisabled {
                email: "dev@acme.test".into(),
                disabled: false,
                revoke_keys: false,
            },
        )
        .await
        .unwrap();
        assert!(app.sign_in_result("dev@acme.test").await.is_ok());
    }

    #[tokio::test]
    async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
        let app = spawn_app().await;
        let (root, dev) = setup(&app).await;
        let path = app
            .call(
                Some(&root),
                CreatePasswordReset {
                    email: "dev@acme.test".into(),
                    revoke_keys: false,
                },
            )
            .await
            .unwrap();
        let token = path.strip_prefix("/reset-password/").unwrap().to_owned();
        let (response, session) = app
            .call_raw(
                None,
                ResetPassword {
                    token: token.clone(),
                    password: "short".into(),
                },
            )
            .await;
        assert_eq!(response.status.as_u16(), 422);
        assert!(session.is_none());

        let (response, session) = app
            .call_raw(
                None,
                ResetPassword {
                    token: token.clone(),
                    password: "a fresh password 9".into(),
                },
            )
            .await;
        assert!(response.status.is_success());
        assert!(signed_in(&app, &session.unwrap()).await);
        assert!(!signed_in(&app, &dev).await, "the old session ended");
        let old = app
            .call(
                None,
                SignIn {
                    email: "dev@acme.test".into(),
                    password: PASSWORD.into(),
                },
            )
            .await;
        assert_eq!(old.unwrap_err(), AppError::WrongCredentials);
        let again = app
            .call(
                None,
                ResetPassword {
                    token,
                    password: "another password 9".into(),
                },
            )
            .await;
        assert_eq!(again.unwrap_err(), AppError::ResetLinkInvalid);

        let expired = app
            .call(
                Some(&root),
                CreatePasswordReset {
                    email: "dev@acme.test".into(),
                    revoke_keys: false,
                },
            )
            .await
            .unwrap();
        app.state
            .clock
            .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
        let late = app
            .call(
                None,
                ResetPassword {
                    token: expired.strip_prefix("/reset-password/").unwrap().into(),
                    password: "another password 9".into(),
                },
            )
            .await;
        assert_eq!(late.unwrap_err(), AppError::ResetLinkInvalid);
    }

    /// A reset link stops working once its owner chooses a password
    /// themselves.
    #[tokio::test]
    async fn changing_the_password_drops_pending_reset_links() {
        let app = spawn_app().await;
        let (root, dev) = setup(&app).await;
        let path = app
            .call(
                Some(&root),
                CreatePasswordReset {
                    email: "dev@acme.test".into(),
                    revoke_keys: false,
                },
            )
            .await
            .unwrap();
        app.call(
            Some(&dev),
            ChangePassword {
                current_password: PASSWORD.into(),
                new_password: "my own new password 7".into(),
            },
        )
        .await
        .unwrap();
        let stale = app
            .call(
                None,
                ResetPassword {
                    token: path.strip_prefix("/reset-password/").unwrap().into(),
                    password: "someone else's 9 password".into(),
                },
            )
            .await;
        assert_eq!(stale.unwrap_err(), AppError::ResetLinkInvalid);
    }

    /// Made-up reset links are refused before Argon2 runs (they cost one
    /// read, not a place in the hashing pool that sign-in shares), and a
    /// client sending them is stopped by the password gate's per-client
    /// limit; a real link from another client still works.
    #[tokio::test]
    async fn made_up_reset_links_are_throttled_per_client() {
        let app = spawn_app().await;
        let (root, _) = setup(&app).await;
        let reset = |token: String, from: &'static str| {
            let app = &app;
            async move {
                let input = ResetPassword {
                    token,
                    password: "a fresh password 9".into(),
                };
                post_from(app, &input, from).await
            }
        };
        let made_up = leadline::platform::secret::new_token;
        for attempt in 0..30 {
            let r = reset(made_up(), "198.51.100.9:4000").await;
            assert!(
                String::from_utf8_lossy(&r.body).contains("ResetLinkInvalid"),
                "attempt {attempt}: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
        let r = reset(made_up(), "198.51.100.9:4000").await;
        assert!(
            String::from_utf8_lossy(&r.body).contains("Throttled"),
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        let path = app
            .call(
                Some(&root),
                CreatePasswordReset {
                    email: "dev@acme.test".into(),
                    revoke_keys: false,
                },
            )
            .await
            .unwrap();
        let token = path.strip_prefix("/reset-password/").unwrap().to_owned();
        let r = reset(token, "203.0.113.5:4000").await;
        assert!(
            r.status.is_success() || r.status.is_redirection(),
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
}

#[tokio::test]
async fn sign_ins_go_to_a_security_log_that_only_platform_admins_read_and_that_holds_no_password() {
    use leadline::admin::ListSecurityEvents;
    let app = spawn_app().await;
    app.user("root@leadline.test", true).await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "dev@acme.test", false, true).await;
    let typo = "my-mistyped-secret-42";
    let _ = sign_in_as_client(&app, "dev@acme.test", typo, "198.51.100.23:4444").await;
    let dev = app.sign_in("dev@acme.test").await;
    let root = app.sign_in("root@leadline.test").await;

    let err = app
        .call(Some(&dev), ListSecurityEvents { before: None })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Forbidden(leadline::error::Refusal::PlatformAdmin)
        ),
        "{err:?}"
    );
    let events = app
        .call(Some(&root), ListSecurityEvents { before: None })
        .await
        .unwrap();
    let failed = events
        .iter()
        .find(|e| e.kind == "sign_in.failed")
        .expect("the failure is logged");
    assert_eq!(
        (failed.email.as_str(), failed.client_ip.as_str()),
        ("dev@acme.test", "198.51.100.23")
    );
    assert!(events
        .iter()
        .any(|e| e.kind == "sign_in.succeeded" && e.email == "dev@acme.test"));

    let stored: Vec<String> =
        sqlx::query_scalar("SELECT kind || email || client_ip || user_agent FROM security_events")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert!(stored.iter().all(|row| !row.contains(typo)), "{stored:?}");
}

/// Behind our own reverse proxy, the throttle keys the real client from
/// `X-Forwarded-For`; one client's failures do not block another's sign-in.
#[tokio::test]
async fn behind_trusted_proxies_each_client_is_throttled_on_its_own() {
    let app = crate::common::spawn_app_with(|c| {
        c.trusted_proxies = leadline::platform::client::parse_trusted_proxies("10.0.0.0/8").unwrap()
    })
    .await;
    app.user("dev@acme.test", false).await;
    let via_proxy = |password: &str, client: &str| {
        let body = serde_qs::to_string(&SignIn {
            email: "dev@acme.test".into(),
            password: password.into(),
        })
        .unwrap();
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(<SignIn as leptos::server_fn::ServerFn>::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header("x-forwarded-for", client)
            .body(Body::from(body))
            .unwrap();
        let proxy: std::net::SocketAddr = "10.0.0.2:40000".parse().unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(proxy));
        request
    };
    for _ in 0..6 {
        app.send(via_proxy("wrong wrong wrong", "203.0.113.66"))
            .await;
    }
    let blocked = app.send(via_proxy(PASSWORD, "203.0.113.66")).await;
    assert_eq!(blocked.status.as_u16(), 429, "the guesser is throttled");
    let owner = app.send(via_proxy(PASSWORD, "198.51.100.77")).await;
    assert_eq!(
        owner.status.as_u16(),
        200,
        "another client behind the same proxy is not"
    );
    // A client cannot pick its identity by writing the header itself.
    let spoofed = app
        .send({
            let mut r = via_proxy(PASSWORD, "198.51.100.77");
            let direct: std::net::SocketAddr = "203.0.113.66:5555".parse().unwrap();
            r.extensions_mut()
                .insert(axum::extract::ConnectInfo(direct));
            r
        })
        .await;
    assert_eq!(
        spoofed.status.as_u16(),
        429,
        "not a proxy: its own address counts"
    );
}

/// Anyone can cause failed, throttled and malformed sign-ins: the security
/// log takes at most 10 of them per client in 15 minutes (the rest go to the
/// server log), and keeps its entries for LEADLINE_SECURITY_LOG_DAYS.
#[tokio::test]
async fn the_security_log_is_bounded_per_client_and_pruned() {
    let app = spawn_app().await;
    app.user("dev@acme.test", false).await;
    let count = |client: &'static str| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM security_events WHERE client_ip = $1",
            )
            .bind(client)
            .fetch_one(&app.state.db)
            .await
            .unwrap()
        }
    };
    for i in 0..40 {
        let email = if i % 2 == 0 {
            "not an email"
        } else {
            "dev@acme.test"
        };
        sign_in_as_client(&app, email, "wrong password", "198.51.100.40:4000").await;
    }
    assert_eq!(count("198.51.100.40").await, 10);
    // Another client is logged as before.
    sign_in_as_client(
        &app,
        "dev@acme.test",
        "wrong password",
        "198.51.100.41:4000",
    )
    .await;
    assert_eq!(count("198.51.100.41").await, 1);

    let now = app.state.clock.now().timestamp_millis();
    let day = 24 * 3_600_000;
    sqlx::query("UPDATE security_events SET occurred_at = $1 WHERE client_ip = $2")
        .bind(now - 91 * day)
        .bind("198.51.100.40")
        .execute(&app.state.db)
        .await
        .unwrap();
    let keep = i64::from(app.state.config.security_log_days) * day;
    let pruned = leadline::auth::data::prune_security_events(&app.state.db, now - keep)
        .await
        .unwrap();
    assert_eq!(pruned, 10);
    assert_eq!(count("198.51.100.41").await, 1);
}

/// The security log names who acted: the platform admin for account
/// changes, the operator for the CLI's, the owner for their own sign-out
/// and ended sessions (which are logged too).
#[tokio::test]
async fn the_security_log_names_who_acted_and_records_sign_outs() {
    use leadline::admin::{CreatePasswordReset, ListSecurityEvents, SetUserDisabled};
    use leadline::auth::SignOut;
    let app = spawn_app().await;
    app.user("root@leadline.test", true).await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "dev@acme.test", false, true).await;
    app.member(&acme, "ops@acme.test", false, true).await;
    let root = app.sign_in("root@leadline.test").await;
    let dev = app.sign_in("dev@acme.test").await;
    app.call(Some(&dev), SignOut {}).await.unwrap();
    app.call(
        Some(&root),
        CreatePasswordReset {
            email: "dev@acme.test".into(),
            revoke_keys: false,
        },
    )
    .await
    .unwrap();
    app.call(
        Some(&root),
        SetUserDisabled {
            email: "dev@acme.test".into(),
            disabled: true,
            revoke_keys: false,
        },
    )
    .await
    .unwrap();
    leadline::auth::accounts::set_disabled(
        &app.state,
        leadline::orgs::service::OPERATOR,
        "ops@acme.test",
        true,
    )
    .await
    .unwrap();
    let events = app
        .call(Some(&root), ListSecurityEvents { before: None })
        .await
        .unwrap();
    let by = |kind: &str, email: &str| {
        events
            .iter()
            .find(|e| e.kind == kind && e.email == email)
            .map(|e| e.actor.clone())
    };
    assert_eq!(
        by("sign_out", "dev@acme.test").as_deref(),
        Some("dev@acme.test")
    );
    assert_eq!(
        by("password_reset.issued", "dev@acme.test").as_deref(),
        Some("root@leadline.test")
    );
    assert_eq!(
        by("account.disabled", "dev@acme.test").as_deref(),
        Some("root@leadline.test")
    );
    assert_eq!(
        by("account.disabled", "ops@acme.test").as_deref(),
        Some("Operator (CLI)")
    );
}

/// A person who may no longer sign in should not keep integrations running:
/// disabling an account (or issuing a reset link) revokes the API keys it
/// created unless the admin unticks the box, audited in each organisation.
#[tokio::test]
async fn disabling_an_account_revokes_its_keys_unless_asked_not_to() {
    use leadline::admin::{CreatePasswordReset, SetUserDisabled};
    use leadline::keys::domain::Permissions;
    let app = spawn_app().await;
    app.user("root@leadline.test", true).await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let (_, ops) = app.developer("Globex", "ops@globex.test").await;
    let key = app.create_key(&dev, "Sync", Permissions::LEADS_CRUD).await;
    let kept = app.create_key(&ops, "Kept", Permissions::LEADS_CRUD).await;
    let root = app.sign_in("root@leadline.test").await;
    let status = |key: String| {
        let app = &app;
        async move {
            app.api(Method::GET, "/api/v1/leads", Some(&key), None)
                .await
                .status
                .as_u16()
        }
    };
    app.call(
        Some(&root),
        SetUserDisabled {
            email: "dev@acme.test".into(),
            disabled: true,
            revoke_keys: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(status(key.plaintext.clone()).await, 401);
    let details: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, details FROM audit_entries WHERE action = 'key.revoked' AND key_prefix = $1",
    )
    .bind(&key.key.prefix)
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(
        details,
        [(
            "root@leadline.test (platform admin)".to_owned(),
            "Revoked on disabling dev@acme.test".to_owned()
        )]
    );
    // Unticked: a reset link leaves the keys working.
    app.call(
        Some(&root),
        CreatePasswordReset {
            email: "ops@globex.test".into(),
            revoke_keys: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(status(kept.plaintext.clone()).await, 200);
    app.call(
        Some(&root),
        CreatePasswordReset {
            email: "ops@globex.test".into(),
            revoke_keys: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(status(kept.plaintext).await, 401);
}
