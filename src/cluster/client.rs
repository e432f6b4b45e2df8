//! The kube client, made synchronous for the commands, with every API error turned into one
//! clear `crate::error::Error` that names the verb, the resource and the fix.

use std::future::Future;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::authorization::v1::SubjectAccessReview;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod, Secret, ServiceAccount};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::runner::managed::{self, WriteOptions};

/// The default field manager of the writes this tool makes (`--field-manager`).
pub const FIELD_MANAGER: &str = crate::runner::defaults::DEFAULT_FIELD_MANAGER;

/// The kinds this tool reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Secret,
    Deployment,
    Pod,
    Event,
    PodTemplate,
    Namespace,
    Role,
    RoleBinding,
    ClusterRole,
    ClusterRoleBinding,
    ConfigMap,
    ServiceAccount,
    DaemonSet,
    Node,
}

impl Kind {
    fn api_resource(self) -> ApiResource {
        match self {
            Kind::Secret => ApiResource::erase::<Secret>(&()),
            Kind::Deployment => ApiResource::erase::<Deployment>(&()),
            Kind::Pod => ApiResource::erase::<Pod>(&()),
            Kind::Event => ApiResource::erase::<k8s_openapi::api::core::v1::Event>(&()),
            Kind::PodTemplate => ApiResource::erase::<k8s_openapi::api::core::v1::PodTemplate>(&()),
            Kind::Namespace => ApiResource::erase::<Namespace>(&()),
            Kind::Role => ApiResource::erase::<k8s_openapi::api::rbac::v1::Role>(&()),
            Kind::RoleBinding => ApiResource::erase::<k8s_openapi::api::rbac::v1::RoleBinding>(&()),
            Kind::ClusterRole => ApiResource::erase::<k8s_openapi::api::rbac::v1::ClusterRole>(&()),
            Kind::ClusterRoleBinding => {
                ApiResource::erase::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>(&())
            }
            Kind::ConfigMap => ApiResource::erase::<ConfigMap>(&()),
            Kind::ServiceAccount => ApiResource::erase::<ServiceAccount>(&()),
            Kind::DaemonSet => ApiResource::erase::<DaemonSet>(&()),
            Kind::Node => ApiResource::erase::<Node>(&()),
        }
    }
    /// The resource as RBAC names it (`secrets`, `deployments.apps`).
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Secret => "secrets",
            Kind::Deployment => "deployments.apps",
            Kind::Pod => "pods",
            Kind::Event => "events",
            Kind::PodTemplate => "podtemplates",
            Kind::Namespace => "namespaces",
            Kind::Role => "roles.rbac.authorization.k8s.io",
            Kind::RoleBinding => "rolebindings.rbac.authorization.k8s.io",
            Kind::ClusterRole => "clusterroles.rbac.authorization.k8s.io",
            Kind::ClusterRoleBinding => "clusterrolebindings.rbac.authorization.k8s.io",
            Kind::ConfigMap => "configmaps",
            Kind::ServiceAccount => "serviceaccounts",
            Kind::DaemonSet => "daemonsets.apps",
            Kind::Node => "nodes",
        }
    }
    /// The kind as `kubectl` prints it in `KIND/NAME` (`daemonset.apps/x`).
    pub fn short(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Deployment => "deployment.apps",
            Kind::Pod => "pod",
            Kind::Event => "event",
            Kind::PodTemplate => "podtemplate",
            Kind::Namespace => "namespace",
            Kind::Role => "role.rbac.authorization.k8s.io",
            Kind::RoleBinding => "rolebinding.rbac.authorization.k8s.io",
            Kind::ClusterRole => "clusterrole.rbac.authorization.k8s.io",
            Kind::ClusterRoleBinding => "clusterrolebinding.rbac.authorization.k8s.io",
            Kind::ConfigMap => "configmap",
            Kind::ServiceAccount => "serviceaccount",
            Kind::DaemonSet => "daemonset.apps",
            Kind::Node => "node",
        }
    }
}

/// Where the cluster is: `--kubeconfig` and `--context` (None: kubectl's defaults), and by
/// when the work on it must end (None: no deadline beyond each request's read timeout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterOptions {
    pub kubeconfig: Option<std::path::PathBuf>,
    pub context: Option<String>,
    pub deadline: Option<Deadline>,
}

