//! The Kubernetes API edge: read objects, apply a plan, wait for rollout, RBAC review.
//!
//! Entry points for the commands: [`setup_live`], [`remove_live`], [`status_report`],
//! [`live_objects_and_findings`] (for `check`), [`read_runner_secrets`] (for
//! `pull --from-cluster`).

pub mod check;
pub mod client;
pub mod remove;
pub mod rollout;
pub mod setup;
pub mod status;
pub mod view;

use serde_json::Value;

pub use check::{LiveCheck, live_objects_and_findings};
pub use client::{ClusterOptions, FIELD_MANAGER, Kind, Kube, connect};
pub use remove::remove_live;
pub use status::{StatusReport, status_report};

use crate::error::{Error, Result};

/// Show the summary and ask (terminal only; `--yes` skips; no terminal = yes).
pub(crate) fn confirm(summary: &str, yes: bool) -> Result<bool> {
    crate::ui::wizard::confirm(summary, yes)
}

/// What a live setup applies, already decided from the user's input. Its Debug output
/// names the Secrets but never shows their data.
#[derive(Clone)]
pub struct SetupRequest {
    /// The auth Secret (kubernetes.io/dockerconfigjson) in the runner's namespace.
    pub auth_secret: Value,
    /// The TLS Secret to create/update (None: no TLS, or an existing Secret named in `desired`).
    pub tls_secret: Option<Value>,
    pub desired: crate::runner::plan::DesiredConfig,
    /// Lines about the input for the confirmation summary (registries and users, never a
    /// password).
    pub input_summary: Vec<String>,
}

impl std::fmt::Debug for SetupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = |v: &Value| {
            v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        f.debug_struct("SetupRequest")
            .field(
                "auth_secret",
                &format_args!("Secret {} (data redacted)", name(&self.auth_secret)),
            )
            .field("tls_secret", &self.tls_secret.as_ref().map(name))
            .field("desired", &self.desired)
            .finish()
    }
}

/// Live `setup` from a decided request.
pub fn setup_live_request(
    setup: &crate::settings::Setup,
    live: &crate::settings::SetupLive,
    req: &SetupRequest,
) -> Result<()> {
    let kube = connect(&live.cluster)?;
    let ns = live.namespace.as_str();
    // A TLS Secret named but not given (no --ca-file) must already exist.
    if let (None, Some(tls)) = (&req.tls_secret, &req.desired.tls)
        && kube.get_opt(Kind::Secret, ns, &tls.secret_name)?.is_none()
    {
        return Err(Error::not_found(format!(
            "TLS secret \"{}\" does not exist in namespace \"{ns}\"; pass the CA with --ca-file so that setup creates it; nothing was changed",
            tls.secret_name
        )));
    }
    let mut secrets = vec![req.auth_secret.clone()];
    secrets.extend(req.tls_secret.clone());
    let target = setup.target.clone();
    let desired = req.desired.clone();
    desired.validate()?;
    let patch = move |d: &Value| {
        let plan = crate::runner::plan::plan_patch(d, &target, &desired)?;
        let mut out = d.clone();
        plan.apply_to_value(&mut out)?;
        let changes = match (plan.is_empty(), plan.changes.is_empty()) {
            (true, _) => vec![],
            (false, true) => vec!["update the runner's flags, volumes and mounts".to_string()],
            (false, false) => plan.changes,
        };
        Ok((out, changes, plan.notes))
    };
    let s = setup::LiveSetup {
        namespace: ns.to_string(),
        deployment: setup.target.deployment.clone(),
        container: setup.target.container.clone(),
        fn_namespace: live.fn_namespace.to_string(),
        secrets,
        patch: &patch,
        input_summary: req.input_summary.clone(),
        dry_run: live.dry_run,
        output: setup.output,
        wait: live.rollout.wait,
        timeout: live.rollout.timeout,
        yes: setup.yes,
    };
    setup::run(&kube, &s)
}

