//! The credential wizard, driven through a real pseudo-terminal (expectrl).

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use expectrl::{Expect, Session};
use serde_json::Value;

use crate::pty::{Pty, exit_code, rest, send_password, spawn};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The JSON document at the end of the output (after the prompts).
fn trailing_json(out: &str) -> Value {
    let start = out
        .rfind("{\n  \"apiVersion\"")
        .unwrap_or_else(|| panic!("no JSON in output: {out}"));
    serde_json::from_str(&out[start..]).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn secret_auth_wizard_asks_for_everything_and_never_echoes_the_password() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(&["secret", "auth", "-o", "json"], home.path());
    let mut transcript = String::new();
    let mut step = |s: &mut Pty, prompt: &str, answer: &str| {
        let m = s
            .expect(prompt)
            .unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}; so far: {transcript}"));
        transcript.push_str(&String::from_utf8_lossy(m.before()));
        transcript.push_str(prompt);
        s.send_line(answer).unwrap();
    };
    // A registry that is not a host is refused on the spot.
    step(&mut s, "Registry host", "ftp://nope");
    step(&mut s, "scheme other than", "https://Docker.io/v1/");
    step(&mut s, "Username for index.docker.io", "hub");
    // An empty password is refused and asked again, hidden.
    s.expect("Password (or token) for hub@index.docker.io")
        .unwrap();
    send_password(&mut s, "");
    s.expect("password cannot be empty").unwrap();
    send_password(&mut s, "fixture-wizard-pw");
    step(&mut s, "E-mail", "");
    step(&mut s, "Add another registry?", "y");
    step(&mut s, "Registry host", "registry.example.com:5000");
    step(&mut s, "Username for registry.example.com:5000", "robot");
    s.expect("Password (or token) for robot@registry.example.com:5000")
        .unwrap();
    send_password(&mut s, "fixture-second-pw");
    step(&mut s, "E-mail", "ci@example.com");
    step(&mut s, "Add another registry?", "n");
    let out = format!("{transcript}{}", rest(&mut s));
    assert_eq!(exit_code(&s), 0, "{out}");
    assert!(
        out.contains("https://Docker.io/v1/ is written as index.docker.io"),
        "{out}"
    );
    for pw in ["fixture-wizard-pw", "fixture-second-pw"] {
        assert!(!out.contains(pw), "password {pw} was echoed: {out}");
    }
    let secret = trailing_json(&out);
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
    let cfg: Value = serde_json::from_slice(
        &B64.decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        cfg["auths"]["index.docker.io"]["password"],
        "fixture-wizard-pw"
    );
    assert!(cfg["auths"]["index.docker.io"].get("email").is_none());
    assert_eq!(
        cfg["auths"]["registry.example.com:5000"]["username"],
        "robot"
    );
    assert_eq!(
        cfg["auths"]["registry.example.com:5000"]["email"],
        "ci@example.com"
    );
}

#[test]
fn secret_auth_asks_only_for_what_is_missing() {
    let home = tempfile::tempdir().unwrap();
    let mut s = spawn(
        &[
            "secret",
            "auth",
            "--registry",
            "ghcr.io",
            "-u",
            "robot",
            "-o",
            "json",
        ],
        home.path(),
    );
    s.expect("Password (or token) for robot@ghcr.io").unwrap();
    send_password(&mut s, "fixture-only-pw");
    let out = rest(&mut s);
    assert_eq!(exit_code(&s), 0, "{out}");
    assert!(!out.contains("fixture-only-pw"), "{out}");
    assert!(
        !out.contains("Registry host") && !out.contains("Username"),
        "{out}"
    );
    let secret = trailing_json(&out);
    let cfg: Value = serde_json::from_slice(
        &B64.decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(cfg["auths"]["ghcr.io"]["password"], "fixture-only-pw");
}

#[test]
fn everything_from_flags_prompts_nothing_on_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    // the password from the environment: no question at all
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("stty echo && exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"))
        .args([
            "secret",
            "auth",
            "--registry",
            "ghcr.io",
            "-u",
            "robot",
            "-o",
            "json",
        ])
        .env("PORCH_REGISTRY_PASSWORD", "fixture-env-pw")
        .env("HOME", home.path());
    let mut c = Session::spawn(cmd).unwrap();
    c.set_expect_timeout(Some(Duration::from_secs(60)));
    let out = rest(&mut c);
    assert_eq!(exit_code(&c), 0, "{out}");
    assert!(!out.contains("Password"), "{out}");
    let secret = trailing_json(&out);
    assert_eq!(secret["metadata"]["name"], "registry-auth-secret");
}

// ---------- setup: the whole wizard (CA validated on the spot, names, mount paths) ----------

