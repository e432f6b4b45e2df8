//! `check --pull-test` through the built binary against the fake API, whose simulated kubelets
//! pull with the outcome each test decides per image and node.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cluster::porch_cluster;
use crate::fake_api::{FakeApi, PullOutcome};
use crate::support::bin;

const FN_NS: &str = "porch-fn-system";
const IMAGE: &str = "registry.example.com:5000/fn/set-labels:v1";
/// A catalog short name: the runner resolves it with its default prefix.
const SHORT: &str = "set-annotations:v0.1.4";
const SHORT_RESOLVED: &str = "ghcr.io/kptdev/krm-functions-catalog/set-annotations:v0.1.4";
/// `--registry-auth-secret-name` as `setup` writes it.
const COPY: &str = "registry-auth-secret";
const LABEL: &str = "porch-registry.kpt.dev/pull-test";

/// The runner configured for registry.example.com:5000 by `setup`, its copy in the function
/// namespace, and nodes w1, w2 Ready.
pub fn cluster() -> FakeApi {
    let api = porch_cluster();
    bin()
        .args(["setup", "--kubeconfig"])
        .arg(api.kubeconfig())
        .args([
            "--registry",
            "registry.example.com:5000",
            "--username",
            "robot",
            "--timeout=30s",
        ])
        .env("PORCH_REGISTRY_PASSWORD", "s3cr3t-Pa55word")
        .env_remove("KUBECONFIG")
        .assert()
        .success();
    // The runner's copy in the function namespace, as it writes it on its first private pull.
    let auth = api
        .get("secrets", "porch-system", COPY)
        .expect("the auth Secret");
    api.insert(
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": COPY, "namespace": FN_NS}, "data": auth["data"]}),
    );
    api.node("w1", true, &[]);
    api.node("w2", true, &[]);
    api
}

fn pull_test(api: &FakeApi, extra: &[&str]) -> (Option<i32>, Value, String) {
    let o = bin()
        .args(["check", "--kubeconfig"])
        .arg(api.kubeconfig())
        .args(["-o", "json"])
        .args(extra)
        .env_remove("KUBECONFIG")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        o.status.code(),
        json,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The pull test's findings: (rule, object, message, fix).
fn pull_findings(report: &Value) -> Vec<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["rule"]
                .as_str()
                .unwrap_or_default()
                .starts_with("pull-test-")
        })
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("rule"), s("object"), s("message"), s("fix"))
        })
        .collect()
}

fn assert_no_pods_left(api: &FakeApi) {
    assert!(
        api.pods(FN_NS).is_empty(),
        "pods left behind: {:?}",
        api.pods(FN_NS)
    );
}

