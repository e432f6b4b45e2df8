//! `node-trust --method kind|k3s|openshift`: golden outputs of the three printers (stdout,
//! the document; stderr, the steps), the OpenShift ConfigMap against real kubectl, and the
//! usage errors.

use std::os::unix::process::CommandExt;
use std::process::Command;

use serde_json::Value;

use crate::support::{bin, fixture};

const REGISTRIES: [&str; 2] = [
    "https://registry.example.com:5000/v2/",
    "harbor.example.com",
];

/// Run one printer on the snapshot CA; stdout and stderr with the CA's absolute path as
/// `/SCRUBBED/ca.crt` (it depends on the checkout).
fn printer(method: &str, extra: &[&str]) -> (String, String) {
    let ca = fixture("core/snapshot-ca.crt");
    let mut c = bin();
    c.args(["node-trust", "--method", method]);
    for r in REGISTRIES {
        c.args(["--registry", r]);
    }
    let out = c.arg("--ca-file").arg(&ca).args(extra).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{method}: {stderr}");
    let abs = std::fs::canonicalize(&ca).unwrap();
    let scrub = |s: String| {
        s.replace(abs.to_str().unwrap(), "/SCRUBBED/ca.crt")
            .replace(ca.to_str().unwrap(), "/SCRUBBED/ca.crt")
    };
    (scrub(String::from_utf8(out.stdout).unwrap()), scrub(stderr))
}

#[test]
fn kind_printer_golden() {
    let (stdout, stderr) = printer("kind", &[]);
    insta::assert_snapshot!(
        "node_trust_kind",
        format!("{stdout}--- stderr ---\n{stderr}")
    );
}

#[test]
fn k3s_printer_golden() {
    let (stdout, stderr) = printer("k3s", &[]);
    insta::assert_snapshot!(
        "node_trust_k3s",
        format!("{stdout}--- stderr ---\n{stderr}")
    );
}

#[test]
fn openshift_printer_golden() {
    let (stdout, stderr) = printer("openshift", &[]);
    insta::assert_snapshot!(
        "node_trust_openshift",
        format!("{stdout}--- stderr ---\n{stderr}")
    );
}

/// The ConfigMap's data is what `oc create configmap registry-cas -n openshift-config
/// --from-file=HOST..PORT=ca.crt` (OpenShift's documented procedure) makes; kubectl's
/// `create configmap` is the same code.
#[test]
fn openshift_configmap_data_matches_kubectl_create_configmap() {
    let ca = fixture("core/snapshot-ca.crt");
    let (stdout, _) = printer("openshift", &["-o", "json", "--name", "registry-cas"]);
    let ours: Value = serde_json::from_str(&stdout).unwrap();
    let out = Command::new("kubectl")
        .args([
            "create",
            "configmap",
            "registry-cas",
            "-n",
            "openshift-config",
            "--dry-run=client",
            "-o",
            "json",
        ])
        .arg(format!(
            "--from-file=registry.example.com..5000={}",
            ca.display()
        ))
        .arg(format!("--from-file=harbor.example.com={}", ca.display()))
        .output()
        .expect("kubectl on PATH");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ours["data"], theirs["data"]);
    assert_eq!(ours["metadata"]["namespace"], "openshift-config");
    assert_eq!(ours["metadata"]["name"], theirs["metadata"]["name"]);
}

/// JSON output of the kind document is the same document.
#[test]
fn kind_json_is_the_yaml_document() {
    let (yaml, _) = printer("kind", &[]);
    let (json, _) = printer("kind", &["-o", "json"]);
    let from_yaml: Value = serde_saphyr::from_str(&yaml).unwrap();
    let from_json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(from_yaml, from_json);
    let mounts = from_json["nodes"][0]["extraMounts"].as_array().unwrap();
    assert_eq!(mounts.len(), 2);
    assert!(mounts.iter().all(|m| m["hostPath"] == "/SCRUBBED/ca.crt"));
}

#[test]
fn usage_errors_are_one_line_and_print_nothing() {
    let ca = fixture("core/snapshot-ca.crt");
    for (args, needle) in [
        (vec!["--registry", "ftp://x.example.com"], "--registry"),
        (vec!["--registry", "reg.example.com:99999"], "port"),
    ] {
        let out = bin()
            .args(["node-trust", "--method", "k3s"])
            .args(&args)
            .arg("--ca-file")
            .arg(&ca)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(needle),
            "{stderr}"
        );
    }
    let out = bin()
        .args([
            "node-trust",
            "--method",
            "kind",
            "--registry",
            "reg.example.com",
        ])
        .args(["--ca-file", "/nonexistent/ca.crt"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("/nonexistent/ca.crt"), "{stderr}");
}

