//! The checker: objects in (a Deployment and any Secrets), findings out.
//!
//! Every rule predicts what the real function runner (and the API server, and the kubelet)
//! will do with a configuration, and says how to fix it. Pure: no I/O. Secret values never
//! reach a finding: only key names, registry names and lengths do.
//!
//! Rule ids are stable (CI parses them); see [`RULES`].

mod flagrules;
mod imagerules;
mod model;
mod mountrules;
mod noderules;
mod secretrules;

use serde::Serialize;
use serde_json::Value;

pub use imagerules::{ConfiguredRunner, ImageUse, image_findings, runner_config};
pub use model::{RunnerLocateError, locate_runner};
pub use noderules::{RunnerTrust, node_trust_findings};

/// How bad a finding is. `Error` makes `check` exit non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem (or reminder) about one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub rule: &'static str,
    /// `Kind/namespace/name` (or `Kind/name` when the object has no namespace).
    pub object: String,
    pub message: String,
    pub fix: String,
    /// Index of the object in the slice given to [`lint`] (for KRM results).
    #[serde(skip)]
    pub object_index: Option<usize>,
    /// Field path inside the object, e.g. `spec.template.spec.containers[0].args[2]`.
    #[serde(skip)]
    pub field: Option<String>,
}

/// What the lint looks for and how it judges.
#[derive(Debug, Clone)]
pub struct LintContext {
    /// The runner's namespace (where its Secrets must be).
    pub namespace: String,
    /// Name of the function-runner Deployment.
    pub deployment: String,
    /// Name of the runner container.
    pub container: String,
    /// Offline (manifests): a Secret that is not among the objects is only a warning.
    pub offline: bool,
    /// "Now", for certificate validity.
    pub now_unix: i64,
}

impl LintContext {
    /// The defaults of the CLI, offline.
    pub fn offline_defaults(now_unix: i64) -> Self {
        LintContext {
            namespace: crate::runner::defaults::DEFAULT_NAMESPACE.into(),
            deployment: crate::runner::defaults::DEFAULT_DEPLOYMENT.into(),
            container: crate::runner::defaults::DEFAULT_CONTAINER.into(),
            offline: true,
            now_unix,
        }
    }
}

/// Rule ids, with their usual severity and what they catch.
pub mod rules {
    pub const DEPLOYMENT_MISSING: &str = "deployment-missing";
    pub const MOUNT_PATH_NOT_DEDICATED: &str = "mount-path-not-dedicated";
    pub const AUTH_PATH_OUTSIDE_MOUNT: &str = "auth-path-outside-mount";
    pub const TLS_PATH_OUTSIDE_MOUNT: &str = "tls-path-outside-mount";
    pub const FLAG_BOOL_WITHOUT_EQUALS: &str = "flag-bool-without-equals";
    pub const FLAG_AFTER_POSITIONAL: &str = "flag-after-positional";
    pub const FLAG_UNKNOWN: &str = "flag-unknown";
    pub const FLAG_INVALID: &str = "flag-invalid";
    pub const FLAG_DUPLICATE: &str = "flag-duplicate";
    pub const AUTH_FLAGS_WITHOUT_ENABLE: &str = "auth-flags-without-enable";
    pub const TLS_WITHOUT_PRIVATE_REGISTRIES: &str = "tls-without-private-registries";
    pub const TLS_FLAGS_WITHOUT_ENABLE: &str = "tls-flags-without-enable";
    pub const REGISTRY_KEY_UNMATCHED: &str = "registry-key-unmatched";
    pub const REGISTRY_AUTH_INVALID: &str = "registry-auth-invalid";
    pub const CREDENTIAL_HELPER_ONLY: &str = "credential-helper-only";
    pub const SECRET_WRONG_NAMESPACE: &str = "secret-wrong-namespace";
    pub const SECRET_MISSING: &str = "secret-missing";
    pub const SECRET_WRONG_TYPE: &str = "secret-wrong-type";
    pub const SECRET_DATA_INVALID: &str = "secret-data-invalid";
    pub const TLS_CA_KEY_MISSING: &str = "tls-ca-key-missing";
    pub const TLS_CA_INVALID: &str = "tls-ca-invalid";
    pub const VOLUME_MOUNT_MISMATCH: &str = "volume-mount-mismatch";
    pub const NODE_CA_TRUST: &str = "node-ca-trust";
    pub const PRIVATE_REGISTRIES_OFF: &str = "private-registries-off";
    pub const IMAGE_UNPARSABLE: &str = "image-unparsable";
    pub const IMAGE_NO_CREDENTIALS: &str = "image-no-credentials";
    pub const IMAGE_CREDENTIAL_INCOMPLETE: &str = "image-credential-incomplete";
    /// Live only: another field manager owns the runner's flags or the Secrets' data.
    pub const MANAGED_ELSEWHERE: &str = "managed-elsewhere";
}

