//! `secret auth` and `secret tls` through the built binary, against real kubectl, openssl and
//! a real credential-helper process.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

use crate::support::{bin, fixture};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The binary with a clean credential environment (no password, docker config or podman file
/// from the machine running the tests).
fn cmd(home: &Path) -> assert_cmd::Command {
    let mut c = bin();
    c.env_remove("PORCH_REGISTRY_PASSWORD")
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env("HOME", home);
    c
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn stdout_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn dockerconfigjson_of(secret: &Value) -> Vec<u8> {
    B64.decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
        .unwrap()
}

/// What `kubectl create secret docker-registry --dry-run=client -o json` makes.
fn kubectl_secret(server: &str, user: &str, password: &str, email: Option<&str>) -> Value {
    let mut c = Command::new("kubectl");
    c.args([
        "create",
        "secret",
        "docker-registry",
        "registry-auth-secret",
        "-n",
        "porch-system",
        "--dry-run=client",
        "-o",
        "json",
    ])
    .arg(format!("--docker-server={server}"))
    .arg(format!("--docker-username={user}"))
    .arg(format!("--docker-password={password}"));
    if let Some(e) = email {
        c.arg(format!("--docker-email={e}"));
    }
    let out = c.output().expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Assert one `error:` line, a non-zero exit, empty stdout, and no secret in any output.
fn assert_clean_error(out: &std::process::Output, secrets: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!out.status.success(), "expected failure; stderr: {stderr}");
    assert_eq!(stdout, "", "nothing on stdout on error");
    let errors: Vec<_> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "exactly one error line: {stderr}");
    for s in secrets {
        assert!(
            !stderr.contains(s),
            "secret {s:?} leaked in stderr: {stderr}"
        );
        assert!(!stdout.contains(s), "secret {s:?} leaked in stdout");
    }
    errors[0].to_string()
}

#[test]
fn auth_matches_kubectl_create_secret_docker_registry() {
    let home = tmp();
    // Passwords with characters Go escapes in JSON (<, >, &, quotes, backslash, unicode).
    let cases: [(&str, &str, &str, Option<&str>); 4] = [
        ("ghcr.io", "robot", "fixture-pw", None),
        (
            "registry.example.com:5000",
            "ci-bot",
            "p<a>&s\"s\\w'o rd é",
            Some("ci@example.com"),
        ),
        ("10.0.0.7:5000", "u", "a:b:c", None),
        ("index.docker.io", "hub", "tab\there", Some("x@y.z")),
    ];
    for (server, user, password, email) in cases {
        let mut c = cmd(home.path());
        c.args(["secret", "auth", "--registry", server, "--username", user])
            .args(["--password-stdin", "-o", "json"])
            .write_stdin(format!("{password}\n"));
        if let Some(e) = email {
            c.args(["--email", e]);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours = stdout_json(&out);
        let theirs = kubectl_secret(server, user, password, email);
        // The .dockerconfigjson bytes are identical.
        assert_eq!(
            String::from_utf8(dockerconfigjson_of(&ours)).unwrap(),
            String::from_utf8(dockerconfigjson_of(&theirs)).unwrap(),
            "server {server}"
        );
        // And so is the Secret, but for kubectl's creationTimestamp: null.
        let mut theirs = theirs;
        theirs["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("creationTimestamp");
        assert_eq!(ours, theirs);
    }
}

#[test]
fn auth_yaml_is_read_by_kubectl() {
    let home = tmp();
    let out = cmd(home.path())
        .args([
            "secret",
            "auth",
            "--registry",
            "ghcr.io",
            "-u",
            "robot",
            "--password-stdin",
        ])
        .args(["--name", "my-auth", "-n", "porch-system"])
        .write_stdin("fixture-pw")
        .output()
        .unwrap();
    assert!(out.status.success());
    // kubectl kustomize parses and re-emits the objects with kubectl's own YAML stack
    // (there is no API server for `kubectl apply --dry-run=client`).
    let dir = tmp();
    std::fs::write(dir.path().join("secret.yaml"), &out.stdout).unwrap();
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "resources:\n- secret.yaml\n",
    )
    .unwrap();
    let k = Command::new("kubectl")
        .args(["kustomize"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(k.status.success(), "{}", String::from_utf8_lossy(&k.stderr));
    let text = String::from_utf8(k.stdout).unwrap();
    assert!(text.contains("name: my-auth"), "{text}");
    assert!(text.contains("type: kubernetes.io/dockerconfigjson"));
    // same data as the JSON form
    let json = cmd(home.path())
        .args([
            "secret",
            "auth",
            "--registry",
            "ghcr.io",
            "-u",
            "robot",
            "--password-stdin",
        ])
        .args(["--name", "my-auth", "-o", "json"])
        .write_stdin("fixture-pw")
        .output()
        .unwrap();
    let v = stdout_json(&json);
    let data = v["data"][".dockerconfigjson"].as_str().unwrap();
    assert!(
        text.contains(&format!(".dockerconfigjson: {data}")),
        "{text}"
    );
}

#[test]
fn auth_normalises_keys_and_says_so() {
    let home = tmp();
    let out = cmd(home.path())
        .args([
            "secret",
            "auth",
            "--registry",
            "https://docker.io/v1/",
            "-u",
            "hub",
        ])
        .args(["-o", "json"])
        .env("PORCH_REGISTRY_PASSWORD", "fixture-pw")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&dockerconfigjson_of(&stdout_json(&out))).unwrap();
    let keys: Vec<_> = v["auths"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["index.docker.io"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("https://docker.io/v1/ is written as index.docker.io"),
        "{stderr}"
    );
    assert!(!stderr.contains("fixture-pw"));
    // An already normalised key gives no note.
    let out = cmd(home.path())
        .args(["secret", "auth", "--registry", "ghcr.io", "-u", "hub"])
        .env("PORCH_REGISTRY_PASSWORD", "fixture-pw")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn password_flag_warns_like_docker_login() {
    let home = tmp();
    let out = cmd(home.path())
        .args(["secret", "auth", "--registry", "ghcr.io", "-u", "robot"])
        .args(["--password", "fixture-pw"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("warning: using --password on the command line is insecure"));
    assert!(!stderr.contains("fixture-pw"));
}

/// A credential helper as a real process on PATH: `docker-credential-fake get|list`.
fn fake_helper(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("docker-credential-fake");
    std::fs::write(
        &script,
        r#"#!/bin/sh
case "$1" in
  get)
    read -r server
    case "$server" in
      ghcr.io) printf '{"ServerURL":"ghcr.io","Username":"gh-user","Secret":"fixture-helper-pw"}' ;;
      quay.io) printf '{"ServerURL":"quay.io","Username":"quay-user","Secret":"fixture-quay-pw"}' ;;
      token.example.com) printf '{"ServerURL":"token.example.com","Username":"<token>","Secret":"fixture-token"}' ;;
      *) echo "credentials not found in native keychain"; exit 1 ;;
    esac ;;
  list)
    printf '{"ghcr.io":"gh-user","token.example.com":"<token>","gone.example.com":"x"}' ;;
  *) exit 1 ;;
esac
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn from_docker_config_takes_every_registry_and_runs_helpers() {
    let home = tmp();
    let bin_dir = fake_helper(home.path());
    let out = cmd(home.path())
        .env("PATH", path_with(&bin_dir))
        .args(["secret", "auth", "-o", "json", "--from-docker-config"])
        .arg(fixture("core/docker-config.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_slice(&dockerconfigjson_of(&stdout_json(&out))).unwrap();
    let auths = v["auths"].as_object().unwrap();
    let keys: Vec<_> = auths.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "ghcr.io",
            "index.docker.io",
            "quay.io",
            "registry.example.com:5000"
        ]
    );
    let user_pass = |k: &str| {
        let a = auths[k]["auth"].as_str().unwrap();
        String::from_utf8(B64.decode(a).unwrap()).unwrap()
    };
    assert_eq!(user_pass("ghcr.io"), "gh-user:fixture-helper-pw");
    assert_eq!(user_pass("quay.io"), "quay-user:fixture-quay-pw");
    assert_eq!(user_pass("index.docker.io"), "hubuser:fixture-hub-pw");
    assert_eq!(
        auths["registry.example.com:5000"]["email"],
        "ci@example.com"
    );
    assert_eq!(auths["ghcr.io"]["username"], "gh-user");
    // Says what was taken, how, and what was not.
    assert!(
        stderr
            .contains("taken: ghcr.io (user gh-user) via credential helper docker-credential-fake"),
        "{stderr}"
    );
    assert!(
        stderr.contains("taken: index.docker.io (user hubuser) from the file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("https://index.docker.io/v1/ is written as index.docker.io"),
        "{stderr}"
    );
    assert!(stderr.contains("skipped token.example.com"), "{stderr}");
    assert!(stderr.contains("skipped gone.example.com"), "{stderr}");
    for s in [
        "fixture-helper-pw",
        "fixture-quay-pw",
        "fixture-hub-pw",
        "fixture-token",
        "fixture-robot-pw",
    ] {
        assert!(!stderr.contains(s), "{s} leaked: {stderr}");
    }
}

#[test]
fn missing_helper_is_one_error() {
    let home = tmp();
    let out = cmd(home.path())
        .env("PATH", "/usr/bin:/bin")
        .args(["secret", "auth", "--from-docker-config"])
        .arg(fixture("core/docker-config.json"))
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &["fixture-hub-pw", "fixture-robot-pw"]);
    assert!(
        line.contains("docker-credential-fake (for ghcr.io) is not on PATH"),
        "{line}"
    );
}

/// A helper stuck waiting (for a passphrase, a locked keychain) is killed after the helper
/// timeout, with one error line and nothing printed.
#[test]
fn hanging_helper_times_out_with_one_error() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tmp();
    let bin_dir = home.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let script = bin_dir.join("docker-credential-fake");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = cmd(home.path())
        .env("PATH", path_with(&bin_dir))
        .env("PORCH_REGISTRY_HELPER_TIMEOUT", "1")
        .args(["secret", "auth", "--from-docker-config"])
        .arg(fixture("core/docker-config.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(9), "exit code of a timeout");
    let line = assert_clean_error(&out, &["fixture-hub-pw", "fixture-robot-pw"]);
    assert!(
        line.contains("docker-credential-fake did not answer within 1s"),
        "{line}"
    );
}

/// Whether a process is gone (or only a zombie waiting for its new parent to reap it).
fn process_is_gone(pid: &str) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let gone = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
        };
        if gone || std::time::Instant::now() >= deadline {
            return gone;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Run `secret auth --from-docker-config` with `docker-credential-fake` being `body`, a 1 s
/// helper timeout, and a watchdog (the old code waited forever for the helper's pipes).
/// Returns the output and the pid the helper wrote to `$PIDFILE`.
fn run_with_helper(body: &str) -> (std::process::Output, String) {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tmp();
    let bin_dir = home.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let script = bin_dir.join("docker-credential-fake");
    let pidfile = home.path().join("child.pid");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nPIDFILE='{}'\n{body}\n", pidfile.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let start = std::time::Instant::now();
    let out = cmd(home.path())
        .env("PATH", path_with(&bin_dir))
        .env("PORCH_REGISTRY_HELPER_TIMEOUT", "1")
        .timeout(std::time::Duration::from_secs(30))
        .args(["secret", "auth", "--from-docker-config"])
        .arg(fixture("core/docker-config.json"))
        .output()
        .unwrap();
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "the helper was not bounded by its timeout"
    );
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    (out, pid)
}

/// A helper that prints its answer and exits, but leaves a child holding its stdout: the wait
/// for its output is bounded by the helper timeout, and the child is ended with the helper's
/// process group.
#[test]
fn helper_leaving_a_child_on_its_stdout_is_bounded_and_the_child_ended() {
    let (out, pid) = run_with_helper(
        "sleep 600 &\necho $! > \"$PIDFILE\"\necho '{\"Username\":\"u\",\"Secret\":\"fixture-kept-pw\"}'\nexit 0",
    );
    assert_eq!(out.status.code(), Some(9), "{out:?}");
    let line = assert_clean_error(&out, &["fixture-kept-pw", "fixture-robot-pw"]);
    assert!(
        line.contains("docker-credential-fake exited, but a process it started still held its output open after 1s"),
        "{line}"
    );
    assert!(
        process_is_gone(&pid),
        "the helper's child {pid} is still running"
    );
}

/// A hanging helper that started a child: both are ended (the whole process group), not only
/// the helper.
#[test]
fn hanging_helper_is_ended_with_its_whole_process_group() {
    let (out, pid) = run_with_helper("sleep 600 &\necho $! > \"$PIDFILE\"\nwait");
    assert_eq!(out.status.code(), Some(9), "{out:?}");
    let line = assert_clean_error(&out, &["fixture-robot-pw"]);
    assert!(
        line.contains("docker-credential-fake did not answer within 1s"),
        "{line}"
    );
    assert!(
        process_is_gone(&pid),
        "the helper's child {pid} is still running"
    );
}

/// A helper that answers broken JSON (holding a secret): one line that says how to check the
/// helper, and never the helper's output.
#[test]
fn helper_answering_garbage_is_one_error_with_the_fix() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tmp();
    let bin_dir = home.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let script = bin_dir.join("docker-credential-fake");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"Username\":\"u\",\"Secret\":\"fixture-junk-pw\"'\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = cmd(home.path())
        .env("PATH", path_with(&bin_dir))
        .args(["secret", "auth", "--from-docker-config"])
        .arg(fixture("core/docker-config.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line = assert_clean_error(&out, &["fixture-junk-pw", "fixture-hub-pw"]);
    assert!(line.contains("is not JSON; check the helper"), "{line}");
}

#[test]
fn helper_wins_over_the_file_and_the_file_is_the_fallback() {
    let home = tmp();
    let bin_dir = fake_helper(home.path());
    let cfg = home.path().join("config.json");
    let old = B64.encode("old-user:fixture-old-pw");
    std::fs::write(
        &cfg,
        format!(
            r#"{{"auths":{{"quay.io":{{"auth":"{old}"}}}},"credHelpers":{{"quay.io":"fake"}}}}"#
        ),
    )
    .unwrap();
    let decoded = |out: &std::process::Output| -> String {
        let v: Value = serde_json::from_slice(&dockerconfigjson_of(&stdout_json(out))).unwrap();
        String::from_utf8(
            B64.decode(v["auths"]["quay.io"]["auth"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    // as docker: the registry's helper answers first
    let out = cmd(home.path())
        .env("PATH", path_with(&bin_dir))
        .args(["secret", "auth", "-o", "json", "--from-docker-config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(decoded(&out), "quay-user:fixture-quay-pw");
    // helper not installed: the file's credentials, with a warning
    let out = cmd(home.path())
        .env("PATH", "/usr/bin:/bin")
        .args(["secret", "auth", "-o", "json", "--from-docker-config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(decoded(&out), "old-user:fixture-old-pw");
    assert!(
        stderr.contains("warning: ") && stderr.contains("docker-credential-fake is not on PATH; using the credentials written in the file for quay.io"),
        "{stderr}"
    );
    assert!(!stderr.contains("fixture-old-pw"));
}

#[test]
fn default_docker_config_and_podman_auth_json() {
    // $DOCKER_CONFIG/config.json
    let home = tmp();
    let dc = home.path().join("dc");
    std::fs::create_dir_all(&dc).unwrap();
    std::fs::copy(fixture("core/podman-auth.json"), dc.join("config.json")).unwrap();
    let out = cmd(home.path())
        .env("DOCKER_CONFIG", &dc)
        .args(["secret", "auth", "--from-docker-config", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&dockerconfigjson_of(&stdout_json(&out))).unwrap();
    assert!(v["auths"]["registry.local:5000"].is_object());

    // a directory is a docker config directory
    let out = cmd(home.path())
        .args(["secret", "auth", "--from-docker-config"])
        .arg(&dc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // ~/.docker/config.json
    let home = tmp();
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    std::fs::copy(
        fixture("core/podman-auth.json"),
        home.path().join(".docker/config.json"),
    )
    .unwrap();
    let out = cmd(home.path())
        .args(["secret", "auth", "--from-docker-config"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // no docker config: podman's ${XDG_RUNTIME_DIR}/containers/auth.json
    let home = tmp();
    let run = home.path().join("run");
    std::fs::create_dir_all(run.join("containers")).unwrap();
    std::fs::copy(
        fixture("core/podman-auth.json"),
        run.join("containers/auth.json"),
    )
    .unwrap();
    let out = cmd(home.path())
        .env("XDG_RUNTIME_DIR", &run)
        .args(["secret", "auth", "--from-docker-config", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("taken: registry.local:5000 (user podman)"),
        "{stderr}"
    );

    // nothing anywhere
    let home = tmp();
    let out = cmd(home.path())
        .args(["secret", "auth", "--from-docker-config"])
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &[]);
    assert!(line.contains("no docker or podman config found"), "{line}");
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn bad_docker_configs() {
    let home = tmp();
    let cases = [
        ("core/not-json.json", "is not JSON"),
        ("core/bad-auth-base64.json", "not valid base64"),
        ("core/bad-auth-nocolon.json", "without a ':'"),
        ("core/empty-password.json", "empty password"),
    ];
    for (file, want) in cases {
        let out = cmd(home.path())
            .args(["secret", "auth", "--from-docker-config"])
            .arg(fixture(file))
            .output()
            .unwrap();
        let line = assert_clean_error(
            &out,
            &["fixture-secret-value", "Zml4dHVyZS1zZWNyZXQtdmFsdWU"],
        );
        assert!(line.contains(want), "{file}: {line}");
        assert!(line.contains(file), "names the file: {line}");
        assert_eq!(out.status.code(), Some(2), "{file}");
    }
    // a file that does not exist
    let out = cmd(home.path())
        .args([
            "secret",
            "auth",
            "--from-docker-config",
            "/nonexistent/config.json",
        ])
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &[]);
    assert!(line.contains("/nonexistent/config.json"), "{line}");
}

#[test]
fn empty_and_missing_passwords() {
    let home = tmp();
    // empty on stdin (just a newline)
    let out = cmd(home.path())
        .args([
            "secret",
            "auth",
            "--registry",
            "ghcr.io",
            "-u",
            "robot",
            "--password-stdin",
        ])
        .write_stdin("\n")
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &[]);
    assert!(line.contains("empty"), "{line}");
    assert_eq!(out.status.code(), Some(2));
    // empty in the environment
    let out = cmd(home.path())
        .args(["secret", "auth", "--registry", "ghcr.io", "-u", "robot"])
        .env("PORCH_REGISTRY_PASSWORD", "")
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &[]);
    assert!(line.contains("$PORCH_REGISTRY_PASSWORD is empty"), "{line}");
    // non-TTY with missing input: names the flags to pass
    let out = cmd(home.path())
        .args(["secret", "auth", "--registry", "ghcr.io", "-u", "robot"])
        .write_stdin("")
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &[]);
    assert!(
        line.contains("--password-stdin") && line.contains("PORCH_REGISTRY_PASSWORD"),
        "{line}"
    );
    let out = cmd(home.path())
        .args(["secret", "auth"])
        .write_stdin("")
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &[]);
    assert!(
        line.contains("--registry") && line.contains("--from-docker-config"),
        "{line}"
    );
    let out = cmd(home.path())
        .args(["secret", "auth", "--registry", "ghcr.io"])
        .env("PORCH_REGISTRY_PASSWORD", "fixture-pw")
        .write_stdin("")
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &["fixture-pw"]);
    assert!(line.contains("--username"), "{line}");
    // a ':' in the user name would be read back as part of the password
    let out = cmd(home.path())
        .args(["secret", "auth", "--registry", "ghcr.io", "-u", "ro:bot"])
        .env("PORCH_REGISTRY_PASSWORD", "fixture-pw")
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &["fixture-pw"]);
    assert!(
        line.contains("--username") && line.contains("':'"),
        "{line}"
    );
    // bad registry and bad names
    let out = cmd(home.path())
        .args(["secret", "auth", "--registry", "ftp://x.io", "-u", "u"])
        .env("PORCH_REGISTRY_PASSWORD", "fixture-pw")
        .output()
        .unwrap();
    assert_clean_error(&out, &["fixture-pw"]);
    let out = cmd(home.path())
        .args([
            "secret",
            "auth",
            "--registry",
            "x.io",
            "-u",
            "u",
            "--name",
            "Bad_Name",
        ])
        .env("PORCH_REGISTRY_PASSWORD", "fixture-pw")
        .output()
        .unwrap();
    let line = assert_clean_error(&out, &["fixture-pw"]);
    assert!(line.contains("--name"), "{line}");
}

#[test]
fn help_has_no_real_looking_secrets() {
    let out = bin().args(["secret", "auth", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--password-stdin"));
    // Examples use a variable, never a literal password.
    let examples: Vec<&str> = help
        .lines()
        .filter(|l| l.contains("kubectl porch-registry"))
        .collect();
    assert!(!examples.is_empty(), "{help}");
    for line in examples {
        assert!(
            !line.contains("--password ") && !line.contains(" -p "),
            "literal password in an example: {line}"
        );
    }
}

// ---------- secret tls ----------

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (ca.crt, ca.key) and a leaf it signed (leaf.crt), made by openssl.
fn openssl_pki(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "365",
            "-subj",
            "/CN=Test Registry CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=registry.example.com",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.crt",
            "-days",
            "10",
        ],
    );
}

#[test]
fn tls_secret_from_openssl_ca() {
    let dir = tmp();
    openssl_pki(dir.path());
    let ca = dir.path().join("ca.crt");
    let out = bin()
        .args(["secret", "tls", "--ca-file"])
        .arg(&ca)
        .args(["-o", "json", "-n", "porch-system"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("CN=Test Registry CA"), "{stderr}");
    let v = stdout_json(&out);
    assert_eq!(v["type"], "Opaque");
    assert_eq!(v["metadata"]["name"], "registry-tls-secret");
    assert_eq!(v["metadata"]["namespace"], "porch-system");
    let data = B64.decode(v["data"]["ca.crt"].as_str().unwrap()).unwrap();
    assert_eq!(data, std::fs::read(&ca).unwrap());
    // Same as kubectl create secret generic --from-file=ca.crt=
    let k = Command::new("kubectl")
        .args([
            "create",
            "secret",
            "generic",
            "registry-tls-secret",
            "-n",
            "porch-system",
        ])
        .arg(format!("--from-file=ca.crt={}", ca.display()))
        .args(["--dry-run=client", "-o", "json"])
        .output()
        .unwrap();
    let mut theirs: Value = serde_json::from_slice(&k.stdout).unwrap();
    theirs["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("creationTimestamp");
    // kubectl leaves `type` out (the API server defaults it to Opaque); we write it.
    assert!(theirs.get("type").is_none());
    theirs["type"] = "Opaque".into();
    assert_eq!(v, theirs);
}

#[test]
fn tls_warns_for_leaf_expiring_and_expired() {
    let dir = tmp();
    openssl_pki(dir.path());
    // a leaf that is not a CA and expires in 10 days: two warnings, still printed
    let out = bin()
        .args(["secret", "tls", "--ca-file"])
        .arg(dir.path().join("leaf.crt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("is not a CA"), "{stderr}");
    assert!(stderr.contains("expires in"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ca.crt: "));
    // expired (rcgen: openssl cannot backdate without a CA database)
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Old CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = time::OffsetDateTime::from_unix_timestamp(1_500_000_000).unwrap();
    params.not_after = time::OffsetDateTime::from_unix_timestamp(1_600_000_000).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let old = dir.path().join("old.crt");
    std::fs::write(&old, params.self_signed(&key).unwrap().pem()).unwrap();
    let out = bin()
        .args(["secret", "tls", "--ca-file"])
        .arg(&old)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success());
    assert!(
        stderr.contains("warning: ") && stderr.contains("expired at 2020-09-13"),
        "{stderr}"
    );
}

#[test]
fn tls_refuses_keys_and_garbage() {
    let dir = tmp();
    openssl_pki(dir.path());
    let key_text = std::fs::read_to_string(dir.path().join("ca.key")).unwrap();
    let key_body: Vec<&str> = key_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .take(2)
        .collect();
    // the private key alone, and a bundle with cert + key
    let bundle = dir.path().join("bundle.pem");
    std::fs::write(
        &bundle,
        format!(
            "{}{}",
            std::fs::read_to_string(dir.path().join("ca.crt")).unwrap(),
            key_text
        ),
    )
    .unwrap();
    for f in [dir.path().join("ca.key"), bundle] {
        let out = bin()
            .args(["secret", "tls", "--ca-file"])
            .arg(&f)
            .output()
            .unwrap();
        let line = assert_clean_error(&out, &key_body);
        assert!(line.contains("private key"), "{line}");
        assert_eq!(out.status.code(), Some(2));
    }
    // not PEM, a DER certificate, a CSR, and a missing file
    openssl(
        dir.path(),
        &["x509", "-in", "ca.crt", "-outform", "der", "-out", "ca.der"],
    );
    let cases = [
        (fixture("core/garbage.pem"), "no PEM data"),
        (dir.path().join("ca.der"), "DER"),
        (dir.path().join("leaf.csr"), "no certificate"),
        (dir.path().join("missing.pem"), "no such file"),
    ];
    for (f, want) in cases {
        let out = bin()
            .args(["secret", "tls", "--ca-file"])
            .arg(&f)
            .output()
            .unwrap();
        let line = assert_clean_error(&out, &[]);
        assert!(line.contains(want), "{}: {line}", f.display());
        assert!(
            line.contains(&f.display().to_string()),
            "names the file: {line}"
        );
    }
}

// ---------- snapshots of the generated YAML ----------

#[test]
fn snapshot_secret_auth_yaml() {
    let home = tmp();
    let out = cmd(home.path())
        .args([
            "secret",
            "auth",
            "--registry",
            "https://registry.example.com:5000/v2/",
        ])
        .args([
            "-u",
            "robot",
            "--email",
            "ci@example.com",
            "--password-stdin",
        ])
        .write_stdin("fixture-snapshot-pw\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!("secret_auth_yaml", String::from_utf8(out.stdout).unwrap());
}

#[test]
fn snapshot_secret_tls_yaml() {
    let out = bin()
        .args(["secret", "tls", "--ca-file"])
        .arg(fixture("core/snapshot-ca.crt"))
        .args(["--name", "my-ca", "-n", "porch"])
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!("secret_tls_yaml", String::from_utf8(out.stdout).unwrap());
}

// ---------- the same inputs through `setup -f --in-place`: bad input writes nothing ----------

#[test]
fn setup_in_place_with_bad_credentials_or_ca_writes_nothing() {
    let home = tmp();
    let dir = tmp();
    openssl_pki(dir.path());
    let manifest = dir.path().join("2-function-runner.yaml");
    let example = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/2-function-runner.yaml");
    std::fs::copy(&example, &manifest).unwrap();
    let before = std::fs::read(&manifest).unwrap();
    let key_text = std::fs::read_to_string(dir.path().join("ca.key")).unwrap();
    let key_line = key_text.lines().nth(1).unwrap().to_string();
    let m = manifest.display().to_string();
    let cases: Vec<(Vec<String>, Option<&str>, &str)> = vec![
        // a private key as CA
        (
            vec![
                "--registry".into(),
                "ghcr.io".into(),
                "-u".into(),
                "robot".into(),
                "--ca-file".into(),
                dir.path().join("ca.key").display().to_string(),
            ],
            Some("fixture-pw"),
            "private key",
        ),
        // not PEM
        (
            vec![
                "--registry".into(),
                "ghcr.io".into(),
                "-u".into(),
                "robot".into(),
                "--ca-file".into(),
                fixture("core/garbage.pem").display().to_string(),
            ],
            Some("fixture-pw"),
            "no PEM data",
        ),
        // empty password
        (
            vec![
                "--registry".into(),
                "ghcr.io".into(),
                "-u".into(),
                "robot".into(),
            ],
            Some(""),
            "empty",
        ),
        // missing input without a terminal
        (vec![], None, "--registry"),
        // config.json that is not JSON, an auth that is not base64
        (
            vec![
                "--from-docker-config".into(),
                fixture("core/not-json.json").display().to_string(),
            ],
            None,
            "is not JSON",
        ),
        (
            vec![
                "--from-docker-config".into(),
                fixture("core/bad-auth-base64.json").display().to_string(),
            ],
            None,
            "not valid base64",
        ),
    ];
    for (extra, password, want) in cases {
        let mut c = cmd(home.path());
        c.args(["setup", "-f", &m, "--in-place"])
            .args(&extra)
            .write_stdin("");
        if let Some(p) = password {
            c.env("PORCH_REGISTRY_PASSWORD", p);
        }
        let out = c.output().unwrap();
        let line = assert_clean_error(
            &out,
            &["fixture-pw", "fixture-secret-value", key_line.as_str()],
        );
        assert!(line.contains(want), "{extra:?}: {line}");
        assert_eq!(
            std::fs::read(&manifest).unwrap(),
            before,
            "{extra:?} changed the file"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| {
                ![
                    "ca.crt",
                    "ca.key",
                    "leaf.crt",
                    "leaf.key",
                    "leaf.csr",
                    "ca.srl",
                    "2-function-runner.yaml",
                ]
                .contains(&n.as_str())
            })
            .collect();
        assert!(names.is_empty(), "left files behind: {names:?}");
    }
    // and the good input does patch it (so the cases above failed for the right reason)
    let out = cmd(home.path())
        .args([
            "setup",
            "-f",
            &m,
            "--in-place",
            "--registry",
            "ghcr.io",
            "-u",
            "robot",
        ])
        .arg("--ca-file")
        .arg(dir.path().join("ca.crt"))
        .env("PORCH_REGISTRY_PASSWORD", "fixture-pw")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(std::fs::read(&manifest).unwrap(), before);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("kind: Secret") && stdout.contains("ca.crt:"),
        "{stdout}"
    );
}
