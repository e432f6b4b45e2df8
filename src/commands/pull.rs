use crate::cli::PullArgs;
use crate::error::{Error, Result};

pub fn run(_args: &PullArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