/// Every rule id with a one-line description (for docs and `--help`-like listings).
pub const RULES: &[(&str, &str)] = &[
    (
        rules::DEPLOYMENT_MISSING,
        "the function-runner Deployment or its container is not among the objects",
    ),
    (
        rules::MOUNT_PATH_NOT_DEDICATED,
        "a Secret is mounted on a shared directory (/, /tmp, /var/tmp, /etc, home, the binary's directory) or on, above or below another mount",
    ),
    (
        rules::AUTH_PATH_OUTSIDE_MOUNT,
        "--registry-auth-secret-path does not name a file of the mounted auth Secret",
    ),
    (
        rules::TLS_PATH_OUTSIDE_MOUNT,
        "--tls-secret-path is not the directory where the TLS Secret is mounted",
    ),
    (
        rules::FLAG_BOOL_WITHOUT_EQUALS,
        "`--bool-flag true`: Go stops parsing at `true` and silently ignores every later flag",
    ),
    (
        rules::FLAG_AFTER_POSITIONAL,
        "a positional argument stops Go's flag parsing: later flags are silently ignored",
    ),
    (
        rules::FLAG_UNKNOWN,
        "a flag the runner does not define (2024 names; flags of other builds, judged by the image tag): it exits at start-up",
    ),
    (
        rules::FLAG_INVALID,
        "a flag value Go cannot parse, or a value flag without a value: it exits at start-up",
    ),
    (
        rules::FLAG_DUPLICATE,
        "a flag given twice: the last one wins",
    ),
    (
        rules::AUTH_FLAGS_WITHOUT_ENABLE,
        "auth flags or an auth Secret without --enable-private-registries=true: ignored",
    ),
    (
        rules::TLS_WITHOUT_PRIVATE_REGISTRIES,
        "--enable-private-registries-tls without --enable-private-registries: TLS is never used",
    ),
    (
        rules::TLS_FLAGS_WITHOUT_ENABLE,
        "--tls-secret-path or a TLS Secret mount without --enable-private-registries-tls=true",
    ),
    (
        rules::REGISTRY_KEY_UNMATCHED,
        "an auths key the runner's exact host[:port] lookup never matches",
    ),
    (
        rules::REGISTRY_AUTH_INVALID,
        "the auth file does not parse (one bad `auth` breaks all): no function pod at all; or a user name with ':' the runner cannot read back",
    ),
    (
        rules::CREDENTIAL_HELPER_ONLY,
        "credentials kept only in a credential helper, which the runner cannot run",
    ),
    (
        rules::SECRET_WRONG_NAMESPACE,
        "a mounted Secret exists only in another namespace than the runner's",
    ),
    (
        rules::SECRET_MISSING,
        "a volume names a Secret that is not there",
    ),
    (
        rules::SECRET_WRONG_TYPE,
        "a Secret type the API server rejects for its keys (e.g. kubernetes.io/tls without tls.crt/tls.key)",
    ),
    (
        rules::SECRET_DATA_INVALID,
        "a Secret `data` value that is not base64",
    ),
    (
        rules::TLS_CA_KEY_MISSING,
        "the TLS Secret has neither ca.crt nor ca.pem",
    ),
    (
        rules::TLS_CA_INVALID,
        "the CA file is not a usable PEM certificate bundle (or is expired, or not a CA)",
    ),
    (
        rules::VOLUME_MOUNT_MISMATCH,
        "volumeMounts and volumes do not match (missing volume, unmounted Secret volume, projected keys)",
    ),
    (
        rules::PRIVATE_REGISTRIES_OFF,
        "info: the runner has no private-registry configuration at all",
    ),
    (
        rules::IMAGE_UNPARSABLE,
        "a function image the runner's library does not parse (e.g. ghcr.io/x): no function pod",
    ),
    (
        rules::IMAGE_NO_CREDENTIALS,
        "a function image whose registry has no auth entry: the runner pulls it anonymously",
    ),
    (
        rules::IMAGE_CREDENTIAL_INCOMPLETE,
        "a function image whose auth entry sends no header (username without password, ...)",
    ),
    (
        rules::NODE_CA_TRUST,
        "the nodes' container runtime must trust the registry CA too: a reminder offline; live, the node-trust DaemonSet's state (nodes without a pod are errors; stale or rolling-out nodes, another CA than the runner's, warnings)",
    ),
    (
        rules::MANAGED_ELSEWHERE,
        "live: another field manager (Argo CD, Flux, kubectl) owns the runner's flags or a Secret's data, so setup meets a conflict and that source undoes changes",
    ),
];

