//! The clap definitions, and nothing else. They also feed `completions/` and `man/`.
//! Only `crate::settings` reads these structs: it resolves them into domain values. The
//! defaults shown in `--help` are the core's (`runner::defaults`); durations and names are
//! parsed here, once, by the core's parsers used as `value_parser`.
//!
//! Examples in help texts never contain a real-looking password.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::runner::defaults::DEFAULT_FIELD_MANAGER;
use crate::runner::defaults::{
    DEFAULT_AUTH_MOUNT_PATH, DEFAULT_AUTH_SECRET_NAME, DEFAULT_CLUSTER_TIMEOUT, DEFAULT_CONTAINER,
    DEFAULT_CPUS, DEFAULT_DEPLOYMENT, DEFAULT_FN_NAMESPACE, DEFAULT_MEMORY, DEFAULT_NAMESPACE,
    DEFAULT_NODE_TRUST_IMAGE, DEFAULT_NODE_TRUST_NAME, DEFAULT_NODE_TRUST_NAMESPACE,
    DEFAULT_PARALLEL, DEFAULT_PIDS_LIMIT, DEFAULT_TIMEOUT, DEFAULT_TLS_MOUNT_PATH,
    DEFAULT_TLS_SECRET_NAME, DEFAULT_TMP_SIZE,
};
use crate::runner::duration;
use crate::runner::managed::FieldManager;
use crate::runner::options::{ImagePullPolicy, Namespace};

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-porch_registry",
    bin_name = "kubectl porch-registry",
    version,
    about = "Make Porch's function runner pull KRM functions from private registries, and run them locally",
    long_about = "Make Porch's function runner pull KRM function images from authenticated private \
registries with custom TLS CAs: generate the Secrets, patch the function-runner Deployment \
(offline manifests or the live cluster), check a configuration for the mistakes that break it, \
and pull and run the same private functions locally with the runner's credentials and TLS.",
    after_help = "Examples:\n  \
  # Offline: print Secrets and the patched manifest, ready for kubectl apply\n  \
  printf '%s' \"$TOKEN\" | kubectl porch-registry setup -f 2-function-runner.yaml --dry-run=client \\\n      \
      --registry registry.example.com --username robot --password-stdin\n\n  \
  # Live cluster, interactive wizard\n  \
  kubectl porch-registry setup\n\n  \
  # Lint a kpt package\n  \
  kubectl porch-registry check -f ./porch"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the Secrets the function runner needs (registry credentials, TLS CA)
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Add the private-registry configuration to the function-runner Deployment in manifests
    Patch(PatchArgs),
    /// Take the private-registry configuration out again (manifests or the live cluster)
    Remove(RemoveArgs),
    /// Do the whole job: Secrets plus the Deployment patch, live or offline (-f)
    Setup(SetupArgs),
    /// Lint a configuration (manifests with -f, else the live cluster) for what breaks the runner
    Check(CheckArgs),
    /// Explain, offline, what the runner does with function images: key, credential, TLS path
    #[command(
        long_about = "Predict, without contacting any registry, what the function runner does with \
each function image: the image after the default prefix, whether its library parses it, the \
registry key it looks up, the keychain, the matching auth entry, the credential it sends (basic \
with the user name, bearer, or none), whether plain HTTP is tried too, the TLS path, and whether \
the image reaches the runner at all (porch-server runs some builtin functions in-process). The \
runner configuration comes from manifests (-f), a bare auth file (--auth-file), or the live \
cluster (neither). Passwords and tokens are never printed.",
        after_help = "Examples:\n  \
  kubectl porch-registry explain set-namespace:v0.4.1 -f 2-function-runner.yaml\n  \
  kubectl porch-registry explain --package ./my-package -f ./porch -o json\n  \
  kubectl porch-registry explain registry.example.com/fn/x:v1 --auth-file auth.json\n  \
  kubectl porch-registry explain registry.example.com/fn/x:v1     # the live cluster's runner"
    )]
    Explain(ExplainArgs),
    /// Show the runner's private-registry configuration as the cluster has it
    Status(StatusArgs),
    /// Run as a KRM function: ResourceList on stdin, patched ResourceList on stdout (kpt fn eval --exec)
    Fn(FnArgs),
    /// Make the nodes' container runtimes trust the registry CA (print it for kind, k3s, OpenShift)
    #[command(
        long_about = "Make the nodes trust the registry CA: the kubelet pulls function images through \
each node's container runtime, which never reads the runner's TLS Secret. By default (--method \
daemonset) server-side apply a ServiceAccount, a ConfigMap with the CA and a DaemonSet that writes \
it into each runtime's certs.d on every node, and wait for its rollout; the CA defaults to the \
ca.crt of the TLS Secret the runner mounts and the registries to the keys of its auth Secret \
(never copied: no password reaches the nodes). With --method kind, k3s or openshift, print that \
distribution's exact configuration and the steps to apply it. `node-trust remove` undoes the \
DaemonSet method.",
        after_help = "Examples:\n  \
  kubectl porch-registry node-trust                        # the runner's CA and registries, live\n  \
  kubectl porch-registry node-trust --registry registry.example.com:5000 --ca-file ca.crt --dry-run=client | kubectl apply -f -\n  \
  kubectl porch-registry node-trust remove\n  \
  kubectl porch-registry node-trust --method kind --registry registry.example.com:5000 --ca-file ca.crt > kind-config.yaml\n  \
  kubectl porch-registry node-trust --method k3s --registry registry.example.com:5000 --ca-file ca.crt\n  \
  kubectl porch-registry node-trust --method openshift --registry registry.example.com:5000 --ca-file ca.crt | oc apply -f -",
        args_conflicts_with_subcommands = true
    )]
    NodeTrust(NodeTrustArgs),
    /// Pull a function image with the runner's credentials and TLS behaviour
    Pull(PullArgs),
    /// Run a (private) KRM function image locally on a package, sandboxed, like kpt fn eval
    Run(RunArgs),
    /// Render a package: run its Kptfile pipelines (subpackages first) like kpt fn render
    #[command(
        long_about = "Render a kpt package the way `kpt fn render` and Porch do: every Kptfile \
pipeline of the package tree runs (subpackages first, mutators then validators), with the \
function images pulled like `pull` (the runner's credentials and TLS) and run in the same \
sandbox as `run`. On success every file of the package is written back formatted as kpt \
writes it; when any function fails nothing is written (exit 8).",
        after_help = "Examples:\n  \
  kubectl porch-registry render ./my-package --auth-file config.json --ca-file ca.crt\n  \
  kubectl porch-registry render ./my-package -o stdout --image-pull-policy never\n  \
  kubectl porch-registry render . --allow-exec --results-dir /tmp/results"
    )]
    Render(RenderArgs),
    /// Print shell completions
    #[command(
        long_about = "Print the completion script of a shell for the plugin binary called by its own \
name (kubectl-porch_registry). `kubectl porch-registry <TAB>` is completed by kubectl's own \
completion, which runs kubectl_complete-porch_registry (installed by install.sh beside the plugin).",
        after_help = "Examples:\n  \
  source <(kubectl porch-registry completions bash)\n  \
  kubectl porch-registry completions zsh > ~/.zfunc/_kubectl-porch_registry\n  \
  kubectl porch-registry completions fish > ~/.config/fish/completions/kubectl-porch_registry.fish"
    )]
    Completions(CompletionsArgs),
    /// Completion protocol for kubectl (used by kubectl_complete-porch_registry)
    #[command(name = "__complete", hide = true)]
    Complete(CompleteArgs),
    /// Sandbox helper, re-executed by `run` (internal)
    #[command(name = "__sandbox", hide = true)]
    Sandbox(SandboxArgs),
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Print a kubernetes.io/dockerconfigjson Secret with registry credentials
    #[command(after_help = "Examples:\n  \
  printf '%s' \"$TOKEN\" | kubectl porch-registry secret auth --registry ghcr.io --username robot --password-stdin\n  \
  kubectl porch-registry secret auth --from-docker-config ~/.docker/config.json -o json")]
    Auth(SecretAuthArgs),
    /// Print an Opaque Secret holding a registry CA certificate under ca.crt
    #[command(after_help = "Examples:\n  \
  kubectl porch-registry secret tls --ca-file ca.crt | kubectl apply -f -")]
    Tls(SecretTlsArgs),
}

