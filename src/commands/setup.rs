//! `setup`: Secrets plus the Deployment patch. Offline with `-f` (here): one multi-document
//! stream for `kubectl apply -f -` (auth Secret, TLS Secret when a CA is given, the patched
//! manifests), or with `--in-place` the files are patched and only the Secrets printed. Without
//! `-f` the live cluster path (`cluster::setup_live`) does the job.

use serde_json::Value;

use crate::cli::{DryRun, OutputFormat, SetupArgs};
use crate::credentials::SetupInputs;
use crate::error::{Error, Result};
use crate::runner::plan::{Target, plan_patch};
use crate::ui;

pub fn run(args: &SetupArgs) -> Result<()> {
    if args.filename.is_some() && args.dry_run == DryRun::Server {
        return Err(Error::usage(
            "--dry-run=server needs the cluster; with -f the work is offline: use --dry-run=client (or leave it out)",
        ));
    }
    if let Some(path) = &args.filename {
        if path.as_os_str() == "-" && args.credentials.password_stdin {
            return Err(Error::usage(
                "-f - and --password-stdin both read stdin: pass the manifests as a file, or the password in $PORCH_REGISTRY_PASSWORD",
            ));
        }
        if path.as_os_str() != "-" {
            std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        }
    }
    let Some(path) = &args.filename else {
        // The wizard asks nothing before the cluster, the namespace and the Deployment are
        // known to be there: an unreachable cluster is found before the password is typed.
        if ui::wizard::Prompter::if_terminal().is_some() {
            crate::cluster::setup_preflight(args)?;
        }
        let inputs = crate::credentials::collect_setup_inputs(args)?;
        return crate::cluster::setup_live(args, inputs);
    };
    let inputs = crate::credentials::collect_setup_inputs(args)?;
    offline(args, path, &inputs)
}

fn offline(args: &SetupArgs, path: &std::path::Path, inputs: &SetupInputs) -> Result<()> {
    let desired = inputs.desired_config();
    desired.validate()?;
    if inputs.interactive && args.in_place {
        let summary = inputs.summary_lines().join("\n");
        if !ui::wizard::confirm(&summary, args.yes)? {
            ui::info("nothing written");
            return Ok(());
        }
    }
    let target = Target::from_args(&args.target);
    let ns_flag = args.namespace.namespace.as_str();
    let filter = (ns_flag != crate::cli::DEFAULT_NAMESPACE).then_some(ns_flag);
    let prepared =
        super::patch::offline_texts(path, args.in_place, filter, &target, "setup", |dep| {
            plan_patch(dep, &target, &desired)
        })?;
    // The Secrets go where the Deployment is (they are mounted from its namespace).
    let ns = prepared
        .namespace
        .clone()
        .unwrap_or_else(|| ns_flag.to_string());
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
