//! Waiting for a Deployment or DaemonSet rollout, with kubectl's completeness rules: a spinner on a
//! terminal, plain progress lines otherwise.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::client::{Kind, Kube};
use crate::error::{Error, Result};

/// Where a rollout stands, computed from a Deployment's metadata and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutState {
    /// Every replica runs the current template.
    Complete,
    /// Still going, with kubectl's description of why.
    Progressing(String),
    /// The Deployment's progress deadline passed.
    Failed(String),
}

impl RolloutState {
    pub fn describe(&self) -> String {
        match self {
            RolloutState::Complete => "complete".into(),
            RolloutState::Progressing(m) => format!("in progress: {m}"),
            RolloutState::Failed(m) => format!("failed: {m}"),
        }
    }
}

fn int(v: &Value, p: &str) -> i64 {
    v.pointer(p).and_then(Value::as_i64).unwrap_or(0)
}

/// What is still rolling out of an earlier change of a Deployment, `None` when its rollout
/// is complete (the rules of [`rollout_state`]).
pub fn unfinished(d: &Value) -> Option<String> {
    match rollout_state(d) {
        RolloutState::Complete => None,
        RolloutState::Progressing(m) | RolloutState::Failed(m) => Some(m),
    }
}

/// The rollout state of a Deployment (the rules of `kubectl rollout status`).
pub fn rollout_state(d: &Value) -> RolloutState {
    let generation = int(d, "/metadata/generation");
    let observed = int(d, "/status/observedGeneration");
    if generation > observed {
        return RolloutState::Progressing(
            "waiting for the deployment spec update to be observed".into(),
        );
    }
    let deadline = d
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded");
    if let Some(c) = deadline {
        return RolloutState::Failed(format!(
            "deployment exceeded its progress deadline: {}",
            c["message"].as_str().unwrap_or_default()
        ));
    }
    let wanted = d
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let updated = int(d, "/status/updatedReplicas");
    let replicas = int(d, "/status/replicas");
    let available = int(d, "/status/availableReplicas");
    if updated < wanted {
        return RolloutState::Progressing(format!(
            "{updated} out of {wanted} new replicas have been updated"
        ));
    }
    if replicas > updated {
        return RolloutState::Progressing(format!(
            "{} old replicas are pending termination",
            replicas - updated
        ));
    }
    if available < updated {
        return RolloutState::Progressing(format!(
            "{available} of {updated} updated replicas are available"
        ));
    }
    RolloutState::Complete
}

/// How often the Deployment is polled.
const POLL: Duration = Duration::from_millis(400);

/// The rollout state of a DaemonSet (the rules of `kubectl rollout status daemonset`:
/// the spec observed, then every scheduled pod updated, then every one available).
pub fn daemonset_rollout_state(ds: &Value) -> RolloutState {
    let generation = int(ds, "/metadata/generation");
    let observed = int(ds, "/status/observedGeneration");
    if generation > observed {
        return RolloutState::Progressing(
            "waiting for the daemon set spec update to be observed".into(),
        );
    }
    let desired = int(ds, "/status/desiredNumberScheduled");
    let updated = int(ds, "/status/updatedNumberScheduled");
    let available = int(ds, "/status/numberAvailable");
    if updated < desired {
        return RolloutState::Progressing(format!(
            "{updated} out of {desired} new pods have been updated"
        ));
    }
    if available < desired {
        return RolloutState::Progressing(format!(
            "{available} of {desired} updated pods are available"
        ));
    }
    RolloutState::Complete
}

/// What is waited for: the resource, its words in messages and its rollout rules.
struct Workload {
    kind: Kind,
    /// `deployment`, `daemon set` (kubectl's words).
    noun: &'static str,
    /// `deployment`, `daemonset` (kubectl's resource names in the hints).
    resource: &'static str,
    state: fn(&Value) -> RolloutState,
}

const DEPLOYMENT: Workload = Workload {
    kind: Kind::Deployment,
    noun: "deployment",
    resource: "deployment",
    state: rollout_state,
};

const DAEMONSET: Workload = Workload {
    kind: Kind::DaemonSet,
    noun: "daemon set",
    resource: "daemonset",
    state: daemonset_rollout_state,
};

/// Wait until the rollout is complete; Timeout / Cluster errors otherwise.
pub fn wait_for_rollout(kube: &Kube, namespace: &str, name: &str, timeout: Duration) -> Result<()> {
    wait(kube, &DEPLOYMENT, namespace, name, timeout, false)
}

/// [`wait_for_rollout`] without a spinner or progress lines (one cluster of a run across
/// clusters: the run prints one line per cluster).
pub fn wait_for_rollout_quietly(
    kube: &Kube,
    namespace: &str,
    name: &str,
    timeout: Duration,
) -> Result<()> {
    wait(kube, &DEPLOYMENT, namespace, name, timeout, true)
}

