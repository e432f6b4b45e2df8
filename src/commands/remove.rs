use crate::cli::RemoveArgs;
use crate::error::{Error, Result};

pub fn run(_args: &RemoveArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
