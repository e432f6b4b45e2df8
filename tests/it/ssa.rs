//! GitOps-safe live writes (`--field-manager`, `--force-conflicts`) against the fake API,
//! whose managedFields and apply conflicts follow kube-apiserver (FieldsV1; a 409 `Conflict`
//! with `FieldManagerConflict` causes): a second field manager, as Argo CD or Flux, owning a
//! Secret's data or the runner's command; `status` and `check` naming it.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::cluster::porch_cluster;
use crate::fake_api::FakeApi;
use crate::support::bin;

const NS: &str = "porch-system";
const CMD_FIELD: &str = ".spec.template.spec.containers[name=\"function-runner\"].command";

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn ca_file() -> String {
    crate::support::fixture("core/snapshot-ca.crt")
        .display()
        .to_string()
}

/// Run the binary on the fake cluster; (exit code, stdout, stderr).
fn run(api: &FakeApi, args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .args(args)
        .arg("--kubeconfig")
        .arg(api.kubeconfig())
        .env("PORCH_REGISTRY_PASSWORD", "s3cr3t-Pa55word")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn setup_args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut a = vec![
        "setup",
        "--registry",
        "registry.example.com:5000",
        "-u",
        "robot",
        "--yes",
        "--wait=false",
    ];
    a.extend(extra);
    a
}

fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error:")).collect()
}

fn managers_of(obj: &Value) -> Vec<(String, String)> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["manager"].as_str().unwrap().to_string(),
                e["operation"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Argo CD applies the TLS Secret with another CA; setup with --ca-file would change it.
/// The auth Secret (absent, so no conflict) comes first in the write order, yet nothing is
/// written: every Secret's apply is first sent with dryRun=All, and the TLS Secret's
/// conflict stops the flow there.
#[test]
fn a_conflict_on_the_second_secret_changes_nothing_and_force_takes_it() {
    let api = porch_cluster();
    api.apply_as(
        "argocd-controller",
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "registry-tls-secret", "namespace": NS},
            "data": {"ca.crt": b64(b"-----BEGIN CERTIFICATE-----\nold\n-----END CERTIFICATE-----\n")}}),
    );
    let before = api.get("deployments", NS, "function-runner").unwrap();
    api.clear_requests();
    let ca = ca_file();
    let mut args = setup_args(&[]);
    args.push("--ca-file");
    let ca: &'static str = Box::leak(ca.into_boxed_str());
    args.push(ca);
    let (code, stdout, stderr) = run(&api, &args);
    assert_eq!(code, 10, "{stderr}");
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    let e = errors[0];
    assert!(
        e.contains("secret/registry-tls-secret in namespace \"porch-system\"")
            && e.contains("conflict with \"argocd-controller\": .data.ca.crt")
            && e.contains("hand it over to field manager \"kubectl-porch-registry\"")
            && e.contains("--force-conflicts")
            && e.ends_with("nothing was changed"),
        "{e}"
    );
    assert!(!stdout.contains("created"), "{stdout}");
    // Only dry runs reached the server; the cluster is as before.
    assert!(api.writes().is_empty(), "{:?}", api.writes());
    assert!(
        api.requests()
            .iter()
            .any(|r| r.dry_run && r.method == "PATCH")
    );
    assert!(api.get("secrets", NS, "registry-auth-secret").is_none());
    assert_eq!(
        api.get("deployments", NS, "function-runner").unwrap(),
        before
    );
    // No force unless asked.
    assert!(
        !api.requests()
            .iter()
            .any(|r| r.query.contains("force=true")),
        "{:?}",
        api.requests()
    );

    args.push("--force-conflicts");
    let (code, stdout, stderr) = run(&api, &args);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("secret/registry-tls-secret configured"),
        "{stdout}"
    );
    let tls = api.get("secrets", NS, "registry-tls-secret").unwrap();
    let fields = tls["metadata"]["managedFields"].as_array().unwrap();
    let ours = fields
        .iter()
        .find(|e| e["manager"] == "kubectl-porch-registry")
        .expect("our entry");
    assert_eq!(ours["operation"], "Apply");
    assert_eq!(ours["fieldsV1"]["f:data"]["f:ca.crt"], json!({}));
    // The forced apply took .data.ca.crt from Argo CD.
    assert!(
        fields
            .iter()
            .filter(|e| e["manager"] == "argocd-controller")
            .all(|e| e["fieldsV1"]["f:data"].get("f:ca.crt").is_none()),
        "{fields:?}"
    );
}

/// The runner Deployment as a GitOps repository holds it (what the server owns left out).
fn as_in_git(api: &FakeApi) -> Value {
    let mut d = api.get("deployments", NS, "function-runner").unwrap();
    d.as_object_mut().unwrap().remove("status");
    for k in [
        "resourceVersion",
        "uid",
        "creationTimestamp",
        "generation",
        "managedFields",
    ] {
        d["metadata"].as_object_mut().unwrap().remove(k);
    }
    d
}