/// Lint a set of objects (manifests, or what the cluster has) for the runner's configuration.
///
/// Findings are sorted: errors first, then warnings, then infos; within a severity, in the
/// order the rules ran.
pub fn lint(objects: &[Value], ctx: &LintContext) -> Vec<Finding> {
    let mut out = Vec::new();
    // Every Secret on its own: types and data the API server would reject.
    secretrules::lint_all_secrets(objects, &mut out);
    match model::locate_runner(objects, ctx) {
        Ok(runner) => {
            if let Some(runner) = model::Runner::build(objects, runner, ctx) {
                lint_runner(&runner, objects, ctx, &mut out);
                lint_past_parse_stops(runner, objects, ctx, &mut out);
            }
        }
        Err(e) => out.push(Finding {
            severity: Severity::Error,
            rule: rules::DEPLOYMENT_MISSING,
            object: e.object(),
            message: e.to_string(),
            fix: e.fix(),
            object_index: e.index(),
            field: None,
        }),
    }
    // Stable order: severity, then rule order of appearance.
    out.sort_by_key(|f| f.severity);
    dedup(&mut out);
    out
}

/// The rules about the runner container, its flags, mounts and Secrets.
fn lint_runner(
    runner: &model::Runner<'_>,
    objects: &[Value],
    ctx: &LintContext,
    out: &mut Vec<Finding>,
) {
    let eff = flagrules::lint_flags(runner, out);
    let resolved = mountrules::lint_mounts(runner, &eff, objects, ctx, out);
    secretrules::lint_runner_secrets(runner, &eff, &resolved, objects, ctx, out);
}

/// `--enable-private-registries true` stops Go's flag parsing: every later flag is ignored,
/// and so are the problems they would cause (an invalid CA in the TLS Secret the ignored
/// `--enable-private-registries-tls=true` turns on). Lint the runner as it will be once each
/// such stop is fixed, and report what is new there, saying it comes after the stop.
fn lint_past_parse_stops(
    runner: model::Runner<'_>,
    objects: &[Value],
    ctx: &LintContext,
    out: &mut Vec<Finding>,
) {
    let key = |f: &Finding| {
        (
            f.rule,
            f.object.clone(),
            f.field.clone(),
            f.field.is_none().then(|| f.message.clone()),
        )
    };
    let mut seen: std::collections::HashSet<_> = out.iter().map(key).collect();
    let mut stops: Vec<String> = Vec::new();
    let mut current = runner;
    // Each step removes one token: bounded by the argv length.
    while let Some((next, stop)) = current.past_bool_stop() {
        stops.push(stop);
        let mut later = Vec::new();
        lint_runner(&next, objects, ctx, &mut later);
        let fixed = stops
            .iter()
            .map(|s| format!("\"{s}\" is written {}", s.replacen(' ', "=", 1)))
            .collect::<Vec<_>>()
            .join(" and ");
        for mut f in later {
            if seen.insert(key(&f)) {
                f.message = format!(
                    "{} (after the parse stop: Go ignores this today because it stops reading flags at \"{}\"; the runner meets it once {fixed})",
                    f.message,
                    stops.last().map(String::as_str).unwrap_or_default(),
                );
                out.push(f);
            }
        }
        current = next;
    }
}

fn dedup(out: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| seen.insert((f.rule, f.object.clone(), f.message.clone())));
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// `Kind/namespace/name` or `Kind/name`.
pub fn object_name(obj: &Value) -> String {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("Object");
    let meta = obj.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)");
    match meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
    {
        Some(ns) if !ns.is_empty() => format!("{kind}/{ns}/{name}"),
        _ => format!("{kind}/{name}"),
    }
}

#[cfg(test)]
mod tests;
