//! `node-trust --method kind|k3s|openshift`: golden outputs of the three printers (stdout,
//! the document; stderr, the steps), the OpenShift ConfigMap against real kubectl, and the
//! usage errors.

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
