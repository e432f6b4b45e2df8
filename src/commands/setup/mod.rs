//! `setup`: Secrets plus the Deployment patch. The story: check that the input exists (the
//! manifests with `-f`, else, before the wizard asks anything, the cluster), gather the
//! inputs once (flags, environment, stdin, the wizard on a terminal: [`SetupInputs`]), then
//! do the job offline ([`offline`]: one stream for `kubectl apply -f -`, or `--in-place`) or
//! live ([`live`]: Secrets, Deployment, the runner's copy, rollout).

mod live;
mod offline;

use std::path::Path;

use crate::credentials::{self, CaInput};
use crate::error::{Error, Result};
use crate::runner::defaults::DEFAULT_TLS_SECRET_NAME;
use crate::runner::dockerconfig::{RegistryCredential, to_dockerconfigjson};
use crate::runner::plan::{DesiredConfig, RequestedConfig};
use crate::runner::secrets;
use crate::settings::{Setup, SetupLive, SetupMode};
use crate::ui;
use crate::ui::wizard::Prompter;

pub fn run(args: &Setup) -> Result<()> {
    if let SetupMode::Live(live) = &args.mode
        && let Some(fleet) = &live.fleet
    {
        return run_fleet(args, live, fleet);
    }
    if let SetupMode::Offline(edit) = &args.mode
        && !edit.is_stdin()
    {
        std::fs::metadata(&edit.source).map_err(|e| Error::io(&edit.source, e))?;
    }
    // The wizard asks nothing before the cluster, the namespace and the Deployment are known
    // to be there: an unreachable cluster is found before the password is typed.
    if let SetupMode::Live(live) = &args.mode
        && Prompter::if_terminal().is_some()
    {
        preflight(args, live)?;
    }
    let inputs = collect_inputs(args)?;
    match &args.mode {
        SetupMode::Live(s) => live::run(args, s, &inputs),
        SetupMode::Offline(edit) => offline::run(args, edit, &inputs),
    }
}

/// `setup` across contexts. The story: on a terminal, every cluster answers before the
/// wizard asks anything (a cluster that does not is reported and left out); the inputs are
/// gathered once for all (the password read once: stdin, environment or the wizard); every
/// cluster's plan is read (nothing written), all plans are shown and confirmed once; then
/// each cluster is set up concurrently, its rollout waited for, and one summary says per
/// context what changed, the rollout, whether the runner still runs with the old credential
/// after a rotation, and the error. Exit code: the most severe of the clusters'.
fn run_fleet(args: &Setup, live: &SetupLive, fleet: &crate::settings::Fleet) -> Result<()> {
    use crate::commands::fleet::{self, FleetReport, Outcome};
    let contexts = fleet::contexts(fleet)?;
    let one = |cluster| SetupLive {
        cluster,
        fleet: None,
        ..live.clone()
    };
    let mut contexts = contexts;
    let mut unreachable: Vec<Outcome<live::ClusterSetup>> = Vec::new();
    if Prompter::if_terminal().is_some() {
        let checked = fleet::run_step(fleet, &contexts, "found", |c| preflight(args, &one(c)));
        if checked.iter().all(|o| o.result.is_err()) {
            let failed = checked
                .into_iter()
                .map(|o| Outcome {
                    context: o.context,
                    result: o.result.map(|()| live::ClusterSetup::default()),
                    elapsed: o.elapsed,
                })
                .collect::<Vec<_>>();
            let report = FleetReport { outcomes: failed };
            crate::ui::output::print_report(&report, live.report)?;
            return fleet::verdict(&report.outcomes);
        }
        for o in checked {
            if let Err(e) = o.result {
                unreachable.push(Outcome {
                    context: o.context,
                    result: Err(e),
                    elapsed: o.elapsed,
                });
            }
        }
        contexts.retain(|c| !unreachable.iter().any(|u| &u.context == c));
    }
    // The confirmation names the clusters left out too.
    let (left_out, _) = fleet::plans_to_confirm(&unreachable, |p| &p.plan);
    let inputs = collect_inputs(args)?;
    let plans = fleet::run_step(fleet, &contexts, "plan read", |c| {
        live::flow(args, &one(c), &inputs, live::Pass::Plan)
    });
    let finish = |mut outcomes: Vec<Outcome<live::ClusterSetup>>| -> Result<()> {
        outcomes.extend(unreachable);
        let order = fleet::contexts(fleet)?;
        outcomes.sort_by_key(|o| order.iter().position(|c| c == &o.context));
        let report = FleetReport { outcomes };
        crate::ui::output::print_report(&report, live.report)?;
        fleet::verdict(&report.outcomes)
    };
    if live.dry_run == crate::runner::options::DryRun::Client {
        return finish(plans);
    }
    let (text, ready) = fleet::plans_to_confirm(&plans, |p| &p.plan);
    let text = left_out + &text;
    if ready.is_empty() {
        return finish(plans);
    }
    let server_dry = live.dry_run == crate::runner::options::DryRun::Server;
    if !server_dry && !ui::wizard::confirm(&text, args.yes)? {
        return Err(Error::cancelled(
            "setup cancelled; nothing was changed on any cluster",
        ));
    }
    let applied = fleet::run_each(fleet, &ready, |c| {
        live::flow(args, &one(c), &inputs, live::Pass::Apply)
    });
    let mut outcomes: Vec<Outcome<live::ClusterSetup>> =
        plans.into_iter().filter(|o| o.result.is_err()).collect();
    outcomes.extend(applied);
    finish(outcomes)
}

