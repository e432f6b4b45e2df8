//! What a live function-runner Deployment says about private registries: the flags as the Go
//! binary reads them, and which Secret is mounted where. Pure (values in, values out).
//!
//! Flag reading follows Go's `flag` package: `-f`/`--f`, `--f=v`, `--f v` for non-boolean
//! flags, and parsing stops at the first positional argument.

use serde_json::Value;

pub const FLAG_ENABLE: &str = "enable-private-registries";
pub const FLAG_AUTH_PATH: &str = "registry-auth-secret-path";
pub const FLAG_AUTH_NAME: &str = "registry-auth-secret-name";
pub const FLAG_TLS_ENABLE: &str = "enable-private-registries-tls";
pub const FLAG_TLS_PATH: &str = "tls-secret-path";
pub const FLAG_POD_NAMESPACE: &str = "pod-namespace";

/// The runner's defaults in code (see the facts file).
pub const DEFAULT_AUTH_PATH: &str = "/var/tmp/config-secret/.dockerconfigjson";
pub const DEFAULT_AUTH_NAME: &str = "auth-secret";
pub const DEFAULT_TLS_PATH: &str = "/var/tmp/tls-secret/";
pub const DEFAULT_POD_NAMESPACE: &str = "porch-fn-system";

const BOOL_FLAGS: &[&str] = &[
    FLAG_ENABLE,
    FLAG_TLS_ENABLE,
    "enable-private-registry",
    "enable-tls-registry",
    "enable-private-registry-tls",
    "warm-up-pod-cache",
];

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
    /// Flags as Go parses them: (name, value). Booleans without value are "true".
    pub flags: Vec<(String, String)>,
    /// Tokens Go ignores because parsing stopped at a positional argument.
    pub ignored: Vec<String>,
    pub mounts: Vec<SecretMount>,
    pub service_account: String,
    pub image: String,
}

impl RunnerView {
    /// The value Go ends up with (last occurrence wins).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn bool_flag(&self, name: &str) -> bool {
        self.flag(name)
            .is_some_and(|v| matches!(v, "true" | "1" | "t" | "T" | "TRUE" | "True"))
    }
    pub fn private_registries(&self) -> bool {
        self.bool_flag(FLAG_ENABLE)
    }
    pub fn tls(&self) -> bool {
        self.private_registries() && self.bool_flag(FLAG_TLS_ENABLE)
    }
    pub fn auth_path(&self) -> &str {
        self.flag(FLAG_AUTH_PATH).unwrap_or(DEFAULT_AUTH_PATH)
    }
    pub fn tls_path(&self) -> &str {
        self.flag(FLAG_TLS_PATH).unwrap_or(DEFAULT_TLS_PATH)
    }
    /// Name of the runner's copy of the auth Secret in the function namespace.
    pub fn copy_name(&self) -> &str {
        self.flag(FLAG_AUTH_NAME).unwrap_or(DEFAULT_AUTH_NAME)
    }
    pub fn pod_namespace(&self) -> Option<&str> {
        self.flag(FLAG_POD_NAMESPACE)
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
        let m = self.mount_for(path)?;
        let key = path[m.mount_path.trim_end_matches('/').len()..]
            .trim_start_matches('/')
            .to_string();
        Some((m, key))
    }
    pub fn tls_source(&self) -> Option<&SecretMount> {
        self.mount_for(self.tls_path())
    }
}

/// Read the view from a Deployment; `None` when the container is not there.
pub fn runner_view(deployment: &Value, container: &str) -> Option<RunnerView> {
    let spec = deployment.pointer("/spec/template/spec")?;
    let c = spec
        .get("containers")?
        .as_array()?
        .iter()
        .find(|c| c["name"] == container)?;
    let strings = |k: &str| -> Vec<String> {
        c.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut tokens = strings("command");
    // command[0] is the binary (when command is set); Go parses os.Args[1:].
    if !tokens.is_empty() {
        tokens.remove(0);
    }
    tokens.extend(strings("args"));
    let (flags, ignored) = parse_go_flags(&tokens);
    let volumes = spec
        .get("volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mounts = c
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let vol = m["name"].as_str()?;
            let secret = volumes
                .iter()
                .find(|v| v["name"] == vol)?
                .pointer("/secret/secretName")?
                .as_str()?;
            Some(SecretMount {
                volume: vol.to_string(),
                secret: secret.to_string(),
                mount_path: m["mountPath"].as_str()?.to_string(),
                read_only: m["readOnly"].as_bool().unwrap_or(false),
            })
        })
        .collect();
    Some(RunnerView {
        flags,
        ignored,
        mounts,
        service_account: spec
            .get("serviceAccountName")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string(),
        image: c["image"].as_str().unwrap_or_default().to_string(),
    })
}

fn parse_go_flags(tokens: &[String]) -> (Vec<(String, String)>, Vec<String>) {
    let mut flags = vec![];
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t == "--" {
            return (flags, tokens[i + 1..].to_vec());
        }
        let Some(body) = t.strip_prefix("--").or_else(|| t.strip_prefix('-')) else {
            return (flags, tokens[i..].to_vec());
        };
        if body.is_empty() {
            return (flags, tokens[i..].to_vec());
        }
        match body.split_once('=') {
            Some((n, v)) => flags.push((n.to_string(), v.to_string())),
            None if BOOL_FLAGS.contains(&body) => flags.push((body.to_string(), "true".into())),
            None => {
                let v = tokens.get(i + 1).cloned().unwrap_or_default();
                flags.push((body.to_string(), v));
                i += 1;
            }
        }
        i += 1;
    }
    (flags, vec![])
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
        assert_eq!(v.copy_name(), DEFAULT_AUTH_NAME);
        let (m, key) = v.auth_source().unwrap();
        assert_eq!(
            (m.secret.as_str(), key.as_str()),
            ("registry-auth-secret", ".dockerconfigjson")
        );
        assert!(runner_view(&d, "other").is_none());
    }
}
