//! `node-trust` (`--method daemonset`): the ServiceAccount, the CA ConfigMap and the
//! DaemonSet by server-side apply, in that order, after checking that the namespace exists,
//! that Pod Security admission lets the pods run there, and that RBAC allows each write;
//! then the DaemonSet's rollout. `--dry-run=client` prints the objects and sends nothing.

use serde_json::Value;

use super::TrustInput;
use crate::cluster::{Kind, Kube, connect, rbac, rollout};
use crate::commands::journal::Journal;
use crate::error::{Error, Result};
use crate::runner::node_trust::{self, PodSecurity};
use crate::runner::options::DryRun;
use crate::settings::NodeTrust;
use crate::ui;
use crate::ui::output::OutputFormat;

/// The kinds of [`node_trust::daemonset_objects`], in its order.
const KINDS: [Kind; 3] = [Kind::ServiceAccount, Kind::ConfigMap, Kind::DaemonSet];

pub fn apply(s: &NodeTrust, input: &TrustInput) -> Result<()> {
    let ns = s.namespace.as_str();
    let objects =
        node_trust::daemonset_objects(&s.name, ns, &s.image, &input.registries, &input.ca_pem);
    if s.dry_run == DryRun::Client {
        ui::output::print_objects(&objects, s.output.unwrap_or(OutputFormat::Yaml))?;
        super::print_steps(input, &client_steps(ns));
        return Ok(());
    }
    let server_dry = s.dry_run == DryRun::Server;
    let kube = &connect(&s.runner.cluster)?.writing_as(&s.writes);

    // 1. Before any change: the namespace, its Pod Security level, RBAC for each write.
    check_namespace(kube, ns)?;
    let checks: Vec<(&str, &str, &str, &str)> = vec![
        ("patch", "", "serviceaccounts", ns),
        ("patch", "", "configmaps", ns),
        ("patch", "apps", "daemonsets", ns),
    ];
    rbac::review_steps(kube, &checks)?;
    let mut existing = vec![];
    for (kind, obj) in KINDS.iter().zip(&objects) {
        existing.push(kube.get_opt(*kind, ns, name_of(obj))?);
    }

    // Each apply tried first (dryRun=All): a conflict with another field manager on the
    // ConfigMap or the DaemonSet stops here, before the ServiceAccount is written.
    if !server_dry {
        let all: Vec<(Kind, &Value)> = KINDS.iter().copied().zip(&objects).collect();
        crate::commands::ownership::preflight_applies(kube, ns, &all)?;
    }

    // 2. Apply, in order: the pods' account and CA exist before the DaemonSet.
    let suffix = if server_dry { " (server dry run)" } else { "" };
    let mut journal = Journal::default();
    let mut applied = vec![];
    for (i, ((kind, obj), before)) in KINDS.iter().zip(&objects).zip(&existing).enumerate() {
        let what = format!("{}/{}", kind.short(), name_of(obj));
        let after = match kube.apply(*kind, ns, obj, server_dry) {
            Ok(a) => a,
            Err(e) => {
                let pending: Vec<String> = KINDS[i..]
                    .iter()
                    .zip(&objects[i..])
                    .map(|(k, o)| format!("{}/{}", k.short(), name_of(o)))
                    .collect();
                journal.report_failure_in("node-trust", &format!("apply {what}"), &pending);
                return Err(e);
            }
        };
        let word = match before {
            None => "created",
            Some(b) if changed(b, &after) => "configured",
            Some(_) => "unchanged",
        };
        if !server_dry && word != "unchanged" {
            journal.push(
                format!("{what} {word}"),
                format!(
                    "kubectl porch-registry node-trust remove --namespace {ns} --name {}",
                    s.name
                ),
            );
        }
        let line = format!("{what} {word}{suffix}");
        match s.output {
            Some(_) => ui::info(&line),
            None => crate::outln!("{line}"),
        }
        applied.push(without_managed_fields(after));
    }
    if let Some(format) = s.output {
        ui::output::print_objects(&applied, format)?;
    }

    // 3. The rollout: every node's pod writes the CA and is Ready once it has.
    if server_dry {
        return Ok(());
    }
    if s.rollout.wait {
        if let Err(e) = rollout::wait_for_daemonset(kube, ns, &s.name, s.rollout.timeout) {
            if matches!(e, Error::Timeout(_)) {
                report_nodes(kube, ns, &s.name);
            }
            return Err(e);
        }
        let hosts: Vec<&str> = input.registries.iter().map(|r| r.as_str()).collect();
        ui::info(format_args!(
            "every scheduled node has written the CA of {} for {} (kubectl porch-registry status shows it per node)",
            input.ca_source,
            hosts.join(", ")
        ));
    }
    ui::info(
        "containerd reads certs.d only when its config.toml sets config_path: `kubectl logs` of a node-trust pod warns when it does not",
    );
    Ok(())
}