/// Before the wizard asks anything: the cluster answers, and the namespace, the Deployment
/// and its container are there (the same reads and errors as the setup itself).
fn preflight(args: &Setup, live: &SetupLive) -> Result<()> {
    let kube = crate::cluster::connect(&live.cluster)?;
    let d = crate::cluster::read_deployment(&kube, &live.namespace, &args.target.deployment)?;
    crate::runner::view::runner_view(&d, &args.target.container)?;
    Ok(())
}

/// Everything `setup` needs from the user, gathered once (flags, env, stdin, wizard).
#[derive(Debug, Clone)]
pub struct SetupInputs {
    /// Normalised, de-duplicated; never empty.
    pub registries: Vec<RegistryCredential>,
    /// The CA to put in the TLS Secret (None: no TLS, or an existing TLS Secret by name).
    pub ca: Option<CaInput>,
    pub auth_secret_name: String,
    /// Some when TLS is configured (`--tls`, `--tls-secret-name`, `--ca-file` or the wizard).
    pub tls_secret_name: Option<String>,
    pub auth_mount_path: String,
    pub tls_mount_path: String,
    /// The runner's `--registry-auth-secret-name` (its copy in the function namespace).
    pub registry_auth_secret_name: Option<String>,
    /// Whether the wizard asked anything (the caller then shows a summary and confirms).
    pub interactive: bool,
}

impl SetupInputs {
    pub fn tls_enabled(&self) -> bool {
        self.tls_secret_name.is_some()
    }
    /// The `.dockerconfigjson` bytes.
    pub fn dockerconfigjson(&self) -> Vec<u8> {
        to_dockerconfigjson(&self.registries)
    }
    /// The auth Secret in `namespace`.
    pub fn auth_secret(&self, namespace: &str) -> serde_json::Value {
        secrets::auth_secret(&self.auth_secret_name, namespace, &self.dockerconfigjson())
    }
    /// The TLS Secret in `namespace`, when a CA file was given.
    pub fn tls_secret(&self, namespace: &str) -> Option<serde_json::Value> {
        match (&self.ca, &self.tls_secret_name) {
            (Some(ca), Some(name)) => Some(secrets::tls_secret(name, namespace, &ca.pem)),
            _ => None,
        }
    }
    /// The runner configuration these inputs ask for (offline and live `setup` alike): the
    /// runner's copy is named like the auth Secret unless `--registry-auth-secret-name` is given.
    pub fn desired_config(&self) -> DesiredConfig {
        // TLS exactly when a TLS Secret is named (the CA was resolved into it already).
        RequestedConfig {
            auth_secret_name: self.auth_secret_name.clone(),
            auth_mount_path: self.auth_mount_path.clone(),
            tls: false,
            tls_secret_name: self.tls_secret_name.clone(),
            tls_mount_path: self.tls_mount_path.clone(),
            registry_auth_secret_name: self.registry_auth_secret_name.clone(),
        }
        .desired(false)
    }
    /// Human lines for the summary (never a password).
    pub fn summary_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for r in &self.registries {
            lines.push(format!("registry {} (user {})", r.registry, r.username));
        }
        lines.push(format!(
            "auth Secret {} mounted at {}",
            self.auth_secret_name, self.auth_mount_path
        ));
        if let Some(name) = &self.tls_secret_name {
            match &self.ca {
                Some(ca) => lines.push(format!(
                    "TLS Secret {name} (ca.crt from {}, {} certificate(s)) mounted at {}",
                    ca.path.display(),
                    ca.report.certs.len(),
                    self.tls_mount_path
                )),
                None => lines.push(format!(
                    "existing TLS Secret {name} mounted at {}",
                    self.tls_mount_path
                )),
            }
        }
        lines
    }
}

