//! Node trust for a registry CA, per distribution: what each node's container runtime reads.
//! The kubelet pulls function images through the node's runtime, which never sees the
//! runner's TLS Secret; these builders give the exact configuration that makes it trust the
//! CA, and the steps to apply it.
//!
//! Pure: registries (host[:port]) and the CA in, documents and steps out.
//!
//! Formats (upstream documentation):
//! - kind (`kind.x-k8s.io/v1alpha4` `Cluster`): `containerdConfigPatches` are TOML fragments
//!   merged into each node's containerd config; `nodes[].extraMounts` bind host files into the
//!   node container. containerd reads `config_path` (CRI registry plugin) as the directory of
//!   per-host folders `HOST[:PORT]/`; without a `hosts.toml` there it loads the folder's
//!   `*.crt` files as CAs (the Docker-compatible layout).
//! - k3s (`/etc/rancher/k3s/registries.yaml`): `configs."HOST:PORT".tls.ca_file`, a path
//!   on the node, read when k3s starts (a restart applies it).
//! - OpenShift: a ConfigMap in `openshift-config` whose keys are the registry host with the
//!   port separated by `..` (`hostname[..port]`) and whose values are PEM; its name goes in
//!   `spec.additionalTrustedCA.name` of `image.config.openshift.io/cluster`.

use serde_json::{Value, json};

use crate::runner::dockerconfig::{DOCKER_HUB, KeyError, registry_key_from_input};

/// containerd's per-host directory (kind nodes; also what `config_path` should name).
pub const CONTAINERD_CERTS_D: &str = "/etc/containerd/certs.d";
/// Where k3s reads its registry configuration on every node.
pub const K3S_REGISTRIES_YAML: &str = "/etc/rancher/k3s/registries.yaml";
/// Where the k3s printer puts the CA on every node (one folder per registry).
pub const K3S_CA_DIR: &str = "/etc/rancher/k3s/certs.d";
/// The OpenShift namespace of cluster-wide configuration ConfigMaps.
pub const OPENSHIFT_CONFIG_NAMESPACE: &str = "openshift-config";

/// A registry as node runtimes name their per-registry trust: `host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeRegistry(String);

impl NodeRegistry {
    /// A registry the user typed (`--registry`) or an auth Secret key. Docker Hub is
    /// `docker.io` on the nodes (containerd's and Docker's folder name), not the runner's
    /// `index.docker.io`.
    pub fn parse(input: &str) -> Result<NodeRegistry, KeyError> {
        let key = registry_key_from_input(input)?.key;
        Ok(NodeRegistry(if key == DOCKER_HUB {
            "docker.io".to_string()
        } else {
            key
        }))
    }

    /// `host[:port]`: the folder name under every runtime's `certs.d`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// OpenShift's `additionalTrustedCA` key: `hostname[..port]`.
    pub fn openshift_key(&self) -> String {
        let split = match self.0.strip_prefix('[') {
            Some(_) => self.0.split_once("]:").map(|(h, p)| (format!("{h}]"), p)),
            None => self.0.rsplit_once(':').map(|(h, p)| (h.to_string(), p)),
        };
        match split {
            Some((host, port)) => format!("{host}..{port}"),
            None => self.0.clone(),
        }
    }
}

impl std::fmt::Display for NodeRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The registries, sorted and without duplicates (one entry per folder).
pub fn unique(mut registries: Vec<NodeRegistry>) -> Vec<NodeRegistry> {
    registries.sort();
    registries.dedup();
    registries
}

/// kind: a `Cluster` document whose node carries one read-only mount of the CA file per
/// registry at `/etc/containerd/certs.d/HOST[:PORT]/ca.crt`, and the containerd patch that
/// makes the CRI plugin read that directory. `ca_host_path` is the CA file on the machine
/// that runs kind (absolute).
pub fn kind_cluster(registries: &[NodeRegistry], ca_host_path: &str) -> Value {
    let mounts: Vec<Value> = registries
        .iter()
        .map(|r| {
            json!({
                "hostPath": ca_host_path,
                "containerPath": format!("{CONTAINERD_CERTS_D}/{r}/ca.crt"),
                "readOnly": true,
            })
        })
        .collect();
    json!({
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "containerdConfigPatches": [
            format!(
                "[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"{CONTAINERD_CERTS_D}\"\n"
            ),
        ],
        "nodes": [
            {
                "role": "control-plane",
                "extraMounts": mounts,
            },
        ],
    })
}

