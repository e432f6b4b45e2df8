//! Live-cluster commands through the built binary, against the HTTP fake of the Kubernetes API
//! (the real kube client stack: kubeconfig, HTTP, serialisation).

use base64::Engine as _;
use serde_json::{Value, json};

use crate::fake_api::{FakeApi, Rollout};
use crate::support::bin;

const NS: &str = "porch-system";
const FN_NS: &str = "porch-fn-system";
const PASSWORD: &str = "s3cr3t-Pa55word";
/// The runner's copy in the function namespace: `--registry-auth-secret-name`, which setup
/// sets to the auth Secret's name (as offline `patch` does).
const COPY: &str = "registry-auth-secret";

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn unb64(s: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.as_str().expect("base64 string"))
        .expect("base64")
}

/// The catalog-style function runner (flags in `command:`), with its namespace, service
/// account, the stock Role on secrets in the function namespace, and its binding.
pub fn porch_cluster() -> FakeApi {
    porch_objects(FakeApi::start())
}

/// `api` with the objects of [`porch_cluster`] (e.g. an HTTPS one, `FakeApi::start_tls`).
pub fn porch_objects(api: FakeApi) -> FakeApi {
    api.namespace(NS);
    api.namespace(FN_NS);
    api.insert(json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "porch-fn-runner", "namespace": NS}}));
    api.insert(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "porch-function-executor", "namespace": FN_NS},
        "rules": [{"apiGroups": [""], "resources": ["pods", "secrets"], "verbs": ["get", "list", "create", "update", "delete", "watch"]}]}));
    api.insert(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "porch-function-executor", "namespace": FN_NS},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "porch-function-executor"},
        "subjects": [{"kind": "ServiceAccount", "name": "porch-fn-runner", "namespace": NS}]}));
    api.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "function-runner", "namespace": NS},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "function-runner"}},
            "template": {
                "metadata": {"labels": {"app": "function-runner"}},
                "spec": {
                    "serviceAccountName": "porch-fn-runner",
                    "containers": [{
                        "name": "function-runner",
                        "image": "docker.io/nephio/porch-function-runner:v1.5.8",
                        "command": ["/home/nonroot/server", "--config=/config.yaml",
                                    "--functions=/functions", "--pod-namespace=porch-fn-system"],
                        "volumeMounts": [{"name": "pod-cache-config-volume", "mountPath": "/pod-cache-config"}]
                    }],
                    "volumes": [{"name": "pod-cache-config-volume", "configMap": {"name": "pod-cache-config"}}]
                }
            }
        }
    }));
    api
}

fn base_args(api: &FakeApi) -> Vec<String> {
    vec![
        "--kubeconfig".into(),
        api.kubeconfig().display().to_string(),
    ]
}