/// The inputs of `setup` (offline and live): credentials, CA, names and mount paths from
/// flags, environment and stdin; the wizard asks for what is missing when stdin is a terminal;
/// without one, missing input is a Usage error naming the flags.
fn collect_inputs(args: &Setup) -> Result<SetupInputs> {
    let prompter = Prompter::if_terminal();
    let registries_missing = args.credentials.registries_missing();
    let opts = &args.config;
    let registries = credentials::collect_registries(
        &args.credentials,
        prompter.as_ref().map(|p| p as &dyn credentials::Ask),
    )?;
    let interactive = prompter.is_some() && registries_missing;

    let mut tls = opts.tls || opts.tls_secret_name.is_some() || args.ca_file.is_some();
    let mut ca = match &args.ca_file {
        Some(path) => Some(credentials::read_ca(path)?),
        None => None,
    };
    let mut auth_secret_name = opts.auth_secret_name.clone();
    let mut auth_mount_path = opts.auth_mount_path.clone();
    let mut tls_secret_name = opts.tls_secret_name.clone();
    let mut tls_mount_path = opts.tls_mount_path.clone();

    if opts.tls && ca.is_none() && opts.tls_secret_name.is_none() {
        match &prompter {
            Some(p) => {
                ca = p.ca_file(true, read_ca_answer)?;
                tls = ca.is_some();
            }
            None => {
                return Err(Error::usage(
                    "--tls needs the CA: pass --ca-file PEM, or --tls-secret-name NAME for an existing Secret",
                ));
            }
        }
    }
    if interactive && let Some(p) = &prompter {
        if !tls {
            ca = p.ca_file(false, read_ca_answer)?;
            tls = ca.is_some();
        }
        auth_secret_name = p.object_name("Auth Secret name", &auth_secret_name)?;
        auth_mount_path = p.mount_path("Auth Secret mount path", &auth_mount_path)?;
        if tls {
            let default = tls_secret_name
                .clone()
                .unwrap_or_else(|| DEFAULT_TLS_SECRET_NAME.to_string());
            tls_secret_name = Some(p.object_name("TLS Secret name", &default)?);
            tls_mount_path = p.mount_path("TLS Secret mount path", &tls_mount_path)?;
        }
    }
    if tls && tls_secret_name.is_none() {
        tls_secret_name = Some(DEFAULT_TLS_SECRET_NAME.to_string());
    }
    if !tls {
        tls_secret_name = None;
    }
    secrets::validate_object_name(&auth_secret_name)
        .map_err(|e| Error::usage(format!("auth Secret name {e}")))?;
    if let Some(n) = &tls_secret_name {
        secrets::validate_object_name(n)
            .map_err(|e| Error::usage(format!("TLS Secret name {e}")))?;
    }
    Ok(SetupInputs {
        registries,
        ca,
        auth_secret_name,
        tls_secret_name,
        auth_mount_path,
        tls_mount_path,
        registry_auth_secret_name: opts.registry_auth_secret_name.clone(),
        interactive,
    })
}

/// The wizard's CA answer: read and checked as `--ca-file` is, its certificates listed.
fn read_ca_answer(path: &Path) -> Result<CaInput> {
    let ca = credentials::read_ca(path)?;
    for c in &ca.report.certs {
        ui::info(format_args!(
            "  {} (CA: {}, expires {})",
            c.subject,
            if c.is_ca { "yes" } else { "no" },
            c.not_after_rfc3339()
        ));
    }
    Ok(ca)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_debug_never_shows_the_password() {
        let inputs = SetupInputs {
            registries: vec![RegistryCredential {
                registry: "r.example:5000".into(),
                username: "robot".into(),
                password: "Zq8-unique-Pw".into(),
                email: None,
            }],
            ca: None,
            auth_secret_name: "a".into(),
            tls_secret_name: None,
            auth_mount_path: "/var/tmp/auth-secret".into(),
            tls_mount_path: "/var/tmp/tls-secret".into(),
            registry_auth_secret_name: None,
            interactive: false,
        };
        let dbg = format!("{inputs:?}");
        assert!(dbg.contains("robot"), "{dbg}");
        assert!(!dbg.contains("Zq8-unique-Pw"), "{dbg}");
        let secret = inputs.auth_secret("ns");
        let data = secret["data"][".dockerconfigjson"].as_str().unwrap();
        assert!(!dbg.contains(data), "{dbg}");
        assert!(!format!("{:?}", inputs.summary_lines()).contains("Zq8-unique-Pw"));
    }
}
