//! Live `remove`: take the configuration out of the Deployment (the same plan as offline
//! `remove`), then with `--delete-secrets` delete the Secrets and the runner's copy.

use serde::Serialize;

use crate::cluster::writes::for_apply;
use crate::cluster::{Kind, connect, read_deployment, rollout};
use crate::commands::fleet::{ClusterReport, ErrorInfo, Pass};
use crate::commands::journal::Journal;
use crate::error::{Error, Result};
use crate::runner::options::DryRun;
use crate::runner::view::runner_view;
use crate::settings::RemoveLive;

/// One cluster's `remove` in a run across clusters (its JSON entry: `remove`).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRemove {
    pub server: String,
    /// The plan as the confirmation shows it.
    #[serde(skip)]
    pub plan: String,
    /// One line per object changed (or, with --dry-run=client, per object planned).
    pub changed: Vec<String>,
    pub rollout: String,
    #[serde(skip)]
    pub problem: Option<ErrorInfo>,
}

impl ClusterReport for ClusterRemove {
    const KEY: &'static str = "remove";
    fn changed(&self) -> Option<Vec<String>> {
        Some(self.changed.clone())
    }
    fn rollout(&self) -> String {
        self.rollout.clone()
    }
    fn findings(&self) -> Vec<String> {
        vec![]
    }
    fn problem(&self) -> Option<ErrorInfo> {
        self.problem.clone()
    }
}

/// A result line: printed when alone, collected for the summary otherwise.
macro_rules! say {
    ($report:expr, $pass:expr, $($arg:tt)*) => {{
        let line = format!($($arg)*);
        if $pass == Pass::Alone {
            crate::outln!("{line}");
        } else {
            $report.changed.push(line);
        }
    }};
}

/// Live `remove`.
pub(super) fn run(args: &RemoveLive) -> Result<()> {
    flow(args, Pass::Alone).map(|_| ())
}

