use crate::cli::CompletionsArgs;
use crate::error::{Error, Result};

pub fn run(_args: &CompletionsArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
