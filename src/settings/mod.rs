//! THE settings layer: the only code that reads the clap structs of `cli.rs`. Each command's
//! arguments become one resolved value ([`Settings`], one variant per command) made of domain
//! values: [`Target`], [`DesiredConfig`] / [`RequestedConfig`], [`Namespace`] (an `Option`
//! where "was `-n` given?" matters), [`Rollout`], [`DryRun`], [`ClusterOptions`],
//! [`CredentialInput`], [`PullSource`]. Commands (`commands::*`) take these and never see clap.
//!
//! Pure: no I/O here. What can be decided from the command line alone (flag combinations that
//! cannot work) is decided here, as usage errors, before anything is read or sent. Defaults
//! come from the core (`runner::defaults`, via `cli.rs`); durations and names were already
//! parsed by the core's parsers (clap's `value_parser`).

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{self, Cli, Command, SecretCommand};
use crate::error::{Error, Result};
use crate::runner::image_ref::Platform;
use crate::runner::node_trust::{self, NodeRegistry};

pub use crate::cluster::ClusterOptions;
pub use crate::credentials::CredentialInput;
pub use crate::krm::select::Selector;
pub use crate::runner::managed::{FieldManager, WriteOptions};
pub use crate::runner::options::{DryRun, ImagePullPolicy, Namespace, Verb};
pub use crate::runner::plan::{DesiredConfig, RequestedConfig, Target};
pub use crate::ui::output::{OutputFormat, ReportFormat};

/// A command, resolved.
#[derive(Debug)]
pub enum Settings {
    SecretAuth(SecretAuth),
    SecretTls(SecretTls),
    Patch(Patch),
    Remove(Remove),
    Setup(Setup),
    Check(Check),
    Explain(Explain),
    Status(Status),
    Fn(Fn),
    NodeTrust(NodeTrust),
    NodeTrustRemove(NodeTrustRemove),
    Pull(Pull),
    Run(Run),
    Render(Render),
    Completions(clap_complete::Shell),
    /// `__complete WORDS...` (kubectl's completion protocol).
    Complete(Vec<String>),
    /// `__sandbox` called directly (it is internal to `run`).
    Sandbox,
}

impl Settings {
    /// Resolve the parsed command line (cf. ripgrep's `HiArgs::from_low_args`).
    pub fn resolve(cli: Cli) -> Result<Settings> {
        Ok(match cli.command {
            Command::Secret(SecretCommand::Auth(a)) => Settings::SecretAuth(SecretAuth::resolve(a)),
            Command::Secret(SecretCommand::Tls(a)) => Settings::SecretTls(SecretTls::resolve(a)),
            Command::Patch(a) => Settings::Patch(Patch::resolve(a)),
            Command::Remove(a) => Settings::Remove(Remove::resolve(a)?),
            Command::Setup(a) => Settings::Setup(Setup::resolve(a)?),
            Command::Check(a) => Settings::Check(Check::resolve(a)?),
            Command::Explain(a) => Settings::Explain(Explain::resolve(a)?),
            Command::Status(a) => Settings::Status(Status::resolve(a)?),
            Command::Fn(a) => Settings::Fn(Fn {
                target: target(&a.target),
            }),
            Command::NodeTrust(a) => match a.command {
                Some(cli::NodeTrustCommand::Remove(r)) => {
                    Settings::NodeTrustRemove(NodeTrustRemove::resolve(r)?)
                }
                None => Settings::NodeTrust(NodeTrust::resolve(a)?),
            },
            Command::Pull(a) => Settings::Pull(Pull::resolve(a)?),
            Command::Run(a) => Settings::Run(Run::resolve(a)?),
            Command::Render(a) => Settings::Render(Render::resolve(a)?),
            Command::Completions(a) => Settings::Completions(a.shell),
            Command::Complete(a) => Settings::Complete(a.words),
            Command::Sandbox(_) => Settings::Sandbox,
        })
    }
}

/// Waiting for a rollout (`--wait`, `--timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollout {
    pub wait: bool,
    pub timeout: Duration,
}

/// Where the live runner is: the cluster, its namespace, Deployment and container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerLocation {
    pub cluster: ClusterOptions,
    pub namespace: Namespace,
    pub target: Target,
}

/// An offline edit of the runner's Deployment in manifests (`patch`, `remove -f`, `setup -f`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineEdit {
    /// A manifest file, a kpt package directory, or `-` (stdin).
    pub source: PathBuf,
    /// `--in-place`: write the files back instead of printing.
    pub in_place: bool,
    /// `-n` when given: only a Deployment in this namespace is the runner's.
    pub namespace: Option<Namespace>,
    pub target: Target,
    pub verb: Verb,
}

impl OfflineEdit {
    /// Whether the manifests come from stdin.
    pub fn is_stdin(&self) -> bool {
        self.source.as_os_str() == "-"
    }
}

/// `secret auth`.
#[derive(Debug, Clone)]
pub struct SecretAuth {
    pub name: String,
    pub namespace: Namespace,
    pub credentials: CredentialInput,
    pub output: OutputFormat,
}

impl SecretAuth {
    fn resolve(a: cli::SecretAuthArgs) -> Self {
        SecretAuth {
            name: a.name,
            namespace: namespace(&a.namespace),
            credentials: credentials(a.credentials),
            output: output(a.output),
        }
    }
}

