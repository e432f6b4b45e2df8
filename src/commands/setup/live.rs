//! Live `setup`: Secrets first (server-side apply), then the Deployment patch (the same plan as
//! offline `patch`), the runner's copy in the function namespace on rotation, and the rollout.
//! A step that fails half way reports what changed, what did not, and how to undo it.

use serde::Serialize;
use serde_json::Value;

use super::SetupInputs;
use crate::cluster::{Kind, connect, rbac, read_deployment, rollout, writes};
use crate::commands::fleet::{ClusterReport, ErrorInfo};
use crate::commands::journal::Journal;
use crate::commands::ownership;
use crate::error::{Error, Result};
use crate::runner::fleet::{CopyRefresh, RolloutEnd, old_credential};
use crate::runner::options::DryRun;
use crate::runner::plan::plan_patch;
use crate::runner::secrets::DOCKERCONFIGJSON_KEY;
use crate::runner::view::runner_view;
use crate::settings::{Setup, SetupLive};
use crate::ui;

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Configured,
    Unchanged,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Configured => "configured",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// Whether `existing` already holds everything in `desired` (type and data).
pub fn secret_outcome(existing: Option<&Value>, desired: &Value) -> Outcome {
    let Some(ex) = existing else {
        return Outcome::Created;
    };
    let want_type = desired["type"].as_str().unwrap_or("Opaque");
    let have_type = ex["type"].as_str().unwrap_or("Opaque");
    let data_ok = desired["data"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| {
            ex.pointer(&format!(
                "/data/{}",
                k.replace('~', "~0").replace('/', "~1")
            )) == Some(v)
        });
    if want_type == have_type && data_ok {
        Outcome::Unchanged
    } else {
        Outcome::Configured
    }
}

fn name_of(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

pub(super) use crate::commands::fleet::Pass;

/// One cluster's `setup` in a run across clusters (its JSON entry: `setup`).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSetup {
    pub server: String,
    /// The plan as the confirmation shows it.
    #[serde(skip)]
    pub plan: String,
    /// One line per object written (or, with --dry-run=client, per object planned).
    pub changed: Vec<String>,
    pub rollout: String,
    /// After a rotation: why the runner may still run with the old credential (`None`: the
    /// new one is in use, or nothing was rotated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_credential: Option<String>,
    /// Whether the credential changed (or the runner's copy was stale).
    pub rotation: bool,
    #[serde(skip)]
    pub problem: Option<ErrorInfo>,
}

