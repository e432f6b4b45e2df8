//! `check --pull-test`, the pure part: the short-lived pod that pulls a function image on one
//! node exactly as the runner's function pod would, which nodes get one, what a pod's status
//! and events say about the pull, and the finding for each image x node. No I/O.
//!
//! Read from Porch main (`74d82d5`) `func/internal/podmanager.go`: the function pod lives in
//! `--pod-namespace`, its container `function` has the resolved image, and
//! `appendImagePullSecret` adds `--registry-auth-secret-name` to `imagePullSecrets` only when
//! private registries are on and the image does not start with `gcr.io/kpt-fn/` (the model's
//! [`Keychain::AuthFile`](crate::runner::model::Keychain)). Every other field of the function
//! pod is the base pod template's (`CreatePod` copies `template.spec` whole): its
//! `nodeSelector`, `affinity` and `tolerations` decide where the scheduler places function
//! pods ([`placement`]: the nodes it never uses get no test pod), its `serviceAccountName`
//! (else `default`) the service account, whose `imagePullSecrets` the ServiceAccount admission
//! plugin copies into a pod only when the pod names none ([`admitted_pull_secrets`]).
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
    /// A node the base pod template keeps function pods off (nodeSelector, affinity, taints).
    pub const NODE_EXCLUDED: &str = "pull-test-node-excluded";
    /// The function pods' service account does not exist: the API server refuses them.
    pub const NO_SERVICE_ACCOUNT: &str = "pull-test-no-service-account";
    /// The service account's imagePullSecrets, which pods naming their own never get.
    pub const SERVICE_ACCOUNT_SECRETS: &str = "pull-test-service-account-secrets";
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
/// inline template when missing) that change where and how the image is pulled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    /// `template.spec.imagePullSecrets` (the runner appends its copy when not among them).
    pub pull_secrets: Vec<String>,
    /// `template.spec.serviceAccountName` (its `imagePullSecrets` are added by the API server).
    pub service_account: Option<String>,
    /// `template.spec.nodeSelector`.
    pub node_selector: Vec<(String, String)>,
    /// `template.spec.affinity.nodeAffinity` as written (the test pod keeps it, as the
    /// function pod does).
    pub node_affinity: Option<Value>,
    /// `template.spec.tolerations` as written.
    pub tolerations: Vec<Value>,
}

impl Template {
    /// The service account function pods run as: the template's, else `default` (the
    /// ServiceAccount admission plugin's default).
    pub fn service_account_name(&self) -> &str {
        self.service_account.as_deref().unwrap_or("default")
    }
}