#[test]
fn all_pulled_exactly_as_the_runners_function_pods() {
    let api = cluster();
    api.pull_outcome(IMAGE, "*", PullOutcome::Pulled);
    api.pull_outcome(SHORT_RESOLVED, "*", PullOutcome::Pulled);
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE, SHORT]);
    assert_eq!(code, Some(0), "{report}\n{stderr}");
    let f = pull_findings(&report);
    assert_eq!(f.len(), 4, "{f:?}");
    for (image, node) in [
        (IMAGE, "w1"),
        (IMAGE, "w2"),
        (SHORT_RESOLVED, "w1"),
        (SHORT_RESOLVED, "w2"),
    ] {
        assert!(
            f.iter()
                .any(|(rule, obj, msg, _)| rule == "pull-test-pulled"
                    && obj == &format!("Node/{node}")
                    && msg.starts_with(image)
                    && msg.contains(&format!("node {node}"))),
            "{image} on {node}: {f:?}"
        );
    }
    assert!(
        f.iter()
            .any(|(_, _, m, _)| m.contains(&format!("(given as {SHORT})")))
    );
    // The pods, as created: the runner's function container, the resolved image, the
    // runner's copy of the auth Secret (func/internal/podmanager.go appendImagePullSecret:
    // private registries on and not under gcr.io/kpt-fn/), always pulled, pinned, with the
    // inline template's (no) tolerations, the default service account.
    let pods = api.pods_started();
    assert_eq!(pods.len(), 4);
    let mut pairs: Vec<(String, String)> = pods
        .iter()
        .map(|p| {
            (
                p["spec"]["containers"][0]["image"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                p["spec"]["nodeName"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            (SHORT_RESOLVED.to_string(), "w1".to_string()),
            (SHORT_RESOLVED.to_string(), "w2".to_string()),
            (IMAGE.to_string(), "w1".to_string()),
            (IMAGE.to_string(), "w2".to_string()),
        ]
    );
    let run = pods[0]["metadata"]["labels"][LABEL]
        .as_str()
        .unwrap()
        .to_string();
    for p in &pods {
        assert_eq!(p["metadata"]["namespace"], FN_NS);
        assert_eq!(
            p["metadata"]["labels"][LABEL],
            run.as_str(),
            "one run label"
        );
        let c = &p["spec"]["containers"][0];
        assert_eq!(c["name"], "function");
        assert_eq!(c["imagePullPolicy"], "Always");
        assert_eq!(p["spec"]["restartPolicy"], "Never");
        assert_eq!(p["spec"]["imagePullSecrets"], json!([{"name": COPY}]));
        assert_eq!(p["spec"].get("tolerations"), None);
        assert_eq!(p["spec"]["serviceAccountName"], "default");
    }
    assert_no_pods_left(&api);
    // Access reviews came before the first pod; the pods were watched, not polled.
    let reqs = api.requests();
    let first_post = reqs
        .iter()
        .position(|r| r.method == "POST" && r.path.ends_with("/pods"))
        .expect("pods created");
    let reviews: Vec<_> = reqs[..first_post]
        .iter()
        .filter(|r| r.path.ends_with("/selfsubjectaccessreviews"))
        .collect();
    assert!(reviews.len() >= 4, "{reviews:?}");
    assert!(
        reqs.iter().any(|r| r.method == "GET"
            && r.path.ends_with("/pods")
            && r.query.contains("watch=true")
            && r.query.contains("resourceVersion=")
            && r.query.contains("timeoutSeconds=")),
        "a watch: {reqs:?}"
    );
}

#[test]
fn x509_on_one_node_points_at_node_trust() {
    let api = cluster();
    api.pull_outcome(IMAGE, "w1", PullOutcome::Pulled);
    api.pull_outcome(IMAGE, "w2", PullOutcome::X509);
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE]);
    assert_eq!(code, Some(3), "{report}\n{stderr}");
    let f = pull_findings(&report);
    assert_eq!(f.len(), 2, "{f:?}");
    let bad: Vec<_> = f.iter().filter(|x| x.0 == "pull-test-x509").collect();
    assert_eq!(bad.len(), 1, "{f:?}");
    let (_, obj, msg, fix) = bad[0];
    assert_eq!(obj, "Node/w2");
    assert!(msg.starts_with(IMAGE) && msg.contains("node w2"), "{msg}");
    assert!(
        msg.contains("x509: certificate signed by unknown authority"),
        "{msg}"
    );
    assert!(fix.contains("kubectl porch-registry node-trust"), "{fix}");
    assert!(
        f.iter()
            .any(|x| x.0 == "pull-test-pulled" && x.1 == "Node/w1")
    );
    assert_eq!(
        report["findings"][0]["rule"], "pull-test-x509",
        "errors first"
    );
    assert_no_pods_left(&api);
}

#[test]
fn unauthorized_points_at_the_credentials() {
    let api = cluster();
    api.pull_outcome(IMAGE, "*", PullOutcome::Unauthorized);
    // Only the back-off is seen (no cause in it): the cause comes from the pod's events.
    api.state.lock().unwrap().kubelet.backoff_only = true;
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE, "--nodes", "1"]);
    assert_eq!(code, Some(3), "{report}\n{stderr}");
    let f = pull_findings(&report);
    assert_eq!(f.len(), 1, "--nodes 1: {f:?}");
    let (rule, obj, msg, fix) = &f[0];
    assert_eq!(
        (rule.as_str(), obj.as_str()),
        ("pull-test-unauthorized", "Node/w1")
    );
    assert!(msg.contains("401 Unauthorized"), "{msg}");
    assert!(msg.contains(&format!("{FN_NS}/{COPY}")), "{msg}");
    assert!(fix.contains("kubectl porch-registry setup"), "{fix}");
    assert_eq!(api.pods_started().len(), 1);
    assert!(
        api.requests().iter().any(|r| r.path.ends_with("/events")
            && r.query
                .contains("fieldSelector=involvedObject.kind%3DPod%2CinvolvedObject.name%3D")),
        "{:?}",
        api.requests()
    );
    assert_no_pods_left(&api);
}

