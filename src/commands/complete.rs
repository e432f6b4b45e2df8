use crate::cli::CompleteArgs;
use crate::error::{Error, Result};

pub fn run(_args: &CompleteArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