/// The flow of live `remove` on one cluster (see [`Pass`]).
pub(super) fn flow(args: &RemoveLive, pass: Pass) -> Result<ClusterRemove> {
    let mut report = ClusterRemove::default();
    let timeout = args.rollout.timeout;
    let kube = connect(&args.runner.cluster)?.writing_as(&args.writes);
    report.server = kube.server.clone();
    let ns = args.runner.namespace.as_str();
    let (dep, ctr) = (
        args.runner.target.deployment.as_str(),
        args.runner.target.container.as_str(),
    );
    let live = read_deployment(&kube, ns, dep)?;
    let before = runner_view(&live, ctr)?;
    let plan = crate::runner::plan::plan_remove(&live, &args.runner.target, &args.desired)?;
    let mut patched = live.clone();
    plan.apply_to_value(&mut patched)?;
    if pass != Pass::Apply {
        for n in &plan.notes {
            crate::ui::warn(n);
        }
    }
    let changes = match (plan.is_empty(), plan.changes.is_empty()) {
        (true, _) => vec![],
        (false, true) => vec!["remove the private-registry flags, volumes and mounts".to_string()],
        (false, false) => plan.changes.clone(),
    };
    // The Secrets the removed configuration used (from the volumes the plan takes out).
    let mut secrets: Vec<String> = vec![];
    if args.delete_secrets {
        let after = runner_view(&patched, ctr).unwrap_or_default();
        for m in &before.mounts {
            if !after.mounts.iter().any(|a| a.secret == m.secret) && !secrets.contains(&m.secret) {
                secrets.push(m.secret.clone());
            }
        }
        for name in [&args.config.auth_secret_name]
            .into_iter()
            .chain(args.config.tls_secret_name.as_ref())
        {
            if !secrets.contains(name) && !after.mounts.iter().any(|a| &a.secret == name) {
                secrets.push(name.clone());
            }
        }
    }
    let fn_ns = before
        .pod_namespace()
        .unwrap_or(args.fn_namespace.as_str())
        .to_string();
    let copy = args
        .config
        .registry_auth_secret_name
        .clone()
        .unwrap_or_else(|| before.copy_name().to_string());

    if args.dry_run != DryRun::Client && !changes.is_empty() {
        crate::commands::ownership::deployment_guard(&args.writes, &live, &patched, ns, dep, ctr)?;
    }
    if args.dry_run == DryRun::Client && pass != Pass::Alone {
        report.changed.push(format!(
            "deployment.apps/{dep} would be {} (dry run)",
            if changes.is_empty() {
                "unchanged"
            } else {
                "configured"
            }
        ));
        for s in &secrets {
            report
                .changed
                .push(format!("secret/{s} would be deleted (dry run)"));
        }
        if args.delete_secrets {
            report.changed.push(format!(
                "secret/{copy} in namespace \"{fn_ns}\" would be deleted (dry run)"
            ));
        }
        report.rollout = "-".into();
        return Ok(report);
    }
    if args.dry_run == DryRun::Client {
        crate::ui::output::print_objects(&[for_apply(&patched)], args.output)?;
        crate::ui::info(format!(
            "deployment.apps/{dep} would be {} (dry run)",
            if changes.is_empty() {
                "unchanged"
            } else {
                "configured"
            }
        ));
        for c in &changes {
            crate::ui::info(format!("  - {c}"));
        }
        for s in &secrets {
            crate::ui::info(format!("secret/{s} would be deleted (dry run)"));
        }
        if args.delete_secrets {
            crate::ui::info(format!(
                "secret/{copy} in namespace \"{fn_ns}\" would be deleted (dry run)"
            ));
        }
        return Ok(report);
    }
    let server_dry = args.dry_run == DryRun::Server;
    let mut summary = format!(
        "Cluster {} (context {}), namespace \"{ns}\":\n",
        crate::ui::output::printable(&kube.server),
        crate::ui::output::printable(&kube.context)
    );
    if changes.is_empty() {
        summary.push_str(&format!(
            "  deployment.apps/{dep}: unchanged (not configured)\n"
        ));
    } else {
        summary.push_str(&format!(
            "  deployment.apps/{dep}: remove the private-registry configuration (pods restart)\n"
        ));
        for c in &changes {
            summary.push_str(&format!("    - {c}\n"));
        }
    }
    for s in &secrets {
        summary.push_str(&format!("  secret/{s}: delete\n"));
    }
    if args.delete_secrets {
        summary.push_str(&format!(
            "  secret/{copy} in namespace \"{fn_ns}\": delete (the runner's copy)\n"
        ));
    }
    if pass == Pass::Plan {
        report.plan = summary;
        return Ok(report);
    }
    if pass == Pass::Alone && !server_dry && !crate::ui::wizard::confirm(&summary, args.yes)? {
        return Err(Error::cancelled("remove cancelled; nothing was changed"));
    }
    let suffix = if server_dry { " (server dry run)" } else { "" };
    let mut journal = Journal::default();
    if changes.is_empty() {
        if pass == Pass::Alone {
            crate::outln!("deployment.apps/{dep} unchanged{suffix}");
        }
    } else {
        kube.replace(Kind::Deployment, ns, &patched, server_dry)
            .inspect_err(|_| {
                journal.report_failure_in(
                    "remove",
                    &format!("update deployment.apps/{dep}"),
                    &[format!("deployment.apps/{dep} (still configured)")],
                )
            })?;
        journal.push(
            format!("deployment.apps/{dep} no longer uses private registries"),
            "run `kubectl porch-registry setup` again to restore it".to_string(),
        );
        say!(report, pass, "deployment.apps/{dep} configured{suffix}");
    }
    // Secrets after the Deployment no longer points at them.
    let mut targets: Vec<(String, String)> = secrets
        .iter()
        .map(|s| (ns.to_string(), s.clone()))
        .collect();
    if args.delete_secrets {
        targets.push((fn_ns.clone(), copy.clone()));
    }
    for (i, (sns, name)) in targets.iter().enumerate() {
        match kube.delete(Kind::Secret, sns, name, server_dry) {
            Ok(true) => {
                say!(
                    report,
                    pass,
                    "secret/{name} deleted from namespace \"{sns}\"{suffix}"
                );
                journal.push(
                    format!("secret/{name} deleted from \"{sns}\""),
                    format!("re-create secret/{name} with `kubectl porch-registry setup`"),
                );
            }
            Ok(false) if pass == Pass::Alone => {
                crate::outln!("secret/{name} not found in namespace \"{sns}\" (nothing to delete)")
            }
            Ok(false) => {}
            Err(e) => {
                let pending: Vec<String> = targets[i..]
                    .iter()
                    .map(|(n, s)| format!("secret/{s} in \"{n}\" not deleted"))
                    .collect();
                journal.report_failure_in(
                    "remove",
                    &format!("delete secret/{name} in \"{sns}\""),
                    &pending,
                );
                return Err(e);
            }
        }
    }
    // Nothing to restart, but an earlier change of the Deployment still rolling out (a setup
    // with --wait=false, a stuck rollout): old runner pods still run, with the configuration
    // being removed, as `setup` says in the same case.
    let earlier = rollout::unfinished(&live);
    if server_dry {
        report.rollout = "- (server dry run)".into();
    } else if changes.is_empty()
        && let Some(m) = earlier
    {
        if pass == Pass::Alone {
            crate::ui::warn(format!(
                "deployment.apps/{dep} is still rolling out from an earlier change ({m}): old runner pods still run; watch it with `kubectl -n {ns} rollout status deployment/{dep}`"
            ));
        }
        report.rollout = format!("no restart needed, but an earlier rollout is not done: {m}");
    } else if changes.is_empty() {
        report.rollout = "no restart needed".into();
    } else if !args.rollout.wait {
        report.rollout = "not waited for (--wait=false)".into();
    } else if pass == Pass::Alone {
        rollout::wait_for_rollout(&kube, ns, dep, timeout)?;
    } else {
        // Across clusters: a rollout that does not finish is this cluster's outcome (exit 9
        // or 5), with what changed.
        match rollout::wait_for_rollout_quietly(&kube, ns, dep, timeout) {
            Ok(()) => report.rollout = "complete".into(),
            Err(e) => {
                report.rollout = if matches!(e, Error::Timeout(_)) {
                    "TIMED OUT"
                } else {
                    "FAILED"
                }
                .into();
                report.problem = Some(ErrorInfo::of(&e));
            }
        }
    }
    Ok(report)
}