/// How `node-trust` makes the nodes trust the CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeTrustMethod {
    /// Print the DaemonSet, its ServiceAccount and ConfigMap.
    Daemonset,
    /// Print a kind `Cluster` config.
    Kind,
    /// Print k3s `registries.yaml`.
    K3s,
    /// Print the OpenShift ConfigMap and image config patch.
    Openshift,
}

/// `node-trust`.
#[derive(Debug, Clone)]
pub struct NodeTrust {
    pub method: NodeTrustMethod,
    /// `--registry`, parsed (host[:port] as the nodes name them), sorted, unique; empty:
    /// the keys of the runner's auth Secret.
    pub registries: Vec<NodeRegistry>,
    /// `--ca-file`; None: `ca.crt` of the TLS Secret the runner mounts.
    pub ca_file: Option<PathBuf>,
    pub name: String,
    pub namespace: Namespace,
    pub image: String,
    /// The runner whose Secrets give the defaults (and the cluster to apply to).
    pub runner: RunnerLocation,
    pub dry_run: DryRun,
    /// `--field-manager`, `--force-conflicts` of the applies.
    pub writes: WriteOptions,
    pub rollout: Rollout,
    /// `-o` when given.
    pub output: Option<OutputFormat>,
}

impl NodeTrust {
    fn resolve(a: cli::NodeTrustArgs) -> Result<Self> {
        let mut registries = Vec::new();
        for r in &a.registries {
            registries
                .push(NodeRegistry::parse(r).map_err(|e| Error::usage(format!("--registry {e}")))?);
        }
        let method = match a.method {
            cli::NodeTrustMethodArg::Daemonset => NodeTrustMethod::Daemonset,
            cli::NodeTrustMethodArg::Kind => NodeTrustMethod::Kind,
            cli::NodeTrustMethodArg::K3s => NodeTrustMethod::K3s,
            cli::NodeTrustMethodArg::Openshift => NodeTrustMethod::Openshift,
        };
        let printer = match method {
            NodeTrustMethod::Daemonset => None,
            NodeTrustMethod::Kind => Some("kind"),
            NodeTrustMethod::K3s => Some("k3s"),
            NodeTrustMethod::Openshift => Some("openshift"),
        };
        if let Some(m) = printer {
            live_only(&a.writes, &format!("--method {m} prints a configuration"))?;
            if a.dry_run == cli::DryRunArg::Server {
                return Err(Error::usage(format!(
                    "--method {m} prints a configuration and sends nothing: drop --dry-run=server (only --method daemonset applies objects)"
                )));
            }
            if a.ca_file.is_none() && m != "openshift" {
                return Err(Error::usage(format!(
                    "--method {m} needs --ca-file: its configuration names the CA file on {} (the runner's TLS Secret is only a default for --method daemonset and openshift)",
                    if m == "kind" {
                        "this machine"
                    } else {
                        "each node"
                    }
                )));
            }
        }
        Ok(NodeTrust {
            method,
            registries: node_trust::unique(registries),
            ca_file: a.ca_file,
            name: a.trust.name,
            namespace: a.trust.namespace,
            image: a.image,
            runner: RunnerLocation {
                cluster: cluster(&a.cluster)?,
                namespace: a.runner_namespace,
                target: target(&a.target),
            },
            dry_run: dry_run(a.dry_run),
            writes: writes(&a.writes),
            rollout: rollout(&a.rollout),
            output: a.output.map(output),
        })
    }
}

/// `node-trust remove`.
#[derive(Debug, Clone)]
pub struct NodeTrustRemove {
    pub name: String,
    pub namespace: Namespace,
    pub cluster: ClusterOptions,
    pub dry_run: DryRun,
    /// Wait for the DaemonSet's pods to be gone (their cleanup ran).
    pub rollout: Rollout,
}

impl NodeTrustRemove {
    fn resolve(a: cli::NodeTrustRemoveArgs) -> Result<Self> {
        Ok(NodeTrustRemove {
            name: a.trust.name,
            namespace: a.trust.namespace,
            cluster: cluster(&a.cluster)?,
            dry_run: dry_run(a.dry_run),
            rollout: Rollout {
                wait: a.wait,
                timeout: a.timeout,
            },
        })
    }
}

/// `secret tls`.
#[derive(Debug, Clone)]
pub struct SecretTls {
    pub ca_file: PathBuf,
    pub name: String,
    pub namespace: Namespace,
    pub output: OutputFormat,
}

impl SecretTls {
    fn resolve(a: cli::SecretTlsArgs) -> Self {
        SecretTls {
            ca_file: a.ca_file,
            name: a.name,
            namespace: namespace(&a.namespace),
            output: output(a.output),
        }
    }
}

/// `patch -f PATH`.
#[derive(Debug, Clone)]
pub struct Patch {
    pub edit: OfflineEdit,
    pub desired: DesiredConfig,
    /// How the patched manifests are printed (not with `--in-place`).
    pub output: OutputFormat,
}

impl Patch {
    fn resolve(a: cli::PatchArgs) -> Self {
        Patch {
            edit: OfflineEdit {
                source: a.filename,
                in_place: a.in_place,
                namespace: a.namespace,
                target: target(&a.target),
                verb: Verb::Patch,
            },
            desired: requested(&a.options).desired(false),
            output: output(a.output),
        }
    }
}

