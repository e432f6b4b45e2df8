//! Simulated kubelets: a pod created with `spec.nodeName` goes through what the node's kubelet
//! does with its image, with the outcome the test chose for (image, node): the container
//! status (`waiting` ContainerCreating, then `ErrImagePull` with the runtime's message, then
//! `ImagePullBackOff` whose message repeats no cause; or `terminated` after the pull) and the
//! kubelet's Events (`Pulling`, `Pulled`/`Failed`/`BackOff`, `Created`, `Started`), each step a
//! stored change with its own resourceVersion (so watches see MODIFIED events). Messages are
//! containerd's (1.7) phrasing. A pod on a node the test did not name waits forever.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::{FakeApi, State};

/// What pulling one image on one node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullOutcome {
    Pulled,
    /// ErrImagePull: the node's runtime does not trust the registry's CA.
    X509,
    /// ErrImagePull: 401 Unauthorized from the registry.
    Unauthorized,
    /// ErrImagePull: the tag is not in the repository.
    NotFound,
    /// The pull never finishes (stays `Pulling`).
    Never,
}

/// The outcomes the test chose: (image, node) -> outcome; node `*` means any node.
#[derive(Debug, Clone, Default)]
pub struct Kubelet {
    pub outcomes: Vec<(String, String, PullOutcome)>,
    /// Delay between the kubelet's steps.
    pub step: Option<Duration>,
    /// A ResourceQuota `pods` limit in every namespace (the API refuses a pod past it).
    pub pod_quota: Option<usize>,
    /// A failed pull shows only `ImagePullBackOff` (as a client that looks late sees it).
    pub backoff_only: bool,
    /// Pods the kubelets were given, as created (for tests).
    pub started: Vec<Value>,
    /// (image, Secret): the registry answers 401 to a pull of the image unless the pod's
    /// `imagePullSecrets` (as admitted) name that Secret; the kubelet pulls with those only.
    pub needs_secret: Vec<(String, String)>,
}

impl Kubelet {
    fn outcome(&self, image: &str, node: &str) -> PullOutcome {
        self.outcomes
            .iter()
            .rev()
            .find(|(i, n, _)| i == image && (n == node || n == "*"))
            .map(|(_, _, o)| *o)
            .unwrap_or(PullOutcome::Never)
    }
}

impl FakeApi {
    /// Pulling `image` (the full reference) on `node` (`*`: any) ends with `outcome`.
    pub fn pull_outcome(&self, image: &str, node: &str, outcome: PullOutcome) {
        self.state
            .lock()
            .unwrap()
            .kubelet
            .outcomes
            .push((image.into(), node.into(), outcome));
    }

    /// The registry of `image` answers 401 unless the pod's `imagePullSecrets` name `secret`.
    pub fn pull_needs_secret(&self, image: &str, secret: &str) {
        self.state
            .lock()
            .unwrap()
            .kubelet
            .needs_secret
            .push((image.into(), secret.into()));
    }

