//! `check --pull-test`, the pure part: the short-lived pod that pulls a function image on one
//! node exactly as the runner's function pod would, which nodes get one, what a pod's status
//! and events say about the pull, and the finding for each image x node. No I/O.
//!
//! Read from Porch main (`74d82d5`) `func/internal/podmanager.go`: the function pod lives in
//! `--pod-namespace`, its container `function` has the resolved image, and
//! `appendImagePullSecret` adds `--registry-auth-secret-name` to `imagePullSecrets` only when
//! private registries are on and the image does not start with `gcr.io/kpt-fn/` (the model's
//! [`Keychain::AuthFile`](crate::runner::model::Keychain)); no service account is set (the
//! namespace's `default`, whose own `imagePullSecrets` the API server adds to both pods alike).
//! The kubelet pulls before it creates the container (`kuberuntime_container.go`
//! `startContainer`: `EnsureImageExists` first), so any later container error means pulled.

use serde_json::{Value, json};

use crate::runner::lint::{Finding, Severity};

/// The label that marks every pod of one run (value: the run id), for the cleanup.
pub const RUN_LABEL: &str = "porch-registry.kpt.dev/pull-test";
/// The runner's function container name (`functionContainerName`).
pub const FUNCTION_CONTAINER: &str = "function";
/// The runner's PodTemplate in the function namespace (`basePodTemplateName`).
pub const BASE_POD_TEMPLATE: &str = "base-pod-template";
/// Prefix of the pods' names.
pub const POD_PREFIX: &str = "porch-registry-pull-test";

/// Rule ids of the pull test's findings.
pub mod rules {
    pub const PULLED: &str = "pull-test-pulled";
    pub const X509: &str = "pull-test-x509";
    pub const UNAUTHORIZED: &str = "pull-test-unauthorized";
    pub const NOT_FOUND: &str = "pull-test-not-found";
    pub const TIMEOUT: &str = "pull-test-timeout";
    pub const FAILED: &str = "pull-test-failed";
    pub const NO_POD: &str = "pull-test-no-pod";
    pub const NODE_SKIPPED: &str = "pull-test-node-skipped";
    pub const NO_NODES: &str = "pull-test-no-nodes";
    pub const NO_PULL_SECRET: &str = "pull-test-no-pull-secret";
}

/// One image as the runner would run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestImage {
    /// As given (command line or Kptfile).
    pub image: String,
    /// The full reference the pod uses (after the default-prefix resolution).
    pub resolved: String,
    /// The runner's copy of the auth Secret, when the runner would add it to the pod.
    pub pull_secret: Option<String>,
}

/// The parts of the runner's base pod template (the PodTemplate `base-pod-template` in the
/// function namespace, which the runner reads before every function pod and creates from its
/// inline template when missing) that change how the image is pulled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    /// `template.spec.imagePullSecrets` (the runner appends its copy when not among them).
    pub pull_secrets: Vec<String>,
    /// `template.spec.serviceAccountName` (its `imagePullSecrets` are added by the API server).
    pub service_account: Option<String>,
}

/// The PodTemplate `base-pod-template` as the runner uses it.
pub fn template(pod_template: &Value) -> Template {
    let spec = pod_template.pointer("/template/spec");
    Template {
        pull_secrets: spec
            .and_then(|s| s["imagePullSecrets"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|s| s["name"].as_str())
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect(),
        service_account: spec
            .and_then(|s| s["serviceAccountName"].as_str())
            .filter(|n| !n.is_empty())
            .map(String::from),
    }
}

/// What one test pod looks like.
#[derive(Debug, Clone)]
pub struct PodInput<'a> {
    /// The runner's base pod template (default: its inline one).
    pub template: &'a Template,
    pub name: &'a str,
    pub namespace: &'a str,
    pub run_id: &'a str,
    pub image: &'a TestImage,
    pub node: &'a str,
    /// The pod stops itself after this long even if we are killed before deleting it.
    pub deadline_seconds: u64,
}

