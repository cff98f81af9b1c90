//! `make scale`: how each list grows from 1,000 to 1,000,000 leads (with
//! 100,000 audit entries and 10,000 keys) in one organisation, on SQLite
//! and, with LEADLINE_SCALE_POSTGRES set to a server's URL, on PostgreSQL.
//! A benchmark, not a test: it seeds through SQL, then times requests
//! through the real router (no network), and prints the median and p99 of
//! each list kind at both sizes with their growth. Figures in
//! docs/benchmarks.md.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request};
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use tower::ServiceExt;

use leadline::app::{startup, AppState};
use leadline::auth::accounts::create_user;
use leadline::auth::domain::MemberPermissions;
use leadline::auth::session::OrgScope;
use leadline::keys::domain::{Expiry, KeyName, NewKey, Permissions};
use leadline::orgs::domain::Flag;
use leadline::orgs::service as orgs;
use leadline::platform::db::Backend;
use leadline::platform::{config::Config, Clock};

const SAMPLES: usize = 41;
const PASSWORD: &str = "scale bench password";
/// The seeded times: lead `i` was created and updated at `BASE + i` ms.
const BASE: i64 = 1_764_000_000_000;

struct Size {
    leads: i64,
    audit: i64,
    keys: i64,
}

const SMALL: Size = Size {
    leads: 1_000,
    audit: 100,
    keys: 10,
};
const LARGE: Size = Size {
    leads: 1_000_000,
    audit: 100_000,
    keys: 10_000,
};

struct Bench {
    state: AppState,
    router: axum::Router,
    org: i64,
    key: String,
    cookie: String,
}

impl Bench {
    async fn send(&self, request: Request<Body>) -> (u16, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
    }

    async fn api(&self, path: &str) -> (u16, Vec<u8>) {
        let request = Request::builder()
            .method(Method::GET)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.key))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn server_fn<S: ServerFn + serde::Serialize>(&self, input: S) -> (u16, Vec<u8>) {
        let request = Request::builder()
            .method(Method::POST)
            .uri(S::PATH)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, &self.cookie)
            .body(Body::from(serde_json::to_vec(&input).unwrap()))
            .unwrap();
        self.send(request).await
    }
}

async fn setup(url: &str) -> Bench {
    let mut config = Config::for_tests(url);
    config.api_rate_limit_per_minute = u32::MAX / 2;
    let state = startup::prepare(config, Clock::system()).await.unwrap();
    let user = create_user(&state.db, "dev@scale.test", PASSWORD, false, 0)
        .await
        .unwrap();
    let slug = orgs::create_organisation(&state, "bench", "Scale")
        .await
        .unwrap();
    orgs::set_flag(&state, "bench", slug.as_str(), Flag::DeveloperApi, true)
        .await
        .unwrap();
    orgs::add_member(
        &state,
        slug.as_str(),
        "dev@scale.test",
        MemberPermissions {
            admin: true,
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
    let new_key = NewKey {
        name: KeyName::parse("Zapier, leads sync").unwrap(),
        permissions: Permissions::LEADS_CRUD,
        expiry: Expiry::NEVER,
    };
    let key = leadline::keys::service::create(&state, &scope, new_key, false)
        .await
        .unwrap()
        .plaintext;
    let router = startup::app(state.clone());
    let sign_in = Request::builder()
        .method(Method::POST)
        .uri(<leadline::auth::SignIn as ServerFn>::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email=dev%40scale.test&password={}",
            PASSWORD.replace(' ', "+")
        )))
        .unwrap();
    let response = router.clone().oneshot(sign_in).await.unwrap();
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    Bench {
        state,
        router,
        org: org.id,
        key,
        cookie,
    }
}

/// Rows numbered `from + 1 ..= to`, for the backend's bulk insert.
fn series(backend: Backend, from: i64, to: i64) -> String {
    match backend {
        Backend::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT {} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) ",
            from + 1
        ),
        Backend::Postgres => String::new(),
    }
}

fn source(backend: Backend, from: i64, to: i64) -> String {
    match backend {
        Backend::Sqlite => "FROM n".to_owned(),
        Backend::Postgres => format!("FROM generate_series({}, {to}) AS i", from + 1),
    }
}

