//! `status`: the runner's private-registry configuration as the cluster has it. The story:
//! connect, read the Deployment, its Secrets, the runner's copy and the rollout ([`live`]),
//! print the report (table, JSON or YAML).

pub mod live;

use comfy_table::{ContentArrangement, Table};

use crate::cluster;
use crate::error::Result;
use crate::settings::Status;
use crate::ui::output::{self, Report};
use live::StatusReport;

pub fn run(args: &Status) -> Result<()> {
    let kube = cluster::connect(&args.runner.cluster)?;
    let report = live::status_report(
        &kube,
        &args.runner.namespace,
        &args.runner.target.deployment,
        &args.runner.target.container,
        &args.fn_namespace,
    )?;
    output::print_report(&report, args.output)
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
    format!("{t}\n")
}
