//! Nodes and DaemonSets in the fake API, with the conventions of the real one:
//! - nodes are cluster-scoped, with a `Ready` condition and taints, as a test inserts them;
//! - a DaemonSet has `metadata.generation` (bumped only when the spec changes: a no-op apply
//!   keeps it) and a status the fake's "controller" advances like the Deployment rollout:
//!   a new pod template starts a rollout (`updatedNumberScheduled` 0) that completes after
//!   [`super::Rollout::AfterGets`] GETs (never with `Rollout::Never`/`Fail`), counting the
//!   nodes whose NoSchedule/NoExecute taints the pod template tolerates;
//! - on completion the pods are the template's, one per such node (`spec.nodeName`, the
//!   template's labels and annotations, an ownerReference, `Ready` as the node is), unless
//!   a test turned pods off ([`DaemonSetOptions::pods`]); deleting the DaemonSet deletes its
//!   pods (garbage collection).

use serde_json::{Value, json};

use super::store::State;

type Key = (&'static str, String, String);

/// How the fake's DaemonSet controller behaves.
#[derive(Debug, Clone)]
pub struct DaemonSetOptions {
    /// Create the pods when a rollout completes (default true).
    pub pods: bool,
}

impl Default for DaemonSetOptions {
    fn default() -> Self {
        DaemonSetOptions { pods: true }
    }
}

/// A Node as a test wants it: Ready or not, with `(key, effect)` taints.
pub fn node(name: &str, ready: bool, taints: &[(&str, &str)]) -> Value {
    let taints: Vec<Value> = taints
        .iter()
        .map(|(k, e)| json!({"key": k, "effect": e}))
        .collect();
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": if taints.is_empty() { json!({}) } else { json!({"taints": taints}) },
        "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
            "reason": if ready { "KubeletReady" } else { "NodeStatusUnknown" }}]},
    })
}

fn int(v: &Value, p: &str) -> i64 {
    v.pointer(p).and_then(Value::as_i64).unwrap_or(0)
}

/// `generation` as the API server keeps it: 1 on create, +1 when the spec changes.
pub fn admit_generation(obj: &mut Value, old: Option<&Value>) {
    match old {
        None => {
            obj["metadata"]["generation"] = json!(1);
            obj["status"] = json!({"observedGeneration": 0, "desiredNumberScheduled": 0,
                "currentNumberScheduled": 0, "updatedNumberScheduled": 0, "numberReady": 0,
                "numberAvailable": 0, "numberMisscheduled": 0});
        }
        Some(old) => {
            obj["status"] = old["status"].clone();
            let g = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let changed = obj.get("spec") != old.get("spec");
            obj["metadata"]["generation"] = json!(if changed { g + 1 } else { g });
        }
    }
}

/// Whether a toleration list tolerates one taint (the scheduler's rule).
fn tolerates(tolerations: &Value, taint: &Value) -> bool {
    tolerations.as_array().into_iter().flatten().any(|t| {
        let key_ok = match t.get("key").and_then(Value::as_str).unwrap_or_default() {
            "" => t["operator"] == "Exists",
            k => k == taint["key"].as_str().unwrap_or_default(),
        };
        let value_ok = t["operator"] == "Exists" || t.get("value") == taint.get("value");
        let effect_ok = match t.get("effect").and_then(Value::as_str).unwrap_or_default() {
            "" => true,
            e => e == taint["effect"].as_str().unwrap_or_default(),
        };
        key_ok && value_ok && effect_ok
    })
}

/// The nodes the DaemonSet's pods go to (every NoSchedule/NoExecute taint tolerated).
fn eligible_nodes(st: &State, ds: &Value) -> Vec<Value> {
    let tolerations = ds
        .pointer("/spec/template/spec/tolerations")
        .cloned()
        .unwrap_or(json!([]));
    st.objects
        .iter()
        .filter(|((r, _, _), _)| *r == "nodes")
        .map(|(_, n)| n.clone())
        .filter(|n| {
            n.pointer("/spec/taints")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|t| t["effect"] == "NoSchedule" || t["effect"] == "NoExecute")
                .all(|t| tolerates(&tolerations, t))
        })
        .collect()
}