/// `-o yaml|json|name` of printed objects (resolved to `ui::output::OutputFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputArg {
    // No per-value help: `__complete` answers bare values, as kubectl's own `-o` does.
    #[default]
    Yaml,
    Json,
    // `kind[.group]/name` lines, as kubectl's `-o name`.
    Name,
}

/// `-o table|json|yaml` of reports (resolved to `ui::output::ReportFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportArg {
    /// A table for people
    #[default]
    Table,
    /// JSON for scripts
    Json,
    /// YAML
    Yaml,
}

/// `--dry-run` (resolved to `runner::options::DryRun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DryRunArg {
    /// Change things for real
    #[default]
    None,
    /// Print what would be applied, send nothing
    Client,
    /// Send the requests with dryRun=All; nothing is persisted
    Server,
}

/// Where the cluster is (the plugin defines kubectl's flags itself: kubectl passes none).
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
    #[arg(long, value_name = "PATH", global = false)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the current context); `setup`, `status`,
    /// `check`, `remove` and live `explain` take it several times, one cluster per context
    #[arg(long, value_name = "NAME", action = clap::ArgAction::Append)]
    pub context: Vec<String>,
}

/// Many clusters in one run: which contexts, how many at once, how long each may take.
#[derive(Debug, Clone, Args)]
pub struct FleetArgs {
    /// Every context of the kubeconfig (with --context-pattern: those whose name matches)
    #[arg(long, conflicts_with = "context")]
    pub all_contexts: bool,
    /// With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)
    #[arg(long, value_name = "GLOB", requires = "all_contexts")]
    pub context_pattern: Option<String>,
    /// How many clusters are handled at once
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PARALLEL, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: u16,
    /// How long one cluster may take before it is reported as timed out (the others go on)
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_CLUSTER_TIMEOUT, value_parser = duration::parse_positive)]
    pub cluster_timeout: Duration,
}

