//! Invitations replace passwords chosen by admins: nobody but the invitee
//! (or the operator CLI) sets a password, and no account joins an
//! organisation without its owner's consent.

use axum::http::StatusCode;
use chrono::Duration;
use leadline::auth::domain::MemberPermissions;
use leadline::auth::{GetViewer, SignIn};
use leadline::error::AppError;
use leadline::orgs::{
    AcceptInvitation, GetInvitation, InviteMember, ListMembers, RevokeInvitation,
};

use crate::common::{spawn_app, Session, TestApp, PASSWORD};

const DEVELOPER: MemberPermissions = MemberPermissions {
    admin: false,
    developer: true,
};

/// Acme with its admin signed in.
async fn acme_admin(app: &TestApp) -> Session {
    let acme = app.org("Acme", true).await;
    app.member(&acme, "owner@acme.test", true, false).await;
    app.sign_in("owner@acme.test").await
}

async fn invite(app: &TestApp, admin: &Session, email: &str) -> String {
    let created = app
        .call(
            Some(admin),
            InviteMember {
                confirm_password: String::new(),
                email: email.into(),
                permissions: DEVELOPER,
            },
        )
        .await
        .unwrap();
    created.path.strip_prefix("/invite/").unwrap().to_owned()
}

async fn accept(
    app: &TestApp,
    token: &str,
    password: &str,
) -> (Result<(), AppError>, Option<Session>) {
    let (response, session) = app
        .call_raw(
            None,
            AcceptInvitation {
                token: token.into(),
                password: password.into(),
            },
        )
        .await;
    let result = if response.status.is_success() {
        Ok(())
    } else {
        Err(serde_json::from_slice(&response.body).unwrap())
    };
    (result, session)
}

