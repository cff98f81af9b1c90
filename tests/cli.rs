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
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());

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
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
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