/// `remove`: offline with `-f`, else live.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // built once per run
pub enum Remove {
    Offline(RemoveOffline),
    Live(RemoveLive),
}

/// `remove -f PATH`.
#[derive(Debug, Clone)]
pub struct RemoveOffline {
    pub edit: OfflineEdit,
    /// What is recognised as ours: the names given (defaults otherwise), TLS pieces always.
    pub desired: DesiredConfig,
    /// `--delete-secrets` was given (it only applies to the live cluster: warned about).
    pub delete_secrets: bool,
    /// How the edited manifests are printed (not with `--in-place`).
    pub output: OutputFormat,
}

/// Live `remove`.
#[derive(Debug, Clone)]
pub struct RemoveLive {
    pub runner: RunnerLocation,
    /// Several clusters (`None`: the one of `runner.cluster`).
    pub fleet: Option<Fleet>,
    /// Across contexts: how the summary is printed (see [`fleet_report`]).
    pub report: ReportFormat,
    pub fn_namespace: Namespace,
    /// The names as given (which Secrets `--delete-secrets` deletes).
    pub config: RequestedConfig,
    /// What is taken out of the Deployment.
    pub desired: DesiredConfig,
    pub delete_secrets: bool,
    pub dry_run: DryRun,
    /// How `--dry-run=client` prints the Deployment.
    pub output: OutputFormat,
    /// `--field-manager`, `--force-conflicts`.
    pub writes: WriteOptions,
    pub rollout: Rollout,
    pub yes: bool,
}

impl Remove {
    fn resolve(a: cli::RemoveArgs) -> Result<Self> {
        let config = requested(&a.options);
        let dry_run = dry_run(a.dry_run);
        let Some(source) = a.filename else {
            let (cluster, fleet) = clusters(&a.cluster, &a.fleet)?;
            let report = fleet_report(a.output, fleet.as_ref(), "remove")?;
            return Ok(Remove::Live(RemoveLive {
                fleet,
                report,
                runner: RunnerLocation {
                    cluster,
                    namespace: namespace(&a.namespace),
                    target: target(&a.target),
                },
                fn_namespace: a.fn_namespace,
                desired: config.desired(false),
                config,
                delete_secrets: a.delete_secrets,
                dry_run,
                output: output(a.output.unwrap_or_default()),
                writes: writes(&a.writes),
                rollout: rollout(&a.rollout),
                yes: a.yes,
            }));
        };
        if dry_run == DryRun::Server {
            return Err(Error::usage(
                "--dry-run=server needs the cluster; with -f the work is offline: leave --dry-run out (the result is printed unless --in-place)",
            ));
        }
        offline_writes(&a.writes)?;
        offline_alone(&a.cluster, &a.fleet)?;
        let mut desired = config.desired(true);
        if desired.registry_auth_secret_name.is_empty() {
            desired.registry_auth_secret_name = desired.auth_secret_name.clone();
        }
        Ok(Remove::Offline(RemoveOffline {
            edit: OfflineEdit {
                source,
                in_place: a.in_place,
                namespace: a.namespace.namespace,
                target: target(&a.target),
                verb: Verb::Remove,
            },
            desired,
            delete_secrets: a.delete_secrets,
            output: output(a.output.unwrap_or_default()),
        }))
    }
}

/// `setup`: the inputs, then offline (`-f`) or live.
#[derive(Debug, Clone)]
pub struct Setup {
    pub credentials: CredentialInput,
    /// `--ca-file PEM` (implies TLS).
    pub ca_file: Option<PathBuf>,
    /// The names and paths as given (the wizard may still ask for them).
    pub config: RequestedConfig,
    pub target: Target,
    pub output: OutputFormat,
    pub yes: bool,
    pub mode: SetupMode,
}

#[derive(Debug, Clone)]
pub enum SetupMode {
    /// `-f PATH`: Secrets plus the patched manifests (or `--in-place`).
    Offline(OfflineEdit),
    Live(SetupLive),
}

/// Live `setup`.
#[derive(Debug, Clone)]
pub struct SetupLive {
    pub cluster: ClusterOptions,
    /// Several clusters (`None`: the one of `cluster`).
    pub fleet: Option<Fleet>,
    /// Across contexts: how the summary is printed (see [`fleet_report`]).
    pub report: ReportFormat,
    pub namespace: Namespace,
    pub fn_namespace: Namespace,
    pub dry_run: DryRun,
    /// `--field-manager`, `--force-conflicts`.
    pub writes: WriteOptions,
    pub rollout: Rollout,
}