impl ClusterReport for ClusterSetup {
    const KEY: &'static str = "setup";
    fn changed(&self) -> Option<Vec<String>> {
        Some(self.changed.clone())
    }
    fn rollout(&self) -> String {
        self.rollout.clone()
    }
    fn findings(&self) -> Vec<String> {
        self.old_credential
            .iter()
            .map(|why| format!("STILL THE OLD CREDENTIAL: {why}"))
            .collect()
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

/// Live `setup`, from the gathered inputs (flags, env, stdin or the wizard).
pub(super) fn run(args: &Setup, live: &SetupLive, inputs: &SetupInputs) -> Result<()> {
    flow(args, live, inputs, Pass::Alone).map(|_| ())
}

/// The flow of live `setup` on one cluster (see [`Pass`]).
pub(super) fn flow(
    args: &Setup,
    live: &SetupLive,
    inputs: &SetupInputs,
    pass: Pass,
) -> Result<ClusterSetup> {
    let mut report = ClusterSetup::default();
    let ns = live.namespace.as_str();
    let (deployment, container) = (&args.target.deployment, &args.target.container);
    // 0. What to apply: the Secrets and the runner configuration, from the inputs.
    let mut secrets = vec![inputs.auth_secret(ns)];
    secrets.extend(inputs.tls_secret(ns));
    let desired = inputs.desired_config();
    let kube = &connect(&live.cluster)?.writing_as(&live.writes);
    report.server = kube.server.clone();
    // A TLS Secret named but not given (no --ca-file) must already exist.
    if let (None, Some(tls)) = (&inputs.ca, &desired.tls)
        && kube.get_opt(Kind::Secret, ns, &tls.secret_name)?.is_none()
    {
        return Err(Error::not_found(format!(
            "TLS secret \"{}\" does not exist in namespace \"{ns}\"; pass the CA with --ca-file so that setup creates it; nothing was changed",
            tls.secret_name
        )));
    }
    desired.validate()?;
    // The plan, as offline `patch` makes it: the patched Deployment, the lines of what
    // changes (empty: nothing to change) and notes about what it could not fix.
    let patch = |d: &Value| -> Result<(Value, Vec<String>, Vec<String>)> {
        let plan = plan_patch(d, &args.target, &desired)?;
        let mut out = d.clone();
        plan.apply_to_value(&mut out)?;
        let changes = match (plan.is_empty(), plan.changes.is_empty()) {
            (true, _) => vec![],
            (false, true) => vec!["update the runner's flags, volumes and mounts".to_string()],
            (false, false) => plan.changes,
        };
        Ok((out, changes, plan.notes))
    };

    // 1. Read everything and decide, before any change.
    let current = read_deployment(kube, ns, deployment)?;
    // No runner container is "not there" (exit 4), as for every live command.
    runner_view(&current, container)?;
    let (patched, changes, notes) = patch(&current)?;
    if pass != Pass::Apply {
        for n in &notes {
            crate::ui::warn(n);
        }
    }
    let view = runner_view(&patched, container)?;
    let mut existing = vec![];
    for sec in &secrets {
        let ex = kube.get_opt(Kind::Secret, ns, name_of(sec))?;
        if let Some(ex) = &ex {
            let (have, want) = (
                ex["type"].as_str().unwrap_or("Opaque"),
                sec["type"].as_str().unwrap_or("Opaque"),
            );
            if have != want {
                return Err(Error::usage(format!(
                    "secret \"{}\" in namespace \"{ns}\" exists with type {have}, but this setup needs type {want} and the API server does not allow changing a Secret's type; delete it (`kubectl -n {ns} delete secret {}`) or choose another name (--auth-secret-name / --tls-secret-name); nothing was changed",
                    name_of(sec),
                    name_of(sec)
                )));
            }
        }
        existing.push(ex);
    }
    let outcomes: Vec<Outcome> = secrets
        .iter()
        .zip(&existing)
        .map(|(sec, ex)| secret_outcome(ex.as_ref(), sec))
        .collect();
    let auth_changed = outcomes.first().copied() == Some(Outcome::Configured);
    let fn_ns = view
        .pod_namespace()
        .unwrap_or(live.fn_namespace.as_str())
        .to_string();
    let copy_name = view.copy_name().to_string();
    // The runner's copy: absent (the runner creates it), current, or stale.
    let copy = kube.get_opt(Kind::Secret, &fn_ns, &copy_name).ok();
    let copy_state = match &copy {
        Some(Some(c)) => {
            if c.pointer(&format!("/data/{DOCKERCONFIGJSON_KEY}"))
                == secrets[0].pointer(&format!("/data/{DOCKERCONFIGJSON_KEY}"))
            {
                "current"
            } else {
                "stale"
            }
        }
        Some(None) => "absent",
        None => "unreadable",
    };
    let copy_stale = copy_state == "stale";
    let refresh = auth_changed || copy_stale;
    report.rotation = refresh;

    // Fields a GitOps source applies are not taken silently (kubectl's rule for applies).
    if live.dry_run != DryRun::Client && !changes.is_empty() {
        ownership::deployment_guard(&live.writes, &current, &patched, ns, deployment, container)?;
    }

    // 2. dry-run=client: print the objects, send nothing.
    if live.dry_run == DryRun::Client && pass == Pass::Alone {
        let mut objs: Vec<Value> = secrets.iter().map(writes::for_apply).collect();
        objs.push(writes::for_apply(&patched));
        crate::ui::output::print_objects(&objs, args.output)?;
        for (sec, o) in secrets.iter().zip(&outcomes) {
            crate::ui::info(format!(
                "secret/{} would be {} (dry run)",
                name_of(sec),
                o.word()
            ));
        }
        crate::ui::info(format!(
            "deployment.apps/{} would be {} (dry run)",
            deployment,
            if changes.is_empty() {
                "unchanged"
            } else {
                "configured"
            }
        ));
        return Ok(report);
    }

    // 3. Summary and confirmation.
    let mut summary = format!(
        "Cluster {} (context {}), namespace \"{ns}\":\n",
        crate::ui::output::printable(&kube.server),
        crate::ui::output::printable(&kube.context)
    );
    for line in &inputs.summary_lines() {
        summary.push_str(&format!("  {line}\n"));
    }
    for (sec, o) in secrets.iter().zip(&outcomes) {
        summary.push_str(&format!(
            "  secret/{} ({}): {}\n",
            name_of(sec),
            sec["type"].as_str().unwrap_or("Opaque"),
            match o {
                Outcome::Created => "create",
                Outcome::Configured => "update",
                Outcome::Unchanged => "unchanged",
            }
        ));
    }
    if changes.is_empty() {
        summary.push_str(&format!("  deployment.apps/{}: unchanged\n", deployment));
    } else {
        summary.push_str(&format!(
            "  deployment.apps/{}: patch (pods restart)\n",
            deployment
        ));
        for c in &changes {
            summary.push_str(&format!("    - {c}\n"));
        }
    }
    match copy_state {
        "stale" => summary.push_str(&format!(
            "  runner's copy secret/{copy_name} in namespace \"{fn_ns}\": update (stale after the change)\n"
        )),
        "unreadable" if auth_changed => summary.push_str(&format!(
            "  runner's copy secret/{copy_name} in namespace \"{fn_ns}\": update if possible, else restart the runner\n"
        )),
        "absent" if auth_changed => summary.push_str(&format!(
            "  runner's copy secret/{copy_name} in namespace \"{fn_ns}\": absent (the runner creates it on its next image lookup)\n"
        )),
        _ => {}
    }
    let server_dry = live.dry_run == DryRun::Server;
    if pass == Pass::Plan {
        if live.dry_run == DryRun::Client {
            for (sec, o) in secrets.iter().zip(&outcomes) {
                report.changed.push(format!(
                    "secret/{} would be {} (dry run)",
                    name_of(sec),
                    o.word()
                ));
            }
            report.changed.push(format!(
                "deployment.apps/{deployment} would be {} (dry run)",
                if changes.is_empty() {
                    "unchanged"
                } else {
                    "configured"
                }
            ));
            report.rollout = "-".into();
        }
        report.plan = summary;
        return Ok(report);
    }
    if pass == Pass::Alone && !server_dry && !ui::wizard::confirm(&summary, args.yes)? {
        return Err(Error::cancelled("setup cancelled; nothing was changed"));
    }

    let mut checks = vec![];
    for (sec, o) in secrets.iter().zip(&outcomes) {
        if *o != Outcome::Unchanged {
            let _ = sec;
            checks.push(("patch", "", "secrets", ns));
        }
    }
    if !changes.is_empty() {
        checks.push(("update", "apps", "deployments", ns));
    }
    rbac::review_steps(kube, &checks)?;
    // Every Secret's apply is tried first (dryRun=All): a conflict on the TLS Secret is
    // found before the auth Secret is written, so nothing partial stays.
    if !server_dry {
        let changing: Vec<(Kind, &Value)> = secrets
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| **o != Outcome::Unchanged)
            .map(|(s, _)| (Kind::Secret, s))
            .collect();
        ownership::preflight_applies(kube, ns, &changing)?;
    }

    // 4. Carry it out, Secrets first: the Deployment never points at a missing Secret.
    let suffix = if server_dry { " (server dry run)" } else { "" };
    let mut journal = Journal::default();
    let mut pending: Vec<String> = secrets
        .iter()
        .map(|x| format!("secret/{}", name_of(x)))
        .collect();
    pending.push(format!("deployment.apps/{}", deployment));
    for (i, (sec, o)) in secrets.iter().zip(&outcomes).enumerate() {
        let name = name_of(sec).to_string();
        pending.remove(0);
        if *o != Outcome::Unchanged {
            if let Err(e) = kube.apply(Kind::Secret, ns, sec, server_dry) {
                let mut p = vec![format!("secret/{name}")];
                p.extend(pending.iter().cloned());
                journal.report_failure(&format!("apply secret/{name}"), &p);
                return Err(e);
            }
            if !server_dry {
                match o {
                    Outcome::Created => journal.push(
                        format!("secret/{name} created"),
                        format!("kubectl -n {ns} delete secret {name}"),
                    ),
                    _ => journal.push(
                        format!("secret/{name} updated with the new content"),
                        format!(
                            "re-run setup with the previous credentials{} to restore secret/{name}",
                            if i == 0 { "" } else { " / CA" }
                        ),
                    ),
                }
            }
        }
        say!(report, pass, "secret/{name} {}{suffix}", o.word());
    }
    pending.remove(0);

    let mut restarted = !changes.is_empty();
    if !changes.is_empty() {
        let replan = |d: &Value| patch(d).map(|(p, c, _)| (!c.is_empty()).then_some(p));
        if let Err(e) = writes::update_deployment(kube, ns, deployment, server_dry, replan) {
            journal.report_failure(
                &format!("update deployment.apps/{}", deployment),
                &[format!("deployment.apps/{} (still as before)", deployment)],
            );
            return Err(e);
        }
        if !server_dry {
            journal.push(
                format!("deployment.apps/{} patched", deployment),
                format!(
                    "kubectl porch-registry remove -n {ns} --deployment {} --container {}   (or: kubectl -n {ns} rollout undo deployment/{})",
                    deployment, container, deployment
                ),
            );
        }
        say!(
            report,
            pass,
            "deployment.apps/{} configured{suffix}",
            deployment
        );
    } else {
        say!(
            report,
            pass,
            "deployment.apps/{} unchanged{suffix}",
            deployment
        );
    }

    // 5. Rotation: the runner refreshes its copy only on a cache miss.
    let mut copy_end = CopyRefresh::Current;
    if refresh {
        let dockerconfig = secrets[0]["data"][DOCKERCONFIGJSON_KEY].clone();
        match writes::refresh_copy(kube, &fn_ns, &copy_name, &dockerconfig, server_dry) {
            Ok(writes::CopyRefresh::Updated) => say!(
                report,
                pass,
                "secret/{copy_name} in namespace \"{fn_ns}\" updated{suffix} (the runner's copy, used as imagePullSecret of function pods; the runner refreshes it only on a cache miss)"
            ),
            Ok(writes::CopyRefresh::Current) if pass == Pass::Alone => crate::ui::info(format!(
                "the runner's copy secret/{copy_name} in namespace \"{fn_ns}\" already matches"
            )),
            Ok(writes::CopyRefresh::Current) => {}
            Ok(writes::CopyRefresh::Missing) => {
                copy_end = CopyRefresh::Absent;
                if pass == Pass::Alone {
                    crate::ui::info(format!(
                        "the runner's copy secret/{copy_name} in namespace \"{fn_ns}\" does not exist yet; the runner creates it on its next image lookup"
                    ));
                }
            }
            Err(why) => {
                copy_end = CopyRefresh::NotRefreshed;
                crate::ui::warn(format!(
                    "cannot update the runner's copy secret/{copy_name} in namespace \"{fn_ns}\" ({why}); restarting the runner instead so that it refreshes the copy"
                ));
                if !restarted {
                    if let Err(e) = writes::restart(kube, ns, deployment, server_dry) {
                        journal.report_failure(
                            &format!("restart deployment.apps/{}", deployment),
                            &[format!(
                                "the runner's copy secret/{copy_name} in \"{fn_ns}\" is stale"
                            )],
                        );
                        return Err(e);
                    }
                    say!(
                        report,
                        pass,
                        "deployment.apps/{} restarted{suffix}",
                        deployment
                    );
                    restarted = true;
                }
            }
        }
    }

    // An earlier change still rolling out although this run restarts nothing (a setup with
    // --wait=false, a stuck rollout, old pods pending termination): old runner pods still
    // run, and after a rotation they may still hold the old credential.
    let earlier = if restarted || server_dry {
        None
    } else {
        rollout::unfinished(&current)
    };
    if let Some(m) = &earlier
        && pass == Pass::Alone
    {
        crate::ui::warn(format!(
            "deployment.apps/{deployment} is still rolling out from an earlier change ({m}): old runner pods still run{}; watch it with `kubectl -n {ns} rollout status deployment/{deployment}`",
            if refresh {
                " and may hold the old credential"
            } else {
                ""
            }
        ));
    }

    // 6. Wait.
    if restarted && live.rollout.wait && !server_dry && pass == Pass::Alone {
        rollout::wait_for_rollout(kube, ns, deployment, live.rollout.timeout)?;
    }
    // Across clusters: a rollout that does not finish is this cluster's outcome (exit 9 or
    // 5), with what changed and whether the old credential still runs.
    let end = if server_dry {
        report.rollout = "- (server dry run)".into();
        RolloutEnd::NotRestarted
    } else if let Some(m) = earlier {
        report.rollout = format!("no restart needed, but an earlier rollout is not done: {m}");
        RolloutEnd::EarlierPending
    } else if !restarted {
        report.rollout = "no restart needed".into();
        RolloutEnd::NotRestarted
    } else if !live.rollout.wait {
        report.rollout = "not waited for (--wait=false)".into();
        RolloutEnd::NotWaited
    } else if pass == Pass::Alone {
        RolloutEnd::Complete
    } else {
        match rollout::wait_for_rollout_quietly(kube, ns, deployment, live.rollout.timeout) {
            Ok(()) => {
                report.rollout = "complete".into();
                RolloutEnd::Complete
            }
            Err(e) => {
                let timed_out = matches!(e, Error::Timeout(_));
                report.rollout = if timed_out { "TIMED OUT" } else { "FAILED" }.into();
                report.problem = Some(ErrorInfo::of(&e));
                if timed_out {
                    RolloutEnd::TimedOut
                } else {
                    RolloutEnd::Failed
                }
            }
        }
    };
    if refresh && !server_dry {
        report.old_credential = old_credential(copy_end, end).map(str::to_string);
    }
    Ok(report)
}
