//! The function image as `run` needs it: layers on disk plus the image config. Comes from the
//! registry pull (`crate::registry`, handed over by the command) or, for `oci:DIR[:REF]`, from a local OCI image layout
//! (what `skopeo copy ... oci:DIR`, `buildah push ... oci:DIR` and `podman save --format
//! oci-dir` produce).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::runner::oci::{ImageConfig, LayerSource};

/// A function image ready to run.
#[derive(Debug, Clone)]
pub struct FunctionImage {
    /// What the user asked for.
    pub reference: String,
    /// Manifest digest.
    pub digest: String,
    pub os: String,
    pub architecture: String,
    pub config: ImageConfig,
    /// Bottom layer first.
    pub layers: Vec<LayerSource>,
}

impl FunctionImage {
    /// What the function runner executes: `Entrypoint`, else `Cmd`.
    pub fn argv(&self) -> Vec<String> {
        if self.config.entrypoint.is_empty() {
            self.config.cmd.clone()
        } else {
            self.config.entrypoint.clone()
        }
    }
}

/// An OCI layout's image config, read by THE config reader ([`crate::runner::oci::parse_config`],
/// go-containerregistry's rules): (config, os, architecture). A config that names no platform
/// (the image spec requires `os` and `architecture`; some builders leave them out) is run as
/// linux/amd64, the platform the local engines assume for it.
fn layout_config(bytes: &[u8], path: &Path) -> Result<(ImageConfig, String, String)> {
    let cf = crate::runner::oci::parse_config(bytes)
        .map_err(|e| Error::usage(format!("{}: {e}", path.display())))?;
    let or = |v: String, default: &str| if v.is_empty() { default.to_string() } else { v };
    Ok((cf.config, or(cf.os, "linux"), or(cf.architecture, "amd64")))
}

/// The host platform in OCI terms.
pub fn host_platform() -> (&'static str, &'static str) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    };
    ("linux", arch)
}

fn blob_path(layout: &Path, digest: &str) -> Result<PathBuf> {
    let (alg, hex) = digest.split_once(':').ok_or_else(|| {
        Error::usage(format!(
            "{}: bad digest {digest:?} in the image layout",
            layout.display()
        ))
    })?;
    if alg != "sha256" || hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::usage(format!(
            "{}: unsupported digest {digest:?} in the image layout (sha256 only)",
            layout.display()
        )));
    }
    Ok(layout.join("blobs").join(alg).join(hex))
}

fn read_json_blob(layout: &Path, digest: &str) -> Result<(Value, Vec<u8>)> {
    let path = blob_path(layout, digest)?;
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    verify_bytes(&bytes, digest, &path)?;
    let v = serde_json::from_slice(&bytes)
        .map_err(|e| Error::usage(format!("{}: not JSON: {e}", path.display())))?;
    Ok((v, bytes))
}

fn verify_bytes(bytes: &[u8], digest: &str, path: &Path) -> Result<()> {
    let got = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
    if got != digest {
        return Err(Error::other(format!(
            "{}: content does not match its digest {digest} (got {got}); the image is corrupt",
            path.display()
        )));
    }
    Ok(())
}

