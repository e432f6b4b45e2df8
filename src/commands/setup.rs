use crate::cli::SetupArgs;
use crate::error::{Error, Result};

pub fn run(_args: &SetupArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
