//! Reads from the API: the runner's Deployment (a missing namespace told from a missing
//! Deployment) and the bytes the live runner mounts.

use serde_json::Value;

use super::client::{ClusterOptions, Kind, Kube, connect};
use crate::error::{Error, Result};
use crate::runner::view;

/// Read the Deployment, telling a missing namespace from a missing Deployment.
pub fn read_deployment(kube: &Kube, namespace: &str, name: &str) -> Result<Value> {
    match kube.get_opt(Kind::Deployment, namespace, name)? {
        Some(d) => Ok(d),
        None => {
            if !kube.namespace_exists(namespace).unwrap_or(true) {
                Err(Error::not_found(format!(
                    "namespace \"{namespace}\" does not exist on {}; pass the runner's namespace with -n/--namespace",
                    kube.server
                )))
            } else {
                Err(Error::not_found(format!(
                    "deployment \"{name}\" not found in namespace \"{namespace}\" on {}; pass the runner's Deployment with --deployment and its namespace with -n",
                    kube.server
                )))
            }
        }
    }
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
    let d = read_deployment(&kube, namespace, deployment)?;
    let view = view::runner_view(&d, container)?;
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
        out.ca_pem = crate::runner::secrets::runner_ca(&s);
        out.tls_secret = Some(m.secret.clone());
    }
    Ok(out)
}
