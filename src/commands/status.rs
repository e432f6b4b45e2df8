use crate::cli::StatusArgs;
use crate::error::{Error, Result};

pub fn run(_args: &StatusArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
