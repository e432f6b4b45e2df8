use crate::cli::SetupArgs;
use crate::error::{Error, Result};

pub fn run(args: &SetupArgs) -> Result<()> {
    if args.filename.is_none() {
        let inputs = crate::credentials::collect_setup_inputs(args)?;
        return crate::cluster::setup_live(args, inputs);
    }
    Err(Error::other("not implemented yet"))
}
