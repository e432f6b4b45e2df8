//! Offline `remove -f PATH`: exactly undo `patch` in the manifests (printed, or `--in-place`).

use crate::error::Result;
use crate::runner::plan::plan_remove;
use crate::settings::RemoveOffline;

/// Offline `remove -f PATH`.
pub(super) fn run(s: &RemoveOffline) -> Result<()> {
    if s.delete_secrets {
        crate::ui::warn(
            "--delete-secrets only applies to the live cluster; with -f only the manifests change (delete Secret manifests yourself)",
        );
    }
    crate::commands::patch::offline(&s.edit, s.output, |dep| {
        plan_remove(dep, &s.edit.target, &s.desired)
    })
}
