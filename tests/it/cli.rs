//! The operator CLI, run as a real process against a temporary database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn leadline(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("LEADLINE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn operators_create_users_and_organisations_and_set_flags() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database_blocking(dir.path(), "cli");

    let out = leadline(&db, &["migrate"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = leadline(
        &db,
        &[
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--password-stdin",
        ],
        "long enough password\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = leadline(&db, &["org", "create", "--name", "Globex Corp"], "");
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "globex-corp\n",
        "only the slug on stdout"
    );

    let out = leadline(
        &db,
        &[
            "org",
            "add-member",
            "--org",
            "globex-corp",
            "--email",
            "ops@example.com",
            "--developer",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = leadline(
        &db,
        &[
            "org",
            "set-flag",
            "--org",
            "globex-corp",
            "--flag",
            "developer-api",
            "--on",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn bad_input_gets_a_clear_message_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database_blocking(dir.path(), "cli");
    let out = leadline(
        &db,
        &[
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("at least 10 characters"));

    leadline(
        &db,
        &[
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--password-stdin",
        ],
        "long enough password\n",
    );
    let out = leadline(
        &db,
        &[
            "user",
            "create",
            "--email",
            "OPS@example.com",
            "--password-stdin",
        ],
        "long enough password\n",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("already exists"));

    let out = leadline(
        &db,
        &[
            "org",
            "add-member",
            "--org",
            "nope",
            "--email",
            "ops@example.com",
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("No organisation with slug \"nope\""));

    let out = leadline(
        &db,
        &[
            "org",
            "set-flag",
            "--org",
            "nope",
            "--flag",
            "developer-api",
        ],
        "",
    );
    assert!(!out.status.success(), "needs --on or --off");
    let out = leadline(&db, &["org", "create", "--name", "Acme"], "");
    assert!(out.status.success());
    let out = leadline(
        &db,
        &["org", "set-flag", "--org", "acme", "--flag", "beta", "--on"],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("Unknown flag"));
}

/// One HTTP/1.1 request over a raw socket; returns the status line.
fn http_get(port: u16, target: &str, authorization: Option<&str>) -> String {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn the_server_never_logs_a_full_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database_blocking(dir.path(), "logs");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .arg("serve")
        .env("DATABASE_URL", &db)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEADLINE_DEMO", "true")
        .env("LEADLINE_DEMO_PASSWORD", "long enough password")
        .env("LEADLINE_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read as the server writes: a full pipe (64 KiB of trace lines, the
    // migrations' SQL among them) would stop it before it listens.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(server.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(server.stderr.take().map(|p| Box::new(p) as _));
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "server did not start");

    let args = [
        "key",
        "create",
        "--org",
        "acme",
        "--email",
        "dev@acme.test",
        "--name",
        "logs",
        "--permissions",
        "read",
    ];
    let out = leadline(&db, &args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = text(&out.stdout).trim().to_owned();

    assert!(http_get(port, "/api/v1/leads", Some(&format!("Bearer {key}"))).contains("200"));
    assert!(http_get(port, &format!("/api/v1/leads?access_token={key}"), None).contains("400"));
    let wrong = format!("{}{}", &key[..14], "x".repeat(30));
    assert!(http_get(port, "/api/v1/leads", Some(&format!("Bearer {wrong}"))).contains("401"));
    assert!(http_get(port, "/api/v1/leads", Some(&format!("Bearer {key}x"))).contains("401"));

    server.kill().unwrap();
    server.wait().unwrap();
    let logs = format!("{}{}", stdout.join().unwrap(), stderr.join().unwrap());
    assert!(
        logs.contains("/api/v1/leads"),
        "requests were logged at all"
    );
    for secret in [&key[14..], &wrong[14..]] {
        assert!(!logs.contains(secret), "a key's secret part is in the logs");
    }
}

#[test]
fn operators_take_access_away_disable_reset_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database_blocking(dir.path(), "cli");
    let run = |args: &[&str], stdin: &str| {
        let out = leadline(&db, args, stdin);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        out
    };
    for email in ["boss@example.com", "ops@example.com"] {
        run(
            &["user", "create", "--email", email, "--password-stdin"],
            "long enough password\n",
        );
    }
    run(&["org", "create", "--name", "Globex"], "");
    run(
        &[
            "org",
            "add-member",
            "--org",
            "globex",
            "--email",
            "boss@example.com",
            "--admin",
        ],
        "",
    );
    run(
        &[
            "org",
            "add-member",
            "--org",
            "globex",
            "--email",
            "ops@example.com",
            "--developer",
        ],
        "",
    );

    let out = run(
        &["user", "reset-password", "--email", "ops@example.com"],
        "",
    );
    let link = text(&out.stdout);
    assert!(
        link.starts_with("/reset-password/") && link.trim().len() == "/reset-password/".len() + 64,
        "{link}"
    );

    run(&["user", "disable", "--email", "ops@example.com"], "");
    run(&["user", "enable", "--email", "ops@example.com"], "");
    run(
        &[
            "org",
            "remove-member",
            "--org",
            "globex",
            "--email",
            "ops@example.com",
        ],
        "",
    );

    // The last admin stays, with a clear message and a non-zero exit.
    let out = leadline(
        &db,
        &[
            "org",
            "remove-member",
            "--org",
            "globex",
            "--email",
            "boss@example.com",
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at least one admin"),
        "{}",
        text(&out.stderr)
    );
    let out = leadline(
        &db,
        &["user", "disable", "--email", "nobody@example.com"],
        "",
    );
    assert!(!out.status.success());
}

/// SIGTERM: requests in flight finish, and the usage counted since the last
/// flush is written before the process exits (the flusher is stopped between
/// flushes, not aborted in the middle of one).
#[tokio::test]
async fn usage_is_written_at_graceful_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database(dir.path(), "shutdown").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .arg("serve")
        .env("DATABASE_URL", &db)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEADLINE_DEMO", "true")
        .env("LEADLINE_DEMO_PASSWORD", "long enough password")
        .env("LEADLINE_USAGE_FLUSH_SECS", "3600")
        .env("LEADLINE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "server did not start");
    let args = [
        "key",
        "create",
        "--org",
        "acme",
        "--email",
        "dev@acme.test",
        "--name",
        "count",
        "--permissions",
        "read",
    ];
    let out = leadline(&db, &args, "");
    let key = text(&out.stdout).trim().to_owned();
    for _ in 0..3 {
        assert!(http_get(port, "/api/v1/leads", Some(&format!("Bearer {key}"))).contains("200"));
    }
    let pid = server.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let output = server.wait_with_output().unwrap();
    assert!(output.status.success(), "a clean exit on SIGTERM");

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT request_count FROM api_keys WHERE name = 'count'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 3);
}

#[test]
fn a_bad_trusted_proxies_setting_stops_start_up_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_database_blocking(dir.path(), "cli");
    let out = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .arg("migrate")
        .env("DATABASE_URL", &db)
        .env("LEADLINE_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("LEADLINE_TRUSTED_PROXIES: \"proxy.internal\""),
        "{}",
        text(&out.stderr)
    );
}

/// When the CLI cannot tell a running server about a change (the epoch file
/// beside the database cannot be opened), it says so and exits non-zero
/// instead of reporting a success the server would not see.
#[test]
fn the_cli_fails_when_a_running_server_could_not_see_its_change() {
    if crate::common::test_postgres().is_some() {
        return; // PostgreSQL tells servers with NOTIFY; no file is involved.
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cli.db");
    let db = format!("sqlite://{}", path.display());
    // A directory where the epoch file should be: it cannot be opened.
    std::fs::create_dir(dir.path().join("cli.db-auth-epoch")).unwrap();
    let out = leadline(&db, &["org", "create", "--name", "Globex"], "");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("a running server would not see this change"),
        "{}",
        text(&out.stderr)
    );
}

/// `leadline key scan`: keys with a valid checksum are found (file, line,
/// column, prefix, never the secret); near-misses are not; exit codes say
/// which. No database is opened.
#[test]
fn key_scan_finds_real_keys_and_ignores_near_misses() {
    let dir = tempfile::tempdir().unwrap();
    let key = leadline::keys::token::ApiKey::generate();
    let raw = key.expose();
    let mut typo = raw.to_owned();
    typo.replace_range(25..26, if &raw[25..26] == "k" { "m" } else { "k" });
    let leaky = dir.path().join("deploy.env");
    std::fs::write(&leaky, format!("# config\nLEADLINE_KEY={raw}\n")).unwrap();
    let near = dir.path().join("near.txt");
    std::fs::write(
        &near,
        format!(
            "typo {typo}\nglued x{raw}\nlonger {raw}0\ncut {}\nsample sk_AbCd1234_0123456789abcdefghijABCDEFGHIJKL\n",
            &raw[..40]
        ),
    )
    .unwrap();
    let scan = |files: &[&std::path::Path]| {
        let mut args = vec!["key", "scan"];
        args.extend(files.iter().map(|p| p.to_str().unwrap()));
        // No database: a URL that can't be opened proves none is needed.
        leadline("sqlite:///nonexistent/dir/x.db", &args, "")
    };

    let out = scan(&[&leaky, &near]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with(&format!(
        "{}:2:14: Leadline API key {}",
        leaky.display(),
        key.prefix()
    )));
    assert!(!stdout.contains(&raw[14..]), "the secret is never printed");

    let out = scan(&[&near]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = scan(&[&dir.path().join("missing.txt")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.txt"));
}

/// A deployment never gets a demo admin by accident: the demo is created
/// only when asked for (LEADLINE_DEMO=true), on an empty database.
#[tokio::test]
async fn the_demo_is_seeded_only_when_asked_for() {
    use leadline::app::seed::seed_demo_if_empty;
    let users = |app: &crate::common::TestApp| {
        let db = app.state.db.clone();
        async move { leadline::auth::data::count_users(&db).await.unwrap() }
    };
    let plain = crate::common::spawn_app().await;
    seed_demo_if_empty(&plain.state).await.unwrap();
    assert_eq!(users(&plain).await, 0);

    let demo = crate::common::spawn_app_with(|c| c.demo = true).await;
    seed_demo_if_empty(&demo.state).await.unwrap();
    assert!(users(&demo).await >= 2, "the demo admin and developer");
    assert!(
        leadline::auth::data::find_user_by_email(&demo.state.db, "admin@leadline.test")
            .await
            .unwrap()
            .is_some_and(|u| u.is_platform_admin)
    );
}

/// The browser tests' movable clock is compiled only into their build: any
/// other binary refuses to start with LEADLINE_TEST_CLOCK_FILE set (a
/// negative offset would revive revoked keys).
#[test]
fn a_build_without_the_test_clock_refuses_the_test_clock_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .arg("serve")
        .env("LEADLINE_TEST_CLOCK_FILE", dir.path().join("offset"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("x.db").display()),
        )
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("this build has no test clock"));
}