    /// The pods of a namespace as stored.
    pub fn pods(&self, namespace: &str) -> Vec<Value> {
        let st = self.state.lock().unwrap();
        st.objects
            .iter()
            .filter(|((r, ns, _), _)| *r == "pods" && ns == namespace)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every pod the kubelets were given, as created (deleted ones included).
    pub fn pods_started(&self) -> Vec<Value> {
        self.state.lock().unwrap().kubelet.started.clone()
    }
}

/// The ResourceQuota admission of a new pod: 403 Forbidden past `pod_quota`, as the
/// API server words it.
pub fn quota(
    st: &State,
    target: &super::store::Target,
    pod: &Value,
) -> Option<super::store::ApiError> {
    let limit = st.kubelet.pod_quota?;
    if target.rt.resource != "pods" {
        return None;
    }
    let used = st
        .objects
        .keys()
        .filter(|(r, ns, _)| *r == "pods" && *ns == target.namespace)
        .count();
    (used >= limit).then(|| super::store::ApiError {
        code: 403,
        reason: "Forbidden",
        message: format!(
            "pods \"{}\" is forbidden: exceeded quota: pods, requested: pods=1, used: pods={used}, limited: pods={limit}",
            pod["metadata"]["name"].as_str().unwrap_or_default()
        ),
        name: pod["metadata"]["name"].as_str().unwrap_or_default().to_string(),
        kind: "pods".into(),
        group: String::new(),
        causes: None,
    })
}

/// The ServiceAccount admission plugin on a new pod (`plugin/pkg/admission/serviceaccount`):
/// `serviceAccountName` defaults to `default`; a service account that does not exist refuses
/// the pod (403, the plugin's words); a pod that names no `imagePullSecrets` gets the
/// account's (never merged with its own). [`FakeApi::namespace`] makes the `default` account,
/// as the serviceaccounts controller does.
pub fn service_account_admission(
    st: &State,
    target: &super::store::Target,
    pod: &mut Value,
) -> Option<super::store::ApiError> {
    if target.rt.resource != "pods" {
        return None;
    }
    let name = pod
        .pointer("/spec/serviceAccountName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_string();
    pod["spec"]["serviceAccountName"] = json!(name);
    let sa = st
        .objects
        .get(&("serviceaccounts", target.namespace.clone(), name.clone()));
    let Some(sa) = sa else {
        let pod_name = pod["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        return Some(super::store::ApiError {
            code: 403,
            reason: "Forbidden",
            message: format!(
                "pods \"{pod_name}\" is forbidden: service account {}/{name} was not found, retry after the service account is created",
                target.namespace
            ),
            name: pod_name,
            kind: "pods".into(),
            group: String::new(),
            causes: None,
        });
    };
    let none = pod["spec"]["imagePullSecrets"]
        .as_array()
        .is_none_or(|a| a.is_empty());
    if none && let Some(secrets) = sa.get("imagePullSecrets").filter(|s| s.is_array()) {
        pod["spec"]["imagePullSecrets"] = secrets.clone();
    }
    None
}

/// A pod was created: if it names a node, that node's kubelet takes it.
pub fn admit(state: &Arc<Mutex<State>>, st: &mut State, pod: &Value) {
    let Some(node) = pod.pointer("/spec/nodeName").and_then(Value::as_str) else {
        return;
    };
    let ns = pod["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let image = pod
        .pointer("/spec/containers/0/image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let container = pod
        .pointer("/spec/containers/0/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    st.kubelet.started.push(pod.clone());
    let named: Vec<&str> = pod
        .pointer("/spec/imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    let refused = st
        .kubelet
        .needs_secret
        .iter()
        .any(|(i, s)| *i == image && !named.contains(&s.as_str()));
    let outcome = if refused {
        PullOutcome::Unauthorized
    } else {
        st.kubelet.outcome(&image, node)
    };
    let step = st.kubelet.step.unwrap_or(Duration::from_millis(40));
    let backoff_only = st.kubelet.backoff_only;
    let node = node.to_string();
    let state = state.clone();
    tokio::spawn(async move {
        let pod = Pod {
            state,
            ns,
            name,
            node,
            image,
            container,
        };
        tokio::time::sleep(step).await;
        if !pod.set_status("Pending", waiting("ContainerCreating", ""), "") {
            return;
        }
        pod.event(
            "Normal",
            "Pulling",
            &format!("Pulling image \"{}\"", pod.image),
        );
        if outcome == PullOutcome::Never {
            return;
        }
        tokio::time::sleep(step).await;
        let cause = match outcome {
            PullOutcome::Pulled | PullOutcome::Never => {
                pod.event(
                    "Normal",
                    "Pulled",
                    &format!("Successfully pulled image \"{}\" in 25ms (25ms including waiting). Image size: 1234567 bytes.", pod.image),
                );
                pod.event(
                    "Normal",
                    "Created",
                    &format!("Created container {}", pod.container),
                );
                pod.event(
                    "Normal",
                    "Started",
                    &format!("Started container {}", pod.container),
                );
                let terminated = json!({"terminated": {"exitCode": 0, "reason": "Completed",
                    "startedAt": "2026-11-23T10:00:01Z", "finishedAt": "2026-11-23T10:00:01Z"}});
                pod.set_status("Succeeded", terminated, "sha256:0123456789abcdef");
                return;
            }
            PullOutcome::X509 => format!(
                "failed to pull and unpack image \"{0}\": failed to resolve reference \"{0}\": failed to do request: Head \"https://{1}/v2/{2}/manifests/{3}\": tls: failed to verify certificate: x509: certificate signed by unknown authority",
                pod.image,
                registry(&pod.image),
                repository(&pod.image),
                tag(&pod.image)
            ),
            PullOutcome::Unauthorized => format!(
                "failed to pull and unpack image \"{0}\": failed to resolve reference \"{0}\": pulling from host {1} failed with status code [manifests {2}]: 401 Unauthorized",
                pod.image,
                registry(&pod.image),
                tag(&pod.image)
            ),
            PullOutcome::NotFound => format!(
                "failed to pull and unpack image \"{0}\": failed to resolve reference \"{0}\": {0}: not found",
                pod.image
            ),
        };
        let code = if outcome == PullOutcome::NotFound {
            "NotFound"
        } else {
            "Unknown"
        };
        let message = format!("rpc error: code = {code} desc = {cause}");
        pod.event(
            "Warning",
            "Failed",
            &format!("Failed to pull image \"{}\": {message}", pod.image),
        );
        pod.event("Warning", "Failed", "Error: ErrImagePull");
        if !backoff_only {
            if !pod.set_status("Pending", waiting("ErrImagePull", &message), "") {
                return;
            }
            tokio::time::sleep(step).await;
        }
        pod.event(
            "Normal",
            "BackOff",
            &format!("Back-off pulling image \"{}\"", pod.image),
        );
        pod.event("Warning", "Failed", "Error: ImagePullBackOff");
        pod.set_status(
            "Pending",
            waiting(
                "ImagePullBackOff",
                &format!("Back-off pulling image \"{}\"", pod.image),
            ),
            "",
        );
    });
}

fn waiting(reason: &str, message: &str) -> Value {
    let mut w = json!({"reason": reason});
    if !message.is_empty() {
        w["message"] = json!(message);
    }
    json!({"waiting": w})
}

fn registry(image: &str) -> &str {
    image.split('/').next().unwrap_or_default()
}

fn repository(image: &str) -> String {
    let rest = image.split_once('/').map(|(_, r)| r).unwrap_or(image);
    rest.rsplit_once(':')
        .map(|(r, _)| r)
        .unwrap_or(rest)
        .to_string()
}

fn tag(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.rsplit_once(':').map(|(_, t)| t).unwrap_or("latest")
}

struct Pod {
    state: Arc<Mutex<State>>,
    ns: String,
    name: String,
    node: String,
    image: String,
    container: String,
}

impl Pod {
    /// The kubelet's status update; `false` when the pod is gone.
    fn set_status(&self, phase: &str, state: Value, image_id: &str) -> bool {
        let mut st = self.state.lock().unwrap();
        let key = ("pods", self.ns.clone(), self.name.clone());
        if !st.objects.contains_key(&key) {
            return false;
        }
        let rv = st.next_rv();
        let pod = st.objects.get_mut(&key).expect("pod");
        pod["status"] = json!({
            "phase": phase,
            "hostIP": "10.0.0.2",
            "conditions": [{"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{
                "name": self.container,
                "image": self.image,
                "imageID": image_id,
                "ready": false,
                "restartCount": 0,
                "started": false,
                "state": state,
            }],
        });
        pod["metadata"]["resourceVersion"] = json!(rv);
        let pod = pod.clone();
        st.record("pods", &self.ns, "MODIFIED", &pod);
        true
    }

    /// A kubelet Event about the pod (`involvedObject`, `source.host`), as `core/v1` stores it.
    fn event(&self, type_: &str, reason: &str, message: &str) {
        let mut st = self.state.lock().unwrap();
        if !st.namespace_exists(&self.ns) {
            return;
        }
        let uid = st
            .objects
            .get(&("pods", self.ns.clone(), self.name.clone()))
            .and_then(|p| p["metadata"]["uid"].as_str().map(String::from))
            .unwrap_or_default();
        let n = st.changes.len();
        let rv = st.next_rv();
        let name = format!("{}.{n:x}", self.name);
        let ev = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": self.ns, "resourceVersion": rv,
                "creationTimestamp": "2026-11-23T10:00:01Z"},
            "involvedObject": {"kind": "Pod", "namespace": self.ns, "name": self.name, "uid": uid,
                "apiVersion": "v1", "fieldPath": format!("spec.containers{{{}}}", self.container)},
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": "kubelet", "host": self.node},
            "count": 1,
            "firstTimestamp": "2026-11-23T10:00:01Z",
            "lastTimestamp": "2026-11-23T10:00:01Z",
            "reportingComponent": "kubelet",
            "reportingInstance": self.node,
        });
        st.record("events", &self.ns, "ADDED", &ev);
        st.objects.insert(("events", self.ns.clone(), name), ev);
    }
}
