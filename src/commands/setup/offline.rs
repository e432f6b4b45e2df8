//! Offline `setup -f PATH`: one multi-document stream for `kubectl apply -f -` (auth Secret,
//! TLS Secret when a CA is given, the patched manifests), or with `--in-place` the files are
//! patched and only the Secrets printed.

use super::SetupInputs;
use crate::error::Result;
use crate::runner::options::Namespace;
use crate::runner::plan::plan_patch;
use crate::settings::{OfflineEdit, Setup};
use crate::ui;

/// Offline `setup -f PATH`, from the gathered inputs.
pub(super) fn run(args: &Setup, edit: &OfflineEdit, inputs: &SetupInputs) -> Result<()> {
    let desired = inputs.desired_config();
    desired.validate()?;
    if inputs.interactive && edit.in_place {
        let summary = inputs.summary_lines().join("\n");
        if !ui::wizard::confirm(&summary, args.yes)? {
            return Err(crate::error::Error::cancelled(
                "setup cancelled; nothing was written",
            ));
        }
    }
    let prepared =
        crate::commands::patch::offline_texts(edit, |dep| plan_patch(dep, &edit.target, &desired))?;
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
    // Render everything before any file is written: an error leaves the files alone.
    let text = match edit.in_place {
        true => ui::output::render_objects(&secrets, args.output)?,
        false => {
            crate::commands::patch::render_with_manifests(&secrets, &prepared.texts, args.output)?
        }
    };
    prepared.commit()?;
    ui::output::write_stdout(&text)
}
