//! kubectl-porch-registry: make Porch's function runner pull KRM functions from private
//! registries, and run those functions locally.
//!
//! Layout: `runner` is the pure core (what the function runner expects, no I/O, no clap);
//! `cli` holds the clap definitions and `settings` (the only reader of them) resolves them into
//! domain values; `commands` has one module per subcommand, each the story of its flow;
//! `manifests`, `cluster`, `registry`, `credentials`, `sandbox` (with its `rootfs`), `krm` and `ui` are
//! the thin edges, which only commands combine.

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod credentials;
pub mod error;
pub mod krm;
pub mod manifests;
pub mod registry;
pub mod runner;
pub mod sandbox;
pub mod settings;
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
        Err(err) => {
            let root = <cli::Cli as clap::CommandFactory>::command();
            return ui::report_clap_error(err, &root);
        }
    };
    ui::output::finish(settings::Settings::resolve(cli).and_then(commands::run))
}
