//! `patch -f PATH [--in-place]`: add the private-registry configuration to the function-runner
//! Deployment in manifests, losslessly.

use crate::error::{Error, Result};
use crate::manifests;
use crate::runner::plan::{Plan, plan_patch};
use crate::settings::{OfflineEdit, Patch};
use crate::ui;

pub fn run(s: &Patch) -> Result<()> {
    s.desired.validate()?;
    offline(&s.edit, |dep| plan_patch(dep, &s.edit.target, &s.desired))
}

/// The offline flow shared by `patch`, `remove -f` and `setup -f`: load, find, plan, edit,
/// then print the result or write the files back. Returns after printing the changes on
/// stderr. With `quiet_stdout`, nothing goes to stdout (setup --in-place prints Secrets).
pub(crate) fn offline(
    edit: &OfflineEdit,
    plan_fn: impl Fn(&serde_json::Value) -> Result<Plan>,
) -> Result<()> {
    let done = offline_texts(edit, plan_fn)?.commit()?;
    if let Some(texts) = done.texts {
        ui::output::write_stdout(&manifests::render_stream(&texts))?;
    }
    Ok(())
}

/// What the offline flow did.
pub(crate) struct Offline {
    /// The texts to print (None with --in-place: the files were written).
    pub texts: Option<Vec<String>>,
}

/// Everything computed, nothing written yet.
pub(crate) struct Prepared {
    pkg: manifests::Package,
    texts: Vec<String>,
    in_place: bool,
    /// The namespace of the Deployment in the manifests, if it has one.
    pub namespace: Option<String>,
}

impl Prepared {
    /// Write the files (with --in-place) or hand the texts back for printing.
    pub fn commit(self) -> Result<Offline> {
        if self.in_place {
            let written = manifests::write_changed(&self.pkg, &self.texts)?;
            for p in written {
                ui::info(format_args!("wrote {}", p.display()));
            }
            Ok(Offline { texts: None })
        } else {
            Ok(Offline {
                texts: Some(self.texts),
            })
        }
    }
}

/// Like [`offline`], but computes everything and writes nothing: `commit()` writes.
pub(crate) fn offline_texts(
    edit: &OfflineEdit,
    plan_fn: impl Fn(&serde_json::Value) -> Result<Plan>,
) -> Result<Prepared> {
    let (path, in_place) = (edit.source.as_path(), edit.in_place);
    if in_place && edit.is_stdin() {
        return Err(Error::usage(
            "--in-place needs a file or directory: with -f - the result goes to stdout; drop --in-place",
        ));
    }
    let pkg = manifests::load(path)?;
    let what = path.display().to_string();
    let found = manifests::find_deployment(
        &pkg,
        &edit.target.deployment,
        edit.namespace.as_deref(),
        &what,
    )?;
    let plan = plan_fn(&found.value)?;
    for note in &plan.notes {
        ui::warn(note);
    }
    let deployment = format!(
        "Deployment {}",
        found
            .value
            .pointer("/metadata/name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
    );
    let file = &pkg.files[found.file].rel_path;
    let texts = if plan.is_empty() {
        let msg = edit.verb.nothing_to_change();
        ui::info(format_args!("{deployment} in {file} {msg}"));
        pkg.files.iter().map(|f| f.text.clone()).collect()
    } else {
        let texts = manifests::apply_plan(&pkg, &found, &plan)?;
        ui::info(format_args!(
            "{deployment} in {file}: {} change(s)",
            plan.changes.len()
        ));
        for c in &plan.changes {
            ui::info(format_args!("  {c}"));
        }
        texts
    };
    let namespace = found.namespace().map(str::to_string);
    Ok(Prepared {
        pkg,
        texts,
        in_place,
        namespace,
    })
}
