//! Live `check`: does every node trust the runner's registry CA? Judged from what the cluster
//! shows of the node-trust DaemonSet ([`NodeTrustInfo`], the per-node rule is
//! [`crate::runner::node_trust::node_rows`], the same `status` shows) against the runner's
//! own TLS Secret and auth Secret. Replaces the offline reminder ([`rules::NODE_CA_TRUST`])
//! when the runner has TLS on.
//!
//! The kubelet pulls a function image through the node's container runtime, which reads
//! only its own trust (`certs.d/HOST[:PORT]/ca.crt`): a node without the CA fails the pull
//! with x509. The tool cannot see trust made another way (kind/k3s/OpenShift configuration,
//! a CA the nodes already have): no DaemonSet is a reminder, never an error.

use super::{Finding, Severity, rules};
use crate::runner::node_trust::{NodeRegistry, NodeState, NodeTrustInfo};

/// What the runner has: the CA of its TLS Secret (the bytes it reads) and the registries of
/// its auth Secret (as the nodes name them).
#[derive(Debug, Clone, Copy)]
pub struct RunnerTrust<'a> {
    /// The runner's TLS Secret (`Secret/NS/NAME`), for messages.
    pub tls_secret: &'a str,
    /// `ca.crt` (else `ca.pem`) of it; None when it cannot be read.
    pub ca: Option<&'a [u8]>,
    /// The auth Secret's registries (only those an image can have).
    pub registries: &'a [NodeRegistry],
}

fn listed(nodes: &[&str]) -> String {
    const SHOWN: usize = 10;
    let mut s = nodes
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if nodes.len() > SHOWN {
        s.push_str(&format!(" and {} more", nodes.len() - SHOWN));
    }
    s
}