/// `-n`, `--fn-namespace`: a valid namespace name, checked before anything is read or sent.
fn namespace_name(s: &str) -> Result<Namespace, String> {
    Namespace::parse(s)
}

/// `--deployment`, `--container`: a valid Kubernetes object name.
fn object_name(s: &str) -> Result<String, String> {
    crate::runner::secrets::validate_object_name(s).map(|()| s.to_string())
}

/// The runner's namespace. `None`: not given (the settings layer applies the default, and
/// offline commands then take the Deployment's namespace from the manifests).
#[derive(Debug, Clone, Args)]
pub struct NamespaceArgs {
    #[arg(value_parser = namespace_name, short = 'n', long, value_name = "NAMESPACE",
        help = format!("Namespace of the function runner (and of its Secrets) [default: {DEFAULT_NAMESPACE}]"))]
    pub namespace: Option<Namespace>,
}

/// `--field-manager`: a name the API server accepts.
fn field_manager(s: &str) -> Result<FieldManager, String> {
    FieldManager::parse(s)
}

/// How live writes are made, as kubectl's server-side apply (live `setup`, `remove` and
/// `node-trust`).
#[derive(Debug, Clone, Args)]
pub struct WriteArgs {
    #[arg(long, value_name = "NAME", value_parser = field_manager,
        help = format!("Name of the field manager that owns what this writes (metadata.managedFields) [default: {DEFAULT_FIELD_MANAGER}]"))]
    pub field_manager: Option<FieldManager>,
    /// Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed
    #[arg(long)]
    pub force_conflicts: bool,
}

/// Waiting for the rollout (live `setup` and `remove`).
#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    /// Wait for the rollout
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub wait: bool,
    /// How long to wait for the rollout (e.g. 30s, 5m)
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_TIMEOUT, value_parser = duration::parse)]
    pub timeout: Duration,
}

/// Which Deployment and container are the function runner.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Name of the function-runner Deployment
    #[arg(value_parser = object_name, long, value_name = "NAME", default_value = DEFAULT_DEPLOYMENT)]
    pub deployment: String,
    /// Name of the runner container in the Deployment
    #[arg(value_parser = object_name, long, value_name = "NAME", default_value = DEFAULT_CONTAINER)]
    pub container: String,
}

/// How the Deployment is configured (secret names and mount paths).
#[derive(Debug, Clone, Args)]
pub struct PatchOptions {
    /// Name of the auth Secret (dockerconfigjson) in the runner's namespace
    #[arg(long, value_name = "NAME", default_value = DEFAULT_AUTH_SECRET_NAME)]
    pub auth_secret_name: String,
    /// Directory where the auth Secret is mounted (must be dedicated to it)
    #[arg(long, value_name = "DIR", default_value = DEFAULT_AUTH_MOUNT_PATH)]
    pub auth_mount_path: String,
    /// Also configure a registry CA (implied by --tls-secret-name or --ca-file)
    #[arg(long)]
    pub tls: bool,
    /// Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls
    #[arg(long, value_name = "NAME")]
    pub tls_secret_name: Option<String>,
    /// Directory where the TLS Secret is mounted (must be dedicated to it)
    #[arg(long, value_name = "DIR", default_value = DEFAULT_TLS_MOUNT_PATH)]
    pub tls_mount_path: String,
    /// Name of the runner's copy of the auth Secret in the function namespace (--registry-auth-secret-name)
    #[arg(long, value_name = "NAME")]
    pub registry_auth_secret_name: Option<String>,
}

