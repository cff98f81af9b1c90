//! The Developer page's server functions: creating, listing, editing,
//! revoking, re-activating and deleting keys, with their gates and audit.

use crate::common::{spawn_app, READ};
use axum::http::{Method, StatusCode};
use leadline::admin::{FindKey, ReactivateKey};
use leadline::audit::ListAudit;
use leadline::error::AppError;
use leadline::error::{DeveloperAccess, Refusal};
use leadline::keys::domain::{KeyStatus, Permissions, PLAYGROUND_KEY_NAME};
use leadline::keys::{CreateKey, DeleteKey, GenerateTestToken, ListKeys, RevokeKey, UpdateKey};

fn create(name: &str) -> CreateKey {
    CreateKey {
        confirm_password: String::new(),
        name: name.into(),
        permissions: READ,
        expires_at: String::new(),
    }
}

#[tokio::test]
async fn a_created_key_has_the_documented_shape_and_is_listed_by_prefix() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let created = app.create_key(&dev, "Zapier, leads sync", READ).await;
    assert_eq!(created.plaintext.len(), 44);
    assert!(created.plaintext.starts_with("sk_"));
    assert_eq!(created.key.prefix, created.plaintext[..14]);
    assert_eq!(created.key.status, KeyStatus::Active);
    assert_eq!(created.key.created_by, "dev@acme.test");

    let page = app
        .call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.keys.len(), 1);
    let listed = &page.keys[0];
    assert_eq!(listed.name, "Zapier, leads sync");
    assert_eq!(listed.prefix, created.key.prefix);
    assert_eq!(listed.permissions, READ);
}

#[tokio::test]
async fn the_plaintext_is_never_stored_nor_returned_again() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let created = app.create_key(&dev, "CI", READ).await;
    let (response, _) = app
        .call_raw(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await;
    assert!(!String::from_utf8_lossy(&response.body).contains(&created.plaintext));
    let (response, _) = app
        .call_raw(
            Some(&dev),
            ListAudit {
                prefix: String::new(),
                action: String::new(),
                before: None,
            },
        )
        .await;
    assert!(!String::from_utf8_lossy(&response.body).contains(&created.plaintext[14..]));

    app.state.db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let Some(db_path) = &app.db_path else { break };
        let path = format!("{}{suffix}", db_path.display());
        if let Ok(bytes) = std::fs::read(&path) {
            let secret = created.plaintext.as_bytes();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "plaintext found in {path}"
            );
            let tail = &created.plaintext.as_bytes()[14..];
            assert!(
                !bytes.windows(tail.len()).any(|w| w == tail),
                "secret part found in {path}"
            );
        }
    }
}

#[tokio::test]
async fn key_names_are_validated() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    for ok in ["a", &"a".repeat(100), &"e\u{301}".repeat(100)] {
        assert!(app.call(Some(&dev), create(ok)).await.is_ok(), "{ok:?}");
    }
    for bad in ["", "   ", &"a".repeat(101), &"e\u{301}".repeat(101)] {
        let err = app.call(Some(&dev), create(bad)).await.unwrap_err();
        assert_eq!(err.field_errors()[0].field, "name", "{bad:?}");
    }
    let page = app
        .call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 3, "nothing created on a validation error");
}

#[tokio::test]
async fn permissions_default_to_none_and_expiry_in_the_past_is_refused() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let none = app
        .create_key(&dev, "nothing", Permissions::default())
        .await;
    assert_eq!(none.key.permissions, Permissions::default());
    let past = CreateKey {
        confirm_password: String::new(),
        name: "old".into(),
        permissions: READ,
        expires_at: "2026-11-26".into(),
    };
    let err = app.call(Some(&dev), past).await.unwrap_err();
    assert_eq!(err.field_errors()[0].field, "expires_at");
    let future = CreateKey {
        confirm_password: String::new(),
        name: "soon".into(),
        permissions: READ,
        expires_at: "2026-12-31".into(),
    };
    let key = app.call(Some(&dev), future).await.unwrap();
    assert_eq!(
        key.key.expires_at.unwrap().to_rfc3339(),
        "2026-12-31T23:59:59+00:00"
    );
}

