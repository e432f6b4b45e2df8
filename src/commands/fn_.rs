use crate::cli::FnArgs;
use crate::error::{Error, Result};

pub fn run(_args: &FnArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
