//! `node-trust`: make every node's container runtime trust the registry CA. The story:
//! gather what to trust (the registries and the CA, from the flags or from the Secrets the
//! runner mounts), then either print a distribution's configuration (`--method kind|k3s|
//! openshift`: the document on stdout, the steps on stderr) or apply the DaemonSet
//! ([`live`]). `node-trust remove` is [`remove`].

pub mod live;
pub mod remove;
pub mod state;

use std::path::PathBuf;

use crate::cluster;
use crate::credentials;
use crate::error::{Error, Result};
use crate::runner::authfile::AuthFile;
use crate::runner::node_trust::{self, NodeRegistry};
use crate::settings::{NodeTrust, NodeTrustMethod};
use crate::ui;
use crate::ui::output::OutputFormat;

/// What the nodes are to trust, and where it came from.
pub struct TrustInput {
    pub registries: Vec<NodeRegistry>,
    /// The CA bundle as ConfigMap text.
    pub ca_pem: String,
    /// `--ca-file PATH`, or the runner's TLS Secret (for messages).
    pub ca_source: String,
    /// `--ca-file` when given (the kind and k3s printers name the file).
    pub ca_file: Option<PathBuf>,
}

pub fn run(s: &NodeTrust) -> Result<()> {
    let input = gather(s)?;
    match s.method {
        NodeTrustMethod::Daemonset => live::apply(s, &input),
        _ => print_distribution(s, &input),
    }
}

/// The registries and the CA: the flags, else what the live runner mounts. The auth Secret
/// is read for its keys only: no credential leaves this function.
fn gather(s: &NodeTrust) -> Result<TrustInput> {
    let runner = if s.registries.is_empty() || s.ca_file.is_none() {
        let (ns, t) = (&s.runner.namespace, &s.runner.target);
        Some(cluster::read_runner_secrets(
            &s.runner.cluster,
            ns,
            &t.deployment,
            &t.container,
        )?)
    } else {
        None
    };
    let where_runner = || {
        format!(
            "the runner (deployment \"{}\", namespace \"{}\")",
            s.runner.target.deployment, &*s.runner.namespace
        )
    };
    let registries = match &runner {
        Some(r) if s.registries.is_empty() => {
            let secret = r.auth_secret.clone().unwrap_or_default();
            let bytes = r.dockerconfigjson.as_deref().unwrap_or_default();
            let file = AuthFile::parse(bytes).map_err(|e| {
                Error::usage(format!(
                    "the auth Secret \"{secret}\" of {} cannot be parsed ({e}); fix it with `kubectl porch-registry setup`, or pass the registries with --registry",
                    where_runner()
                ))
            })?;
            let (found, skipped) =
                node_trust::registries_from_auth_keys(file.auths.keys().map(String::as_str));
            for k in skipped {
                ui::warn(format_args!(
                    "auth Secret \"{secret}\": key {k:?} is no image's registry (the runner never uses it); no node needs a CA for it"
                ));
            }
            if found.is_empty() {
                return Err(Error::usage(format!(
                    "the auth Secret \"{secret}\" of {} names no registry an image can have; pass the registries with --registry",
                    where_runner()
                )));
            }
            found
        }
        _ => s.registries.clone(),
    };
    let (pem, ca_source) = match (&s.ca_file, &runner) {
        (Some(path), _) => (
            credentials::read_ca(path)?.pem,
            format!("--ca-file {}", path.display()),
        ),
        (None, Some(r)) => {
            let Some(pem) = &r.ca_pem else {
                return Err(Error::not_found(match &r.tls_secret {
                    Some(name) => format!(
                        "the TLS Secret \"{name}\" of {} has no ca.crt (nor ca.pem); pass the CA with --ca-file",
                        where_runner()
                    ),
                    None => format!(
                        "{} mounts no TLS Secret (--enable-private-registries-tls is off, or no Secret is at its --tls-secret-path {}); pass the CA with --ca-file",
                        where_runner(),
                        r.tls_path
                    ),
                }));
            };
            let source = format!(
                "secret/{} (namespace \"{}\")",
                r.tls_secret.as_deref().unwrap_or_default(),
                &*s.runner.namespace
            );
            let report = crate::runner::ca::analyze_ca_pem(pem, now_unix()).map_err(|e| {
                Error::usage(format!(
                    "ca.crt of {source}: {e}; fix the Secret with `kubectl porch-registry setup --ca-file`, or pass the CA with --ca-file"
                ))
            })?;
            for w in &report.warnings {
                ui::warn(format_args!("ca.crt of {source}: {w}"));
            }
            (pem.clone(), source)
        }
        (None, None) => unreachable!("the runner is read when --ca-file is missing"),
    };
    let ca_pem = String::from_utf8(pem).map_err(|_| {
        Error::usage(format!(
            "{ca_source}: the PEM is not UTF-8 text; a ConfigMap value must be"
        ))
    })?;
    Ok(TrustInput {
        registries,
        ca_pem,
        ca_source,
        ca_file: s.ca_file.clone(),
    })
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `--method kind|k3s|openshift`: build that distribution's configuration in the core,
/// print it (stdout) and the steps to apply it (stderr).
fn print_distribution(s: &NodeTrust, input: &TrustInput) -> Result<()> {
    let regs = &input.registries;
    let ca_file = || {
        input.ca_file.clone().ok_or_else(|| {
            Error::usage("this method needs --ca-file: its configuration names the CA file")
        })
    };
    let (objects, steps) = match s.method {
        NodeTrustMethod::Kind => {
            // kind resolves the mount on the machine that runs it: an absolute path.
            let path = ca_file()?;
            let abs = std::fs::canonicalize(&path).map_err(|e| Error::io(&path, e))?;
            let abs = abs.to_str().ok_or_else(|| {
                Error::usage(format!(
                    "--ca-file {}: the path is not UTF-8; kind's config cannot name it (copy the CA to a UTF-8 path)",
                    path.display()
                ))
            })?;
            (
                vec![node_trust::kind_cluster(regs, abs)],
                node_trust::kind_steps(regs),
            )
        }
        NodeTrustMethod::K3s => (
            vec![node_trust::k3s_registries(regs)],
            node_trust::k3s_steps(regs, &ca_file()?.display().to_string()),
        ),
        NodeTrustMethod::Openshift => (
            vec![node_trust::openshift_configmap(
                &s.name,
                regs,
                &input.ca_pem,
            )],
            node_trust::openshift_steps(&s.name),
        ),
        NodeTrustMethod::Daemonset => unreachable!("the DaemonSet is applied by live::apply"),
    };
    ui::output::print_objects(&objects, s.output.unwrap_or(OutputFormat::Yaml))?;
    print_steps(input, &steps);
    Ok(())
}

/// "node trust for REGS with the CA of SOURCE; to apply it:" and the steps (stderr).
fn print_steps(input: &TrustInput, steps: &[String]) {
    let hosts: Vec<&str> = input.registries.iter().map(|r| r.as_str()).collect();
    let source = match &input.ca_file {
        Some(p) => p.display().to_string(),
        None => input.ca_source.clone(),
    };
    ui::info(format_args!(
        "node trust for {} with the CA of {source}; to apply it:",
        hosts.join(", "),
    ));
    for step in steps {
        ui::info(format_args!("  {step}"));
    }
}
