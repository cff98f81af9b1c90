//! Access can be taken away: removing a member (and, by default, the keys
//! they created) takes effect on their very next request, and an
//! organisation always keeps an admin.

use axum::http::{Method, StatusCode};
use leadline::auth::domain::MemberPermissions;
use leadline::auth::GetViewer;
use leadline::error::AppError;
use leadline::keys::domain::Permissions;
use leadline::leads::ListLeads;
use leadline::orgs::{ListMembers, MemberKeys, RemoveMember, SetMemberPermissions};

use crate::common::{spawn_app, Session, TestApp};

const READ: Permissions = Permissions {
    read: true,
    create: false,
    update: false,
    delete: false,
};

/// Acme with an admin and a developer who has one key; both signed in.
async fn acme(app: &TestApp) -> (Session, Session, String) {
    let slug = app.org("Acme", true).await;
    app.member(&slug, "owner@acme.test", true, false).await;
    app.member(&slug, "dev@acme.test", false, true).await;
    let owner = app.sign_in("owner@acme.test").await;
    let dev = app.sign_in("dev@acme.test").await;
    let key = app.create_key(&dev, "CI job", READ).await.plaintext;
    (owner, dev, key)
}

async fn leads_status(app: &TestApp, key: &str) -> StatusCode {
    app.api(Method::GET, "/api/v1/leads", Some(key), None)
        .await
        .status
}

#[tokio::test]
async fn a_removed_member_and_their_keys_lose_access_on_the_next_request() {
    let app = spawn_app().await;
    let (owner, dev, key) = acme(&app).await;
    assert_eq!(leads_status(&app, &key).await, StatusCode::OK);
    let listed = app
        .call(
            Some(&owner),
            MemberKeys {
                email: "dev@acme.test".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "CI job");

    app.call(
        Some(&owner),
        RemoveMember {
            email: "dev@acme.test".into(),
            revoke_keys: true,
        },
    )
    .await
    .unwrap();

    let viewer = app.call(Some(&dev), GetViewer {}).await.unwrap().unwrap();
    assert!(viewer.active.is_none() && viewer.organisations.is_empty());
    let err = app
        .call(
            Some(&dev),
            ListLeads {
                q: String::new(),
                before: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Forbidden(
                leadline::error::Refusal::NoOrganisation
                    | leadline::error::Refusal::OrgAdmin { .. }
            )
        ),
        "{err:?}"
    );
    let refused = app
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["code"], "key_revoked");

    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_entries ORDER BY id")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert!(
        actions.ends_with(&["key.revoked".to_owned(), "member.removed".to_owned()]),
        "{actions:?}"
    );
}

