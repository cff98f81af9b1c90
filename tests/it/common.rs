//! `spawn_app()`: the real router on a fresh SQLite file, driven over HTTP
//! semantics with `tower::ServiceExt::oneshot`.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower::ServiceExt;

use leadline::app::{startup, AppState};
use leadline::auth::accounts::create_user;
use leadline::auth::domain::MemberPermissions;
use leadline::auth::{SignIn, VerifySignInCode};
use leadline::error::AppError;
use leadline::keys::domain::{CreatedKey, Permissions};
use leadline::keys::CreateKey;
use leadline::orgs::domain::Flag;
use leadline::orgs::service as orgs;
use leadline::platform::{config::Config, Clock};

pub const PASSWORD: &str = "correct horse battery";
/// The authenticator secret of the test accounts with two-factor sign-in.
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// Leads: read, the permission most tests' keys need.
pub const READ: Permissions = Permissions {
    read: true,
    create: false,
    update: false,
    delete: false,
};

/// The content type a server function's input is sent in.
pub trait InputEncoding {
    const CONTENT_TYPE: &'static str;
}

impl<I: leptos::server_fn::codec::Encoding, O> InputEncoding for leptos::server_fn::Http<I, O> {
    const CONTENT_TYPE: &'static str = I::CONTENT_TYPE;
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    /// The SQLite file, when the test runs on SQLite.
    pub db_path: Option<std::path::PathBuf>,
    pub database_url: String,
    _dir: std::sync::Arc<tempfile::TempDir>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with settings changed first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn(configure, startup::leptos_options().unwrap()).await
}

/// Like `spawn_app`, serving the static files of the site at `site_root`.
pub async fn spawn_app_with_site(site_root: &std::path::Path, hashed_files: bool) -> TestApp {
    let mut options = startup::leptos_options().unwrap();
    options.site_root = site_root.to_string_lossy().as_ref().into();
    options.hash_files = hashed_files;
    spawn(|_| {}, options).await
}