/// `setup` from flags alone (CI form), password from the environment.
fn setup(api: &FakeApi, password: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut args = vec!["setup".to_string()];
    args.extend(base_args(api));
    args.extend(
        [
            "--registry",
            "registry.example.com:5000",
            "--username",
            "robot",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    args.extend(extra.iter().map(|s| s.to_string()));
    if !extra.iter().any(|e| e.starts_with("--timeout")) {
        args.push("--timeout=30s".into());
    }
    bin()
        .args(&args)
        .env("PORCH_REGISTRY_PASSWORD", password)
        .env_remove("KUBECONFIG")
        .assert()
}

fn out(a: &assert_cmd::assert::Assert) -> (String, String) {
    let o = a.get_output();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn deployment(api: &FakeApi) -> Value {
    api.get("deployments", NS, "function-runner")
        .expect("deployment")
}

fn command_of(d: &Value) -> Vec<String> {
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    let mut v: Vec<String> = vec![];
    for k in ["command", "args"] {
        for x in c[k].as_array().into_iter().flatten() {
            v.push(x.as_str().unwrap().to_string());
        }
    }
    v
}

fn no_password(api: &FakeApi, texts: &[&str]) {
    for t in texts {
        assert!(!t.contains(PASSWORD), "password leaked: {t}");
        assert!(
            !t.contains(&b64(format!("robot:{PASSWORD}").as_bytes())),
            "auth leaked: {t}"
        );
    }
    let _ = api;
}

#[test]
fn first_setup_creates_secret_patches_and_waits() {
    let api = porch_cluster();
    let a = setup(&api, PASSWORD, &[]).success();
    let (stdout, stderr) = out(&a);
    assert!(
        stdout.contains("secret/registry-auth-secret created"),
        "{stdout}"
    );
    assert!(
        stdout.contains("deployment.apps/function-runner configured"),
        "{stdout}"
    );
    assert!(stderr.contains("successfully rolled out"), "{stderr}");
    no_password(&api, &[&stdout, &stderr]);

    let secret = api
        .get("secrets", NS, "registry-auth-secret")
        .expect("secret");
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
    let cfg: Value = serde_json::from_slice(&unb64(&secret["data"][".dockerconfigjson"])).unwrap();
    assert_eq!(
        cfg["auths"]["registry.example.com:5000"]["username"],
        "robot"
    );
    assert_eq!(
        cfg["auths"]["registry.example.com:5000"]["password"],
        PASSWORD
    );
    // Written by server-side apply with our field manager.
    assert!(api.requests().iter().any(|r| r.method == "PATCH"
        && r.path.ends_with("/secrets/registry-auth-secret")
        && r.content_type.starts_with("application/apply-patch+yaml")
        && r.query.contains("fieldManager=kubectl-porch-registry")));

    let d = deployment(&api);
    let cmd = command_of(&d);
    assert!(
        cmd.contains(&"--enable-private-registries=true".to_string()),
        "{cmd:?}"
    );
    assert!(
        cmd.contains(
            &"--registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson".to_string()
        ),
        "{cmd:?}"
    );
    assert!(
        cmd.contains(&"--config=/config.yaml".to_string()),
        "other flags kept: {cmd:?}"
    );
    let spec = &d["spec"]["template"]["spec"];
    assert!(
        spec["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["secret"]["secretName"] == "registry-auth-secret")
    );
    let mount = spec["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == "/var/tmp/auth-secret")
        .cloned()
        .expect("mount");
    assert_eq!(mount["readOnly"], true);
    assert_eq!(d["metadata"]["generation"], 2);
    assert_eq!(d["status"]["observedGeneration"], 2, "rollout waited for");
    // The Secret was written before the Deployment.
    let reqs = api.writes();
    let si = reqs
        .iter()
        .position(|r| r.path.contains("/secrets/"))
        .unwrap();
    let di = reqs
        .iter()
        .position(|r| r.path.contains("/deployments/"))
        .unwrap();
    assert!(si < di, "{reqs:?}");
}

#[test]
fn rerun_is_unchanged_and_does_not_restart() {
    let api = porch_cluster();
    setup(&api, PASSWORD, &[]).success();
    let gen_before = deployment(&api)["metadata"]["generation"].clone();
    let rv_before =
        api.get("secrets", NS, "registry-auth-secret").unwrap()["metadata"]["resourceVersion"]
            .clone();
    api.clear_requests();
    let a = setup(&api, PASSWORD, &[]).success();
    let (stdout, _) = out(&a);
    assert!(
        stdout.contains("secret/registry-auth-secret unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("deployment.apps/function-runner unchanged"),
        "{stdout}"
    );
    assert!(
        api.writes().is_empty(),
        "no writes on a re-run: {:?}",
        api.writes()
    );
    assert_eq!(deployment(&api)["metadata"]["generation"], gen_before);
    assert_eq!(
        api.get("secrets", NS, "registry-auth-secret").unwrap()["metadata"]["resourceVersion"],
        rv_before
    );
}

fn runner_copy(api: &FakeApi, content: &[u8]) {
    api.insert(
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": COPY, "namespace": FN_NS},
        "data": {".dockerconfigjson": b64(content)}}),
    );
}

#[test]
fn rotation_updates_the_runner_copy() {
    let api = porch_cluster();
    setup(&api, PASSWORD, &[]).success();
    let old = unb64(
        &api.get("secrets", NS, "registry-auth-secret").unwrap()["data"][".dockerconfigjson"],
    );
    runner_copy(&api, &old);
    let gen_before = deployment(&api)["metadata"]["generation"].clone();
    let a = setup(&api, "n3w-Pa55word", &[]).success();
    let (stdout, stderr) = out(&a);
    assert!(
        stdout.contains("secret/registry-auth-secret configured"),
        "{stdout}"
    );
    assert!(
        stdout.contains("deployment.apps/function-runner unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("secret/registry-auth-secret in namespace \"porch-fn-system\" updated"),
        "{stdout}"
    );
    assert!(!stderr.contains("n3w-Pa55word") && !stdout.contains("n3w-Pa55word"));
    let new = unb64(
        &api.get("secrets", NS, "registry-auth-secret").unwrap()["data"][".dockerconfigjson"],
    );
    let copy = unb64(&api.get("secrets", FN_NS, COPY).unwrap()["data"][".dockerconfigjson"]);
    assert_ne!(new, old);
    assert_eq!(copy, new, "the runner's copy is current");
    assert_eq!(
        deployment(&api)["metadata"]["generation"],
        gen_before,
        "no restart needed"
    );
}

#[test]
fn rotation_restarts_the_runner_when_the_copy_cannot_be_updated() {
    let api = porch_cluster();
    setup(&api, PASSWORD, &[]).success();
    let old = unb64(
        &api.get("secrets", NS, "registry-auth-secret").unwrap()["data"][".dockerconfigjson"],
    );
    runner_copy(&api, &old);
    api.forbid("update", "secrets", Some(FN_NS));
    let gen_before = deployment(&api)["metadata"]["generation"].as_i64().unwrap();
    let a = setup(&api, "n3w-Pa55word", &[]).success();
    let (stdout, stderr) = out(&a);
    assert!(stderr.contains("restarting the runner instead"), "{stderr}");
    assert!(
        stdout.contains("deployment.apps/function-runner restarted"),
        "{stdout}"
    );
    let d = deployment(&api);
    assert_eq!(
        d["metadata"]["generation"].as_i64().unwrap(),
        gen_before + 1
    );
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
}

#[test]
fn dry_run_client_prints_objects_and_sends_nothing() {
    let api = porch_cluster();
    let a = setup(&api, PASSWORD, &["--dry-run=client"]).success();
    let (stdout, stderr) = out(&a);
    assert!(api.writes().is_empty(), "{:?}", api.writes());
    let docs: Vec<&str> = stdout.split("\n---\n").collect();
    assert_eq!(docs.len(), 2, "{stdout}");
    let secret: Value = serde_saphyr::from_str(docs[0]).unwrap();
    let dep: Value = serde_saphyr::from_str(docs[1]).unwrap();
    assert_eq!(secret["kind"], "Secret");
    assert_eq!(secret["metadata"]["namespace"], NS);
    assert_eq!(dep["kind"], "Deployment");
    assert!(
        dep["metadata"].get("resourceVersion").is_none(),
        "ready for kubectl apply"
    );
    assert!(dep.get("status").is_none());
    assert!(command_of(&dep).contains(&"--enable-private-registries=true".to_string()));
    assert!(stderr.contains("would be created"), "{stderr}");
    assert!(api.get("secrets", NS, "registry-auth-secret").is_none());
}

#[test]
fn dry_run_server_sends_dry_run_all_and_persists_nothing() {
    let api = porch_cluster();
    let a = setup(&api, PASSWORD, &["--dry-run=server"]).success();
    let (stdout, _) = out(&a);
    assert!(
        stdout.contains("secret/registry-auth-secret created (server dry run)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("deployment.apps/function-runner configured (server dry run)"),
        "{stdout}"
    );
    let writes: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.is_write())
        .collect();
    assert!(!writes.is_empty());
    assert!(writes.iter().all(|r| r.dry_run()), "{writes:?}");
    assert!(api.get("secrets", NS, "registry-auth-secret").is_none());
    assert_eq!(deployment(&api)["metadata"]["generation"], 1);
}

#[test]
fn missing_namespace_is_one_error_line_and_no_change() {
    let api = porch_cluster();
    let a = setup(&api, PASSWORD, &["-n", "nope"]).failure().code(4);
    let (stdout, stderr) = out(&a);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("namespace \"nope\" does not exist"),
        "{stderr}"
    );
    assert!(api.writes().is_empty());
}

#[test]
fn missing_deployment_is_not_found() {
    let api = porch_cluster();
    let a = setup(&api, PASSWORD, &["--deployment", "other"])
        .failure()
        .code(4);
    let (_, stderr) = out(&a);
    assert!(
        stderr.contains("deployment \"other\" not found in namespace \"porch-system\""),
        "{stderr}"
    );
}

#[test]
fn forbidden_step_names_verb_and_resource_and_changes_nothing() {
    let api = porch_cluster();
    api.forbid("update", "deployments", Some(NS));
    let a = setup(&api, PASSWORD, &[]).failure().code(6);
    let (_, stderr) = out(&a);
    let err = stderr.lines().find(|l| l.starts_with("error:")).unwrap();
    assert!(
        err.contains("update") && err.contains("deployments.apps"),
        "{err}"
    );
    assert!(
        api.writes().is_empty(),
        "checked before any change: {:?}",
        api.writes()
    );
    assert!(api.get("secrets", NS, "registry-auth-secret").is_none());
}

#[test]
fn forbidden_read_is_reported() {
    let api = porch_cluster();
    api.forbid("get", "deployments", None);
    let a = setup(&api, PASSWORD, &[]).failure().code(6);
    let (_, stderr) = out(&a);
    assert!(
        stderr.contains("get deployments.apps \"function-runner\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("cannot get resource \"deployments\""),
        "{stderr}"
    );
}

#[test]
fn failure_half_way_reports_changes_and_undo() {
    let api = porch_cluster();
    api.reject("update", "deployments");
    let a = setup(&api, PASSWORD, &[]).failure().code(5);
    let (_, stderr) = out(&a);
    assert!(stderr.contains("already changed:"), "{stderr}");
    assert!(
        stderr.contains("secret/registry-auth-secret created"),
        "{stderr}"
    );
    assert!(stderr.contains("not changed:"), "{stderr}");
    assert!(
        stderr.contains("kubectl -n porch-system delete secret registry-auth-secret"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("admission webhook"), "{stderr}");
    // The Secret exists; the Deployment was never pointed at anything.
    assert!(api.get("secrets", NS, "registry-auth-secret").is_some());
    assert!(
        !command_of(&deployment(&api))
            .iter()
            .any(|a| a.contains("private-registries"))
    );
}

#[test]
fn unreachable_cluster_is_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let port = portpicker::pick_unused_port().expect("port");
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        crate::fake_api::kubeconfig_text(&format!("http://127.0.0.1:{port}"), "gone"),
    )
    .unwrap();
    let a = bin()
        .args(["status", "--kubeconfig"])
        .arg(&kc)
        .assert()
        .failure()
        .code(5);
    let (_, stderr) = out(&a);
    assert!(
        stderr.starts_with("error: cannot reach the Kubernetes API at http://127.0.0.1:"),
        "{stderr}"
    );
}

#[test]
fn kubeconfig_env_and_context_are_honoured() {
    let api = porch_cluster();
    // KUBECONFIG with two files; the second holds the context we ask for.
    let other = api.dir().join("other");
    std::fs::write(
        &other,
        crate::fake_api::kubeconfig_text("http://127.0.0.1:1", "broken"),
    )
    .unwrap();
    let joined = format!("{}:{}", other.display(), api.kubeconfig().display());
    bin()
        .args(["status", "--context", "fake"])
        .env("KUBECONFIG", &joined)
        .assert()
        .success();
    let a = bin()
        .args(["status", "--context", "missing"])
        .env("KUBECONFIG", &joined)
        .assert()
        .failure()
        .code(2);
    let (_, stderr) = out(&a);
    assert!(stderr.contains("context \"missing\""), "{stderr}");
}

/// A kubeconfig that is missing, a directory, not YAML or without a current context: one line
/// naming it and the fix (never the file's content: a YAML error snippet could show a token),
/// with the exit code of the README's table, for every live command.
#[test]
fn broken_kubeconfigs_are_one_line_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let token = "Zq8-kubeconfig-token";
    let not_yaml = dir.path().join("not-yaml");
    std::fs::write(
        &not_yaml,
        format!("apiVersion: v1\nusers:\n- name: u\n  user: {{token: {token} [\n"),
    )
    .unwrap();
    let no_context = dir.path().join("no-context");
    std::fs::write(&no_context, "apiVersion: v1\nkind: Config\n").unwrap();
    let missing = dir.path().join("missing");
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let cases: Vec<(Option<&std::path::Path>, i32, &str)> = vec![
        (
            Some(missing.as_path()),
            4,
            "does not exist; pass --kubeconfig PATH",
        ),
        (
            Some(dir.path()),
            2,
            "is a directory; pass the kubeconfig file itself",
        ),
        (Some(not_yaml.as_path()), 2, "is not valid"),
        (
            Some(no_context.as_path()),
            2,
            "has no current-context; pass --context NAME",
        ),
        // No KUBECONFIG and no ~/.kube/config.
        (None, 4, "/.kube/config) does not exist"),
    ];
    for cmd in [&["status"][..], &["check"], &["remove"]] {
        for (kubeconfig, code, needle) in &cases {
            let mut c = bin();
            c.args(cmd)
                .env("HOME", &home)
                .env_remove("KUBERNETES_SERVICE_HOST")
                .write_stdin("");
            match kubeconfig {
                Some(k) => c.env("KUBECONFIG", k),
                None => c.env_remove("KUBECONFIG"),
            };
            let a = c.assert().failure().code(*code);
            let (stdout, stderr) = out(&a);
            assert!(stdout.is_empty(), "{cmd:?} {kubeconfig:?}: {stdout}");
            assert_eq!(
                stderr.lines().count(),
                1,
                "{cmd:?} {kubeconfig:?}: {stderr}"
            );
            assert!(stderr.starts_with("error: "), "{stderr}");
            assert!(stderr.contains(needle), "{cmd:?} {kubeconfig:?}: {stderr}");
            assert!(!stderr.contains(token), "{stderr}");
        }
    }
}

#[test]
fn rollout_timeout_is_exit_9() {
    let api = porch_cluster();
    api.set_rollout(Rollout::Never);
    let a = setup(&api, PASSWORD, &["--timeout=1s"]).failure().code(9);
    let (_, stderr) = out(&a);
    assert!(stderr.contains("did not finish within 1s"), "{stderr}");
    assert!(
        stderr.contains("Waiting for deployment \"function-runner\" rollout to finish"),
        "{stderr}"
    );
}

#[test]
fn no_wait_returns_before_the_rollout() {
    let api = porch_cluster();
    api.set_rollout(Rollout::Never);
    setup(&api, PASSWORD, &["--wait=false"]).success();
}

fn ca_pem() -> String {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Test Registry CA");
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().pem()
}

#[test]
fn setup_with_ca_then_status_and_remove() {
    let api = porch_cluster();
    let ca = api.dir().join("ca.crt");
    std::fs::write(&ca, ca_pem()).unwrap();
    setup(&api, PASSWORD, &["--ca-file", ca.to_str().unwrap()]).success();
    let tls = api
        .get("secrets", NS, "registry-tls-secret")
        .expect("tls secret");
    assert_eq!(tls["type"], "Opaque");
    let cmd = command_of(&deployment(&api));
    assert!(
        cmd.contains(&"--enable-private-registries-tls=true".to_string()),
        "{cmd:?}"
    );
    let old = unb64(
        &api.get("secrets", NS, "registry-auth-secret").unwrap()["data"][".dockerconfigjson"],
    );
    runner_copy(&api, &old);

    // status: table and JSON, never a password.
    let a = bin().arg("status").args(base_args(&api)).assert().success();
    let (table, _) = out(&a);
    no_password(&api, &[&table]);
    assert!(table.contains("registry.example.com:5000"), "{table}");
    assert!(table.contains("Test Registry CA"), "{table}");
    assert!(table.contains("matches the auth secret"), "{table}");
    assert!(table.contains("complete"), "{table}");
    let a = bin()
        .arg("status")
        .args(base_args(&api))
        .args(["-o", "json"])
        .assert()
        .success();
    let (json_out, _) = out(&a);
    no_password(&api, &[&json_out]);
    let s: Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(s["privateRegistries"], true);
    assert_eq!(s["tls"], true);
    assert_eq!(
        s["authSecret"]["registries"],
        json!(["registry.example.com:5000"])
    );
    assert_eq!(
        s["tlsSecret"]["certificates"][0]["subject"],
        "CN=Test Registry CA"
    );
    assert_eq!(s["fnCopy"]["matches"], true);
    assert_eq!(s["rollout"]["state"], "complete");

    // A stale copy shows.
    let mut copy = api.get("secrets", FN_NS, COPY).unwrap();
    api.remove("secrets", FN_NS, COPY);
    copy["data"][".dockerconfigjson"] = json!(b64(b"{\"auths\":{}}"));
    copy["metadata"] = json!({"name": COPY, "namespace": FN_NS});
    api.insert(copy);
    let a = bin()
        .arg("status")
        .args(base_args(&api))
        .args(["-o", "json"])
        .assert()
        .success();
    let s: Value = serde_json::from_str(&out(&a).0).unwrap();
    assert_eq!(s["fnCopy"]["matches"], false);

    // remove --delete-secrets: flags, mounts, volumes and all three Secrets go.
    let a = bin()
        .args(["remove", "--delete-secrets"])
        .args(base_args(&api))
        .assert()
        .success();
    let (stdout, stderr) = out(&a);
    assert!(
        stdout.contains("deployment.apps/function-runner configured"),
        "{stdout}"
    );
    assert!(stderr.contains("successfully rolled out"), "{stderr}");
    let d = deployment(&api);
    let cmd = command_of(&d);
    assert!(
        !cmd.iter()
            .any(|a| a.contains("private-registries") || a.contains("secret-path")),
        "{cmd:?}"
    );
    assert_eq!(cmd.len(), 4, "the catalog's own flags stay: {cmd:?}");
    let spec = &d["spec"]["template"]["spec"];
    assert_eq!(spec["volumes"].as_array().unwrap().len(), 1, "{spec}");
    assert_eq!(
        spec["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(api.get("secrets", NS, "registry-auth-secret").is_none());
    assert!(api.get("secrets", NS, "registry-tls-secret").is_none());
    assert!(api.get("secrets", FN_NS, COPY).is_none());
    // Again: nothing to do.
    let a = bin()
        .args(["remove"])
        .args(base_args(&api))
        .assert()
        .success();
    assert!(
        out(&a)
            .0
            .contains("deployment.apps/function-runner unchanged")
    );
}

#[test]
fn read_runner_secrets_returns_the_mounted_bytes() {
    let api = porch_cluster();
    let ca = api.dir().join("ca.crt");
    let pem = ca_pem();
    std::fs::write(&ca, &pem).unwrap();
    setup(&api, PASSWORD, &["--ca-file", ca.to_str().unwrap()]).success();
    let cluster = porch_registry::cluster::ClusterOptions {
        kubeconfig: Some(api.kubeconfig().to_path_buf()),
        ..Default::default()
    };
    let got = porch_registry::cluster::read_runner_secrets(
        &cluster,
        NS,
        "function-runner",
        "function-runner",
    )
    .unwrap();
    let cfg: Value = serde_json::from_slice(got.dockerconfigjson.as_ref().unwrap()).unwrap();
    assert_eq!(
        cfg["auths"]["registry.example.com:5000"]["username"],
        "robot"
    );
    assert_eq!(got.ca_pem.as_deref(), Some(pem.as_bytes()));
    assert_eq!(got.auth_path, "/var/tmp/auth-secret/.dockerconfigjson");
    assert!(!format!("{got:?}").contains(PASSWORD));
}

fn check_args(api: &FakeApi) -> porch_registry::settings::Check {
    let cli = <porch_registry::cli::Cli as clap::Parser>::try_parse_from([
        "kubectl-porch_registry",
        "check",
        "--kubeconfig",
        api.kubeconfig().to_str().unwrap(),
    ])
    .unwrap();
    match porch_registry::settings::Settings::resolve(cli).unwrap() {
        porch_registry::settings::Settings::Check(a) => a,
        _ => unreachable!(),
    }
}

#[test]
fn live_check_finds_what_only_a_cluster_can_tell() {
    let api = porch_cluster();
    setup(&api, PASSWORD, &[]).success();
    let clean = porch_registry::commands::check::live::live_objects_and_findings(&check_args(&api))
        .unwrap();
    assert!(clean.findings.is_empty(), "{:?}", clean.findings);
    assert_eq!(clean.objects[0]["kind"], "Deployment");
    assert!(
        clean
            .objects
            .iter()
            .any(|o| o["metadata"]["name"] == "registry-auth-secret")
    );

    // Stale copy, RBAC gone, failing pods, Secret moved to another namespace.
    runner_copy(&api, b"{\"auths\":{}}");
    api.remove("rolebindings", FN_NS, "porch-function-executor");
    api.insert(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fn-x509", "namespace": FN_NS},
        "status": {"containerStatuses": [{"name": "function", "image": "registry.example.com:5000/fn:v1",
            "state": {"waiting": {"reason": "ErrImagePull", "message": "failed to pull: tls: failed to verify certificate: x509: certificate signed by unknown authority"}}}]}}));
    api.insert(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fn-auth", "namespace": FN_NS},
        "status": {"containerStatuses": [{"name": "function", "image": "registry.example.com:5000/fn:v2",
            "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]}}));
    let rules = |c: &porch_registry::commands::check::live::LiveCheck| -> Vec<&str> {
        c.findings.iter().map(|f| f.rule).collect()
    };
    let c = porch_registry::commands::check::live::live_objects_and_findings(&check_args(&api))
        .unwrap();
    let r = rules(&c);
    assert!(r.contains(&"fn-copy-stale"), "{r:?}");
    assert!(r.contains(&"runner-rbac-secrets"), "{r:?}");
    assert!(r.contains(&"function-pod-x509"), "{r:?}");
    assert!(r.contains(&"function-pod-pull-failed"), "{r:?}");
    let rbac = c
        .findings
        .iter()
        .find(|f| f.rule == "runner-rbac-secrets")
        .unwrap();
    assert!(
        rbac.message.contains("get/create/update"),
        "{}",
        rbac.message
    );
    let x509 = c
        .findings
        .iter()
        .find(|f| f.rule == "function-pod-x509")
        .unwrap();
    assert!(x509.fix.contains("node"), "{}", x509.fix);

    let mut s = api.get("secrets", NS, "registry-auth-secret").unwrap();
    api.remove("secrets", NS, "registry-auth-secret");
    s["metadata"] = json!({"name": "registry-auth-secret", "namespace": "default"});
    api.namespace("default");
    api.insert(s);
    let c = porch_registry::commands::check::live::live_objects_and_findings(&check_args(&api))
        .unwrap();
    assert!(
        rules(&c).contains(&"secret-wrong-namespace"),
        "{:?}",
        rules(&c)
    );
    api.remove("secrets", "default", "registry-auth-secret");
    let c = porch_registry::commands::check::live::live_objects_and_findings(&check_args(&api))
        .unwrap();
    assert!(rules(&c).contains(&"secret-missing"), "{:?}", rules(&c));
}

#[test]
fn non_terminal_without_credentials_names_the_flags() {
    let api = porch_cluster();
    let a = bin()
        .arg("setup")
        .args(base_args(&api))
        .env_remove("PORCH_REGISTRY_PASSWORD")
        .assert()
        .failure()
        .code(2);
    let (_, stderr) = out(&a);
    assert!(stderr.contains("--registry"), "{stderr}");
    assert!(api.writes().is_empty());
}

#[test]
fn password_stdin_works() {
    let api = porch_cluster();
    bin()
        .arg("setup")
        .args(base_args(&api))
        .args([
            "--registry",
            "ghcr.io",
            "--username",
            "robot",
            "--password-stdin",
        ])
        .env_remove("PORCH_REGISTRY_PASSWORD")
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    let secret = api.get("secrets", NS, "registry-auth-secret").unwrap();
    let cfg: Value = serde_json::from_slice(&unb64(&secret["data"][".dockerconfigjson"])).unwrap();
    assert_eq!(cfg["auths"]["ghcr.io"]["password"], PASSWORD);
}

#[test]
fn rerun_repairs_a_stale_runner_copy() {
    let api = porch_cluster();
    setup(&api, PASSWORD, &[]).success();
    runner_copy(&api, b"{\"auths\":{}}");
    let a = setup(&api, PASSWORD, &[]).success();
    let (stdout, _) = out(&a);
    assert!(
        stdout.contains("secret/registry-auth-secret unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("secret/registry-auth-secret in namespace \"porch-fn-system\" updated"),
        "{stdout}"
    );
    let want = api.get("secrets", NS, "registry-auth-secret").unwrap()["data"][".dockerconfigjson"]
        .clone();
    assert_eq!(
        api.get("secrets", FN_NS, COPY).unwrap()["data"][".dockerconfigjson"],
        want
    );
}

#[test]
fn check_live_through_the_binary() {
    let api = porch_cluster();
    setup(&api, PASSWORD, &[]).success();
    // A healthy configuration: no error finding, exit 0 (warnings/infos may show).
    let a = bin()
        .arg("check")
        .args(base_args(&api))
        .args(["-o", "json"])
        .assert()
        .success();
    let (stdout, _) = out(&a);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] != "error"),
        "{stdout}"
    );
    no_password(&api, &[&stdout]);

    // Break it: the offline rules run on the live objects (an unmatched registry key) and
    // the live-only rules fire (runner RBAC, failing pod), exit 3.
    let mut s = api.get("secrets", NS, "registry-auth-secret").unwrap();
    api.remove("secrets", NS, "registry-auth-secret");
    let bad = br#"{"auths":{"https://index.docker.io/v1/":{"username":"robot","password":"x","auth":"cm9ib3Q6eA=="}}}"#;
    s["data"][".dockerconfigjson"] = json!(b64(bad));
    s["metadata"] = json!({"name": "registry-auth-secret", "namespace": NS});
    api.insert(s);
    api.remove("rolebindings", FN_NS, "porch-function-executor");
    api.insert(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fn-x509", "namespace": FN_NS},
        "status": {"containerStatuses": [{"name": "function", "image": "registry.example.com:5000/fn:v1",
            "state": {"waiting": {"reason": "ErrImagePull", "message": "x509: certificate signed by unknown authority"}}}]}}));
    let a = bin()
        .arg("check")
        .args(base_args(&api))
        .args(["-o", "json"])
        .assert()
        .failure()
        .code(3);
    let (stdout, stderr) = out(&a);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"registry-key-unmatched"), "{rules:?}");
    assert!(rules.contains(&"runner-rbac-secrets"), "{rules:?}");
    assert!(rules.contains(&"function-pod-x509"), "{rules:?}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
    let a = bin()
        .arg("check")
        .args(base_args(&api))
        .assert()
        .failure()
        .code(3);
    let (table, _) = out(&a);
    assert!(
        table.contains("runner-rbac-secrets") && table.contains("function-pod-x509"),
        "{table}"
    );
}

