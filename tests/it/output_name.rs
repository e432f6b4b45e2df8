//! `-o name` wherever objects are printed (`secret auth|tls`, `setup --dry-run=client`
//! offline and live, `patch -f`, `remove -f` and live `remove --dry-run=client`, `node-trust
//! --method daemonset|openshift`), compared line for line with real kubectl's name printer:
//! `kubectl create secret ... -o name` for the same Secret, and for streams `kubectl label
//! --local -f - -o name` (the printer of `kubectl apply --dry-run=client -o name`, which needs
//! an API server for discovery) on our own `-o yaml` output of the same command.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::cluster::porch_cluster;
use crate::support::{bin, fixture};

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .expect("UTF-8")
        .lines()
        .map(str::to_string)
        .collect()
}

/// Our command's stdout (must succeed).
fn ours(args: &[&str], stdin: Option<&str>) -> Vec<u8> {
    let mut c = bin();
    c.env_remove("PORCH_REGISTRY_PASSWORD")
        .env("PORCH_REGISTRY_PASSWORD", "example-token")
        .env_remove("DOCKER_CONFIG")
        .args(args);
    if let Some(s) = stdin {
        c.write_stdin(s.to_string());
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// kubectl's name printer on a YAML stream (offline: `--local`).
fn kubectl_names(yaml: &[u8]) -> Vec<String> {
    let mut child = Command::new("kubectl")
        .args(["label", "--local", "-f", "-", "-o", "name", "x=y"])
        .env("KUBECONFIG", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl on PATH");
    child.stdin.take().unwrap().write_all(yaml).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines(&out.stdout)
}

fn kubectl(args: &[&str]) -> Vec<String> {
    let out = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", "/nonexistent")
        .output()
        .expect("kubectl on PATH");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines(&out.stdout)
}

/// `args` with `-o name` against kubectl's names of the same command's `-o yaml` output.
fn same_as_kubectl(args: &[&str], stdin: Option<&str>) -> Vec<String> {
    let mut named = args.to_vec();
    named.extend(["-o", "name"]);
    let names = lines(&ours(&named, stdin));
    let mut yaml = args.to_vec();
    yaml.extend(["-o", "yaml"]);
    assert_eq!(names, kubectl_names(&ours(&yaml, stdin)), "{args:?}");
    names
}

#[test]
fn secret_auth_and_tls_name_like_kubectl_create_secret() {
    let auth = ours(
        &[
            "secret",
            "auth",
            "--registry",
            "registry.example.com:5000",
            "-u",
            "robot",
            "--name",
            "pull-creds",
            "-n",
            "porch-system",
            "-o",
            "name",
        ],
        None,
    );
    let theirs = kubectl(&[
        "create",
        "secret",
        "docker-registry",
        "pull-creds",
        "-n",
        "porch-system",
        "--docker-server=registry.example.com:5000",
        "--docker-username=robot",
        "--docker-password=example-token",
        "--dry-run=client",
        "-o",
        "name",
    ]);
    assert_eq!(lines(&auth), theirs);
    assert_eq!(theirs, ["secret/pull-creds"]);

    let ca = fixture("core/snapshot-ca.crt");
    let ca = ca.to_str().unwrap();
    let tls = ours(&["secret", "tls", "--ca-file", ca, "-o", "name"], None);
    let theirs = kubectl(&[
        "create",
        "secret",
        "generic",
        "registry-tls-secret",
        &format!("--from-file=ca.crt={ca}"),
        "--dry-run=client",
        "-o",
        "name",
    ]);
    assert_eq!(lines(&tls), theirs);
}

#[test]
fn offline_setup_patch_and_remove_name_every_object_of_the_stream() {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/2-function-runner.yaml")
        .display()
        .to_string();
    let ca = fixture("core/snapshot-ca.crt").display().to_string();
    let setup = [
        "setup",
        "-f",
        &manifest,
        "--dry-run=client",
        "--registry",
        "registry.example.com:5000",
        "-u",
        "robot",
        "--ca-file",
        &ca,
    ];
    let names = same_as_kubectl(&setup, None);
    assert_eq!(
        names,
        [
            "secret/registry-auth-secret",
            "secret/registry-tls-secret",
            "serviceaccount/porch-fn-runner",
            "deployment.apps/function-runner",
            "service/function-runner",
            "configmap/pod-cache-config",
        ]
    );
    let patched = ours(&["patch", "-f", &manifest, "--tls"], None);
    let patched = String::from_utf8(patched).unwrap();
    same_as_kubectl(&["patch", "-f", &manifest], None);
    let removed = same_as_kubectl(&["remove", "-f", "-"], Some(&patched));
    assert_eq!(removed.len(), 4);
    // JSON is the same objects as the YAML stream.
    let json: serde_json::Value =
        serde_json::from_slice(&ours(&["remove", "-f", "-", "-o", "json"], Some(&patched)))
            .unwrap();
    let yaml =
        String::from_utf8(ours(&["remove", "-f", "-", "-o", "yaml"], Some(&patched))).unwrap();
    let yaml: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&yaml).unwrap();
    assert_eq!(json["kind"], "List");
    assert_eq!(json["items"].as_array().unwrap(), &yaml);
    // --in-place: only the Secrets are printed.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("runner.yaml");
    std::fs::copy(&manifest, &copy).unwrap();
    let copy = copy.display().to_string();
    let mut in_place = setup.to_vec();
    in_place[2] = &copy;
    in_place[3] = "--in-place";
    in_place.extend(["-o", "name"]);
    assert_eq!(
        lines(&ours(&in_place, None)),
        ["secret/registry-auth-secret", "secret/registry-tls-secret"]
    );
}

#[test]
fn node_trust_printers_name_their_objects() {
    let ca = fixture("core/snapshot-ca.crt").display().to_string();
    let base = [
        "node-trust",
        "--registry",
        "registry.example.com:5000",
        "--ca-file",
        &ca,
    ];
    let mut daemonset = base.to_vec();
    daemonset.extend(["--method", "daemonset", "--dry-run=client"]);
    let names = same_as_kubectl(&daemonset, None);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "configmap/porch-registry-ca",
            "daemonset.apps/porch-registry-ca",
            "serviceaccount/porch-registry-ca"
        ]
    );
    let mut openshift = base.to_vec();
    openshift.extend(["--method", "openshift"]);
    same_as_kubectl(&openshift, None);
    // k3s prints a registries.yaml, not an object: -o name is refused, nothing printed.
    let mut k3s = base.to_vec();
    k3s.extend(["--method", "k3s", "-o", "name"]);
    let out = bin().args(&k3s).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1);
    assert!(err.contains("-o name") && err.contains("-o yaml"), "{err}");
}

#[test]
fn live_dry_run_client_names_what_would_be_applied() {
    let api = porch_cluster();
    let kc = api.kubeconfig().display().to_string();
    let setup = [
        "setup",
        "--kubeconfig",
        &kc,
        "--registry",
        "registry.example.com:5000",
        "-u",
        "robot",
        "--dry-run=client",
    ];
    let names = same_as_kubectl(&setup, None);
    assert_eq!(
        names,
        [
            "secret/registry-auth-secret",
            "deployment.apps/function-runner"
        ]
    );
    let remove = ["remove", "--kubeconfig", &kc, "--dry-run=client"];
    assert_eq!(
        same_as_kubectl(&remove, None),
        ["deployment.apps/function-runner"]
    );
    assert!(api.writes().is_empty(), "{:?}", api.writes());
}