#[test]
fn not_found_names_the_reference() {
    let api = cluster();
    api.pull_outcome(SHORT_RESOLVED, "*", PullOutcome::NotFound);
    // The runner has not made its copy yet: said, as the pods then pull anonymously.
    api.remove("secrets", FN_NS, COPY);
    let (code, report, stderr) = pull_test(&api, &["--pull-test", SHORT]);
    assert_eq!(code, Some(3), "{report}\n{stderr}");
    let mut f = pull_findings(&report);
    let copy = f.remove(
        f.iter()
            .position(|x| x.0 == "pull-test-no-pull-secret")
            .expect("the missing copy is named"),
    );
    assert_eq!(copy.1, format!("Secret/{FN_NS}/{COPY}"));
    assert_eq!(f.len(), 2, "{f:?}");
    for (rule, _, msg, fix) in &f {
        assert_eq!(rule, "pull-test-not-found");
        assert!(msg.starts_with(SHORT_RESOLVED), "{msg}");
        assert!(fix.contains(SHORT_RESOLVED), "{fix}");
    }
    assert_no_pods_left(&api);
}

#[test]
fn timeout_reports_every_pair_and_cleans_up() {
    let api = cluster();
    api.pull_outcome(IMAGE, "w1", PullOutcome::Never);
    api.pull_outcome(IMAGE, "w2", PullOutcome::Pulled);
    let started = Instant::now();
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE, "--timeout=2s"]);
    assert_eq!(code, Some(3), "{report}\n{stderr}");
    let f = pull_findings(&report);
    let t: Vec<_> = f.iter().filter(|x| x.0 == "pull-test-timeout").collect();
    assert_eq!(t.len(), 1, "{f:?}");
    assert_eq!(t[0].1, "Node/w1");
    assert!(t[0].2.contains("Pulling image"), "last event: {}", t[0].2);
    assert!(
        f.iter()
            .any(|x| x.0 == "pull-test-pulled" && x.1 == "Node/w2")
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_no_pods_left(&api);
}

#[test]
fn forbidden_names_every_missing_permission_and_creates_nothing() {
    let api = cluster();
    api.forbid("create", "pods", Some(FN_NS));
    api.forbid("delete", "pods", Some(FN_NS));
    api.forbid("list", "nodes", None);
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE]);
    assert_eq!(code, Some(6), "{report}\n{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    for want in [
        "create pods in namespace \"porch-fn-system\"",
        "delete pods in namespace \"porch-fn-system\"",
        "list nodes",
    ] {
        assert!(errors[0].contains(want), "{want}: {stderr}");
    }
    assert!(!errors[0].contains("list pods"), "{stderr}");
    assert!(
        !api.requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/pods")),
        "no pod may be created"
    );
}

#[test]
fn not_ready_and_cordoned_nodes_get_no_pod_and_are_named() {
    let api = cluster();
    api.node("w3", false, &[]);
    let mut cordoned = api.get("nodes", "", "w2").unwrap();
    cordoned["spec"]["unschedulable"] = json!(true);
    api.remove("nodes", "", "w2");
    api.insert(cordoned);
    api.pull_outcome(IMAGE, "*", PullOutcome::Pulled);
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE]);
    assert_eq!(code, Some(0), "{report}\n{stderr}");
    let f = pull_findings(&report);
    let skipped: Vec<_> = f
        .iter()
        .filter(|x| x.0 == "pull-test-node-skipped")
        .collect();
    assert_eq!(skipped.len(), 2, "{f:?}");
    assert!(
        skipped
            .iter()
            .any(|x| x.1 == "Node/w3" && x.2.contains("NotReady"))
    );
    assert!(
        skipped
            .iter()
            .any(|x| x.1 == "Node/w2" && x.2.contains("cordoned"))
    );
    let nodes: Vec<String> = api
        .pods_started()
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(nodes, ["w1"]);
}