/// The k3s CA path on a node for one registry (absolute).
pub fn k3s_ca_path(registry: &NodeRegistry) -> String {
    format!("{K3S_CA_DIR}/{registry}/ca.crt")
}

/// k3s: the `registries.yaml` content, `configs."HOST:PORT".tls.ca_file` per registry.
pub fn k3s_registries(registries: &[NodeRegistry]) -> Value {
    let configs: serde_json::Map<String, Value> = registries
        .iter()
        .map(|r| {
            (
                r.to_string(),
                json!({ "tls": { "ca_file": k3s_ca_path(r) } }),
            )
        })
        .collect();
    json!({ "configs": configs })
}

/// OpenShift: the ConfigMap in `openshift-config` with one `hostname[..port]` key per
/// registry, each the whole CA bundle.
pub fn openshift_configmap(name: &str, registries: &[NodeRegistry], ca_pem: &str) -> Value {
    let data: serde_json::Map<String, Value> = registries
        .iter()
        .map(|r| (r.openshift_key(), Value::String(ca_pem.to_string())))
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": OPENSHIFT_CONFIG_NAMESPACE,
            "labels": { "app.kubernetes.io/managed-by": "kubectl-porch-registry" },
        },
        "data": data,
    })
}

/// OpenShift: the merge patch of `image.config.openshift.io/cluster` naming that ConfigMap.
pub fn openshift_image_patch(name: &str) -> Value {
    json!({ "spec": { "additionalTrustedCA": { "name": name } } })
}

/// Shell-quote one word for a printed step (single quotes, POSIX).
fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The steps that apply the kind document (printed after it).
pub fn kind_steps(registries: &[NodeRegistry]) -> Vec<String> {
    let hosts: Vec<&str> = registries.iter().map(|r| r.as_str()).collect();
    vec![
        "save this document, e.g. > kind-config.yaml (merge it into your own kind config if you have one: every node you list needs the same extraMounts)".to_string(),
        "kind create cluster --config kind-config.yaml (extraMounts and containerdConfigPatches apply when a cluster is created: recreate an existing one)".to_string(),
        format!(
            "the nodes then trust the CA for {} (the CA file must stay at its path on this machine)",
            hosts.join(", ")
        ),
    ]
}

/// The steps that apply the k3s `registries.yaml` (printed after it).
pub fn k3s_steps(registries: &[NodeRegistry], ca_file: &str) -> Vec<String> {
    let mut steps = vec!["on every node, servers and agents, as root:".to_string()];
    for r in registries {
        steps.push(format!(
            "  install -D -m 0644 {} {}",
            sh_quote(ca_file),
            sh_quote(&k3s_ca_path(r))
        ));
    }
    steps.push(format!(
        "  write this document to {K3S_REGISTRIES_YAML} (merge it into the file if it exists)"
    ));
    steps.push(
        "  systemctl restart k3s (servers) or systemctl restart k3s-agent (agents): k3s reads registries.yaml when it starts"
            .to_string(),
    );
    steps
}

/// The steps that apply the OpenShift ConfigMap and patch (printed after it).
pub fn openshift_steps(name: &str) -> Vec<String> {
    let patch = openshift_image_patch(name).to_string();
    vec![
        "oc apply -f - with this ConfigMap (pipe this output into it)".to_string(),
        format!(
            "oc patch image.config.openshift.io/cluster --type=merge -p {}",
            sh_quote(&patch)
        ),
        format!(
            "if spec.additionalTrustedCA already names another ConfigMap (oc get image.config.openshift.io/cluster -o jsonpath='{{.spec.additionalTrustedCA.name}}'), add these keys to that ConfigMap instead: it is the only one OpenShift reads"
        ),
        "the Machine Config Operator then writes the CA to every node (no reboot needed for CA changes)".to_string(),
    ]
}

