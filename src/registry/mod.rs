//! OCI registries: credentials the runner's way, TLS in the runner's order, pulls into a
//! content-addressed blob cache.
//!
//! Entry points: [`pull_image`] (sync, builds its own tokio runtime) and
//! [`pull_image_async`] (from inside a runtime), given [`PullOptions`] (built by the `pull`
//! and `run` commands, which fetch what the live runner mounts for `--from-cluster`).
//! `probe` logs in to every registry of an auth file.

pub mod auth;
pub mod cache;
pub mod client;
pub mod credentials;
pub mod manifest;
pub mod probe;
pub mod tls;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::runner::image_ref::{ImageRef, ImageRefError, Platform};
use cache::Cache;
use client::{ClientError, Session, short_digest};
pub use credentials::{Credential, CredentialSource, ResolvedCredential};
pub use manifest::ImageConfig;
use manifest::{Descriptor, Manifest};
pub use tls::{CaInput, TlsStep};

/// How many blobs are downloaded at once.
const PARALLEL_BLOBS: usize = 4;

/// Everything a pull needs.
#[derive(Debug, Clone)]
pub struct PullOptions {
    pub image: String,
    pub credentials: CredentialSource,
    pub ca: Option<CaInput>,
    pub allow_insecure_http: bool,
    /// Wanted platform (default: the host's).
    pub platform: Option<Platform>,
    pub cache_dir: PathBuf,
    /// Show per-layer progress bars on stderr (only sensible on a terminal).
    pub progress: bool,
    /// The runner's `--default-image-prefix`: short names resolve with it, as in the cluster.
    pub default_image_prefix: String,
}

/// One layer, verified and in the cache.
#[derive(Debug, Clone, Serialize)]
pub struct LayerBlob {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    /// The verified blob (still compressed as the media type says).
    pub path: PathBuf,
}

/// The result of a pull.
#[derive(Debug, Clone, Serialize)]
pub struct PulledImage {
    /// The reference as the runner's library prints it (registry/repository:tag[@digest]).
    pub reference: String,
    pub registry: String,
    /// Digest of the platform's image manifest.
    pub digest: String,
    /// Digest of the multi-arch index, when the reference named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
    pub platform: String,
    pub config: ImageConfig,
    pub config_digest: String,
    pub layers: Vec<LayerBlob>,
    /// Compressed size: config plus layers, in bytes.
    pub size: u64,
    /// Which credential was used (never the secret).
    pub credential_used: String,
    pub tls_step: TlsStep,
    /// Blobs transferred by this pull (0 when everything was cached).
    pub blobs_downloaded: usize,
    pub cache_dir: PathBuf,
}

/// Pull an image (sync). Do not call from inside a tokio runtime: use [`pull_image_async`].
pub fn pull_image(opts: &PullOptions) -> Result<PulledImage> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::other(format!("cannot start the async runtime: {e}")))?;
    let r = rt.block_on(pull_image_async(opts));
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    r
}

/// The reference to pull, from THE runner model (the default prefix resolved, the library's
/// parse), and whether the runner would use its default keychain for it (no auth Secret, no
/// CA: `gcr.io/kpt-fn/` images) when the credentials are the runner's.
pub fn image_for_pull(opts: &PullOptions) -> Result<(ImageRef, bool)> {
    let runner_source = matches!(
        opts.credentials,
        CredentialSource::AuthFile(_) | CredentialSource::DockerConfigJson { .. }
    );
    let (image, default_keychain, resolved) =
        image_reference(&opts.image, &opts.default_image_prefix)?;
    if resolved != opts.image {
        crate::ui::output::info(format!(
            "{} resolves to {resolved} (the default image prefix, as porch-server and the runner resolve it)",
            opts.image
        ));
    }
    Ok((image, runner_source && default_keychain))
}

/// The image as the runner sees it: (reference, whether its default keychain is used, the
/// resolved name). A name the library refuses, or a registry nothing can dial, is a usage
/// error.
pub fn image_reference(
    image: &str,
    default_image_prefix: &str,
) -> Result<(ImageRef, bool, String)> {
    use crate::runner::model::{self, Keychain, RunnerConfig};
    if image.is_empty() {
        // The runner would resolve "" to the bare default prefix, which parses: refuse it.
        return Err(Error::usage(
            ImageRefError(crate::runner::name::NameError {
                input: String::new(),
                reason: "a repository name must be specified".into(),
            })
            .to_string(),
        ));
    }
    let cfg = RunnerConfig {
        private_registries: true,
        default_image_prefix: default_image_prefix.to_string(),
        ..RunnerConfig::stock()
    };
    let p = model::predict(image, &cfg);
    let reference = p
        .reference
        .as_ref()
        .map_err(|e| Error::usage(ImageRefError(e.clone()).to_string()))?;
    let parsed = ImageRef::from(reference);
    if let Some(why) = parsed.undialable() {
        return Err(Error::usage(format!("image reference '{image}': {why}")));
    }
    let default_keychain = p
        .access
        .as_ref()
        .is_some_and(|a| a.keychain == Keychain::Default);
    Ok((parsed, default_keychain, p.resolved))
}

