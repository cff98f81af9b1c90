//! `spawn_app()`: the real router on a fresh SQLite file, driven over HTTP
//! semantics with `tower::ServiceExt::oneshot`.
#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower::ServiceExt;

use leadline::auth::accounts::create_user;
use leadline::auth::SignIn;
use leadline::error::AppError;
use leadline::keys::domain::{CreatedKey, Permissions};
use leadline::keys::CreateKey;
use leadline::orgs::domain::{Flag, MemberPermissions};
use leadline::orgs::service as orgs;
use leadline::server::{config::Config, startup, AppState, Clock};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub db_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
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
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("leadline.db");
    let url = format!("sqlite://{}", db_path.display());
    let clock = Clock::manual(Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap());
    let mut config = Config::for_tests(&url);
    configure(&mut config);
    let state = startup::prepare(config, clock).await.unwrap();
    let router = startup::app(state.clone());
    TestApp {
        state,
        router,
        db_path,
        _dir: dir,
    }
}

/// A signed-in browser: its session cookie.
#[derive(Clone, Debug)]
pub struct Session(pub String);

impl TestApp {
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

    pub async fn user(&self, email: &str, platform_admin: bool) {
        create_user(&self.state.db, email, PASSWORD, platform_admin, 0)
            .await
            .unwrap();
    }

    /// An organisation with its Developer API flag as given.
    pub async fn org(&self, name: &str, developer_api: bool) -> String {
        let slug = orgs::create_organisation(&self.state, name).await.unwrap();
        orgs::set_flag(
            &self.state,
            slug.as_str(),
            Flag::DeveloperApi,
            developer_api,
        )
        .await
        .unwrap();
        slug.as_str().to_owned()
    }

    pub async fn member(&self, slug: &str, email: &str, admin: bool, developer: bool) {
        orgs::add_member(
            &self.state,
            slug,
            email,
            Some(PASSWORD),
            MemberPermissions { admin, developer },
        )
        .await
        .unwrap();
    }

    /// Calls a server function the way the browser does (JSON POST).
    pub async fn call<S>(&self, session: Option<&Session>, input: S) -> Result<S::Output, AppError>
    where
        S: ServerFn + Serialize,
        S::Output: DeserializeOwned,
    {
        let (response, _) = self.call_raw(session, input).await;
        if response.status.is_success() {
            Ok(serde_json::from_slice(&response.body).expect("server function output"))
        } else {
            Err(serde_json::from_slice(&response.body).expect("server function error"))
        }
    }

    pub async fn call_raw<S: ServerFn + Serialize>(
        &self,
        session: Option<&Session>,
        input: S,
    ) -> (Response, Option<Session>) {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(S::PATH)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json");
        if let Some(Session(cookie)) = session {
            request = request.header(header::COOKIE, cookie);
        }
        let response = self
            .send(
                request
                    .body(Body::from(serde_json::to_vec(&input).unwrap()))
                    .unwrap(),
            )
            .await;
        let cookie = response
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("leadline_session=") && !v.starts_with("leadline_session=;"))
            .map(|v| Session(v.split(';').next().unwrap().to_owned()));
        (response, cookie)
    }

    pub async fn sign_in(&self, email: &str) -> Session {
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
