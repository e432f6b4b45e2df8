//! What a function-runner Deployment (live or from manifests) says about private registries: the flags as the Go
//! binary reads them, and which Secret is mounted where. Pure (values in, values out).
//!
//! Flags are read with the one model of Go's `flag` package, [`crate::runner::flags`], over
//! the container's `os.Args[1:]` as [`crate::runner::container`] reads it: the view
//! reports exactly what the runner parses (nothing after a positional, `--` or a fatal flag).

use serde_json::Value;

use crate::error::{Error, Result};
use crate::runner::container::{LocateError, RunnerContainer};
use crate::runner::flags::{self, GoArgs, Stop};

/// One secret volume mounted into the runner container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMount {
    pub volume: String,
    pub secret: String,
    pub mount_path: String,
    pub read_only: bool,
}

/// The runner's private-registry configuration as a Deployment carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunnerView {
    /// What Go's flag package makes of the container's arguments.
    pub args: GoArgs,
    /// Tokens the runner never applies: from a positional argument on, after `--`, or from
    /// the flag that makes it exit at start-up.
    pub ignored: Vec<String>,
    pub mounts: Vec<SecretMount>,
    /// The runner container's own name (THE rule may pick a container not named as asked).
    pub container: String,
    pub service_account: String,
    pub image: String,
}

impl RunnerView {
    /// The value Go ends up with when the flag is given and parsed (last occurrence wins).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.args.get(name).map(|f| f.value.as_str())
    }
    /// The value Go ends up with: the parsed flag, else the default in the runner's code.
    fn effective(&self, name: &'static str) -> String {
        self.args.effective_value(name).unwrap_or_default()
    }
    pub fn private_registries(&self) -> bool {
        self.args.is_true(flags::ENABLE_PRIVATE_REGISTRIES)
    }
    pub fn tls(&self) -> bool {
        self.private_registries() && self.args.is_true(flags::ENABLE_PRIVATE_REGISTRIES_TLS)
    }
    pub fn auth_path(&self) -> String {
        self.effective(flags::REGISTRY_AUTH_SECRET_PATH)
    }
    pub fn tls_path(&self) -> String {
        self.effective(flags::TLS_SECRET_PATH)
    }
    /// Name of the runner's copy of the auth Secret in the function namespace.
    pub fn copy_name(&self) -> String {
        self.effective(flags::REGISTRY_AUTH_SECRET_NAME)
    }
    /// `--pod-namespace` when given (the caller decides the fallback).
    pub fn pod_namespace(&self) -> Option<&str> {
        self.flag(flags::POD_NAMESPACE)
    }
    /// What Go prints when the arguments make the runner exit at start-up.
    pub fn exit_message(&self) -> Option<&str> {
        match &self.args.stop {
            Some(Stop::Exit { message, .. }) => Some(message),
            _ => None,
        }
    }
    /// The secret mount holding `path` (a file path or directory).
    pub fn mount_for(&self, path: &str) -> Option<&SecretMount> {
        let p = path.trim_end_matches('/');
        self.mounts
            .iter()
            .filter(|m| {
                let mp = m.mount_path.trim_end_matches('/');
                p == mp || p.starts_with(&format!("{mp}/"))
            })
            .max_by_key(|m| m.mount_path.len())
    }
    /// The auth file's Secret and the key inside it.
    pub fn auth_source(&self) -> Option<(&SecretMount, String)> {
        let path = self.auth_path();
        let m = self.mount_for(&path)?;
        let key = path[m.mount_path.trim_end_matches('/').len()..]
            .trim_start_matches('/')
            .to_string();
        Some((m, key))
    }
    pub fn tls_source(&self) -> Option<&SecretMount> {
        self.mount_for(&self.tls_path())
    }
}