/// The findings of the node-trust DaemonSet's state, for a runner with TLS on.
pub fn node_trust_findings(info: &NodeTrustInfo, runner: RunnerTrust<'_>) -> Vec<Finding> {
    let (ns, name) = (info.namespace.as_str(), info.name.as_str());
    let object = format!("DaemonSet/{ns}/{name}");
    let finding = |severity, message: String, fix: String| Finding {
        severity,
        rule: rules::NODE_CA_TRUST,
        object: object.clone(),
        message,
        fix,
        object_index: None,
        field: None,
    };
    let prove = "`kubectl porch-registry check --pull-test IMAGE` pulls it from every Ready node";
    let wait = format!("wait for it: `kubectl -n {ns} rollout status daemonset/{name}`");
    if !info.installed {
        return vec![match &info.note {
            Some(note) => finding(
                Severity::Info,
                format!(
                    "the node-trust DaemonSet {ns}/{name} {note}: whether the nodes trust the registry CA is not checked"
                ),
                format!(
                    "grant get on daemonsets, configmaps, pods and list on nodes to check it, or: {prove}"
                ),
            ),
            None => finding(
                Severity::Info,
                format!(
                    "no node-trust DaemonSet {ns}/{name}: the kubelet pulls function images through each node's container runtime, which must trust the registry CA too, or function pods fail with \"x509: certificate signed by unknown authority\""
                ),
                format!(
                    "run `kubectl porch-registry node-trust` (or --method kind|k3s|openshift for those distributions) unless the nodes trust the CA another way; {prove}"
                ),
            ),
        }];
    }
    let mut out = vec![];
    if let (Some(theirs), Some(ours)) = (&info.ca_pem, runner.ca)
        && theirs.as_bytes() != ours
    {
        out.push(finding(
            Severity::Warning,
            format!("the node-trust DaemonSet {ns}/{name} writes a CA other than the runner's {}: with a registry certificate from the runner's CA, function pods fail with x509 on every node", runner.tls_secret),
            "run `kubectl porch-registry node-trust` again: it takes the runner's TLS Secret and rolls the new CA to the nodes".into(),
        ));
    }
    let missing: Vec<&str> = runner
        .registries
        .iter()
        .map(NodeRegistry::as_str)
        .filter(|r| !info.registries.iter().any(|l| l == r))
        .collect();
    if !missing.is_empty() {
        out.push(finding(
            Severity::Info,
            format!("the node-trust DaemonSet {ns}/{name} writes no CA for {} (a registry of the runner's auth Secret): if its certificate is from the runner's CA, function pods from it fail with x509", missing.join(", ")),
            "run `kubectl porch-registry node-trust` again (its default registries are the auth Secret's), or add them with --registry".into(),
        ));
    }
    let nodes = |s| info.nodes_in(s);
    let no_pod = nodes(NodeState::NoPod);
    if !no_pod.is_empty() {
        out.push(finding(
            Severity::Error,
            format!("{} Ready node(s) have no node-trust pod, so the registry CA was not written there: {}; function pods scheduled there fail with x509", no_pod.len(), listed(&no_pod)),
            format!("see why the DaemonSet makes no pod there: `kubectl -n {ns} describe daemonset/{name}` (a quota, Pod Security, or a pod that cannot be created)"),
        ));
    }
    let stale = nodes(NodeState::Stale);
    if !stale.is_empty() {
        out.push(finding(
            Severity::Warning,
            format!("stale: the node-trust pods on {} node(s) are from an older CA (rolling out): {}; until they are replaced those nodes have the old CA", stale.len(), listed(&stale)),
            wait.clone(),
        ));
    }
    let writing = nodes(NodeState::Writing);
    if !writing.is_empty() {
        out.push(finding(
            Severity::Warning,
            format!("rolling out: the node-trust pods on {} node(s) have not written the current CA yet (not Ready): {}", writing.len(), listed(&writing)),
            wait,
        ));
    }
    if let Some(note) = &info.note {
        out.push(finding(
            Severity::Info,
            format!("the node-trust DaemonSet {ns}/{name} is installed, but it {note}"),
            format!("grant list on nodes and pods in \"{ns}\" to check it, or: {prove}"),
        ));
    } else if out.is_empty() {
        let trusted = nodes(NodeState::Trusted);
        let not_ready = nodes(NodeState::NodeNotReady);
        out.push(finding(
            Severity::Info,
            format!(
                "the node-trust DaemonSet {ns}/{name} has written the runner's CA on all {} Ready node(s){}",
                trusted.len(),
                if not_ready.is_empty() {
                    String::new()
                } else {
                    format!(" ({} NotReady node(s) not counted: {})", not_ready.len(), listed(&not_ready))
                }
            ),
            format!("nothing to do; {prove}"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::node_trust::{NodeTrustRow, node_rows};
    use serde_json::json;

    fn info(rows: Vec<NodeTrustRow>) -> NodeTrustInfo {
        NodeTrustInfo {
            installed: true,
            registries: vec!["registry.example.com:5000".into()],
            nodes: rows,
            ca_pem: Some("CA".into()),
            ..NodeTrustInfo::not_installed("node-trust", "kube-system")
        }
    }

    /// A node: its name, whether it is Ready, and its pod (Ready, hash) if any.
    type NodeSpec<'a> = (&'a str, bool, Option<(bool, &'a str)>);

    /// The rows as `status` shows them: THE per-node rule over nodes and pods.
    fn rows(states: &[NodeSpec<'_>]) -> Vec<NodeTrustRow> {
        let nodes: Vec<_> = states
            .iter()
            .map(|(n, ready, _)| json!({"metadata": {"name": n}, "status": {"conditions": [{"type": "Ready", "status": if *ready {"True"} else {"False"}}]}}))
            .collect();
        let pods: Vec<_> = states
            .iter()
            .filter_map(|(n, _, pod)| pod.map(|(ready, hash)| json!({
                "metadata": {"name": format!("p-{n}"), "annotations": {crate::runner::node_trust::TRUST_HASH_ANNOTATION: hash}},
                "spec": {"nodeName": n},
                "status": {"conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})))
            .collect();
        node_rows(&nodes, &pods, "h1")
    }

    fn runner<'a>(ca: &'a [u8], regs: &'a [NodeRegistry]) -> RunnerTrust<'a> {
        RunnerTrust {
            tls_secret: "Secret/porch-system/registry-tls-secret",
            ca: Some(ca),
            registries: regs,
        }
    }

    fn summary(f: &[Finding]) -> Vec<(Severity, String)> {
        f.iter().map(|f| (f.severity, f.message.clone())).collect()
    }

    #[test]
    fn every_ready_node_trusted_is_one_info() {
        let regs = [NodeRegistry::parse("registry.example.com:5000").unwrap()];
        let i = info(rows(&[
            ("a", true, Some((true, "h1"))),
            ("b", true, Some((true, "h1"))),
            ("c", false, None),
        ]));
        let f = node_trust_findings(&i, runner(b"CA", &regs));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(f[0].rule, rules::NODE_CA_TRUST);
        assert_eq!(f[0].object, "DaemonSet/kube-system/node-trust");
        assert!(
            f[0].message
                .contains("on all 2 Ready node(s) (1 NotReady node(s) not counted: c)"),
            "{f:#?}"
        );
    }

    #[test]
    fn missing_stale_and_writing_nodes_as_status_shows_them() {
        let regs = [NodeRegistry::parse("registry.example.com:5000").unwrap()];
        let i = info(rows(&[
            ("a", true, Some((true, "h1"))),
            ("b", true, Some((true, "h0"))),
            ("c", true, None),
            ("d", true, Some((false, "h1"))),
            ("e", false, Some((false, "h0"))),
        ]));
        let f = node_trust_findings(&i, runner(b"CA", &regs));
        let s = summary(&f);
        assert_eq!(
            s.iter().map(|(sev, _)| *sev).collect::<Vec<_>>(),
            [Severity::Error, Severity::Warning, Severity::Warning],
            "{f:#?}"
        );
        assert!(
            s[0].1.starts_with("1 Ready node(s) have no node-trust pod") && s[0].1.contains(": c;"),
            "{s:?}"
        );
        assert!(
            s[1].1.starts_with("stale:") && s[1].1.contains(": b;"),
            "{s:?}"
        );
        assert!(
            s[2].1.starts_with("rolling out:") && s[2].1.ends_with(": d"),
            "{s:?}"
        );
        assert!(f[1].fix.contains("rollout status daemonset/node-trust"));
    }

    #[test]
    fn another_ca_or_registry_than_the_runners() {
        let regs = [
            NodeRegistry::parse("registry.example.com:5000").unwrap(),
            NodeRegistry::parse("other.example.com").unwrap(),
        ];
        let i = info(rows(&[("a", true, Some((true, "h1")))]));
        let f = node_trust_findings(&i, runner(b"NEW CA", &regs));
        let s = summary(&f);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].0, Severity::Warning);
        assert!(
            s[0].1.contains(
                "writes a CA other than the runner's Secret/porch-system/registry-tls-secret"
            ),
            "{s:?}"
        );
        assert_eq!(s[1].0, Severity::Info);
        assert!(
            s[1].1.contains("writes no CA for other.example.com "),
            "{s:?}"
        );
        // The runner's CA unreadable: not compared.
        let f = node_trust_findings(
            &i,
            RunnerTrust {
                ca: None,
                ..runner(b"", &regs[..1])
            },
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn not_installed_or_unreadable_is_a_reminder() {
        let none = NodeTrustInfo::not_installed("node-trust", "kube-system");
        let f = node_trust_findings(&none, runner(b"CA", &[]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(
            f[0].message
                .starts_with("no node-trust DaemonSet kube-system/node-trust")
        );
        assert!(f[0].fix.contains("kubectl porch-registry node-trust"));
        let unreadable = NodeTrustInfo {
            note: Some("cannot read it: forbidden".into()),
            ..none
        };
        let f = node_trust_findings(&unreadable, runner(b"CA", &[]));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("cannot read it: forbidden"), "{f:#?}");
        // Installed, but the nodes or pods cannot be listed: said, never "all trusted".
        let partly = NodeTrustInfo {
            note: Some("cannot tell per node: forbidden".into()),
            ..info(vec![])
        };
        let f = node_trust_findings(&partly, runner(b"CA", &[]));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("cannot tell per node"), "{f:#?}");
    }
}
