//! `remove`: take the private-registry configuration out again. Offline (`-f`) here; the live
//! cluster path belongs to `cluster`.

use crate::error::Result;
use crate::runner::plan::plan_remove;
use crate::settings::{Remove, RemoveOffline};

pub fn run(s: &Remove) -> Result<()> {
    match s {
        Remove::Offline(s) => offline(s),
        Remove::Live(s) => crate::cluster::remove_live(s),
    }
}

fn offline(s: &RemoveOffline) -> Result<()> {
    if s.delete_secrets {
        crate::ui::warn(
            "--delete-secrets only applies to the live cluster; with -f only the manifests change (delete Secret manifests yourself)",
        );
    }
    super::patch::offline(&s.edit, |dep| plan_remove(dep, &s.edit.target, &s.desired))
}
