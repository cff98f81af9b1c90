//! Two-factor sign-in: enrolment with a QR code and a confirming code, ten
//! recovery codes shown once and stored hashed, the code after the
//! password (throttled, each code once), turning it off with a code, an
//! organisation's requirement, the platform console's, a platform admin's
//! reset, and asking again before sensitive changes (step-up).

use chrono::Duration;
use leadline::admin::{ListOrganisations, ListSecurityEvents, ResetTwoFactor};
use leadline::auth::two_factor::Authenticator;
use leadline::auth::{
    GetTwoFactor, GetViewer, SignIn, SignOut, StartTwoFactor, TurnOffTwoFactor, TurnOnTwoFactor,
    VerifySignInCode,
};
use leadline::error::{AppError, Refusal};
use leadline::keys::domain::Permissions;
use leadline::keys::{CreateKey, SetKeyPolicy};
use leadline::leads::ListLeads;
use leadline::orgs::{InviteMember, SetTwoFactorRequired};

use crate::common::{spawn_app, Session, TestApp, PASSWORD};

const DEV: &str = "dev@acme.test";

/// Enrols `email` through the Account page's server functions; its secret
/// and recovery codes.
async fn enrol(app: &TestApp, session: &Session, email: &str) -> (String, Vec<String>) {
    app.call(Some(session), StartTwoFactor {}).await.unwrap();
    let setup = app
        .call(Some(session), GetTwoFactor {})
        .await
        .unwrap()
        .setup
        .expect("a setup to confirm");
    let code = code_for(app, &setup.secret, email, 0);
    let codes = app
        .call(Some(session), TurnOnTwoFactor { code })
        .await
        .unwrap();
    (setup.secret, codes.0)
}

/// The code the app shows `steps` steps from now, by the server's clock.
fn code_for(app: &TestApp, secret: &str, email: &str, steps: i64) -> String {
    let at = app.state.clock.now().timestamp() + steps * 30;
    Authenticator::new(secret, email)
        .unwrap()
        .code_at(at as u64)
}

/// Signs in with the sign-in page's plain form post; where it redirects.
async fn sign_in_from_the_form(app: &TestApp, email: &str) -> String {
    let form = SignIn {
        email: email.into(),
        password: PASSWORD.into(),
    };
    let response = app.post_form(None, form, "http://localhost/sign-in").await;
    response.header("location")
}

async fn signed_in(app: &TestApp, session: &Session) -> bool {
    app.call(Some(session), GetViewer {})
        .await
        .unwrap()
        .is_some()
}

async fn developer() -> (TestApp, Session) {
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, DEV, true, true).await;
    let session = app.sign_in(DEV).await;
    (app, session)
}

#[tokio::test]
async fn enrolment_is_confirmed_by_a_code_and_shows_ten_recovery_codes_stored_hashed() {
    let (app, dev) = developer().await;
    let status = app.call(Some(&dev), GetTwoFactor {}).await.unwrap();
    assert!(status.enabled_since.is_none() && status.setup.is_none());

    app.call(Some(&dev), StartTwoFactor {}).await.unwrap();
    let setup = app
        .call(Some(&dev), GetTwoFactor {})
        .await
        .unwrap()
        .setup
        .unwrap();
    assert!(setup.qr_svg.starts_with("<?xml") || setup.qr_svg.contains("<svg"));
    assert_eq!(setup.secret.len(), 32, "160 bits in base32");
    // A wrong code turns nothing on.
    let wrong = app
        .call(
            Some(&dev),
            TurnOnTwoFactor {
                code: "000000".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong, AppError::Validation(f) if f[0].field == "code"),
        "{wrong:?}"
    );
    assert!(app
        .call(Some(&dev), GetTwoFactor {})
        .await
        .unwrap()
        .enabled_since
        .is_none());

    let code = code_for(&app, &setup.secret, DEV, 0);
    let codes = app
        .call(Some(&dev), TurnOnTwoFactor { code })
        .await
        .unwrap()
        .0;
    assert_eq!(codes.len(), 10);
    let status = app.call(Some(&dev), GetTwoFactor {}).await.unwrap();
    assert!(status.enabled_since.is_some() && status.setup.is_none());
    assert_eq!(status.recovery_codes_left, 10);
    // Stored as SHA-256 only.
    let stored: Vec<(String,)> = sqlx::query_as("SELECT code_hash FROM recovery_codes")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    for code in &codes {
        assert!(stored.iter().all(|(hash,)| !hash.contains(code.as_str())));
    }
    // Starting again once on is refused.
    assert!(matches!(
        app.call(Some(&dev), StartTwoFactor {}).await,
        Err(AppError::Conflict(_))
    ));
}