/// The end of the time one cluster is given (`--cluster-timeout` of a run across clusters).
/// Past it the client sends nothing more: a request in flight is cancelled (its future
/// dropped, the connection closed) and every later one fails at once with a Timeout error, so
/// the work on that cluster ends instead of going on behind the others' backs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub at: std::time::Instant,
    /// The budget it was computed from (for messages).
    pub budget: std::time::Duration,
}

impl Deadline {
    /// `budget` from now.
    pub fn after(budget: std::time::Duration) -> Deadline {
        Deadline {
            at: std::time::Instant::now() + budget,
            budget,
        }
    }
    pub fn passed(&self) -> bool {
        std::time::Instant::now() >= self.at
    }
}

/// The error a request gets when the deadline cancelled it or came before it.
#[derive(Debug)]
struct DeadlineExceeded;

impl std::fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the cluster's deadline passed")
    }
}

impl std::error::Error for DeadlineExceeded {}

fn deadline_exceeded(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Service(b) if b.is::<DeadlineExceeded>())
}

/// A connected client plus the runtime that drives it.
pub struct Kube {
    rt: tokio::runtime::Runtime,
    client: kube::Client,
    deadline: Option<Deadline>,
    /// The API server URL (for messages).
    pub server: String,
    /// The context in use (for messages).
    pub context: String,
    /// The field manager of writes and whether applies force (`--field-manager`,
    /// `--force-conflicts`); the default manager and no force unless a command sets them.
    writes: WriteOptions,
}

/// The context names of the kubeconfig (`--kubeconfig`, else `$KUBECONFIG` merged as kubectl
/// merges it, else ~/.kube/config), in its order; for `--all-contexts`.
pub fn context_names(kubeconfig: Option<&std::path::Path>) -> Result<Vec<String>> {
    let source = match kubeconfig {
        Some(p) => p.display().to_string(),
        None if std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty()) => {
            "$KUBECONFIG".to_string()
        }
        None => "~/.kube/config".to_string(),
    };
    let kc = read_kubeconfig(kubeconfig).map_err(|e| {
        let full = e.to_string();
        let first = full.lines().next().unwrap_or("invalid kubeconfig").trim_end().to_string();
        match &e {
            kube::config::KubeconfigError::ReadConfig(io, _)
                if io.kind() == std::io::ErrorKind::NotFound =>
            {
                Error::not_found(format!(
                    "no kubeconfig: {source} does not exist; pass --kubeconfig PATH or set KUBECONFIG"
                ))
            }
            _ => Error::usage(format!(
                "cannot list the contexts of the kubeconfig ({source}): {first}; fix it or pass another file with --kubeconfig"
            )),
        }
    })?;
    let mut names: Vec<String> = Vec::new();
    for c in kc.contexts {
        if !names.contains(&c.name) {
            names.push(c.name);
        }
    }
    Ok(names)
}

/// The kubeconfig at `path` (None: `$KUBECONFIG` merged as kubectl merges it, else
/// ~/.kube/config), read and parsed once per process: a run across contexts lists the
/// contexts and connects to each from the one reading (it was parsed again for every
/// cluster, the whole file each time). A failed read is not kept: it is the caller's error.
fn read_kubeconfig(
    path: Option<&std::path::Path>,
) -> std::result::Result<kube::config::Kubeconfig, kube::config::KubeconfigError> {
    type Read = Vec<(Option<std::path::PathBuf>, kube::config::Kubeconfig)>;
    static READ: std::sync::Mutex<Read> = std::sync::Mutex::new(Vec::new());
    // Held while reading: the clusters asking at the same time wait for the one reading.
    let mut read = READ.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, kc)) = read.iter().find(|(p, _)| p.as_deref() == path) {
        return Ok(kc.clone());
    }
    let kc = match path {
        Some(p) => kube::config::Kubeconfig::read_from(p)?,
        None => kube::config::Kubeconfig::read()?,
    };
    read.push((path.map(std::path::Path::to_path_buf), kc.clone()));
    Ok(kc)
}