/// Registry credentials, from flags, stdin, the environment or a docker config.
#[derive(Debug, Clone, Args)]
pub struct CredentialArgs {
    /// Registry host[:port] (normalised the way the runner looks it up; docker.io -> index.docker.io)
    #[arg(long, value_name = "HOST", conflicts_with = "from_docker_config")]
    pub registry: Option<String>,
    /// Registry user name
    #[arg(long, short = 'u', value_name = "USER", requires = "registry")]
    pub username: Option<String>,
    /// Read the password (or token) from stdin
    #[arg(long, conflicts_with = "password")]
    pub password_stdin: bool,
    /// The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)
    #[arg(long, short = 'p', value_name = "PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// E-mail address stored with the credentials (optional)
    #[arg(long, value_name = "EMAIL", requires = "registry")]
    pub email: Option<String>,
    /// Take every registry from a docker/podman config (default: the user's docker config); helper-only entries are resolved by running the helper
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "",
        value_parser = clap::builder::OsStringValueParser::new().map(PathBuf::from))]
    pub from_docker_config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SecretAuthArgs {
    /// Name of the Secret
    #[arg(long, value_name = "NAME", default_value = DEFAULT_AUTH_SECRET_NAME)]
    pub name: String,
    #[command(flatten)]
    pub namespace: NamespaceArgs,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputArg,
}

#[derive(Debug, Clone, Args)]
pub struct SecretTlsArgs {
    /// PEM file with the registry's CA certificate(s)
    #[arg(long, value_name = "PEM")]
    pub ca_file: PathBuf,
    /// Name of the Secret
    #[arg(long, value_name = "NAME", default_value = DEFAULT_TLS_SECRET_NAME)]
    pub name: String,
    #[command(flatten)]
    pub namespace: NamespaceArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputArg,
}

#[derive(Debug, Clone, Args)]
pub struct PatchArgs {
    /// Manifest file, kpt package directory, or - for stdin
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filename: PathBuf,
    /// Write the changes back to the files instead of printing them
    #[arg(long, short = 'i')]
    pub in_place: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub options: PatchOptions,
    /// Namespace of the function runner (used to pick the Deployment)
    #[arg(value_parser = namespace_name, short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<Namespace>,
    /// Output format of the printed manifests (yaml keeps their comments and layout)
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputArg,
}

#[derive(Debug, Clone, Args)]
pub struct RemoveArgs {
    /// Manifest file, kpt package directory, or - for stdin (default: the live cluster)
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filename: Option<PathBuf>,
    /// With -f: write the changes back to the files
    #[arg(long, short = 'i', requires = "filename")]
    pub in_place: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub options: PatchOptions,
    #[command(flatten)]
    pub namespace: NamespaceArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Live: also delete the Secrets and the runner's copy in the function namespace
    #[arg(long)]
    pub delete_secrets: bool,
    /// Namespace where the runner creates function pods (and its Secret copy)
    #[arg(value_parser = namespace_name, long, value_name = "NAMESPACE", default_value = DEFAULT_FN_NAMESPACE)]
    pub fn_namespace: Namespace,
    /// none, client (print what would change) or server (dryRun=All)
    #[arg(long, value_enum, default_value_t, num_args = 0..=1, default_missing_value = "client", require_equals = true)]
    pub dry_run: DryRunArg,
    /// Output format of printed objects (with -f, or live with --dry-run=client; default yaml); across contexts, of the summary: json or yaml (default: a table)
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<OutputArg>,
    #[command(flatten)]
    pub writes: WriteArgs,
    #[command(flatten)]
    pub rollout: RolloutArgs,
    /// Don't ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SetupArgs {
    /// Work offline on a manifest file, kpt package directory or - (stdin) instead of the cluster
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filename: Option<PathBuf>,
    /// With -f: patch the files in place and print only the Secrets
    #[arg(long, short = 'i', requires = "filename")]
    pub in_place: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// PEM file with the registry's CA certificate(s); implies --tls
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub options: PatchOptions,
    #[command(flatten)]
    pub namespace: NamespaceArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Namespace where the runner creates function pods (and its Secret copy)
    #[arg(value_parser = namespace_name, long, value_name = "NAMESPACE", default_value = DEFAULT_FN_NAMESPACE)]
    pub fn_namespace: Namespace,
    /// none, client (print the objects for kubectl apply -f -) or server (dryRun=All)
    #[arg(long, value_enum, default_value_t, num_args = 0..=1, default_missing_value = "client", require_equals = true)]
    pub dry_run: DryRunArg,
    /// Output format of printed objects (default yaml); across contexts, of the summary: json or yaml (default: a table)
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<OutputArg>,
    #[command(flatten)]
    pub writes: WriteArgs,
    #[command(flatten)]
    pub rollout: RolloutArgs,
    /// Don't ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Manifest file, kpt package directory or - (stdin); default: the live cluster
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filename: Option<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub namespace: NamespaceArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Namespace where the runner creates function pods
    #[arg(value_parser = namespace_name, long, value_name = "NAMESPACE", default_value = DEFAULT_FN_NAMESPACE)]
    pub fn_namespace: Namespace,
    /// Also log in to every registry in the auth Secret and report credentials and TLS step
    #[arg(long)]
    pub probe: bool,
    /// Also judge every function image of the Kptfile pipelines in DIR and its subpackages
    #[arg(long = "package", value_name = "DIR")]
    pub packages: Vec<PathBuf>,
    #[command(flatten)]
    pub prefix: ImagePrefixArgs,
    /// Live: pull each IMAGE (and the --package images) on every Ready node from a short-lived pod in the function namespace, as the runner's function pods would; the pods are deleted afterwards
    #[arg(long = "pull-test", value_name = "IMAGE", num_args = 0.., conflicts_with = "filename")]
    pub pull_test: Option<Vec<String>>,
    /// With --pull-test: how long the whole test may take (e.g. 90s, 5m)
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_TIMEOUT, value_parser = duration::parse_positive, requires = "pull_test")]
    pub timeout: Duration,
    /// With --pull-test: test on at most N Ready nodes (by name)
    #[arg(long, value_name = "N", requires = "pull_test", value_parser = clap::value_parser!(u32).range(1..))]
    pub nodes: Option<u32>,
    /// Live, with TLS on: the node-trust DaemonSet whose per-node state tells whether the nodes trust the CA
    #[arg(value_parser = object_name, long, value_name = "NAME", default_value = DEFAULT_NODE_TRUST_NAME, conflicts_with = "filename")]
    pub node_trust_name: String,
    /// Namespace of the node-trust DaemonSet
    #[arg(value_parser = namespace_name, long, value_name = "NAMESPACE", default_value = DEFAULT_NODE_TRUST_NAMESPACE, conflicts_with = "filename")]
    pub node_trust_namespace: Namespace,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: ReportArg,
}

