//! Offline `check -f PATH`: the manifests through `runner::lint`; with `--probe`, a login to
//! every registry of the auth Secrets among the objects.

use std::path::Path;

use crate::error::{Error, Result};
use crate::registry::probe;
use crate::runner::lint::{self, Finding, LintContext};
use crate::settings::Check;

pub(super) fn findings(args: &Check, path: &Path, ctx: &LintContext) -> Result<Vec<Finding>> {
    let package = crate::commands::input::load_manifests(path)?;
    let objects = package.objects();
    if let Err(e) = lint::locate_runner(&objects, ctx) {
        return Err(Error::not_found(format!(
            "{}: {e}; {}",
            path.display(),
            e.fix()
        )));
    }
    let mut findings = lint::lint(&objects, ctx);
    findings.extend(super::image_findings(args, &objects, ctx)?);
    if args.probe {
        let inputs = probe::inputs_from_objects_for(
            &objects,
            &args.target.deployment,
            &args.target.container,
        )?;
        findings.extend(probe::check_findings(&inputs));
    }
    Ok(findings)
}
