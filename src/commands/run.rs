use crate::cli::RunArgs;
use crate::error::{Error, Result};

pub fn run(_args: &RunArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
