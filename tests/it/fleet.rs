//! Many clusters in one run: several fake API servers on loopback, one per context of a
//! generated kubeconfig, driven through the built binary.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::cluster::porch_cluster;
use crate::fake_api::{FakeApi, Rollout};
use crate::support::bin;

const NS: &str = "porch-system";
const FN_NS: &str = "porch-fn-system";
const PASSWORD: &str = "fl33t-Pa55word";

/// A kubeconfig with one context (and cluster and user) per `(name, server)`, its current
/// context the first.
pub fn fleet_kubeconfig(dir: &Path, clusters: &[(&str, String)]) -> PathBuf {
    let mut text = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for (name, server) in clusters {
        text.push_str(&format!(
            "- name: {name}\n  cluster:\n    server: {server}\n"
        ));
    }
    text.push_str("contexts:\n");
    for (name, _) in clusters {
        text.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n"
        ));
    }
    text.push_str("users:\n");
    for (name, _) in clusters {
        text.push_str(&format!(
            "- name: {name}\n  user:\n    token: token-{name}\n"
        ));
    }
    text.push_str(&format!("current-context: {}\n", clusters[0].0));
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

/// A loopback address nothing listens on (bound, then released).
fn unreachable_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// A loopback server that accepts connections and never answers (kept open while the
/// returned listener lives; connections queue in the backlog).
fn silent_server() -> (std::net::TcpListener, String) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

fn run(kubeconfig: &Path, args: &[&str]) -> (i32, String, String) {
    let o = bin()
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env_remove("KUBECONFIG")
        .env("PORCH_REGISTRY_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn json_entries(stdout: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
        .as_array()
        .expect("an array, one entry per context")
        .clone()
}

fn entry<'a>(entries: &'a [Value], context: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["context"] == context)
        .unwrap_or_else(|| panic!("no entry for {context}: {entries:?}"))
}

