use crate::cli::RemoveArgs;
use crate::error::{Error, Result};

pub fn run(args: &RemoveArgs) -> Result<()> {
    if args.filename.is_none() {
        return crate::cluster::remove_live(args);
    }
    Err(Error::other("not implemented yet"))
}