#[tokio::test]
async fn editing_changes_name_and_permissions_but_never_expiry() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let created = app
        .call(
            Some(&dev),
            CreateKey {
                confirm_password: String::new(),
                name: "CI".into(),
                permissions: READ,
                expires_at: "2027-01-01".into(),
            },
        )
        .await
        .unwrap();
    let all = Permissions::LEADS_CRUD;
    let updated = app
        .call(
            Some(&dev),
            UpdateKey {
                id: created.key.id,
                name: "CI job".into(),
                permissions: all,
                allowed_ips: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "CI job");
    assert_eq!(updated.permissions, all);
    assert_eq!(updated.expires_at, created.key.expires_at);
    let err = app
        .call(
            Some(&dev),
            UpdateKey {
                id: created.key.id,
                name: " ".into(),
                permissions: all,
                allowed_ips: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "name");

    let audit = app
        .call(
            Some(&dev),
            ListAudit {
                prefix: String::new(),
                action: "key.updated".into(),
                before: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.entries.len(), 1);
    let details = &audit.entries[0].details;
    assert!(
        details.contains("\"before\":\"CI\"") && details.contains("\"after\":\"CI job\""),
        "{details}"
    );
    assert!(
        details.contains("Leads: read, create, update, delete"),
        "{details}"
    );
}

#[tokio::test]
async fn revoke_marks_the_key_revoked_and_a_platform_admin_can_reactivate_it() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let created = app.create_key(&dev, "CI", READ).await;
    let revoked = app
        .call(Some(&dev), RevokeKey { id: created.key.id })
        .await
        .unwrap();
    assert_eq!(revoked.status, KeyStatus::Revoked);
    let page = app
        .call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.keys[0].status, KeyStatus::Revoked, "stays in the list");

    assert!(matches!(
        app.call(
            Some(&dev),
            ReactivateKey {
                prefix: created.key.prefix.clone()
            }
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    app.user("root@leadline.test", true).await;
    let root = app.sign_in("root@leadline.test").await;
    let found = app
        .call(
            Some(&root),
            FindKey {
                prefix: created.key.prefix.clone(),
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, KeyStatus::Revoked);
    let active = app
        .call(
            Some(&root),
            ReactivateKey {
                prefix: created.key.prefix.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(active.status, KeyStatus::Active);

    let audit = app
        .call(
            Some(&dev),
            ListAudit {
                prefix: created.key.prefix.clone(),
                action: String::new(),
                before: None,
            },
        )
        .await
        .unwrap();
    let actions: Vec<_> = audit.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["key.reactivated", "key.revoked", "key.created"]);
    assert_eq!(
        audit.entries[0].actor,
        "root@leadline.test (platform admin)"
    );
}

#[tokio::test]
async fn delete_removes_the_key_but_keeps_its_audit_entries() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let created = app.create_key(&dev, "Temporary", READ).await;
    app.call(Some(&dev), DeleteKey { id: created.key.id })
        .await
        .unwrap();
    assert_eq!(
        app.call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None
            }
        )
        .await
        .unwrap()
        .total,
        0
    );
    assert_eq!(
        app.call(Some(&dev), DeleteKey { id: created.key.id }).await,
        Err(AppError::NotFound)
    );
    let audit = app
        .call(
            Some(&dev),
            ListAudit {
                prefix: created.key.prefix.clone(),
                action: String::new(),
                before: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.entries.len(), 2, "created and deleted");
    assert_eq!(audit.entries[0].action, "key.deleted");
    assert_eq!(
        audit.entries[0].key_prefix.as_deref(),
        Some(created.key.prefix.as_str())
    );
    assert_eq!(audit.entries[0].key_name.as_deref(), Some("Temporary"));
    assert_eq!(audit.entries[0].actor, "dev@acme.test");
}

#[tokio::test]
async fn every_key_operation_needs_the_developer_permission_and_the_flag() {
    let app = spawn_app().await;
    let (acme, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "CI", READ).await.key;
    app.member(&acme, "sales@acme.test", false, false).await;
    let sales = app.sign_in("sales@acme.test").await;
    let denied = |r: Result<_, AppError>| {
        matches!(
            r,
            Err(AppError::Forbidden(Refusal::Developer {
                access: DeveloperAccess::MissingPermission,
                ..
            }))
        )
    };
    assert!(denied(
        app.call(
            Some(&sales),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None
            }
        )
        .await
        .map(|_| ())
    ));
    assert!(denied(
        app.call(Some(&sales), create("x")).await.map(|_| ())
    ));
    assert!(denied(
        app.call(
            Some(&sales),
            UpdateKey {
                id: key.id,
                name: "x".into(),
                permissions: READ,
                allowed_ips: String::new(),
            }
        )
        .await
        .map(|_| ())
    ));
    assert!(denied(
        app.call(Some(&sales), RevokeKey { id: key.id })
            .await
            .map(|_| ())
    ));
    assert!(denied(
        app.call(Some(&sales), DeleteKey { id: key.id }).await
    ));
    assert!(denied(
        app.call(Some(&sales), GenerateTestToken {})
            .await
            .map(|_| ())
    ));
    assert!(denied(
        app.call(
            Some(&sales),
            ListAudit {
                prefix: String::new(),
                action: String::new(),
                before: None
            }
        )
        .await
        .map(|_| ())
    ));

    // Flag off: even a developer is refused, and told why.
    leadline::orgs::service::set_flag(
        &app.state,
        "operator (test)",
        &acme,
        leadline::orgs::domain::Flag::DeveloperApi,
        false,
    )
    .await
    .unwrap();
    let flag_off = |r: Result<_, AppError>| {
        matches!(
            r,
            Err(AppError::Forbidden(Refusal::Developer {
                access: DeveloperAccess::FlagOff,
                ..
            }))
        )
    };
    assert!(flag_off(
        app.call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None
            }
        )
        .await
        .map(|_| ())
    ));
    assert!(flag_off(
        app.call(Some(&dev), create("x")).await.map(|_| ())
    ));
    assert!(flag_off(
        app.call(Some(&dev), RevokeKey { id: key.id })
            .await
            .map(|_| ())
    ));
    assert!(flag_off(
        app.call(Some(&dev), DeleteKey { id: key.id }).await
    ));

    assert_eq!(
        app.call(
            None,
            ListKeys {
                page: 1,
                unused_only: false,
                open: None
            }
        )
        .await,
        Err(AppError::SignInRequired)
    );
}