#[test]
fn a_broken_watch_or_no_watch_right_falls_back() {
    let api = cluster();
    api.pull_outcome(IMAGE, "*", PullOutcome::X509);
    api.state.lock().unwrap().watch.break_next = 2;
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE]);
    assert_eq!(code, Some(3), "{report}\n{stderr}");
    let f = pull_findings(&report);
    assert_eq!(
        f.iter().filter(|x| x.0 == "pull-test-x509").count(),
        2,
        "{f:?}"
    );
    assert!(api.state.lock().unwrap().watch.served >= 3);
    assert_no_pods_left(&api);

    // May not watch: polled instead.
    let api = cluster();
    api.pull_outcome(IMAGE, "*", PullOutcome::Pulled);
    api.forbid("watch", "pods", Some(FN_NS));
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE]);
    assert_eq!(code, Some(0), "{report}\n{stderr}");
    assert!(
        !api.requests()
            .iter()
            .any(|r| r.query.contains("watch=true")),
        "no watch when it is forbidden"
    );
    assert_no_pods_left(&api);
}

#[test]
fn sigint_deletes_the_pods_before_exiting() {
    let api = cluster();
    api.pull_outcome(IMAGE, "*", PullOutcome::Never);
    let exe = env!("CARGO_BIN_EXE_kubectl-porch-registry");
    let mut child = std::process::Command::new(exe)
        .args(["check", "--kubeconfig"])
        .arg(api.kubeconfig())
        .args(["--pull-test", IMAGE, "--timeout=2m"])
        .env_remove("KUBECONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let until = Instant::now() + Duration::from_secs(60);
    while api.pods(FN_NS).len() < 2 {
        assert!(Instant::now() < until, "the pods never appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Both pods are Pulling (never decided): interrupt.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(api.pods(FN_NS).len(), 2);
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let until = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < until, "still running after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    assert_no_pods_left(&api);
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("interrupted"), "{stderr}");
}

#[test]
fn usage_errors_before_anything_is_sent() {
    let api = cluster();
    api.clear_requests();
    for (args, want) in [
        (vec!["--pull-test"], "needs function images"),
        (
            vec!["--pull-test", IMAGE, "-f", "x.yaml"],
            "cannot be used with",
        ),
        (vec!["--timeout=5s"], "--pull-test"),
        (vec!["--nodes", "2"], "--pull-test"),
        (vec!["--pull-test", IMAGE, "--nodes", "0"], "0"),
    ] {
        let (code, _, stderr) = pull_test(&api, &args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    assert!(api.requests().is_empty(), "{:?}", api.requests());
}

#[test]
fn the_runners_base_pod_template_is_followed() {
    let api = cluster();
    // podmanager.go getBasePodTemplate: PodTemplate base-pod-template in the pod namespace.
    api.insert(json!({"apiVersion": "v1", "kind": "PodTemplate",
        "metadata": {"name": "base-pod-template", "namespace": FN_NS},
        "template": {"spec": {"serviceAccountName": "fn-puller",
            "imagePullSecrets": [{"name": "mirror-creds"}],
            "containers": [{"name": "function", "image": "to-be-replaced"}]}}}));
    api.insert(json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "fn-puller", "namespace": FN_NS}}));
    api.pull_outcome(IMAGE, "*", PullOutcome::Pulled);
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE, "--nodes=1"]);
    assert_eq!(code, Some(0), "{report}\n{stderr}");
    let pods = api.pods_started();
    assert_eq!(pods.len(), 1);
    assert_eq!(
        pods[0]["spec"]["imagePullSecrets"],
        json!([{"name": "mirror-creds"}, {"name": COPY}])
    );
    assert_eq!(pods[0]["spec"]["serviceAccountName"], "fn-puller");
    let f = pull_findings(&report);
    assert!(f[0].2.contains("base pod template's mirror-creds"), "{f:?}");
    assert_no_pods_left(&api);
}

#[test]
fn an_error_half_way_still_deletes_what_was_created() {
    let api = cluster();
    api.pull_outcome(IMAGE, "*", PullOutcome::Never);
    // The namespace's quota admits one pod: the second create is refused.
    api.state.lock().unwrap().kubelet.pod_quota = Some(1);
    let (code, _, stderr) = pull_test(&api, &["--pull-test", IMAGE]);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("exceeded quota"), "{stderr}");
    assert!(!errors[0].contains("RBAC"), "a quota is not RBAC: {stderr}");
    assert_eq!(code, Some(5), "{stderr}");
    assert_eq!(api.pods_started().len(), 1, "one pod was created");
    assert_no_pods_left(&api);
}

