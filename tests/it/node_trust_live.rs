//! Live `node-trust` (the DaemonSet method), `node-trust remove` and `status` per node,
//! through the built binary against the fake API: the runner is configured by a real
//! `setup --ca-file` first, so the defaults (CA, registries) come from its Secrets.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::cluster::porch_cluster;
use crate::fake_api::{FakeApi, Rollout};
use crate::support::bin;

const TRUST_NS: &str = "kube-system";
const NAME: &str = "porch-registry-ca";
const PASSWORD: &str = "s3cr3t-Pa55word";
const HASH: &str = "kubectl-porch-registry/trust-sha256";

fn ca_pem(cn: &str) -> String {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().pem()
}

/// `setup` with a CA (the runner then mounts an auth Secret for registry.example.com:5000
/// and a TLS Secret with this CA).
fn setup_with_ca(api: &FakeApi, pem: &str) {
    let ca = api.dir().join(format!("ca-{}.crt", pem.len()));
    std::fs::write(&ca, pem).unwrap();
    bin()
        .args(["setup", "--kubeconfig"])
        .arg(api.kubeconfig())
        .args([
            "--registry",
            "registry.example.com:5000",
            "--username",
            "robot",
            "--yes",
            "--timeout=30s",
            "--ca-file",
        ])
        .arg(&ca)
        .env("PORCH_REGISTRY_PASSWORD", PASSWORD)
        .env_remove("KUBECONFIG")
        .assert()
        .success();
}

/// A cluster with the runner configured, the trust namespace and two nodes (one tainted
/// control plane, which the DaemonSet tolerates).
fn cluster_with_ca(pem: &str) -> FakeApi {
    let api = porch_cluster();
    api.namespace(TRUST_NS);
    api.node("worker-1", true, &[]);
    api.node(
        "control-plane",
        true,
        &[("node-role.kubernetes.io/control-plane", "NoSchedule")],
    );
    setup_with_ca(&api, pem);
    api.clear_requests();
    api
}

fn node_trust(api: &FakeApi, args: &[&str]) -> (Option<i32>, String, String) {
    let out = bin()
        .arg("node-trust")
        .args(args)
        .arg("--kubeconfig")
        .arg(api.kubeconfig())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn one_error_line(stderr: &str) -> &str {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(stderr.trim_end().ends_with(errors[0]), "{stderr}");
    errors[0]
}

fn ds(api: &FakeApi) -> Value {
    api.get("daemonsets", TRUST_NS, NAME).expect("daemonset")
}

fn pods(api: &FakeApi) -> Vec<Value> {
    let st = api.state.lock().unwrap();
    st.objects
        .iter()
        .filter(|((r, ns, _), _)| *r == "pods" && ns == TRUST_NS)
        .map(|(_, p)| p.clone())
        .collect()
}

/// Nothing the tool stored in the trust namespace holds the password or the auth file.
fn no_credentials_in_trust_namespace(api: &FakeApi) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let auth = api
        .get("secrets", "porch-system", "registry-auth-secret")
        .unwrap()["data"][".dockerconfigjson"]
        .as_str()
        .unwrap()
        .to_string();
    let userpass = b64.encode(format!("robot:{PASSWORD}"));
    let st = api.state.lock().unwrap();
    for ((r, ns, n), o) in &st.objects {
        if ns == TRUST_NS {
            let text = o.to_string();
            for needle in [PASSWORD, &auth, &userpass] {
                assert!(!text.contains(needle), "{r}/{n} holds a credential");
            }
            assert_ne!(*r, "secrets", "no Secret in the trust namespace");
        }
    }
}