impl Setup {
    fn resolve(a: cli::SetupArgs) -> Result<Self> {
        let dry_run = dry_run(a.dry_run);
        let mode = match a.filename {
            Some(source) => {
                if dry_run == DryRun::Server {
                    return Err(Error::usage(
                        "--dry-run=server needs the cluster; with -f the work is offline: use --dry-run=client (or leave it out)",
                    ));
                }
                offline_writes(&a.writes)?;
                offline_alone(&a.cluster, &a.fleet)?;
                if source.as_os_str() == "-" && a.credentials.password_stdin {
                    return Err(Error::usage(
                        "-f - and --password-stdin both read stdin: pass the manifests as a file, or the password in $PORCH_REGISTRY_PASSWORD",
                    ));
                }
                SetupMode::Offline(OfflineEdit {
                    source,
                    in_place: a.in_place,
                    namespace: a.namespace.namespace.clone(),
                    target: target(&a.target),
                    verb: Verb::Setup,
                })
            }
            None => {
                let (cluster, fleet) = clusters(&a.cluster, &a.fleet)?;
                let report = fleet_report(a.output, fleet.as_ref(), "setup")?;
                SetupMode::Live(SetupLive {
                    cluster,
                    fleet,
                    report,
                    namespace: namespace(&a.namespace),
                    fn_namespace: a.fn_namespace,
                    dry_run,
                    writes: writes(&a.writes),
                    rollout: rollout(&a.rollout),
                })
            }
        };
        Ok(Setup {
            credentials: credentials(a.credentials),
            ca_file: a.ca_file,
            config: requested(&a.options),
            target: target(&a.target),
            output: output(a.output.unwrap_or_default()),
            yes: a.yes,
            mode,
        })
    }
}

/// `check`: manifests with `-f`, else the live cluster.
#[derive(Debug, Clone)]
pub struct Check {
    pub source: Option<PathBuf>,
    pub namespace: Namespace,
    pub target: Target,
    pub cluster: ClusterOptions,
    /// Several clusters (`None`: the one of `cluster`).
    pub fleet: Option<Fleet>,
    pub fn_namespace: Namespace,
    pub probe: bool,
    /// `--package DIR`: judge the function images of these Kptfile pipelines too.
    pub packages: Vec<PathBuf>,
    /// `--default-image-prefix` (None: the runner's own flag, else the default).
    pub default_image_prefix: Option<String>,
    /// `--pull-test`: pull the images from pods on the nodes (live only).
    pub pull_test: Option<PullTest>,
    /// Live: the node-trust DaemonSet whose state judges the nodes' trust of the CA (None:
    /// not read, e.g. by live `explain`, which only needs the runner's objects).
    pub node_trust: Option<TrustObjects>,
    pub output: ReportFormat,
}

/// `check --pull-test [IMAGE...]`: the images (the `--package` ones are added by the flow),
/// the bound on the whole test, and how many Ready nodes at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullTest {
    pub images: Vec<String>,
    pub timeout: std::time::Duration,
    pub nodes: Option<usize>,
}

impl Check {
    fn resolve(a: cli::CheckArgs) -> Result<Self> {
        let pull_test = match a.pull_test {
            Some(images) => {
                if images.is_empty() && a.packages.is_empty() {
                    return Err(Error::usage(
                        "check --pull-test needs function images: give them after it (--pull-test IMAGE...) or add --package DIR",
                    ));
                }
                if let Some(bad) = images
                    .iter()
                    .find(|i| i.trim().is_empty() || i.starts_with('-'))
                {
                    return Err(Error::usage(format!(
                        "check --pull-test: \"{bad}\" is not an image name; give images such as set-namespace:v0.4.1 or registry.example.com/fn/x:v1"
                    )));
                }
                Some(PullTest {
                    images,
                    timeout: a.timeout,
                    nodes: a.nodes.map(|n| n as usize),
                })
            }
            None => None,
        };
        let (cluster, fleet) = match &a.filename {
            Some(_) => {
                offline_alone(&a.cluster, &a.fleet)?;
                (cluster(&a.cluster)?, None)
            }
            None => clusters(&a.cluster, &a.fleet)?,
        };
        Ok(Check {
            pull_test,
            fleet,
            packages: a.packages,
            default_image_prefix: a.prefix.default_image_prefix,
            source: a.filename,
            namespace: namespace(&a.namespace),
            target: target(&a.target),
            cluster,
            fn_namespace: a.fn_namespace,
            probe: a.probe,
            node_trust: Some(TrustObjects {
                name: a.node_trust_name,
                namespace: a.node_trust_namespace,
            }),
            output: report(a.output),
        })
    }

    /// The live runner `check` looks at (without `-f`).
    pub fn runner(&self) -> RunnerLocation {
        RunnerLocation {
            cluster: self.cluster.clone(),
            namespace: self.namespace.clone(),
            target: self.target.clone(),
        }
    }
}

/// Where `explain` takes the runner's configuration from.
#[derive(Debug, Clone)]
pub enum ExplainSource {
    /// `-f PATH`: manifests with the runner Deployment and its Secrets.
    Manifests(PathBuf),
    /// `--auth-file FILE`: a bare auth file; private registries on, TLS as `--tls`.
    AuthFile { path: PathBuf, tls: bool },
    /// Neither: the live cluster's runner (or, with a fleet, each cluster's).
    Live {
        runner: RunnerLocation,
        fleet: Option<Box<Fleet>>,
    },
}

/// `explain IMAGE... [--package DIR]...`.
#[derive(Debug, Clone)]
pub struct Explain {
    pub images: Vec<String>,
    pub packages: Vec<PathBuf>,
    pub source: ExplainSource,
    pub namespace: Namespace,
    pub target: Target,
    pub default_image_prefix: Option<String>,
    pub output: ReportFormat,
}

