//! The defaults of every name, path and duration the tool uses when the user gives none.
//! `cli.rs` shows them in `--help`; the settings layer, the lint and the planner use them.
//! Pure constants: no I/O, no clap.

/// The runner's namespace (Porch installs it there).
pub const DEFAULT_NAMESPACE: &str = "porch-system";
/// The function-runner Deployment.
pub const DEFAULT_DEPLOYMENT: &str = "function-runner";
/// The runner container in that Deployment.
pub const DEFAULT_CONTAINER: &str = "function-runner";
/// The auth Secret (kubernetes.io/dockerconfigjson) in the runner's namespace.
pub const DEFAULT_AUTH_SECRET_NAME: &str = "registry-auth-secret";
/// The TLS CA Secret (Opaque, key ca.crt) in the runner's namespace.
pub const DEFAULT_TLS_SECRET_NAME: &str = "registry-tls-secret";
/// Where the auth Secret is mounted in the runner container.
pub const DEFAULT_AUTH_MOUNT_PATH: &str = "/var/tmp/auth-secret";
/// Where the TLS Secret is mounted in the runner container.
pub const DEFAULT_TLS_MOUNT_PATH: &str = "/var/tmp/tls-secret";
/// Where the runner creates function pods (and its copy of the auth Secret).
pub const DEFAULT_FN_NAMESPACE: &str = "porch-fn-system";
/// How long `setup`/`remove` wait for the rollout, and `run` lets a function run
/// (in the syntax of [`crate::runner::duration::parse`]).
pub const DEFAULT_TIMEOUT: &str = "5m";
/// `--parallel`: how many clusters a many-context run handles at once.
pub const DEFAULT_PARALLEL: u16 = 4;
/// `--cluster-timeout`: how long one cluster of a many-context `status` may take.
pub const DEFAULT_CLUSTER_TIMEOUT: &str = "2m";

/// `run --pids-limit`: podman's default (containers.conf `pids_limit`).
pub const DEFAULT_PIDS_LIMIT: &str = "2048";
/// `run --memory`: the whole function, every process together.
pub const DEFAULT_MEMORY: &str = "2g";
/// `run --cpus`: no limit (the timeout bounds the time), as the engines.
pub const DEFAULT_CPUS: &str = "0";
/// `run --tmp-size`: the private `/tmp` tmpfs (without a size one may take half the RAM).
pub const DEFAULT_TMP_SIZE: &str = "256m";

/// `node-trust --name`: the objects node-trust creates (the OpenShift ConfigMap in
/// `openshift-config`).
pub const DEFAULT_NODE_TRUST_NAME: &str = "porch-registry-ca";
/// `node-trust --image`: the DaemonSet's helper (a shell, cmp, cp), pinned.
pub const DEFAULT_NODE_TRUST_IMAGE: &str = "docker.io/library/busybox:1.36.1";
/// `node-trust --namespace` for the DaemonSet (it needs Pod Security `privileged`).
pub const DEFAULT_NODE_TRUST_NAMESPACE: &str = "kube-system";

/// The field manager of live writes (`--field-manager`), as `managedFields` records them.
pub const DEFAULT_FIELD_MANAGER: &str = "kubectl-porch-registry";
