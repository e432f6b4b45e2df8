//! Where the node-trust objects stand, read from the cluster once for `status`, `check` and
//! `node-trust`'s timed-out rollout: the DaemonSet, its ConfigMap (registries and CA), the
//! nodes and the DaemonSet's pods. The per-node rule is the core's
//! ([`node_trust::node_rows`]); the judgement of it, `check`'s ([`crate::runner::lint`]).

use serde_json::Value;

use crate::cluster::rollout::{RolloutState, daemonset_rollout_state};
use crate::cluster::{Kind, Kube};
use crate::runner::node_trust::{self, NAME_LABEL, NodeTrustInfo, TRUST_HASH_ANNOTATION};

/// The node-trust DaemonSet `namespace/name` as the cluster has it. Nothing fails: what
/// cannot be read is the `note`.
pub fn read(kube: &Kube, namespace: &str, name: &str) -> NodeTrustInfo {
    let mut info = NodeTrustInfo::not_installed(name, namespace);
    let ds = match kube.get_opt(Kind::DaemonSet, namespace, name) {
        Ok(Some(ds)) => ds,
        Ok(None) => return info,
        Err(e) => {
            info.note = Some(format!("cannot read it: {e}"));
            return info;
        }
    };
    info.installed = true;
    info.rollout = Some(match daemonset_rollout_state(&ds) {
        RolloutState::Complete => "complete".to_string(),
        other => other.describe(),
    });
    if let Ok(Some(cm)) = kube.get_opt(Kind::ConfigMap, namespace, name) {
        info.registries = cm
            .pointer("/data/registries")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect();
        info.ca_pem = cm
            .pointer("/data/ca.crt")
            .and_then(Value::as_str)
            .map(String::from);
    }
    let hash = ds
        .pointer("/spec/template/metadata/annotations")
        .and_then(|a| a.get(TRUST_HASH_ANNOTATION))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let nodes = kube.list(Kind::Node, "");
    let pods = kube.list_labelled(Kind::Pod, namespace, &format!("{NAME_LABEL}={name}"));
    match (nodes, pods) {
        (Ok(nodes), Ok(pods)) => info.nodes = node_trust::node_rows(&nodes, &pods, &hash),
        (Err(e), _) | (_, Err(e)) => {
            info.note = Some(format!("cannot tell per node: {e}"));
        }
    }
    info
}