impl Explain {
    fn resolve(a: cli::ExplainArgs) -> Result<Self> {
        if a.images.is_empty() && a.packages.is_empty() {
            return Err(Error::usage(
                "explain needs function images: give IMAGE... or --package DIR (see kubectl porch-registry explain --help)",
            ));
        }
        let source = match (a.filename, a.auth_file) {
            (Some(f), _) => {
                offline_alone(&a.cluster, &a.fleet)?;
                ExplainSource::Manifests(f)
            }
            (None, Some(path)) => {
                offline_alone(&a.cluster, &a.fleet)?;
                ExplainSource::AuthFile { path, tls: a.tls }
            }
            (None, None) => {
                let (cluster, fleet) = clusters(&a.cluster, &a.fleet)?;
                ExplainSource::Live {
                    runner: RunnerLocation {
                        cluster,
                        namespace: namespace(&a.namespace),
                        target: target(&a.target),
                    },
                    fleet: fleet.map(Box::new),
                }
            }
        };
        Ok(Explain {
            images: a.images,
            packages: a.packages,
            source,
            namespace: namespace(&a.namespace),
            target: target(&a.target),
            default_image_prefix: a.prefix.default_image_prefix,
            output: report(a.output),
        })
    }
}

/// `status`.
#[derive(Debug, Clone)]
pub struct Status {
    pub runner: RunnerLocation,
    /// Several clusters (`None`: the one of `runner.cluster`).
    pub fleet: Option<Fleet>,
    pub fn_namespace: Namespace,
    /// The node-trust DaemonSet whose per-node state is shown.
    pub node_trust: TrustObjects,
    pub output: ReportFormat,
}

/// Where the node-trust objects are (`--node-trust-name`, `--node-trust-namespace`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustObjects {
    pub name: String,
    pub namespace: Namespace,
}

impl Status {
    fn resolve(a: cli::StatusArgs) -> Result<Self> {
        let fleet = fleet(&a.cluster, &a.fleet);
        Ok(Status {
            runner: RunnerLocation {
                cluster: match &fleet {
                    Some(_) => ClusterOptions {
                        kubeconfig: a.cluster.kubeconfig.clone(),
                        ..ClusterOptions::default()
                    },
                    None => cluster(&a.cluster)?,
                },
                namespace: namespace(&a.namespace),
                target: target(&a.target),
            },
            fleet,
            fn_namespace: a.fn_namespace,
            node_trust: TrustObjects {
                name: a.node_trust_name,
                namespace: a.node_trust_namespace,
            },
            output: report(a.output),
        })
    }
}

/// Many clusters in one run (`--context` given more than once, or `--all-contexts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fleet {
    pub kubeconfig: Option<PathBuf>,
    pub contexts: ContextSelection,
    /// How many clusters at once (at least 1).
    pub parallel: usize,
    /// How long one cluster may take.
    pub cluster_timeout: Duration,
}

/// Which contexts of the kubeconfig a many-cluster run visits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextSelection {
    /// `--context A --context B`: these, in this order, each once.
    Named(Vec<String>),
    /// `--all-contexts [--context-pattern GLOB]`: every context (matching the glob), in the
    /// kubeconfig's order.
    All { pattern: Option<String> },
}