#[test]
fn daemonset_printer_golden() {
    let (stdout, stderr) = printer("daemonset", &["--dry-run=client"]);
    insta::assert_snapshot!(
        "node_trust_daemonset",
        format!("{stdout}--- stderr ---\n{stderr}")
    );
}

/// The same input prints the same objects; a new CA changes the ConfigMap and, through the
/// pod template's hash of it, the DaemonSet (a new generation: its pods roll and write it).
#[test]
fn daemonset_rerun_is_identical_and_a_new_ca_rolls_the_pods() {
    let (a, _) = printer("daemonset", &["--dry-run=client", "-o", "json"]);
    let (b, _) = printer("daemonset", &["--dry-run=client", "-o", "json"]);
    assert_eq!(a, b);
    let list: Value = serde_json::from_str(&a).unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.iter().filter(|o| o["kind"] == "DaemonSet").count(), 1);
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other-ca.crt");
    std::fs::copy(fixture("core/snapshot-ca.crt"), &other).unwrap();
    let mut pem = std::fs::read_to_string(&other).unwrap();
    pem.push_str(&std::fs::read_to_string(fixture("core/snapshot-ca.crt")).unwrap());
    std::fs::write(&other, pem).unwrap();
    let mut c = bin();
    c.args(["node-trust", "--dry-run=client", "-o", "json"]);
    for r in REGISTRIES {
        c.args(["--registry", r]);
    }
    let out = c.arg("--ca-file").arg(&other).output().unwrap();
    assert!(out.status.success());
    let list2: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items2 = list2["items"].as_array().unwrap();
    assert_ne!(items[1]["data"]["ca.crt"], items2[1]["data"]["ca.crt"]);
    let hash = |o: &Value| {
        o["spec"]["template"]["metadata"]["annotations"]["kubectl-porch-registry/trust-sha256"]
            .clone()
    };
    assert_ne!(hash(&items[2]), hash(&items2[2]));
    let (mut d1, mut d2) = (items[2].clone(), items2[2].clone());
    d1["spec"]["template"]["metadata"]["annotations"] = Value::Null;
    d2["spec"]["template"]["metadata"]["annotations"] = Value::Null;
    assert_eq!(d1, d2, "only the hash differs");
}

