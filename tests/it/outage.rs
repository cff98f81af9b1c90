//! A database that goes away: PostgreSQL stopped under a running instance.
//! Requests are answered at once (503 `service_unavailable`, with
//! Retry-After), not waited out; the probes say what is wrong; and service
//! comes back by itself when the database does. Runs on a PostgreSQL
//! cluster of its own (the shared test server cannot be stopped), in the
//! PostgreSQL pass of `make test`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};

use crate::common::{spawn_app_with, test_postgres, READ};

/// A throwaway PostgreSQL cluster this test may stop and start.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    fn new() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries")
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max()
            .expect("initdb");
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self { bin, dir, port };
        if as_root() {
            Command::new("chown")
                .args(["-R", "postgres"])
                .arg(cluster.dir.path())
                .status()
                .unwrap();
        }
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-U",
                "leadline",
                "-A",
                "trust",
                "--no-locale",
            ],
        );
        cluster.start();
        cluster.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "leadline",
                "leadline",
            ],
        );
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://leadline@127.0.0.1:{}/leadline", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let status = if as_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(program)
                .args(args)
                .output()
        } else {
            Command::new(program).args(args).output()
        }
        .unwrap();
        assert!(
            status.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
        if as_root() {
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .args(["-D", &self.data(), "-m", "immediate", "stop"])
                .output();
        }
    }
}

fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_is_answered_at_once_and_service_resumes_by_itself() {
    if test_postgres().is_none() {
        // The PostgreSQL pass runs it (SQLite is a file: it cannot stop).
        return;
    }
    let cluster = tokio::task::spawn_blocking(Cluster::new).await.unwrap();
    let url = cluster.url();
    let app = spawn_app_with(|config| config.database_url = url).await;
    let (_, dev) = app.developer("Acme", "dev@acme.test").await;
    let key = app.create_key(&dev, "Sync", READ).await.plaintext;
    assert_eq!(
        app.api(Method::GET, "/api/v1/leads", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.get("/readyz", None, None).await.status, StatusCode::OK);

    let cluster = tokio::task::spawn_blocking(move || {
        cluster.stop();
        cluster
    })
    .await
    .unwrap();

    let asked = Instant::now();
    let refused = app
        .api(Method::GET, "/api/v1/leads", Some(&key), None)
        .await;
    let waited = asked.elapsed();
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");
    assert_eq!(refused.json()["code"], "service_unavailable");
    assert_eq!(refused.header("retry-after"), "5");
    assert_eq!(refused.header("content-type"), "application/problem+json");
    let ready = app.get("/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["database"], "unavailable");
    assert_eq!(app.get("/healthz", None, None).await.status, StatusCode::OK);
    let page = app.get("/leads", Some(&dev), None).await;
    assert!(
        String::from_utf8_lossy(&page.body).contains("Leadline is unavailable"),
        "the dashboard says so"
    );
    // The request log's rows wait in memory while the database is away: a
    // write that fails (its COPY, on a connection of its own) loses none.
    let log = &app.state.keys.requests;
    let waiting = log.waiting();
    assert!(
        waiting >= 2,
        "the answered and the refused request: {waiting}"
    );
    assert!(log.flush().await.is_err());
    assert_eq!(log.waiting(), waiting, "put back for the next write");

    let cluster = tokio::task::spawn_blocking(move || {
        cluster.start();
        cluster
    })
    .await
    .unwrap();
    let back = Instant::now();
    loop {
        let ready = app.get("/readyz", None, None).await.status == StatusCode::OK;
        if ready
            && app
                .api(Method::GET, "/api/v1/leads", Some(&key), None)
                .await
                .status
                == StatusCode::OK
        {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "service did not resume within 5 s of the database's return"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Once it is back, the next write has them all.
    let written = log.flush().await.unwrap();
    assert!(written >= waiting, "{written} of at least {waiting}");
    let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_log")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(usize::try_from(logged).unwrap(), written);
    drop(cluster);
}
