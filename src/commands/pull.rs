//! `pull IMAGE`: pull with the runner's credentials and TLS order into the blob cache, print
//! digest, platform, entrypoint, size, credential and TLS step.

use crate::cli::PullArgs;
use crate::error::Result;
use crate::registry::{PullOptions, PulledImage, human_size, pull_image};
use crate::ui::output::{self, Report};

pub fn run(args: &PullArgs) -> Result<()> {
    let opts = PullOptions::from_args(&args.image, &args.source)?;
    let pulled = pull_image(&opts)?;
    output::print_report(&pulled, args.output)
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