#[tokio::test]
async fn sign_in_asks_for_a_code_after_the_password_and_takes_each_code_once() {
    let (app, dev) = developer().await;
    let (secret, _) = enrol(&app, &dev, DEV).await;

    let pending = app.password_step(DEV).await;
    assert!(
        !signed_in(&app, &pending).await,
        "half signed in is signed out"
    );
    assert!(matches!(
        app.call(
            Some(&pending),
            ListLeads {
                q: String::new(),
                before: None
            }
        )
        .await,
        Err(AppError::SignInRequired)
    ));
    let wrong = app
        .call(
            Some(&pending),
            VerifySignInCode {
                code: "123456".into(),
            },
        )
        .await;
    assert_eq!(wrong, Err(AppError::InvalidCode));

    let code = code_for(&app, &secret, DEV, 1);
    let (response, full) = app
        .call_raw(Some(&pending), VerifySignInCode { code: code.clone() })
        .await;
    assert!(response.status.is_success(), "{:?}", response.body);
    let full = full.expect("a new session token");
    assert_ne!(
        full.0, pending.0,
        "the token changes with the second factor"
    );
    assert!(signed_in(&app, &full).await);
    assert!(
        !signed_in(&app, &pending).await,
        "the pending token is gone"
    );

    // The same code again, in another sign-in: refused (replay).
    app.call(Some(&full), SignOut {}).await.unwrap();
    let again = app.password_step(DEV).await;
    assert_eq!(
        app.call(Some(&again), VerifySignInCode { code }).await,
        Err(AppError::InvalidCode)
    );
    // An older step is refused too; the next one is not.
    let older = code_for(&app, &secret, DEV, 0);
    assert_eq!(
        app.call(Some(&again), VerifySignInCode { code: older })
            .await,
        Err(AppError::InvalidCode)
    );
    app.state.clock.advance(Duration::seconds(60));
    let next = code_for(&app, &secret, DEV, 0);
    app.call(Some(&again), VerifySignInCode { code: next })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let (app, dev) = developer().await;
    let (_, codes) = enrol(&app, &dev, DEV).await;
    let pending = app.password_step(DEV).await;
    // Case, spaces and a missing dash are forgiven.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let (response, full) = app
        .call_raw(Some(&pending), VerifySignInCode { code: typed })
        .await;
    assert!(response.status.is_success(), "{:?}", response.body);
    assert!(signed_in(&app, &full.unwrap()).await);
    let left = app.call(Some(&dev), GetTwoFactor {}).await;
    // `dev`'s session predates; the count is the account's.
    assert_eq!(left.unwrap().recovery_codes_left, 9);

    let pending = app.password_step(DEV).await;
    assert_eq!(
        app.call(
            Some(&pending),
            VerifySignInCode {
                code: codes[3].clone()
            }
        )
        .await,
        Err(AppError::InvalidCode),
        "used once"
    );
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let (app, dev) = developer().await;
    let (secret, _) = enrol(&app, &dev, DEV).await;
    let pending = app.password_step(DEV).await;
    for _ in 0..5 {
        assert_eq!(
            app.call(
                Some(&pending),
                VerifySignInCode {
                    code: "999999".into()
                }
            )
            .await,
            Err(AppError::InvalidCode)
        );
    }
    let code = code_for(&app, &secret, DEV, 1);
    assert!(
        matches!(
            app.call(Some(&pending), VerifySignInCode { code }).await,
            Err(AppError::Throttled { .. })
        ),
        "even the right code waits once the limit is reached"
    );
}

