//! `explain IMAGE... [--package DIR]...`: what the function runner does with each function
//! image, predicted offline by THE runner model (`runner::model`), no registry contacted.
//!
//! Flow: the images (arguments, then the Kptfile pipelines of each `--package`) -> the runner
//! configuration (manifests `-f`, a bare `--auth-file`, or the live cluster) -> one prediction
//! per image -> a table or `-o json|yaml`. Passwords and tokens are never part of a prediction.

use std::io::Read;

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::runner::lint::{self, ConfiguredRunner, ImageUse, LintContext};
use crate::runner::model::{
    AuthFileState, DEFAULT_IMAGE_PREFIX, Family, Prediction, RunnerConfig, builtin_images, predict,
    stock_function_configs,
};
use crate::settings::{
    Check, Explain, ExplainSource, Fleet, Namespace, ReportFormat, RunnerLocation,
};
use crate::ui::output::{self, Report};

pub fn run(args: &Explain) -> Result<()> {
    let images =
        crate::krm::pipeline::command_line_and_package_images(&args.images, &args.packages)?;
    if let ExplainSource::Live {
        runner,
        fleet: Some(fleet),
    } = &args.source
    {
        return run_fleet(args, runner, fleet, &images);
    }
    let runner = runner_of(args)?;
    let report = explain(&images, &runner);
    output::print_report(&report, args.output)
}

/// Live `explain` across contexts: each cluster's runner read concurrently, the same images
/// predicted for each; one entry per context (its report under `explain`), the summary table
/// naming per context the images that get no pod or no credential.
fn run_fleet(
    args: &Explain,
    loc: &RunnerLocation,
    fleet: &Fleet,
    images: &[ImageUse],
) -> Result<()> {
    let contexts = super::fleet::contexts(fleet)?;
    let outcomes = super::fleet::run_each(fleet, &contexts, |cluster| {
        let loc = RunnerLocation {
            cluster,
            ..loc.clone()
        };
        live_runner(args, &loc).map(|runner| explain(images, &runner))
    });
    let report = super::fleet::FleetReport { outcomes };
    output::print_report(&report, args.output)?;
    super::fleet::verdict(&report.outcomes)
}

impl super::fleet::ClusterReport for ExplainReport {
    const KEY: &'static str = "explain";
    fn findings(&self) -> Vec<String> {
        let mut f = Vec::new();
        if let Some(e) = &self.auth_file.error {
            f.push(format!("auth file unparsable by the runner: {e}"));
        }
        for i in &self.images {
            if let Some(e) = &i.error {
                f.push(format!("{}: {e}: no pod", i.image));
            } else if !i.reaches_runner {
                continue;
            } else if i.credential.is_none() && i.keychain == Some("auth-file") {
                f.push(format!(
                    "{}: no credential for {} (anonymous pull)",
                    i.image,
                    i.registry.as_deref().unwrap_or("its registry")
                ));
            }
        }
        f
    }
}

/// The runner configuration `explain` predicts with.
fn runner_of(args: &Explain) -> Result<ConfiguredRunner> {
    let prefix = args.default_image_prefix.as_deref();
    let ctx = LintContext {
        namespace: args.namespace.to_string(),
        deployment: args.target.deployment.clone(),
        container: args.target.container.clone(),
        offline: true,
        now_unix: super::check::now_unix(),
    };
    let from_objects = |objects: &[serde_json::Value], shown: &str| {
        lint::runner_config(objects, &ctx, prefix)
            .map_err(|e| Error::not_found(format!("{shown}: {e}; {}", e.fix())))
    };
    match &args.source {
        ExplainSource::Manifests(path) => {
            let objects = super::input::load_manifests(path)?.objects();
            from_objects(&objects, &path.display().to_string())
        }
        ExplainSource::AuthFile { path, tls } => {
            let bytes = read_auth_file(path)?;
            let prefix = prefix.unwrap_or(DEFAULT_IMAGE_PREFIX).to_string();
            Ok(ConfiguredRunner {
                config: RunnerConfig {
                    private_registries: true,
                    tls: *tls,
                    auth_file: AuthFileState::from_bytes(&bytes),
                    builtins: builtin_images(&stock_function_configs(), &prefix),
                    default_image_prefix: prefix,
                    family: Family::Main,
                },
                auth_source: format!("{} (--auth-file)", path.display()),
                object: "--auth-file".into(),
            })
        }
        ExplainSource::Live { runner, .. } => live_runner(args, runner),
    }
}