/// Grows the organisation to `size`, from `from`.
async fn seed(bench: &Bench, from: &Size, size: &Size) {
    let backend = Backend::of_pool(&bench.state.db);
    let db = &bench.state.db;
    let org = bench.org;
    let started = Instant::now();
    // One lead in 1,000 is won; each has a unique email.
    sqlx::query(&format!(
        "{}INSERT INTO leads (organisation_id, name, email, company, phone, status, source, notes, created_at, updated_at)
         SELECT {org}, 'Lead ' || i, 'lead' || i || '@example.com', 'Company ' || (i % 5000), '',
                CASE WHEN i % 1000 = 0 THEN 'won' ELSE 'new' END, 'Seed', '', {BASE} + i, {BASE} + i {}",
        series(backend, from.leads, size.leads),
        source(backend, from.leads, size.leads)
    ))
    .execute(db)
    .await
    .unwrap();
    // What a server filling rows from before the e-mail keys does at start.
    leadline::leads::service::fill_email_keys(db).await.unwrap();
    sqlx::query(&format!(
        "{}INSERT INTO audit_entries (organisation_id, occurred_at, actor, action, key_prefix, key_name, details)
         SELECT {org}, {BASE} + i, 'dev@scale.test', CASE WHEN i % 100 = 0 THEN 'key.created' ELSE 'lead.updated' END,
                NULL, NULL, '' {}",
        series(backend, from.audit, size.audit),
        source(backend, from.audit, size.audit)
    ))
    .execute(db)
    .await
    .unwrap();
    let truthy = match backend {
        Backend::Sqlite => "1",
        Backend::Postgres => "TRUE",
    };
    sqlx::query(&format!(
        "{}INSERT INTO api_keys (organisation_id, name, prefix, key_hash, can_read, can_create, can_update, can_delete,
                              created_at, checksummed)
         SELECT {org}, 'Seeded ' || i, 'sk_seed' || i, 'seeded-hash-' || i, {truthy}, {truthy}, {truthy}, {truthy},
                {BASE} + i, {truthy} {}",
        series(backend, from.keys, size.keys),
        source(backend, from.keys, size.keys)
    ))
    .execute(db)
    .await
    .unwrap();
    if backend == Backend::Postgres {
        // As autovacuum would have by now in a database this size.
        sqlx::query("VACUUM ANALYZE").execute(db).await.unwrap();
    }
    eprintln!(
        "seeded {} leads, {} audit entries, {} keys in {:.1?}",
        size.leads,
        size.audit,
        size.keys,
        started.elapsed()
    );
}

/// Median and p99 of `SAMPLES` calls, after three to warm up.
async fn time<F, Fut>(call: F) -> (Duration, Duration)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (u16, Vec<u8>)>,
{
    for _ in 0..3 {
        let (status, body) = call().await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let (status, _) = call().await;
        times.push(started.elapsed());
        assert_eq!(status, 200);
    }
    times.sort();
    let p99 = times[(SAMPLES * 99).div_ceil(100) - 1];
    (times[SAMPLES / 2], p99)
}