/// The name of the `index`th pod of a run.
pub fn pod_name(run_id: &str, index: usize) -> String {
    format!("{POD_PREFIX}-{run_id}-{index}")
}

/// The label selector of a run's pods.
pub fn selector(run_id: &str) -> String {
    format!("{RUN_LABEL}={run_id}")
}

/// The pod: the runner's function container with the resolved image and the runner's pull
/// secret, in the function namespace; `imagePullPolicy: Always` (a cached image proves
/// nothing), `restartPolicy: Never`, pinned to the node, tolerating every taint, and a command
/// that exits at once (`true`; an image without it fails to start, which is after the pull).
pub fn pod(p: &PodInput<'_>) -> Value {
    let mut spec = json!({
        "nodeName": p.node,
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 0,
        "activeDeadlineSeconds": p.deadline_seconds.max(1),
        "automountServiceAccountToken": false,
        "enableServiceLinks": false,
        "tolerations": [{"operator": "Exists"}],
        "containers": [{
            "name": FUNCTION_CONTAINER,
            "image": p.image.resolved,
            "imagePullPolicy": "Always",
            "command": ["true"],
        }],
    });
    // podmanager.go appendImagePullSecret: the template's, then the copy unless already there.
    let mut secrets = p.template.pull_secrets.clone();
    if let Some(s) = &p.image.pull_secret
        && !secrets.contains(s)
    {
        secrets.push(s.clone());
    }
    if !secrets.is_empty() {
        spec["imagePullSecrets"] = json!(
            secrets
                .iter()
                .map(|n| json!({"name": n}))
                .collect::<Vec<_>>()
        );
    }
    if let Some(sa) = &p.template.service_account {
        spec["serviceAccountName"] = json!(sa);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": p.name,
            "namespace": p.namespace,
            "labels": {
                RUN_LABEL: p.run_id,
                "app.kubernetes.io/managed-by": "kubectl-porch-registry",
            },
            "annotations": {
                "cluster-autoscaler.kubernetes.io/safe-to-evict": "true",
                "porch-registry.kpt.dev/image": p.image.resolved,
                "porch-registry.kpt.dev/node": p.node,
            },
        },
        "spec": spec,
    })
}

/// Which nodes get a pod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeChoice {
    /// Ready, schedulable nodes (by name; at most `--nodes`).
    pub tested: Vec<String>,
    /// Nodes that get no pod, with why.
    pub skipped: Vec<(String, String)>,
}

/// Ready (condition `Ready` is `True`) and schedulable (not cordoned) nodes get a pod, the
/// first `limit` of them by name; the others are named with the reason.
pub fn choose_nodes(nodes: &[Value], limit: Option<usize>) -> NodeChoice {
    let mut sorted: Vec<&Value> = nodes.iter().collect();
    sorted.sort_by_key(|n| n.pointer("/metadata/name").and_then(Value::as_str));
    let mut out = NodeChoice::default();
    for n in sorted {
        let name = n
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let ready = n
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|c| c["type"] == "Ready");
        match ready {
            Some(c) if c["status"] == "True" => {}
            Some(c) => {
                let reason = c["reason"].as_str().unwrap_or("Ready is not True");
                out.skipped.push((name, format!("NotReady ({reason})")));
                continue;
            }
            None => {
                out.skipped
                    .push((name, "NotReady (no Ready condition)".into()));
                continue;
            }
        }
        if n.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
            out.skipped.push((
                name,
                "unschedulable (cordoned): function pods are not placed there".into(),
            ));
            continue;
        }
        if limit.is_some_and(|l| out.tested.len() >= l) {
            continue;
        }
        out.tested.push(name);
    }
    out
}

/// Why a pull failed, from the kubelet's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullFailure {
    /// The node's runtime does not trust the registry's certificate.
    X509,
    /// 401/403: the registry refused the credentials (or their absence).
    Unauthorized,
    /// The repository, tag or digest is not there.
    NotFound,
    Other,
}

