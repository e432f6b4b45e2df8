//! `pull IMAGE`: pull with the runner's credentials and TLS order into the blob cache, print
//! digest, platform, entrypoint, size, credential and TLS step.

use std::path::PathBuf;

use crate::error::Result;
use crate::registry::{
    CaInput, CredentialSource, PullOptions, PulledImage, human_size, pull_image,
};
use crate::settings::{AuthSource, Pull, PullSource};
use crate::ui::output::{self, Report};

pub fn run(args: &Pull) -> Result<()> {
    let opts = pull_options(&args.image, &args.source)?;
    let pulled = pull_image(&opts)?;
    output::print_report(&pulled, args.output)
}

/// The registry edge's options for `pull` and `run`: the CA from `--ca-file`/`--tls-dir`, the
/// credentials from a file, the user's config, or (`--from-cluster`) what the live runner
/// mounts, read here from the cluster and handed to the registry edge.
pub(crate) fn pull_options(image: &str, src: &PullSource) -> Result<PullOptions> {
    let mut ca =
        crate::registry::tls::ca_from_args(src.ca_file.as_deref(), src.tls_dir.as_deref())?;
    let credentials = match &src.auth {
        AuthSource::FromCluster(runner) => {
            let ns = &runner.namespace;
            let s = crate::cluster::read_runner_secrets(
                &runner.cluster,
                ns,
                &runner.target.deployment,
                &runner.target.container,
            )?;
            let origin = format!(
                "the runner's auth Secret {ns}/{} ({})",
                s.auth_secret.as_deref().unwrap_or("?"),
                s.auth_path
            );
            if let Some(pem) = s.ca_pem {
                if ca.is_some() {
                    crate::ui::warn(
                        "--ca-file/--tls-dir given: using it instead of the runner's TLS Secret",
                    );
                } else {
                    let path = PathBuf::from(format!(
                        "secret {ns}/{}",
                        s.tls_secret.as_deref().unwrap_or("?")
                    ));
                    let input = CaInput { path, pem };
                    // Validate as for a file (a bad Secret is the user's to fix).
                    crate::registry::tls::config_only_ca(&input)?;
                    ca = Some(input);
                }
            }
            CredentialSource::DockerConfigJson {
                bytes: s.dockerconfigjson.unwrap_or_default(),
                origin,
            }
        }
        AuthSource::AuthFile(p) => CredentialSource::AuthFile(p.clone()),
        AuthSource::UserConfig => CredentialSource::UserConfig {
            helper: crate::credentials::helper::get_for_pull,
        },
    };
    Ok(PullOptions {
        image: image.to_string(),
        credentials,
        ca,
        allow_insecure_http: src.allow_insecure_http,
        platform: src.platform.clone(),
        cache_dir: src
            .cache_dir
            .clone()
            .unwrap_or_else(crate::registry::cache::default_root),
        progress: crate::ui::stderr_is_terminal(),
        default_image_prefix: src.default_image_prefix.clone(),
    })
}

impl Report for PulledImage {
    fn table(&self) -> String {
        table(self)
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "(none)".into()
    } else {
        serde_json::to_string(v).unwrap_or_default()
    }
}

/// The human summary.
pub fn table(p: &PulledImage) -> String {
    let mut rows: Vec<(&str, String)> =
        vec![("Image", p.reference.clone()), ("Digest", p.digest.clone())];
    if let Some(i) = &p.index_digest {
        rows.push(("Index", i.clone()));
    }
    rows.push(("Platform", p.platform.clone()));
    rows.push(("Entrypoint", list(&p.config.entrypoint)));
    rows.push(("Cmd", list(&p.config.cmd)));
    if !p.config.working_dir.is_empty() {
        rows.push(("WorkingDir", p.config.working_dir.clone()));
    }
    if !p.config.user.is_empty() {
        rows.push(("User", p.config.user.clone()));
    }
    rows.push((
        "Size",
        format!(
            "{} ({} layer{})",
            human_size(p.size),
            p.layers.len(),
            if p.layers.len() == 1 { "" } else { "s" }
        ),
    ));
    rows.push(("Credential", p.credential_used.clone()));
    rows.push(("TLS", p.tls_step.to_string()));
    rows.push((
        "Cache",
        format!(
            "{} ({} blob{} downloaded)",
            p.cache_dir.display(),
            p.blobs_downloaded,
            if p.blobs_downloaded == 1 { "" } else { "s" }
        ),
    ));
    let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<w$}  {v}\n"))
        .collect()
}
