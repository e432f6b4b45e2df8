//! `secret auth` and `secret tls`: print the Secrets the function runner needs.

use crate::credentials;
use crate::error::{Error, Result};
use crate::runner::{dockerconfig, secrets};
use crate::settings::{SecretAuth, SecretTls};
use crate::ui;

fn check_names(name: &str, namespace: &str) -> Result<()> {
    secrets::validate_object_name(name).map_err(|e| Error::usage(format!("--name {e}")))?;
    secrets::validate_namespace(namespace).map_err(|e| Error::usage(format!("--namespace {e}")))?;
    Ok(())
}

pub fn run_auth(args: &SecretAuth) -> Result<()> {
    check_names(&args.name, &args.namespace)?;
    let prompter = ui::wizard::Prompter::if_terminal();
    let registries = credentials::collect_registries(
        &args.credentials,
        prompter.as_ref().map(|p| p as &dyn credentials::Ask),
    )?;
    let json = dockerconfig::to_dockerconfigjson(&registries);
    let secret = secrets::auth_secret(&args.name, &args.namespace, &json);
    ui::output::print_objects(&[secret], args.output)
}

pub fn run_tls(args: &SecretTls) -> Result<()> {
    check_names(&args.name, &args.namespace)?;
    let ca = credentials::read_ca(&args.ca_file)?;
    for c in &ca.report.certs {
        ui::info(format_args!(
            "{}: {} (CA: {}, expires {})",
            args.ca_file.display(),
            c.subject,
            if c.is_ca { "yes" } else { "no" },
            c.not_after_rfc3339()
        ));
    }
    let secret = secrets::tls_secret(&args.name, &args.namespace, &ca.pem);
    ui::output::print_objects(&[secret], args.output)
}