type Timings = Vec<(&'static str, (Duration, Duration))>;

async fn measure(bench: &Bench, size: &Size) -> Timings {
    let first: serde_json::Value =
        serde_json::from_slice(&bench.api("/api/v1/leads").await.1).unwrap();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let newest = first["data"][0]["id"].as_i64().unwrap();
    // The last ten changes: what a sync client polling each minute meets.
    let recent = chrono::DateTime::from_timestamp_millis(BASE + size.leads - 10)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let rare = format!("lead{}@", size.leads / 2 + 7);
    let mut timings: Timings = Vec::new();
    let cursor_path = format!("/api/v1/leads?cursor={cursor}");
    let one = format!("/api/v1/leads/{newest}");
    let sync = format!("/api/v1/leads?updated_since={recent}");
    let search = format!("/api/v1/leads?q={rare}");
    let deleted = format!("/api/v1/leads/deleted?since={recent}");
    for (label, path) in [
        ("leads: first page", "/api/v1/leads"),
        ("leads: cursor page", cursor_path.as_str()),
        ("leads: get one", one.as_str()),
        ("leads: status=won (0.1%)", "/api/v1/leads?status=won"),
        ("leads: sync poll (updated_since)", sync.as_str()),
        ("leads: search a rare email (q)", search.as_str()),
        ("leads: deleted feed", deleted.as_str()),
    ] {
        timings.push((label, time(|| bench.api(path)).await));
    }
    timings.push((
        "audit log: first page",
        time(|| {
            bench.server_fn(leadline::audit::ListAudit {
                prefix: String::new(),
                action: String::new(),
                before: None,
            })
        })
        .await,
    ));
    timings.push((
        "audit log: action filter",
        time(|| {
            bench.server_fn(leadline::audit::ListAudit {
                prefix: String::new(),
                action: "key.created".into(),
                before: None,
            })
        })
        .await,
    ));
    timings.push((
        "keys: first page",
        time(|| {
            bench.server_fn(leadline::keys::ListKeys {
                page: 1,
                unused_only: false,
                open: None,
            })
        })
        .await,
    ));
    timings.push((
        "members",
        time(|| bench.server_fn(leadline::orgs::ListMembers {})).await,
    ));
    timings
}

/// How many request-log rows a flush writes per second, into a log that
/// already holds a million: past this rate an instance drops rows.
async fn request_log_rate(bench: &Bench) -> f64 {
    use leadline::keys::requests::recorder::{
        logged_prefix, NewLoggedRequest, RequestLog, RequestTexts,
    };
    const BATCH: usize = 20_000;
    let log = RequestLog::holding(bench.state.db.clone(), BATCH);
    let row = |n: usize| NewLoggedRequest {
        request_id: leadline::error::request_id::RequestId::new(),
        organisation_id: bench.org,
        key_id: 1,
        key_prefix: logged_prefix("sk_scale000_Ab"),
        occurred_at: BASE + n as i64,
        method: axum::http::Method::GET,
        route: "/api/v1/leads/{id}",
        texts: RequestTexts::new(&format!("/api/v1/leads/{n}?fields=name"), "zapier-sync/2.1"),
        status: if n.is_multiple_of(50) { 404 } else { 200 },
        error_code: n.is_multiple_of(50).then_some("not_found"),
        client_ip: std::net::Ipv4Addr::new(203, 0, 113, 7).into(),
        latency_us: 180,
        response_bytes: Some(420),
    };
    let mut n = 0;
    let mut fill = |log: &RequestLog| {
        for _ in 0..BATCH {
            log.push(row(n));
            n += 1;
        }
    };
    // A million rows first, as 14 days of a busy organisation would leave.
    for _ in 0..50 {
        fill(&log);
        log.flush().await.unwrap();
    }
    let mut rates = Vec::new();
    for _ in 0..5 {
        fill(&log);
        let started = Instant::now();
        assert_eq!(log.flush().await.unwrap(), BATCH);
        rates.push(BATCH as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("LEADLINE_SCALE_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("scale.db").display()));
    let backend = Backend::of(&url).unwrap();
    runtime.block_on(async {
        let bench = setup(&url).await;
        let none = Size {
            leads: 0,
            audit: 0,
            keys: 0,
        };
        seed(&bench, &none, &SMALL).await;
        let small = measure(&bench, &SMALL).await;
        seed(&bench, &SMALL, &LARGE).await;
        let large = measure(&bench, &LARGE).await;
        println!("\n{backend:?}: median and p99 in ms, 1k leads → 1M leads\n");
        println!("| list | 1k median | 1k p99 | 1M median | 1M p99 | growth (median) |");
        println!("|---|---|---|---|---|---|");
        for ((label, (m1, p1)), (_, (m2, p2))) in small.iter().zip(&large) {
            println!(
                "| {label} | {} | {} | {} | {} | ×{:.1} |",
                ms(*m1),
                ms(*p1),
                ms(*m2),
                ms(*p2),
                m2.as_secs_f64() / m1.as_secs_f64()
            );
        }
        let rate = request_log_rate(&bench).await;
        println!(
            "\n{backend:?}: the request log writes {rate:.0} rows a second (median of 5 flushes of 20,000, into a log of 1M rows)"
        );
    });
}