fn node_ready(n: &Value) -> bool {
    n.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// After a store: a new template (or a new DaemonSet) starts a rollout; another spec change
/// is observed at once.
pub fn on_store(st: &mut State, key: &Key, obj: &mut Value, old: Option<&Value>) {
    let template_changed = match old {
        Some(old) => old.pointer("/spec/template") != obj.pointer("/spec/template"),
        None => true,
    };
    if template_changed {
        let desired = eligible_nodes(st, obj).len() as i64;
        obj["status"]["desiredNumberScheduled"] = json!(desired);
        obj["status"]["updatedNumberScheduled"] = json!(0);
        st.pending.insert(key.clone(), 0);
    } else if !st.pending.contains_key(key) {
        obj["status"]["observedGeneration"] = obj["metadata"]["generation"].clone();
    }
}

/// A GET of a DaemonSet with a pending rollout: it completes after enough GETs.
pub fn advance(st: &mut State, key: &Key) {
    let Some(seen) = st.pending.get_mut(key) else {
        return;
    };
    *seen += 1;
    let seen = *seen;
    let done = matches!(st.rollout, super::Rollout::AfterGets(n) if seen >= n);
    let Some(ds) = st.objects.get(key).cloned() else {
        return;
    };
    let mut ds = ds;
    ds["status"]["observedGeneration"] = ds["metadata"]["generation"].clone();
    if done {
        let nodes = eligible_nodes(st, &ds);
        let ready = nodes.iter().filter(|n| node_ready(n)).count() as i64;
        let n = nodes.len() as i64;
        ds["status"] = json!({
            "observedGeneration": ds["metadata"]["generation"].clone(),
            "desiredNumberScheduled": n, "currentNumberScheduled": n,
            "updatedNumberScheduled": n, "numberReady": ready, "numberAvailable": ready,
            "numberUnavailable": n - ready, "numberMisscheduled": 0,
        });
        if st.daemonsets.pods {
            replace_pods(st, key, &ds, &nodes);
        }
        st.pending.remove(key);
    }
    st.objects.insert(key.clone(), ds);
}

fn pod_keys(st: &State, ds: &Value) -> Vec<Key> {
    let uid = ds["metadata"]["uid"].clone();
    st.objects
        .iter()
        .filter(|((r, _, _), p)| {
            *r == "pods"
                && p.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|o| o["kind"] == "DaemonSet" && o["uid"] == uid)
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// The pods of the current template, one per node (the old ones replaced).
fn replace_pods(st: &mut State, key: &Key, ds: &Value, nodes: &[Value]) {
    for k in pod_keys(st, ds) {
        st.objects.remove(&k);
    }
    let template = ds.pointer("/spec/template").cloned().unwrap_or(json!({}));
    for n in nodes {
        let node = n["metadata"]["name"].as_str().unwrap_or_default();
        let name = format!("{}-{node}", key.2);
        let rv = st.next_rv();
        let ready = if node_ready(n) { "True" } else { "False" };
        let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
        meta["name"] = json!(name);
        meta["namespace"] = json!(key.1);
        meta["resourceVersion"] = json!(rv);
        meta["uid"] = json!(format!("pod-{}-{rv}", key.2));
        meta["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "DaemonSet",
            "name": key.2, "uid": ds["metadata"]["uid"], "controller": true}]);
        let mut spec = template.get("spec").cloned().unwrap_or(json!({}));
        spec["nodeName"] = json!(node);
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"phase": if ready == "True" { "Running" } else { "Pending" },
                "conditions": [{"type": "Ready", "status": ready}]},
        });
        st.objects.insert(("pods", key.1.clone(), name), pod);
    }
}

/// Garbage collection after the DaemonSet is deleted: its pods go too.
pub fn on_delete(st: &mut State, ds: &Value) {
    for k in pod_keys(st, ds) {
        st.objects.remove(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_api::store::parse_path;

    fn with_nodes() -> State {
        let mut s = State::default();
        let ns = parse_path("/api/v1/namespaces").unwrap();
        s.create(&ns, json!({"metadata": {"name": "kube-system"}}), false)
            .unwrap();
        let nodes = parse_path("/api/v1/nodes").unwrap();
        for n in [
            node("a", true, &[]),
            node("b", false, &[("node.kubernetes.io/not-ready", "NoExecute")]),
            node("c", true, &[("dedicated", "NoSchedule")]),
        ] {
            s.create(&nodes, n, false).unwrap();
        }
        s
    }

    fn ds(tolerations: Value, image: &str) -> Value {
        json!({"metadata": {"name": "t"}, "spec": {"selector": {"matchLabels": {"app": "t"}},
            "template": {"metadata": {"labels": {"app": "t"}},
                "spec": {"tolerations": tolerations, "containers": [{"name": "c", "image": image}]}}}})
    }

    #[test]
    fn rollout_generation_and_pods() {
        let mut s = with_nodes();
        let t = parse_path("/apis/apps/v1/namespaces/kube-system/daemonsets").unwrap();
        let created = s
            .create(&t, ds(json!([{"operator": "Exists"}]), "x:1"), false)
            .unwrap();
        assert_eq!(created["metadata"]["generation"], 1);
        assert_eq!(created["status"]["desiredNumberScheduled"], 3);
        assert_eq!(created["status"]["updatedNumberScheduled"], 0);
        let done = s.get(&t, "t").unwrap();
        assert_eq!(done["status"]["observedGeneration"], 1);
        assert_eq!(done["status"]["updatedNumberScheduled"], 3);
        assert_eq!(done["status"]["numberAvailable"], 2, "b is NotReady");
        let pods = parse_path("/api/v1/namespaces/kube-system/pods").unwrap();
        let list = s.list(&pods, Some("app=t"));
        let on: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["spec"]["nodeName"].as_str().unwrap())
            .collect();
        assert_eq!(on, ["a", "b", "c"]);
        // The same spec again: same generation and resourceVersion.
        let again = s.update(&t, "t", done.clone(), false).unwrap();
        assert_eq!(again["metadata"]["generation"], 1);
        assert_eq!(
            again["metadata"]["resourceVersion"],
            done["metadata"]["resourceVersion"]
        );
        // Deleting it deletes the pods.
        s.delete(&t, "t", false).unwrap();
        assert!(s.list(&pods, None)["items"].as_array().unwrap().is_empty());
    }

    #[test]
    fn taints_without_tolerations_keep_pods_off() {
        let mut s = with_nodes();
        let t = parse_path("/apis/apps/v1/namespaces/kube-system/daemonsets").unwrap();
        let mut d = s.create(&t, ds(json!([]), "x:1"), false).unwrap();
        assert_eq!(d["status"]["desiredNumberScheduled"], 1);
        d = s.get(&t, "t").unwrap();
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("x:2");
        let d2 = s.update(&t, "t", d, false).unwrap();
        assert_eq!(d2["metadata"]["generation"], 2);
        assert_eq!(d2["status"]["observedGeneration"], 1);
        s.rollout = crate::fake_api::Rollout::Never;
        let still = s.get(&t, "t").unwrap();
        assert_eq!(still["status"]["updatedNumberScheduled"], 0);
        assert_eq!(still["status"]["observedGeneration"], 2);
    }
}