/// Flux applies the runner Deployment, so it owns the runner's command: setup and remove
/// refuse to change it (the API server never refuses an update, but Flux would put its
/// command back on its next sync); status and check name Flux.
#[test]
fn a_flux_owned_runner_command_is_refused_named_by_status_and_check_and_forced() {
    let api = porch_cluster();
    api.apply_as("kustomize-controller", as_in_git(&api));
    let before = api.get("deployments", NS, "function-runner").unwrap();
    assert!(managers_of(&before).contains(&("kustomize-controller".into(), "Apply".into())));

    let (code, _, stderr) = run(&api, &["status", "-o", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let status: Value = serde_json::from_str(&run(&api, &["status", "-o", "json"]).1).unwrap();
    let owned = status["managedElsewhere"].as_array().unwrap();
    assert!(
        owned
            .iter()
            .any(|o| o["object"] == "deployment.apps/function-runner"
                && o["field"] == CMD_FIELD
                && o["manager"] == "kustomize-controller"
                && o["operation"] == "Apply"),
        "{owned:?}"
    );
    let (_, table, _) = run(&api, &["status"]);
    assert!(table.contains("managed by kustomize-controller"), "{table}");

    let (_, check, _) = run(&api, &["check", "-o", "json"]);
    let check: Value = serde_json::from_str(&check).unwrap();
    let list = check
        .as_array()
        .cloned()
        .unwrap_or_else(|| check["findings"].as_array().cloned().expect("findings"));
    let f = list
        .iter()
        .find(|f| f["rule"] == "managed-elsewhere")
        .unwrap_or_else(|| panic!("{check}"));
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("kustomize-controller")
    );

    api.clear_requests();
    let (code, _, stderr) = run(&api, &setup_args(&[]));
    assert_eq!(code, 10, "{stderr}");
    let e = error_lines(&stderr);
    assert_eq!(e.len(), 1, "{stderr}");
    assert!(
        e[0].contains("deployment.apps/function-runner in namespace \"porch-system\"")
            && e[0].contains(&format!(
                "conflict with \"kustomize-controller\": {CMD_FIELD}"
            ))
            && e[0].ends_with("nothing was changed"),
        "{}",
        e[0]
    );
    // Refused before any write: the auth Secret was not created either.
    assert!(api.writes().is_empty(), "{:?}", api.writes());
    assert!(api.get("secrets", NS, "registry-auth-secret").is_none());

    let (code, stdout, stderr) = run(&api, &setup_args(&["--force-conflicts"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("deployment.apps/function-runner configured"),
        "{stdout}"
    );
    // Our update took the command over: status no longer names Flux for it.
    let status: Value = serde_json::from_str(&run(&api, &["status", "-o", "json"]).1).unwrap();
    assert!(
        !status["managedElsewhere"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["field"] == CMD_FIELD),
        "{status}"
    );

    // Flux syncs its command back; remove would take flags out of Flux's fields: refused.
    api.apply_as("kustomize-controller", as_in_git(&api));
    api.clear_requests();
    let (code, _, stderr) = run(&api, &["remove", "--yes", "--wait=false"]);
    assert_eq!(code, 10, "{stderr}");
    assert!(stderr.contains(CMD_FIELD), "{stderr}");
    assert!(api.writes().is_empty(), "{:?}", api.writes());
}

#[test]
fn field_manager_names_the_writes_and_a_rerun_needs_no_force() {
    let api = porch_cluster();
    let (code, _, stderr) = run(&api, &setup_args(&["--field-manager", "ci-porch"]));
    assert_eq!(code, 0, "{stderr}");
    let auth = api.get("secrets", NS, "registry-auth-secret").unwrap();
    assert_eq!(managers_of(&auth), [("ci-porch".into(), "Apply".into())]);
    let d = api.get("deployments", NS, "function-runner").unwrap();
    assert!(managers_of(&d).contains(&("ci-porch".into(), "Update".into())));
    assert!(
        api.writes()
            .iter()
            .all(|r| r.query.contains("fieldManager=ci-porch") && !r.query.contains("force=true")),
        "{:?}",
        api.writes()
    );
    // A rotation by the same manager owns what it changes: no conflict, no force.
    let out = bin()
        .args(setup_args(&["--field-manager", "ci-porch"]))
        .arg("--kubeconfig")
        .arg(api.kubeconfig())
        .env("PORCH_REGISTRY_PASSWORD", "rotated-Pa55word")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("secret/registry-auth-secret configured")
    );
    // The same rotation under the default manager meets ci-porch's field.
    let (code, _, stderr) = run(&api, &setup_args(&[]));
    assert_eq!(code, 10, "{stderr}");
    assert!(
        stderr.contains("conflict with \"ci-porch\": .data..dockerconfigjson"),
        "{stderr}"
    );
}

#[test]
fn write_flags_are_checked_before_anything_is_read() {
    let api = FakeApi::start();
    for (args, needle) in [
        (vec!["setup", "--field-manager", ""], "--field-manager"),
        (vec!["remove", "--field-manager", "a\tb"], "U+0009"),
        (
            vec![
                "setup",
                "-f",
                "x.yaml",
                "--dry-run=client",
                "--force-conflicts",
            ],
            "--force-conflicts",
        ),
        (
            vec!["remove", "-f", "x.yaml", "--field-manager", "m"],
            "--field-manager",
        ),
    ] {
        let (code, _, stderr) = run(&api, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert_eq!(error_lines(&stderr).len(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    assert!(api.requests().is_empty(), "{:?}", api.requests());
}
