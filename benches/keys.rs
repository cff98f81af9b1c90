//! Key parsing and verification: the work every API request does before any
//! lead is read. Run with `cargo bench --features ssr --bench keys`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use leadline::api::auth::verify;
use leadline::auth::accounts::create_user;
use leadline::auth::session::OrgScope;
use leadline::keys::domain::{ApiKey, Expiry, KeyHash, KeyName, NewKey, Permissions};
use leadline::keys::service;
use leadline::orgs::domain::{Flag, MemberPermissions};
use leadline::orgs::service as orgs;
use leadline::server::{config::Config, startup, Clock};

fn parsing(c: &mut Criterion) {
    let key = ApiKey::generate();
    let raw = key.expose().to_owned();
    c.bench_function("parse a valid key", |b| {
        b.iter(|| ApiKey::parse(black_box(&raw)))
    });
    c.bench_function("parse garbage", |b| {
        b.iter(|| ApiKey::parse(black_box("Bearer-ish garbage that is not a key at all")))
    });
    c.bench_function("sha-256 of a key", |b| {
        b.iter(|| KeyHash::of(black_box(&raw)))
    });
    c.bench_function("generate a key", |b| b.iter(ApiKey::generate));
}

fn verification(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
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
        let org = leadline::orgs::data::find_organisation(&state.db, slug.as_str())
            .await
            .unwrap()
            .unwrap();
        let scope = OrgScope {
            id: org.id,
            slug: org.slug,
            name: org.name,
            user_id: user,
            actor: "bench".into(),
        };
        // Some other keys, so the look-up is by index, not a one-row table.
        let new = || NewKey {
            name: KeyName::parse("bench").unwrap(),
            permissions: Permissions::LEADS_CRUD,
            expiry: Expiry::NEVER,
        };
        for _ in 0..1000 {
            service::create(&state, &scope, new(), false).await.unwrap();
        }
        let created = service::create(&state, &scope, new(), false).await.unwrap();
        (state, created.plaintext)
    });
    let now = chrono::Utc::now().timestamp_millis();
    c.bench_function("verify a valid key (cached)", |b| {
        b.iter(|| {
            runtime
                .block_on(verify(&state, black_box(&raw), now))
                .unwrap()
        })
    });
    c.bench_function("verify a valid key (SQLite look-up)", |b| {
        b.iter(|| {
            state.credentials.invalidate();
            runtime
                .block_on(verify(&state, black_box(&raw), now))
                .unwrap()
        })
    });
    let unknown = format!("sk_ZZZZZZZZ_{}", "y".repeat(32));
    c.bench_function("verify an unknown key (SQLite look-up)", |b| {
        b.iter(|| {
            runtime
                .block_on(verify(&state, black_box(&unknown), now))
                .unwrap_err()
        })
    });
    c.bench_function("verify a malformed key (no database)", |b| {
        b.iter(|| {
            runtime
                .block_on(verify(&state, black_box("garbage"), now))
                .unwrap_err()
        })
    });
    c.bench_function("invalidate the cache (shared-memory epoch)", |b| {
        b.iter(|| state.credentials.invalidate())
    });
}

criterion_group!(benches, parsing, verification);
criterion_main!(benches);