#[tokio::test]
async fn another_organisations_keys_are_invisible_and_untouchable() {
    let app = spawn_app().await;
    let (_, acme) = app.developer("Acme", "dev@acme.test").await;
    let (_, globex) = app.developer("Globex", "dev@globex.test").await;
    let key = app.create_key(&acme, "Acme key", READ).await.key;
    assert_eq!(
        app.call(
            Some(&globex),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None
            }
        )
        .await
        .unwrap()
        .total,
        0
    );
    assert_eq!(
        app.call(
            Some(&globex),
            UpdateKey {
                id: key.id,
                name: "mine".into(),
                permissions: READ,
                allowed_ips: String::new(),
            }
        )
        .await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        app.call(Some(&globex), RevokeKey { id: key.id }).await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        app.call(Some(&globex), DeleteKey { id: key.id }).await,
        Err(AppError::NotFound)
    );
    let page = app
        .call(
            Some(&acme),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.keys[0].name, "Acme key");
    assert_eq!(page.keys[0].status, KeyStatus::Active);
}

#[tokio::test]
async fn keys_list_newest_first_in_pages() {
    let app = spawn_app().await;
    let (slug, dev) = app.developer("Acme", "dev@acme.test").await;
    for i in 0..25 {
        app.create_key(&dev, &format!("key {i}"), READ).await;
    }
    let first = app
        .call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!((first.total, first.more, first.keys.len()), (25, false, 20));
    assert_eq!(first.keys[0].name, "key 24");
    // Keys are counted only so far past the page: beyond, the count says
    // "more than".
    use leadline::keys::data::{count, KeyFilter};
    let org = app.org_id(&slug).await;
    assert_eq!(
        count(&app.state.db, org, KeyFilter::All, 25).await.unwrap(),
        Some(25)
    );
    assert_eq!(
        count(&app.state.db, org, KeyFilter::All, 24).await.unwrap(),
        None
    );
    let second = app
        .call(
            Some(&dev),
            ListKeys {
                page: 2,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(second.keys.len(), 5);
    assert_eq!(second.keys[4].name, "key 0");
}

#[tokio::test]
async fn expired_keys_show_as_expired_at_request_time() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    app.call(
        Some(&dev),
        CreateKey {
            confirm_password: String::new(),
            name: "short".into(),
            permissions: READ,
            expires_at: "2026-11-27T13:00".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None
            }
        )
        .await
        .unwrap()
        .keys[0]
            .status,
        KeyStatus::Active
    );
    app.state.clock.advance(chrono::Duration::minutes(90));
    assert_eq!(
        app.call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None
            }
        )
        .await
        .unwrap()
        .keys[0]
            .status,
        KeyStatus::Expired
    );
}

