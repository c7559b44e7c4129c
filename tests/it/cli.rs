//! The `helpline` binary as an operator uses it.

use std::process::Command;

fn helpline(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_helpline"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("HELPLINE_DATABASE_URL");
    command
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["token", "create", "--help"],
        vec!["user", "create", "--help"],
        vec!["config", "--help"],
    ] {
        let out = helpline(dir.path()).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn token_create_prints_only_the_token_and_users_can_be_created() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = helpline(dir.path()).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let out = helpline(dir.path())
        .args(["token", "create", "--role", "integration"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<_> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(lines[0].starts_with("hl_") && lines[0].len() > 40);

    let bad = helpline(dir.path())
        .args(["token", "create", "--role", "wizard"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role"));

    let mut create = helpline(dir.path())
        .args([
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "Ops Person",
            "--role",
            "supervisor",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"a strong password\n")
        .unwrap();
    let done = create.wait_with_output().unwrap();
    assert!(done.status.success());
    assert!(String::from_utf8_lossy(&done.stdout).contains("Created ops@example.com (supervisor)"));
    let list = helpline(dir.path())
        .args(["user", "list"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("ops@example.com"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secrets.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_bad_configuration_is_reported_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("helpline.toml");
    std::fs::write(&config, "[server]\nadress = \"1.2.3.4:5\"\n").unwrap();
    let out = helpline(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("adress"));
    let unknown_db = helpline(dir.path())
        .args(["--database-url", "mysql://x/y", "migrate"])
        .output()
        .unwrap();
    assert!(!unknown_db.status.success());
    assert!(String::from_utf8_lossy(&unknown_db.stderr).contains("use sqlite://PATH"));
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = helpline(dir.path())
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(
        first.starts_with("Helpline is running at http://127.0.0.1:"),
        "{first}"
    );
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
}