#[test]
fn apply_defaults_from_the_runner_then_rerun_is_a_no_op() {
    let pem = ca_pem("Node Trust CA");
    let api = cluster_with_ca(&pem);
    let (code, stdout, stderr) = node_trust(&api, &["--timeout=30s"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "serviceaccount/{NAME} created\nconfigmap/{NAME} created\ndaemonset.apps/{NAME} created\n"
        )
    );
    assert!(
        stderr.contains(&format!("daemon set \"{NAME}\" successfully rolled out")),
        "{stderr}"
    );
    assert!(
        stderr.contains("secret/registry-tls-secret (namespace \"porch-system\")"),
        "{stderr}"
    );
    // The CA of the runner's TLS Secret, the registries of its auth Secret's keys.
    let cm = api.get("configmaps", TRUST_NS, NAME).expect("configmap");
    assert_eq!(cm["data"]["ca.crt"], pem.as_str());
    assert_eq!(cm["data"]["registries"], "registry.example.com:5000\n");
    no_credentials_in_trust_namespace(&api);
    // Server-side apply with our field manager, after an access review of each write.
    let writes = api.writes();
    let applies: Vec<&str> = writes
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        applies,
        [
            format!("/api/v1/namespaces/{TRUST_NS}/serviceaccounts/{NAME}"),
            format!("/api/v1/namespaces/{TRUST_NS}/configmaps/{NAME}"),
            format!("/apis/apps/v1/namespaces/{TRUST_NS}/daemonsets/{NAME}"),
        ]
    );
    assert!(
        writes
            .iter()
            .all(|r| r.content_type.starts_with("application/apply-patch")
                && r.query.contains("fieldManager=kubectl-porch-registry"))
    );
    let reviews = api
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("selfsubjectaccessreviews"))
        .count();
    assert_eq!(reviews, 3);
    // One pod per node, each with the current hash.
    let d = ds(&api);
    let hash = d["spec"]["template"]["metadata"]["annotations"][HASH].clone();
    assert!(hash.as_str().is_some_and(|h| h.len() == 64), "{hash}");
    let ps = pods(&api);
    let mut on: Vec<&str> = ps
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    on.sort();
    assert_eq!(on, ["control-plane", "worker-1"]);
    assert!(
        ps.iter()
            .all(|p| p["metadata"]["annotations"][HASH] == hash)
    );
    assert_eq!(d["spec"]["template"]["spec"]["serviceAccountName"], NAME);

    // Again, same input: nothing changes (same generation and resourceVersion).
    let before = ds(&api);
    let cm_before = api.get("configmaps", TRUST_NS, NAME).unwrap();
    let (code, stdout, stderr) = node_trust(&api, &["--timeout=30s"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "serviceaccount/{NAME} unchanged\nconfigmap/{NAME} unchanged\ndaemonset.apps/{NAME} unchanged\n"
        )
    );
    let after = ds(&api);
    assert_eq!(after["metadata"]["generation"], 1);
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    assert_eq!(
        api.get("configmaps", TRUST_NS, NAME).unwrap()["metadata"]["resourceVersion"],
        cm_before["metadata"]["resourceVersion"]
    );
}

/// After `setup --ca-file NEW`, node-trust replaces the CA: the ConfigMap changes, the pod
/// template's hash changes (a new generation), the pods are replaced by ones with it.
#[test]
fn a_new_ca_after_setup_replaces_the_configmap_and_rolls_the_pods() {
    let old = ca_pem("Old CA");
    let api = cluster_with_ca(&old);
    let (code, _, stderr) = node_trust(&api, &["--timeout=30s"]);
    assert_eq!(code, Some(0), "{stderr}");
    let old_hash = ds(&api)["spec"]["template"]["metadata"]["annotations"][HASH].clone();
    let new = ca_pem("New CA");
    setup_with_ca(&api, &new);
    let (code, stdout, stderr) = node_trust(&api, &["--timeout=30s"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "serviceaccount/{NAME} unchanged\nconfigmap/{NAME} configured\ndaemonset.apps/{NAME} configured\n"
        )
    );
    let cm = api.get("configmaps", TRUST_NS, NAME).unwrap();
    assert_eq!(cm["data"]["ca.crt"], new.as_str());
    let d = ds(&api);
    assert_eq!(d["metadata"]["generation"], 2);
    assert_eq!(d["status"]["observedGeneration"], 2);
    let new_hash = d["spec"]["template"]["metadata"]["annotations"][HASH].clone();
    assert_ne!(new_hash, old_hash);
    let ps = pods(&api);
    assert_eq!(ps.len(), 2);
    assert!(
        ps.iter()
            .all(|p| p["metadata"]["annotations"][HASH] == new_hash)
    );
}