#[tokio::test]
async fn a_test_token_is_a_one_hour_leads_crud_key_owned_by_its_creator() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let token = app.call(Some(&dev), GenerateTestToken {}).await.unwrap();
    assert_eq!(token.key.name, PLAYGROUND_KEY_NAME);
    assert_eq!(token.key.permissions, Permissions::LEADS_CRUD);
    assert!(token.key.is_playground);
    assert_eq!(token.key.created_by, "dev@acme.test");
    assert_eq!(
        token.key.expires_at.unwrap() - token.key.created_at,
        chrono::Duration::hours(1)
    );
    let audit = app
        .call(
            Some(&dev),
            ListAudit {
                prefix: token.key.prefix.clone(),
                action: String::new(),
                before: None,
            },
        )
        .await
        .unwrap();
    assert!(audit.entries[0].details.contains("docs playground"));
}

#[tokio::test]
async fn at_most_five_live_playground_keys_per_user_even_under_concurrent_clicks() {
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let clicks = (0..12).map(|_| app.call(Some(&dev), GenerateTestToken {}));
    let results = futures::future::join_all(clicks).await;
    let made = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(made, 5);
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, AppError::Conflict(m) if m.contains("5 active playground keys"))));
    // Revoking one frees a place; so does expiry.
    let first = app
        .call(
            Some(&dev),
            ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            },
        )
        .await
        .unwrap()
        .keys[0]
        .id;
    app.call(Some(&dev), RevokeKey { id: first }).await.unwrap();
    assert!(app.call(Some(&dev), GenerateTestToken {}).await.is_ok());
    assert!(app.call(Some(&dev), GenerateTestToken {}).await.is_err());
    app.state.clock.advance(chrono::Duration::minutes(61));
    assert!(app.call(Some(&dev), GenerateTestToken {}).await.is_ok());
}

#[tokio::test]
async fn an_absurd_page_number_is_an_empty_page_not_a_crash() {
    let app = crate::common::spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    for page in [i64::MAX, i64::MIN, 0] {
        let listed = app
            .call(
                Some(&dev),
                leadline::keys::ListKeys {
                    page,
                    unused_only: false,
                    open: None,
                },
            )
            .await
            .unwrap();
        assert!(listed.keys.is_empty());
    }
}

#[tokio::test]
async fn a_concurrent_duplicate_is_a_conflict_not_a_server_error() {
    let app = crate::common::spawn_app().await;
    leadline::auth::data::insert_user(&app.state.db, "twin@acme.test", "x", false, 0)
        .await
        .unwrap();
    // The same insert again, as the loser of a race past the existence check.
    let error: leadline::error::AppError =
        leadline::auth::data::insert_user(&app.state.db, "twin@acme.test", "x", false, 0)
            .await
            .unwrap_err()
            .into();
    assert!(
        matches!(error, leadline::error::AppError::Conflict(_)),
        "{error:?}"
    );
    assert_eq!(error.status_code(), 409);
}