/// Where the DaemonSet sees the node's `/etc` (the only host path it writes under).
const HOST_ETC: &str = "/host/etc";
/// The pod's own scratch directory (an emptyDir): the copy of the CA last written to the
/// node, which the readiness probe compares with the mounted one.
const STATE_DIR: &str = "/run/node-trust";
/// The pod template annotation holding [`trust_hash`]: a new CA, registry list or script
/// changes the template, so the DaemonSet rolls its pods and each new pod writes the new CA.
pub const TRUST_HASH_ANNOTATION: &str = "kubectl-porch-registry/trust-sha256";
/// The label every node-trust object carries (value: the objects' name).
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
/// The marker next to each CA the DaemonSet wrote: removal touches only folders with it.
pub const MARKER: &str = ".porch-registry-node-trust";

/// The per-runtime trust roots under `/etc`: containerd, CRI-O/podman, Docker. The helper
/// writes only under the ones whose runtime folder exists on the node.
pub const RUNTIME_DIRS: [(&str, &str); 3] = [
    ("containerd", "containerd/certs.d"),
    ("containers", "containers/certs.d"),
    ("docker", "docker/certs.d"),
];

/// The helper's script: every 30 s (a changed ConfigMap reaches the mounted volume without a
/// restart), for each registry and each runtime folder that exists on the node, write
/// `certs.d/REG/ca.crt` when it differs and mark it, and remove the marked folders of
/// registries no longer listed; warn once when containerd's config.toml has no
/// `config_path` (then certs.d is not read). The files stay when a pod stops (a rollout or a
/// restart leaves no gap in the node's trust); with `NODE_TRUST_MODE=remove` (the template
/// `node-trust remove` rolls out before deleting the DaemonSet) the pod removes every marked
/// file, then is Ready and idles. `cleanup` does that once, `once` syncs once; both exit.
fn helper_script() -> String {
    let runtimes: Vec<String> = RUNTIME_DIRS
        .iter()
        .map(|(rt, d)| format!("{rt}:{d}"))
        .collect();
    format!(
        r#"set -eu
# The paths are the pod's; the variables let the script be run on a scratch tree (tests).
E=${{NODE_TRUST_ETC:-{HOST_ETC}}}
T=${{NODE_TRUST_DIR:-/trust}}
S=${{NODE_TRUST_STATE:-{STATE_DIR}}}
M={MARKER}
RUNTIMES="{runtimes}"
sync_once() {{
  for reg in $(cat "$T/registries"); do
    for rd in $RUNTIMES; do
      rt=${{rd%%:*}}; d=${{rd#*:}}
      [ -d "$E/$rt" ] || continue
      t="$E/$d/$reg"
      if [ -f "$t/ca.crt" ] && [ ! -f "$t/$M" ]; then echo "skip $t/ca.crt: not written by node-trust"; continue; fi
      if ! cmp -s "$T/ca.crt" "$t/ca.crt" 2>/dev/null; then
        mkdir -p "$t" && cp "$T/ca.crt" "$t/ca.crt.tmp" && mv "$t/ca.crt.tmp" "$t/ca.crt" && : > "$t/$M"
        echo "wrote $t/ca.crt"
      fi
    done
  done
  for rd in $RUNTIMES; do
    d=${{rd#*:}}
    for m in "$E/$d"/*/"$M"; do
      [ -f "$m" ] || continue
      t=${{m%/*}}
      if ! grep -qxF "${{t##*/}}" "$T/registries"; then
        rm -f "$t/ca.crt" "$m"; rmdir "$t" 2>/dev/null || true
        echo "removed $t/ca.crt: registry no longer listed"
      fi
    done
  done
  # Ready (the readiness probe) once the CA now mounted is on the node.
  cp "$T/ca.crt" "$S/ca.crt.tmp" && mv "$S/ca.crt.tmp" "$S/ca.crt"
}}
cleanup() {{
  for rd in $RUNTIMES; do
    d=${{rd#*:}}
    for m in "$E/$d"/*/"$M"; do
      [ -f "$m" ] || continue
      t=${{m%/*}}; rm -f "$t/ca.crt" "$m"; rmdir "$t" 2>/dev/null || true
      echo "removed $t/ca.crt"
    done
  done
}}
[ "${{1:-}}" = cleanup ] && {{ cleanup; exit 0; }}
[ "${{1:-}}" = once ] && {{ sync_once; exit 0; }}
if [ "${{NODE_TRUST_MODE:-}}" = remove ]; then
  cleanup
  cp "$T/ca.crt" "$S/ca.crt"
  echo "cleaned up: waiting to be deleted"
  while true; do sleep 3600; done
fi
found=
for rd in $RUNTIMES; do if [ -d "$E/${{rd%%:*}}" ]; then found=1; fi; done
[ -n "$found" ] || echo "warning: none of $E/containerd, $E/containers, $E/docker exists on this node: nothing to write"
if [ -d "$E/containerd" ] && ! grep -qs 'config_path *= *"[^"]' "$E/containerd/config.toml"; then
  echo "warning: $E/containerd/config.toml sets no config_path: containerd does not read certs.d"
fi
while true; do sync_once; sleep 30; done
"#,
        runtimes = runtimes.join(" ")
    )
}

/// The SHA-256 (hex) of what the pods write: the ConfigMap's data (CA, registries, script),
/// each key and value length-prefixed so that no two inputs collide.
pub fn trust_hash(data: &serde_json::Map<String, Value>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (k, v) in data {
        let v = v.as_str().unwrap_or_default();
        h.update((k.len() as u64).to_be_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_be_bytes());
        h.update(v.as_bytes());
    }
    hex::encode(h.finalize())
}

/// `--method daemonset`: the objects that make every node trust the CA, in this order:
/// the ServiceAccount (its own, no token), the ConfigMap (the CA and the registry list, never
/// the auth Secret: no password reaches the nodes), and exactly one DaemonSet. The pod
/// template carries [`trust_hash`] of the ConfigMap: a new CA rolls the pods (each writes
/// it, and is Ready only once it has), and the same input gives the same objects (no new
/// generation).
///
/// It needs: a hostPath of the node's `/etc` (writable; never `/`), root, and a namespace
/// that Pod Security admission lets run it (`privileged`).
pub fn daemonset_objects(
    name: &str,
    namespace: &str,
    image: &str,
    registries: &[NodeRegistry],
    ca_pem: &str,
) -> Vec<Value> {
    let labels = json!({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/managed-by": "kubectl-porch-registry",
    });
    let list: String = registries.iter().map(|r| format!("{r}\n")).collect();
    let sa = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "automountServiceAccountToken": false,
    });
    let cm = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": {"ca.crt": ca_pem, "registries": list, "sync.sh": helper_script()},
    });
    let hash = cm["data"].as_object().map(trust_hash).unwrap_or_default();
    let ds = json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": labels, "annotations": {TRUST_HASH_ANNOTATION: hash}},
                "spec": {
                    "serviceAccountName": name,
                    "automountServiceAccountToken": false,
                    "priorityClassName": "system-node-critical",
                    "tolerations": [{"operator": "Exists"}],
                    "terminationGracePeriodSeconds": 30,
                    "containers": [{
                        "name": "node-trust",
                        "image": image,
                        "command": ["/bin/sh", "/trust/sync.sh"],
                        "securityContext": {
                            "runAsUser": 0,
                            "runAsNonRoot": false,
                            "readOnlyRootFilesystem": true,
                            "allowPrivilegeEscalation": false,
                            "capabilities": {"drop": ["ALL"], "add": ["DAC_OVERRIDE", "CHOWN", "FOWNER"]},
                        },
                        "resources": {
                            "requests": {"cpu": "1m", "memory": "8Mi"},
                            "limits": {"memory": "32Mi"},
                        },
                        "readinessProbe": {
                            "exec": {"command": ["cmp", "-s", "/trust/ca.crt", format!("{STATE_DIR}/ca.crt")]},
                            "periodSeconds": 5,
                        },
                        "volumeMounts": [
                            {"name": "trust", "mountPath": "/trust", "readOnly": true},
                            {"name": "state", "mountPath": STATE_DIR},
                            {"name": "host-etc", "mountPath": HOST_ETC},
                        ],
                    }],
                    "volumes": [
                        {"name": "trust", "configMap": {"name": name}},
                        {"name": "state", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                        {"name": "host-etc", "hostPath": {"path": "/etc", "type": "Directory"}},
                    ],
                },
            },
        },
    });
    vec![sa, cm, ds]
}

/// The environment variable that turns the helper into its cleanup.
pub const MODE_ENV: &str = "NODE_TRUST_MODE";

/// `node-trust remove`, first step: the live DaemonSet with its pods switched to cleanup
/// (`NODE_TRUST_MODE=remove` on the helper container): once rolled out, every node's pod has
/// removed the files it wrote, and the DaemonSet can go. None when it already is.
pub fn cleanup_mode(ds: &Value) -> Option<Value> {
    let mut ds = ds.clone();
    let containers = ds
        .pointer_mut("/spec/template/spec/containers")
        .and_then(Value::as_array_mut)?;
    let c = containers.iter_mut().find(|c| c["name"] == "node-trust")?;
    let env = c.as_object_mut()?.entry("env").or_insert_with(|| json!([]));
    let list = env.as_array_mut()?;
    if list
        .iter()
        .any(|e| e["name"] == MODE_ENV && e["value"] == "remove")
    {
        return None;
    }
    list.retain(|e| e["name"] != MODE_ENV);
    list.push(json!({"name": MODE_ENV, "value": "remove"}));
    Some(ds)
}

/// The registries of an auth file's keys (the runner's auth Secret), as the nodes name them:
/// a key counts when some image the runner parses has it as its registry
/// ([`crate::runner::name::key_can_match`], the one registry rule); the others are returned
/// apart (they never match an image, so no node needs their CA).
pub fn registries_from_auth_keys<'a>(
    keys: impl IntoIterator<Item = &'a str>,
) -> (Vec<NodeRegistry>, Vec<String>) {
    let (mut found, mut skipped) = (vec![], vec![]);
    for key in keys {
        match crate::runner::name::key_can_match(key)
            .then(|| NodeRegistry::parse(key).ok())
            .flatten()
        {
            Some(r) => found.push(r),
            None => skipped.push(key.to_string()),
        }
    }
    (unique(found), skipped)
}

/// The Pod Security admission label that decides whether the node-trust pods run.
pub const PSA_ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// What a namespace's Pod Security labels mean for the node-trust pods (a hostPath volume,
/// root, added capabilities: only the `privileged` level admits them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodSecurity {
    /// `enforce=privileged`.
    Privileged,
    /// No `enforce` label: the cluster's default level applies (privileged unless the
    /// admin configured another default).
    Unlabelled,
    /// `enforce=LEVEL` (baseline, restricted, or anything else): the pods are refused.
    Refused(String),
}

impl PodSecurity {
    pub fn of(labels: Option<&serde_json::Map<String, Value>>) -> PodSecurity {
        match labels
            .and_then(|l| l.get(PSA_ENFORCE))
            .and_then(Value::as_str)
        {
            Some("privileged") => PodSecurity::Privileged,
            Some(level) => PodSecurity::Refused(level.to_string()),
            None => PodSecurity::Unlabelled,
        }
    }

    /// The command that lets the pods run in `namespace`.
    pub fn label_command(namespace: &str) -> String {
        format!("kubectl label namespace {namespace} {PSA_ENFORCE}=privileged --overwrite")
    }
}

/// Where one node stands with the node-trust DaemonSet: THE per-node rule ([`node_rows`]),
/// which `status`, `check` and `node-trust`'s timed-out rollout all read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum NodeState {
    /// Its pod is Ready with the current CA: the CA is on the node.
    #[serde(rename = "trusted")]
    Trusted,
    /// Its pod carries the current CA but is not Ready: it has not written it yet.
    #[serde(rename = "writing")]
    Writing,
    /// Its pod is from an older CA (an older hash): the rollout has not replaced it yet.
    #[serde(rename = "stale")]
    Stale,
    /// The DaemonSet has no pod on this Ready node.
    #[serde(rename = "no pod")]
    NoPod,
    /// The node is not Ready (no function pod is scheduled there either).
    #[serde(rename = "node NotReady")]
    NodeNotReady,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Trusted => "trusted",
            NodeState::Writing => "writing",
            NodeState::Stale => "stale",
            NodeState::NoPod => "no pod",
            NodeState::NodeNotReady => "node NotReady",
        }
    }
}

impl std::fmt::Display for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one node stands with the node-trust DaemonSet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeTrustRow {
    pub node: String,
    pub node_ready: bool,
    /// The DaemonSet's pod on it (None: no pod there).
    pub pod: Option<String>,
    pub pod_ready: bool,
    /// The pod's [`TRUST_HASH_ANNOTATION`] is the ConfigMap's current one.
    pub current: bool,
    pub state: NodeState,
}

/// What the cluster shows of the node-trust objects: the DaemonSet, its ConfigMap and a row
/// per node ([`node_rows`]). Read by the commands (`status`, `check`), judged here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeTrustInfo {
    pub name: String,
    pub namespace: String,
    /// The DaemonSet exists.
    pub installed: bool,
    /// The registries its ConfigMap lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registries: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<String>,
    /// One row per node (sorted by name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeTrustRow>,
    /// What could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The ConfigMap's `ca.crt`: the CA the pods write to the nodes (compared, not shown).
    #[serde(skip)]
    pub ca_pem: Option<String>,
}

impl NodeTrustInfo {
    /// Nothing read yet: the DaemonSet `namespace/name` as not installed.
    pub fn not_installed(name: &str, namespace: &str) -> NodeTrustInfo {
        NodeTrustInfo {
            name: name.to_string(),
            namespace: namespace.to_string(),
            installed: false,
            registries: vec![],
            rollout: None,
            nodes: vec![],
            note: None,
            ca_pem: None,
        }
    }

    /// The nodes that do not have the current CA from a Ready pod.
    pub fn untrusted(&self) -> Vec<&NodeTrustRow> {
        self.nodes
            .iter()
            .filter(|r| r.state != NodeState::Trusted)
            .collect()
    }

    /// The names of the nodes in `state`, in order.
    pub fn nodes_in(&self, state: NodeState) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|r| r.state == state)
            .map(|r| r.node.as_str())
            .collect()
    }
}

fn condition_true(obj: &Value, kind: &str) -> bool {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == kind && c["status"] == "True")
}

/// Per node: has the DaemonSet written the CA there? A node is `trusted` when its pod is
/// Ready (the readiness probe: the mounted CA is the one written to the node) and carries
/// `current_hash`; `stale` when the pod is from an older CA; `writing` when it is not Ready
/// yet; `no pod` when the DaemonSet has none there; `node NotReady` first of all.
pub fn node_rows(nodes: &[Value], pods: &[Value], current_hash: &str) -> Vec<NodeTrustRow> {
    let mut rows: Vec<NodeTrustRow> = nodes
        .iter()
        .map(|n| {
            let node = n["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let node_ready = condition_true(n, "Ready");
            let pod = pods
                .iter()
                .filter(|p| p.pointer("/spec/nodeName").and_then(Value::as_str) == Some(&node))
                .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
                .max_by_key(|p| condition_true(p, "Ready"));
            let pod_ready = pod.is_some_and(|p| condition_true(p, "Ready"));
            let current = pod.is_some_and(|p| {
                p.pointer("/metadata/annotations")
                    .and_then(|a| a.get(TRUST_HASH_ANNOTATION))
                    .and_then(Value::as_str)
                    == Some(current_hash)
            });
            let state = match (node_ready, pod.is_some(), pod_ready, current) {
                (false, _, _, _) => NodeState::NodeNotReady,
                (true, false, _, _) => NodeState::NoPod,
                (true, true, true, true) => NodeState::Trusted,
                (true, true, _, false) => NodeState::Stale,
                (true, true, false, true) => NodeState::Writing,
            };
            NodeTrustRow {
                node,
                node_ready,
                pod: pod.and_then(|p| p["metadata"]["name"].as_str().map(String::from)),
                pod_ready,
                current,
                state,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.node.cmp(&b.node));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs(list: &[&str]) -> Vec<NodeRegistry> {
        unique(
            list.iter()
                .map(|s| NodeRegistry::parse(s).unwrap())
                .collect(),
        )
    }

    #[test]
    fn registries_as_the_nodes_name_them() {
        assert_eq!(
            NodeRegistry::parse("https://reg.example.com:5000/v2/")
                .unwrap()
                .as_str(),
            "reg.example.com:5000"
        );
        assert_eq!(
            NodeRegistry::parse("docker.io").unwrap().as_str(),
            "docker.io"
        );
        assert_eq!(
            NodeRegistry::parse("index.docker.io").unwrap().as_str(),
            "docker.io"
        );
        assert!(NodeRegistry::parse("ftp://x.example.com").is_err());
        assert!(NodeRegistry::parse("reg.example.com:0").is_err());
        assert_eq!(
            regs(&["b.example.com", "a.example.com", "b.example.com"]).len(),
            2
        );
    }

    #[test]
    fn openshift_keys_separate_the_port_with_two_dots() {
        // docs.okd.io "Setting up additional trusted certificate authorities for builds":
        // myregistry.corp.com..5000, otherregistry.com
        let r = regs(&["myregistry.corp.com:5000", "otherregistry.com"]);
        assert_eq!(r[0].openshift_key(), "myregistry.corp.com..5000");
        assert_eq!(r[1].openshift_key(), "otherregistry.com");
        let cm = openshift_configmap("registry-cas", &r, "PEM\n");
        assert_eq!(cm["metadata"]["namespace"], "openshift-config");
        assert_eq!(cm["data"]["myregistry.corp.com..5000"], "PEM\n");
        assert_eq!(
            openshift_image_patch("registry-cas"),
            json!({"spec": {"additionalTrustedCA": {"name": "registry-cas"}}})
        );
    }

    #[test]
    fn kind_mounts_the_ca_into_each_registry_folder() {
        let doc = kind_cluster(&regs(&["reg.example.com:5000"]), "/home/u/ca.crt");
        assert_eq!(doc["apiVersion"], "kind.x-k8s.io/v1alpha4");
        let m = &doc["nodes"][0]["extraMounts"][0];
        assert_eq!(m["hostPath"], "/home/u/ca.crt");
        assert_eq!(
            m["containerPath"],
            "/etc/containerd/certs.d/reg.example.com:5000/ca.crt"
        );
        let patch = doc["containerdConfigPatches"][0].as_str().unwrap();
        assert!(patch.contains("[plugins.\"io.containerd.grpc.v1.cri\".registry]"));
        assert!(patch.contains("config_path = \"/etc/containerd/certs.d\""));
    }

    #[test]
    fn daemonset_is_one_with_its_own_account_every_toleration_and_no_root_hostpath() {
        let r = regs(&["reg.example.com:5000"]);
        let objs = daemonset_objects("nt", "kube-system", "busybox:1", &r, "PEM\n");
        let kinds: Vec<&str> = objs.iter().map(|o| o["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["ServiceAccount", "ConfigMap", "DaemonSet"]);
        let spec = &objs[2]["spec"]["template"]["spec"];
        assert_eq!(spec["serviceAccountName"], "nt");
        assert_ne!(spec["serviceAccountName"], "default");
        assert_eq!(spec["tolerations"], json!([{"operator": "Exists"}]));
        for v in spec["volumes"].as_array().unwrap() {
            assert_ne!(v["hostPath"]["path"], "/");
            assert!(v.get("secret").is_none(), "no Secret reaches the nodes");
        }
        assert_eq!(objs[1]["data"]["ca.crt"], "PEM\n");
        assert_eq!(objs[1]["data"]["registries"], "reg.example.com:5000\n");
        // the same input: the same objects; a new CA: a new pod template (the pods roll)
        assert_eq!(
            objs,
            daemonset_objects("nt", "kube-system", "busybox:1", &r, "PEM\n")
        );
        let other = daemonset_objects("nt", "kube-system", "busybox:1", &r, "OTHER\n");
        let hash = |o: &Value| {
            o["spec"]["template"]["metadata"]["annotations"][TRUST_HASH_ANNOTATION].clone()
        };
        assert_ne!(hash(&objs[2]), hash(&other[2]));
        assert_eq!(
            hash(&objs[2]),
            json!(trust_hash(objs[1]["data"].as_object().unwrap()))
        );
        let mut no_hash = objs[2].clone();
        let mut other_no_hash = other[2].clone();
        no_hash["spec"]["template"]["metadata"]["annotations"] = json!({});
        other_no_hash["spec"]["template"]["metadata"]["annotations"] = json!({});
        assert_eq!(no_hash, other_no_hash, "only the hash differs");
        let script = objs[1]["data"]["sync.sh"].as_str().unwrap();
        for d in [
            "containerd/certs.d",
            "containers/certs.d",
            "docker/certs.d",
            MARKER,
        ] {
            assert!(script.contains(d), "{d}");
        }
    }

    #[test]
    fn cleanup_mode_is_one_env_on_the_helper() {
        let r = regs(&["reg.example.com:5000"]);
        let ds = daemonset_objects("nt", "kube-system", "busybox:1", &r, "PEM\n").remove(2);
        assert!(
            ds.pointer("/spec/template/spec/containers/0/lifecycle")
                .is_none(),
            "no preStop: the files outlive a pod"
        );
        let off = cleanup_mode(&ds).unwrap();
        assert_eq!(
            off["spec"]["template"]["spec"]["containers"][0]["env"],
            json!([{"name": MODE_ENV, "value": "remove"}])
        );
        assert_eq!(cleanup_mode(&off), None);
    }

    #[test]
    fn k3s_ca_file_is_absolute_on_the_node() {
        let doc = k3s_registries(&regs(&["reg.example.com:5000"]));
        let ca = doc["configs"]["reg.example.com:5000"]["tls"]["ca_file"]
            .as_str()
            .unwrap();
        assert!(ca.starts_with('/'));
        assert_eq!(ca, "/etc/rancher/k3s/certs.d/reg.example.com:5000/ca.crt");
        let steps = k3s_steps(&regs(&["reg.example.com:5000"]), "/tmp/my ca.crt");
        assert!(
            steps[1]
                .contains("'/tmp/my ca.crt' /etc/rancher/k3s/certs.d/reg.example.com:5000/ca.crt")
        );
    }

    #[test]
    fn auth_keys_become_node_registries_by_the_runner_rule() {
        let (found, skipped) = registries_from_auth_keys([
            "registry.example.com:5000",
            "https://index.docker.io/v1/",
            "index.docker.io",
            "ghcr.io",
            " ghcr.io",
        ]);
        let names: Vec<&str> = found.iter().map(|r| r.as_str()).collect();
        assert_eq!(names, ["docker.io", "ghcr.io", "registry.example.com:5000"]);
        assert_eq!(skipped, ["https://index.docker.io/v1/", " ghcr.io"]);
    }

    #[test]
    fn pod_security_levels() {
        let labels = |v: Value| v.as_object().cloned();
        assert_eq!(PodSecurity::of(None), PodSecurity::Unlabelled);
        assert_eq!(
            PodSecurity::of(labels(json!({PSA_ENFORCE: "privileged"})).as_ref()),
            PodSecurity::Privileged
        );
        assert_eq!(
            PodSecurity::of(labels(json!({PSA_ENFORCE: "baseline", "x": "y"})).as_ref()),
            PodSecurity::Refused("baseline".into())
        );
        assert_eq!(
            PodSecurity::of(
                labels(json!({"pod-security.kubernetes.io/warn": "restricted"})).as_ref()
            ),
            PodSecurity::Unlabelled
        );
    }

    #[test]
    fn rows_per_node() {
        let node = |n: &str, ready: &str| json!({"metadata": {"name": n}, "status": {"conditions": [{"type": "Ready", "status": ready}]}});
        let pod = |n: &str, node: &str, ready: &str, hash: &str| json!({"metadata": {"name": n, "annotations": {TRUST_HASH_ANNOTATION: hash}}, "spec": {"nodeName": node}, "status": {"conditions": [{"type": "Ready", "status": ready}]}});
        let rows = node_rows(
            &[
                node("d", "True"),
                node("a", "True"),
                node("b", "True"),
                node("c", "False"),
                node("e", "True"),
            ],
            &[
                pod("p-a", "a", "True", "h1"),
                pod("p-b", "b", "True", "h0"),
                pod("p-c", "c", "False", "h1"),
                pod("p-e", "e", "False", "h1"),
            ],
            "h1",
        );
        let states: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.node.as_str(), r.state.as_str()))
            .collect();
        assert_eq!(
            states,
            [
                ("a", "trusted"),
                ("b", "stale"),
                ("c", "node NotReady"),
                ("d", "no pod"),
                ("e", "writing")
            ]
        );
        assert_eq!(rows[0].pod.as_deref(), Some("p-a"));
        assert_eq!(rows[3].pod, None);
    }
}
