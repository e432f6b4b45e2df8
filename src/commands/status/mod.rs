//! `status`: the runner's private-registry configuration as the cluster has it. The story:
//! connect, read the Deployment, its Secrets, the runner's copy and the rollout ([`live`]),
//! print the report (table, JSON or YAML).

pub mod live;

use comfy_table::{ContentArrangement, Table};

use crate::cluster;
use crate::commands::fleet;
use crate::commands::node_trust::state as node_trust;
use crate::error::Result;
use crate::settings::{Fleet, Status};
use crate::ui::output::{self, Report};
use live::StatusReport;

pub fn run(args: &Status) -> Result<()> {
    if let Some(fleet) = &args.fleet {
        return run_fleet(args, fleet);
    }
    let kube = cluster::connect(&args.runner.cluster)?;
    let mut report = live::status_report(
        &kube,
        &args.runner.namespace,
        &args.runner.target.deployment,
        &args.runner.target.container,
        &args.fn_namespace,
    )?;
    report.node_trust = Some(node_trust::read(
        &kube,
        &args.node_trust.namespace,
        &args.node_trust.name,
    ));
    output::print_report(&report, args.output)
}

/// `status` across several contexts: each cluster read concurrently, then one summary table
/// (or one JSON/YAML entry per context), exit code the most severe of the clusters'.
fn run_fleet(args: &Status, fleet: &Fleet) -> Result<()> {
    let contexts = fleet::contexts(fleet)?;
    let namespace = args.runner.namespace.to_string();
    let deployment = args.runner.target.deployment.clone();
    let container = args.runner.target.container.clone();
    let fn_namespace = args.fn_namespace.to_string();
    let trust = args.node_trust.clone();
    let outcomes = fleet::run_each(fleet, &contexts, |options| {
        let kube = cluster::connect(&options)?;
        let mut r = live::status_report(&kube, &namespace, &deployment, &container, &fn_namespace)?;
        r.node_trust = Some(node_trust::read(&kube, &trust.namespace, &trust.name));
        Ok(r)
    });
    let report = fleet::FleetReport { outcomes };
    output::print_report(&report, args.output)?;
    fleet::verdict(&report.outcomes)
}

impl fleet::ClusterReport for StatusReport {
    const KEY: &'static str = "status";
    fn rollout(&self) -> String {
        self.rollout.state.clone()
    }
    fn findings(&self) -> Vec<String> {
        findings(self)
    }
}

/// What needs attention in one cluster's configuration, one short line each (the
/// FINDINGS column): the runner exits, ignored arguments, a Secret missing or unreadable,
/// the runner's copy still holding an old credential.
pub fn findings(r: &StatusReport) -> Vec<String> {
    let mut f = Vec::new();
    if !r.private_registries {
        f.push("private registries disabled".to_string());
    }
    if r.runner_exits.is_some() {
        f.push("RUNNER EXITS at start-up (its arguments)".to_string());
    } else if !r.ignored_args.is_empty() {
        f.push(format!("runner ignores {}", r.ignored_args.join(" ")));
    }
    if r.private_registries && r.auth_secret.is_none() {
        f.push("no auth secret mounted".to_string());
    }
    for (label, s) in [
        ("auth secret", &r.auth_secret),
        ("TLS secret", &r.tls_secret),
    ] {
        if let Some(s) = s {
            if !s.exists {
                f.push(format!("{label} {} MISSING", s.name));
            }
            for p in &s.problems {
                f.push(format!("{label} {}: {p}", s.name));
            }
            for c in &s.certificates {
                for w in &c.warnings {
                    f.push(format!("{label} {}: {w}", s.name));
                }
            }
        }
    }
    for o in r.managed_elsewhere.iter().filter(|o| o.conflicts()) {
        f.push(format!(
            "{} {} owned by \"{}\" ({})",
            o.object, o.field, o.manager, o.operation
        ));
    }
    if r.fn_copy.matches == Some(false) {
        f.push(format!(
            "runner's copy {}/{} STALE: still the old credential",
            r.fn_copy.namespace, r.fn_copy.name
        ));
    }
    if let Some(nt) = &r.node_trust {
        let missing = nt.untrusted();
        if !missing.is_empty() {
            f.push(format!(
                "node trust: {} of {} node(s) without the current CA",
                missing.len(),
                nt.nodes.len()
            ));
        }
    }
    f
}

impl Report for StatusReport {
    fn table(&self) -> String {
        render_table(self)
    }
}

