//! `status`: where each node stands with the node-trust DaemonSet (has it written the CA
//! there?), read from the DaemonSet, its ConfigMap, the nodes and the DaemonSet's pods.

use serde::Serialize;
use serde_json::Value;

use crate::cluster::rollout::{RolloutState, daemonset_rollout_state};
use crate::cluster::{Kind, Kube};
use crate::runner::node_trust::{self, NAME_LABEL, NodeTrustRow, TRUST_HASH_ANNOTATION};

#[derive(Debug, Clone, Serialize)]
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
}

impl NodeTrustInfo {
    /// The nodes that do not have the current CA from a Ready pod.
    pub fn untrusted(&self) -> Vec<&NodeTrustRow> {
        self.nodes.iter().filter(|r| r.state != "trusted").collect()
    }
}

pub fn node_trust_info(kube: &Kube, namespace: &str, name: &str) -> NodeTrustInfo {
    let mut info = NodeTrustInfo {
        name: name.to_string(),
        namespace: namespace.to_string(),
        installed: false,
        registries: vec![],
        rollout: None,
        nodes: vec![],
        note: None,
    };
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