/// Wait until a DaemonSet's rollout is complete (every scheduled pod updated and
/// available); Timeout / Cluster errors otherwise.
pub fn wait_for_daemonset(
    kube: &Kube,
    namespace: &str,
    name: &str,
    timeout: Duration,
) -> Result<()> {
    wait(kube, &DAEMONSET, namespace, name, timeout, false)
}

fn wait(
    kube: &Kube,
    w: &Workload,
    namespace: &str,
    name: &str,
    timeout: Duration,
    quiet: bool,
) -> Result<()> {
    let start = Instant::now();
    let bar = if !quiet && crate::ui::output::stderr_is_terminal() {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.enable_steady_tick(Duration::from_millis(120));
        Some(pb)
    } else {
        None
    };
    let (noun, resource) = (w.noun, w.resource);
    let mut last = String::new();
    let result = loop {
        let d = kube.get(w.kind, namespace, name)?;
        match (w.state)(&d) {
            RolloutState::Complete => break Ok(()),
            RolloutState::Failed(m) => {
                break Err(Error::Cluster(format!(
                    "rollout of {noun} \"{name}\" in namespace \"{namespace}\" failed: {m}; inspect it with `kubectl -n {namespace} describe {resource} {name}`"
                )));
            }
            RolloutState::Progressing(m) => {
                let line = format!("Waiting for {noun} \"{name}\" rollout to finish: {m}...");
                match &bar {
                    Some(pb) => pb.set_message(line.clone()),
                    None if line != last && !quiet => crate::ui::output::info(&line),
                    None => {}
                }
                last = line;
            }
        }
        if start.elapsed() >= timeout {
            break Err(Error::Timeout(format!(
                "the rollout of {noun} \"{name}\" in namespace \"{namespace}\" did not finish within {}s ({}); the change is applied and may still complete: watch it with `kubectl -n {namespace} rollout status {resource}/{name}`, or raise --timeout",
                timeout.as_secs(),
                last.trim_end_matches("...")
            )));
        }
        std::thread::sleep(POLL);
    };
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    if result.is_ok() && !quiet {
        crate::ui::output::info(format!("{noun} \"{name}\" successfully rolled out"));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states() {
        let d = |gen_: i64, obs: i64, upd: i64, rep: i64, avail: i64| {
            json!({"metadata": {"generation": gen_}, "spec": {"replicas": 2},
                   "status": {"observedGeneration": obs, "updatedReplicas": upd, "replicas": rep, "availableReplicas": avail}})
        };
        assert!(matches!(
            rollout_state(&d(2, 1, 2, 2, 2)),
            RolloutState::Progressing(_)
        ));
        assert!(
            matches!(rollout_state(&d(2, 2, 1, 3, 1)), RolloutState::Progressing(m) if m.contains("1 out of 2"))
        );
        assert!(
            matches!(rollout_state(&d(2, 2, 2, 3, 2)), RolloutState::Progressing(m) if m.contains("pending termination"))
        );
        assert!(
            matches!(rollout_state(&d(2, 2, 2, 2, 1)), RolloutState::Progressing(m) if m.contains("available"))
        );
        assert_eq!(rollout_state(&d(2, 2, 2, 2, 2)), RolloutState::Complete);
        let mut f = d(2, 2, 0, 2, 0);
        f["status"]["conditions"] =
            json!([{"type": "Progressing", "reason": "ProgressDeadlineExceeded", "message": "x"}]);
        assert!(matches!(rollout_state(&f), RolloutState::Failed(_)));
    }

    /// kubectl's DaemonSetStatusViewer (pkg/polymorphichelpers/rollout_status.go).
    #[test]
    fn daemonset_states() {
        let ds = |gen_: i64, obs: i64, desired: i64, upd: i64, avail: i64| {
            json!({"metadata": {"generation": gen_},
                   "status": {"observedGeneration": obs, "desiredNumberScheduled": desired,
                              "updatedNumberScheduled": upd, "numberAvailable": avail}})
        };
        assert!(
            matches!(daemonset_rollout_state(&ds(2, 1, 3, 3, 3)), RolloutState::Progressing(m) if m.contains("observed"))
        );
        assert!(
            matches!(daemonset_rollout_state(&ds(2, 2, 3, 1, 3)), RolloutState::Progressing(m) if m == "1 out of 3 new pods have been updated")
        );
        assert!(
            matches!(daemonset_rollout_state(&ds(2, 2, 3, 3, 2)), RolloutState::Progressing(m) if m == "2 of 3 updated pods are available")
        );
        assert_eq!(
            daemonset_rollout_state(&ds(2, 2, 3, 3, 3)),
            RolloutState::Complete
        );
        assert_eq!(
            daemonset_rollout_state(&ds(1, 1, 0, 0, 0)),
            RolloutState::Complete
        );
    }
}