fn name_of(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

/// The steps after `--dry-run=client` (stderr).
fn client_steps(ns: &str) -> Vec<String> {
    vec![
        "kubectl apply -f - with these objects (pipe this output into it), or run node-trust without --dry-run".to_string(),
        format!(
            "it needs: a hostPath of each node's /etc (writable), root, and a namespace Pod Security admission lets run it: {}",
            PodSecurity::label_command(ns)
        ),
        "on every node it writes ca.crt under the certs.d of containerd, CRI-O/podman and Docker where that runtime's folder exists; a new CA rolls the pods, which write it; deleting the DaemonSet removes only the files it wrote".to_string(),
        "containerd reads certs.d only when its config.toml sets config_path (the pods' logs warn when it does not)".to_string(),
    ]
}

/// The namespace must exist, and Pod Security admission must admit privileged pods there
/// (a hostPath of `/etc`, root). We say what to label; we never label it ourselves.
fn check_namespace(kube: &Kube, ns: &str) -> Result<()> {
    let n = match kube.get_opt(Kind::Namespace, "", ns) {
        Ok(Some(n)) => n,
        Ok(None) => {
            return Err(Error::not_found(format!(
                "namespace \"{ns}\" does not exist on {}; create it (kubectl create namespace {ns}) or pass another one with --namespace; nothing was changed",
                kube.server
            )));
        }
        Err(Error::Forbidden(_)) => {
            ui::warn(format_args!(
                "RBAC forbids reading namespace \"{ns}\": its Pod Security labels are not checked (the pods need the privileged level: {})",
                PodSecurity::label_command(ns)
            ));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    match PodSecurity::of(n.pointer("/metadata/labels").and_then(Value::as_object)) {
        PodSecurity::Privileged => Ok(()),
        PodSecurity::Unlabelled => {
            ui::info(format_args!(
                "namespace \"{ns}\" has no {} label: the cluster's default Pod Security level applies (privileged unless an admin set another); if the pods are refused, run: {}",
                node_trust::PSA_ENFORCE,
                PodSecurity::label_command(ns)
            ));
            Ok(())
        }
        PodSecurity::Refused(level) => Err(Error::usage(format!(
            "namespace \"{ns}\" enforces Pod Security level \"{level}\", which refuses the node-trust pods (a hostPath volume of /etc, root); allow them with `{}` or pass a namespace that does with --namespace; nothing was changed",
            PodSecurity::label_command(ns)
        ))),
    }
}

/// Whether an apply changed the object (server-owned metadata and status aside): the
/// answer of a dry run says so too.
fn changed(before: &Value, after: &Value) -> bool {
    comparable(before) != comparable(after)
}

fn comparable(v: &Value) -> Value {
    let mut v = without_managed_fields(v.clone());
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("generation");
    }
    if let Some(m) = v.as_object_mut() {
        m.remove("status");
    }
    v
}

fn without_managed_fields(mut v: Value) -> Value {
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    v
}

/// After a timed-out rollout: which nodes have no Ready pod with the current CA (stderr).
fn report_nodes(kube: &Kube, ns: &str, name: &str) {
    for row in super::state::read(kube, ns, name).untrusted() {
        ui::info(format_args!(
            "  node {}: {}{}",
            row.node,
            row.state,
            row.pod
                .as_ref()
                .map(|p| format!(" (pod {p})"))
                .unwrap_or_default()
        ));
    }
}