/// A Ready node with these labels and `(key, value, effect)` taints.
fn labelled_node(api: &FakeApi, name: &str, labels: Value, taints: Value) {
    let mut n = api.node(name, true, &[]);
    api.remove("nodes", "", name);
    for (k, v) in labels.as_object().unwrap() {
        n["metadata"]["labels"][k] = v.clone();
    }
    n["spec"] = json!({"taints": taints});
    n["metadata"] = json!({"name": name, "labels": n["metadata"]["labels"]});
    api.insert(n);
}

/// podmanager.go CreatePod keeps the base pod template's spec: its nodeSelector, required
/// node affinity and tolerations decide where the scheduler puts function pods, so only those
/// nodes are tested, and the test pods carry the same fields.
#[test]
fn the_base_pod_templates_placement_narrows_the_nodes() {
    let api = cluster();
    api.remove("nodes", "", "w1");
    api.remove("nodes", "", "w2");
    labelled_node(&api, "w1", json!({"pool": "fn"}), json!([]));
    labelled_node(&api, "w2", json!({"pool": "other"}), json!([]));
    labelled_node(&api, "w3", json!({"pool": "fn"}), json!([]));
    labelled_node(
        &api,
        "gpu",
        json!({"pool": "fn"}),
        json!([{"key": "gpu", "value": "true", "effect": "NoExecute"}]),
    );
    labelled_node(
        &api,
        "cp",
        json!({"pool": "fn"}),
        json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
    );
    let affinity = json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["w3"]}]}]}});
    api.insert(json!({"apiVersion": "v1", "kind": "PodTemplate",
        "metadata": {"name": "base-pod-template", "namespace": FN_NS},
        "template": {"spec": {
            "nodeSelector": {"pool": "fn"},
            "affinity": {"nodeAffinity": affinity},
            "tolerations": [{"key": "gpu", "operator": "Exists"}],
            "containers": [{"name": "function", "image": "to-be-replaced"}]}}}));
    api.pull_outcome(IMAGE, "*", PullOutcome::Pulled);
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE]);
    assert_eq!(code, Some(0), "{report}\n{stderr}");
    let mut nodes: Vec<String> = api
        .pods_started()
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap().to_string())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["gpu", "w1"]);
    for p in api.pods_started() {
        assert_eq!(p["spec"]["nodeSelector"], json!({"pool": "fn"}));
        assert_eq!(p["spec"]["affinity"], json!({"nodeAffinity": affinity}));
        assert_eq!(
            p["spec"]["tolerations"],
            json!([{"key": "gpu", "operator": "Exists"}])
        );
    }
    let f = pull_findings(&report);
    let excluded: Vec<(&str, &str)> = f
        .iter()
        .filter(|x| x.0 == "pull-test-node-excluded")
        .map(|x| (x.1.as_str(), x.2.as_str()))
        .collect();
    assert_eq!(excluded.len(), 3, "{f:?}");
    for (node, why) in [
        (
            "Node/cp",
            "its taint node-role.kubernetes.io/control-plane:NoSchedule is not tolerated by the base pod template",
        ),
        (
            "Node/w2",
            "the base pod template's nodeSelector pool=fn does not match its labels",
        ),
        ("Node/w3", "the base pod template's required node affinity"),
    ] {
        assert!(
            excluded.iter().any(|(n, m)| *n == node && m.contains(why)),
            "{node}: {excluded:?}"
        );
    }
    assert_eq!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["rule"] == "pull-test-node-excluded")
            .map(|x| x["severity"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["info"; 3]
    );
    assert_no_pods_left(&api);
}

