//! `remove`: take the private-registry configuration out again. Offline (`-f`) here; the live
//! cluster path belongs to `cluster`.

use crate::cli::RemoveArgs;
use crate::error::Result;
use crate::runner::plan::{DesiredConfig, Target, plan_remove};

pub fn run(args: &RemoveArgs) -> Result<()> {
    let Some(path) = &args.filename else {
        return live(args);
    };
    if args.dry_run == crate::cli::DryRun::Server {
        return Err(crate::error::Error::usage(
            "--dry-run=server needs the cluster; with -f the work is offline: leave --dry-run out (the result is printed unless --in-place)",
        ));
    }
    if args.delete_secrets {
        crate::ui::warn(
            "--delete-secrets only applies to the live cluster; with -f only the manifests change (delete Secret manifests yourself)",
        );
    }
    // Remove recognises the Secrets by the names given (defaults otherwise); TLS pieces are
    // always looked for.
    let mut desired = DesiredConfig::from_options(&args.options, true);
    if desired.registry_auth_secret_name.is_empty() {
        desired.registry_auth_secret_name = desired.auth_secret_name.clone();
    }
    let target = Target::from_args(&args.target);
    let namespace = (args.namespace.namespace != crate::cli::DEFAULT_NAMESPACE)
        .then_some(args.namespace.namespace.as_str());
    super::patch::offline(path, args.in_place, namespace, &target, "remove", |dep| {
        plan_remove(dep, &target, &desired)
    })
}

fn live(args: &RemoveArgs) -> Result<()> {
    crate::cluster::remove_live(args)
}
