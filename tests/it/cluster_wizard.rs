//! Live `setup` with the wizard, through a real pseudo-terminal, against the fake API.

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use expectrl::{Eof, Expect, Session};
use serde_json::Value;

use crate::cluster::porch_cluster;

const PASSWORD: &str = "wizard-Pa55word";

type Pty = expectrl::session::OsSession;

fn spawn(args: &[&str], home: &std::path::Path) -> Pty {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"));
    c.args(args)
        .env_remove("PORCH_REGISTRY_PASSWORD")
        .env_remove("KUBECONFIG")
        .env_remove("DOCKER_CONFIG")
        .env("HOME", home)
        .env("TERM", "dumb")
        .env("NO_COLOR", "1");
    let mut s = Session::spawn(c).expect("spawn in a pty");
    // A bound for a slow machine, not a timing assertion.
    s.set_expect_timeout(Some(Duration::from_secs(60)));
    s
}

fn answer(s: &mut Pty, prompt: &str, text: &str) {
    s.expect(prompt)
        .unwrap_or_else(|e| panic!("prompt {prompt:?} never came: {e}"));
    s.send_line(text).unwrap();
}

/// Type the password once the prompt has turned echo off (which proves it is hidden), then
/// wait for the next prompt. Under heavy load a line typed right as the prompt switches the
/// terminal mode can be dropped by the line discipline; then type it again (bounded).
fn password(s: &mut Pty, text: &str, next_prompt: &str) {
    s.expect("Password").unwrap();
    for attempt in 0..3 {
        let mut tries = 0;
        while s.get_process().get_echo().expect("termios") {
            tries += 1;
            assert!(tries < 6000, "the password prompt never turned echo off");
            std::thread::sleep(Duration::from_millis(10));
        }
        s.send_line(text).unwrap();
        s.set_expect_timeout(Some(Duration::from_secs(if attempt == 2 {
            60
        } else {
            10
        })));
        let got = s.expect(next_prompt);
        s.set_expect_timeout(Some(Duration::from_secs(60)));
        if got.is_ok() {
            return;
        }
    }
    panic!("prompt {next_prompt:?} never came after the password");
}

fn rest(s: &mut Pty) -> String {
    let m = s.expect(Eof).expect("process ends");
    String::from_utf8_lossy(m.as_bytes()).replace("\r\n", "\n")
}

fn exit_code(s: &Pty) -> i32 {
    match s.get_process().wait().expect("wait") {
        expectrl::process::unix::WaitStatus::Exited(_, code) => code,
        other => panic!("not exited: {other:?}"),
    }
}

fn wizard(s: &mut Pty) {
    answer(s, "Registry host", "https://registry.example.com:5000/v2/");
    answer(s, "Username", "robot");
    password(s, PASSWORD, "E-mail");
    s.send_line("").unwrap();
    answer(s, "Add another registry?", "n");
    answer(s, "CA certificate file", "");
    answer(s, "Auth Secret name", "");
    answer(s, "Auth Secret mount path", "");
}

#[test]
fn wizard_asks_shows_the_summary_and_applies_on_yes() {
    let api = porch_cluster();
    let kc = api.kubeconfig().display().to_string();
    let mut s = spawn(&["setup", "--kubeconfig", &kc, "--timeout=30s"], api.dir());
    wizard(&mut s);
    s.expect("Apply these changes?").expect("confirmation");
    s.send_line("y").unwrap();
    let out = rest(&mut s);
    assert_eq!(exit_code(&s), 0, "{out}");
    assert!(!out.contains(PASSWORD), "password echoed: {out}");
    assert!(out.contains("secret/registry-auth-secret created"), "{out}");
    assert!(out.contains("successfully rolled out"), "{out}");
    let secret = api
        .get("secrets", "porch-system", "registry-auth-secret")
        .unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
        .unwrap();
    let cfg: Value = serde_json::from_slice(&raw).unwrap();
    // The host was normalised the way the runner looks it up.
    assert_eq!(
        cfg["auths"]["registry.example.com:5000"]["password"],
        PASSWORD
    );
}

#[test]
fn wizard_summary_then_no_changes_nothing() {
    let api = porch_cluster();
    let kc = api.kubeconfig().display().to_string();
    let mut s = spawn(&["setup", "--kubeconfig", &kc], api.dir());
    wizard(&mut s);
    // The summary names the input and every change before the question.
    s.expect("registry registry.example.com:5000 (user robot)")
        .expect("summary names the registry");
    s.expect("secret/registry-auth-secret (kubernetes.io/dockerconfigjson): create")
        .expect("summary");
    s.expect("--enable-private-registries=true")
        .expect("summary lists the flags");
    s.expect("Apply these changes?").expect("confirmation");
    s.send_line("n").unwrap();
    let out = rest(&mut s);
    assert_ne!(exit_code(&s), 0, "{out}");
    assert!(out.contains("nothing was changed"), "{out}");
    assert!(api.writes().is_empty(), "{:?}", api.writes());
}