/// Classify a pull error message (containerd, CRI-O and Docker phrasings).
pub fn classify(message: &str) -> PullFailure {
    let m = message.to_ascii_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
    if any(&[
        "x509:",
        "certificate signed by unknown authority",
        "tls: failed to verify certificate",
        "certificate is not trusted",
    ]) {
        PullFailure::X509
    } else if any(&[
        "401 unauthorized",
        "status code 401",
        "unauthorized",
        "403 forbidden",
        "status code 403",
        "forbidden",
        "access denied",
        "access to the resource is denied",
        "pull access denied",
        "authentication required",
        "no basic auth credentials",
    ]) {
        PullFailure::Unauthorized
    } else if any(&[
        "not found",
        "manifest unknown",
        "name unknown",
        "does not exist",
        "404",
    ]) {
        PullFailure::NotFound
    } else {
        PullFailure::Other
    }
}

/// What the pod tells about the pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The image is on the node (`how`: what showed it).
    Pulled { how: String },
    /// The pull failed: the kubelet's reason and message.
    Failed {
        failure: PullFailure,
        reason: String,
        message: String,
    },
}

/// Waiting reasons that come after the pull (the image is there).
const AFTER_PULL: &[&str] = &[
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "PreCreateHookError",
    "PostStartHookError",
    "StartError",
];
/// Waiting reasons of a failed pull (kubelet `images.Err*`).
const PULL_ERRORS: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "ImageInspectError",
    "RegistryUnavailable",
    "SignatureValidationFailed",
];

/// The pull's outcome from the pod and its events; `None` while undecided.
pub fn observe(pod: &Value, events: &[Value]) -> Option<Outcome> {
    let statuses = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    let cs = statuses.and_then(|a| {
        a.iter()
            .find(|c| c["name"] == FUNCTION_CONTAINER)
            .or(a.first())
    });
    let mine: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e.pointer("/involvedObject/name") == pod.pointer("/metadata/name")
                && e.pointer("/involvedObject/kind").is_none_or(|k| k == "Pod")
        })
        .collect();
    if let Some(cs) = cs {
        let state = &cs["state"];
        if state.get("running").is_some() {
            return Some(Outcome::Pulled {
                how: "the container is running".into(),
            });
        }
        if let Some(t) = state.get("terminated") {
            return Some(Outcome::Pulled {
                how: format!(
                    "the container ran and exited ({})",
                    t["reason"].as_str().unwrap_or("terminated")
                ),
            });
        }
        if let Some(w) = state.get("waiting") {
            let reason = w["reason"].as_str().unwrap_or_default();
            if AFTER_PULL.contains(&reason) {
                return Some(Outcome::Pulled {
                    how: format!("the image is on the node; the container then failed ({reason})"),
                });
            }
            if PULL_ERRORS.contains(&reason) {
                let own = w["message"].as_str().unwrap_or_default();
                // A back-off repeats no cause (older kubelets): the event of the failed pull has it.
                let from_event = mine
                    .iter()
                    .rev()
                    .filter_map(|e| e["message"].as_str())
                    .find(|m| m.starts_with("Failed to pull image"));
                let message = match from_event {
                    Some(m) if classify(own) == PullFailure::Other => m.to_string(),
                    _ if own.is_empty() => from_event.unwrap_or_default().to_string(),
                    _ => own.to_string(),
                };
                return Some(Outcome::Failed {
                    failure: classify(&message),
                    reason: reason.to_string(),
                    message,
                });
            }
        }
        if cs["imageID"].as_str().is_some_and(|i| !i.is_empty()) {
            return Some(Outcome::Pulled {
                how: "the node reports the image's digest".into(),
            });
        }
    }
    if mine.iter().any(|e| e["reason"] == "Pulled") {
        return Some(Outcome::Pulled {
            how: "the kubelet reported it pulled".into(),
        });
    }
    // The kubelet refused the pod before any pull (admission: OutOfcpu, NodeAffinity, ...).
    if pod.pointer("/status/phase").and_then(Value::as_str) == Some("Failed") {
        let reason = pod
            .pointer("/status/reason")
            .and_then(Value::as_str)
            .unwrap_or("Failed");
        let message = pod
            .pointer("/status/message")
            .and_then(Value::as_str)
            .unwrap_or("the pod failed before its image was pulled");
        return Some(Outcome::Failed {
            failure: PullFailure::Other,
            reason: reason.to_string(),
            message: message.to_string(),
        });
    }
    None
}

