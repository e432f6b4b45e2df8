//! One module per subcommand: read inputs, call the core, call an edge, print.

pub mod check;
pub mod complete;
pub mod completions;
pub mod fn_;
pub mod patch;
pub mod pull;
pub mod remove;
pub mod run;
pub mod secret;
pub mod setup;
pub mod status;

use crate::cli::{Cli, Command, SecretCommand};
use crate::error::Result;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Secret(SecretCommand::Auth(args)) => secret::run_auth(&args),
        Command::Secret(SecretCommand::Tls(args)) => secret::run_tls(&args),
        Command::Patch(args) => patch::run(&args),
        Command::Remove(args) => remove::run(&args),
        Command::Setup(args) => setup::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Status(args) => status::run(&args),
        Command::Fn(args) => fn_::run(&args),
        Command::Pull(args) => pull::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Complete(args) => complete::run(&args),
        Command::Sandbox(_) => Err(crate::error::Error::usage(
            "__sandbox is internal to `run` and cannot be called directly",
        )),
    }
}