/// The PostgreSQL server the tests run on instead of SQLite, if any:
/// `make test` starts a throwaway one and sets LEADLINE_TEST_POSTGRES.
pub fn test_postgres() -> Option<String> {
    std::env::var("LEADLINE_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A new, empty database for one test: a SQLite file named `name` in
/// `dir`, or a new database on the test PostgreSQL server.
pub async fn fresh_database(dir: &std::path::Path, name: &str) -> String {
    use sqlx::{Connection, Executor};
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some(server) = test_postgres() else {
        return format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    };
    sqlx::any::install_default_drivers();
    let database = format!(
        "t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    let mut conn = sqlx::AnyConnection::connect(&server).await.unwrap();
    conn.execute(format!("CREATE DATABASE {database}").as_str())
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{database}")
}

/// [`fresh_database`] for tests that are not async.
pub fn fresh_database_blocking(dir: &std::path::Path, name: &str) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fresh_database(dir, name))
}

async fn spawn(
    configure: impl FnOnce(&mut Config),
    options: leptos::config::LeptosOptions,
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(dir.path(), "leadline").await;
    let db_path = leadline::platform::db::database_path(&url);
    let clock = Clock::manual(Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap());
    let mut config = Config::for_tests(&url);
    configure(&mut config);
    let state = startup::prepare_with(config, clock, options).await.unwrap();
    let router = startup::app(state.clone());
    TestApp {
        state,
        router,
        db_path,
        database_url: url,
        _dir: std::sync::Arc::new(dir),
    }
}

impl TestApp {
    /// A second instance on the same database, as behind a load balancer:
    /// its own state, credential cache, limits and usage counters.
    pub async fn another_instance(&self) -> TestApp {
        self.another_instance_on(self.state.clock.clone()).await
    }

    /// [`Self::another_instance`] with its own clock: hosts' clocks differ.
    pub async fn another_instance_on(&self, clock: Clock) -> TestApp {
        let config = self.state.config.clone();
        let options = self.state.leptos_options.clone();
        let state = startup::prepare_with(config, clock, options).await.unwrap();
        let router = startup::app(state.clone());
        TestApp {
            state,
            router,
            db_path: self.db_path.clone(),
            database_url: self.database_url.clone(),
            _dir: std::sync::Arc::clone(&self._dir),
        }
    }
}

/// A signed-in browser: its session cookie.
#[derive(Clone, Debug)]
pub struct Session(pub String);

impl TestApp {
    /// A GET, as a browser sends it, with the session cookie if given.
    pub async fn get(
        &self,
        path: &str,
        session: Option<&Session>,
        accept_encoding: Option<&str>,
    ) -> Response {
        let mut request = Request::builder()
            .uri(path)
            .header(header::ACCEPT, "text/html");
        if let Some(Session(cookie)) = session {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(encoding) = accept_encoding {
            request = request.header(header::ACCEPT_ENCODING, encoding);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Response {
            status,
            headers,
            body,
        }
    }

    /// A user; a platform admin has two-factor sign-in on (the console
    /// needs it), with `TOTP_SECRET`, and `sign_in` gives its code.
    pub async fn user(&self, email: &str, platform_admin: bool) {
        create_user(&self.state.db, email, PASSWORD, platform_admin, 0)
            .await
            .unwrap();
        if platform_admin {
            self.turn_on_two_factor(email).await;
        }
    }

    /// Two-factor sign-in on for `email`, with `TOTP_SECRET`.
    pub async fn turn_on_two_factor(&self, email: &str) {
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled_at = 0 WHERE email = $2")
            .bind(TOTP_SECRET)
            .bind(email)
            .execute(&self.state.db)
            .await
            .unwrap();
    }

    /// The code the app of `email` (with `TOTP_SECRET`) shows now, by the
    /// server's clock.
    pub fn totp_code(&self, email: &str) -> String {
        leadline::auth::two_factor::Authenticator::new(TOTP_SECRET, email)
            .unwrap()
            .code_at(self.state.clock.now().timestamp() as u64)
    }

    /// An organisation with its Developer API flag as given.
    pub async fn org(&self, name: &str, developer_api: bool) -> String {
        let slug = orgs::create_organisation(&self.state, "operator (test)", name)
            .await
            .unwrap();
        orgs::set_flag(
            &self.state,
            "operator (test)",
            slug.as_str(),
            Flag::DeveloperApi,
            developer_api,
        )
        .await
        .unwrap();
        slug.as_str().to_owned()
    }

    /// The id of the organisation with this slug.
    pub async fn org_id(&self, slug: &str) -> i64 {
        leadline::orgs::data::find_organisation(&self.state.db, slug)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// A member of `slug`, with an account (password `PASSWORD`) made first
    /// when the email has none, as an operator would.
    pub async fn member(&self, slug: &str, email: &str, admin: bool, developer: bool) {
        let known = leadline::auth::data::find_user_by_email(&self.state.db, email)
            .await
            .unwrap()
            .is_some();
        if !known {
            self.user(email, false).await;
        }
        orgs::add_member(
            &self.state,
            slug,
            email,
            MemberPermissions { admin, developer },
        )
        .await
        .unwrap();
    }

    /// Calls a server function the way the hydrated page does: a POST in the
    /// function's own encoding (JSON, or URL-encoded for the form ones),
    /// asking for JSON back.
    pub async fn call<S>(&self, session: Option<&Session>, input: S) -> Result<S::Output, AppError>
    where
        S: ServerFn + Serialize,
        S::Output: DeserializeOwned,
        S::Protocol: InputEncoding,
    {
        let (response, _) = self.call_raw(session, input).await;
        if response.status.is_success() {
            Ok(serde_json::from_slice(&response.body).expect("server function output"))
        } else {
            Err(serde_json::from_slice(&response.body).expect("server function error"))
        }
    }

    pub async fn call_raw<S>(
        &self,
        session: Option<&Session>,
        input: S,
    ) -> (Response, Option<Session>)
    where
        S: ServerFn + Serialize,
        S::Protocol: InputEncoding,
    {
        self.post_server_fn::<S>(session, &input, "application/json")
            .await
    }

    /// A plain HTML form post to a server function, as a browser sends it
    /// before the wasm has loaded: the answer is a redirect.
    pub async fn post_form<S>(&self, session: Option<&Session>, input: S, referer: &str) -> Response
    where
        S: ServerFn + Serialize,
        S::Protocol: InputEncoding,
    {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(S::PATH)
            .header(header::CONTENT_TYPE, S::Protocol::CONTENT_TYPE)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, referer);
        if let Some(Session(cookie)) = session {
            request = request.header(header::COOKIE, cookie);
        }
        let body = serde_qs::to_string(&input).unwrap();
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    async fn post_server_fn<S>(
        &self,
        session: Option<&Session>,
        input: &S,
        accept: &str,
    ) -> (Response, Option<Session>)
    where
        S: ServerFn + Serialize,
        S::Protocol: InputEncoding,
    {
        let content_type = S::Protocol::CONTENT_TYPE;
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(S::PATH)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, accept);
        if let Some(Session(cookie)) = session {
            request = request.header(header::COOKIE, cookie);
        }
        let body = if content_type == "application/json" {
            serde_json::to_vec(input).unwrap()
        } else {
            serde_qs::to_string(input).unwrap().into_bytes()
        };
        let response = self.send(request.body(Body::from(body)).unwrap()).await;
        let cookie = response
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("leadline_session=") && !v.starts_with("leadline_session=;"))
            .map(|v| Session(v.split(';').next().unwrap().to_owned()));
        (response, cookie)
    }

    pub async fn sign_in_result(&self, email: &str) -> Result<(), AppError> {
        self.call(
            None,
            SignIn {
                email: email.into(),
                password: PASSWORD.into(),
            },
        )
        .await
    }

    /// Signs in with the password alone: the session, pending its second
    /// factor if the account has two-factor sign-in.
    pub async fn password_step(&self, email: &str) -> Session {
        let (response, session) = self
            .call_raw(
                None,
                SignIn {
                    email: email.into(),
                    password: PASSWORD.into(),
                },
            )
            .await;
        assert!(
            response.status.is_success(),
            "sign-in failed: {:?}",
            response.body
        );
        session.expect("session cookie")
    }

    pub async fn sign_in(&self, email: &str) -> Session {
        let session = self.password_step(email).await;
        let two_factor: (Option<i64>,) =
            sqlx::query_as("SELECT totp_enabled_at FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&self.state.db)
                .await
                .unwrap();
        if two_factor.0.is_none() {
            return session;
        }
        // The test clock may stand still: this helper's code is for a step
        // the account may have used already, which only a replay test minds.
        sqlx::query("UPDATE users SET totp_last_step = NULL WHERE email = $1")
            .bind(email)
            .execute(&self.state.db)
            .await
            .unwrap();
        let code = self.totp_code(email);
        let (response, full) = self
            .call_raw(Some(&session), VerifySignInCode { code })
            .await;
        assert!(
            response.status.is_success(),
            "second factor failed: {:?}",
            response.body
        );
        full.expect("session cookie after the second factor")
    }

    /// An organisation with the flag on and a signed-in developer in it.
    pub async fn developer(&self, org: &str, email: &str) -> (String, Session) {
        let slug = self.org(org, true).await;
        self.member(&slug, email, false, true).await;
        (slug, self.sign_in(email).await)
    }

    pub async fn create_key(
        &self,
        session: &Session,
        name: &str,
        permissions: Permissions,
    ) -> CreatedKey {
        self.call(
            Some(session),
            CreateKey {
                confirm_password: String::new(),
                name: name.into(),
                permissions,
                expires_at: String::new(),
            },
        )
        .await
        .unwrap()
    }

    pub async fn api(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }
}

/// A real SMTP server (aiosmtpd, installed by `make setup-test` in
/// `.tools/test`) that keeps each mail it accepts in a maildir.
pub struct MailServer {
    pub url: String,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

/// A mail as the SMTP server received it, decoded by Python's mail parser.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReceivedMail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

const TEST_PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.tools/test/bin/python");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl MailServer {
    pub async fn start() -> Self {
        assert!(
            std::path::Path::new(TEST_PYTHON).exists(),
            "the test tools are missing: run `make setup-test` (it installs aiosmtpd in .tools/test)"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = std::process::Command::new(TEST_PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    url: format!("smtp://127.0.0.1:{port}"),
                    dir,
                    child,
                };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Every mail received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        let maildir = self.dir.path().join("maildir");
        if !maildir.exists() {
            return Vec::new();
        }
        let out = std::process::Command::new(TEST_PYTHON)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/test-tools/maildir.py"
            ))
            .arg(&maildir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook receiver (scripts/test-tools/webhook_receiver.py) that checks
/// each delivery's signature with the Standard Webhooks reference library.
pub struct WebhookReceiver {
    pub url: String,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

/// A delivery as the receiver got it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReceivedWebhook {
    pub verified: bool,
    pub error: Option<String>,
    pub id: Option<String>,
    pub timestamp: Option<String>,
    pub body: serde_json::Value,
}

impl WebhookReceiver {
    pub async fn start() -> Self {
        assert!(
            std::path::Path::new(TEST_PYTHON).exists(),
            "the test tools are missing: run `make setup-test`"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = std::process::Command::new(TEST_PYTHON)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/test-tools/webhook_receiver.py"
            ))
            .arg(port.to_string())
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the webhook receiver");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    url: format!("http://127.0.0.1:{port}/hooks"),
                    dir,
                    child,
                };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the webhook receiver did not start on port {port}");
    }

    /// The secret it checks signatures with.
    pub fn expect_secret(&self, secret: &str) {
        std::fs::write(self.dir.path().join("secret"), secret).unwrap();
    }

    /// The status it answers with from now on.
    pub fn answer(&self, status: u16) {
        std::fs::write(self.dir.path().join("status"), status.to_string()).unwrap();
    }

    pub fn received(&self) -> Vec<ReceivedWebhook> {
        std::fs::read_to_string(self.dir.path().join("received.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