/// Build a client from --kubeconfig / --context / $KUBECONFIG (merged, as kubectl does) /
/// ~/.kube/config, else the in-cluster service account.
pub fn connect(args: &ClusterOptions) -> Result<Kube> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::other(format!("cannot start the async runtime: {e}")))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = kube::config::KubeConfigOptions {
        context: args.context.clone(),
        cluster: None,
        user: None,
    };
    let kubeconfig_err = |e: kube::config::KubeconfigError, source: &str| -> Error {
        // The YAML parser's message continues with a snippet of the file (which may hold a
        // token): keep its first line, so the fix hint below stays on the one error line.
        let full = e.to_string();
        let msg = full
            .lines()
            .next()
            .unwrap_or("invalid kubeconfig")
            .trim_end();
        use kube::config::KubeconfigError as K;
        let named = |path: &std::path::Path| {
            let path = path.display().to_string();
            if path == source {
                path
            } else {
                format!("{path} ({source})")
            }
        };
        match &e {
            K::ReadConfig(io, path) if io.kind() == std::io::ErrorKind::NotFound => {
                return Error::not_found(format!(
                    "no kubeconfig: {} does not exist; pass --kubeconfig PATH or set KUBECONFIG to your cluster's kubeconfig",
                    named(path)
                ));
            }
            K::ReadConfig(io, path) if io.kind() == std::io::ErrorKind::IsADirectory => {
                return Error::usage(format!(
                    "kubeconfig {} is a directory; pass the kubeconfig file itself with --kubeconfig or in KUBECONFIG",
                    named(path)
                ));
            }
            K::ReadConfig(io, path) => {
                return Error::Cluster(format!(
                    "cannot read the kubeconfig {}: {io}; pass a readable file with --kubeconfig or set KUBECONFIG",
                    named(path)
                ));
            }
            K::Parse(_) => {
                return Error::usage(format!(
                    "the kubeconfig ({source}) is not valid: {msg}; fix it or pass another file with --kubeconfig"
                ));
            }
            K::CurrentContextNotSet if args.context.is_none() => {
                return Error::usage(format!(
                    "the kubeconfig ({source}) has no current-context; pass --context NAME or run `kubectl config use-context NAME`"
                ));
            }
            _ => {}
        }
        if msg.contains("context") && args.context.is_some() {
            Error::usage(format!(
                "context \"{}\" is not in {source}; list contexts with `kubectl config get-contexts` and pass one with --context",
                args.context.as_deref().unwrap_or_default()
            ))
        } else {
            Error::Cluster(format!(
                "cannot load the kubeconfig ({source}): {msg}; pass a valid file with --kubeconfig or set KUBECONFIG"
            ))
        }
    };
    let load = async {
        match &args.kubeconfig {
            Some(path) => {
                if !path.exists() {
                    return Err(Error::not_found(format!(
                        "kubeconfig {}: no such file; check --kubeconfig",
                        path.display()
                    )));
                }
                let kc = read_kubeconfig(Some(path))
                    .map_err(|e| kubeconfig_err(e, &path.display().to_string()))?;
                kube::Config::from_custom_kubeconfig(kc, &options)
                    .await
                    .map_err(|e| kubeconfig_err(e, &path.display().to_string()))
            }
            None => {
                let env_set = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
                let source = if env_set {
                    "$KUBECONFIG"
                } else {
                    "~/.kube/config"
                };
                let config = match read_kubeconfig(None) {
                    Ok(kc) => kube::Config::from_custom_kubeconfig(kc, &options).await,
                    Err(e) => Err(e),
                };
                match config {
                    Ok(c) => Ok(c),
                    Err(e) => {
                        if args.context.is_none()
                            && !env_set
                            && let Ok(c) = kube::Config::incluster()
                        {
                            return Ok(c);
                        }
                        Err(kubeconfig_err(e, source))
                    }
                }
            }
        }
    };
    // Loading may run the kubeconfig's exec credential plugin: under the deadline too.
    let config = rt.block_on(async {
        match args.deadline {
            None => load.await,
            Some(d) => tokio::time::timeout_at(tokio::time::Instant::from_std(d.at), load)
                .await
                .unwrap_or_else(|_| {
                    Err(timed_out(
                        args.context.as_deref().unwrap_or("current"),
                        d,
                        "load the kubeconfig's credentials",
                    ))
                }),
        }
    })?;
    let mut config = config;
    // Watches (check --pull-test) ask for at most 50 s: a request that hangs 60 s is broken.
    config.read_timeout = Some(std::time::Duration::from_secs(60));
    let server = config.cluster_url.to_string();
    let context = args.context.clone().unwrap_or_else(|| {
        read_kubeconfig(args.kubeconfig.as_deref())
            .ok()
            .and_then(|k| k.current_context)
            .unwrap_or_else(|| "in-cluster".into())
    });
    // The client spawns its buffer worker on the runtime: build it inside.
    let _guard = rt.enter();
    // Our stack, not kube's `Client::try_from`: the system roots are loaded once per process
    // (a plain `http://` server gets none), not once per cluster (`transport`).
    let client = super::transport::client(config).map_err(|e| {
        Error::Cluster(format!(
            "cannot build a client for {server}: {}; check the kubeconfig's certificates",
            chain(&e)
        ))
    })?;
    drop(_guard);
    Ok(Kube {
        rt,
        client,
        deadline: args.deadline,
        server: server.trim_end_matches('/').to_string(),
        context,
        writes: WriteOptions::default(),
    })
}