/// The ServiceAccount admission plugin copies the service account's imagePullSecrets into a
/// pod that names none, and only then (never merged): a `gcr.io/kpt-fn/` image (the runner
/// adds no copy) pulls with the account's; a private image's pod names the runner's copy, so
/// the account's are not used for it.
#[test]
fn the_service_accounts_pull_secrets_only_reach_pods_that_name_none() {
    const KPT_FN: &str = "gcr.io/kpt-fn/set-labels:v0.2.0";
    let api = cluster();
    api.remove("serviceaccounts", FN_NS, "default");
    api.insert(json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "default", "namespace": FN_NS},
        "imagePullSecrets": [{"name": "hub-creds"}]}));
    // Both registries accept only the account's Secret.
    api.pull_needs_secret(KPT_FN, "hub-creds");
    api.pull_needs_secret(IMAGE, "hub-creds");
    api.pull_outcome(KPT_FN, "*", PullOutcome::Pulled);
    api.pull_outcome(IMAGE, "*", PullOutcome::Pulled);
    let (code, report, stderr) = pull_test(&api, &["--pull-test", KPT_FN, IMAGE, "--nodes=1"]);
    assert_eq!(code, Some(3), "{report}\n{stderr}");
    let f = pull_findings(&report);
    let of = |rule: &str| -> Vec<&(String, String, String, String)> {
        f.iter().filter(|x| x.0 == rule).collect()
    };
    let pulled = of("pull-test-pulled");
    assert_eq!(pulled.len(), 1, "{f:?}");
    assert!(
        pulled[0].2.starts_with(KPT_FN)
            && pulled[0].2.contains(&format!(
                "with service account {FN_NS}/default's imagePullSecrets hub-creds"
            )),
        "{f:?}"
    );
    let refused = of("pull-test-unauthorized");
    assert_eq!(refused.len(), 1, "{f:?}");
    assert!(refused[0].2.starts_with(IMAGE), "{f:?}");
    assert!(
        refused[0]
            .2
            .contains(&format!("with the runner's pull secret {FN_NS}/{COPY}")),
        "{f:?}"
    );
    let sa = of("pull-test-service-account-secrets");
    assert_eq!(sa.len(), 1, "{f:?}");
    assert_eq!(sa[0].1, format!("ServiceAccount/{FN_NS}/default"));
    assert!(
        sa[0].2.contains("lists imagePullSecrets hub-creds")
            && sa[0].2.contains(IMAGE)
            && !sa[0].2.contains(KPT_FN),
        "{f:?}"
    );
    // The pods as the API server admitted them.
    let pods = api.pods_started();
    let by_image = |i: &str| {
        pods.iter()
            .find(|p| p["spec"]["containers"][0]["image"] == i)
            .unwrap()["spec"]["imagePullSecrets"]
            .clone()
    };
    assert_eq!(by_image(KPT_FN), json!([{"name": "hub-creds"}]));
    assert_eq!(by_image(IMAGE), json!([{"name": COPY}]));
    assert_no_pods_left(&api);
}

/// A service account the base pod template names that does not exist: the API server would
/// refuse every function pod; no test pod is created.
#[test]
fn a_missing_service_account_is_an_error_and_creates_no_pod() {
    let api = cluster();
    api.insert(json!({"apiVersion": "v1", "kind": "PodTemplate",
        "metadata": {"name": "base-pod-template", "namespace": FN_NS},
        "template": {"spec": {"serviceAccountName": "fn-puller",
            "containers": [{"name": "function", "image": "to-be-replaced"}]}}}));
    api.pull_outcome(IMAGE, "*", PullOutcome::Pulled);
    let (code, report, stderr) = pull_test(&api, &["--pull-test", IMAGE]);
    assert_eq!(code, Some(3), "{report}\n{stderr}");
    let f = pull_findings(&report);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "pull-test-no-service-account");
    assert!(
        f[0].2.contains(&format!(
            "service account {FN_NS}/fn-puller was not found, retry after the service account is created"
        )),
        "{f:?}"
    );
    assert!(api.pods_started().is_empty());
    // The fake's admission says the same to a pod that names it.
    let (code, status) = crate::fake_api::raw_request(
        &api.url(),
        "POST",
        &format!("/api/v1/namespaces/{FN_NS}/pods"),
        "application/json",
        &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
            "spec": {"serviceAccountName": "fn-puller", "containers": [{"name": "c", "image": "i"}]}})
        .to_string(),
    );
    assert_eq!(
        (code, status["reason"].as_str()),
        (403, Some("Forbidden")),
        "{status}"
    );
    assert_eq!(
        status["message"],
        format!(
            "pods \"x\" is forbidden: service account {FN_NS}/fn-puller was not found, retry after the service account is created"
        )
    );
}