fn openssl_ca(dir: &std::path::Path) {
    let out = Command::new("openssl")
        .args([
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
            "/CN=Wizard Test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ])
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn setup_wizard_validates_the_ca_on_the_spot_and_asks_names_and_paths() {
    let api = crate::cluster::porch_cluster();
    let kc = api.kubeconfig().display().to_string();
    let dir = tempfile::tempdir().unwrap();
    openssl_ca(dir.path());
    std::fs::write(dir.path().join("garbage.pem"), "not a certificate\n").unwrap();
    let ca = dir.path().join("ca.crt");
    let key = dir.path().join("ca.key");
    let mut s = spawn(&["setup", "--kubeconfig", &kc, "--wait=false"], api.dir());
    let step = |s: &mut Pty, prompt: &str, answer: &str| {
        s.expect(prompt)
            .unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}"));
        s.send_line(answer).unwrap();
    };
    step(&mut s, "Registry host", "registry.example.com:5000");
    step(&mut s, "Username for registry.example.com:5000", "robot");
    s.expect("Password (or token) for robot@registry.example.com:5000")
        .unwrap();
    send_password(&mut s, "fixture-setup-pw");
    step(&mut s, "E-mail", "");
    step(&mut s, "Add another registry?", "n");
    // The CA is checked as soon as it is given: garbage and a private key are refused.
    step(
        &mut s,
        "CA certificate file",
        &dir.path().join("garbage.pem").display().to_string(),
    );
    step(&mut s, "holds no PEM data", &key.display().to_string());
    step(&mut s, "holds a private key", &ca.display().to_string());
    s.expect("CN=Wizard Test CA (CA: yes, expires").unwrap();
    // names and paths are checked as they are typed
    step(&mut s, "Auth Secret name", "My_Auth");
    step(&mut s, "is not a valid Kubernetes name", "my-auth");
    step(&mut s, "Auth Secret mount path", "relative/dir");
    step(&mut s, "is not an absolute path", "");
    step(&mut s, "TLS Secret name", "my-ca");
    step(&mut s, "TLS Secret mount path", "/var/tmp/my-ca");
    s.expect("Apply these changes?").expect("confirmation");
    s.send_line("y").unwrap();
    let out = rest(&mut s);
    assert_eq!(exit_code(&s), 0, "{out}");
    assert!(!out.contains("fixture-setup-pw"), "password echoed: {out}");
    assert!(!out.contains("PRIVATE KEY"), "{out}");
    let auth = api
        .get("secrets", "porch-system", "my-auth")
        .expect("auth Secret");
    let cfg: Value = serde_json::from_slice(
        &B64.decode(auth["data"][".dockerconfigjson"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        cfg["auths"]["registry.example.com:5000"]["password"],
        "fixture-setup-pw"
    );
    let tls = api
        .get("secrets", "porch-system", "my-ca")
        .expect("TLS Secret");
    assert_eq!(tls["type"], "Opaque");
    assert_eq!(
        B64.decode(tls["data"]["ca.crt"].as_str().unwrap()).unwrap(),
        std::fs::read(&ca).unwrap()
    );
    let dep = api
        .get("deployments", "porch-system", "function-runner")
        .unwrap();
    let text = dep.to_string();
    assert!(text.contains("/var/tmp/my-ca"), "{text}");
    assert!(
        text.contains("--enable-private-registries-tls=true"),
        "{text}"
    );
}

#[test]
fn setup_without_a_terminal_names_the_flags() {
    let home = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("kubectl-porch-registry")
        .unwrap()
        .args(["setup", "--kubeconfig", "/nonexistent/kubeconfig"])
        .env_remove("PORCH_REGISTRY_PASSWORD")
        .env("HOME", home.path())
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: no registry credentials given and no terminal to ask on"));
    assert!(stderr.contains("--registry") && stderr.contains("--password-stdin"));
    // --tls without a CA, from flags only
    let out = assert_cmd::Command::cargo_bin("kubectl-porch-registry")
        .unwrap()
        .args(["setup", "--kubeconfig", "/nonexistent/kubeconfig", "--tls"])
        .args(["--registry", "ghcr.io", "-u", "robot"])
        .env("PORCH_REGISTRY_PASSWORD", "fixture-pw")
        .env("HOME", home.path())
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--tls needs the CA: pass --ca-file"),
        "{stderr}"
    );
    assert!(!stderr.contains("fixture-pw"));
}

#[test]
fn terminal_stdin_but_stderr_redirected_asks_nothing() {
    // Prompts are drawn on stderr: with stderr going to a file nobody would see them, so the
    // command behaves as without a terminal.
    let home = tempfile::tempdir().unwrap();
    let err = home.path().join("stderr.log");
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("exec \"$0\" secret auth 2>\"$1\"")
        .arg(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"))
        .arg(&err)
        .env_remove("PORCH_REGISTRY_PASSWORD")
        .env("HOME", home.path());
    let mut s = Session::spawn(c).unwrap();
    s.set_expect_timeout(Some(Duration::from_secs(60)));
    let out = rest(&mut s);
    assert_eq!(exit_code(&s), 2, "{out}");
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(
        stderr.starts_with("error: no registry credentials given"),
        "{stderr}"
    );
    assert!(!out.contains("Registry host"), "{out}");
}