/// "This key works at this time" is decided by `KeyStatus::of` in Rust and by
/// `keys::data::works_at` in SQL: the two agree on every case, retiring and
/// expired keys and both boundaries included, on either backend.
#[tokio::test]
async fn the_sql_rule_for_a_working_key_agrees_with_key_status() {
    use leadline::keys::data::works_at;
    use leadline::keys::domain::{Expiry, KeyStatus, Revocation};
    use leadline::platform::clock::from_millis;

    let app = spawn_app().await;
    let slug = app.org("Acme", true).await;
    let org = app.org_id(&slug).await;
    let now: i64 = 1_764_244_800_000;
    let hour = 3_600_000;
    let times = [None, Some(now - hour), Some(now), Some(now + hour)];
    let mut cases = Vec::new();
    for revoked_at in times {
        for expires_at in times {
            for reason in [None, Some("rolled"), Some("leaked"), Some("replaced")] {
                let n = cases.len();
                sqlx::query(
                "INSERT INTO api_keys (organisation_id, name, prefix, key_hash, can_read, can_create,
                                       can_update, can_delete, created_at, revoked_at, revoked_reason, expires_at, checksummed)
                 VALUES ($1, $2, $3, $4, TRUE, FALSE, FALSE, FALSE, $5, $6, $7, $8, TRUE)",
            )
            .bind(org)
            .bind(format!("case {n}"))
            .bind(format!("sk_case{n:04}_x"))
            .bind(format!("hash-{n}"))
            .bind(now - 2 * hour)
            .bind(revoked_at)
            .bind(reason)
            .bind(expires_at)
            .execute(&app.state.db)
            .await
            .unwrap();
                cases.push((revoked_at, reason, expires_at));
            }
        }
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT name, CASE WHEN {} THEN 1 ELSE 0 END FROM api_keys k ORDER BY id",
        works_at("k.", "$1")
    ))
    .bind(now)
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), cases.len());
    for ((name, works), (revoked_at, reason, expires_at)) in rows.into_iter().zip(cases) {
        let expiry = expires_at.map_or(Expiry::NEVER, |at| Expiry::at(from_millis(at)));
        let revocation = Revocation::from_stored(revoked_at, reason);
        let status = KeyStatus::of(revocation, expiry, from_millis(now));
        assert_eq!(
            works == 1,
            status.works(),
            "{name}: revoked {revoked_at:?} ({reason:?}), expires {expires_at:?} ({status:?})"
        );
    }
}

/// Platform admins can revoke any working key by its prefix (audited in its
/// organisation); nobody else can.
#[tokio::test]
async fn a_platform_admin_revokes_a_key_by_its_prefix() {
    use leadline::admin::RevokeKeyByPrefix;
    let app = spawn_app().await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let created = app
        .create_key(&dev, "Found in a paste", Permissions::LEADS_CRUD)
        .await;
    let by_dev = app
        .call(
            Some(&dev),
            RevokeKeyByPrefix {
                prefix: created.key.prefix.clone(),
            },
        )
        .await;
    assert!(matches!(by_dev, Err(AppError::Forbidden(_))), "{by_dev:?}");
    app.user("root@leadline.test", true).await;
    let root = app.sign_in("root@leadline.test").await;
    let revoked = app
        .call(
            Some(&root),
            RevokeKeyByPrefix {
                prefix: created.key.prefix.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(revoked.status, KeyStatus::Revoked);
    let r = app
        .api(Method::GET, "/api/v1/leads", Some(&created.plaintext), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let again = app
        .call(
            Some(&root),
            RevokeKeyByPrefix {
                prefix: created.key.prefix.clone(),
            },
        )
        .await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
    let actor: String = sqlx::query_scalar(
        "SELECT actor FROM audit_entries WHERE action = 'key.revoked' AND key_prefix = $1",
    )
    .bind(&created.key.prefix)
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(actor, "root@leadline.test (platform admin)");
}