#[tokio::test]
async fn keys_can_be_kept_when_a_member_leaves() {
    let app = spawn_app().await;
    let (owner, _, key) = acme(&app).await;
    app.call(
        Some(&owner),
        RemoveMember {
            email: "dev@acme.test".into(),
            revoke_keys: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(leads_status(&app, &key).await, StatusCode::OK);
    let members = app.call(Some(&owner), ListMembers {}).await.unwrap();
    assert_eq!(members.members.len(), 1);
}

#[tokio::test]
async fn an_organisation_always_keeps_an_admin() {
    let app = spawn_app().await;
    let (owner, _, _) = acme(&app).await;
    let err = app
        .call(
            Some(&owner),
            RemoveMember {
                email: "owner@acme.test".into(),
                revoke_keys: false,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");

    // Two admins: one may demote the other, but not then be demoted too.
    let acme = app.call(Some(&owner), ListMembers {}).await.unwrap();
    assert_eq!(acme.members.len(), 2);
    app.call(
        Some(&owner),
        SetMemberPermissions {
            email: "dev@acme.test".into(),
            permissions: MemberPermissions {
                admin: true,
                developer: true,
            },
        },
    )
    .await
    .unwrap();
    let dev_admin = app.sign_in("dev@acme.test").await;
    app.call(
        Some(&dev_admin),
        SetMemberPermissions {
            email: "owner@acme.test".into(),
            permissions: MemberPermissions::default(),
        },
    )
    .await
    .unwrap();
    let err = app
        .call(
            Some(&owner),
            SetMemberPermissions {
                email: "dev@acme.test".into(),
                permissions: MemberPermissions::default(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Forbidden(_)),
        "no longer an admin: {err:?}"
    );
    let err = app
        .call(
            Some(&dev_admin),
            RemoveMember {
                email: "dev@acme.test".into(),
                revoke_keys: false,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Conflict(_)),
        "the last admin: {err:?}"
    );
}

#[tokio::test]
async fn only_admins_remove_and_only_their_own_members() {
    let app = spawn_app().await;
    let (_, dev, _) = acme(&app).await;
    let err = app
        .call(
            Some(&dev),
            RemoveMember {
                email: "owner@acme.test".into(),
                revoke_keys: false,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Forbidden(
                leadline::error::Refusal::NoOrganisation
                    | leadline::error::Refusal::OrgAdmin { .. }
            )
        ),
        "{err:?}"
    );

    let globex = app.org("Globex", true).await;
    app.member(&globex, "boss@globex.test", true, false).await;
    let boss = app.sign_in("boss@globex.test").await;
    for call in [
        app.call(
            Some(&boss),
            RemoveMember {
                email: "dev@acme.test".into(),
                revoke_keys: true,
            },
        )
        .await,
        app.call(
            Some(&boss),
            MemberKeys {
                email: "dev@acme.test".into(),
            },
        )
        .await
        .map(|_| ()),
    ] {
        assert_eq!(call.unwrap_err(), AppError::NotFound);
    }
}

#[tokio::test]
async fn every_authorisation_change_and_dashboard_lead_change_is_audited() {
    let app = spawn_app().await;
    let (owner, dev, _) = acme(&app).await;
    app.call(
        Some(&owner),
        SetMemberPermissions {
            email: "dev@acme.test".into(),
            permissions: MemberPermissions {
                admin: false,
                developer: false,
            },
        },
    )
    .await
    .unwrap();
    leadline::orgs::service::set_flag(
        &app.state,
        "root@leadline.test",
        "acme",
        leadline::orgs::domain::Flag::DeveloperApi,
        false,
    )
    .await
    .unwrap();
    let lead = app
        .call(
            Some(&dev),
            leadline::leads::CreateLead {
                draft: leadline::leads::domain::LeadDraft {
                    name: "Grace Hopper".into(),
                    status: "new".into(),
                    ..Default::default()
                },
            },
        )
        .await
        .unwrap();
    app.call(Some(&dev), leadline::leads::DeleteLead { id: lead.id })
        .await
        .unwrap();

    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT action, actor, details FROM audit_entries ORDER BY id")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    let find = |action: &str| {
        rows.iter()
            .rfind(|(a, _, _)| a == action)
            .unwrap_or_else(|| panic!("no {action} in {rows:?}"))
            .clone()
    };
    assert_eq!(find("organisation.created").1, "operator (test)");
    let (_, actor, details) = find("member.permissions_changed");
    assert_eq!(actor, "owner@acme.test");
    assert_eq!(details, "dev@acme.test: Developer → member");
    let (_, actor, details) = find("flag.changed");
    assert_eq!(
        (actor.as_str(), details.as_str()),
        ("root@leadline.test", "developer-api turned off")
    );
    assert_eq!(find("lead.created").1, "dev@acme.test");
    assert_eq!(find("lead.deleted").1, "dev@acme.test");
}

/// Removing a member offers to revoke the keys of theirs that still work: an
/// expired key is not one of them (it works no more than a revoked one).
#[tokio::test]
async fn an_expired_key_is_not_offered_for_revocation() {
    let app = spawn_app().await;
    let (owner, dev, _) = acme(&app).await;
    let expiring = leadline::keys::CreateKey {
        confirm_password: String::new(),
        name: "Expires tomorrow".into(),
        permissions: READ,
        expires_at: "2026-11-28".into(),
    };
    app.call(Some(&dev), expiring).await.unwrap();
    let query = || MemberKeys {
        email: "dev@acme.test".into(),
    };
    let offered = app.call(Some(&owner), query()).await.unwrap();
    assert_eq!(offered.len(), 2);
    app.state.clock.advance(chrono::Duration::days(3));
    let owner = app.sign_in("owner@acme.test").await;
    let names: Vec<String> = app
        .call(Some(&owner), query())
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["CI job"]);
}