#[test]
fn a_concurrent_change_is_retried_on_the_fresh_object() {
    let api = porch_cluster();
    api.race_next_update("deployments");
    setup(&api, PASSWORD, &[]).success();
    let d = deployment(&api);
    // The other writer's change survived and ours is there too.
    assert_eq!(
        d["metadata"]["labels"]["touched-by"],
        "someone-else",
        "{:?} {d}",
        api.requests()
    );
    assert!(command_of(&d).contains(&"--enable-private-registries=true".to_string()));
    let puts = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/deployments/function-runner"))
        .count();
    assert_eq!(puts, 2, "one conflict, one retry");
}

#[test]
fn failed_rollout_is_reported() {
    let api = porch_cluster();
    api.set_rollout(Rollout::Fail);
    let a = setup(&api, PASSWORD, &[]).failure().code(5);
    let (_, stderr) = out(&a);
    assert!(
        stderr.contains("exceeded its progress deadline"),
        "{stderr}"
    );
}

#[test]
fn remove_dry_runs_change_nothing() {
    let api = porch_cluster();
    setup(&api, PASSWORD, &[]).success();
    let before = deployment(&api);
    api.clear_requests();
    let a = bin()
        .args(["remove", "--delete-secrets", "--dry-run=client"])
        .args(base_args(&api))
        .assert()
        .success();
    let (stdout, stderr) = out(&a);
    let printed: Value = serde_saphyr::from_str(&stdout).unwrap();
    assert!(
        !command_of(&printed)
            .iter()
            .any(|a| a.contains("private-registries"))
    );
    assert!(
        stderr.contains("secret/registry-auth-secret would be deleted"),
        "{stderr}"
    );
    let a = bin()
        .args(["remove", "--delete-secrets", "--dry-run=server"])
        .args(base_args(&api))
        .assert()
        .success();
    let (stdout, _) = out(&a);
    assert!(stdout.contains("(server dry run)"), "{stdout}");
    let writes: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.is_write())
        .collect();
    assert!(writes.iter().any(|r| r.method == "DELETE"), "{writes:?}");
    assert!(writes.iter().all(|r| r.dry_run()), "{writes:?}");
    assert_eq!(deployment(&api), before);
    assert!(api.get("secrets", NS, "registry-auth-secret").is_some());
}

