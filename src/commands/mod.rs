//! One module per subcommand, each the story of its flow: resolved settings in, the core and
//! the edges called in order, output out. Commands never see clap (`crate::settings` resolved
//! the command line); edges never call each other (a command hands one edge's result to the
//! next).

pub mod check;
pub mod complete;
pub mod completions;
pub mod explain;
pub mod fleet;
pub mod fn_;
pub mod input;
pub mod journal;
pub mod node_trust;
pub mod ownership;
pub mod patch;
pub mod pull;
pub mod remove;
pub mod render;
pub mod run;
pub mod secret;
pub mod setup;
pub mod status;

use crate::error::Result;
use crate::runner::dockerconfig::RegistryCredential;
use crate::settings::Settings;
use crate::ui::wizard::Prompter;

pub fn run(settings: Settings) -> Result<()> {
    match settings {
        Settings::SecretAuth(s) => secret::run_auth(&s),
        Settings::SecretTls(s) => secret::run_tls(&s),
        Settings::Patch(s) => patch::run(&s),
        Settings::Remove(s) => remove::run(&s),
        Settings::Setup(s) => setup::run(&s),
        Settings::Check(s) => check::run(&s),
        Settings::Explain(s) => explain::run(&s),
        Settings::Status(s) => status::run(&s),
        Settings::Fn(s) => fn_::run(&s),
        Settings::NodeTrust(s) => node_trust::run(&s),
        Settings::NodeTrustRemove(s) => node_trust::remove::run(&s),
        Settings::Pull(s) => pull::run(&s),
        Settings::Run(s) => run::run(&s),
        Settings::Render(s) => render::run(&s),
        Settings::Completions(shell) => completions::run(shell),
        Settings::Complete(words) => complete::run(&words),
        Settings::Sandbox => Err(crate::error::Error::usage(
            "__sandbox is internal to `run` and cannot be called directly",
        )),
    }
}

/// The wizard asks for what the credential flags left out (the `credentials` edge takes any
/// [`crate::credentials::Ask`]; commands hand it the terminal's).
impl crate::credentials::Ask for Prompter {
    fn username(&self, registry: &str) -> Result<String> {
        Prompter::username(self, registry)
    }
    fn password(&self, registry: &str, username: &str) -> Result<String> {
        Prompter::password(self, registry, username)
    }
    fn registries(&self) -> Result<Vec<RegistryCredential>> {
        Prompter::registries(self)
    }
}
