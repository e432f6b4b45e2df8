//! Live `status` data: the runner's private-registry configuration as the cluster has it.
//! Never carries a password or an `auth` value.

use serde::Serialize;
use serde_json::Value;

use crate::cluster::rollout::{RolloutState, rollout_state};
use crate::cluster::{Kind, Kube, read_deployment, secret_bytes};
use crate::error::Result;
use crate::runner::authfile::AuthFile;
use crate::runner::flags;
use crate::runner::managed::{self, OwnedElsewhere};
use crate::runner::secrets::DOCKERCONFIGJSON_KEY;
use crate::runner::view::{RunnerView, runner_view};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub server: String,
    pub namespace: String,
    pub deployment: String,
    pub container: String,
    pub image: String,
    pub service_account: String,
    /// --enable-private-registries as the runner parses it.
    pub private_registries: bool,
    pub tls: bool,
    pub flags: Vec<FlagValue>,
    /// Arguments the runner ignores (Go flag parsing stopped before them).
    pub ignored_args: Vec<String>,
    /// What Go prints when the arguments make the runner exit at start-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_exits: Option<String>,
    pub mounts: Vec<MountInfo>,
    pub auth_secret: Option<SecretInfo>,
    pub tls_secret: Option<SecretInfo>,
    pub fn_copy: CopyInfo,
    pub rollout: RolloutInfo,
    /// Per node: has the node-trust DaemonSet written the CA there?
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_trust: Option<crate::runner::node_trust::NodeTrustInfo>,
    /// The runner's flags and the Secrets' data as other field managers own them
    /// (managedFields): a GitOps source that owns them fights changes made here.
    pub managed_elsewhere: Vec<OwnedElsewhere>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagValue {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MountInfo {
    pub volume: String,
    pub secret: String,
    pub mount_path: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretInfo {
    pub name: String,
    pub exists: bool,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// Registries (auth Secret): keys of `auths`, never credentials.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registries: Vec<String>,
    /// CA certificates (TLS Secret).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertSummary>,
    /// Problems reading it (missing key, unparsable).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertSummary {
    pub subject: String,
    pub not_after: String,
    pub is_ca: bool,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyInfo {
    pub namespace: String,
    pub name: String,
    pub exists: Option<bool>,
    /// Whether its bytes equal the mounted auth file (None: unknown).
    pub matches: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutInfo {
    pub state: String,
    pub generation: i64,
    pub observed_generation: i64,
    pub replicas: i64,
    pub updated_replicas: i64,
    pub ready_replicas: i64,
    pub available_replicas: i64,
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Describe an auth Secret's registries.
fn auth_info(secret: Option<&Value>, name: &str, key: &str) -> SecretInfo {
    let mut info = SecretInfo {
        name: name.to_string(),
        exists: secret.is_some(),
        type_: secret.and_then(|s| s["type"].as_str().map(String::from)),
        registries: vec![],
        certificates: vec![],
        problems: vec![],
    };
    if let Some(s) = secret {
        match secret_bytes(s, key) {
            None => info
                .problems
                .push(format!("no key \"{key}\" (the file the runner reads)")),
            Some(bytes) => match AuthFile::parse(&bytes) {
                Ok(file) => info.registries = file.auths.keys().cloned().collect(),
                Err(e) => info.problems.push(format!(
                    "the runner cannot parse it ({e}): no function pod for private images"
                )),
            },
        }
    }
    info
}

fn tls_info(secret: Option<&Value>, name: &str) -> SecretInfo {
    let mut info = SecretInfo {
        name: name.to_string(),
        exists: secret.is_some(),
        type_: secret.and_then(|s| s["type"].as_str().map(String::from)),
        registries: vec![],
        certificates: vec![],
        problems: vec![],
    };
    if let Some(s) = secret {
        match secret_bytes(s, "ca.crt").or_else(|| secret_bytes(s, "ca.pem")) {
            None => info
                .problems
                .push("no key ca.crt or ca.pem (the runner reads ca.crt, else ca.pem)".into()),
            Some(pem) => match crate::runner::ca::analyze_ca_pem(&pem, now_unix()) {
                Ok(r) => {
                    info.certificates = r
                        .certs
                        .iter()
                        .map(|c| CertSummary {
                            subject: c.subject.clone(),
                            not_after: c.not_after_rfc3339(),
                            is_ca: c.is_ca,
                            warnings: r
                                .warnings
                                .iter()
                                .filter(|w| w.to_string().contains(&c.subject))
                                .map(|w| w.to_string())
                                .collect(),
                        })
                        .collect()
                }
                Err(e) => info.problems.push(format!("CA {e}")),
            },
        }
    }
    info
}

/// Everything `status` shows, read from the cluster.
pub fn status_report(
    kube: &Kube,
    namespace: &str,
    deployment: &str,
    container: &str,
    fn_namespace: &str,
) -> Result<StatusReport> {
    let d = read_deployment(kube, namespace, deployment)?;
    let v: RunnerView = runner_view(&d, container)?;
    // The legacy late-2024 names never show here: Go exits on them (see `ignored_args`).
    let flags = v
        .args
        .flags
        .iter()
        .filter(|f| {
            flags::PRIVATE_REGISTRY_FLAGS.contains(&f.name.as_str())
                || f.name == flags::POD_NAMESPACE
        })
        .map(|f| FlagValue {
            name: format!("--{}", f.name),
            value: f.value.clone(),
        })
        .collect();
    let auth_src = v.auth_source();
    let mut auth_bytes = None;
    // The Secrets as read, with the data key the runner reads (for their owners).
    let mut read: Vec<(Value, String)> = vec![];
    let auth_secret = match &auth_src {
        Some((m, key)) => {
            let s = kube.get_opt(Kind::Secret, namespace, &m.secret)?;
            auth_bytes = s.as_ref().and_then(|s| secret_bytes(s, key));
            if let Some(s) = &s {
                read.push((s.clone(), key.clone()));
            }
            Some(auth_info(s.as_ref(), &m.secret, key))
        }
        None => None,
    };
    let tls_secret = match v.tls_source() {
        Some(m) => {
            let s = kube.get_opt(Kind::Secret, namespace, &m.secret)?;
            if let Some(s) = &s {
                let key =
                    if secret_bytes(s, "ca.crt").is_some() || secret_bytes(s, "ca.pem").is_none() {
                        "ca.crt"
                    } else {
                        "ca.pem"
                    };
                read.push((s.clone(), key.to_string()));
            }
            Some(tls_info(s.as_ref(), &m.secret))
        }
        None => None,
    };
    let secrets: Vec<(&Value, &str)> = read.iter().map(|(s, k)| (s, k.as_str())).collect();
    let managed_elsewhere =
        managed::runner_owned_elsewhere(&d, container, &secrets, crate::cluster::FIELD_MANAGER);
    let fn_ns = v.pod_namespace().unwrap_or(fn_namespace).to_string();
    let copy_name = v.copy_name();
    let fn_copy = match kube.get_opt(Kind::Secret, &fn_ns, &copy_name) {
        Ok(c) => CopyInfo {
            namespace: fn_ns,
            name: copy_name,
            exists: Some(c.is_some()),
            matches: match (&c, &auth_bytes) {
                (Some(c), Some(a)) => {
                    Some(secret_bytes(c, DOCKERCONFIGJSON_KEY).as_ref() == Some(a))
                }
                _ => None,
            },
            note: c.is_none().then(|| {
                if v.private_registries() {
                    "not created yet: the runner creates it on its next image lookup".to_string()
                } else {
                    "private registries are off: the runner makes no copy".to_string()
                }
            }),
        },
        Err(e) => CopyInfo {
            namespace: fn_ns,
            name: copy_name,
            exists: None,
            matches: None,
            note: Some(format!("cannot read it: {e}")),
        },
    };
    let int = |p: &str| d.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let state = rollout_state(&d);
    let rollout = RolloutInfo {
        state: match &state {
            RolloutState::Complete => "complete".into(),
            other => other.describe(),
        },
        generation: int("/metadata/generation"),
        observed_generation: int("/status/observedGeneration"),
        replicas: d
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1),
        updated_replicas: int("/status/updatedReplicas"),
        ready_replicas: int("/status/readyReplicas"),
        available_replicas: int("/status/availableReplicas"),
    };
    Ok(StatusReport {
        server: kube.server.clone(),
        namespace: namespace.to_string(),
        deployment: deployment.to_string(),
        container: v.container.clone(),
        image: v.image.clone(),
        service_account: v.service_account.clone(),
        private_registries: v.private_registries(),
        tls: v.tls(),
        flags,
        ignored_args: v.ignored.clone(),
        runner_exits: v.exit_message().map(String::from),
        mounts: v
            .mounts
            .iter()
            .map(|m| MountInfo {
                volume: m.volume.clone(),
                secret: m.secret.clone(),
                mount_path: m.mount_path.clone(),
                read_only: m.read_only,
            })
            .collect(),
        auth_secret,
        tls_secret,
        fn_copy,
        rollout,
        node_trust: None,
        managed_elsewhere,
    })
}
