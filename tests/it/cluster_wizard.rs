//! Live `setup` with the wizard, through a real pseudo-terminal, against the fake API.

use base64::Engine as _;
use expectrl::Expect;
use serde_json::Value;

use crate::cluster::porch_cluster;
use crate::pty::{Pty, exit_code, rest, send_password, spawn};

const PASSWORD: &str = "wizard-Pa55word";

fn answer(s: &mut Pty, prompt: &str, text: &str) {
    s.expect(prompt)
        .unwrap_or_else(|e| panic!("prompt {prompt:?} never came: {e}"));
    s.send_line(text).unwrap();
}

fn wizard(s: &mut Pty) {
    answer(s, "Registry host", "https://registry.example.com:5000/v2/");
    answer(s, "Username", "robot");
    s.expect("Password").unwrap();
    send_password(s, PASSWORD);
    answer(s, "E-mail", "");
    answer(s, "Add another registry?", "n");
    answer(s, "CA certificate file", "");
    answer(s, "Auth Secret name", "");
    answer(s, "Auth Secret mount path", "");
}

/// The `.dockerconfigjson` of a cluster's auth Secret, decoded.
fn stored_config(api: &crate::fake_api::FakeApi) -> Value {
    let secret = api
        .get("secrets", "porch-system", "registry-auth-secret")
        .expect("the auth Secret");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&raw).unwrap()
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
    // The host was normalised the way the runner looks it up.
    assert_eq!(
        stored_config(&api)["auths"]["registry.example.com:5000"]["password"],
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
    assert_eq!(exit_code(&s), 2, "the documented cancel code: {out}");
    assert!(
        out.contains("error: setup cancelled; nothing was changed"),
        "{out}"
    );
    assert!(api.writes().is_empty(), "{:?}", api.writes());
}

/// The wizard finds the cluster first: with the API unreachable, or the runner's namespace or
/// Deployment missing, it stops with the cluster's error before asking anything (no password
/// typed for nothing).
#[test]
fn wizard_checks_the_cluster_before_asking_anything() {
    let dir = tempfile::tempdir().unwrap();
    let port = portpicker::pick_unused_port().expect("port");
    let dead = dir.path().join("kubeconfig");
    std::fs::write(
        &dead,
        crate::fake_api::kubeconfig_text(&format!("http://127.0.0.1:{port}"), "gone"),
    )
    .unwrap();
    let api = porch_cluster();
    let kc = api.kubeconfig().display().to_string();
    let cases: [(Vec<String>, &str, i32); 3] = [
        (
            vec!["--kubeconfig".into(), dead.display().to_string()],
            "cannot reach the Kubernetes API",
            5,
        ),
        (
            vec![
                "--kubeconfig".into(),
                kc.clone(),
                "-n".into(),
                "nowhere".into(),
            ],
            "namespace \"nowhere\" does not exist",
            4,
        ),
        (
            vec![
                "--kubeconfig".into(),
                kc,
                "--deployment".into(),
                "runner-x".into(),
            ],
            "deployment \"runner-x\" not found",
            4,
        ),
    ];
    for (args, needle, code) in cases {
        let mut argv = vec!["setup"];
        argv.extend(args.iter().map(String::as_str));
        let mut s = spawn(&argv, dir.path());
        s.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
        let out = rest(&mut s);
        assert!(
            !out.contains("Registry host"),
            "{args:?} asked first: {out}"
        );
        assert!(!out.contains("Password"), "{args:?} asked first: {out}");
        let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {out}");
        assert!(errors[0].contains(needle), "{args:?}: {out}");
        assert_eq!(exit_code(&s), code, "{args:?}: {out}");
    }
    assert!(api.writes().is_empty(), "{:?}", api.writes());
}