impl Fleet {
    /// The contexts to visit, given the kubeconfig's context names (in its order).
    pub fn select(&self, available: &[String]) -> Result<Vec<String>> {
        match &self.contexts {
            ContextSelection::Named(names) => {
                let missing: Vec<&str> = names
                    .iter()
                    .filter(|n| !available.contains(n))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() {
                    return Err(Error::usage(format!(
                        "context {} not in the kubeconfig; list contexts with `kubectl config get-contexts`",
                        missing
                            .iter()
                            .map(|m| format!("\"{m}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                            + if missing.len() > 1 { " are" } else { " is" }
                    )));
                }
                Ok(names.clone())
            }
            ContextSelection::All { pattern } => {
                let chosen = crate::runner::fleet::select_contexts(available, pattern.as_deref());
                if chosen.is_empty() {
                    return Err(Error::usage(match pattern {
                        Some(p) => format!(
                            "no context of the kubeconfig matches --context-pattern \"{p}\"; list contexts with `kubectl config get-contexts`"
                        ),
                        None => "the kubeconfig has no contexts; pass --kubeconfig PATH or set KUBECONFIG".to_string(),
                    }));
                }
                Ok(chosen)
            }
        }
    }
}

/// The cluster of a command that also runs across clusters: one (`--context` at most once,
/// exactly as without the fleet flags) or several (the fleet; the options then name only the
/// kubeconfig, each cluster gets its context and deadline when its turn comes).
fn clusters(c: &cli::ClusterArgs, f: &cli::FleetArgs) -> Result<(ClusterOptions, Option<Fleet>)> {
    match fleet(c, f) {
        Some(fleet) => Ok((
            ClusterOptions {
                kubeconfig: c.kubeconfig.clone(),
                ..ClusterOptions::default()
            },
            Some(fleet),
        )),
        None => Ok((cluster(c)?, None)),
    }
}

/// Offline work (`-f`, `--auth-file`) reads no cluster: several contexts are a usage error.
fn offline_alone(c: &cli::ClusterArgs, f: &cli::FleetArgs) -> Result<()> {
    if fleet(c, f).is_some() {
        return Err(Error::usage(
            "several contexts (--context twice, --all-contexts) need the live clusters; with -f or --auth-file the work is offline: leave them out",
        ));
    }
    Ok(())
}

/// `Some` when the flags ask for several clusters; `None` (one `--context` or none): one
/// cluster, exactly as without the fleet flags.
fn fleet(c: &cli::ClusterArgs, f: &cli::FleetArgs) -> Option<Fleet> {
    let mut named: Vec<String> = Vec::new();
    for n in &c.context {
        if !named.contains(n) {
            named.push(n.clone());
        }
    }
    let contexts = if f.all_contexts {
        ContextSelection::All {
            pattern: f.context_pattern.clone(),
        }
    } else if named.len() > 1 {
        ContextSelection::Named(named)
    } else {
        return None;
    };
    Some(Fleet {
        kubeconfig: c.kubeconfig.clone(),
        contexts,
        parallel: usize::from(f.parallel.max(1)),
        cluster_timeout: f.cluster_timeout,
    })
}

/// `fn` (the KRM function): the flags only give the default target.
#[derive(Debug, Clone)]
pub struct Fn {
    pub target: Target,
}

/// Where a pull takes credentials from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSource {
    /// The user's docker/podman config (as the runner's library, then helpers).
    UserConfig,
    /// `--auth-file PATH`.
    AuthFile(PathBuf),
    /// `--from-cluster`: what the live runner mounts (auth Secret and CA).
    FromCluster(RunnerLocation),
}

/// The registry options of `pull` and `run`.
#[derive(Debug, Clone)]
pub struct PullSource {
    pub auth: AuthSource,
    /// `--ca-file PEM`.
    pub ca_file: Option<PathBuf>,
    /// `--tls-dir DIR`.
    pub tls_dir: Option<PathBuf>,
    pub allow_insecure_http: bool,
    pub platform: Option<Platform>,
    /// `--cache-dir` / `$PORCH_REGISTRY_CACHE_DIR` (None: the default cache).
    pub cache_dir: Option<PathBuf>,
    /// `--default-image-prefix` (short names resolve with it, as the runner resolves them).
    pub default_image_prefix: String,
}

impl PullSource {
    fn resolve(a: cli::PullSourceArgs) -> Result<Self> {
        let auth = if a.from_cluster {
            AuthSource::FromCluster(RunnerLocation {
                cluster: cluster(&a.cluster)?,
                namespace: namespace(&a.namespace),
                target: target(&a.target),
            })
        } else if let Some(p) = a.auth_file {
            AuthSource::AuthFile(p)
        } else {
            AuthSource::UserConfig
        };
        let platform = match &a.platform {
            Some(p) => Some(Platform::parse(p).map_err(Error::usage)?),
            None => None,
        };
        Ok(PullSource {
            auth,
            ca_file: a.ca_file,
            tls_dir: a.tls_dir,
            allow_insecure_http: a.allow_insecure_http,
            platform,
            cache_dir: a.cache_dir,
            default_image_prefix: a
                .prefix
                .default_image_prefix
                .unwrap_or_else(|| crate::runner::model::DEFAULT_IMAGE_PREFIX.to_string()),
        })
    }
}

/// `pull IMAGE`.
#[derive(Debug, Clone)]
pub struct Pull {
    pub image: String,
    pub source: PullSource,
    pub output: ReportFormat,
}

impl Pull {
    fn resolve(a: cli::PullArgs) -> Result<Self> {
        Ok(Pull {
            image: a.image,
            source: PullSource::resolve(a.source)?,
            output: report(a.output),
        })
    }
}

/// How `run` runs the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Runtime {
    /// Linux namespaces, no container engine needed.
    #[default]
    Native,
    /// `podman run`, with kpt's flags.
    Podman,
    /// `docker run`, with kpt's flags.
    Docker,
}

/// `run IMAGE [DIR]`.
#[derive(Debug, Clone)]
pub struct Run {
    pub image: String,
    /// A package directory, or `-` (stdin).
    pub package: String,
    pub fn_args: Vec<String>,
    pub fn_config: Option<PathBuf>,
    /// `-o stdout|unwrap|DIR` (None: in place).
    pub output: Option<String>,
    pub results_dir: Option<PathBuf>,
    pub runtime: Runtime,
    pub network: bool,
    pub as_current_user: bool,
    /// Longer than zero.
    pub timeout: Duration,
    pub env: Vec<String>,
    pub mount: Vec<String>,
    pub image_pull_policy: ImagePullPolicy,
    /// `--match-*`: the resources the function gets (empty: all).
    pub selector: Box<Selector>,
    /// `--exclude-*`: the resources it does not get (empty: none left out).
    pub exclusion: Box<Selector>,
    /// `--include-meta-resources` was given (a no-op with a warning, as meta resources are
    /// always included).
    pub include_meta_resources: bool,
    pub source: PullSource,
    /// The sandbox's limits (`--pids-limit`, `--memory`, `--cpus`, `--tmp-size`).
    pub limits: crate::sandbox::Limits,
    /// `--truncate-output` (kpt's, default on).
    pub truncate_output: bool,
}