#[tokio::test]
async fn a_new_person_joins_with_a_password_of_their_own() {
    let app = spawn_app().await;
    let admin = acme_admin(&app).await;
    let token = invite(&app, &admin, "New@Acme.test").await;
    assert_eq!(token.len(), 64);

    let view = app
        .call(
            None,
            GetInvitation {
                token: token.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(view.organisation, "Acme");
    assert_eq!(view.email, "new@acme.test");
    assert!(!view.has_account);

    // Too short a password is refused and the link stays usable.
    let (short, _) = accept(&app, &token, "short").await;
    assert_eq!(short.unwrap_err().field_errors()[0].field, "password");

    let (joined, session) = accept(&app, &token, "my own secret 123").await;
    joined.unwrap();
    let viewer = app
        .call(session.as_ref(), GetViewer {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(viewer.email, "new@acme.test");
    let active = viewer.active.unwrap();
    assert_eq!(active.name, "Acme");
    assert!(active.permissions.developer && !active.permissions.admin);

    // Their own password signs them in later.
    let (response, _) = app
        .call_raw(
            None,
            SignIn {
                email: "new@acme.test".into(),
                password: "my own secret 123".into(),
            },
        )
        .await;
    assert!(response.status.is_success());
}

#[tokio::test]
async fn an_existing_account_joins_only_with_its_own_password() {
    let app = spawn_app().await;
    let admin = acme_admin(&app).await;
    let globex = app.org("Globex", true).await;
    app.member(&globex, "sam@globex.test", false, true).await;
    let token = invite(&app, &admin, "sam@globex.test").await;
    let view = app
        .call(
            None,
            GetInvitation {
                token: token.clone(),
            },
        )
        .await
        .unwrap();
    assert!(view.has_account);

    let (wrong, session) = accept(&app, &token, "not sam's password").await;
    assert_eq!(wrong.unwrap_err(), AppError::WrongCredentials);
    assert!(session.is_none());
    let members = app.call(Some(&admin), ListMembers {}).await.unwrap();
    assert!(!members.members.iter().any(|m| m.email == "sam@globex.test"));

    let (joined, session) = accept(&app, &token, PASSWORD).await;
    joined.unwrap();
    let viewer = app
        .call(session.as_ref(), GetViewer {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(viewer.organisations.len(), 2, "Acme joined, Globex kept");
    let members = app.call(Some(&admin), ListMembers {}).await.unwrap();
    assert!(members.members.iter().any(|m| m.email == "sam@globex.test"));
    assert!(members.invitations.is_empty(), "no longer pending");
}

/// H1: the admin of one organisation cannot plant an account that later
/// joins another organisation, nor learn from the invite whether an email
/// has an account.
#[tokio::test]
async fn an_admin_cannot_plant_or_take_over_an_account_in_another_tenant() {
    let app = spawn_app().await;
    let evil = app.org("Evil", true).await;
    app.member(&evil, "mallory@evil.test", true, false).await;
    let mallory = app.sign_in("mallory@evil.test").await;
    let big = app.org("Big", true).await;
    app.member(&big, "admin@big.test", true, false).await;
    let big_admin = app.sign_in("admin@big.test").await;

    // The inviter's answer has the same shape for a known and an unknown email.
    let known = app
        .call(
            Some(&mallory),
            InviteMember {
                confirm_password: String::new(),
                email: "admin@big.test".into(),
                permissions: DEVELOPER,
            },
        )
        .await
        .unwrap();
    let unknown = app
        .call(
            Some(&mallory),
            InviteMember {
                confirm_password: String::new(),
                email: "cfo@big.test".into(),
                permissions: DEVELOPER,
            },
        )
        .await
        .unwrap();
    let keys = |c: &leadline::orgs::CreatedInvitation| {
        let v = serde_json::to_value(c).unwrap();
        v.as_object().unwrap().keys().cloned().collect::<Vec<_>>()
    };
    assert_eq!(keys(&known), keys(&unknown));

    // Mallory plants cfo@big.test with her own link and password.
    let planted = unknown.path.strip_prefix("/invite/").unwrap();
    let (ok, _) = accept(&app, planted, "mallory's password").await;
    ok.unwrap();

    // Big invites the real CFO. Mallory's password is not enough: the link
    // went to the CFO, and the account joins only through it.
    let link = invite(&app, &big_admin, "cfo@big.test").await;
    let members = app.call(Some(&big_admin), ListMembers {}).await.unwrap();
    assert!(!members.members.iter().any(|m| m.email == "cfo@big.test"));
    // A guessed token is refused before any password check.
    let (guess, _) = accept(&app, &"0".repeat(64), "mallory's password").await;
    assert_eq!(guess.unwrap_err(), AppError::InvitationInvalid);
    // Whoever holds Big's link still needs the account's password.
    let (wrong, _) = accept(&app, &link, "a different password").await;
    assert_eq!(wrong.unwrap_err(), AppError::WrongCredentials);
    let members = app.call(Some(&big_admin), ListMembers {}).await.unwrap();
    assert!(!members.members.iter().any(|m| m.email == "cfo@big.test"));
}

#[tokio::test]
async fn a_link_works_once_and_not_after_revocation_or_seven_days() {
    let app = spawn_app().await;
    let admin = acme_admin(&app).await;

    let used = invite(&app, &admin, "once@acme.test").await;
    accept(&app, &used, "a fine password 1").await.0.unwrap();
    let (again, _) = accept(&app, &used, "a fine password 1").await;
    assert_eq!(again.unwrap_err(), AppError::InvitationInvalid);

    let revoked = invite(&app, &admin, "revoked@acme.test").await;
    let pending = app.call(Some(&admin), ListMembers {}).await.unwrap();
    let id = pending.invitations[0].id;
    assert_eq!(pending.invitations[0].email, "revoked@acme.test");
    app.call(Some(&admin), RevokeInvitation { id })
        .await
        .unwrap();
    let (refused, _) = accept(&app, &revoked, "a fine password 1").await;
    assert_eq!(refused.unwrap_err(), AppError::InvitationInvalid);
    let err = app
        .call(None, GetInvitation { token: revoked })
        .await
        .unwrap_err();
    assert_eq!(err, AppError::InvitationInvalid);

    // A new invitation for the same email replaces the old link.
    let first = invite(&app, &admin, "twice@acme.test").await;
    let second = invite(&app, &admin, "twice@acme.test").await;
    let (old, _) = accept(&app, &first, "a fine password 1").await;
    assert_eq!(old.unwrap_err(), AppError::InvitationInvalid);

    app.state
        .clock
        .advance(Duration::days(7) + Duration::seconds(1));
    let (expired, _) = accept(&app, &second, "a fine password 1").await;
    assert_eq!(expired.unwrap_err(), AppError::InvitationInvalid);
}

#[tokio::test]
async fn only_org_admins_invite_and_revoke() {
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "dev@acme.test", false, true).await;
    let dev = app.sign_in("dev@acme.test").await;
    let err = app
        .call(
            Some(&dev),
            InviteMember {
                confirm_password: String::new(),
                email: "x@acme.test".into(),
                permissions: DEVELOPER,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Forbidden(leadline::error::Refusal::OrgAdmin { .. })
        ),
        "{err:?}"
    );
    let err = app
        .call(Some(&dev), RevokeInvitation { id: 1 })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Forbidden(leadline::error::Refusal::OrgAdmin { .. })
        ),
        "{err:?}"
    );
    let (response, _) = app
        .call_raw(
            None,
            InviteMember {
                confirm_password: String::new(),
                email: "x@acme.test".into(),
                permissions: DEVELOPER,
            },
        )
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn another_organisations_invitation_cannot_be_revoked() {
    let app = spawn_app().await;
    let admin = acme_admin(&app).await;
    invite(&app, &admin, "a@acme.test").await;
    let id = app
        .call(Some(&admin), ListMembers {})
        .await
        .unwrap()
        .invitations[0]
        .id;
    let globex = app.org("Globex", true).await;
    app.member(&globex, "boss@globex.test", true, false).await;
    let other = app.sign_in("boss@globex.test").await;
    let err = app
        .call(Some(&other), RevokeInvitation { id })
        .await
        .unwrap_err();
    assert_eq!(err, AppError::NotFound);
}

#[tokio::test]
async fn only_the_hash_of_the_token_is_stored_and_the_audit_log_records_it_all() {
    let app = spawn_app().await;
    let admin = acme_admin(&app).await;
    let token = invite(&app, &admin, "new@acme.test").await;
    accept(&app, &token, "a fine password 1").await.0.unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let Some(db_path) = &app.db_path else { break };
        let path = format!("{}{suffix}", db_path.display());
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "token found in {path}"
            );
        }
    }
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_entries ORDER BY id")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert!(
        actions.contains(&"member.invited".to_owned()),
        "{actions:?}"
    );
    assert!(actions.contains(&"member.joined".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn an_invitation_is_accepted_by_a_plain_form_post() {
    let app = spawn_app().await;
    let admin = acme_admin(&app).await;
    let token = invite(&app, &admin, "nojs@acme.test").await;
    let response = app
        .post_form(
            None,
            AcceptInvitation {
                token: token.clone(),
                password: "a fine password 1".into(),
            },
            &format!("http://127.0.0.1:3000/invite/{token}"),
        )
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert_eq!(response.header("location"), "/leads");
    assert!(response
        .header("set-cookie")
        .starts_with("leadline_session="));
    let page = app.get(&format!("/invite/{token}"), None, None).await;
    assert!(String::from_utf8_lossy(&page.body).contains("This invitation link is not valid"));
}

async fn audit_rows(app: &TestApp, action: &str) -> Vec<(String, String)> {
    sqlx::query_as("SELECT actor, details FROM audit_entries WHERE action = $1 ORDER BY id")
        .bind(action)
        .fetch_all(&app.state.db)
        .await
        .unwrap()
}

/// An invitation adds permissions and never takes any away: accepted by
/// someone who became admin meanwhile, it does not demote them (nor could
/// it leave the organisation without an admin), and the change is audited.
#[tokio::test]
async fn accepting_an_invitation_as_a_member_never_demotes_and_is_audited() {
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "owner@acme.test", true, false).await;
    let owner = app.sign_in("owner@acme.test").await;
    let token = invite(&app, &owner, "sam@acme.test").await;
    // Meanwhile the operator makes Sam an admin.
    app.member(&acme, "sam@acme.test", true, false).await;

    let (joined, session) = accept(&app, &token, PASSWORD).await;
    joined.unwrap();
    let members = app.call(session.as_ref(), ListMembers {}).await.unwrap();
    let sam = members
        .members
        .iter()
        .find(|m| m.email == "sam@acme.test")
        .unwrap();
    assert_eq!(
        sam.permissions,
        MemberPermissions {
            admin: true,
            developer: true
        },
        "kept Admin, gained Developer"
    );
    let changes = audit_rows(&app, "member.permissions_changed").await;
    assert!(
        changes
            .iter()
            .any(|(actor, details)| actor == "sam@acme.test"
                && details.contains("Admin → Admin and Developer")),
        "{changes:?}"
    );
}

/// The operator CLI's `org add-member` keeps an admin and is audited.
#[tokio::test]
async fn the_operator_cannot_demote_the_last_admin_and_is_audited() {
    use leadline::orgs::service::{add_member, OPERATOR};
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "owner@acme.test", true, false).await;
    let demoted = add_member(
        &app.state,
        &acme,
        "owner@acme.test",
        MemberPermissions {
            admin: false,
            developer: true,
        },
    )
    .await;
    assert!(matches!(demoted, Err(AppError::Conflict(_))), "{demoted:?}");
    let joined = audit_rows(&app, "member.joined").await;
    assert!(
        joined.iter().any(
            |(actor, details)| actor == OPERATOR && details == "owner@acme.test added as Admin"
        ),
        "{joined:?}"
    );
}

/// Invitations speak for the admin who sent them: removing that admin, or
/// making them no longer admin, revokes the invitations still pending.
#[tokio::test]
async fn pending_invitations_go_with_their_inviter() {
    use leadline::orgs::{RemoveMember, SetMemberPermissions};
    let app = spawn_app().await;
    let acme = app.org("Acme", true).await;
    app.member(&acme, "owner@acme.test", true, false).await;
    app.member(&acme, "ada@acme.test", true, false).await;
    app.member(&acme, "bob@acme.test", true, false).await;
    let owner = app.sign_in("owner@acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let bob = app.sign_in("bob@acme.test").await;
    let from_ada = invite(&app, &ada, "new1@acme.test").await;
    let from_bob = invite(&app, &bob, "new2@acme.test").await;
    let from_owner = invite(&app, &owner, "new3@acme.test").await;

    app.call(
        Some(&owner),
        RemoveMember {
            email: "ada@acme.test".into(),
            revoke_keys: false,
        },
    )
    .await
    .unwrap();
    app.call(
        Some(&owner),
        SetMemberPermissions {
            email: "bob@acme.test".into(),
            permissions: DEVELOPER,
        },
    )
    .await
    .unwrap();

    for token in [&from_ada, &from_bob] {
        let (result, _) = accept(&app, token, "a fresh password 9").await;
        assert_eq!(result.unwrap_err(), AppError::InvitationInvalid);
    }
    let (result, _) = accept(&app, &from_owner, "a fresh password 9").await;
    result.unwrap();
    let removed = audit_rows(&app, "member.removed").await;
    assert!(
        removed[0]
            .1
            .ends_with("; 1 pending invitation they sent revoked"),
        "{removed:?}"
    );
}
