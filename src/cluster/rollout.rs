//! Waiting for a Deployment rollout, with kubectl's completeness rules: a spinner on a
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

/// Wait until the rollout is complete; Timeout / Cluster errors otherwise.
pub fn wait_for_rollout(kube: &Kube, namespace: &str, name: &str, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    let bar = if crate::ui::stderr_is_terminal() {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.enable_steady_tick(Duration::from_millis(120));
        Some(pb)
    } else {
        None
    };
    let mut last = String::new();
    let result = loop {
        let d = kube.get(Kind::Deployment, namespace, name)?;
        match rollout_state(&d) {
            RolloutState::Complete => break Ok(()),
            RolloutState::Failed(m) => {
                break Err(Error::Cluster(format!(
                    "rollout of deployment \"{name}\" in namespace \"{namespace}\" failed: {m}; inspect it with `kubectl -n {namespace} describe deployment {name}`"
                )));
            }
            RolloutState::Progressing(m) => {
                let line = format!("Waiting for deployment \"{name}\" rollout to finish: {m}...");
                match &bar {
                    Some(pb) => pb.set_message(line.clone()),
                    None if line != last => crate::ui::info(&line),
                    None => {}
                }
                last = line;
            }
        }
        if start.elapsed() >= timeout {
            break Err(Error::Timeout(format!(
                "the rollout of deployment \"{name}\" in namespace \"{namespace}\" did not finish within {}s ({}); the change is applied and may still complete: watch it with `kubectl -n {namespace} rollout status deployment/{name}`, or raise --timeout",
                timeout.as_secs(),
                last.trim_end_matches("...")
            )));
        }
        std::thread::sleep(POLL);
    };
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    if result.is_ok() {
        crate::ui::info(format!("deployment \"{name}\" successfully rolled out"));
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
}