/// `--default-image-prefix`: overrides the runner Deployment's own flag.
#[derive(Debug, Clone, Args)]
pub struct ImagePrefixArgs {
    /// Prefix for function names without '/' (default: the runner's --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)
    #[arg(long, value_name = "PREFIX")]
    pub default_image_prefix: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// Function images, e.g. set-namespace:v0.4.1 or registry.example.com/fn/x:v1
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,
    /// Add every function image of the Kptfile pipelines in DIR and its subpackages
    #[arg(long = "package", value_name = "DIR")]
    pub packages: Vec<PathBuf>,
    /// Manifests with the runner Deployment and its Secrets (file, kpt package or -); default: the live cluster
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        conflicts_with = "auth_file"
    )]
    pub filename: Option<PathBuf>,
    /// A bare .dockerconfigjson / config.json as the runner's auth file (private registries on)
    #[arg(long, value_name = "FILE")]
    pub auth_file: Option<PathBuf>,
    /// With --auth-file: the runner has --enable-private-registries-tls=true too
    #[arg(long, requires = "auth_file")]
    pub tls: bool,
    #[command(flatten)]
    pub prefix: ImagePrefixArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub namespace: NamespaceArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: ReportArg,
}

/// `node-trust --method` (resolved to `settings::NodeTrustMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum NodeTrustMethodArg {
    /// Apply a DaemonSet (own ServiceAccount and ConfigMap) that writes the CA into each runtime's certs.d
    #[default]
    Daemonset,
    /// Print a kind Cluster config: extraMounts of the CA and the containerd config_path patch
    Kind,
    /// Print k3s registries.yaml (configs.HOST.tls.ca_file) and where to put the CA
    K3s,
    /// Print the openshift-config ConfigMap and the image.config.openshift.io/cluster patch
    Openshift,
}

#[derive(Debug, Clone, Args)]
pub struct NodeTrustArgs {
    #[command(subcommand)]
    pub command: Option<NodeTrustCommand>,
    /// How the nodes get the CA
    #[arg(long, value_enum, value_name = "METHOD", default_value_t)]
    pub method: NodeTrustMethodArg,
    /// Registry HOST[:PORT] whose CA the nodes trust (repeatable; default: the keys of the runner's auth Secret)
    #[arg(long = "registry", value_name = "HOST[:PORT]")]
    pub registries: Vec<String>,
    /// PEM file with the registry's CA certificate(s) (default: ca.crt of the TLS Secret the runner mounts)
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    #[command(flatten)]
    pub trust: NodeTrustObjectArgs,
    /// The DaemonSet's helper image (needs sh, cmp, cp, mv)
    #[arg(long, value_name = "IMAGE", default_value = DEFAULT_NODE_TRUST_IMAGE)]
    pub image: String,
    /// Namespace of the function runner, whose Secrets give the default CA and registries
    #[arg(value_parser = namespace_name, long, value_name = "NAMESPACE", default_value = DEFAULT_NAMESPACE)]
    pub runner_namespace: Namespace,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub writes: WriteArgs,
    #[command(flatten)]
    pub rollout: RolloutArgs,
    /// client: print the objects (for kubectl apply -f -), send nothing; server: send them with dryRun=All
    #[arg(long, value_enum, value_name = "MODE", default_value_t, require_equals = true, num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: DryRunArg,
    /// Print the objects (as applied, or as the server would apply them) in this format
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<OutputArg>,
}