/// The error and its sources, joined (kube's top-level messages are terse).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let s_str = s.to_string();
        if !out.contains(&s_str) {
            out.push_str(": ");
            out.push_str(&s_str);
        }
        src = s.source();
    }
    out
}

/// Why the TLS handshake refused the server's certificate (unknown issuer, wrong name,
/// expired), when that is what an error comes from: rustls's error travels inside the
/// connectors' `io::Error`s (one in another), whose `source()` skips the error they wrap.
fn refused_certificate(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>()
        {
            return Some(tls.to_string());
        }
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// What a request was about, for messages: `get secrets "x" in namespace "y"`.
#[derive(Debug, Clone)]
pub struct Op<'a> {
    pub verb: &'a str,
    pub kind: Kind,
    pub namespace: &'a str,
    pub name: Option<&'a str>,
}

impl Op<'_> {
    pub fn describe(&self) -> String {
        let obj = match self.name {
            Some(n) => format!("{} \"{n}\"", self.kind.resource()),
            None => self.kind.resource().to_string(),
        };
        if self.namespace.is_empty() {
            format!("{} {obj}", self.verb)
        } else {
            format!("{} {obj} in namespace \"{}\"", self.verb, self.namespace)
        }
    }
}

/// HTTP status of an API error, if it is one.
pub fn api_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// The Timeout error of a cluster whose deadline passed at `step`.
fn timed_out(context: &str, d: Deadline, step: &str) -> Error {
    Error::Timeout(format!(
        "context \"{context}\" did not finish within {} (--cluster-timeout): stopped at the step \"{step}\" and sent nothing more to it; the other clusters went on",
        crate::runner::duration::display(d.budget)
    ))
}

impl Kube {
    /// Write as `writes` says (field manager, force on conflicts).
    pub fn writing_as(mut self, writes: &WriteOptions) -> Kube {
        self.writes = writes.clone();
        self
    }

    /// The field manager and force of this client's writes.
    pub fn writes(&self) -> &WriteOptions {
        &self.writes
    }

    /// Drive async work to its end whatever the deadline: only for work that bounds itself
    /// and must not be cut short (the pull test's clean-up of its pods); it should take its
    /// bound from [`Kube::remaining`]. Every other request goes through the deadline.
    pub fn block<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The time left before the deadline (`None`: no deadline).
    pub fn remaining(&self) -> Option<std::time::Duration> {
        self.deadline
            .map(|d| d.at.saturating_duration_since(std::time::Instant::now()))
    }

