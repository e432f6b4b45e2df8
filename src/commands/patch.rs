use crate::cli::PatchArgs;
use crate::error::{Error, Result};

pub fn run(_args: &PatchArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