impl Run {
    fn resolve(a: cli::RunArgs) -> Result<Self> {
        Ok(Run {
            image: a.image,
            package: a.package,
            fn_args: a.fn_args,
            fn_config: a.fn_config,
            output: a.output,
            results_dir: a.results_dir,
            runtime: runtime(a.runtime),
            network: a.network,
            as_current_user: a.as_current_user,
            timeout: a.timeout,
            env: a.env,
            mount: a.mount,
            image_pull_policy: a.image_pull_policy,
            selector: Box::new(selector(
                "--match",
                a.selection.match_api_version,
                a.selection.match_kind,
                a.selection.match_name,
                a.selection.match_namespace,
                &a.selection.match_labels,
                &a.selection.match_annotations,
            )?),
            exclusion: Box::new(selector(
                "--exclude",
                a.selection.exclude_api_version,
                a.selection.exclude_kind,
                a.selection.exclude_name,
                a.selection.exclude_namespace,
                &a.selection.exclude_labels,
                &a.selection.exclude_annotations,
            )?),
            include_meta_resources: a.selection.include_meta_resources,
            source: PullSource::resolve(a.source)?,
            limits: limits(a.limits),
            truncate_output: a.truncate.truncate_output,
        })
    }
}

/// `render [PKG]`.
#[derive(Debug, Clone)]
pub struct Render {
    pub package: PathBuf,
    /// `-o stdout|unwrap|DIR` (None: in place).
    pub output: Option<String>,
    pub results_dir: Option<PathBuf>,
    pub allow_exec: bool,
    pub allow_network: bool,
    pub image_pull_policy: ImagePullPolicy,
    pub runtime: Runtime,
    /// Longer than zero.
    pub timeout: Duration,
    /// The sandbox's limits for every image function (`run`'s flags).
    pub limits: crate::sandbox::Limits,
    /// `--truncate-output` (kpt's, default on).
    pub truncate_output: bool,
    pub source: PullSource,
}

impl Render {
    fn resolve(a: cli::RenderArgs) -> Result<Self> {
        Ok(Render {
            package: a.package,
            output: a.output,
            results_dir: a.results_dir,
            allow_exec: a.allow_exec,
            allow_network: a.allow_network,
            image_pull_policy: a.image_pull_policy,
            runtime: runtime(a.runtime),
            timeout: a.timeout,
            limits: limits(a.limits),
            truncate_output: a.truncate.truncate_output,
            source: PullSource::resolve(a.source)?,
        })
    }
}

/// `--pids-limit`, `--memory`, `--cpus`, `--tmp-size` (`run` and `render`).
fn limits(a: cli::LimitArgs) -> crate::sandbox::Limits {
    crate::sandbox::Limits {
        pids: a.pids_limit.0,
        memory: a.memory.0,
        millicpus: a.cpus.0,
        tmp_size: a.tmp_size,
    }
}

fn runtime(a: cli::RuntimeArg) -> Runtime {
    match a {
        cli::RuntimeArg::Native => Runtime::Native,
        cli::RuntimeArg::Podman => Runtime::Podman,
        cli::RuntimeArg::Docker => Runtime::Docker,
    }
}

/// `--match-*` or `--exclude-*` (`prefix`) as one kpt selector.
fn selector(
    prefix: &str,
    api_version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    labels: &[String],
    annotations: &[String],
) -> Result<Selector> {
    let map = |what: &str, args: &[String]| {
        crate::krm::select::parse_key_values(&format!("{prefix}-{what}"), args)
            .map_err(Error::usage)
    };
    Ok(Selector {
        api_version: api_version.unwrap_or_default(),
        kind: kind.unwrap_or_default(),
        name: name.unwrap_or_default(),
        namespace: namespace.unwrap_or_default(),
        labels: map("labels", labels)?,
        annotations: map("annotations", annotations)?,
    })
}

// The conversions, one per flag group.

/// `-n` with the default applied (live commands, Secrets).
fn namespace(a: &cli::NamespaceArgs) -> Namespace {
    a.namespace
        .clone()
        .unwrap_or_else(Namespace::runner_default)
}

fn target(a: &cli::TargetArgs) -> Target {
    Target {
        deployment: a.deployment.clone(),
        container: a.container.clone(),
    }
}

fn requested(o: &cli::PatchOptions) -> RequestedConfig {
    RequestedConfig {
        auth_secret_name: o.auth_secret_name.clone(),
        auth_mount_path: o.auth_mount_path.clone(),
        tls: o.tls,
        tls_secret_name: o.tls_secret_name.clone(),
        tls_mount_path: o.tls_mount_path.clone(),
        registry_auth_secret_name: o.registry_auth_secret_name.clone(),
    }
}

/// One cluster: `--context` at most once (repeating the same name is the same cluster).
fn cluster(a: &cli::ClusterArgs) -> Result<ClusterOptions> {
    let first = a.context.first();
    if let Some(other) = a.context.iter().find(|c| Some(*c) != first) {
        return Err(Error::usage(format!(
            "--context given twice (\"{}\", \"{other}\"): this command handles one cluster; pass one --context (several are supported by setup, status, check, remove and live explain)",
            first.map(String::as_str).unwrap_or_default()
        )));
    }
    Ok(ClusterOptions {
        kubeconfig: a.kubeconfig.clone(),
        context: first.cloned(),
        deadline: None,
    })
}

fn credentials(a: cli::CredentialArgs) -> CredentialInput {
    CredentialInput {
        registry: a.registry,
        username: a.username,
        password_stdin: a.password_stdin,
        password: a.password,
        email: a.email,
        from_docker_config: a.from_docker_config,
    }
}

fn writes(a: &cli::WriteArgs) -> WriteOptions {
    WriteOptions {
        field_manager: a.field_manager.clone().unwrap_or_default(),
        force_conflicts: a.force_conflicts,
    }
}