    /// Drive one request to its end, or to the deadline: past it nothing is sent, and a
    /// request in flight is dropped (cancelled).
    fn call<T, F>(&self, f: F) -> std::result::Result<T, kube::Error>
    where
        F: Future<Output = std::result::Result<T, kube::Error>>,
    {
        let Some(d) = self.deadline else {
            return self.rt.block_on(f);
        };
        if d.passed() {
            return Err(kube::Error::Service(Box::new(DeadlineExceeded)));
        }
        self.rt.block_on(async {
            match tokio::time::timeout_at(tokio::time::Instant::from_std(d.at), f).await {
                Ok(r) => r,
                Err(_) => Err(kube::Error::Service(Box::new(DeadlineExceeded))),
            }
        })
    }

    /// Whether this cluster's deadline has passed (the work on it should stop).
    pub fn deadline_passed(&self) -> bool {
        self.deadline.is_some_and(|d| d.passed())
    }

    pub(super) fn api(&self, kind: Kind, namespace: &str) -> Api<DynamicObject> {
        let ar = kind.api_resource();
        if namespace.is_empty()
            || matches!(
                kind,
                Kind::Namespace | Kind::ClusterRole | Kind::ClusterRoleBinding | Kind::Node
            )
        {
            Api::all_with(self.client.clone(), &ar)
        } else {
            Api::namespaced_with(self.client.clone(), namespace, &ar)
        }
    }

    /// Turn a kube error into our error, naming the operation.
    pub fn error(&self, op: &Op<'_>, e: kube::Error) -> Error {
        let what = op.describe();
        if deadline_exceeded(&e)
            && let Some(d) = self.deadline
        {
            return timed_out(&self.context, d, &what);
        }
        match &e {
            kube::Error::Api(s) if s.code == 403 => Error::Forbidden(format!(
                "RBAC forbids the step \"{what}\" (verb {}, resource {}): {}; ask a cluster admin to grant `{}` on {}{}",
                op.verb,
                op.kind.resource(),
                s.message,
                op.verb,
                op.kind.resource(),
                if op.namespace.is_empty() {
                    String::new()
                } else {
                    format!(" in namespace \"{}\"", op.namespace)
                }
            )),
            kube::Error::Api(s) if s.code == 404 => {
                if s.message.starts_with("namespaces ") && op.kind != Kind::Namespace {
                    Error::not_found(format!(
                        "namespace \"{}\" does not exist on {}; create it or pass the runner's namespace with -n/--namespace",
                        op.namespace, self.server
                    ))
                } else {
                    Error::not_found(format!("cannot {what}: {}", s.message))
                }
            }
            kube::Error::Api(s) => Error::Cluster(format!(
                "the API server refused to {what}: {} ({}, HTTP {})",
                s.message, s.reason, s.code
            )),
            other => match refused_certificate(other) {
                Some(why) => Error::Cluster(format!(
                    "the Kubernetes API at {} is not trusted ({why}), so nothing was sent to {what}; give the cluster's CA in the kubeconfig (certificate-authority-data: `kubectl config set-cluster CLUSTER --certificate-authority=ca.crt --embed-certs`) or add it to the system trust store",
                    self.server
                )),
                None => Error::Cluster(format!(
                    "cannot reach the Kubernetes API at {} to {what}: {}; check that the cluster is up and the kubeconfig (--kubeconfig, --context) points at it",
                    self.server,
                    chain(other)
                )),
            },
        }
    }

    /// GET one object; `None` when it does not exist.
    pub fn get_opt(&self, kind: Kind, namespace: &str, name: &str) -> Result<Option<Value>> {
        let op = Op {
            verb: "get",
            kind,
            namespace,
            name: Some(name),
        };
        match self.call(self.api(kind, namespace).get(name)) {
            Ok(o) => Ok(Some(to_value(o))),
            Err(e) if api_code(&e) == Some(404) => {
                // A missing namespace answers 404 on the object too; say which.
                Ok(None)
            }
            Err(e) => Err(self.error(&op, e)),
        }
    }

    pub fn namespace_exists(&self, namespace: &str) -> Result<bool> {
        Ok(self.get_opt(Kind::Namespace, "", namespace)?.is_some())
    }

    /// GET one object that must exist.
    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Result<Value> {
        let op = Op {
            verb: "get",
            kind,
            namespace,
            name: Some(name),
        };
        self.call(self.api(kind, namespace).get(name))
            .map(to_value)
            .map_err(|e| self.error(&op, e))
    }