/// Where the pod was when time ran out (for the timeout finding).
pub fn last_state(pod: Option<&Value>, events: &[Value]) -> String {
    let Some(pod) = pod else {
        return "the pod was not seen yet".into();
    };
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending");
    let waiting = pod
        .pointer("/status/containerStatuses/0/state/waiting/reason")
        .and_then(Value::as_str);
    let last_event = events
        .iter()
        .rev()
        .find(|e| e.pointer("/involvedObject/name") == pod.pointer("/metadata/name"))
        .and_then(|e| e["message"].as_str());
    let mut s = format!("still {phase}");
    if let Some(w) = waiting {
        s.push_str(&format!(" ({w})"));
    }
    if let Some(e) = last_event {
        s.push_str(&format!("; last event: {e}"));
    }
    s
}

/// What the finding's fix can name.
#[derive(Debug, Clone)]
pub struct FindingContext<'a> {
    /// The function namespace.
    pub namespace: &'a str,
    /// The registry of the image (`ghcr.io`), when it parses.
    pub registry: Option<&'a str>,
    /// `--timeout` as the user wrote it (for the timeout's fix).
    pub timeout: &'a str,
    /// The base pod template's `imagePullSecrets`.
    pub template_secrets: &'a [String],
}

/// The finding for one image on one node: `outcome` `None` means time ran out (`last` says
/// where the pod was).
pub fn finding(
    image: &TestImage,
    node: &str,
    outcome: Option<&Outcome>,
    last: &str,
    ctx: &FindingContext<'_>,
) -> Finding {
    let shown = if image.image == image.resolved {
        image.resolved.clone()
    } else {
        format!("{} (given as {})", image.resolved, image.image)
    };
    let mut creds = match &image.pull_secret {
        Some(s) => format!("with the runner's pull secret {}/{s}", ctx.namespace),
        None => "without the runner's pull secret (it adds none for this image)".to_string(),
    };
    let extra: Vec<&String> = ctx
        .template_secrets
        .iter()
        .filter(|s| image.pull_secret.as_ref() != Some(*s))
        .collect();
    if !extra.is_empty() {
        creds.push_str(&format!(
            " and the base pod template's {}",
            extra
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let registry = ctx.registry.unwrap_or("the registry");
    let (severity, rule, message, fix) = match outcome {
        Some(Outcome::Pulled { how }) => (
            Severity::Info,
            rules::PULLED,
            format!("{shown} pulled on node {node} {creds}: {how}"),
            "nothing to do".to_string(),
        ),
        Some(Outcome::Failed {
            failure,
            reason,
            message,
        }) => {
            let text =
                format!("{shown} cannot be pulled on node {node} {creds}: {reason}: {message}");
            match failure {
                PullFailure::X509 => (
                    Severity::Error,
                    rules::X509,
                    text,
                    format!(
                        "the node's container runtime does not trust the CA of {registry} (the kubelet pulls function images, not the runner): run `kubectl porch-registry node-trust` (or `--method kind|k3s|openshift`)"
                    ),
                ),
                PullFailure::Unauthorized => (
                    Severity::Error,
                    rules::UNAUTHORIZED,
                    text,
                    match &image.pull_secret {
                        Some(_) => format!(
                            "{registry} refused the credentials: check the auth Secret's entry for {registry} with `kubectl porch-registry explain {}` and fix it with `kubectl porch-registry setup` (it updates the runner's copy too)",
                            image.image
                        ),
                        None => format!(
                            "the pod pulled without credentials: configure the runner for {registry} with `kubectl porch-registry setup`"
                        ),
                    },
                ),
                PullFailure::NotFound => (
                    Severity::Error,
                    rules::NOT_FOUND,
                    text,
                    format!(
                        "{} is not in {registry}: check the name and tag (`kubectl porch-registry explain {}` shows how the runner resolves it)",
                        image.resolved, image.image
                    ),
                ),
                PullFailure::Other => (
                    Severity::Error,
                    rules::FAILED,
                    text,
                    format!(
                        "see the pod's events on node {node} (`kubectl -n {} get events`) and the registry",
                        ctx.namespace
                    ),
                ),
            }
        }
        None => (
            Severity::Error,
            rules::TIMEOUT,
            format!("{shown} was not pulled on node {node} within the timeout ({last})"),
            format!(
                "the pull did not finish in {}: a large image, a slow or unreachable registry, or a busy node; retry with a longer --timeout",
                ctx.timeout
            ),
        ),
    };
    Finding {
        severity,
        rule,
        object: format!("Node/{node}"),
        message,
        fix,
        object_index: None,
        field: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(secret: Option<&str>) -> TestImage {
        TestImage {
            image: "set-namespace:v0.4.1".into(),
            resolved: "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1".into(),
            pull_secret: secret.map(String::from),
        }
    }

    #[test]
    fn pod_is_the_runners_function_pod_pinned_and_pulling_always() {
        let i = img(Some("auth-secret"));
        let base = Template::default();
        let p = pod(&PodInput {
            template: &base,
            name: "n",
            namespace: "porch-fn-system",
            run_id: "r1",
            image: &i,
            node: "w1",
            deadline_seconds: 60,
        });
        assert_eq!(p["metadata"]["namespace"], "porch-fn-system");
        assert_eq!(p["metadata"]["labels"][RUN_LABEL], "r1");
        assert_eq!(p["spec"]["nodeName"], "w1");
        assert_eq!(p["spec"]["restartPolicy"], "Never");
        assert_eq!(
            p["spec"]["imagePullSecrets"],
            json!([{"name": "auth-secret"}])
        );
        assert_eq!(p["spec"]["tolerations"], json!([{"operator": "Exists"}]));
        let c = &p["spec"]["containers"][0];
        assert_eq!(c["name"], "function");
        assert_eq!(c["image"], i.resolved);
        assert_eq!(c["imagePullPolicy"], "Always");
        let anon = pod(&PodInput {
            image: &img(None),
            ..PodInput {
                template: &base,
                name: "n",
                namespace: "x",
                run_id: "r",
                image: &i,
                node: "w",
                deadline_seconds: 1,
            }
        });
        assert!(anon["spec"].get("imagePullSecrets").is_none());
        // A base pod template's secrets come first; the copy is not added twice.
        let base = template(&json!({"template": {"spec": {
            "serviceAccountName": "fn-sa",
            "imagePullSecrets": [{"name": "extra"}, {"name": "auth-secret"}]}}}));
        let t = pod(&PodInput {
            template: &base,
            image: &i,
            name: "n",
            namespace: "x",
            run_id: "r",
            node: "w",
            deadline_seconds: 1,
        });
        assert_eq!(
            t["spec"]["imagePullSecrets"],
            json!([{"name": "extra"}, {"name": "auth-secret"}])
        );
        assert_eq!(t["spec"]["serviceAccountName"], "fn-sa");
    }

    #[test]
    fn nodes_ready_schedulable_and_limited() {
        let node = |name: &str, ready: &str, cordoned: bool| {
            json!({"metadata": {"name": name}, "spec": {"unschedulable": cordoned},
                "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "KubeletNotReady"}]}})
        };
        let nodes = vec![
            node("c", "True", false),
            node("a", "True", false),
            node("b", "False", false),
            node("d", "True", true),
            json!({"metadata": {"name": "e"}}),
        ];
        let all = choose_nodes(&nodes, None);
        assert_eq!(all.tested, ["a", "c"]);
        let skipped: Vec<&str> = all.skipped.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(skipped, ["b", "d", "e"]);
        assert!(all.skipped[0].1.contains("NotReady (KubeletNotReady)"));
        assert!(all.skipped[1].1.contains("cordoned"));
        assert_eq!(choose_nodes(&nodes, Some(1)).tested, ["a"]);
    }

    #[test]
    fn messages_classified_as_runtimes_phrase_them() {
        use PullFailure::*;
        for (m, want) in [
            (
                "failed to pull and unpack image \"r:5000/fn:v1\": failed to resolve reference \"r:5000/fn:v1\": failed to do request: Head \"https://r:5000/v2/fn/manifests/v1\": tls: failed to verify certificate: x509: certificate signed by unknown authority",
                X509,
            ),
            (
                "failed to resolve reference \"r/fn:v1\": pulling from host r failed with status code [manifests v1]: 401 Unauthorized",
                Unauthorized,
            ),
            (
                "failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden",
                Unauthorized,
            ),
            (
                "Error response from daemon: pull access denied for fn, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
                Unauthorized,
            ),
            (
                "failed to resolve reference \"r/fn:v9\": r/fn:v9: not found",
                NotFound,
            ),
            ("reading manifest v9 in r/fn: manifest unknown", NotFound),
            ("dial tcp 10.0.0.1:443: i/o timeout", Other),
        ] {
            assert_eq!(classify(m), want, "{m}");
        }
    }

    #[test]
    fn observe_status_and_events() {
        let waiting = |reason: &str, msg: &str| {
            json!({"metadata": {"name": "p"}, "status": {"phase": "Pending", "containerStatuses": [
                {"name": "function", "imageID": "", "state": {"waiting": {"reason": reason, "message": msg}}}]}})
        };
        assert_eq!(observe(&waiting("ContainerCreating", ""), &[]), None);
        let backoff = waiting("ImagePullBackOff", "Back-off pulling image \"r/fn:v1\"");
        let ev = json!({"involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Failed",
            "message": "Failed to pull image \"r/fn:v1\": x509: certificate signed by unknown authority"});
        match observe(&backoff, &[ev]) {
            Some(Outcome::Failed {
                failure, message, ..
            }) => {
                assert_eq!(failure, PullFailure::X509);
                assert!(message.starts_with("Failed to pull image"));
            }
            o => panic!("{o:?}"),
        }
        let other_pod = json!({"involvedObject": {"kind": "Pod", "name": "q"}, "reason": "Pulled"});
        assert_eq!(
            observe(&waiting("ContainerCreating", ""), &[other_pod]),
            None
        );
        assert!(matches!(
            observe(
                &waiting("RunContainerError", "exec: \"true\": not found"),
                &[]
            ),
            Some(Outcome::Pulled { .. })
        ));
        let done = json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [
            {"name": "function", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}});
        assert!(matches!(observe(&done, &[]), Some(Outcome::Pulled { .. })));
    }

    #[test]
    fn findings_name_image_node_and_fix() {
        let ctx = FindingContext {
            namespace: "porch-fn-system",
            registry: Some("ghcr.io"),
            timeout: "5m",
            template_secrets: &[],
        };
        let f = finding(
            &img(Some("s")),
            "w1",
            Some(&Outcome::Failed {
                failure: PullFailure::X509,
                reason: "ErrImagePull".into(),
                message: "x509: nope".into(),
            }),
            "",
            &ctx,
        );
        assert_eq!((f.severity, f.rule), (Severity::Error, rules::X509));
        assert!(
            f.message
                .contains("ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1")
        );
        assert!(f.message.contains("node w1"));
        assert!(f.fix.contains("kubectl porch-registry node-trust"));
        let t = finding(&img(None), "w2", None, "still Pending", &ctx);
        assert_eq!((t.severity, t.rule), (Severity::Error, rules::TIMEOUT));
        let p = finding(
            &img(None),
            "w2",
            Some(&Outcome::Pulled { how: "x".into() }),
            "",
            &ctx,
        );
        assert_eq!((p.severity, p.rule), (Severity::Info, rules::PULLED));
    }
}
