//! Every list is answered from an index: the database's own plan for each
//! filter combination, on SQLite (`EXPLAIN QUERY PLAN`) and PostgreSQL
//! (`EXPLAIN`, with sequential scans and sorts priced out so that only a
//! missing index can make one appear). A plan that scans or sorts a
//! tenant's rows fails, whatever the table's size: cheaper and steadier
//! than timing a million rows (`make scale` does that).

use leadline::audit::AuditAction;
use leadline::leads::data::{deleted_query, list_query};
use leadline::leads::domain::{LeadFilter, LeadStatus};
use leadline::platform::db::{Backend, Filtered};

use crate::common::spawn_app;

/// The plan's lines, as the backend writes them.
async fn plan(app: &crate::common::TestApp, query: &Filtered) -> Vec<String> {
    plan_with(app, query, true).await
}

/// The plan, with PostgreSQL's sorts priced out or not (search results are
/// sorted: what matters there is that the rows are found from the index).
async fn plan_with(app: &crate::common::TestApp, query: &Filtered, no_sorts: bool) -> Vec<String> {
    let mut conn = app.state.db.acquire().await.unwrap();
    match Backend::of_pool(&app.state.db) {
        Backend::Sqlite => {
            let rows: Vec<(i64, i64, i64, String)> = query
                .prefixed("EXPLAIN QUERY PLAN ")
                .query_as()
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            rows.into_iter().map(|(_, _, _, detail)| detail).collect()
        }
        Backend::Postgres => {
            use sqlx::Executor;
            let setting = if no_sorts {
                "SET enable_seqscan = off; SET enable_sort = off"
            } else {
                "SET enable_seqscan = off"
            };
            conn.execute(setting).await.unwrap();
            let rows: Vec<(String,)> = query
                .prefixed("EXPLAIN ")
                .query_as()
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            conn.execute("RESET enable_seqscan; RESET enable_sort")
                .await
                .unwrap();
            rows.into_iter().map(|(line,)| line).collect()
        }
    }
}

/// Whether a plan reads the table through an index, in index order, with
/// each of `columns` in the index's condition (an index on the organisation
/// alone would still read every row of the tenant to filter them).
fn index_backed_on(plan: &[String], columns: &[&str]) -> bool {
    let condition: String = plan
        .iter()
        .filter(|line| line.starts_with("SEARCH ") || line.contains("Index Cond:"))
        .map(String::as_str)
        .collect();
    index_backed(plan) && columns.iter().all(|column| condition.contains(column))
}

/// Whether a plan reads the table through an index and in index order.
fn index_backed(plan: &[String]) -> bool {
    let scans = plan.iter().any(|line| {
        // SQLite: "SCAN leads" reads every row; "SEARCH … USING INDEX" does not.
        (line.starts_with("SCAN ")
            && !line.contains("USING")
            && !line.contains("VIRTUAL TABLE INDEX"))
            || line.contains("Seq Scan")
    });
    let sorts = plan.iter().any(|line| {
        line.contains("TEMP B-TREE")
            || line.trim_start().starts_with("Sort")
            || line.contains("-> Sort")
    });
    !scans && !sorts && !plan.is_empty()
}