#[test]
fn check_reads_roles_when_it_cannot_review_the_runner_rbac() {
    let api = porch_cluster();
    setup(&api, PASSWORD, &[]).success();
    api.forbid("create", "subjectaccessreviews", None);
    let rbac = |api: &FakeApi| {
        porch_registry::commands::check::live::live_objects_and_findings(&check_args(api))
            .unwrap()
            .findings
            .into_iter()
            .find(|f| f.rule == "runner-rbac-secrets")
    };
    // The stock Role and binding, read and evaluated: nothing to say.
    assert_eq!(rbac(&api), None);
    // The binding gone: the same verdict a SubjectAccessReview would give.
    api.remove("rolebindings", FN_NS, "porch-function-executor");
    let f = rbac(&api).expect("a finding");
    assert_eq!(f.severity.as_str(), "error");
    assert!(f.message.contains("get/create/update"), "{}", f.message);
    // Not even the Roles readable: say so.
    api.forbid("list", "rolebindings", None);
    let f = rbac(&api).expect("a note");
    assert_eq!(f.severity.as_str(), "info");
    assert!(f.fix.contains("kubectl auth can-i"), "{}", f.fix);
}

#[test]
fn setup_takes_a_secret_made_by_kubectl_only_with_force_conflicts() {
    let api = porch_cluster();
    // `kubectl create secret docker-registry` made it (another field manager owns .data).
    api.insert(
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": "registry-auth-secret", "namespace": NS},
        "data": {".dockerconfigjson": b64(b"{\"auths\":{}}")}}),
    );
    // As kubectl apply --server-side: a conflict, not a silent takeover (exit 10).
    let a = setup(&api, PASSWORD, &[]).failure().code(10);
    let (_, stderr) = out(&a);
    assert!(
        stderr.contains("conflict with \"kubectl-create\" using v1")
            && stderr.contains(".data..dockerconfigjson")
            && stderr.contains("--force-conflicts")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert!(api.writes().is_empty(), "{:?}", api.writes());
    let a = setup(&api, PASSWORD, &["--force-conflicts"]).success();
    assert!(out(&a).0.contains("secret/registry-auth-secret configured"));
    let cfg: Value = serde_json::from_slice(&unb64(
        &api.get("secrets", NS, "registry-auth-secret").unwrap()["data"][".dockerconfigjson"],
    ))
    .unwrap();
    assert_eq!(
        cfg["auths"]["registry.example.com:5000"]["username"],
        "robot"
    );
    assert!(
        api.requests()
            .iter()
            .any(|r| r.method == "PATCH" && r.query.contains("force=true"))
    );
}

