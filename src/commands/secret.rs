use crate::cli::{SecretAuthArgs, SecretTlsArgs};
use crate::error::{Error, Result};

pub fn run_auth(_args: &SecretAuthArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}

pub fn run_tls(_args: &SecretTlsArgs) -> Result<()> {
    Err(Error::other("not implemented yet"))
}
