use crate::cli::CheckArgs;
use crate::error::{Error, Result};

pub fn run(_args: &CheckArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