/// The bytes the live runner mounts: its auth file and its CA (for `pull --from-cluster`).
#[derive(Clone, Default)]
pub struct RunnerSecrets {
    /// The `.dockerconfigjson` content the runner reads (None: private registries off or
    /// the Secret/key is missing).
    pub dockerconfigjson: Option<Vec<u8>>,
    /// `ca.crt` (else `ca.pem`) of the TLS Secret, when TLS is on.
    pub ca_pem: Option<Vec<u8>>,
    /// Where the runner reads them (flags).
    pub auth_path: String,
    pub tls_path: String,
    /// Secret names they came from.
    pub auth_secret: Option<String>,
    pub tls_secret: Option<String>,
}

impl std::fmt::Debug for RunnerSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunnerSecrets")
            .field(
                "dockerconfigjson",
                &self.dockerconfigjson.as_ref().map(|_| "<redacted>"),
            )
            .field("ca_pem", &self.ca_pem.as_ref().map(|b| b.len()))
            .field("auth_path", &self.auth_path)
            .field("tls_path", &self.tls_path)
            .field("auth_secret", &self.auth_secret)
            .field("tls_secret", &self.tls_secret)
            .finish()
    }
}

/// A Secret's data value, decoded (the one decoder in `runner::secrets`).
pub fn secret_bytes(secret: &Value, key: &str) -> Option<Vec<u8>> {
    crate::runner::secrets::secret_data(secret, key)
}

/// Read what the live runner mounts (auth file and CA), as the runner would find them.
pub fn read_runner_secrets(
    cluster: &ClusterOptions,
    namespace: &str,
    deployment: &str,
    container: &str,
) -> Result<RunnerSecrets> {
    let kube = connect(cluster)?;
    let d = setup::read_deployment(&kube, namespace, deployment)?;
    let view = view::runner_view(&d, container).ok_or_else(|| {
        Error::not_found(format!(
            "container \"{container}\" not found in deployment \"{deployment}\"; pass it with --container"
        ))
    })?;
    let mut out = RunnerSecrets {
        auth_path: view.auth_path().to_string(),
        tls_path: view.tls_path().to_string(),
        ..RunnerSecrets::default()
    };
    if !view.private_registries() {
        return Err(Error::not_found(format!(
            "the runner in deployment \"{deployment}\" (namespace \"{namespace}\") does not have --enable-private-registries=true; configure it with `kubectl porch-registry setup`"
        )));
    }
    if let Some((m, key)) = view.auth_source() {
        let s = kube.get_opt(Kind::Secret, namespace, &m.secret)?.ok_or_else(|| {
            Error::not_found(format!(
                "secret \"{}\" mounted by the runner at {} does not exist in namespace \"{namespace}\"",
                m.secret, m.mount_path
            ))
        })?;
        out.dockerconfigjson = secret_bytes(&s, &key);
        out.auth_secret = Some(m.secret.clone());
        if out.dockerconfigjson.is_none() {
            return Err(Error::not_found(format!(
                "secret \"{}\" has no key \"{key}\" (the runner reads {})",
                m.secret,
                view.auth_path()
            )));
        }
    } else {
        return Err(Error::not_found(format!(
            "no Secret is mounted at the runner's --registry-auth-secret-path {}",
            view.auth_path()
        )));
    }
    if view.tls()
        && let Some(m) = view.tls_source()
        && let Some(s) = kube.get_opt(Kind::Secret, namespace, &m.secret)?
    {
        out.ca_pem = secret_bytes(&s, "ca.crt").or_else(|| secret_bytes(&s, "ca.pem"));
        out.tls_secret = Some(m.secret.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_request_debug_redacts_the_secret() {
        let req = SetupRequest {
            auth_secret: crate::runner::secrets::auth_secret(
                "a",
                "ns",
                b"{\"auths\":{\"r\":{\"auth\":\"dTpwYXNzd29yZA==\"}}}",
            ),
            tls_secret: None,
            desired: crate::runner::plan::DesiredConfig {
                auth_secret_name: "a".into(),
                auth_mount_path: "/var/tmp/auth-secret".into(),
                registry_auth_secret_name: "a".into(),
                tls: None,
            },
            input_summary: vec![],
        };
        let dbg = format!("{req:?}");
        assert!(dbg.contains("Secret a (data redacted)"), "{dbg}");
        let data = req.auth_secret["data"][".dockerconfigjson"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!dbg.contains(&data), "{dbg}");
    }
}