/// The PodTemplate `base-pod-template` as the runner uses it.
pub fn template(pod_template: &Value) -> Template {
    let spec = pod_template.pointer("/template/spec");
    let field = |k: &str| spec.and_then(|s| s.get(k));
    Template {
        pull_secrets: field("imagePullSecrets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s["name"].as_str())
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect(),
        service_account: field("serviceAccountName")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map(String::from),
        node_selector: field("nodeSelector")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        node_affinity: field("affinity")
            .and_then(|a| a.get("nodeAffinity"))
            .filter(|a| !a.is_null())
            .cloned(),
        tolerations: field("tolerations")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    }
}

/// One `NodeSelectorRequirement` against a node's labels (or fields): the scheduler's
/// operators (`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt` with one integer).
fn requirement_matches(req: &Value, value_of: &dyn Fn(&str) -> Option<String>) -> bool {
    let key = req["key"].as_str().unwrap_or_default();
    let values: Vec<&str> = req["values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let v = value_of(key);
    let int = |s: &str| s.parse::<i64>().ok();
    match req["operator"].as_str().unwrap_or_default() {
        "In" => v.is_some_and(|v| values.contains(&v.as_str())),
        "NotIn" => !v.is_some_and(|v| values.contains(&v.as_str())),
        "Exists" => v.is_some(),
        "DoesNotExist" => v.is_none(),
        op @ ("Gt" | "Lt") => match (values.as_slice(), v.as_deref().and_then(int)) {
            ([bound], Some(n)) => {
                int(bound).is_some_and(|b| if op == "Gt" { n > b } else { n < b })
            }
            _ => false,
        },
        _ => false,
    }
}

/// `requiredDuringSchedulingIgnoredDuringExecution`: the terms are ORed; in a term every
/// `matchExpressions` (labels) and `matchFields` (only `metadata.name`) requirement must
/// hold; an empty term matches no node.
fn required_affinity_matches(affinity: &Value, node: &Value) -> bool {
    let Some(required) = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") else {
        return true;
    };
    let labels = node.pointer("/metadata/labels").and_then(Value::as_object);
    let label = |k: &str| -> Option<String> {
        labels
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
            .map(String::from)
    };
    let field = |k: &str| -> Option<String> {
        (k == "metadata.name")
            .then(|| node.pointer("/metadata/name").and_then(Value::as_str))
            .flatten()
            .map(String::from)
    };
    required["nodeSelectorTerms"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|term| {
            let list = |k: &str| term[k].as_array().cloned().unwrap_or_default();
            let (exprs, fields) = (list("matchExpressions"), list("matchFields"));
            (!exprs.is_empty() || !fields.is_empty())
                && exprs.iter().all(|r| requirement_matches(r, &label))
                && fields.iter().all(|r| requirement_matches(r, &field))
        })
}

/// Whether a toleration tolerates a taint (`Toleration.ToleratesTaint`): the effect (empty:
/// all), the key (empty: all), then `Exists`, or `Equal` (the default) with the same value.
pub fn tolerates(toleration: &Value, taint: &Value) -> bool {
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let effect = s(toleration, "effect");
    if !effect.is_empty() && effect != s(taint, "effect") {
        return false;
    }
    let key = s(toleration, "key");
    if !key.is_empty() && key != s(taint, "key") {
        return false;
    }
    match s(toleration, "operator").as_str() {
        "" | "Equal" => s(toleration, "value") == s(taint, "value"),
        "Exists" => true,
        _ => false,
    }
}

/// Why the scheduler never places a function pod from `template` on `node`: its
/// `nodeSelector`, its required node affinity, or a `NoSchedule`/`NoExecute` taint none of
/// its tolerations tolerates. `None`: function pods may go there.
pub fn placement(node: &Value, template: &Template) -> Option<String> {
    let label = |k: &str| {
        node.pointer("/metadata/labels")
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
    };
    let unmatched: Vec<String> = template
        .node_selector
        .iter()
        .filter(|(k, v)| label(k) != Some(v.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !unmatched.is_empty() {
        return Some(format!(
            "the base pod template's nodeSelector {} does not match its labels",
            unmatched.join(",")
        ));
    }
    if let Some(a) = &template.node_affinity
        && !required_affinity_matches(a, node)
    {
        return Some(
            "the base pod template's required node affinity (requiredDuringSchedulingIgnoredDuringExecution) excludes it".into(),
        );
    }
    let taint = node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| matches!(t["effect"].as_str(), Some("NoSchedule" | "NoExecute")))
        .find(|t| !template.tolerations.iter().any(|tol| tolerates(tol, t)));
    taint.map(|t| {
        let value = t["value"].as_str().filter(|v| !v.is_empty());
        format!(
            "its taint {}{}:{} is not tolerated by the base pod template",
            t["key"].as_str().unwrap_or_default(),
            value.map(|v| format!("={v}")).unwrap_or_default(),
            t["effect"].as_str().unwrap_or_default()
        )
    })
}

/// The `imagePullSecrets` the runner puts on the function pod for `image`
/// (`appendImagePullSecret`): the template's, then its copy unless already among them.
pub fn pod_pull_secrets(template: &Template, image: &TestImage) -> Vec<String> {
    let mut secrets = template.pull_secrets.clone();
    if let Some(s) = &image.pull_secret
        && !secrets.contains(s)
    {
        secrets.push(s.clone());
    }
    secrets
}

/// The `imagePullSecrets` the kubelet pulls with once the ServiceAccount admission plugin
/// has run: a pod that names any keeps exactly its own; a pod that names none gets its
/// service account's (`if len(pod.Spec.ImagePullSecrets) == 0 { copy(...) }`): they are
/// never merged.
pub fn admitted_pull_secrets(pod_secrets: &[String], service_account: &[String]) -> Vec<String> {
    if pod_secrets.is_empty() {
        service_account.to_vec()
    } else {
        pod_secrets.to_vec()
    }
}

/// The function pods' service account as the API server finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceAccount {
    /// It exists, with these `imagePullSecrets`.
    Found(Vec<String>),
    /// It does not exist: the API server refuses every pod that runs as it.
    Missing,
    /// It could not be read (why).
    Unknown(String),
}

impl ServiceAccount {
    /// From a ServiceAccount object.
    pub fn of(sa: &Value) -> ServiceAccount {
        ServiceAccount::Found(
            sa["imagePullSecrets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["name"].as_str())
                .filter(|n| !n.is_empty())
                .map(String::from)
                .collect(),
        )
    }
    fn secrets(&self) -> Option<&[String]> {
        match self {
            ServiceAccount::Found(s) => Some(s),
            _ => None,
        }
    }
}

/// What the service account means for the test: a missing one (every pod refused: an error,
/// no pod is created), one that cannot be read, or `imagePullSecrets` that the images whose
/// pods name their own never get.
pub fn service_account_findings(
    namespace: &str,
    template: &Template,
    sa: &ServiceAccount,
    images: &[TestImage],
) -> Vec<Finding> {
    let name = template.service_account_name();
    let whose = if template.service_account.is_some() {
        "the base pod template's serviceAccountName"
    } else {
        "the namespace's default: the base pod template names none"
    };
    let finding = |severity, rule, message: String, fix: String| Finding {
        severity,
        rule,
        object: format!("ServiceAccount/{namespace}/{name}"),
        message,
        fix,
        object_index: None,
        field: None,
    };
    match sa {
        ServiceAccount::Missing => vec![finding(
            Severity::Error,
            rules::NO_SERVICE_ACCOUNT,
            format!(
                "service account {namespace}/{name} ({whose}) does not exist: the API server refuses every function pod (\"service account {namespace}/{name} was not found, retry after the service account is created\"); no pull-test pod was created"
            ),
            format!(
                "create it (`kubectl -n {namespace} create serviceaccount {name}`) or name an existing one in the PodTemplate {BASE_POD_TEMPLATE} of \"{namespace}\""
            ),
        )],
        ServiceAccount::Unknown(why) => vec![finding(
            Severity::Info,
            rules::SERVICE_ACCOUNT_SECRETS,
            format!(
                "service account {namespace}/{name} ({whose}) could not be read ({why}): its imagePullSecrets, which the API server adds to pods naming none, are not shown"
            ),
            format!("grant get on serviceaccounts in \"{namespace}\" to see them"),
        )],
        ServiceAccount::Found(secrets) if !secrets.is_empty() => {
            let own: Vec<&str> = images
                .iter()
                .filter(|i| !pod_pull_secrets(template, i).is_empty())
                .map(|i| i.resolved.as_str())
                .collect();
            if own.is_empty() {
                return vec![];
            }
            vec![finding(
                Severity::Info,
                rules::SERVICE_ACCOUNT_SECRETS,
                format!("service account {namespace}/{name} lists imagePullSecrets {}, which the API server adds only to pods that name none: the function pods of {} name their own, so they never pull with those", secrets.join(", "), own.join(", ")),
                "put the credentials in the runner's auth Secret (`kubectl porch-registry setup`), or add those Secrets to the base pod template's imagePullSecrets".into(),
            )]
        }
        ServiceAccount::Found(_) => vec![],
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
/// secret, in the function namespace, with the template's service account, nodeSelector,
/// node affinity and tolerations; `imagePullPolicy: Always` (a cached image proves nothing),
/// `restartPolicy: Never`, pinned to a node the template lets it run on ([`choose_nodes`]),
/// and a command that exits at once (`true`; an image without it fails to start, which is
/// after the pull).
pub fn pod(p: &PodInput<'_>) -> Value {
    let mut spec = json!({
        "nodeName": p.node,
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 0,
        "activeDeadlineSeconds": p.deadline_seconds.max(1),
        "automountServiceAccountToken": false,
        "enableServiceLinks": false,
        "containers": [{
            "name": FUNCTION_CONTAINER,
            "image": p.image.resolved,
            "imagePullPolicy": "Always",
            "command": ["true"],
        }],
    });
    // Where the function pod may run, as the template says it (the kubelet checks the
    // nodeSelector, the required node affinity and NoExecute taints of a pinned pod too).
    if !p.template.tolerations.is_empty() {
        spec["tolerations"] = json!(p.template.tolerations);
    }
    if !p.template.node_selector.is_empty() {
        let m: serde_json::Map<String, Value> = p
            .template
            .node_selector
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        spec["nodeSelector"] = Value::Object(m);
    }
    if let Some(a) = &p.template.node_affinity {
        spec["affinity"] = json!({ "nodeAffinity": a });
    }
    // podmanager.go appendImagePullSecret: the template's, then the copy unless already there;
    // none named: the API server adds the service account's.
    let secrets = pod_pull_secrets(p.template, p.image);
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
    /// Nodes that get no pod, with why: NotReady or cordoned.
    pub skipped: Vec<(String, String)>,
    /// Nodes the base pod template keeps function pods off ([`placement`]), with why.
    pub excluded: Vec<(String, String)>,
}

/// Ready (condition `Ready` is `True`) and schedulable (not cordoned) nodes where the
/// template lets the scheduler place function pods ([`placement`]) get a pod, the first
/// `limit` of them by name; the others are named with the reason.
pub fn choose_nodes(nodes: &[Value], template: &Template, limit: Option<usize>) -> NodeChoice {
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
        if let Some(why) = placement(n, template) {
            out.excluded.push((name, why));
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
    /// The runner's base pod template.
    pub template: &'a Template,
    /// The function pods' service account as read.
    pub service_account: &'a ServiceAccount,
}

/// With which pull secrets the kubelet pulls `image` (for the findings).
fn credentials_text(image: &TestImage, ctx: &FindingContext<'_>) -> String {
    let own = pod_pull_secrets(ctx.template, image);
    let sa = format!("{}/{}", ctx.namespace, ctx.template.service_account_name());
    if own.is_empty() {
        return match ctx.service_account.secrets() {
            Some(s) if !s.is_empty() => format!(
                "without the runner's pull secret (it adds none for this image) but with service account {sa}'s imagePullSecrets {} (the API server adds them to a pod that names none)",
                admitted_pull_secrets(&own, s).join(", ")
            ),
            Some(_) => format!(
                "without any pull secret (the runner adds none for this image; service account {sa} lists none)"
            ),
            None => format!(
                "without the runner's pull secret (it adds none for this image; service account {sa}'s imagePullSecrets, if any, are added by the API server)"
            ),
        };
    }
    let mut creds = match &image.pull_secret {
        Some(s) => format!("with the runner's pull secret {}/{s}", ctx.namespace),
        None => "without the runner's pull secret (it adds none for this image)".to_string(),
    };
    let extra: Vec<&str> = own
        .iter()
        .filter(|s| image.pull_secret.as_ref() != Some(*s))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        creds.push_str(&format!(
            " and the base pod template's {}",
            extra.join(", ")
        ));
    }
    creds
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
    let creds = credentials_text(image, ctx);
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
                        Some(_) if ctx.template.pull_secrets.is_empty() => format!(
                            "{registry} refused the credentials: check the auth Secret's entry for {registry} with `kubectl porch-registry explain {}` and fix it with `kubectl porch-registry setup` (it updates the runner's copy too)",
                            image.image
                        ),
                        Some(_) => format!(
                            "{registry} refused the credentials of the pod's imagePullSecrets (the kubelet tries each): check the auth Secret's entry for {registry} with `kubectl porch-registry explain {}` and fix it with `kubectl porch-registry setup`, and the base pod template's Secrets",
                            image.image
                        ),
                        None => format!(
                            "the runner adds no pull secret for this image: configure the runner for {registry} with `kubectl porch-registry setup`"
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
        // The inline template tolerates nothing: nor does the test pod.
        assert!(p["spec"].get("tolerations").is_none());
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
        let none = Template::default();
        let all = choose_nodes(&nodes, &none, None);
        assert_eq!(all.tested, ["a", "c"]);
        let skipped: Vec<&str> = all.skipped.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(skipped, ["b", "d", "e"]);
        assert!(all.skipped[0].1.contains("NotReady (KubeletNotReady)"));
        assert!(all.skipped[1].1.contains("cordoned"));
        assert_eq!(choose_nodes(&nodes, &none, Some(1)).tested, ["a"]);
    }

    /// A node as the API server returns it: labels (with `kubernetes.io/hostname`), taints.
    fn labelled(name: &str, labels: Value, taints: Value) -> Value {
        let mut l = labels;
        l["kubernetes.io/hostname"] = json!(name);
        json!({"metadata": {"name": name, "labels": l}, "spec": {"taints": taints},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    }

    #[test]
    fn the_base_pod_template_decides_where_function_pods_run() {
        let nodes = vec![
            labelled(
                "cp",
                json!({"node-role.kubernetes.io/control-plane": ""}),
                json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
            ),
            labelled(
                "gpu",
                json!({"disk": "ssd", "gpu": "4"}),
                json!([{"key": "gpu", "value": "true", "effect": "NoExecute"}]),
            ),
            labelled("w1", json!({"disk": "ssd", "zone": "a"}), json!([])),
            labelled("w2", json!({"disk": "hdd", "zone": "b"}), json!([])),
            labelled(
                "w3",
                json!({"disk": "ssd", "zone": "c"}),
                json!([{"key": "soft", "effect": "PreferNoSchedule"}]),
            ),
        ];
        let choose = |spec: Value| {
            let c = choose_nodes(
                &nodes,
                &template(&json!({"template": {"spec": spec}})),
                None,
            );
            (c.tested, c.excluded)
        };
        // The runner's inline template: no tolerations, so tainted nodes get no function pod
        // (PreferNoSchedule is no exclusion).
        let (tested, excluded) = choose(json!({}));
        assert_eq!(tested, ["w1", "w2", "w3"]);
        assert_eq!(
            excluded,
            [
                ("cp".to_string(), "its taint node-role.kubernetes.io/control-plane:NoSchedule is not tolerated by the base pod template".to_string()),
                ("gpu".to_string(), "its taint gpu=true:NoExecute is not tolerated by the base pod template".to_string()),
            ]
        );
        // nodeSelector: every pair must match.
        let (tested, excluded) = choose(json!({"nodeSelector": {"disk": "ssd"}}));
        assert_eq!(tested, ["w1", "w3"]);
        assert!(excluded.iter().any(|(n, why)| n == "w2"
            && why == "the base pod template's nodeSelector disk=ssd does not match its labels"));
        // Tolerations: Exists on a key, Equal with the value, an empty key with Exists.
        let (tested, _) =
            choose(json!({"tolerations": [{"key": "gpu", "operator": "Equal", "value": "true"}]}));
        assert_eq!(tested, ["gpu", "w1", "w2", "w3"]);
        let (tested, _) = choose(json!({"tolerations": [{"key": "gpu", "value": "false"}]}));
        assert_eq!(tested, ["w1", "w2", "w3"]);
        let (tested, _) =
            choose(json!({"tolerations": [{"operator": "Exists", "effect": "NoSchedule"}]}));
        assert_eq!(tested, ["cp", "w1", "w2", "w3"]);
        let (tested, _) = choose(json!({"tolerations": [{"operator": "Exists"}]}));
        assert_eq!(tested, ["cp", "gpu", "w1", "w2", "w3"]);
        // Required node affinity: terms ORed, requirements ANDed, all operators.
        let affinity = |terms: Value| {
            json!({"tolerations": [{"operator": "Exists"}], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms},
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z"]}]}}]}}})
        };
        let (tested, excluded) = choose(affinity(json!([
            {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}, {"key": "zone", "operator": "NotIn", "values": ["c"]}]},
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["w2"]}]}])));
        assert_eq!(tested, ["gpu", "w1", "w2"]);
        assert!(
            excluded
                .iter()
                .all(|(_, why)| why.contains("required node affinity"))
        );
        let (tested, _) = choose(affinity(
            json!([{"matchExpressions": [{"key": "gpu", "operator": "Gt", "values": ["2"]}]}]),
        ));
        assert_eq!(tested, ["gpu"]);
        let (tested, _) = choose(affinity(
            json!([{"matchExpressions": [{"key": "gpu", "operator": "Lt", "values": ["2"]}]}]),
        ));
        assert!(tested.is_empty());
        let (tested, _) = choose(affinity(
            json!([{"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}]),
        ));
        assert_eq!(tested, ["cp", "gpu"]);
        let (tested, _) = choose(affinity(
            json!([{"matchExpressions": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}]}]),
        ));
        assert_eq!(tested, ["cp"]);
        // An empty term matches no node; preferred terms alone narrow nothing.
        let (tested, _) = choose(affinity(json!([{}])));
        assert!(tested.is_empty());
        let (tested, _) = choose(
            json!({"tolerations": [{"operator": "Exists"}], "affinity": {"nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z"]}]}}]}}}),
        );
        assert_eq!(tested.len(), 5);
    }

    #[test]
    fn the_test_pod_keeps_the_templates_placement_and_service_account() {
        let base = template(&json!({"template": {"spec": {
            "serviceAccountName": "fn-sa",
            "nodeSelector": {"disk": "ssd"},
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "Exists"}]}]}},
                         "podAntiAffinity": {"x": 1}},
            "tolerations": [{"key": "gpu", "operator": "Exists"}]}}}));
        let i = img(None);
        let p = pod(&PodInput {
            template: &base,
            name: "n",
            namespace: "porch-fn-system",
            run_id: "r1",
            image: &i,
            node: "w1",
            deadline_seconds: 60,
        });
        let spec = &p["spec"];
        assert_eq!(spec["nodeSelector"], json!({"disk": "ssd"}));
        assert_eq!(
            spec["tolerations"],
            json!([{"key": "gpu", "operator": "Exists"}])
        );
        assert_eq!(
            spec["affinity"],
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "Exists"}]}]}}})
        );
        assert_eq!(spec["serviceAccountName"], "fn-sa");
        // No pull secret named: the API server adds the service account's.
        assert!(spec.get("imagePullSecrets").is_none());
    }

    #[test]
    fn service_account_pull_secrets_only_for_pods_that_name_none() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            admitted_pull_secrets(&[], &s(&["sa-1", "sa-2"])),
            s(&["sa-1", "sa-2"])
        );
        assert_eq!(
            admitted_pull_secrets(&s(&["auth-secret"]), &s(&["sa-1"])),
            s(&["auth-secret"])
        );
        assert!(admitted_pull_secrets(&[], &[]).is_empty());
        let base = Template::default();
        assert_eq!(base.service_account_name(), "default");
        let sa = ServiceAccount::of(&json!({"imagePullSecrets": [{"name": "hub"}, {"name": ""}]}));
        assert_eq!(sa, ServiceAccount::Found(s(&["hub"])));
        // The pods of private images name the runner's copy: the account's are unused.
        let f = service_account_findings("fns", &base, &sa, &[img(Some("auth-secret")), img(None)]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].severity, f[0].rule),
            (Severity::Info, rules::SERVICE_ACCOUNT_SECRETS)
        );
        assert_eq!(f[0].object, "ServiceAccount/fns/default");
        assert!(
            f[0].message.contains("lists imagePullSecrets hub"),
            "{f:#?}"
        );
        assert!(service_account_findings("fns", &base, &sa, &[img(None)]).is_empty());
        // Missing: every pod is refused.
        let f = service_account_findings("fns", &base, &ServiceAccount::Missing, &[img(None)]);
        assert_eq!(
            (f[0].severity, f[0].rule),
            (Severity::Error, rules::NO_SERVICE_ACCOUNT)
        );
        assert!(f[0].message.contains(
            "service account fns/default was not found, retry after the service account is created"
        ));
        // The finding says which secrets the pull used.
        let ctx = FindingContext {
            namespace: "fns",
            registry: Some("ghcr.io"),
            timeout: "5m",
            template: &base,
            service_account: &sa,
        };
        let pulled = Outcome::Pulled { how: "x".into() };
        let f = finding(&img(None), "w1", Some(&pulled), "", &ctx);
        assert!(
            f.message
                .contains("with service account fns/default's imagePullSecrets hub"),
            "{}",
            f.message
        );
        let f = finding(&img(Some("auth-secret")), "w1", Some(&pulled), "", &ctx);
        assert!(
            f.message
                .contains("with the runner's pull secret fns/auth-secret:"),
            "{}",
            f.message
        );
        let none = ServiceAccount::Found(vec![]);
        let f = finding(
            &img(None),
            "w1",
            Some(&pulled),
            "",
            &FindingContext {
                service_account: &none,
                ..ctx.clone()
            },
        );
        assert!(
            f.message.contains("without any pull secret"),
            "{}",
            f.message
        );
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
            template: &Template::default(),
            service_account: &ServiceAccount::Found(vec![]),
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
