//! `node-trust remove`: switch the DaemonSet's pods to their cleanup (an update of the pod
//! template: each node's new pod removes only the files it wrote, by their marker) and wait
//! for that rollout, then delete the DaemonSet (foreground: its pods go first), wait until
//! its pods are gone, then the ConfigMap (the pods' script) and the ServiceAccount. The
//! files outlive a pod otherwise (a rollout or restart leaves no gap in a node's trust).
//! Nothing there: exit 0, saying so.

use std::time::{Duration, Instant};

use crate::cluster::{Kind, Kube, connect, rbac, rollout};
use crate::error::{Error, Result};
use crate::runner::node_trust::{self, NAME_LABEL};
use crate::runner::options::DryRun;
use crate::settings::NodeTrustRemove;
use crate::ui;

/// In deletion order.
const KINDS: [Kind; 3] = [Kind::DaemonSet, Kind::ConfigMap, Kind::ServiceAccount];

pub fn run(s: &NodeTrustRemove) -> Result<()> {
    let (ns, name) = (s.namespace.as_str(), s.name.as_str());
    let kube = &connect(&s.cluster)?;
    if !kube.namespace_exists(ns).unwrap_or(true) {
        crate::outln!(
            "nothing to remove: namespace \"{ns}\" does not exist on {}",
            kube.server
        );
        return Ok(());
    }
    let mut present = vec![];
    let mut daemonset = None;
    for kind in KINDS {
        if let Some(o) = kube.get_opt(kind, ns, name)? {
            if kind == Kind::DaemonSet {
                daemonset = Some(o);
            }
            present.push(kind);
        }
    }
    let cleanup = daemonset.as_ref().and_then(node_trust::cleanup_mode);
    if present.is_empty() {
        crate::outln!(
            "nothing to remove: no daemonset, configmap or serviceaccount \"{name}\" in namespace \"{ns}\""
        );
        return Ok(());
    }
    if s.dry_run == DryRun::Client {
        if cleanup.is_some() {
            crate::outln!("daemonset.apps/{name} switched to cleanup (dry run)");
        }
        for kind in &present {
            crate::outln!("{} \"{name}\" deleted (dry run)", kind.short());
        }
        return Ok(());
    }
    let mut checks: Vec<(&str, &str, &str, &str)> = present
        .iter()
        .map(|k| match k {
            Kind::DaemonSet => ("delete", "apps", "daemonsets", ns),
            Kind::ConfigMap => ("delete", "", "configmaps", ns),
            _ => ("delete", "", "serviceaccounts", ns),
        })
        .collect();
    if cleanup.is_some() {
        checks.insert(0, ("update", "apps", "daemonsets", ns));
    }
    rbac::review_steps(kube, &checks)?;
    let server_dry = s.dry_run == DryRun::Server;
    let suffix = if server_dry { " (server dry run)" } else { "" };
    // 1. Each node's pod removes the files it wrote; then the DaemonSet may go.
    if let Some(ds) = &cleanup {
        kube.replace(Kind::DaemonSet, ns, ds, server_dry)?;
        crate::outln!(
            "daemonset.apps/{name} switched to cleanup{suffix} (each node's pod removes the files it wrote)"
        );
    }
    if daemonset.is_some() && !server_dry {
        if s.rollout.wait {
            rollout::wait_for_daemonset(kube, ns, name, s.rollout.timeout).map_err(|e| match e {
                Error::Timeout(m) => Error::Timeout(format!(
                    "{m}; nothing was deleted yet, so that every node's pod can finish its cleanup: run `kubectl porch-registry node-trust remove` again, or with --wait=false to delete it anyway (nodes whose pod did not clean up keep the files)"
                )),
                other => other,
            })?;
        } else {
            ui::warn(
                "--wait=false: the DaemonSet is deleted without waiting for its pods' cleanup; nodes whose pod had not run it keep the CA files",
            );
        }
    }
    // 2. Delete, the DaemonSet first.
    for kind in present {
        let foreground = kind == Kind::DaemonSet;
        if kube.delete_with(kind, ns, name, server_dry, foreground)? {
            crate::outln!("{} \"{name}\" deleted{suffix}", kind.short());
        }
        if foreground && s.rollout.wait && !server_dry {
            wait_for_pods(kube, ns, name, s.rollout.timeout)?;
        }
    }
    Ok(())
}

/// Wait until the DaemonSet and its pods are gone.
fn wait_for_pods(kube: &Kube, ns: &str, name: &str, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    let selector = format!("{NAME_LABEL}={name}");
    let mut last = String::new();
    loop {
        let ds = kube.get_opt(Kind::DaemonSet, ns, name)?;
        let pods = kube.list_labelled(Kind::Pod, ns, &selector)?;
        if ds.is_none() && pods.is_empty() {
            return Ok(());
        }
        let line = format!(
            "Waiting for the {} pod(s) of daemon set \"{name}\" to finish their cleanup...",
            pods.len()
        );
        if line != last {
            ui::info(&line);
            last = line;
        }
        if start.elapsed() >= timeout {
            let names: Vec<&str> = pods
                .iter()
                .filter_map(|p| p["metadata"]["name"].as_str())
                .collect();
            return Err(Error::Timeout(format!(
                "the pods of daemon set \"{name}\" in namespace \"{ns}\" were not gone within {}s ({}); configmap and serviceaccount \"{name}\" are kept for them: run `kubectl porch-registry node-trust remove` again once they are gone, or raise --timeout",
                timeout.as_secs(),
                if names.is_empty() {
                    "the daemon set is still being deleted".to_string()
                } else {
                    format!("left: {}", names.join(", "))
                }
            )));
        }
        std::thread::sleep(Duration::from_millis(400));
    }
}