/// Pull an image from inside a tokio runtime.
pub async fn pull_image_async(opts: &PullOptions) -> Result<PulledImage> {
    let (image, kpt_fn) = image_for_pull(opts)?;
    let want = opts.platform.clone().unwrap_or_else(Platform::host);
    let resolved = if kpt_fn {
        ResolvedCredential {
            credential: None,
            description: format!(
                "anonymous (the runner never uses its auth Secret or CA for {} images)",
                crate::runner::model::DEFAULT_KEYCHAIN_PREFIX
            ),
            hint: None,
        }
    } else {
        credentials::resolve(&opts.credentials, &image.registry)?
    };
    if resolved.credential.is_some()
        && let Some(h) = &resolved.hint
    {
        // Works here, but would not in the cluster: say so before pulling.
        crate::ui::output::warn(h);
    }
    let ca = if kpt_fn { None } else { opts.ca.as_ref() };
    let cache = Cache::open(&opts.cache_dir)?;

    // Try the TLS steps in the runner's order until one connects.
    let steps = tls::steps(ca, opts.allow_insecure_http);
    let mut failures: Vec<String> = Vec::new();
    let mut found = None;
    for step in &steps {
        if *step == TlsStep::PlainHttp {
            crate::ui::output::warn(format!(
                "trying {} over plain HTTP (--allow-insecure-http): the runner has no such step{}",
                image.registry,
                if image.runner_tries_plain_http() {
                    " (its library does try plain HTTP for loopback/private addresses like this one)"
                } else {
                    " and will fail where this succeeds"
                }
            ));
        }
        let http = tls::http_client(step, ca)?;
        let session = Session::new(
            http,
            step.clone(),
            &image.registry,
            &image.repository,
            &resolved,
        );
        match resolve_manifest(&session, &image, &want, &cache).await {
            Ok(m) => {
                found = Some((session, m));
                break;
            }
            Err(ClientError::Connect { detail, tls }) => {
                failures.push(format!(
                    "{step}: {}{detail}",
                    if tls { "TLS failed: " } else { "" }
                ));
            }
            Err(ClientError::Fatal(e) | ClientError::Refused(e)) => return Err(e),
        }
    }
    let Some((session, resolved_manifest)) = found else {
        let mut msg = format!(
            "cannot reach {} over any TLS step the runner uses: {}",
            image.registry,
            failures.join("; then ")
        );
        if ca.is_none() {
            msg.push_str(
                "; if the registry uses a private CA, give it with --ca-file or --tls-dir",
            );
        } else {
            msg.push_str(
                "; check that the CA file is the one that signed the registry's certificate (and that the certificate names this host)",
            );
        }
        if !opts.allow_insecure_http
            && image.runner_tries_plain_http()
            && !failures.iter().any(|f| f.contains("certificate"))
        {
            msg.push_str("; for a plain-HTTP registry add --allow-insecure-http");
        }
        return Err(Error::Registry(msg));
    };
    let session = Arc::new(session);
    let ResolvedManifest {
        digest,
        index_digest,
        manifest,
    } = resolved_manifest;

    // Config (small, verified, cached).
    let config_cached = cache
        .get(&manifest.config.digest, None)
        .ok()
        .flatten()
        .is_some();
    let config_bytes = session
        .small_blob(&manifest.config, &cache)
        .await
        .map_err(|e| e.into_error(&image.registry, &session.step))?;
    // THE config reader (go-containerregistry's rules, as the runner reads the entrypoint).
    let config_file = crate::runner::oci::parse_config(&config_bytes)
        .map_err(|e| Error::Registry(format!("{image}: {e}")))?;
    let config_platform = config_file.platform();
    let config = config_file.config;

    // Layers, in parallel, streamed and verified.
    let bars = progress_bars(opts.progress, &manifest.layers, &cache);
    let mut downloaded = usize::from(!config_cached);
    let missing = manifest
        .layers
        .iter()
        .filter(|l| {
            cache
                .get(&l.digest, (l.size > 0).then_some(l.size))
                .ok()
                .flatten()
                .is_none()
        })
        .count();
    downloaded += missing;
    let results = {
        use futures::stream::{self, StreamExt};
        let tasks = manifest.layers.iter().enumerate().map(|(i, l)| {
            let s = Arc::clone(&session);
            let c = cache.clone();
            let l = l.clone();
            let pb = bars.as_ref().map(|(_, v)| v[i].clone());
            async move {
                let h = tokio::spawn(async move { s.blob(&l, &c, pb.as_ref()).await });
                match h.await {
                    Ok(r) => r,
                    Err(e) => Err(ClientError::Fatal(Error::other(format!(
                        "layer download task failed: {e}"
                    )))),
                }
            }
        });
        stream::iter(tasks)
            .buffered(PARALLEL_BLOBS)
            .collect::<Vec<_>>()
            .await
    };
    if let Some((mp, _)) = &bars {
        let _ = mp.clear();
    }
    let mut layers = Vec::new();
    for (l, r) in manifest.layers.iter().zip(results) {
        let path = r.map_err(|e| e.into_error(&image.registry, &session.step))?;
        layers.push(LayerBlob {
            digest: l.digest.clone(),
            media_type: l.media_type.clone(),
            size: l.size,
            path,
        });
    }
    let size = manifest.config.size + manifest.layers.iter().map(|l| l.size).sum::<u64>();
    let mut reference = format!("{}/{}", image.registry, image.repository);
    if let Some(t) = &image.tag {
        reference.push(':');
        reference.push_str(t);
    }
    reference.push('@');
    reference.push_str(index_digest.as_deref().unwrap_or(&digest));
    Ok(PulledImage {
        reference,
        registry: image.registry.clone(),
        digest,
        index_digest,
        platform: config_platform,
        config,
        config_digest: manifest.config.digest.clone(),
        layers,
        size,
        credential_used: resolved.description.clone(),
        tls_step: session.step.clone(),
        blobs_downloaded: downloaded,
        cache_dir: cache.root().to_path_buf(),
    })
}