/// The node-trust objects: their name and namespace (apply, remove, status).
#[derive(Debug, Clone, Args)]
pub struct NodeTrustObjectArgs {
    /// Name of the node-trust objects (DaemonSet, ServiceAccount, ConfigMap)
    #[arg(value_parser = object_name, long, value_name = "NAME", default_value = DEFAULT_NODE_TRUST_NAME)]
    pub name: String,
    /// Namespace of the DaemonSet (Pod Security admission must allow `privileged` there)
    #[arg(value_parser = namespace_name, long, value_name = "NAMESPACE", default_value = DEFAULT_NODE_TRUST_NAMESPACE)]
    pub namespace: Namespace,
}

#[derive(Debug, Clone, Subcommand)]
pub enum NodeTrustCommand {
    /// Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)
    #[command(after_help = "Examples:\n  \
  kubectl porch-registry node-trust remove\n  \
  kubectl porch-registry node-trust remove --namespace trust-system --dry-run=server")]
    Remove(NodeTrustRemoveArgs),
}

#[derive(Debug, Clone, Args)]
pub struct NodeTrustRemoveArgs {
    #[command(flatten)]
    pub trust: NodeTrustObjectArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Wait for the pods' cleanup (a rollout) and for the pods to go before deleting the ConfigMap
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub wait: bool,
    /// How long to wait for the pods to go (e.g. 30s, 5m)
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_TIMEOUT, value_parser = duration::parse)]
    pub timeout: Duration,
    /// client: say what would be deleted, send nothing; server: send the deletes with dryRun=All
    #[arg(long, value_enum, value_name = "MODE", default_value_t, require_equals = true, num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: DryRunArg,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub namespace: NamespaceArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Namespace where the runner creates function pods
    #[arg(value_parser = namespace_name, long, value_name = "NAMESPACE", default_value = DEFAULT_FN_NAMESPACE)]
    pub fn_namespace: Namespace,
    /// Name of the node-trust DaemonSet whose per-node state is shown
    #[arg(value_parser = object_name, long, value_name = "NAME", default_value = DEFAULT_NODE_TRUST_NAME)]
    pub node_trust_name: String,
    /// Namespace of the node-trust DaemonSet
    #[arg(value_parser = namespace_name, long, value_name = "NAMESPACE", default_value = DEFAULT_NODE_TRUST_NAMESPACE)]
    pub node_trust_namespace: Namespace,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: ReportArg,
}