/// One table: item, value.
pub fn render_table(r: &StatusReport) -> String {
    let mut t = Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(vec!["ITEM", "VALUE"]);
    t.add_row(vec![
        "deployment".to_string(),
        format!(
            "{}/{} (container {}, image {}, service account {})",
            r.namespace, r.deployment, r.container, r.image, r.service_account
        ),
    ]);
    t.add_row(vec![
        "private registries".to_string(),
        format!(
            "{}{}",
            if r.private_registries {
                "enabled"
            } else {
                "disabled"
            },
            if r.tls {
                ", custom CA (TLS) enabled"
            } else {
                ""
            }
        ),
    ]);
    if r.flags.is_empty() {
        t.add_row(vec!["flags", "(none of the private-registry flags)"]);
    }
    for f in &r.flags {
        t.add_row(vec![format!("flag {}", f.name), f.value.clone()]);
    }
    if let Some(exit) = &r.runner_exits {
        t.add_row(vec![
            "RUNNER EXITS at start-up".to_string(),
            format!(
                "{exit} (Go's flag package rejects {}; nothing after it is applied)",
                r.ignored_args
                    .first()
                    .map(String::as_str)
                    .unwrap_or("the arguments")
            ),
        ]);
    } else if !r.ignored_args.is_empty() {
        t.add_row(vec![
            "IGNORED by the runner".to_string(),
            format!(
                "{} (Go flag parsing stops at the first positional argument; write booleans as --flag=true)",
                r.ignored_args.join(" ")
            ),
        ]);
    }
    for m in &r.mounts {
        t.add_row(vec![
            format!("mount {}", m.mount_path),
            format!(
                "secret {} (volume {}{})",
                m.secret,
                m.volume,
                if m.read_only {
                    ", read-only"
                } else {
                    ", WRITABLE"
                }
            ),
        ]);
    }
    let secret_row = |label: &str, s: &live::SecretInfo| -> (String, String) {
        let mut v = if s.exists {
            format!("{} ({})", s.name, s.type_.clone().unwrap_or_default())
        } else {
            format!("{} MISSING", s.name)
        };
        if !s.registries.is_empty() {
            v.push_str(&format!("\nregistries: {}", s.registries.join(", ")));
        }
        for c in &s.certificates {
            v.push_str(&format!(
                "\nCA: {} (expires {}{})",
                c.subject,
                c.not_after,
                if c.is_ca { "" } else { ", NOT a CA" }
            ));
            for w in &c.warnings {
                v.push_str(&format!("\n  warning: {w}"));
            }
        }
        for p in &s.problems {
            v.push_str(&format!("\nproblem: {p}"));
        }
        (label.to_string(), v)
    };
    match &r.auth_secret {
        Some(s) => {
            let (a, b) = secret_row("auth secret", s);
            t.add_row(vec![a, b]);
        }
        None if r.private_registries => {
            t.add_row(vec![
                "auth secret",
                "none mounted at the runner's auth path",
            ]);
        }
        None => {}
    }
    if let Some(s) = &r.tls_secret {
        let (a, b) = secret_row("TLS secret", s);
        t.add_row(vec![a, b]);
    }
    for o in &r.managed_elsewhere {
        let what = if o.conflicts() {
            "setup and remove meet a conflict (exit 10) unless --force-conflicts; hand it over in that manager's source"
        } else {
            "an update, not an apply: setup takes it over"
        };
        t.add_row(vec![
            format!("managed by {}", o.manager),
            format!("{} {} ({}): {what}", o.object, o.field, o.operation),
        ]);
    }
    let copy = &r.fn_copy;
    let copy_state = match (copy.exists, copy.matches) {
        (Some(true), Some(true)) => "matches the auth secret".to_string(),
        (Some(true), Some(false)) => {
            "STALE: differs from the auth secret (run setup again or restart the runner)".into()
        }
        (Some(true), None) => "exists".into(),
        (Some(false), _) => "absent".into(),
        (None, _) => "unknown".into(),
    };
    t.add_row(vec![
        "function-namespace copy".to_string(),
        format!(
            "{}/{}: {}{}",
            copy.namespace,
            copy.name,
            copy_state,
            copy.note
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
    ]);
    let ro = &r.rollout;
    t.add_row(vec![
        "rollout".to_string(),
        format!(
            "{} (generation {}, observed {}; replicas {}: {} updated, {} ready, {} available)",
            ro.state,
            ro.generation,
            ro.observed_generation,
            ro.replicas,
            ro.updated_replicas,
            ro.ready_replicas,
            ro.available_replicas
        ),
    ]);
    if let Some(nt) = &r.node_trust {
        let mut v = format!("daemonset {}/{}", nt.namespace, nt.name);
        if !nt.installed {
            v.push_str(
                ": not installed (kubectl porch-registry node-trust makes the nodes trust the CA)",
            );
        }
        if !nt.registries.is_empty() {
            v.push_str(&format!("\nregistries: {}", nt.registries.join(", ")));
        }
        if let Some(ro) = &nt.rollout {
            v.push_str(&format!("\nrollout: {ro}"));
        }
        for n in &nt.nodes {
            v.push_str(&format!(
                "\nnode {}: {}{}",
                n.node,
                n.state,
                n.pod
                    .as_ref()
                    .map(|p| format!(" (pod {p})"))
                    .unwrap_or_default()
            ));
        }
        if let Some(note) = &nt.note {
            v.push_str(&format!("\n{note}"));
        }
        t.add_row(vec!["node trust".to_string(), v]);
    }
    format!("{t}\n")
}