/// The printers that name the CA file need --ca-file; they send nothing, so no server dry run.
#[test]
fn printer_usage_errors() {
    for (args, needle) in [
        (
            vec!["--method", "kind", "--registry", "reg.example.com"],
            "--ca-file",
        ),
        (
            vec!["--method", "k3s", "--registry", "reg.example.com"],
            "--ca-file",
        ),
        (
            vec![
                "--method",
                "openshift",
                "--registry",
                "reg.example.com",
                "--dry-run=server",
            ],
            "--dry-run=server",
        ),
    ] {
        let out = bin().arg("node-trust").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
}

/// The DaemonSet's helper script as the pods run it (busybox sh, the image's shell), on a
/// scratch tree: it writes ca.crt with its marker under each runtime's certs.d that exists,
/// skips a file it did not write, rewrites a new CA, is Ready (the probe's cmp) once written,
/// and its cleanup removes only its own files.
#[test]
fn helper_script_writes_marks_and_cleans_only_its_own_files() {
    let (json, _) = printer("daemonset", &["--dry-run=client", "-o", "json"]);
    let list: Value = serde_json::from_str(&json).unwrap();
    let cm = &list["items"][1];
    let ds = &list["items"][2];
    let dir = tempfile::tempdir().unwrap();
    let (trust, state, etc) = (
        dir.path().join("trust"),
        dir.path().join("state"),
        dir.path().join("etc"),
    );
    for d in [&trust, &state, &etc.join("containerd"), &etc.join("docker")] {
        std::fs::create_dir_all(d).unwrap();
    }
    for k in ["sync.sh", "ca.crt", "registries"] {
        std::fs::write(trust.join(k), cm["data"][k].as_str().unwrap()).unwrap();
    }
    let foreign = etc.join("docker/certs.d/harbor.example.com/ca.crt");
    std::fs::create_dir_all(foreign.parent().unwrap()).unwrap();
    std::fs::write(&foreign, "FOREIGN").unwrap();
    let run = |arg: &str| {
        let out = Command::new("busybox")
            .arg("sh")
            .arg(trust.join("sync.sh"))
            .arg(arg)
            .env("NODE_TRUST_ETC", &etc)
            .env("NODE_TRUST_DIR", &trust)
            .env("NODE_TRUST_STATE", &state)
            .output()
            .expect("busybox (busybox-static) on PATH");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // The readiness probe, with the state directory in place of the pod's.
    let probe = || {
        let cmd =
            &ds["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["exec"]["command"];
        assert_eq!(cmd[0], "cmp");
        Command::new("busybox")
            .args(["cmp", "-s"])
            .arg(trust.join("ca.crt"))
            .arg(state.join("ca.crt"))
            .status()
            .unwrap()
            .success()
    };
    assert!(!probe(), "not Ready before the first sync");
    let ca = cm["data"]["ca.crt"].as_str().unwrap();
    let log = run("once");
    let written = [
        "containerd/certs.d/harbor.example.com",
        "containerd/certs.d/registry.example.com:5000",
        "docker/certs.d/registry.example.com:5000",
    ];
    for w in written {
        assert_eq!(
            std::fs::read_to_string(etc.join(w).join("ca.crt")).unwrap(),
            ca,
            "{w}"
        );
        assert!(
            etc.join(w).join(".porch-registry-node-trust").exists(),
            "{w}"
        );
    }
    assert!(
        log.contains("skip") && log.contains("harbor.example.com/ca.crt"),
        "{log}"
    );
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "FOREIGN");
    assert!(
        !etc.join("containers").exists(),
        "no folder for a runtime that is not there"
    );
    assert!(probe(), "Ready once written");
    // Again: nothing to write.
    assert!(!run("once").contains("wrote"));
    // A new CA in the ConfigMap: rewritten everywhere it wrote, not Ready until then.
    let new_ca = format!("{ca}{ca}");
    std::fs::write(trust.join("ca.crt"), &new_ca).unwrap();
    assert!(!probe());
    assert_eq!(run("once").matches("wrote").count(), 3);
    assert!(probe());
    for w in written {
        assert_eq!(
            std::fs::read_to_string(etc.join(w).join("ca.crt")).unwrap(),
            new_ca
        );
    }
    // A registry dropped from the list: its marked folders go, the others stay.
    std::fs::write(trust.join("registries"), "registry.example.com:5000\n").unwrap();
    let log = run("once");
    assert_eq!(log.matches("no longer listed").count(), 1, "{log}");
    assert!(!etc.join(written[0]).exists());
    assert!(etc.join(written[1]).join("ca.crt").exists());
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "FOREIGN");
    std::fs::write(
        trust.join("registries"),
        cm["data"]["registries"].as_str().unwrap(),
    )
    .unwrap();
    run("once");
    // The pods of `node-trust remove` (NODE_TRUST_MODE=remove): they clean up, then are Ready
    // and idle until deleted.
    std::fs::remove_file(state.join("ca.crt")).unwrap();
    let mut child = Command::new("busybox")
        .arg("sh")
        .arg(trust.join("sync.sh"))
        .env("NODE_TRUST_ETC", &etc)
        .env("NODE_TRUST_DIR", &trust)
        .env("NODE_TRUST_STATE", &state)
        .env("NODE_TRUST_MODE", "remove")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        // Its own process group: the script's `sleep 3600` child must die with it (an orphaned
        // sleep holding the test's output pipe kept `cargo test | tee` waiting for an hour).
        .process_group(0)
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !probe() && start.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let ready = probe();
    let still_running = child.try_wait().unwrap().is_none();
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    assert!(ready && still_running);
    for w in written {
        assert!(!etc.join(w).exists(), "{w}");
    }
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "FOREIGN");
    run("once");
    // `cleanup`: only its own files, the runtimes' folders stay.
    let log = run("cleanup");
    assert_eq!(log.matches("removed").count(), 3, "{log}");
    for w in written {
        assert!(!etc.join(w).exists(), "{w}");
    }
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "FOREIGN");
    assert!(etc.join("containerd/certs.d").is_dir());
}