/// The configuration of the runner at `loc` (the live cluster's objects).
fn live_runner(args: &Explain, loc: &RunnerLocation) -> Result<ConfiguredRunner> {
    let ctx = LintContext {
        namespace: args.namespace.to_string(),
        deployment: args.target.deployment.clone(),
        container: args.target.container.clone(),
        offline: true,
        now_unix: super::check::now_unix(),
    };
    let check = Check {
        source: None,
        namespace: loc.namespace.clone(),
        target: loc.target.clone(),
        cluster: loc.cluster.clone(),
        fleet: None,
        fn_namespace: Namespace::fn_default(),
        probe: false,
        pull_test: None,
        node_trust: None,
        packages: Vec::new(),
        default_image_prefix: None,
        output: ReportFormat::Table,
    };
    let live = super::check::live::live_objects_and_findings(&check)?;
    let shown = format!("Deployment/{}/{}", loc.namespace, loc.target.deployment);
    lint::runner_config(&live.objects, &ctx, args.default_image_prefix.as_deref())
        .map_err(|e| Error::not_found(format!("{shown}: {e}; {}", e.fix())))
}

/// A bare auth file, read as bytes (the runner does not need UTF-8), bounded.
fn read_auth_file(path: &std::path::Path) -> Result<Vec<u8>> {
    let limit = crate::krm::tree::MAX_FILE_BYTES;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::usage(format!(
            "{}: larger than {} MiB, which no auth file is; give the .dockerconfigjson",
            path.display(),
            limit >> 20
        )));
    }
    Ok(bytes)
}

/// The report: `{"authFile": {...}, "images": [...]}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainReport {
    pub auth_file: AuthFileReport,
    pub images: Vec<ImageReport>,
    /// For the table only.
    #[serde(skip)]
    prefix: String,
    #[serde(skip)]
    family: Family,
}