#[tokio::test]
async fn the_lead_list_and_sync_feed_use_an_index_for_every_filter() {
    let app = spawn_app().await;
    let statuses = [None, Some(LeadStatus::Won)];
    let since = [None, Some(1_764_230_400_000)];
    for status in statuses {
        for updated_since in since {
            for paged in [false, true] {
                let filter = LeadFilter {
                    status,
                    updated_since,
                    before_id: (paged && updated_since.is_none()).then_some(500),
                    changed_after: (paged && updated_since.is_some())
                        .then_some((1_764_230_500_000, 500)),
                    ..Default::default()
                };
                let backend = Backend::of_pool(&app.state.db);
                let plan = plan(&app, &list_query(backend, 1, &filter, 26)).await;
                let mut columns = vec!["organisation_id"];
                columns.extend(status.map(|_| "status"));
                columns.extend(updated_since.map(|_| "updated_at"));
                assert!(index_backed_on(&plan, &columns), "{filter:?}: {plan:#?}");
            }
        }
    }
    for after in [None, Some((1_764_230_500_000, 7))] {
        let plan = plan(&app, &deleted_query(1, 1_764_230_400_000, after, 26)).await;
        assert!(
            index_backed_on(&plan, &["organisation_id", "deleted_at"]),
            "deleted feed {after:?}: {plan:#?}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_uses_an_index_for_its_action_filter_and_pages() {
    let app = spawn_app().await;
    for action in [None, Some(AuditAction::KeyCreated)] {
        for before in [None, Some(900)] {
            let query = leadline::audit::data::list_query(1, "", action, before, 51);
            let plan = plan(&app, &query).await;
            let columns: &[&str] = match action {
                Some(_) => &["organisation_id", "action"],
                None => &["organisation_id"],
            };
            assert!(
                index_backed_on(&plan, columns),
                "{action:?} {before:?}: {plan:#?}"
            );
        }
    }
}

#[tokio::test]
async fn search_finds_leads_from_its_indexes() {
    let app = spawn_app().await;
    let backend = Backend::of_pool(&app.state.db);
    // PostgreSQL plans by statistics: give it a tenant with rows to weigh.
    let slug = app.org("Acme", true).await;
    let org = app.org_id(&slug).await;
    if backend == Backend::Postgres {
        sqlx::query(
            "INSERT INTO leads (organisation_id, name, email, company, phone, status, source, notes, created_at, updated_at)
             SELECT $1, 'Lead ' || i, 'lead' || i || '@example.com', 'Company ' || (i % 100), '', 'new', '', '', i, i
             FROM generate_series(1, 5000) AS i",
        )
        .bind(org)
        .execute(&app.state.db)
        .await
        .unwrap();
        leadline::leads::service::fill_email_keys(&app.state.db)
            .await
            .unwrap();
        sqlx::query("ANALYZE leads")
            .execute(&app.state.db)
            .await
            .unwrap();
    }
    // Text around an "@" is looked for in the e-mail keys' B-tree, never
    // in the e-mails' trigrams; other text in the trigram indexes.
    let sqlite_email_keys = "SEARCH leads USING INDEX leads_email_local_key (organisation_id=? AND email_local_key>? AND email_local_key<?)";
    for (q, sqlite, postgres) in [
        (
            "analytical",
            &[
                "leads_search VIRTUAL TABLE INDEX",
                "leads_search_email VIRTUAL TABLE INDEX",
            ][..],
            &[
                "leads_search_name",
                "leads_search_email",
                "leads_search_company",
            ][..],
        ),
        (
            "ada@analytical",
            &["leads_search VIRTUAL TABLE INDEX", sqlite_email_keys][..],
            &[
                "leads_search_name",
                "leads_email_local_key",
                "leads_search_company",
            ][..],
        ),
    ] {
        let filter = LeadFilter {
            q: leadline::leads::domain::SearchText::parse(q).unwrap(),
            ..Default::default()
        };
        let plan = plan_with(&app, &list_query(backend, org, &filter, 26), false).await;
        let text = plan.join("\n");
        let full_scan = plan
            .iter()
            .any(|line| line == "SCAN leads" || line.contains("Seq Scan"));
        let from_index = match backend {
            Backend::Sqlite => sqlite.iter().all(|needle| text.contains(needle)),
            Backend::Postgres => postgres
                .iter()
                .all(|index| text.contains(&format!("Bitmap Index Scan on {index} "))),
        };
        let read_email_trigrams = q.contains('@')
            && (text.contains("leads_search_email ") || text.contains("leads_search_email\n"));
        assert!(
            from_index && !full_scan && !read_email_trigrams,
            "{q}: {plan:#?}"
        );
    }
}

/// Whether `table` is read through an index whose condition names each of
/// `columns`, never scanned: for aggregates and short sorted lists, whose
/// sort covers only the rows the index found.
fn searched(plan: &[String], table: &str, columns: &[&str]) -> bool {
    let scanned = plan.iter().any(|line| {
        line == &format!("SCAN {table}")
            || line.starts_with(&format!("SCAN {table} "))
            || line.contains(&format!("Seq Scan on {table}"))
    });
    let condition: String = plan
        .iter()
        .filter(|line| line.starts_with("SEARCH ") || line.contains("Index Cond:"))
        .map(String::as_str)
        .collect();
    !scanned && columns.iter().all(|column| condition.contains(column))
}

#[tokio::test]
async fn keys_usage_refusals_and_members_are_read_from_an_index() {
    use leadline::keys::data::KeyFilter;
    let app = spawn_app().await;
    let now = 1_764_244_800_000;
    let unused = KeyFilter::UnusedSince {
        before: now - 90 * 86_400_000,
        now,
    };
    for (filter, offset) in [(KeyFilter::All, 0), (KeyFilter::All, 40), (unused, 0)] {
        let plan = plan(
            &app,
            &leadline::keys::data::list_query(1, filter, 20, offset),
        )
        .await;
        assert!(
            index_backed_on(&plan, &["organisation_id"]),
            "keys {filter:?}: {plan:#?}"
        );
    }
    let cases = [
        (
            "key_usage",
            vec!["key_id", "hour"],
            leadline::keys::usage::data::key_buckets_query(7, now),
        ),
        (
            "key_usage",
            vec!["organisation_id", "hour"],
            leadline::keys::usage::data::organisation_buckets_query(1, now),
        ),
        (
            "u",
            vec!["organisation_id", "hour"],
            leadline::keys::usage::data::requests_by_key_query(1, now, None),
        ),
        (
            "u",
            vec!["organisation_id", "hour"],
            leadline::keys::usage::data::requests_by_key_query(1, now, Some("refused")),
        ),
        (
            "key_refusals",
            vec!["key_id"],
            leadline::keys::usage::data::refusals_query(7, 20),
        ),
        (
            "m",
            vec!["organisation_id"],
            leadline::orgs::data::members_query(1),
        ),
        (
            "api_keys",
            vec!["organisation_id", "expires_at"],
            leadline::keys::data::expiring_soon_query(1, now),
        ),
        (
            "api_keys",
            vec!["organisation_id", "revoked_at"],
            leadline::keys::data::leaked_query(1, now),
        ),
        (
            "k",
            vec!["organisation_id"],
            leadline::keys::data::count_query(1, KeyFilter::All, 1000),
        ),
    ];
    for (table, columns, query) in cases {
        let plan = plan_with(&app, &query, false).await;
        let table = if Backend::of_pool(&app.state.db) == Backend::Postgres {
            // PostgreSQL names the table, not its alias.
            match table {
                "u" => "key_usage",
                "m" => "memberships",
                "k" => "api_keys",
                other => other,
            }
        } else {
            table
        };
        assert!(
            searched(&plan, table, &columns),
            "{}: {plan:#?}",
            query.sql()
        );
    }
}

/// The check itself: a filter with no index behind it is caught, whether
/// the plan sorts or only filters the tenant's rows.
#[tokio::test]
async fn a_plan_without_an_index_is_caught() {
    let app = spawn_app().await;
    let mut sorted = Filtered::new("SELECT id FROM leads WHERE organisation_id = ");
    sorted.bind(1).push(" ORDER BY name LIMIT ").bind(10);
    let plan_sorted = plan(&app, &sorted).await;
    assert!(!index_backed(&plan_sorted), "{plan_sorted:#?}");
    let mut filtered = Filtered::new("SELECT id FROM leads WHERE organisation_id = ");
    filtered
        .bind(1)
        .push(" AND phone = ")
        .bind("x")
        .push(" ORDER BY id DESC LIMIT ")
        .bind(10);
    let plan_filtered = plan(&app, &filtered).await;
    assert!(
        !index_backed_on(&plan_filtered, &["organisation_id", "phone"]),
        "{plan_filtered:#?}"
    );
}

#[tokio::test]
async fn the_start_up_fill_of_email_keys_reads_only_unfilled_leads() {
    let app = spawn_app().await;
    let plan = plan(&app, &leadline::leads::data::unfilled_query(0, 1000)).await;
    assert!(
        plan.iter()
            .any(|line| line.contains("leads_email_keys_unfilled")),
        "{plan:#?}"
    );
    assert!(index_backed(&plan), "{plan:#?}");
}

#[tokio::test]
async fn the_request_log_uses_an_index_for_each_filter_and_pages() {
    use leadline::keys::requests::data::{list_query, Filter};
    use leadline::keys::requests::domain::StatusClass;
    let app = spawn_app().await;
    let cursor = Some((1_764_244_800_000, 7));
    let filters = [
        (Filter::default(), vec!["organisation_id"]),
        (
            Filter {
                key_prefix: Some("sk_AbCd1234_Ab".into()),
                before: cursor,
                ..Default::default()
            },
            vec!["organisation_id", "key_prefix"],
        ),
        (
            Filter {
                class: Some(StatusClass::ClientError),
                ..Default::default()
            },
            vec!["organisation_id", "status_class"],
        ),
        (
            Filter {
                class: Some(StatusClass::ServerError),
                before: cursor,
                ..Default::default()
            },
            vec!["organisation_id", "status_class"],
        ),
        // Successes are most rows: they are read from the time index, and
        // left out of the class index (fewer index writes per row).
        (
            Filter {
                class: Some(StatusClass::Success),
                ..Default::default()
            },
            vec!["organisation_id"],
        ),
        (
            Filter {
                code: Some("key_revoked".into()),
                before: cursor,
                ..Default::default()
            },
            vec!["organisation_id", "error_code"],
        ),
        (
            Filter {
                route: Some("/api/v1/leads/{id}".into()),
                ..Default::default()
            },
            vec!["organisation_id", "route"],
        ),
        (
            Filter {
                from: Some(1_764_244_800_000),
                to: Some(1_764_248_400_000),
                ..Default::default()
            },
            vec!["organisation_id", "occurred_at"],
        ),
    ];
    for (filter, columns) in filters {
        let plan = plan(&app, &list_query(1, &filter, 51)).await;
        assert!(index_backed_on(&plan, &columns), "{filter:?}: {plan:#?}");
    }
}

#[tokio::test]
async fn the_request_log_is_pruned_through_its_time_index() {
    let app = spawn_app().await;
    let query = leadline::keys::requests::data::prune_query(1, 1_764_244_800_000);
    let plan = plan(&app, &query).await;
    // PostgreSQL prices every index on the organisation alike on an empty
    // table; SQLite names the one the prune is written for.
    let columns: &[&str] = match Backend::of_pool(&app.state.db) {
        Backend::Sqlite => &["organisation_id", "occurred_at"],
        Backend::Postgres => &["organisation_id"],
    };
    assert!(index_backed_on(&plan, columns), "{plan:#?}");
}

/// Whether a plan reads no table in full (sorting a round's few rows is
/// fine: the scheduler's queries are not pages of a tenant's list).
fn searches_only(plan: &[String]) -> bool {
    !plan.is_empty()
        && !plan.iter().any(|line| {
            (line.starts_with("SCAN ") && !line.contains("USING")) || line.contains("Seq Scan")
        })
}

#[tokio::test]
async fn the_scheduler_finds_due_keys_new_events_and_due_mail_through_indexes() {
    use leadline::keys::data::{expired_query, expiring_query, retired_query, still_called_query};
    use leadline::notify::data::{
        deliveries_query, due_deliveries_query, due_query, outbox_query, unqueued_query,
    };
    use leadline::notify::domain::MailStatus;
    let app = spawn_app().await;
    let now = 1_764_244_800_000;
    let day = 86_400_000;
    let queries = [
        (
            "expiring",
            expiring_query(now, now + day, day, 500),
            "api_keys_expiring",
        ),
        (
            "expired",
            expired_query(now - 7 * day, now, 500),
            "api_keys_expiring",
        ),
        (
            "retired",
            retired_query(now - 7 * day, now, 500),
            "api_keys_retiring",
        ),
        (
            "still called",
            still_called_query(now - 3_600_000, now, 500),
            "key_usage_by_hour",
        ),
        ("new events", unqueued_query(200), "key_events_to_queue"),
        ("due mail", due_query(now, 200), "mail_outbox_due"),
        (
            "outbox by status",
            outbox_query(Some(MailStatus::Failed), Some(99), 51),
            "mail_outbox_by_status",
        ),
        (
            "due deliveries",
            due_deliveries_query(now, 200),
            "webhook_deliveries_due",
        ),
        (
            "delivery log",
            deliveries_query(3, Some(99), 51),
            "webhook_deliveries_by_endpoint",
        ),
    ];
    for (what, query, index) in queries {
        let plan = plan(&app, &query).await;
        assert!(searches_only(&plan), "{what}: {plan:#?}");
        // PostgreSQL prices indexes alike on empty tables; SQLite names
        // the one each query is written for.
        if Backend::of_pool(&app.state.db) == Backend::Sqlite {
            assert!(
                plan.iter().any(|line| line.contains(index)),
                "{what}: {plan:#?}"
            );
        }
    }
}