struct ResolvedManifest {
    digest: String,
    index_digest: Option<String>,
    manifest: manifest::ImageManifest,
}

/// Fetch the manifest (following an index to the wanted platform), verify digests, cache it.
/// A second pull of a tag costs exactly one manifest request: the platform manifest behind
/// an index is taken from the cache by digest.
async fn resolve_manifest(
    session: &Session,
    image: &ImageRef,
    want: &Platform,
    cache: &Cache,
) -> Result<ResolvedManifest, ClientError> {
    let (bytes, ct) = session.manifest(image.reference()).await?;
    let digest = cache::sha256_digest(&bytes);
    if let Some(d) = &image.digest
        && *d != digest
    {
        return Err(Error::Registry(format!(
            "{image}: the registry sent a manifest whose digest is {digest}, not the requested {d}; refusing it"
        ))
        .into());
    }
    let parsed = manifest::parse_manifest(&bytes, ct.as_deref())
        .map_err(|e| Error::Registry(format!("{image}: {e}")))?;
    let _ = cache.put_small(&digest, &bytes);
    match parsed {
        Manifest::Image(m) => Ok(ResolvedManifest {
            digest,
            index_digest: None,
            manifest: m,
        }),
        Manifest::Index { manifests, .. } => {
            let d = manifest::select_platform(&manifests, want)
                .map_err(|e| Error::Registry(format!("{image}: {e}")))?
                .clone();
            let bytes = match cache.read_small(&d.digest)? {
                Some(b) => b,
                None => {
                    let (b, _) = session.manifest(&d.digest).await?;
                    let got = cache::sha256_digest(&b);
                    if got != d.digest {
                        return Err(Error::Registry(format!(
                            "{image}: the platform manifest hashes to {got}, not {} as the index says; refusing it",
                            d.digest
                        ))
                        .into());
                    }
                    let _ = cache.put_small(&d.digest, &b);
                    b
                }
            };
            match manifest::parse_manifest(&bytes, Some(&d.media_type))
                .map_err(|e| Error::Registry(format!("{image}: {e}")))?
            {
                Manifest::Image(m) => Ok(ResolvedManifest {
                    digest: d.digest.clone(),
                    index_digest: Some(digest),
                    manifest: m,
                }),
                Manifest::Index { .. } => Err(Error::Registry(format!(
                    "{image}: nested image indexes are not supported"
                ))
                .into()),
            }
        }
    }
}

type Bars = (indicatif::MultiProgress, Vec<indicatif::ProgressBar>);

fn progress_bars(on: bool, layers: &[Descriptor], cache: &Cache) -> Option<Bars> {
    if !on {
        return None;
    }
    let mp = indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template(
        "{prefix}: {msg:>14} [{bar:30}] {bytes}/{total_bytes}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    let bars = layers
        .iter()
        .map(|l| {
            let pb = mp.add(indicatif::ProgressBar::new(l.size));
            pb.set_style(style.clone());
            pb.set_prefix(short_digest(&l.digest));
            let cached = cache.get(&l.digest, Some(l.size)).ok().flatten().is_some();
            pb.set_message(if cached {
                "already cached"
            } else {
                "downloading"
            });
            pb
        })
        .collect();
    Some((mp, bars))
}

/// Human size (1.2 MB).
pub fn human_size(n: u64) -> String {
    const U: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < U.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

/// A helper for callers that hold a path to a cache root.
pub fn open_cache(root: &Path) -> Result<Cache> {
    Cache::open(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_500_000), "1.5 MB");
    }
}