/// Across contexts on a terminal the wizard asks once for all clusters, then shows every
/// cluster's plan and asks "Apply these changes?" once. No: nothing is written anywhere,
/// exit 2 (the cancel code of every command). Yes: each cluster is set up with the one
/// password; a cluster that does not answer is left out before the wizard asks.
#[test]
fn wizard_across_contexts_asks_once_shows_each_plan_and_confirms_once() {
    let apis = [porch_cluster(), porch_cluster()];
    let dir = tempfile::tempdir().unwrap();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let kc = crate::fleet::fleet_kubeconfig(
        dir.path(),
        &[
            ("east", apis[0].url()),
            ("down", dead),
            ("west", apis[1].url()),
        ],
    );
    let kc = kc.display().to_string();
    let argv = [
        "setup",
        "--all-contexts",
        "--kubeconfig",
        &kc,
        "--timeout=30s",
    ];

    // Answered no.
    let mut s = spawn(&argv, dir.path());
    wizard(&mut s);
    for api in &apis {
        s.expect(format!("Cluster {} (context ", api.url()).as_str())
            .expect("each cluster's plan");
    }
    s.expect("secret/registry-auth-secret (kubernetes.io/dockerconfigjson): create")
        .expect("the plan lists the changes");
    s.expect("Apply these changes?").expect("one confirmation");
    s.send_line("n").unwrap();
    let out = rest(&mut s);
    assert_eq!(exit_code(&s), 2, "{out}");
    assert!(
        out.contains("error: setup cancelled; nothing was changed on any cluster"),
        "{out}"
    );
    // One answer each: a second question would wait for input and `rest` would not end.
    assert!(!out.contains("Registry host"), "asked twice: {out}");
    for api in &apis {
        assert!(api.writes().is_empty(), "{:?}", api.writes());
    }

    // Answered yes: one wizard, one confirmation, both clusters set up with that password.
    let mut s = spawn(&argv, dir.path());
    s.expect("down")
        .expect("the unreachable cluster is named before the wizard asks");
    wizard(&mut s);
    s.expect("Context down: left out (exit 5)")
        .expect("the confirmation names the cluster left out");
    s.expect("Apply these changes?").expect("one confirmation");
    s.send_line("y").unwrap();
    let out = rest(&mut s);
    assert_eq!(exit_code(&s), 5, "{out}");
    assert!(!out.contains(PASSWORD), "password echoed: {out}");
    assert!(!out.contains("Registry host"), "asked twice: {out}");
    // A progress line per cluster on the terminal, then the summary table.
    for ctx in ["east", "west"] {
        assert!(out.contains(&format!("] {ctx}  done (")), "{out}");
    }
    assert!(out.contains("CONTEXT") && out.contains("complete"), "{out}");
    assert!(
        out.contains("1 of 3 contexts failed: down (exit 5)"),
        "{out}"
    );
    for api in &apis {
        assert_eq!(
            stored_config(api)["auths"]["registry.example.com:5000"]["password"],
            PASSWORD
        );
    }
}

/// Cancelling `remove` (one cluster or across contexts) exits 2, as cancelling `setup` does,
/// and changes nothing.
#[test]
fn cancelled_remove_exits_2_like_setup_alone_and_across_contexts() {
    let apis = [porch_cluster(), porch_cluster()];
    let dir = tempfile::tempdir().unwrap();
    let kc = crate::fleet::fleet_kubeconfig(
        dir.path(),
        &[("east", apis[0].url()), ("west", apis[1].url())],
    );
    let o = crate::support::bin()
        .args([
            "setup",
            "--all-contexts",
            "--registry",
            "r.example:5000",
            "--username",
            "u",
        ])
        .arg("--kubeconfig")
        .arg(&kc)
        .env("PORCH_REGISTRY_PASSWORD", PASSWORD)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for api in &apis {
        api.clear_requests();
    }
    let kc = kc.display().to_string();
    for (argv, needle) in [
        (
            vec!["remove", "--all-contexts", "--kubeconfig", &kc],
            "error: remove cancelled; nothing was changed on any cluster",
        ),
        (
            vec!["remove", "--context", "west", "--kubeconfig", &kc],
            "error: remove cancelled; nothing was changed",
        ),
    ] {
        let mut s = spawn(&argv, dir.path());
        s.expect("Apply these changes?").expect("confirmation");
        s.send_line("n").unwrap();
        let out = rest(&mut s);
        assert_eq!(exit_code(&s), 2, "{argv:?}: {out}");
        assert!(out.contains(needle), "{argv:?}: {out}");
    }
    for api in &apis {
        assert!(api.writes().is_empty(), "{:?}", api.writes());
    }
}

/// Ctrl-C at a wizard prompt (even the hidden password prompt) ends the run as a shell
/// expects, by SIGINT, with nothing written and the terminal's echo back on.
#[test]
fn ctrl_c_at_a_prompt_ends_the_run_and_restores_the_terminal() {
    let apis = [porch_cluster(), porch_cluster()];
    let dir = tempfile::tempdir().unwrap();
    let kc = crate::fleet::fleet_kubeconfig(
        dir.path(),
        &[("east", apis[0].url()), ("west", apis[1].url())],
    );
    let kc = kc.display().to_string();
    for argv in [
        vec!["setup", "--all-contexts", "--kubeconfig", &kc],
        vec!["setup", "--context", "west", "--kubeconfig", &kc],
    ] {
        let mut s = spawn(&argv, dir.path());
        answer(&mut s, "Registry host", "registry.example.com:5000");
        answer(&mut s, "Username", "robot");
        s.expect("Password").unwrap();
        let mut tries = 0;
        while s.get_process().get_echo().expect("termios") {
            tries += 1;
            assert!(tries < 6000, "the password prompt never turned echo off");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        s.send("\x03").unwrap();
        let out = rest(&mut s);
        let status = s.get_process().wait().expect("wait");
        assert!(
            matches!(
                status,
                expectrl::process::unix::WaitStatus::Signaled(
                    _,
                    expectrl::process::unix::Signal::SIGINT,
                    _
                )
            ),
            "{argv:?}: {status:?}: {out}"
        );
        assert!(
            s.get_process().get_echo().expect("termios"),
            "{argv:?}: the terminal's echo was left off: {out}"
        );
    }
    for api in &apis {
        assert!(api.writes().is_empty(), "{:?}", api.writes());
    }
}