/// Read the view from a Deployment: its runner container found by THE rule
/// ([`crate::runner::container::locate`]: the container named `container`, else the only
/// one), read through the one container model. An error (exit 4) when the Deployment has no
/// such container.
pub fn runner_view(deployment: &Value, container: &str) -> Result<RunnerView> {
    let c = RunnerContainer::find(deployment, container).map_err(|e| {
        let name = deployment
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let fix = match e {
            LocateError::NoneNamed { .. } => "pass the runner's container with --container NAME",
            // The API server refuses both; a Deployment read back is never like this.
            _ => "is it the function runner's Deployment? pass it with --deployment",
        };
        Error::not_found(format!(
            "deployment \"{name}\": {}; {fix}",
            e.describe(container)
        ))
    })?;
    let args = c.go_args();
    let ignored_from = match &args.stop {
        // `--` is consumed.
        Some(Stop::Terminator { index }) => index + 1,
        _ => args.parsed_end(),
    };
    let ignored = c
        .tokens
        .iter()
        .skip(ignored_from)
        .map(|t| t.text.clone())
        .collect();
    let mounts = c
        .secret_mounts()
        .into_iter()
        .filter_map(|(m, secret)| {
            Some(SecretMount {
                volume: m.name?.to_string(),
                secret: secret.to_string(),
                mount_path: m.mount_path?.to_string(),
                read_only: m.read_only,
            })
        })
        .collect();
    Ok(RunnerView {
        args,
        ignored,
        mounts,
        container: c.name.unwrap_or_default().to_string(),
        service_account: c.service_account.clone(),
        image: c.image.unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_flags_and_mounts() {
        let d = json!({"spec": {"template": {"spec": {
            "serviceAccountName": "porch-fn-runner",
            "containers": [{"name": "function-runner", "image": "img",
                "command": ["/server", "--pod-namespace=fns", "--registry-auth-secret-path", "/var/tmp/auth-secret/.dockerconfigjson"],
                "args": ["--enable-private-registries", "true", "--registry-auth-secret-name=x"],
                "volumeMounts": [{"name": "a", "mountPath": "/var/tmp/auth-secret", "readOnly": true}]}],
            "volumes": [{"name": "a", "secret": {"secretName": "registry-auth-secret"}}]}}}});
        let v = runner_view(&d, "function-runner").unwrap();
        assert!(v.private_registries());
        assert_eq!(v.pod_namespace(), Some("fns"));
        assert_eq!(v.ignored, vec!["true", "--registry-auth-secret-name=x"]);
        assert_eq!(
            v.copy_name(),
            flags::lookup(flags::REGISTRY_AUTH_SECRET_NAME)
                .unwrap()
                .default
        );
        let (m, key) = v.auth_source().unwrap();
        assert_eq!(
            (m.secret.as_str(), key.as_str()),
            ("registry-auth-secret", ".dockerconfigjson")
        );
        // The only container is the runner whatever its name (THE rule).
        assert_eq!(runner_view(&d, "other").unwrap(), v);
        let two = json!({"metadata": {"name": "fr"}, "spec": {"template": {"spec": {
            "containers": [{"name": "a"}, {"name": "b"}]}}}});
        let e = runner_view(&two, "function-runner").unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert_eq!(
            e.to_string(),
            "deployment \"fr\": 2 candidate containers (a, b) and none is named function-runner; pass the runner's container with --container NAME"
        );
    }

    #[test]
    fn reports_what_go_parses_not_what_looks_like_flags() {
        let d = |args: serde_json::Value| {
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "r", "image": "img", "args": args}]}}}})
        };
        // `--` is consumed; what follows is positional.
        let v = runner_view(
            &d(json!(["--pod-namespace=a", "--", "--pod-namespace=b"])),
            "r",
        )
        .unwrap();
        assert_eq!(v.pod_namespace(), Some("a"));
        assert_eq!(v.ignored, vec!["--pod-namespace=b"]);
        assert_eq!(v.exit_message(), None);
        // A legacy name makes the runner exit: nothing from it on is applied.
        let v = runner_view(
            &d(json!([
                "--enable-private-registries",
                "--enable-tls-registry",
                "--tls-secret-path=/x"
            ])),
            "r",
        )
        .unwrap();
        assert!(v.private_registries());
        assert_eq!(v.tls_path(), "/var/tmp/tls-secret/");
        assert_eq!(
            v.ignored,
            vec!["--enable-tls-registry", "--tls-secret-path=/x"]
        );
        assert!(v.exit_message().unwrap().contains("enable-tls-registry"));
    }
}