    pub fn list(&self, kind: Kind, namespace: &str) -> Result<Vec<Value>> {
        let op = Op {
            verb: "list",
            kind,
            namespace,
            name: None,
        };
        self.call(self.api(kind, namespace).list(&ListParams::default()))
            .map(|l| l.items.into_iter().map(to_value).collect())
            .map_err(|e| self.error(&op, e))
    }

    /// LIST with a label selector (`app.kubernetes.io/name=x`).
    pub fn list_labelled(&self, kind: Kind, namespace: &str, selector: &str) -> Result<Vec<Value>> {
        let op = Op {
            verb: "list",
            kind,
            namespace,
            name: None,
        };
        self.call(
            self.api(kind, namespace)
                .list(&ListParams::default().labels(selector)),
        )
        .map(|l| l.items.into_iter().map(to_value).collect())
        .map_err(|e| self.error(&op, e))
    }

    /// Server-side apply with the field manager of [`Kube::writing_as`]; forced only with
    /// `--force-conflicts`, as in kubectl. A conflict with another manager is
    /// `Error::Conflict` naming the managers and fields (from the Status causes).
    pub fn apply(&self, kind: Kind, namespace: &str, obj: &Value, dry_run: bool) -> Result<Value> {
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        let op = Op {
            verb: "patch",
            kind,
            namespace,
            name: Some(name),
        };
        let mut pp = PatchParams::apply(self.writes.field_manager.as_str());
        if self.writes.force_conflicts {
            pp = pp.force();
        }
        pp.dry_run = dry_run;
        self.call(
            self.api(kind, namespace)
                .patch(name, &pp, &Patch::Apply(obj.clone())),
        )
        .map(to_value)
        .map_err(|e| match &e {
            kube::Error::Api(s) if s.code == 409 && s.reason == "Conflict" => {
                let conflicts = apply_conflicts(s);
                let object = object_of(kind, namespace, name);
                if conflicts.is_empty() {
                    Error::Conflict(format!(
                        "{object}: the API server refused the apply: {}; re-run with --force-conflicts to take the fields from the other field manager",
                        s.message.lines().next().unwrap_or_default()
                    ))
                } else {
                    Error::Conflict(managed::conflict_message(
                        &object,
                        &conflicts,
                        self.writes.field_manager.as_str(),
                    ))
                }
            }
            _ => self.error(&op, e),
        })
    }

    /// PUT with the resourceVersion the object carries (optimistic concurrency).
    pub fn replace(
        &self,
        kind: Kind,
        namespace: &str,
        obj: &Value,
        dry_run: bool,
    ) -> Result<Value> {
        self.replace_raw(kind, namespace, obj, dry_run)
            .map_err(|e| self.error(&self.op_for("update", kind, namespace, obj), e))
    }

