//! `remove`: take the private-registry configuration out again: offline ([`offline`], `-f`:
//! the manifests, by the same offline edit as `patch`) or live ([`live`]: the Deployment, then
//! with `--delete-secrets` the Secrets and the runner's copy, then the rollout).

mod live;
mod offline;

use crate::error::Result;
use crate::settings::Remove;

pub fn run(s: &Remove) -> Result<()> {
    match s {
        Remove::Offline(s) => offline::run(s),
        Remove::Live(s) if s.fleet.is_some() => Err(crate::error::Error::usage(
            "remove across several contexts is not available yet: run it once per --context",
        )),
        Remove::Live(s) => live::run(s),
    }
}
