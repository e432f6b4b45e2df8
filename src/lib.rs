//! kubectl-porch-registry: make Porch's function runner pull KRM functions from private
//! registries, and run those functions locally.
//!
//! Layout: `runner` is the pure core (what the function runner expects, no I/O); `manifests`,
//! `cluster`, `registry`, `sandbox`, `krm` and `ui` are the thin edges; `commands` has one
//! module per subcommand.

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod credentials;
pub mod error;
pub mod krm;
pub mod manifests;
pub mod registry;
pub mod rootfs;
pub mod runner;
pub mod sandbox;
pub mod ui;

use std::process::ExitCode;

/// The whole program: parse, dispatch, map errors to exit codes.
pub fn main_entry() -> ExitCode {
    // The sandbox helper must run before anything starts threads.
    if let Some(code) = sandbox::maybe_run_helper() {
        return code;
    }
    let cli = match <cli::Cli as clap::Parser>::try_parse() {
        Ok(cli) => cli,
        Err(err) => return ui::report_clap_error(err),
    };
    ui::output::finish(commands::run(cli))
}