#[derive(Debug, Clone, Args)]
pub struct FnArgs {
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Where credentials and the CA come from for pulls.
#[derive(Debug, Clone, Args)]
pub struct PullSourceArgs {
    #[command(flatten)]
    pub prefix: ImagePrefixArgs,
    /// A .dockerconfigjson / config.json to take credentials from
    #[arg(long, value_name = "PATH", conflicts_with = "from_cluster")]
    pub auth_file: Option<PathBuf>,
    /// Use the auth and TLS Secrets that the live runner mounts
    #[arg(long)]
    pub from_cluster: bool,
    /// PEM file with the registry CA (the runner's mounted ca.crt)
    #[arg(long, value_name = "PEM", conflicts_with = "tls_dir")]
    pub ca_file: Option<PathBuf>,
    /// Directory holding ca.crt (else ca.pem), as the runner's --tls-secret-path
    #[arg(long, value_name = "DIR")]
    pub tls_dir: Option<PathBuf>,
    /// Allow plain HTTP as a last resort (the runner does NOT do this; warns)
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// Platform to pick from a multi-arch index (default: this host's, e.g. linux/amd64)
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)
    #[arg(long, value_name = "DIR", env = "PORCH_REGISTRY_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub namespace: NamespaceArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Clone, Args)]
pub struct PullArgs {
    /// Image reference, e.g. registry.example.com:5000/fn/set-labels:v1
    #[arg(value_name = "IMAGE")]
    pub image: String,
    #[command(flatten)]
    pub source: PullSourceArgs,
    /// Output format of the summary
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: ReportArg,
}

/// `run --runtime` (resolved to `settings::Runtime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum RuntimeArg {
    /// Linux namespaces, no container engine needed
    #[default]
    Native,
    /// podman run, with kpt's flags
    Podman,
    /// docker run, with kpt's flags
    Docker,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Image reference of the KRM function
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Package directory, or - to read a ResourceList / YAML stream on stdin
    #[arg(value_name = "DIR", default_value = ".", value_hint = clap::ValueHint::DirPath)]
    pub package: String,
    /// key=value pairs after --, passed as a ConfigMap function-input
    #[arg(last = true, value_name = "KEY=VALUE")]
    pub fn_args: Vec<String>,
    /// File with the functionConfig
    #[arg(long, value_name = "FILE")]
    pub fn_config: Option<PathBuf>,
    /// Output: stdout (ResourceList), unwrap (plain YAML), or a directory; default: in place
    #[arg(short = 'o', long, value_name = "stdout|unwrap|DIR")]
    pub output: Option<String>,
    /// Write a FunctionResultList (kpt.dev/v1) to this directory
    #[arg(long, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
    /// How to run the function
    #[arg(long, value_enum, default_value_t)]
    pub runtime: RuntimeArg,
    /// Give the function network access
    #[arg(long)]
    pub network: bool,
    /// Run as the current user instead of nobody
    #[arg(long)]
    pub as_current_user: bool,
    /// Kill the function after this long (e.g. 30s, 5m)
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_TIMEOUT, value_parser = duration::parse_positive)]
    pub timeout: Duration,
    /// Environment variables for the function: KEY=VALUE, or KEY to pass the current value
    #[arg(short = 'e', long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// Bind mounts, as kpt: type=bind,source=/host/dir,target=/dir[,rw=true]
    #[arg(long = "mount", value_name = "SPEC")]
    pub mount: Vec<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub truncate: TruncateArgs,
    /// When to pull the image: always, ifNotPresent (a cached image makes no network request), never
    #[arg(long, value_name = "POLICY", default_value = "ifNotPresent", value_parser = ImagePullPolicy::parse)]
    pub image_pull_policy: ImagePullPolicy,
    #[command(flatten)]
    pub selection: Box<SelectionArgs>,
    #[command(flatten)]
    pub source: PullSourceArgs,
}

/// The sandbox's limits, the same for `run` and every function of `render`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Limits of the function sandbox")]
pub struct LimitArgs {
    /// Most processes and threads a function may have (-1: no limit)
    ///
    /// The default is podman's (2048); a fork that would pass it fails with EAGAIN. Native
    /// runtime: a pids cgroup where one can be made (root; a normal user with a delegated
    /// cgroup v2 subtree), else RLIMIT_NPROC, counted in the sandbox's own user namespace
    /// (a normal user). As root without a pids cgroup the kernel exempts root from
    /// RLIMIT_NPROC: a warning says the limit is not applied. Engines: --pids-limit.
    #[arg(long, value_name = "N", default_value = DEFAULT_PIDS_LIMIT, value_parser = parse_pids, allow_hyphen_values = true)]
    pub pids_limit: Limit,
    /// Memory of a function, all its processes together (e.g. 512m, 4g; 0: no limit)
    ///
    /// Native runtime: a memory cgroup where one can be made (root; a normal user with a
    /// delegated cgroup v2 subtree; /tmp's pages count too), and the kernel's OOM killer
    /// stops the function past it; else RLIMIT_DATA, the same amount for each process
    /// (allocations fail past it). Engines: --memory.
    #[arg(long, value_name = "SIZE", default_value = DEFAULT_MEMORY, value_parser = parse_memory, allow_hyphen_values = true)]
    pub memory: Limit,
    /// CPUs a function may use, e.g. 0.5 or 2 (0: no limit)
    ///
    /// Native runtime: a CPU quota in a cpu cgroup where one can be made (root; a normal
    /// user with a delegated cgroup v2 subtree), else the function is pinned to ceil(N) CPUs
    /// and may not change its CPU affinity. Engines: --cpus.
    #[arg(long, value_name = "N", default_value = DEFAULT_CPUS, value_parser = parse_cpus, allow_hyphen_values = true)]
    pub cpus: Limit,
    /// Size of a function's private /tmp, a tmpfs (e.g. 64m, 1g)
    ///
    /// Writing past it fails with ENOSPC (No space left on device). Applies as root and as a
    /// normal user. Engines: --tmpfs /tmp:size=SIZE.
    #[arg(long, value_name = "SIZE", default_value = DEFAULT_TMP_SIZE, value_parser = parse_tmp_size, allow_hyphen_values = true)]
    pub tmp_size: u64,
}

