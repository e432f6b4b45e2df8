//! `setup`: Secrets plus the Deployment patch. Offline with `-f` (here): one multi-document
//! stream for `kubectl apply -f -` (auth Secret, TLS Secret when a CA is given, the patched
//! manifests), or with `--in-place` the files are patched and only the Secrets printed. Without
//! `-f` the live cluster path (`cluster::setup_live`) does the job.

use std::path::Path;

use serde_json::Value;

use crate::credentials::{self, CaInput};
use crate::error::{Error, Result};
use crate::runner::defaults::DEFAULT_TLS_SECRET_NAME;
use crate::runner::dockerconfig::{RegistryCredential, to_dockerconfigjson};
use crate::runner::options::Namespace;
use crate::runner::plan::{DesiredConfig, TlsConfig, plan_patch};
use crate::runner::secrets;
use crate::settings::{OfflineEdit, OutputFormat, Setup, SetupLive, SetupMode};
use crate::ui;
use crate::ui::wizard::Prompter;

pub fn run(args: &Setup) -> Result<()> {
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
        SetupMode::Live(live) => {
            let ns = live.namespace.as_str();
            let req = crate::cluster::SetupRequest {
                input_summary: inputs.summary_lines(),
                auth_secret: inputs.auth_secret(ns),
                tls_secret: inputs.tls_secret(ns),
                desired: inputs.desired_config(),
            };
            crate::cluster::setup_live_request(args, live, &req)
        }
        SetupMode::Offline(edit) => offline(args, edit, &inputs),
    }
}

/// Before the wizard asks anything: the cluster answers, and the namespace, the Deployment
/// and its container are there (the same reads and errors as the setup itself).
fn preflight(args: &Setup, live: &SetupLive) -> Result<()> {
    let kube = crate::cluster::connect(&live.cluster)?;
    let d =
        crate::cluster::setup::read_deployment(&kube, &live.namespace, &args.target.deployment)?;
    if crate::cluster::view::runner_view(&d, &args.target.container).is_none() {
        return Err(Error::not_found(format!(
            "container \"{}\" not found in deployment \"{}\"; pass it with --container",
            args.target.container, args.target.deployment
        )));
    }
    Ok(())
}

fn offline(args: &Setup, edit: &OfflineEdit, inputs: &SetupInputs) -> Result<()> {
    let desired = inputs.desired_config();
    desired.validate()?;
    if inputs.interactive && edit.in_place {
        let summary = inputs.summary_lines().join("\n");
        if !ui::wizard::confirm(&summary, args.yes)? {
            ui::info("nothing written");
            return Ok(());
        }
    }
    let prepared =
        super::patch::offline_texts(edit, |dep| plan_patch(dep, &edit.target, &desired))?;
    // The Secrets go where the Deployment is (they are mounted from its namespace).
    let ns = prepared.namespace.clone().unwrap_or_else(|| {
        edit.namespace
            .clone()
            .unwrap_or_else(Namespace::runner_default)
            .to_string()
    });
    let ns = ns.as_str();
    let mut secrets = vec![inputs.auth_secret(ns)];
    match inputs.tls_secret(ns) {
        Some(s) => secrets.push(s),
        None => {
            if let Some(name) = &inputs.tls_secret_name {
                ui::info(format_args!(
                    "TLS: the manifests mount the existing Secret {name}; pass --ca-file PEM to print it too"
                ));
            }
        }
    }
    // Render the Secrets before any file is written: an error leaves the files alone.
    let secrets_text = ui::output::render_objects(&secrets, args.output)?;
    let done = prepared.commit()?;
    let text = match (args.output, done.texts) {
        (_, None) => secrets_text,
        (OutputFormat::Yaml, Some(texts)) => {
            let mut out = secrets_text;
            let manifests = crate::manifests::render_stream(&texts);
            if !manifests.is_empty() {
                if !manifests.starts_with("---") {
                    out.push_str("---\n");
                }
                out.push_str(&manifests);
            }
            out
        }
        (OutputFormat::Json, Some(texts)) => {
            let mut objects: Vec<Value> = secrets;
            for t in &texts {
                let docs = crate::manifests::parse_documents(t)
                    .map_err(|e| Error::other(format!("internal error: {e}")))?;
                objects.extend(docs.into_iter().map(|d| d.value));
            }
            ui::output::render_objects(&objects, OutputFormat::Json)?
        }
    };
    ui::output::write_stdout(&text)
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
        DesiredConfig {
            auth_secret_name: self.auth_secret_name.clone(),
            auth_mount_path: self.auth_mount_path.clone(),
            registry_auth_secret_name: self
                .registry_auth_secret_name
                .clone()
                .unwrap_or_else(|| self.auth_secret_name.clone()),
            tls: self.tls_secret_name.as_ref().map(|name| TlsConfig {
                secret_name: name.clone(),
                mount_path: self.tls_mount_path.clone(),
            }),
        }
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
    let registries = credentials::collect_registries(&args.credentials, prompter.as_ref())?;
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