#[test]
fn dry_run_server_sends_dry_run_all_and_persists_nothing() {
    let api = cluster_with_ca(&ca_pem("CA"));
    let (code, stdout, stderr) = node_trust(&api, &["--dry-run=server"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout
            .lines()
            .all(|l| l.ends_with("created (server dry run)")),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 3);
    let sent: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.is_write())
        .collect();
    assert_eq!(sent.len(), 3);
    assert!(
        sent.iter().all(|r| r.query.contains("dryRun=All")),
        "{sent:?}"
    );
    assert!(api.writes().is_empty());
    for r in ["serviceaccounts", "configmaps", "daemonsets"] {
        assert!(api.get(r, TRUST_NS, NAME).is_none(), "{r}");
    }
    // -o json: the objects as the server would store them.
    let (code, stdout, _) = node_trust(&api, &["--dry-run=server", "-o", "json"]);
    assert_eq!(code, Some(0));
    let list: Value = serde_json::from_str(&stdout).unwrap();
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ServiceAccount", "ConfigMap", "DaemonSet"]);
    assert!(api.writes().is_empty());
}

#[test]
fn remove_deletes_the_three_objects_and_a_second_remove_says_nothing_was_there() {
    let api = cluster_with_ca(&ca_pem("CA"));
    assert_eq!(node_trust(&api, &["--timeout=30s"]).0, Some(0));
    assert_eq!(pods(&api).len(), 2);
    api.clear_requests();
    // client and server dry runs delete nothing
    let (code, stdout, _) = node_trust(&api, &["remove", "--dry-run=client"]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    assert!(api.requests().iter().all(|r| !r.is_write()));
    let (code, stdout, stderr) = node_trust(&api, &["remove", "--dry-run=server"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("(server dry run)"), "{stdout}");
    assert!(api.writes().is_empty());
    assert!(api.get("daemonsets", TRUST_NS, NAME).is_some());

    let (code, stdout, stderr) = node_trust(&api, &["remove", "--timeout=30s"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "daemonset.apps/{NAME} switched to cleanup (each node's pod removes the files it wrote)\n\
             daemonset.apps \"{NAME}\" deleted\nconfigmap \"{NAME}\" deleted\nserviceaccount \"{NAME}\" deleted\n"
        )
    );
    assert!(
        stderr.contains(&format!("daemon set \"{NAME}\" successfully rolled out")),
        "the cleanup rollout finished before the delete: {stderr}"
    );
    for r in ["serviceaccounts", "configmaps", "daemonsets"] {
        assert!(api.get(r, TRUST_NS, NAME).is_none(), "{r}");
    }
    assert!(pods(&api).is_empty(), "the DaemonSet's pods went with it");
    // The cleanup template first (an update guarded by resourceVersion), then the deletes,
    // the DaemonSet first.
    let writes: Vec<(String, String)> = api
        .writes()
        .into_iter()
        .map(|r| (r.method, r.path.rsplit('/').nth(1).unwrap().to_string()))
        .collect();
    let want: Vec<(String, String)> = [
        ("PUT", "daemonsets"),
        ("DELETE", "daemonsets"),
        ("DELETE", "configmaps"),
        ("DELETE", "serviceaccounts"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(writes, want);
    // Again: nothing there, exit 0, nothing sent.
    api.clear_requests();
    let (code, stdout, stderr) = node_trust(&api, &["remove"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("nothing to remove"), "{stdout}");
    assert!(api.writes().is_empty());
}

#[test]
fn pod_security_missing_namespace_and_rbac_are_one_error_line_and_change_nothing() {
    let api = cluster_with_ca(&ca_pem("CA"));
    api.insert(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "restricted-ns",
        "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}),
    );
    let (code, stdout, stderr) = node_trust(&api, &["--namespace", "restricted-ns"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    let e = one_error_line(&stderr);
    assert!(e.contains("\"baseline\""), "{e}");
    assert!(
        e.contains("kubectl label namespace restricted-ns pod-security.kubernetes.io/enforce=privileged --overwrite"),
        "{e}"
    );
    assert!(api.writes().is_empty());
    let labels = api.get("namespaces", "", "restricted-ns").unwrap()["metadata"]["labels"].clone();
    assert_eq!(
        labels,
        json!({"pod-security.kubernetes.io/enforce": "baseline"}),
        "never labelled"
    );

    let (code, _, stderr) = node_trust(&api, &["--namespace", "nowhere"]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(one_error_line(&stderr).contains("namespace \"nowhere\" does not exist"));
    assert!(api.writes().is_empty());

    api.forbid("patch", "daemonsets", Some(TRUST_NS));
    let (code, _, stderr) = node_trust(&api, &[]);
    assert_eq!(code, Some(6), "{stderr}");
    let e = one_error_line(&stderr);
    assert!(e.contains("daemonsets.apps") && e.contains("patch"), "{e}");
    assert!(api.writes().is_empty(), "reviewed before any write");
}

/// A write refused half way (an admission webhook; the access review allowed it): what was
/// applied, what was not, and how to undo it.
/// Every apply is tried with dryRun=All before the first write, so a refusal of the
/// DaemonSet (an admission webhook) is found before the ServiceAccount and the ConfigMap
/// are written: nothing partial stays.
#[test]
fn a_refusal_of_the_last_object_is_found_before_any_write() {
    let api = cluster_with_ca(&ca_pem("CA"));
    api.reject("patch", "daemonsets");
    let (code, stdout, stderr) = node_trust(&api, &[]);
    assert_eq!(code, Some(5), "{stderr}");
    let e = one_error_line(&stderr);
    assert!(
        e.contains("daemonsets changes are frozen") && e.ends_with("nothing was changed"),
        "{e}"
    );
    assert!(!stdout.contains("created"), "{stdout}");
    assert!(api.writes().is_empty(), "{:?}", api.writes());
    assert!(api.get("serviceaccounts", TRUST_NS, NAME).is_none());
    assert!(api.get("configmaps", TRUST_NS, NAME).is_none());
    assert!(api.get("daemonsets", TRUST_NS, NAME).is_none());
}

/// Another field manager (GitOps) owns the CA in the ConfigMap: a conflict (exit 10) before
/// any write, unless --force-conflicts; --field-manager names the writes.
#[test]
fn a_configmap_owned_by_another_manager_is_a_conflict_unless_forced() {
    let api = cluster_with_ca(&ca_pem("CA"));
    api.apply_as(
        "argocd-controller",
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": NAME, "namespace": TRUST_NS},
            "data": {"ca.crt": "old", "registries": "old.example.com\n"}}),
    );
    api.clear_requests();
    let (code, _, stderr) = node_trust(&api, &["--wait=false"]);
    assert_eq!(code, Some(10), "{stderr}");
    let e = one_error_line(&stderr);
    assert!(
        e.contains(&format!("configmap/{NAME} in namespace \"{TRUST_NS}\""))
            && e.contains("conflict with \"argocd-controller\": .data.ca.crt")
            && e.contains("--force-conflicts")
            && e.ends_with("nothing was changed"),
        "{e}"
    );
    assert!(api.writes().is_empty(), "{:?}", api.writes());
    assert!(api.get("serviceaccounts", TRUST_NS, NAME).is_none());
    let (code, _, stderr) = node_trust(
        &api,
        &[
            "--wait=false",
            "--force-conflicts",
            "--field-manager",
            "ci-trust",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let cm = api.get("configmaps", TRUST_NS, NAME).unwrap();
    assert_ne!(cm["data"]["ca.crt"], "old");
    assert!(
        cm["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |m| m["manager"] == "ci-trust" && m["fieldsV1"]["f:data"].get("f:ca.crt").is_some()
            ),
        "{cm}"
    );
    // The printers write nothing: the write flags are refused there.
    let (code, _, stderr) = node_trust(
        &api,
        &[
            "--method",
            "k3s",
            "--ca-file",
            "/dev/null",
            "--registry",
            "r.example.com",
            "--force-conflicts",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn a_runner_without_tls_secret_needs_ca_file() {
    let api = porch_cluster();
    api.namespace(TRUST_NS);
    bin()
        .args(["setup", "--kubeconfig"])
        .arg(api.kubeconfig())
        .args([
            "--registry",
            "registry.example.com:5000",
            "--username",
            "robot",
            "--yes",
        ])
        .env("PORCH_REGISTRY_PASSWORD", PASSWORD)
        .env_remove("KUBECONFIG")
        .assert()
        .success();
    api.clear_requests();
    let (code, stdout, stderr) = node_trust(&api, &[]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        one_error_line(&stderr).contains("pass the CA with --ca-file"),
        "{stderr}"
    );
    assert!(api.writes().is_empty());
}

#[test]
fn a_rollout_that_never_finishes_times_out_naming_the_nodes() {
    let api = cluster_with_ca(&ca_pem("CA"));
    api.set_rollout(Rollout::Never);
    let (code, _, stderr) = node_trust(&api, &["--timeout=1s"]);
    assert_eq!(code, Some(9), "{stderr}");
    let e = one_error_line(&stderr);
    assert!(
        e.contains("rollout status daemonset/porch-registry-ca"),
        "{e}"
    );
    assert!(stderr.contains("node worker-1: no pod"), "{stderr}");
}

#[test]
fn status_shows_per_node_whether_the_ca_is_written() {
    let api = cluster_with_ca(&ca_pem("CA"));
    api.node(
        "broken",
        false,
        &[("node.kubernetes.io/not-ready", "NoExecute")],
    );
    // NotReady node: its pod never becomes available, so do not wait for the rollout.
    let (code, _, stderr) = node_trust(&api, &["--wait=false"]);
    assert_eq!(code, Some(0), "{stderr}");
    // The fake's controller completes the rollout on the next GET (a first status reads
    // it); a node that joins later has no pod yet.
    let first = bin()
        .args(["status", "--kubeconfig"])
        .arg(api.kubeconfig())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert!(first.status.success());
    api.node("late", true, &[]);
    let out = bin()
        .args(["status", "-o", "json", "--kubeconfig"])
        .arg(api.kubeconfig())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let nt = &report["nodeTrust"];
    assert_eq!(nt["installed"], true);
    assert_eq!(nt["registries"], json!(["registry.example.com:5000"]));
    let states: Vec<(String, String)> = nt["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["node"].as_str().unwrap().to_string(),
                n["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let states: Vec<(&str, &str)> = states
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            ("broken", "node NotReady"),
            ("control-plane", "trusted"),
            ("late", "no pod"),
            ("worker-1", "trusted"),
        ]
    );
    assert_eq!(nt["nodes"][1]["pod"], format!("{NAME}-control-plane"));
    // The table names them too.
    let out = bin()
        .args(["status", "--kubeconfig"])
        .arg(api.kubeconfig())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("node late: no pod"), "{table}");
    assert!(table.contains("node broken: node NotReady"), "{table}");
    // Without the DaemonSet: not installed.
    assert_eq!(node_trust(&api, &["remove", "--wait=false"]).0, Some(0));
    let out = bin()
        .args(["status", "-o", "json", "--kubeconfig"])
        .arg(api.kubeconfig())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["nodeTrust"]["installed"], false);
}

/// The cleanup rollout does not finish: nothing is deleted, so that the pods can finish.
#[test]
fn remove_waits_for_the_cleanup_and_deletes_nothing_on_timeout() {
    let api = cluster_with_ca(&ca_pem("CA"));
    assert_eq!(node_trust(&api, &["--timeout=30s"]).0, Some(0));
    api.set_rollout(Rollout::Never);
    let (code, _, stderr) = node_trust(&api, &["remove", "--timeout=1s"]);
    assert_eq!(code, Some(9), "{stderr}");
    let e = one_error_line(&stderr);
    assert!(e.contains("nothing was deleted yet"), "{e}");
    let ds = ds(&api);
    assert_eq!(
        ds["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([{"name": "NODE_TRUST_MODE", "value": "remove"}])
    );
    assert!(api.get("configmaps", TRUST_NS, NAME).is_some());
    // Again, once the pods have run: the template is already switched (no second update).
    api.set_rollout(Rollout::AfterGets(1));
    api.clear_requests();
    let (code, stdout, stderr) = node_trust(&api, &["remove", "--timeout=30s"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.contains("switched"), "{stdout}");
    assert!(api.writes().iter().all(|r| r.method == "DELETE"));
    assert!(api.get("daemonsets", TRUST_NS, NAME).is_none());
}

/// `check -o json`: its exit code and its node-ca-trust findings (severity, message).
fn node_ca_findings(api: &FakeApi) -> (Option<i32>, Vec<(String, String)>) {
    let out = bin()
        .args(["check", "-o", "json", "--kubeconfig"])
        .arg(api.kubeconfig())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "node-ca-trust")
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (out.status.code(), found)
}

/// `check` judges the nodes' trust of the CA by the node-trust DaemonSet's state, with the
/// per-node rule `status` shows: not installed, every node trusted, a node with no pod, pods
/// from an older CA (stale, rolling out), a CA other than the runner's.
#[test]
fn check_reads_the_node_trust_daemonset_state() {
    let api = cluster_with_ca(&ca_pem("CA"));
    // Not installed: the reminder, naming the DaemonSet and the command.
    let (code, f) = node_ca_findings(&api);
    assert_eq!(code, Some(0), "{f:?}");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "info");
    assert!(
        f[0].1
            .starts_with(&format!("no node-trust DaemonSet {TRUST_NS}/{NAME}")),
        "{f:?}"
    );

    // Installed and rolled out: every Ready node trusted.
    assert_eq!(node_trust(&api, &["--timeout=30s"]).0, Some(0));
    let (code, f) = node_ca_findings(&api);
    assert_eq!(code, Some(0), "{f:?}");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "info");
    assert!(
        f[0].1
            .contains("has written the runner's CA on all 2 Ready node(s)"),
        "{f:?}"
    );

    // A node joins that has no pod yet: an error (exit 3), the node named, as status shows it.
    api.node("late", true, &[]);
    let (code, f) = node_ca_findings(&api);
    assert_eq!(code, Some(3), "{f:?}");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "error");
    assert!(
        f[0].1
            .starts_with("1 Ready node(s) have no node-trust pod, so the registry CA was not written there: late;"),
        "{f:?}"
    );
    api.remove("nodes", "", "late");

    // A new CA by setup, node-trust not run again: the nodes have another CA than the runner.
    let new = ca_pem("New CA");
    setup_with_ca(&api, &new);
    let (code, f) = node_ca_findings(&api);
    assert_eq!(code, Some(0), "{f:?}");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "warning");
    assert!(
        f[0].1.contains(
            "writes a CA other than the runner's Secret/porch-system/registry-tls-secret"
        ),
        "{f:?}"
    );

    // node-trust takes the new CA; its rollout does not finish: both pods are from the old
    // CA (stale). The CA itself is the runner's now.
    api.set_rollout(Rollout::Never);
    assert_eq!(node_trust(&api, &["--wait=false"]).0, Some(0));
    let (code, f) = node_ca_findings(&api);
    assert_eq!(code, Some(0), "{f:?}");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "warning");
    assert!(
        f[0].1
            .starts_with("stale: the node-trust pods on 2 node(s) are from an older CA (rolling out): control-plane, worker-1;"),
        "{f:?}"
    );
    // The same nodes as status names them.
    let out = bin()
        .args(["status", "-o", "json", "--kubeconfig"])
        .arg(api.kubeconfig())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<&str> = report["nodeTrust"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["stale", "stale"]);

    // Once rolled out, trusted again.
    api.set_rollout(Rollout::AfterGets(1));
    assert_eq!(node_trust(&api, &["--timeout=30s"]).0, Some(0));
    let (code, f) = node_ca_findings(&api);
    assert_eq!(code, Some(0), "{f:?}");
    assert!(f[0].1.contains("on all 2 Ready node(s)"), "{f:?}");
}

/// Another DaemonSet name or namespace is given as for status; with -f it is refused.
#[test]
fn check_takes_the_node_trust_objects_by_flag() {
    let api = cluster_with_ca(&ca_pem("CA"));
    api.namespace("trust-system");
    let ns = node_trust(&api, &["--namespace", "trust-system", "--timeout=30s"]);
    assert_eq!(ns.0, Some(0), "{}", ns.2);
    let out = bin()
        .args([
            "check",
            "-o",
            "json",
            "--node-trust-namespace",
            "trust-system",
        ])
        .arg("--kubeconfig")
        .arg(api.kubeconfig())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "the node-trust DaemonSet trust-system/{NAME} has written the runner's CA"
        )),
        "{text}"
    );
    let out = bin()
        .args(["check", "-f", "x.yaml", "--node-trust-name", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