#[tokio::test]
async fn turning_it_off_needs_a_current_code() {
    let (app, dev) = developer().await;
    let (secret, _) = enrol(&app, &dev, DEV).await;
    let refused = app
        .call(
            Some(&dev),
            TurnOffTwoFactor {
                code: "000000".into(),
            },
        )
        .await;
    assert!(
        matches!(refused, Err(AppError::Validation(_))),
        "{refused:?}"
    );
    let code = code_for(&app, &secret, DEV, 1);
    app.call(Some(&dev), TurnOffTwoFactor { code })
        .await
        .unwrap();
    let status = app.call(Some(&dev), GetTwoFactor {}).await.unwrap();
    assert!(status.enabled_since.is_none());
    assert_eq!(status.recovery_codes_left, 0, "the recovery codes went too");
    // Signing in asks for the password only again.
    let session = app.password_step(DEV).await;
    assert!(signed_in(&app, &session).await);
}

#[tokio::test]
async fn the_platform_console_needs_two_factor_sign_in() {
    let app = spawn_app().await;
    app.user("root@leadline.test", true).await;
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL")
        .execute(&app.state.db)
        .await
        .unwrap();
    let root = app.sign_in("root@leadline.test").await;
    assert_eq!(
        app.call(Some(&root), ListOrganisations {}).await,
        Err(AppError::Forbidden(Refusal::TwoFactorRequired {
            org: None
        }))
    );
    let status = app.call(Some(&root), GetTwoFactor {}).await.unwrap();
    assert_eq!(status.required_by, vec!["Platform admins".to_owned()]);
    let (secret, _) = enrol(&app, &root, "root@leadline.test").await;
    let pending = app.password_step("root@leadline.test").await;
    let code = code_for(&app, &secret, "root@leadline.test", 1);
    let (_, root) = app
        .call_raw(Some(&pending), VerifySignInCode { code })
        .await;
    let root = root.unwrap();
    app.call(Some(&root), ListOrganisations {}).await.unwrap();
    // And it cannot be turned off while it is required.
    app.state.clock.advance(Duration::seconds(90));
    let code = code_for(&app, &secret, "root@leadline.test", 0);
    assert!(matches!(
        app.call(Some(&root), TurnOffTwoFactor { code }).await,
        Err(AppError::Conflict(_))
    ));
}

#[tokio::test]
async fn an_organisation_can_require_it_of_its_members() {
    let (app, admin) = developer().await;
    let acme = app.org_id("acme").await;
    app.member("acme", "sam@acme.test", false, true).await;
    let sam = app.sign_in("sam@acme.test").await;
    let leads = || ListLeads {
        q: String::new(),
        before: None,
    };
    // Its admin must have it first, or they would lock themselves out.
    assert!(matches!(
        app.call(Some(&admin), SetTwoFactorRequired { required: true })
            .await,
        Err(AppError::Conflict(_))
    ));
    enrol(&app, &admin, DEV).await;
    app.call(Some(&admin), SetTwoFactorRequired { required: true })
        .await
        .unwrap();
    let refused = app.call(Some(&sam), leads()).await;
    assert_eq!(
        refused,
        Err(AppError::Forbidden(Refusal::TwoFactorRequired {
            org: Some("Acme".into())
        }))
    );
    enrol(&app, &sam, "sam@acme.test").await;
    app.call(Some(&sam), leads()).await.unwrap();
    let audited: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_entries WHERE organisation_id = $1 AND action = 'two_factor_policy.changed'",
    )
    .bind(acme)
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(audited.0, 1);
}