/// kpt's global `--truncate-output` (default on): how much of a function's results and
/// stderr is printed.
#[derive(Debug, Clone, Args)]
pub struct TruncateArgs {
    /// Show at most 4 lines of each function's results and stderr, as kpt (--truncate-output=false: all)
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub truncate_output: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// The package directory
    #[arg(value_name = "PKG", default_value = ".", value_hint = clap::ValueHint::DirPath)]
    pub package: PathBuf,
    /// Output: stdout (ResourceList), unwrap (plain YAML), or a new directory; default: in place
    #[arg(short = 'o', long, value_name = "stdout|unwrap|DIR")]
    pub output: Option<String>,
    /// Write a FunctionResultList (kpt.dev/v1) of every function to DIR/results.yaml
    #[arg(long, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
    /// Allow `exec:` functions (they run unsandboxed, as kpt runs them)
    #[arg(long)]
    pub allow_exec: bool,
    /// Give the functions network access
    #[arg(long)]
    pub allow_network: bool,
    /// When to pull images: always, ifNotPresent (a cached image makes no network request), never
    #[arg(long, value_name = "POLICY", default_value = "ifNotPresent", value_parser = ImagePullPolicy::parse)]
    pub image_pull_policy: ImagePullPolicy,
    /// How to run the image functions
    #[arg(long, value_enum, default_value_t)]
    pub runtime: RuntimeArg,
    /// Kill a function after this long (e.g. 30s, 5m)
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_TIMEOUT, value_parser = duration::parse_positive)]
    pub timeout: Duration,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub truncate: TruncateArgs,
    #[command(flatten)]
    pub source: PullSourceArgs,
}

/// A limit flag's value: `None` is "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub Option<u64>);

fn parse_pids(s: &str) -> Result<Limit, String> {
    crate::runner::limits::parse_pids(s).map(Limit)
}

fn parse_memory(s: &str) -> Result<Limit, String> {
    crate::runner::limits::parse_memory(s).map(Limit)
}

fn parse_cpus(s: &str) -> Result<Limit, String> {
    crate::runner::limits::parse_cpus(s).map(Limit)
}

fn parse_tmp_size(s: &str) -> Result<u64, String> {
    crate::runner::limits::parse_tmp_size(s)
}

/// kpt fn eval's resource selection: the function gets only the selected resources; the
/// others stay as they are.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Selecting resources (as kpt fn eval)")]
pub struct SelectionArgs {
    /// Select resources with this apiVersion
    #[arg(long, value_name = "APIVERSION")]
    pub match_api_version: Option<String>,
    /// Select resources of this kind
    #[arg(long, value_name = "KIND")]
    pub match_kind: Option<String>,
    /// Select resources with this name
    #[arg(long, value_name = "NAME")]
    pub match_name: Option<String>,
    /// Select resources in this namespace (exactly: a resource without one is not in "default")
    #[arg(long, value_name = "NAMESPACE")]
    pub match_namespace: Option<String>,
    /// Select resources with this annotation (repeat for several: all must match)
    #[arg(long, value_name = "KEY=VALUE")]
    pub match_annotations: Vec<String>,
    /// Select resources with this label (repeat for several: all must match)
    #[arg(long, value_name = "KEY=VALUE")]
    pub match_labels: Vec<String>,
    /// Leave out resources with this apiVersion
    #[arg(long, value_name = "APIVERSION")]
    pub exclude_api_version: Option<String>,
    /// Leave out resources of this kind
    #[arg(long, value_name = "KIND")]
    pub exclude_kind: Option<String>,
    /// Leave out resources with this name
    #[arg(long, value_name = "NAME")]
    pub exclude_name: Option<String>,
    /// Leave out resources in this namespace
    #[arg(long, value_name = "NAMESPACE")]
    pub exclude_namespace: Option<String>,
    /// Leave out resources with this annotation (with several: those that have all of them)
    #[arg(long, value_name = "KEY=VALUE")]
    pub exclude_annotations: Vec<String>,
    /// Leave out resources with this label (with several: those that have all of them)
    #[arg(long, value_name = "KEY=VALUE")]
    pub exclude_labels: Vec<String>,
    /// Accepted for kpt compatibility: the Kptfile and function configs are always part of the
    /// input (as in kpt 1.0, where the flag is deprecated)
    #[arg(short = 'm', long)]
    pub include_meta_resources: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct CompleteArgs {
    /// The words typed after `kubectl porch-registry`, the last being the word to complete
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Internal: a JSON spec of what to run
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub spec: Vec<String>,
}

/// The clap Command, for completions, man pages and the kubectl completer.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
