//! `patch -f PATH [--in-place]`: add the private-registry configuration to the function-runner
//! Deployment in manifests, losslessly.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::manifests;
use crate::runner::plan::{Plan, plan_patch};
use crate::settings::{OfflineEdit, OutputFormat, Patch};
use crate::ui;

pub fn run(s: &Patch) -> Result<()> {
    s.desired.validate()?;
    offline(&s.edit, s.output, |dep| {
        plan_patch(dep, &s.edit.target, &s.desired)
    })
}

/// Objects (the Secrets `setup -f` prints) followed by the manifests' texts, as `-o` asks:
/// YAML keeps the texts byte for byte (comments, layout), JSON and `name` read their
/// documents (`kubectl apply -f PKG --dry-run=client -o name` names every object too).
pub(crate) fn render_with_manifests(
    objects: &[Value],
    texts: &[String],
    format: OutputFormat,
) -> Result<String> {
    match format {
        OutputFormat::Yaml => {
            let mut out = if objects.is_empty() {
                String::new()
            } else {
                ui::output::render_objects(objects, format)?
            };
            let manifests = manifests::render_stream(texts);
            if !manifests.is_empty() {
                if !out.is_empty() && !manifests.starts_with("---") {
                    out.push_str("---\n");
                }
                out.push_str(&manifests);
            }
            Ok(out)
        }
        OutputFormat::Json | OutputFormat::Name => {
            let mut all: Vec<Value> = objects.to_vec();
            for t in texts {
                let docs = manifests::parse_documents(t)
                    .map_err(|e| Error::other(format!("internal error: {e}")))?;
                all.extend(docs.into_iter().map(|d| d.value));
            }
            ui::output::render_objects(&all, format)
        }
    }
}

/// The offline flow shared by `patch`, `remove -f` and `setup -f`: load, find, plan, edit,
/// then print the result or write the files back. Returns after printing the changes on
/// stderr. With `quiet_stdout`, nothing goes to stdout (setup --in-place prints Secrets).
pub(crate) fn offline(
    edit: &OfflineEdit,
    output: OutputFormat,
    plan_fn: impl Fn(&serde_json::Value) -> Result<Plan>,
) -> Result<()> {
    let prepared = offline_texts(edit, plan_fn)?;
    // Rendered before anything is written: an error leaves the files alone.
    let text = match edit.in_place {
        true => None,
        false => Some(render_with_manifests(&[], &prepared.texts, output)?),
    };
    prepared.commit()?;
    if let Some(text) = text {
        ui::output::write_stdout(&text)?;
    }
    Ok(())
}

/// Everything computed, nothing written yet.
pub(crate) struct Prepared {
    pkg: manifests::Package,
    /// Every file's text after the edit (unchanged files as they were).
    pub texts: Vec<String>,
    in_place: bool,
    /// The namespace of the Deployment in the manifests, if it has one.
    pub namespace: Option<String>,
}

impl Prepared {
    /// Write the files (with --in-place; else nothing: the caller prints the texts).
    pub fn commit(self) -> Result<()> {
        if self.in_place {
            let written = manifests::write_changed(&self.pkg, &self.texts)?;
            for p in written {
                ui::info(format_args!("wrote {}", p.display()));
            }
        }
        Ok(())
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
    let pkg = super::input::load_manifests(path)?;
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
