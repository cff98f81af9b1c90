//! Key parsing and verification: the work every API request does before any
//! lead is read. Run with `cargo bench --features ssr --bench keys`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use leadline::app::startup;
use leadline::auth::accounts::create_user;
use leadline::auth::domain::MemberPermissions;
use leadline::auth::session::OrgScope;
use leadline::keys::domain::{Expiry, KeyName, NewKey, Permissions};
use leadline::keys::service;
use leadline::keys::token::ApiKey;
use leadline::keys::verify::{screen, verify};
use leadline::orgs::domain::Flag;
use leadline::orgs::service as orgs;
use leadline::platform::secret::TokenHash;
use leadline::platform::{config::Config, Clock};

fn parsing(c: &mut Criterion) {
    let key = ApiKey::generate();
    let raw = key.expose().to_owned();
    c.bench_function("parse a valid key", |b| {
        b.iter(|| ApiKey::parse(black_box(&raw)))
    });
    c.bench_function("check a key's checksum", |b| {
        b.iter(|| black_box(&key).has_valid_checksum())
    });
    c.bench_function("parse garbage", |b| {
        b.iter(|| ApiKey::parse(black_box("Bearer-ish garbage that is not a key at all")))
    });
    c.bench_function("sha-256 of a key", |b| {
        b.iter(|| TokenHash::of(black_box(&raw)))
    });
    c.bench_function("generate a key", |b| b.iter(ApiKey::generate));
}

/// A runtime and a fresh SQLite file (kept while the directory lives).
fn runtime_and_database(name: &str) -> (tokio::runtime::Runtime, tempfile::TempDir, String) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join(name).display());
    (runtime, dir, url)
}

/// The Developer scope of `user_id` in the organisation `slug`.
async fn scope(state: &leadline::app::AppState, slug: &str, user_id: i64) -> OrgScope {
    let org = leadline::orgs::data::find_organisation(&state.db, slug)
        .await
        .unwrap()
        .unwrap();
    OrgScope {
        id: org.id,
        slug: org.slug,
        name: org.name,
        user_id,
        actor: "bench".into(),
    }
}

fn bench_key() -> NewKey {
    NewKey {
        name: KeyName::parse("bench").unwrap(),
        permissions: Permissions::LEADS_CRUD,
        expiry: Expiry::NEVER,
    }
}

fn localhost() -> std::net::IpAddr {
    std::net::Ipv4Addr::LOCALHOST.into()
}

fn verification(c: &mut Criterion) {
    let (runtime, _dir, url) = runtime_and_database("bench.db");
    let (state, raw) = runtime.block_on(async {
        let state = startup::prepare(Config::for_tests(&url), Clock::system())
            .await
            .unwrap();
        let user = create_user(&state.db, "dev@acme.test", "bench password", false, 0)
            .await
            .unwrap();
        let slug = orgs::create_organisation(&state, "bench", "Acme")
            .await
            .unwrap();
        orgs::set_flag(&state, "bench", slug.as_str(), Flag::DeveloperApi, true)
            .await
            .unwrap();
        orgs::add_member(
            &state,
            slug.as_str(),
            "dev@acme.test",
            MemberPermissions {
                admin: false,
                developer: true,
            },
        )
        .await
        .unwrap();
        let scope = scope(&state, slug.as_str(), user).await;
        // Some other keys, so the look-up is by index, not a one-row table.
        for _ in 0..1000 {
            service::create(&state, &scope, bench_key(), false)
                .await
                .unwrap();
        }
        let created = service::create(&state, &scope, bench_key(), false)
            .await
            .unwrap();
        (state, created.plaintext)
    });
    let now = chrono::Utc::now().timestamp_millis();
    c.bench_function("verify a valid key (cached)", |b| {
        b.iter(|| {
            runtime
                .block_on(verify(&state, black_box(&raw), now, localhost))
                .unwrap()
        })
    });
    c.bench_function("verify a valid key (SQLite look-up)", |b| {
        b.iter(|| {
            state.credentials.forget_all();
            runtime
                .block_on(verify(&state, black_box(&raw), now, localhost))
                .unwrap()
        })
    });
    // A well-formed key with a valid checksum that no row has.
    let unknown = ApiKey::generate().expose().to_owned();
    c.bench_function("verify an unknown key (SQLite look-up)", |b| {
        b.iter(|| {
            runtime
                .block_on(verify(&state, black_box(&unknown), now, localhost))
                .unwrap_err()
        })
    });
    c.bench_function("verify a malformed key (no database)", |b| {
        b.iter(|| {
            runtime
                .block_on(verify(&state, black_box("garbage"), now, localhost))
                .unwrap_err()
        })
    });
    // A real key with one character mistyped: refused by its checksum.
    let mistyped = {
        let mut chars: Vec<char> = raw.chars().collect();
        chars[20] = if chars[20] == 'a' { 'b' } else { 'a' };
        chars.into_iter().collect::<String>()
    };
    c.bench_function("reject a bad checksum (no hashing, no database)", |b| {
        b.iter(|| screen(&state, black_box(&mistyped)).unwrap_err())
    });
    c.bench_function("commit an empty access change (SQLite, epoch moved)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let tx = state.begin_access_change().await.unwrap();
                tx.commit().await.unwrap()
            })
        })
    });
}

/// A whole API request through the real router, in process: the same lead
/// read with a Bearer key and on the unauthenticated benchmark route, so the
/// difference is what authentication costs a request, without wrk sharing
/// the cores. Needs `--features ssr,bench-routes`.
#[cfg(feature = "bench-routes")]
fn requests(c: &mut Criterion) {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let (runtime, _dir, url) = runtime_and_database("requests.db");
    std::env::set_var("LEADLINE_BENCH_ROUTES", "true");
    std::env::set_var("LEADLINE_DEMO_PASSWORD", "bench password");
    let (router, key) = runtime.block_on(async {
        let mut config = Config::for_tests(&url);
        config.api_rate_limit_per_minute = u32::MAX;
        config.demo = true;
        let state = startup::prepare(config, Clock::system()).await.unwrap();
        leadline::app::seed::seed_demo_if_empty(&state)
            .await
            .unwrap();
        let user = leadline::auth::data::find_user_by_email(&state.db, "dev@acme.test")
            .await
            .unwrap()
            .unwrap();
        let scope = scope(&state, "acme", user.id).await;
        let created = service::create(&state, &scope, bench_key(), false)
            .await
            .unwrap();
        (startup::app(state), created.plaintext)
    });
    let send = |request: Request<Body>| {
        runtime.block_on(async {
            let response = router.clone().oneshot(request).await.unwrap();
            assert!(response.status().is_success());
            response.into_body().collect().await.unwrap().to_bytes()
        })
    };
    c.bench_function("GET a lead, unauthenticated route", |b| {
        b.iter(|| {
            send(
                Request::get("/api/v1/_bench/orgs/1/leads/1")
                    .body(Body::empty())
                    .unwrap(),
            )
        })
    });
    c.bench_function("GET a lead with a Bearer key", |b| {
        b.iter(|| {
            send(
                Request::get("/api/v1/leads/1")
                    .header("authorization", format!("Bearer {key}"))
                    .body(Body::empty())
                    .unwrap(),
            )
        })
    });
}

#[cfg(feature = "bench-routes")]
criterion_group!(benches, parsing, verification, requests);
#[cfg(not(feature = "bench-routes"))]
criterion_group!(benches, parsing, verification);
criterion_main!(benches);