/// Check a layer blob against its digest, streaming.
pub fn verify_layer(layer: &LayerSource) -> Result<()> {
    let mut f = std::fs::File::open(&layer.path).map_err(|e| Error::io(&layer.path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(&layer.path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let got = format!("sha256:{}", hex::encode(h.finalize()));
    if got != layer.digest {
        return Err(Error::other(format!(
            "{}: layer does not match its digest {} (got {got}); the image is corrupt",
            layer.path.display(),
            layer.digest
        )));
    }
    Ok(())
}

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Load `oci:DIR[:REF]` (REF matches `org.opencontainers.image.ref.name`).
pub fn load_oci_layout(spec: &str) -> Result<FunctionImage> {
    let rest = spec.strip_prefix("oci:").unwrap_or(spec);
    let (dir, want_ref) = if Path::new(rest).join("index.json").is_file() {
        (rest.to_string(), None)
    } else {
        match rest.rsplit_once(':') {
            Some((d, r)) => (d.to_string(), Some(r.to_string())),
            None => (rest.to_string(), None),
        }
    };
    let layout = PathBuf::from(&dir);
    let index_path = layout.join("index.json");
    let bytes = std::fs::read(&index_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::not_found(format!(
            "{}: no OCI image layout there (index.json missing); create one with e.g. `skopeo copy docker://IMG oci:{dir}`",
            layout.display()
        )),
        _ => Error::io(&index_path, e),
    })?;
    let index: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::usage(format!("{}: not JSON: {e}", index_path.display())))?;
    let manifests = index
        .get("manifests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let chosen: Vec<&Value> = manifests
        .iter()
        .filter(|m| match &want_ref {
            Some(r) => {
                m.pointer("/annotations/org.opencontainers.image.ref.name")
                    .and_then(Value::as_str)
                    == Some(r.as_str())
            }
            None => true,
        })
        .collect();
    let desc = match chosen.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(Error::not_found(format!(
                "{}: no image named {:?} in the layout",
                layout.display(),
                want_ref.unwrap_or_default()
            )));
        }
        _ => {
            return Err(Error::usage(format!(
                "{}: the layout holds several images; name one as oci:{dir}:REF",
                layout.display()
            )));
        }
    };
    let mut digest = desc
        .get("digest")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut media_type = desc
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let (mut manifest, _) = read_json_blob(&layout, &digest)?;
    if INDEX_TYPES.contains(&media_type.as_str())
        || INDEX_TYPES.contains(
            &manifest
                .get("mediaType")
                .and_then(Value::as_str)
                .unwrap_or(""),
        )
    {
        let (os, arch) = host_platform();
        let entry = manifest
            .get("manifests")
            .and_then(Value::as_array)
            .and_then(|ms| {
                ms.iter().find(|m| {
                    m.pointer("/platform/os").and_then(Value::as_str) == Some(os)
                        && m.pointer("/platform/architecture").and_then(Value::as_str) == Some(arch)
                })
            })
            .cloned()
            .ok_or_else(|| {
                Error::not_found(format!(
                    "{}: the image has no {os}/{arch} variant",
                    layout.display()
                ))
            })?;
        digest = entry
            .get("digest")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        media_type = entry
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        manifest = read_json_blob(&layout, &digest)?.0;
    }
    let _ = media_type;
    let config_digest = manifest
        .pointer("/config/digest")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::usage(format!("{}: manifest without config", layout.display())))?;
    let (_, config_bytes) = read_json_blob(&layout, config_digest)?;
    let (config, os, architecture) =
        layout_config(&config_bytes, &blob_path(&layout, config_digest)?)?;
    let mut layers = Vec::new();
    for l in manifest
        .get("layers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let d = l.get("digest").and_then(Value::as_str).unwrap_or_default();
        layers.push(LayerSource {
            digest: d.to_string(),
            media_type: l
                .get("mediaType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            path: blob_path(&layout, d)?,
        });
    }
    Ok(FunctionImage {
        reference: spec.to_string(),
        digest,
        os,
        architecture,
        config,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_config_is_read_by_the_one_reader_with_the_layout_platform_default() {
        let p = Path::new("/l/blobs/sha256/c");
        // go-containerregistry leaves a missing platform empty; a layout runs it as linux/amd64.
        let (c, os, arch) = layout_config(br#"{"config":{"Cmd":["/fn"]}}"#, p).unwrap();
        assert_eq!((os.as_str(), arch.as_str()), ("linux", "amd64"));
        assert_eq!(c.cmd, ["/fn"]);
        let (_, os, arch) =
            layout_config(br#"{"os":"linux","architecture":"arm64","config":{}}"#, p).unwrap();
        assert_eq!((os.as_str(), arch.as_str()), ("linux", "arm64"));
        // A wrong type fails as the runner's library fails (it used to be dropped quietly).
        let e = layout_config(br#"{"config":{"Env":"A=1"}}"#, p).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .starts_with("/l/blobs/sha256/c: image config: json: cannot unmarshal string"),
            "{e}"
        );
    }
}