#[test]
fn an_existing_secret_of_another_type_is_refused_before_any_change() {
    let api = porch_cluster();
    api.insert(
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "registry-auth-secret", "namespace": NS}, "data": {"x": "eA=="}}),
    );
    let a = setup(&api, PASSWORD, &[]).failure().code(2);
    let (_, stderr) = out(&a);
    assert!(stderr.contains("exists with type Opaque"), "{stderr}");
    assert!(api.writes().is_empty(), "{:?}", api.writes());
}

#[test]
fn status_of_an_unconfigured_runner() {
    let api = porch_cluster();
    let a = bin()
        .arg("status")
        .args(base_args(&api))
        .args(["-o", "json"])
        .assert()
        .success();
    let s: Value = serde_json::from_str(&out(&a).0).unwrap();
    assert_eq!(s["privateRegistries"], false);
    assert_eq!(s["authSecret"], Value::Null);
    assert_eq!(s["fnCopy"]["exists"], false);
    assert!(s["fnCopy"]["note"].as_str().unwrap().contains("off"));
    let a = bin().arg("status").args(base_args(&api)).assert().success();
    assert!(out(&a).0.contains("disabled"));
}

/// The runner's Deployment with its containers replaced (a rename of the runner's, a sidecar).
fn set_containers(api: &FakeApi, edit: impl FnOnce(&mut Vec<Value>)) {
    let mut d = deployment(api);
    api.remove("deployments", NS, "function-runner");
    let list = d["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .unwrap();
    edit(list);
    d["metadata"] = json!({"name": "function-runner", "namespace": NS});
    d.as_object_mut().unwrap().remove("status");
    api.insert(d);
}

#[test]
fn a_single_runner_container_under_another_name_is_the_runner_everywhere() {
    // THE rule (`runner::container::locate`): the only container is the runner whatever its
    // name, for setup, status, check and explain alike.
    let api = porch_cluster();
    set_containers(&api, |cs| cs[0]["name"] = json!("server"));
    setup(&api, PASSWORD, &[]).success();
    let d = deployment(&api);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["name"],
        "server"
    );
    assert!(
        command_of(&d).contains(&"--enable-private-registries=true".to_string()),
        "{d}"
    );
    runner_copy(
        &api,
        &unb64(
            &api.get("secrets", NS, "registry-auth-secret").unwrap()["data"][".dockerconfigjson"],
        ),
    );

    let a = bin()
        .arg("status")
        .args(base_args(&api))
        .args(["-o", "json"])
        .assert()
        .success();
    let s: Value = serde_json::from_str(&out(&a).0).unwrap();
    assert_eq!(s["container"], "server", "{s}");
    assert_eq!(s["privateRegistries"], true, "{s}");
    assert_eq!(
        s["authSecret"]["registries"],
        json!(["registry.example.com:5000"])
    );
    assert_eq!(s["fnCopy"]["matches"], true, "{s}");

    let a = bin()
        .arg("check")
        .args(base_args(&api))
        .args(["-o", "json"])
        .assert()
        .success();
    let report: Value = serde_json::from_str(&out(&a).0).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["severity"] != "error"),
        "{report}"
    );
    // The lint read the runner's flags: the auth Secret it mounts was found and read.
    assert!(
        !findings.iter().any(|f| f["rule"]
            .as_str()
            .unwrap_or_default()
            .contains("private-registries-off")),
        "{report}"
    );

    let a = bin()
        .args(["explain", "registry.example.com:5000/fn/set-labels:v1"])
        .args(base_args(&api))
        .args(["-o", "json"])
        .assert()
        .success();
    let e: Value = serde_json::from_str(&out(&a).0).unwrap();
    let img = &e["images"][0];
    assert_eq!(img["entry"], "registry.example.com:5000", "{e}");
    assert_eq!(img["username"], "robot", "{e}");
    assert!(img["credential"].is_string(), "{e}");
    no_password(&api, &[&e.to_string()]);

    // Another manager that applied the renamed container's command is named by its own
    // key (`containers[name="server"]`), as the API server keys it.
    let mut owned = deployment(&api);
    owned["metadata"] = json!({"name": "function-runner", "namespace": NS});
    owned.as_object_mut().unwrap().remove("status");
    api.apply_as("argocd-controller", owned);
    let a = bin()
        .arg("status")
        .args(base_args(&api))
        .args(["-o", "json"])
        .assert()
        .success();
    let s: Value = serde_json::from_str(&out(&a).0).unwrap();
    assert!(
        s["managedElsewhere"]
            .to_string()
            .contains(r#"containers[name=\"server\"].command"#),
        "{s}"
    );
}

#[test]
fn two_containers_and_none_the_runner_is_one_error_line() {
    let api = porch_cluster();
    set_containers(&api, |cs| {
        cs[0]["name"] = json!("server");
        cs.push(json!({"name": "sidecar", "image": "busybox"}));
    });
    for cmd in [
        &["status"][..],
        &["check"],
        &["explain", "fn:v1"],
        &["setup"],
    ] {
        let mut c = bin();
        c.args(cmd).args(base_args(&api)).env_remove("KUBECONFIG");
        if cmd[0] == "setup" {
            c.args(["--registry", "r.example.com", "--username", "u"])
                .env("PORCH_REGISTRY_PASSWORD", PASSWORD);
        }
        let o = c.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(4), "{cmd:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{cmd:?}: {err}");
        assert!(
            err.starts_with("error: ")
                && err.contains("2 candidate containers (server, sidecar)")
                && err.contains("--container"),
            "{cmd:?}: {err}"
        );
    }
    assert!(api.writes().is_empty(), "{:?}", api.writes());
}