#[tokio::test]
async fn a_platform_admin_resets_a_locked_out_user_who_is_told_at_sign_in() {
    let (app, dev) = developer().await;
    enrol(&app, &dev, DEV).await;
    app.user("root@leadline.test", true).await;
    let root = app.sign_in("root@leadline.test").await;
    app.call(Some(&root), ResetTwoFactor { email: DEV.into() })
        .await
        .unwrap();
    let log = app
        .call(Some(&root), ListSecurityEvents { before: None })
        .await
        .unwrap();
    let reset = log.iter().find(|e| e.kind == "two_factor.reset").unwrap();
    assert_eq!(reset.email, DEV);
    assert_eq!(reset.actor, "root@leadline.test (platform admin)");

    // The password alone signs in now, and the answer goes to the notice,
    // once.
    assert_eq!(
        sign_in_from_the_form(&app, DEV).await,
        "/account?notice=two_factor_reset"
    );
    assert_eq!(sign_in_from_the_form(&app, DEV).await, "/leads");
}

#[tokio::test]
async fn a_plain_sign_in_post_goes_on_to_the_code_page() {
    let (app, dev) = developer().await;
    enrol(&app, &dev, DEV).await;
    assert_eq!(sign_in_from_the_form(&app, DEV).await, "/sign-in/code");
    let page = app.get("/sign-in/code", None, None).await;
    assert!(String::from_utf8_lossy(&page.body).contains("Authentication code"));
    // A pending sign-in lasts ten minutes.
    let pending = app.password_step(DEV).await;
    app.state.clock.advance(Duration::minutes(11));
    assert_eq!(
        app.call(
            Some(&pending),
            VerifySignInCode {
                code: app.totp_code(DEV)
            }
        )
        .await,
        Err(AppError::SignInRequired)
    );
}

#[tokio::test]
async fn sensitive_changes_ask_again_after_fifteen_minutes() {
    let (app, dev) = developer().await;
    let new_key = |confirm: &str| CreateKey {
        confirm_password: confirm.into(),
        name: "CI".into(),
        permissions: Permissions {
            read: true,
            ..Permissions::default()
        },
        expires_at: String::new(),
    };
    // Fresh from signing in: no question.
    app.call(Some(&dev), new_key("")).await.unwrap();

    app.state.clock.advance(Duration::minutes(16));
    assert_eq!(
        app.call(Some(&dev), new_key("")).await,
        Err(AppError::ConfirmationRequired)
    );
    assert_eq!(
        app.call(
            Some(&dev),
            SetKeyPolicy {
                confirm_password: String::new(),
                max_lifetime_days: "30".into(),
                expiry_required: false,
            }
        )
        .await,
        Err(AppError::ConfirmationRequired)
    );
    let admin_invite = |confirm: &str| InviteMember {
        confirm_password: confirm.into(),
        email: "new-admin@acme.test".into(),
        permissions: leadline::auth::domain::MemberPermissions {
            admin: true,
            developer: false,
        },
    };
    assert_eq!(
        app.call(Some(&dev), admin_invite("")).await.map(|_| ()),
        Err(AppError::ConfirmationRequired)
    );
    // Inviting a member who is not an admin does not ask.
    app.call(
        Some(&dev),
        InviteMember {
            confirm_password: String::new(),
            email: "member@acme.test".into(),
            permissions: Default::default(),
        },
    )
    .await
    .unwrap();

    let wrong = app.call(Some(&dev), new_key("not my password")).await;
    assert!(
        matches!(&wrong, Err(AppError::Validation(f)) if f[0].field == "confirm_password"),
        "{wrong:?}"
    );
    app.call(Some(&dev), new_key(PASSWORD)).await.unwrap();
    // Confirmed: the next 15 minutes ask nothing.
    app.call(Some(&dev), admin_invite("")).await.unwrap();

    // With two-factor sign-in on, a code confirms as well.
    let (secret, _) = enrol(&app, &dev, DEV).await;
    app.state.clock.advance(Duration::minutes(16));
    let code = code_for(&app, &secret, DEV, 0);
    app.call(Some(&dev), new_key(&code)).await.unwrap();
}
