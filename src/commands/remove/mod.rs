//! `remove`: take the private-registry configuration out again: offline ([`offline`], `-f`:
//! the manifests, by the same offline edit as `patch`) or live ([`live`]: the Deployment, then
//! with `--delete-secrets` the Secrets and the runner's copy, then the rollout), on one
//! cluster or across contexts ([`run_fleet`]).

mod live;
mod offline;

use crate::commands::fleet::{self, FleetReport, Outcome, Pass};
use crate::error::{Error, Result};
use crate::runner::options::DryRun;
use crate::settings::{Fleet, Remove, RemoveLive};

pub fn run(s: &Remove) -> Result<()> {
    match s {
        Remove::Offline(s) => offline::run(s),
        Remove::Live(s) => match &s.fleet {
            Some(fleet) => run_fleet(s, fleet),
            None => live::run(s),
        },
    }
}

/// `remove` across contexts, the shape of `setup` across contexts: every cluster's plan is
/// read (nothing written), all plans are shown and confirmed once (`--yes`, or no terminal:
/// as single-cluster `remove`); then each cluster is cleaned concurrently by the same flow,
/// its rollout waited for, and one summary says per context what changed, the rollout and
/// the error. Exit code: the most severe of the clusters'.
fn run_fleet(args: &RemoveLive, fleet: &Fleet) -> Result<()> {
    let contexts = fleet::contexts(fleet)?;
    let one = |cluster| RemoveLive {
        runner: crate::settings::RunnerLocation {
            cluster,
            ..args.runner.clone()
        },
        fleet: None,
        ..args.clone()
    };
    let plans = fleet::run_step(fleet, &contexts, "plan read", |c| {
        live::flow(&one(c), Pass::Plan)
    });
    let finish = |mut outcomes: Vec<Outcome<live::ClusterRemove>>| -> Result<()> {
        outcomes.sort_by_key(|o| contexts.iter().position(|c| c == &o.context));
        let report = FleetReport { outcomes };
        crate::ui::output::print_report(&report, args.report)?;
        fleet::verdict(&report.outcomes)
    };
    if args.dry_run == DryRun::Client {
        return finish(plans);
    }
    let (text, ready) = fleet::plans_to_confirm(&plans, |p| &p.plan);
    if ready.is_empty() {
        return finish(plans);
    }
    if args.dry_run != DryRun::Server && !crate::ui::wizard::confirm(&text, args.yes)? {
        return Err(Error::cancelled(
            "remove cancelled; nothing was changed on any cluster",
        ));
    }
    let applied = fleet::run_each(fleet, &ready, |c| live::flow(&one(c), Pass::Apply));
    let mut outcomes: Vec<_> = plans.into_iter().filter(|o| o.result.is_err()).collect();
    outcomes.extend(applied);
    finish(outcomes)
}
