//! GitOps-safe live writes, shared by live `setup` and `remove`: the runner's Deployment is
//! updated (PUT), which the API server never refuses for field ownership, so the fields a
//! declarative source applies (Argo CD, Flux, `kubectl apply --server-side`) are checked here
//! before anything is written; the applies (the Secrets, node-trust's objects) are tried with
//! `dryRun=All` first, so a conflict on any of them is found before the first one is written.

use serde_json::Value;

use crate::cluster::{Kind, Kube};
use crate::error::{Error, Result};
use crate::runner::managed::{self, WriteOptions};

/// Refuse (exit 10) to change fields of the runner's Deployment that another manager owns by
/// server-side apply, unless `--force-conflicts`.
pub fn deployment_guard(
    writes: &WriteOptions,
    before: &Value,
    after: &Value,
    namespace: &str,
    deployment: &str,
    container: &str,
) -> Result<()> {
    if writes.force_conflicts {
        return Ok(());
    }
    let conflicts =
        managed::deployment_conflicts(before, after, container, writes.field_manager.as_str());
    if conflicts.is_empty() {
        return Ok(());
    }
    Err(nothing_changed(Error::Conflict(managed::conflict_message(
        &format!("deployment.apps/{deployment} in namespace \"{namespace}\""),
        &conflicts,
        writes.field_manager.as_str(),
    ))))
}

/// Send every apply with `dryRun=All` first: a conflict (or any refusal) of the second
/// object stops the flow before the first is written.
pub fn preflight_applies(kube: &Kube, namespace: &str, objects: &[(Kind, &Value)]) -> Result<()> {
    for (kind, obj) in objects {
        kube.apply(*kind, namespace, obj, true)
            .map_err(nothing_changed)?;
    }
    Ok(())
}

/// The error of a step before any write: it says that nothing was changed.
pub fn nothing_changed(e: Error) -> Error {
    let msg = e.to_string();
    if msg.contains("nothing was changed") {
        return e;
    }
    Error::with_code(e.exit_code(), format!("{msg}; nothing was changed"))
}
