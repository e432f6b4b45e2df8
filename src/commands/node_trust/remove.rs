//! `node-trust remove`: delete the DaemonSet (foreground: its pods go first, and each pod's
//! preStop removes only the files it wrote, by their marker), wait until its pods are gone,
//! then delete the ConfigMap (the pods' script and CA, needed by that cleanup) and the
//! ServiceAccount. Nothing there: exit 0, saying so.

use std::time::{Duration, Instant};

use crate::cluster::{Kind, Kube, connect, rbac};
use crate::error::{Error, Result};
use crate::runner::node_trust::NAME_LABEL;
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
    for kind in KINDS {
        if kube.get_opt(kind, ns, name)?.is_some() {
            present.push(kind);
        }
    }
    if present.is_empty() {
        crate::outln!(
            "nothing to remove: no daemonset, configmap or serviceaccount \"{name}\" in namespace \"{ns}\""
        );
        return Ok(());
    }
    if s.dry_run == DryRun::Client {
        for kind in &present {
            crate::outln!("{} \"{name}\" deleted (dry run)", kind.short());
        }
        return Ok(());
    }
    let checks: Vec<(&str, &str, &str, &str)> = present
        .iter()
        .map(|k| match k {
            Kind::DaemonSet => ("delete", "apps", "daemonsets", ns),
            Kind::ConfigMap => ("delete", "", "configmaps", ns),
            _ => ("delete", "", "serviceaccounts", ns),
        })
        .collect();
    rbac::review_steps(kube, &checks)?;
    let server_dry = s.dry_run == DryRun::Server;
    let suffix = if server_dry { " (server dry run)" } else { "" };
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

/// Wait until the DaemonSet and its pods are gone (each pod's preStop has cleaned its node).
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
                "the pods of daemon set \"{name}\" in namespace \"{ns}\" were not gone within {}s ({}); configmap and serviceaccount \"{name}\" are kept for their cleanup: run `kubectl porch-registry node-trust remove` again once they are gone, or raise --timeout",
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