    fn op_for<'a>(&self, verb: &'a str, kind: Kind, namespace: &'a str, obj: &'a Value) -> Op<'a> {
        Op {
            verb,
            kind,
            namespace,
            name: obj["metadata"]["name"].as_str(),
        }
    }

    /// PUT, returning kube's error (so callers can retry on a 409 Conflict).
    pub fn replace_raw(
        &self,
        kind: Kind,
        namespace: &str,
        obj: &Value,
        dry_run: bool,
    ) -> std::result::Result<Value, kube::Error> {
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        let data: DynamicObject =
            serde_json::from_value(obj.clone()).map_err(kube::Error::SerdeError)?;
        let pp = PostParams {
            dry_run,
            field_manager: Some(self.writes.field_manager.as_str().to_string()),
        };
        self.call(self.api(kind, namespace).replace(name, &pp, &data))
            .map(to_value)
    }

    /// DELETE; `false` when it was already gone.
    pub fn delete(&self, kind: Kind, namespace: &str, name: &str, dry_run: bool) -> Result<bool> {
        self.delete_with(kind, namespace, name, dry_run, false)
    }

    /// DELETE; `foreground`: the object stays (with a deletionTimestamp) until the objects it
    /// owns (a DaemonSet's pods) are gone, as `kubectl delete --cascade=foreground`.
    pub fn delete_with(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        dry_run: bool,
        foreground: bool,
    ) -> Result<bool> {
        let op = Op {
            verb: "delete",
            kind,
            namespace,
            name: Some(name),
        };
        let base = if foreground {
            DeleteParams::foreground()
        } else {
            DeleteParams::default()
        };
        let dp = DeleteParams { dry_run, ..base };
        match self.call(self.api(kind, namespace).delete(name, &dp)) {
            Ok(_) => Ok(true),
            Err(e) if api_code(&e) == Some(404) => Ok(false),
            Err(e) => Err(self.error(&op, e)),
        }
    }

    /// SelfSubjectAccessReview: may we do `verb` on `resource`? `Ok(None)` when unknown.
    pub fn self_access_review(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: &str,
    ) -> Result<Option<bool>> {
        use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
        let review: SelfSubjectAccessReview = serde_json::from_value(serde_json::json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"namespace": namespace, "verb": verb, "group": group, "resource": resource}}
        }))
        .map_err(|e| Error::other(format!("building a SelfSubjectAccessReview: {e}")))?;
        let api: Api<SelfSubjectAccessReview> = Api::all(self.client.clone());
        match self.call(api.create(&PostParams::default(), &review)) {
            Ok(r) => Ok(r.status.map(|s| s.allowed)),
            Err(e) if api_code(&e).is_some() => Ok(None),
            Err(e) => Err(self.error(
                &Op {
                    verb: "create",
                    kind: Kind::Namespace,
                    namespace: "",
                    name: None,
                },
                e,
            )),
        }
    }

    /// Ask the API server whether `user` (with `groups`) may do `verb` on `resource` in
    /// `namespace`. `Ok(None)` when we may not ask (SubjectAccessReview is forbidden to us).
    pub fn subject_access_review(
        &self,
        user: &str,
        groups: &[String],
        verb: &str,
        group: &str,
        resource: &str,
        namespace: &str,
    ) -> Result<Option<bool>> {
        let sar: SubjectAccessReview = serde_json::from_value(serde_json::json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": user,
                "groups": groups,
                "resourceAttributes": {"namespace": namespace, "verb": verb, "group": group, "resource": resource},
            }
        }))
        .map_err(|e| Error::other(format!("building a SubjectAccessReview: {e}")))?;
        let api: Api<SubjectAccessReview> = Api::all(self.client.clone());
        match self.call(api.create(&PostParams::default(), &sar)) {
            Ok(r) => Ok(Some(r.status.map(|s| s.allowed).unwrap_or(false))),
            Err(e) if matches!(api_code(&e), Some(403) | Some(404)) => Ok(None),
            Err(e) if deadline_exceeded(&e) => Err(self.error(
                &Op {
                    verb: "create",
                    kind: Kind::Namespace,
                    namespace: "",
                    name: None,
                },
                e,
            )),
            Err(e) => Err(Error::Cluster(format!(
                "cannot create a SubjectAccessReview on {}: {}",
                self.server,
                chain(&e)
            ))),
        }
    }
}

/// `secret/NAME in namespace "NS"`, `deployment.apps/NAME ...`: an object as messages name it.
pub fn object_of(kind: Kind, namespace: &str, name: &str) -> String {
    let what = format!("{}/{name}", kind.short());
    if namespace.is_empty() {
        what
    } else {
        format!("{what} in namespace \"{namespace}\"")
    }
}

/// The conflicts of an apply, from the Status causes the API server sends (type
/// `FieldManagerConflict`, message `conflict with "MANAGER" ...`, field `.PATH`).
fn apply_conflicts(s: &kube::core::Status) -> Vec<managed::Conflict> {
    s.details
        .iter()
        .flat_map(|d| d.causes.iter())
        .filter(|c| c.reason == "FieldManagerConflict")
        .map(|c| managed::Conflict {
            manager: c
                .message
                .strip_prefix("conflict with ")
                .unwrap_or(&c.message)
                .to_string(),
            field: c.field.clone(),
        })
        .collect()
}

pub(super) fn to_value(o: DynamicObject) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
    // kube serialises an empty metadata.managedFields etc. as given; keep the object as is.
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.retain(|_, x| !x.is_null());
    }
    v
}