#[derive(Debug, Serialize)]
pub struct AuthFileReport {
    pub source: String,
    /// The runner's parse error of the file (then no pod for any image using it).
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReport {
    pub image: String,
    pub resolved: String,
    pub error: Option<String>,
    pub registry: Option<String>,
    pub keychain: Option<&'static str>,
    pub entry: Option<String>,
    pub credential: Option<&'static str>,
    pub username: Option<String>,
    pub plain_http: Option<bool>,
    pub tls: Option<&'static str>,
    pub reaches_runner: bool,
    pub source: String,
}

/// Predict every image with the runner's configuration.
pub fn explain(images: &[ImageUse], runner: &ConfiguredRunner) -> ExplainReport {
    let (source, error) = match &runner.config.auth_file {
        AuthFileState::Parsed(_) => (runner.auth_source.clone(), None),
        AuthFileState::Invalid(e) => (runner.auth_source.clone(), Some(e.to_string())),
        AuthFileState::Unknown(why) if !runner.config.private_registries => {
            let _ = why;
            (runner.auth_source.clone(), None)
        }
        AuthFileState::Unknown(why) => (format!("unknown: {why}"), None),
    };
    ExplainReport {
        auth_file: AuthFileReport { source, error },
        images: images
            .iter()
            .map(|u| image_report(u, &predict(&u.image, &runner.config)))
            .collect(),
        prefix: runner.config.default_image_prefix.clone(),
        family: runner.config.family,
    }
}

fn image_report(u: &ImageUse, p: &Prediction) -> ImageReport {
    let mut r = ImageReport {
        image: p.image.clone(),
        resolved: p.resolved.clone(),
        error: p.reference.as_ref().err().map(ToString::to_string),
        registry: p.registry().map(str::to_string),
        keychain: None,
        entry: None,
        credential: None,
        username: None,
        plain_http: p.plain_http(),
        tls: None,
        reaches_runner: p.reaches_runner(),
        source: u.source.clone(),
    };
    if let Some(a) = &p.access {
        r.keychain = Some(a.keychain.as_str());
        r.entry = a.entry.clone();
        r.credential = a.credential.as_ref().map(|c| c.kind());
        r.username = a
            .credential
            .as_ref()
            .and_then(|c| c.username())
            .map(str::to_string);
        r.tls = Some(a.tls.as_str());
    }
    r
}

impl Report for ExplainReport {
    fn table(&self) -> String {
        let mut out = format!(
            "auth file: {}{}\ndefault image prefix: {} (Porch {})\n",
            self.auth_file.source,
            match &self.auth_file.error {
                Some(e) => format!(
                    "\n  the runner cannot parse it ({e}): no function pod for any image that uses it"
                ),
                None => String::new(),
            },
            if self.prefix.is_empty() {
                "none (short names are not resolved)"
            } else {
                &self.prefix
            },
            self.family.as_str()
        );
        if self.images.is_empty() {
            out.push_str("no function images\n");
            return out;
        }
        let mut table = Table::new();
        table
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![
                "IMAGE",
                "REGISTRY KEY",
                "KEYCHAIN",
                "ENTRY",
                "CREDENTIAL",
                "PLAIN HTTP",
                "TLS",
                "SOURCE",
            ]);
        if !console::Term::stdout().is_term() {
            // Piped: no wrapping, so each value stays whole for grep.
            table.set_content_arrangement(ContentArrangement::Disabled);
            table.force_no_tty();
        }
        let dash = || "-".to_string();
        for i in &self.images {
            let image = if i.resolved == i.image {
                i.image.clone()
            } else {
                format!("{}\n-> {}", i.image, i.resolved)
            };
            let (registry, keychain, entry, credential, plain, tls) = if let Some(e) = &i.error {
                (
                    format!("{e}: no pod"),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                )
            } else if !i.reaches_runner {
                (
                    i.registry.clone().unwrap_or_else(dash),
                    "in-process".to_string(),
                    dash(),
                    "none needed: porch-server runs it builtin, it never reaches the runner"
                        .to_string(),
                    dash(),
                    dash(),
                )
            } else {
                let credential = match (i.credential, &i.username) {
                    (Some("basic"), Some(u)) => format!("basic (user {u})"),
                    (Some(c), _) => c.to_string(),
                    (None, _) if self.auth_file.error.is_some() => {
                        "none: the auth file fails to parse, no pod".to_string()
                    }
                    (None, _) => "unknown (auth file not known)".to_string(),
                };
                (
                    i.registry.clone().unwrap_or_else(dash),
                    i.keychain.unwrap_or("-").to_string(),
                    i.entry.clone().unwrap_or_else(|| "(none)".into()),
                    credential,
                    match i.plain_http {
                        Some(true) => "also tried".to_string(),
                        _ => "no".to_string(),
                    },
                    i.tls.unwrap_or("-").to_string(),
                )
            };
            table.add_row(vec![
                image,
                registry,
                keychain,
                entry,
                credential,
                plain,
                tls,
                i.source.clone(),
            ]);
        }
        out.push_str(&format!("{table}\n"));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::model::RunnerConfig;

    #[test]
    fn json_shape_and_no_secrets() {
        let runner = ConfiguredRunner {
            config: RunnerConfig {
                private_registries: true,
                tls: true,
                auth_file: AuthFileState::from_bytes(
                    br#"{"auths":{"ghcr.io":{"username":"robot","password":"s3cr3t"}}}"#,
                ),
                ..RunnerConfig::stock()
            },
            auth_source: "auth.json".into(),
            object: "--auth-file".into(),
        };
        let images = vec![
            ImageUse {
                image: "set-namespace:v0.4.1".into(),
                source: "Kptfile of DIR (pipeline.mutators[0])".into(),
            },
            ImageUse {
                image: "ghcr.io/x".into(),
                source: "command line".into(),
            },
        ];
        let r = explain(&images, &runner);
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(
            j["images"][0],
            serde_json::json!({"image": "set-namespace:v0.4.1",
                "resolved": "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1",
                "error": null, "registry": "ghcr.io", "keychain": "auth-file",
                "entry": "ghcr.io", "credential": "basic", "username": "robot",
                "plainHttp": false, "tls": "ca-then-system", "reachesRunner": true,
                "source": "Kptfile of DIR (pipeline.mutators[0])"})
        );
        assert_eq!(
            j["images"][1]["error"],
            "could not parse reference: ghcr.io/x"
        );
        assert!(j["images"][1]["registry"].is_null());
        assert_eq!(
            j["authFile"],
            serde_json::json!({"source": "auth.json", "error": null})
        );
        let all = format!("{j} {}", r.table());
        assert!(!all.contains("s3cr3t"));
    }
}