/// `-f` works on files: the flags of live writes have nothing to act on.
fn offline_writes(a: &cli::WriteArgs) -> Result<()> {
    live_only(a, "-f works on files")
}

/// The flags of live writes where nothing is written to a cluster (`why`): a usage error.
fn live_only(a: &cli::WriteArgs, why: &str) -> Result<()> {
    let flag = match (&a.field_manager, a.force_conflicts) {
        (_, true) => "--force-conflicts",
        (Some(_), false) => "--field-manager",
        (None, false) => return Ok(()),
    };
    Err(Error::usage(format!(
        "{flag} applies to writes to the live cluster, and {why}: nothing is written to a cluster; drop {flag} (kubectl apply --server-side takes it for the printed objects)"
    )))
}

fn rollout(a: &cli::RolloutArgs) -> Rollout {
    Rollout {
        wait: a.wait,
        timeout: a.timeout,
    }
}

fn dry_run(a: cli::DryRunArg) -> DryRun {
    match a {
        cli::DryRunArg::None => DryRun::None,
        cli::DryRunArg::Client => DryRun::Client,
        cli::DryRunArg::Server => DryRun::Server,
    }
}

/// The summary of `setup` / `remove` across contexts: one entry per context, as `status`
/// and `check` print theirs: a table without `-o`, the list as JSON or YAML with `-o json` /
/// `-o yaml`. `-o name` prints object names, and a run across contexts has no one list of
/// objects: a usage error. (One cluster: the table is never used.)
fn fleet_report(
    a: Option<cli::OutputArg>,
    fleet: Option<&Fleet>,
    command: &str,
) -> Result<ReportFormat> {
    Ok(match (a, fleet) {
        (_, None) | (None, _) => ReportFormat::Table,
        (Some(cli::OutputArg::Json), _) => ReportFormat::Json,
        (Some(cli::OutputArg::Yaml), _) => ReportFormat::Yaml,
        (Some(cli::OutputArg::Name), Some(_)) => {
            return Err(Error::usage(format!(
                "-o name prints the names of one cluster's objects; {command} across contexts prints one entry per context: use -o json or -o yaml, or leave -o out for the table"
            )));
        }
    })
}

fn output(a: cli::OutputArg) -> OutputFormat {
    match a {
        cli::OutputArg::Yaml => OutputFormat::Yaml,
        cli::OutputArg::Json => OutputFormat::Json,
        cli::OutputArg::Name => OutputFormat::Name,
    }
}

fn report(a: cli::ReportArg) -> ReportFormat {
    match a {
        cli::ReportArg::Table => ReportFormat::Table,
        cli::ReportArg::Json => ReportFormat::Json,
        cli::ReportArg::Yaml => ReportFormat::Yaml,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: &[&str]) -> Result<Settings> {
        let cli = <Cli as clap::Parser>::try_parse_from(
            std::iter::once("kubectl-porch_registry").chain(args.iter().copied()),
        )
        .expect("parses");
        Settings::resolve(cli)
    }

    #[test]
    fn namespace_given_or_not() {
        let Settings::Setup(s) = resolve(&["setup", "-f", "x.yaml"]).unwrap() else {
            panic!()
        };
        let SetupMode::Offline(edit) = s.mode else {
            panic!()
        };
        assert_eq!(edit.namespace, None);
        assert_eq!(edit.verb, Verb::Setup);
        // Given as the default value: still given.
        let Settings::Remove(Remove::Offline(r)) =
            resolve(&["remove", "-f", "x.yaml", "-n", "porch-system"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(r.edit.namespace, Some(Namespace::runner_default()));
        let Settings::Status(s) = resolve(&["status"]).unwrap() else {
            panic!()
        };
        assert_eq!(s.runner.namespace, Namespace::runner_default());
        assert_eq!(s.fn_namespace, Namespace::fn_default());
        assert_eq!(s.runner.target, Target::default());
    }

    #[test]
    fn rollout_and_dry_run() {
        let Settings::Setup(s) =
            resolve(&["setup", "--timeout=90s", "--wait=false", "--dry-run=server"]).unwrap()
        else {
            panic!()
        };
        let SetupMode::Live(live) = s.mode else {
            panic!()
        };
        assert_eq!(
            live.rollout,
            Rollout {
                wait: false,
                timeout: Duration::from_secs(90)
            }
        );
        assert_eq!(live.dry_run, DryRun::Server);
        let Settings::Remove(Remove::Live(r)) = resolve(&["remove"]).unwrap() else {
            panic!()
        };
        assert_eq!(r.rollout.timeout, Duration::from_secs(300));
        assert!(r.rollout.wait);
        let e = resolve(&["remove", "-f", "x", "--dry-run=server"]).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
    }

    #[test]
    fn desired_config_from_flags() {
        let Settings::Patch(p) = resolve(&["patch", "-f", "x", "--tls-secret-name", "ca"]).unwrap()
        else {
            panic!()
        };
        let tls = p.desired.tls.expect("implied by --tls-secret-name");
        assert_eq!(tls.secret_name, "ca");
        assert_eq!(
            p.desired.registry_auth_secret_name,
            p.desired.auth_secret_name
        );
        let Settings::Run(r) = resolve(&["run", "img"]).unwrap() else {
            panic!()
        };
        assert_eq!(r.timeout, Duration::from_secs(300));
        assert_eq!(r.source.auth, AuthSource::UserConfig);
    }
}