#[test]
fn status_across_all_contexts_succeeds_with_one_entry_each() {
    let apis: Vec<FakeApi> = (0..3).map(|_| porch_cluster()).collect();
    let dir = tempfile::tempdir().unwrap();
    let names = ["kind-a", "kind-b", "prod-c"];
    let kc = fleet_kubeconfig(
        dir.path(),
        &names
            .iter()
            .zip(&apis)
            .map(|(n, a)| (*n, a.url()))
            .collect::<Vec<_>>(),
    );
    let (code, stdout, stderr) = run(&kc, &["status", "--all-contexts", "-o", "json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    assert_eq!(entries.len(), 3);
    for (n, api) in names.iter().zip(&apis) {
        let e = entry(&entries, n);
        assert_eq!(e["exitCode"], 0);
        assert!(e.get("error").is_none(), "{e}");
        assert_eq!(
            e["status"]["server"],
            api.url(),
            "{n} read from its own server"
        );
        assert_eq!(e["status"]["deployment"], "function-runner");
        assert_eq!(e["status"]["privateRegistries"], false);
        // Each server was asked for its Deployment exactly once.
        let reads = api
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with("/deployments/function-runner"))
            .count();
        assert_eq!(reads, 1, "{n}");
    }
    // Order: the kubeconfig's.
    let order: Vec<&str> = entries
        .iter()
        .map(|e| e["context"].as_str().unwrap())
        .collect();
    assert_eq!(order, names);

    // The pattern selects by glob; the table has one row per context.
    let (code, stdout, _) = run(
        &kc,
        &["status", "--all-contexts", "--context-pattern", "kind-*"],
    );
    assert_eq!(code, 0);
    for col in ["CONTEXT", "CHANGED", "ROLLOUT", "FINDINGS", "ERROR"] {
        assert!(stdout.contains(col), "{stdout}");
    }
    assert!(
        stdout.contains("kind-a") && stdout.contains("kind-b"),
        "{stdout}"
    );
    assert!(!stdout.contains("prod-c"), "{stdout}");
    assert!(stdout.contains("private registries disabled"), "{stdout}");
    assert_eq!(
        apis[2]
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.contains("deployments"))
            .count(),
        1,
        "prod-c not visited again"
    );

    // Repeated --context: those, in that order.
    let (code, stdout, _) = run(
        &kc,
        &[
            "status",
            "--context",
            "prod-c",
            "--context",
            "kind-a",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let order: Vec<String> = json_entries(&stdout)
        .iter()
        .map(|e| e["context"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, ["prod-c", "kind-a"]);
}

#[test]
fn one_unreachable_cluster_is_exit_5_and_the_others_are_reported() {
    let a = porch_cluster();
    let c = porch_cluster();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(
        dir.path(),
        &[("a", a.url()), ("down", unreachable_url()), ("c", c.url())],
    );
    let (code, stdout, stderr) = run(&kc, &["status", "--all-contexts", "-o", "json"]);
    assert_eq!(code, 5, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    assert_eq!(entry(&entries, "a")["exitCode"], 0);
    assert_eq!(entry(&entries, "c")["exitCode"], 0);
    let down = entry(&entries, "down");
    assert_eq!(down["exitCode"], 5);
    assert!(down.get("status").is_none());
    assert!(!down["error"]["message"].as_str().unwrap().is_empty());
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("1 of 3 contexts failed: down (exit 5)"),
        "{stderr}"
    );
}

#[test]
fn one_forbidden_cluster_is_exit_6_and_most_severe_wins() {
    let a = porch_cluster();
    let f = porch_cluster();
    f.forbid("get", "secrets", None);
    f.forbid("get", "deployments", Some(NS));
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(
        dir.path(),
        &[
            ("a", a.url()),
            ("locked", f.url()),
            ("down", unreachable_url()),
        ],
    );
    // Forbidden (6) is more severe than unreachable (5) (README, "Many clusters").
    let (code, stdout, stderr) = run(&kc, &["status", "--all-contexts"]);
    assert_eq!(code, 6, "{stdout}{stderr}");
    assert!(
        stdout.contains("exit 6") && stdout.contains("exit 5"),
        "{stdout}"
    );
    let (code, stdout, _) = run(
        &kc,
        &[
            "status",
            "--context",
            "a",
            "--context",
            "locked",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 6);
    let entries = json_entries(&stdout);
    assert_eq!(entry(&entries, "a")["exitCode"], 0);
    assert_eq!(entry(&entries, "locked")["exitCode"], 6);
}

#[test]
fn a_cluster_that_never_answers_times_out_alone() {
    let a = porch_cluster();
    let (_silent, url) = silent_server();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(dir.path(), &[("slow", url), ("a", a.url())]);
    let start = std::time::Instant::now();
    let (code, stdout, stderr) = run(
        &kc,
        &[
            "status",
            "--all-contexts",
            "--cluster-timeout",
            "2s",
            "--parallel",
            "1",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 9, "{stdout}{stderr}");
    // With one slot, `a` ran after `slow` gave up: the deadline freed the slot.
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    let entries = json_entries(&stdout);
    assert_eq!(entry(&entries, "a")["exitCode"], 0);
    let slow = entry(&entries, "slow");
    assert_eq!(slow["exitCode"], 9);
    assert!(
        slow["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--cluster-timeout"),
        "{slow}"
    );
}

#[test]
fn stale_runner_copies_are_named_per_cluster() {
    let apis: Vec<FakeApi> = (0..2).map(|_| porch_cluster()).collect();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(
        dir.path(),
        &[("one", apis[0].url()), ("two", apis[1].url())],
    );
    for ctx in ["one", "two"] {
        let (code, out, err) = run(
            &kc,
            &[
                "setup",
                "--context",
                ctx,
                "--registry",
                "registry.example.com:5000",
                "--username",
                "robot",
                "--timeout=30s",
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    // `two`'s runner still holds an older credential in its copy.
    apis[1].insert(
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": "registry-auth-secret", "namespace": FN_NS},
        "data": {".dockerconfigjson": "eyJhdXRocyI6e319"}}),
    );
    let (code, stdout, stderr) = run(&kc, &["status", "--all-contexts", "-o", "json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));
    let entries = json_entries(&stdout);
    let one = entry(&entries, "one");
    assert!(one.get("findings").is_none(), "{one}");
    let two = entry(&entries, "two");
    assert!(
        two["findings"]
            .to_string()
            .contains("STALE: still the old credential"),
        "{two}"
    );
    let (_, table, _) = run(&kc, &["status", "--all-contexts"]);
    assert!(table.contains("STALE"), "{table}");
}

#[test]
fn single_context_behaves_as_before_and_bad_selections_are_usage_errors() {
    let a = porch_cluster();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(dir.path(), &[("a", a.url()), ("b", unreachable_url())]);
    // One --context: the one-cluster report (an object, not a list).
    let (code, stdout, _) = run(&kc, &["status", "--context", "a", "-o", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(v.is_object() && v["server"] == a.url(), "{stdout}");
    // The same name twice is one cluster.
    let (code, stdout, _) = run(
        &kc,
        &["status", "--context", "a", "--context", "a", "-o", "json"],
    );
    assert_eq!(code, 0);
    assert!(serde_json::from_str::<Value>(&stdout).unwrap().is_object());
    // An unknown context, a pattern matching nothing: one usage line, nothing sent.
    a.clear_requests();
    for args in [
        &["status", "--context", "a", "--context", "nope"][..],
        &["status", "--all-contexts", "--context-pattern", "zz*"][..],
    ] {
        let (code, stdout, stderr) = run(&kc, args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("kubectl config get-contexts"), "{stderr}");
    }
    assert!(a.requests().is_empty());
    // Several contexts for a command that does not take them: a usage error.
    let (code, _, stderr) = run(
        &kc,
        &[
            "pull",
            "--from-cluster",
            "x.example/fn:v1",
            "--context",
            "a",
            "--context",
            "b",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--context given twice"), "{stderr}");
}

/// For `bench/fleet.sh` only (ignored; it times nothing itself): 20 fake API servers, a
/// kubeconfig with contexts `ctx-0`..`ctx-19` written to `$FLEET_BENCH_DIR/kubeconfig`, then
/// `ready` there; serves until `stop` appears (at most 10 minutes).
#[test]
#[ignore]
fn bench_serve_20_clusters() {
    let Some(dir) = std::env::var_os("FLEET_BENCH_DIR").map(PathBuf::from) else {
        return;
    };
    let apis: Vec<FakeApi> = (0..20).map(|_| porch_cluster()).collect();
    // bench/fleet.sh's remote row: every answer held back this long (a management cluster
    // in another region), so the wall time is the requests' latency, not the servers' CPU.
    if let Some(ms) = std::env::var("FLEET_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        for api in &apis {
            api.set_latency(std::time::Duration::from_millis(ms));
        }
    }
    let names: Vec<String> = (0..20).map(|i| format!("ctx-{i}")).collect();
    let clusters: Vec<(&str, String)> = names
        .iter()
        .zip(&apis)
        .map(|(n, a)| (n.as_str(), a.url()))
        .collect();
    fleet_kubeconfig(&dir, &clusters);
    std::fs::write(dir.join("ready"), "").unwrap();
    let start = std::time::Instant::now();
    while !dir.join("stop").exists() && start.elapsed() < std::time::Duration::from_secs(600) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Times of the requests a server received, relative to the first.
fn request_offsets(api: &FakeApi) -> Vec<std::time::Duration> {
    let reqs = api.requests();
    let Some(first) = reqs.first().map(|r| r.at) else {
        return vec![];
    };
    reqs.iter().map(|r| r.at.duration_since(first)).collect()
}

#[test]
fn a_timed_out_cluster_gets_no_more_requests_while_the_others_go_on() {
    // `slow` answers every request after 1.3 s: its `check` (a dozen requests) cannot end
    // within the 3 s deadline. `a` comes after it (one slot) and takes a second or two
    // itself, so the process lives on past slow's deadline: an abandoned worker would go on
    // sending (one request every 1.3 s) during that time.
    let slow = porch_cluster();
    let a = porch_cluster();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(dir.path(), &[("slow", slow.url()), ("a", a.url())]);
    for ctx in ["slow", "a"] {
        let (code, out, err) = run(
            &kc,
            &[
                "setup",
                "--context",
                ctx,
                "--registry",
                "registry.example.com:5000",
                "--username",
                "robot",
                "--timeout=30s",
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    slow.clear_requests();
    slow.set_latency(std::time::Duration::from_millis(1300));
    a.set_latency(std::time::Duration::from_millis(150));
    let start = std::time::Instant::now();
    let (code, stdout, stderr) = run(
        &kc,
        &[
            "check",
            "--all-contexts",
            "--cluster-timeout",
            "3s",
            "--parallel",
            "1",
            "-o",
            "json",
        ],
    );
    let total = start.elapsed();
    let entries = json_entries(&stdout);
    let s = entry(&entries, "slow");
    assert_eq!(s["exitCode"], 9, "{stdout}{stderr}");
    let msg = s["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("--cluster-timeout") && msg.contains("sent nothing more"),
        "{msg}"
    );
    assert!(s.get("check").is_none(), "{s}");
    // `a` was checked in full after slow's slot was freed.
    assert!(entry(&entries, "a").get("check").is_some(), "{stdout}");
    assert_eq!(code, 9, "{stderr}");
    let offsets = request_offsets(&slow);
    assert!(offsets.len() >= 2, "{offsets:?}");
    let last = *offsets.last().unwrap();
    assert!(
        last < std::time::Duration::from_millis(3000),
        "a request reached the timed-out cluster {last:?} after its first one (deadline 3s): {offsets:?}"
    );
    // ... although the run went on for seconds after slow's deadline.
    assert!(
        total > std::time::Duration::from_secs(4),
        "the run ended too early to tell: {total:?}"
    );
}

#[test]
fn check_and_explain_across_contexts_one_entry_each() {
    let good = porch_cluster();
    let broken = porch_cluster();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(
        dir.path(),
        &[
            ("good", good.url()),
            ("broken", broken.url()),
            ("down", unreachable_url()),
        ],
    );
    // `good` is set up; `broken` mounts an auth Secret that does not exist.
    for ctx in ["good", "broken"] {
        let (code, out, err) = run(
            &kc,
            &[
                "setup",
                "--context",
                ctx,
                "--registry",
                "registry.example.com:5000",
                "--username",
                "robot",
                "--timeout=30s",
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    broken.remove("secrets", NS, "registry-auth-secret");
    let (code, stdout, stderr) = run(&kc, &["check", "--all-contexts", "-o", "json"]);
    // Unreachable (5) is more severe than findings (3).
    assert_eq!(code, 5, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    let g = entry(&entries, "good");
    assert_eq!(g["exitCode"], 0, "{g}");
    assert!(g["check"]["findings"].is_array(), "{g}");
    let b = entry(&entries, "broken");
    assert_eq!(b["exitCode"], 3, "{b}");
    assert!(
        b["check"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "error"
                && f["message"].to_string().contains("registry-auth-secret")),
        "{b}"
    );
    assert_eq!(entry(&entries, "down")["exitCode"], 5);
    // Without the unreachable one: the findings decide (3).
    let (code, table, _) = run(&kc, &["check", "--context", "good", "--context", "broken"]);
    assert_eq!(code, 3, "{table}");
    assert!(
        table.contains("CONTEXT") && table.contains("exit 3"),
        "{table}"
    );

    // explain: the same image predicted with each cluster's runner.
    let (code, stdout, stderr) = run(
        &kc,
        &[
            "explain",
            "registry.example.com:5000/fn/set-labels:v1",
            "--context",
            "good",
            "--context",
            "down",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 5, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    let g = entry(&entries, "good");
    assert_eq!(g["exitCode"], 0);
    let img = &g["explain"]["images"][0];
    assert_eq!(img["registry"], "registry.example.com:5000", "{g}");
    assert_eq!(img["username"], "robot", "{g}");
    assert!(!stdout.contains(PASSWORD));
    assert_eq!(entry(&entries, "down")["exitCode"], 5);
}

/// The credential stored in a cluster's auth Secret, decoded.
fn stored_password(api: &FakeApi) -> String {
    let s = api
        .get("secrets", NS, "registry-auth-secret")
        .expect("auth secret");
    let b64 = s["data"][".dockerconfigjson"].as_str().unwrap();
    use base64::Engine;
    let cfg: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    let auth = cfg["auths"]["registry.example.com:5000"]["auth"]
        .as_str()
        .unwrap();
    let up = base64::engine::general_purpose::STANDARD
        .decode(auth)
        .unwrap();
    String::from_utf8(up)
        .unwrap()
        .split_once(':')
        .unwrap()
        .1
        .to_string()
}

const SETUP: [&str; 6] = [
    "setup",
    "--registry",
    "registry.example.com:5000",
    "--username",
    "robot",
    "--timeout=5s",
];

#[test]
fn setup_across_contexts_password_once_failures_stay_with_their_cluster() {
    let ok = porch_cluster();
    let locked = porch_cluster();
    locked.forbid("patch", "secrets", Some(NS));
    let slow = porch_cluster();
    slow.set_rollout(Rollout::Never);
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(
        dir.path(),
        &[
            ("ok", ok.url()),
            ("locked", locked.url()),
            ("down", unreachable_url()),
            ("slow", slow.url()),
        ],
    );
    // The password comes once, on stdin, for every cluster.
    let o = bin()
        .args(SETUP)
        .args(["--all-contexts", "--password-stdin", "-o", "json"])
        .arg("--kubeconfig")
        .arg(&kc)
        .env_remove("KUBECONFIG")
        .env_remove("PORCH_REGISTRY_PASSWORD")
        .write_stdin(format!("{PASSWORD}\n"))
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    // Forbidden (6) outranks unreachable (5) and the timed-out rollout (9).
    assert_eq!(o.status.code(), Some(6), "{stdout}{stderr}");
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));
    let entries = json_entries(&stdout);
    assert_eq!(entries.len(), 4);
    let e = entry(&entries, "ok");
    assert_eq!(e["exitCode"], 0, "{e}");
    assert_eq!(e["setup"]["rollout"], "complete", "{e}");
    assert!(
        e["changed"]
            .to_string()
            .contains("secret/registry-auth-secret created"),
        "{e}"
    );
    assert_eq!(stored_password(&ok), PASSWORD);
    assert_eq!(
        stored_password(&slow),
        PASSWORD,
        "slow got the same password"
    );
    // locked: forbidden before anything was written there.
    let l = entry(&entries, "locked");
    assert_eq!(l["exitCode"], 6, "{l}");
    assert!(locked.writes().is_empty(), "{:?}", locked.writes());
    assert!(locked.get("secrets", NS, "registry-auth-secret").is_none());
    assert_eq!(entry(&entries, "down")["exitCode"], 5);
    // slow: set up, its rollout timed out: exit 9 with what changed.
    let s = entry(&entries, "slow");
    assert_eq!(s["exitCode"], 9, "{s}");
    assert_eq!(s["setup"]["rollout"], "TIMED OUT", "{s}");
    assert!(
        s["changed"]
            .to_string()
            .contains("deployment.apps/function-runner configured"),
        "{s}"
    );
    // The Deployment of ok was patched exactly once.
    let updates = ok
        .writes()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains("deployments"))
        .count();
    assert_eq!(updates, 1);
}

#[test]
fn rotation_across_all_contexts_names_who_still_runs_the_old_credential() {
    let apis: Vec<FakeApi> = (0..3).map(|_| porch_cluster()).collect();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(
        dir.path(),
        &[
            ("a", apis[0].url()),
            ("b", apis[1].url()),
            ("c", apis[2].url()),
        ],
    );
    let (code, out, err) = run(&kc, &[&SETUP[..], &["--all-contexts"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    // Each runner has made its copy (the old credential).
    for api in &apis {
        let auth = api.get("secrets", NS, "registry-auth-secret").unwrap();
        api.insert(
            json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": {"name": "registry-auth-secret", "namespace": FN_NS},
            "data": auth["data"].clone()}),
        );
    }
    // b: the runner's copy cannot be updated, and b's restart never finishes rolling out.
    apis[1].forbid("update", "secrets", Some(FN_NS));
    apis[1].set_rollout(Rollout::Never);
    let rotated = "n3w-r0tated-Pa55";
    let o = bin()
        .args(SETUP)
        .args(["--all-contexts", "-o", "json"])
        .arg("--kubeconfig")
        .arg(&kc)
        .env_remove("KUBECONFIG")
        .env("PORCH_REGISTRY_PASSWORD", rotated)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(9), "{stdout}{stderr}");
    assert!(!stdout.contains(rotated) && !stderr.contains(rotated));
    let entries = json_entries(&stdout);
    for (ctx, api) in [("a", &apis[0]), ("c", &apis[2])] {
        let e = entry(&entries, ctx);
        assert_eq!(e["exitCode"], 0, "{e}");
        assert_eq!(e["setup"]["rotation"], true, "{e}");
        assert!(e["setup"].get("oldCredential").is_none(), "{e}");
        assert!(e.get("findings").is_none(), "{e}");
        assert_eq!(stored_password(api), rotated);
        // The runner's copy holds the new credential too.
        let copy = api.get("secrets", FN_NS, "registry-auth-secret").unwrap();
        let auth = api.get("secrets", NS, "registry-auth-secret").unwrap();
        assert_eq!(copy["data"], auth["data"], "{ctx}");
    }
    let b = entry(&entries, "b");
    assert_eq!(b["exitCode"], 9, "{b}");
    assert_eq!(stored_password(&apis[1]), rotated);
    assert!(
        b["findings"]
            .to_string()
            .contains("STILL THE OLD CREDENTIAL"),
        "{b}"
    );
    assert!(
        b["setup"]["oldCredential"]
            .as_str()
            .unwrap()
            .contains("rollout not done"),
        "{b}"
    );
    // Rotated again: the table says it in the FINDINGS column of b's row only.
    let o = bin()
        .args(SETUP)
        .arg("--all-contexts")
        .arg("--kubeconfig")
        .arg(&kc)
        .env_remove("KUBECONFIG")
        .env("PORCH_REGISTRY_PASSWORD", "th1rd-Pa55")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(9), "{table}");
    assert_eq!(
        table.matches("STILL THE OLD CREDENTIAL").count(),
        1,
        "{table}"
    );
    assert!(table.contains("TIMED OUT"), "{table}");
}

/// Whether a cluster's runner Deployment still mounts the auth Secret.
fn configured(api: &FakeApi) -> bool {
    api.get("deployments", NS, "function-runner")
        .expect("deployment")
        .to_string()
        .contains("registry-auth-secret")
}

#[test]
fn remove_across_contexts_cleans_the_good_one_and_leaves_the_others() {
    let good = porch_cluster();
    let locked = porch_cluster();
    let fresh = porch_cluster();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(
        dir.path(),
        &[
            ("good", good.url()),
            ("locked", locked.url()),
            ("down", unreachable_url()),
        ],
    );
    for ctx in ["good", "locked"] {
        let (code, out, err) = run(&kc, &[&SETUP[..], &["--context", ctx]].concat());
        assert_eq!(code, 0, "{out}{err}");
    }
    let locked_before = locked.get("deployments", NS, "function-runner").unwrap();
    locked.forbid("update", "deployments", Some(NS));
    locked.forbid("delete", "secrets", None);
    let (code, stdout, stderr) = run(
        &kc,
        &[
            "remove",
            "--all-contexts",
            "--delete-secrets",
            "--timeout=5s",
            "-o",
            "json",
        ],
    );
    // Forbidden (6) outranks unreachable (5).
    assert_eq!(code, 6, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    assert_eq!(entries.len(), 3);
    let order: Vec<&str> = entries
        .iter()
        .map(|e| e["context"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["good", "locked", "down"]);
    // good: cleaned, Secrets deleted, rollout waited for.
    let g = entry(&entries, "good");
    assert_eq!(g["exitCode"], 0, "{g}");
    assert_eq!(g["remove"]["rollout"], "complete", "{g}");
    assert_eq!(g["remove"]["server"], good.url(), "{g}");
    let changed = g["changed"].to_string();
    assert!(
        changed.contains("deployment.apps/function-runner configured")
            && changed.contains("secret/registry-auth-secret deleted"),
        "{g}"
    );
    assert!(!configured(&good));
    assert!(good.get("secrets", NS, "registry-auth-secret").is_none());
    // locked: forbidden, its Deployment and Secret as before.
    let l = entry(&entries, "locked");
    assert_eq!(l["exitCode"], 6, "{l}");
    assert!(l.get("remove").is_none(), "{l}");
    assert_eq!(
        locked.get("deployments", NS, "function-runner").unwrap(),
        locked_before
    );
    assert!(locked.get("secrets", NS, "registry-auth-secret").is_some());
    assert_eq!(entry(&entries, "down")["exitCode"], 5);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("2 of 3 contexts failed: locked (exit 6), down (exit 5)"),
        "{stderr}"
    );

    // Again, across every context of a kubeconfig whose clusters all answer (the cleaned
    // one and one never set up): exit 0, nothing to remove, nothing written.
    good.clear_requests();
    let kc2_dir = tempfile::tempdir().unwrap();
    let kc2 = fleet_kubeconfig(
        kc2_dir.path(),
        &[("good", good.url()), ("fresh", fresh.url())],
    );
    let (code, table, stderr) = run(&kc2, &["remove", "--all-contexts", "--delete-secrets"]);
    assert_eq!(code, 0, "{table}{stderr}");
    assert!(
        table.contains("CONTEXT") && table.contains("nothing"),
        "{table}"
    );
    assert!(!table.contains("exit "), "{table}");
    for api in [&good, &fresh] {
        let updates: Vec<_> = api
            .writes()
            .into_iter()
            .filter(|r| r.path.contains("deployments"))
            .collect();
        assert!(updates.is_empty(), "{updates:?}");
    }
    let (code, stdout, _) = run(&kc2, &["remove", "--all-contexts", "-o", "json"]);
    assert_eq!(code, 0);
    for e in json_entries(&stdout) {
        assert_eq!(e["exitCode"], 0, "{e}");
        assert!(e.get("changed").is_none(), "{e}");
        assert_eq!(e["remove"]["rollout"], "no restart needed", "{e}");
    }
}

#[test]
fn remove_dry_run_across_contexts_writes_nothing() {
    let (apis, _dir, kc) = two_clusters();
    let (code, out, err) = run(&kc, &[&SETUP[..], &["--all-contexts"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    for api in &apis {
        api.clear_requests();
    }
    let (code, stdout, stderr) = run(
        &kc,
        &[
            "remove",
            "--all-contexts",
            "--delete-secrets",
            "--dry-run=client",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    assert_eq!(entries.len(), 2);
    for (e, api) in entries.iter().zip(&apis) {
        let changed = e["changed"].to_string();
        assert!(
            changed.contains("deployment.apps/function-runner would be configured (dry run)")
                && changed.contains("secret/registry-auth-secret would be deleted (dry run)"),
            "{e}"
        );
        assert!(api.writes().is_empty(), "{:?}", api.writes());
        assert!(configured(api));
    }
}

/// Two fresh clusters `a`, `b` in one kubeconfig.
fn two_clusters() -> (Vec<FakeApi>, tempfile::TempDir, PathBuf) {
    let apis: Vec<FakeApi> = (0..2).map(|_| porch_cluster()).collect();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(dir.path(), &[("a", apis[0].url()), ("b", apis[1].url())]);
    (apis, dir, kc)
}

/// `-o json` and `-o yaml` of setup and remove across contexts are the same list, one entry
/// per context naming it, as status's and check's are; no `-o`: the summary table; `-o name`
/// (object names of one cluster) is a usage error before any cluster is asked.
#[test]
fn setup_and_remove_across_contexts_print_json_or_yaml_lists_like_status() {
    let (apis, _dir, kc) = two_clusters();
    let (code, stdout, stderr) = run(
        &kc,
        &[&SETUP[..], &["--all-contexts", "-o", "yaml"]].concat(),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let yaml: Value = serde_saphyr::from_str(&stdout)
        .unwrap_or_else(|e| panic!("-o yaml is not YAML ({e}): {stdout}"));
    let entries = yaml.as_array().expect("a list").clone();
    assert_eq!(entries.len(), 2, "{stdout}");
    for (e, (ctx, api)) in entries.iter().zip([("a", &apis[0]), ("b", &apis[1])]) {
        assert_eq!(e["context"], ctx, "{e}");
        assert_eq!(e["exitCode"], 0, "{e}");
        assert_eq!(e["setup"]["server"], api.url(), "{e}");
        assert_eq!(e["setup"]["rollout"], "complete", "{e}");
        assert!(
            e["changed"]
                .to_string()
                .contains("secret/registry-auth-secret created")
        );
    }
    assert!(!stdout.contains("CONTEXT"), "a table: {stdout}");
    // The same run again as JSON: the same entries (now nothing changed).
    let (code, json_out, _) = run(
        &kc,
        &[&SETUP[..], &["--all-contexts", "-o", "json"]].concat(),
    );
    assert_eq!(code, 0, "{json_out}");
    let (code, yaml_out, _) = run(
        &kc,
        &[&SETUP[..], &["--all-contexts", "-o", "yaml"]].concat(),
    );
    assert_eq!(code, 0, "{yaml_out}");
    let as_json = json_entries(&json_out);
    let as_yaml: Value = serde_saphyr::from_str(&yaml_out).unwrap();
    assert_eq!(Value::Array(as_json.clone()), as_yaml);
    assert_eq!(
        entry(&as_json, "b")["setup"]["rollout"],
        "no restart needed"
    );
    // No -o: the table.
    let (code, table, _) = run(&kc, &[&SETUP[..], &["--all-contexts"]].concat());
    assert_eq!(code, 0);
    assert!(
        table.contains("CONTEXT") && table.contains("ROLLOUT"),
        "{table}"
    );

    // remove: the same three forms.
    let (code, stdout, stderr) = run(
        &kc,
        &["remove", "--all-contexts", "--dry-run=client", "-o", "yaml"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let yaml: Value = serde_saphyr::from_str(&stdout).unwrap();
    let list = yaml.as_array().expect("a list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["context"], "a");
    assert!(
        list[1]["changed"]
            .to_string()
            .contains("would be configured (dry run)")
    );
    let (code, stdout, _) = run(&kc, &["remove", "--all-contexts", "--dry-run=client"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("CONTEXT"), "{stdout}");

    // -o name across contexts: one usage line, no cluster asked.
    for api in &apis {
        api.clear_requests();
    }
    for cmd in [&SETUP[..], &["remove"][..]] {
        let (code, stdout, stderr) = run(&kc, &[cmd, &["--all-contexts", "-o", "name"]].concat());
        assert_eq!(code, 2, "{stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: -o name") && stderr.contains("-o json or -o yaml"),
            "{stderr}"
        );
    }
    for api in &apis {
        assert!(api.requests().is_empty(), "{:?}", api.requests());
    }
    // One context: -o name prints the objects' names as before.
    let (code, stdout, stderr) = run(
        &kc,
        &[
            &SETUP[..],
            &["--context", "a", "--dry-run=client", "-o", "name"],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "secret/registry-auth-secret\ndeployment.apps/function-runner\n"
    );
}

/// `--dry-run=server` across contexts: every write is sent with dryRun=All, nothing is
/// stored on any cluster, no rollout is waited for, and the summary says so per context.
#[test]
fn setup_and_remove_server_dry_run_across_contexts_store_nothing() {
    let (apis, _dir, kc) = two_clusters();
    let before: Vec<Value> = apis
        .iter()
        .map(|a| a.get("deployments", NS, "function-runner").unwrap())
        .collect();
    let (code, stdout, stderr) = run(
        &kc,
        &[
            &SETUP[..],
            &["--all-contexts", "--dry-run=server", "-o", "json"],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    for ((ctx, api), before) in [("a", &apis[0]), ("b", &apis[1])].into_iter().zip(&before) {
        let e = entry(&entries, ctx);
        assert_eq!(e["exitCode"], 0, "{e}");
        assert_eq!(e["setup"]["rollout"], "- (server dry run)", "{e}");
        let changed = e["changed"].to_string();
        assert!(
            changed.contains("secret/registry-auth-secret created (server dry run)")
                && changed.contains("deployment.apps/function-runner configured (server dry run)"),
            "{e}"
        );
        assert!(api.writes().is_empty(), "{ctx}: {:?}", api.writes());
        let dry: Vec<_> = api
            .requests()
            .into_iter()
            .filter(|r| r.is_write() && r.dry_run())
            .collect();
        assert!(
            dry.iter().any(|r| r.path.contains("/secrets/"))
                && dry
                    .iter()
                    .any(|r| r.method == "PUT" && r.path.contains("/deployments/")),
            "{ctx}: the server was asked with dryRun=All: {dry:?}"
        );
        assert!(
            api.get("secrets", NS, "registry-auth-secret").is_none(),
            "{ctx}"
        );
        assert_eq!(
            &api.get("deployments", NS, "function-runner").unwrap(),
            before,
            "{ctx}"
        );
    }
    // remove --dry-run=server after a real setup: nothing deleted, nothing un-patched.
    let (code, out, err) = run(&kc, &[&SETUP[..], &["--all-contexts"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    for api in &apis {
        api.clear_requests();
    }
    let (code, stdout, stderr) = run(
        &kc,
        &[
            "remove",
            "--all-contexts",
            "--delete-secrets",
            "--dry-run=server",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    for (e, api) in json_entries(&stdout).iter().zip(&apis) {
        assert_eq!(e["exitCode"], 0, "{e}");
        assert_eq!(e["remove"]["rollout"], "- (server dry run)", "{e}");
        assert!(
            e["changed"]
                .to_string()
                .contains("secret/registry-auth-secret deleted from namespace \\\"porch-system\\\" (server dry run)"),
            "{e}"
        );
        assert!(api.writes().is_empty(), "{:?}", api.writes());
        assert!(
            api.requests()
                .iter()
                .any(|r| r.method == "DELETE" && r.dry_run()),
            "the deletes were sent with dryRun=All"
        );
        assert!(configured(api));
        assert!(api.get("secrets", NS, "registry-auth-secret").is_some());
    }
}

/// `--wait=false` across contexts: a rollout that never finishes is not waited for (exit 0,
/// no read of the Deployment after its update); the next rotation, which restarts nothing,
/// still names the cluster whose earlier rollout is not done as running the old credential.
#[test]
fn wait_false_across_contexts_then_a_rotation_names_the_pending_rollout() {
    let (apis, _dir, kc) = two_clusters();
    apis[1].set_rollout(Rollout::Never);
    let (code, stdout, stderr) = run(
        &kc,
        &[
            &SETUP[..],
            &["--all-contexts", "--wait=false", "-o", "json"],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    for (ctx, api) in [("a", &apis[0]), ("b", &apis[1])] {
        let e = entry(&entries, ctx);
        assert_eq!(e["exitCode"], 0, "{e}");
        assert_eq!(
            e["setup"]["rollout"], "not waited for (--wait=false)",
            "{e}"
        );
        assert!(configured(api), "{ctx}");
        let reqs = api.requests();
        let put = reqs
            .iter()
            .rposition(|r| r.method == "PUT" && r.path.ends_with("/deployments/function-runner"))
            .expect("the Deployment was updated");
        assert!(
            !reqs[put + 1..]
                .iter()
                .any(|r| r.method == "GET" && r.path.ends_with("/deployments/function-runner")),
            "{ctx}: the rollout was polled: {:?}",
            &reqs[put + 1..]
        );
    }
    // Rotation: nothing to restart (the Deployment is configured), but b's earlier rollout
    // never finished: b still runs old pods.
    let rotated = "r0tated-w1th-pending";
    let o = bin()
        .args(SETUP)
        .args(["--all-contexts", "-o", "json"])
        .arg("--kubeconfig")
        .arg(&kc)
        .env_remove("KUBECONFIG")
        .env("PORCH_REGISTRY_PASSWORD", rotated)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let entries = json_entries(&stdout);
    let a = entry(&entries, "a");
    assert_eq!(a["setup"]["rotation"], true, "{a}");
    assert_eq!(a["setup"]["rollout"], "no restart needed", "{a}");
    assert!(a.get("findings").is_none(), "{a}");
    let b = entry(&entries, "b");
    assert_eq!(b["setup"]["rotation"], true, "{b}");
    assert!(
        b["setup"]["rollout"].as_str().unwrap().starts_with(
            "no restart needed, but an earlier rollout is not done: 0 out of 2 new replicas"
        ),
        "{b}"
    );
    assert!(
        b["findings"]
            .to_string()
            .contains("STILL THE OLD CREDENTIAL")
            && b["setup"]["oldCredential"]
                .as_str()
                .unwrap()
                .contains("earlier rollout"),
        "{b}"
    );
    for api in &apis {
        assert_eq!(stored_password(api), rotated);
    }
    // One cluster alone: a warning says it.
    let o = bin()
        .args(SETUP)
        .args(["--context", "b"])
        .arg("--kubeconfig")
        .arg(&kc)
        .env_remove("KUBECONFIG")
        .env("PORCH_REGISTRY_PASSWORD", "and-0nce-more")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "warning: deployment.apps/function-runner is still rolling out from an earlier change"
        ) && stderr.contains("may hold the old credential"),
        "{stderr}"
    );
}

/// Every stderr line of a cluster's work in a run across contexts starts with `[context] `,
/// and a cluster's half-way report comes as one block, never cut by another's lines.
#[test]
fn stderr_lines_across_contexts_name_their_context_and_stay_whole() {
    let names = ["east", "west", "north"];
    let apis: Vec<FakeApi> = names.iter().map(|_| porch_cluster()).collect();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(
        dir.path(),
        &names
            .iter()
            .zip(&apis)
            .map(|(n, a)| (*n, a.url()))
            .collect::<Vec<_>>(),
    );
    // east and west refuse the Deployment update after the Secret was written: each prints
    // its half-way report; north succeeds.
    apis[0].reject("update", "deployments");
    apis[1].reject("update", "deployments");
    let (code, stdout, stderr) = run(
        &kc,
        &[
            &SETUP[..],
            &["--all-contexts", "--parallel", "3", "-o", "json"],
        ]
        .concat(),
    );
    assert_ne!(code, 0, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    assert_eq!(entry(&entries, "north")["exitCode"], 0);
    let lines: Vec<&str> = stderr.lines().collect();
    for ctx in ["east", "west"] {
        assert_ne!(entry(&entries, ctx)["exitCode"], 0);
        let tag = format!("[{ctx}] ");
        let start = lines
            .iter()
            .position(|l| {
                *l == format!("{tag}setup stopped at: update deployment.apps/function-runner")
            })
            .unwrap_or_else(|| panic!("no tagged report of {ctx}: {stderr}"));
        let block: Vec<&str> = lines[start..]
            .iter()
            .take_while(|l| l.starts_with(&tag))
            .copied()
            .collect();
        let text = block.join("\n");
        assert!(
            text.contains(&format!("{tag}  already changed:"))
                && text.contains(&format!("{tag}    - secret/registry-auth-secret created"))
                && text.contains(&format!("{tag}  to undo:"))
                && text.contains(&format!(
                    "{tag}    kubectl -n porch-system delete secret registry-auth-secret"
                ))
                && text.contains("(it is idempotent)"),
            "{ctx}'s report is cut or untagged:\n{stderr}"
        );
    }
    // Every line is tagged with a context of the run, or is part of the one confirmation
    // text (each plan headed by its context), or the run's own error line.
    for l in &lines {
        assert!(
            names.iter().any(|n| l.starts_with(&format!("[{n}] ")))
                || (l.starts_with("Cluster ") && l.contains("(context "))
                || l.starts_with("  ")
                || l.starts_with("error: "),
            "an untagged line: {l:?}\n{stderr}"
        );
    }
    assert!(!stderr.contains(PASSWORD));
}

/// `check --pull-test` across clusters: one cluster's node cannot pull (x509), the other
/// pulls everywhere; exit 3 (findings) with the failure in that cluster's entry only, the
/// progress lines tagged with their context, no pod left anywhere.
#[test]
fn pull_test_across_clusters_one_node_cannot_pull() {
    const IMAGE: &str = "registry.example.com:5000/fn/set-labels:v1";
    let good = crate::pull_test::cluster();
    let bad = crate::pull_test::cluster();
    good.pull_outcome(IMAGE, "*", crate::fake_api::PullOutcome::Pulled);
    bad.pull_outcome(IMAGE, "w1", crate::fake_api::PullOutcome::Pulled);
    bad.pull_outcome(IMAGE, "w2", crate::fake_api::PullOutcome::X509);
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(dir.path(), &[("good", good.url()), ("bad", bad.url())]);
    let (code, stdout, stderr) = run(
        &kc,
        &[
            "check",
            "--all-contexts",
            "--pull-test",
            IMAGE,
            "--timeout=60s",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 3, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    let rules = |e: &Value| -> Vec<(String, String)> {
        e["check"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().unwrap().starts_with("pull-test-"))
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["object"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let g = entry(&entries, "good");
    assert_eq!(g["exitCode"], 0, "{g}");
    let mut gr = rules(g);
    gr.sort();
    assert_eq!(
        gr,
        [
            ("pull-test-pulled".to_string(), "Node/w1".to_string()),
            ("pull-test-pulled".to_string(), "Node/w2".to_string())
        ]
    );
    let b = entry(&entries, "bad");
    assert_eq!(b["exitCode"], 3, "{b}");
    let br = rules(b);
    assert!(
        br.contains(&("pull-test-x509".into(), "Node/w2".into())),
        "{br:?}"
    );
    assert!(
        br.contains(&("pull-test-pulled".into(), "Node/w1".into())),
        "{br:?}"
    );
    // Each cluster's progress line names it.
    for ctx in ["good", "bad"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("[{ctx}] pull test ")) && l.contains("2 pod(s)")),
            "{ctx}: {stderr}"
        );
    }
    assert!(
        stderr.lines().all(|l| l.starts_with("[good] ")
            || l.starts_with("[bad] ")
            || l.starts_with("error: ")),
        "{stderr}"
    );
    for api in [&good, &bad] {
        assert!(
            api.pods(FN_NS).is_empty(),
            "pods left: {:?}",
            api.pods(FN_NS)
        );
    }
}

/// `check --probe` across contexts: each cluster's runner Secrets are tried against the real
/// registry; the cluster set up with an old password is refused (its entry only, exit 3),
/// the other is accepted; no password in the output.
#[test]
fn probe_across_contexts_names_the_cluster_whose_credential_is_refused() {
    use crate::registry_support::{Auth, Registry};
    let reg = Registry::start(Auth::htpasswd("robot", "curr3nt-pw"), true);
    let (apis, _dir, kc) = two_clusters();
    for (ctx, pw) in [("a", "curr3nt-pw"), ("b", "0ld-pw")] {
        let o = bin()
            .args([
                "setup",
                "--context",
                ctx,
                "--registry",
                &reg.host(),
                "--username",
                "robot",
            ])
            .arg("--ca-file")
            .arg(reg.ca_path())
            .args(["--timeout=30s", "--kubeconfig"])
            .arg(&kc)
            .env("PORCH_REGISTRY_PASSWORD", pw)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (code, stdout, stderr) = run(&kc, &["check", "--all-contexts", "--probe", "-o", "json"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(!stdout.contains("curr3nt-pw") && !stderr.contains("curr3nt-pw"));
    assert!(!stdout.contains("0ld-pw") && !stderr.contains("0ld-pw"));
    let entries = json_entries(&stdout);
    let probes = |ctx: &str| -> Vec<String> {
        entry(&entries, ctx)["check"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .filter(|r| r.starts_with("probe-"))
            .map(String::from)
            .collect()
    };
    assert_eq!(probes("a"), ["probe-credentials-accepted"], "{stdout}");
    assert_eq!(entry(&entries, "a")["exitCode"], 0);
    assert_eq!(probes("b"), ["probe-credentials-refused"], "{stdout}");
    assert_eq!(entry(&entries, "b")["exitCode"], 3);
    drop(apis);
}

#[test]
fn context_names_with_control_characters_cannot_break_lines_or_drive_the_terminal() {
    // A kubeconfig is a file anyone can hand over: a context named with an escape sequence
    // (here "clear the screen") or a newline is shown escaped in the table, in the `[context]`
    // tags and in the one error line; `-o json` keeps the name as it is.
    let good = porch_cluster();
    let evil = porch_cluster();
    let dir = tempfile::tempdir().unwrap();
    let kc = fleet_kubeconfig(
        dir.path(),
        &[
            ("good", good.url()),
            ("\"evil\\e[2Jctx\"", evil.url()),
            ("\"bad\\nname\"", unreachable_url()),
        ],
    );
    let (code, stdout, stderr) = run(&kc, &["status", "--all-contexts"]);
    assert_eq!(code, 5, "{stdout}{stderr}");
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
        "{stdout:?}{stderr:?}"
    );
    assert!(stdout.contains("evil\\u{1b}[2Jctx"), "{stdout}");
    assert!(stdout.contains("bad\\nname"), "{stdout}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("bad\\nname (exit 5)"), "{stderr}");
    let (_, json, _) = run(&kc, &["status", "--all-contexts", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["context"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"evil\u{1b}[2Jctx") && names.contains(&"bad\nname"),
        "{json}"
    );
}

#[test]
fn remove_with_nothing_to_remove_names_an_earlier_rollout_still_pending() {
    // b's runner never finishes rolling out the change of a first `remove --wait=false`;
    // a second remove has nothing left to change, and says b still runs old pods, as setup
    // does in the same case; a is done.
    let (apis, _dir, kc) = two_clusters();
    let (code, out, err) = run(&kc, &[&SETUP[..], &["--all-contexts"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    apis[1].set_rollout(Rollout::Never);
    let remove = ["remove", "--all-contexts", "--timeout=5s"];
    let (code, out, err) = run(&kc, &[&remove[..], &["--wait=false"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    let (code, stdout, stderr) = run(&kc, &[&remove[..], &["-o", "json"]].concat());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let entries = json_entries(&stdout);
    assert_eq!(
        entry(&entries, "a")["remove"]["rollout"],
        "no restart needed",
        "{stdout}"
    );
    let b = entry(&entries, "b")["remove"]["rollout"].as_str().unwrap();
    assert!(
        b.starts_with(
            "no restart needed, but an earlier rollout is not done: 0 out of 2 new replicas"
        ),
        "{b}"
    );
    // Alone: the same case is a warning naming the command to watch it.
    let (code, _, stderr) = run(&kc, &["remove", "--context", "b", "--timeout=5s"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "warning: deployment.apps/function-runner is still rolling out from an earlier change"
        ) && stderr.contains("kubectl -n porch-system rollout status deployment/function-runner"),
        "{stderr}"
    );
}
