//! OCI / Docker manifests, indexes and image configs (pure parsing, platform choice).

use serde::{Deserialize, Serialize};

use crate::runner::image_ref::Platform;
pub use crate::runner::oci::ImageConfig;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// The Accept header for manifest requests.
pub fn accept_header() -> String {
    [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(", ")
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<DescPlatform>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DescPlatform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

/// An image manifest (one platform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageManifest {
    pub media_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// What a manifest endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    Index {
        media_type: String,
        manifests: Vec<Descriptor>,
    },
    Image(ImageManifest),
}

/// Parse a manifest body; `content_type` is the response's Content-Type if any.
pub fn parse_manifest(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, String> {
    let ct = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim().to_string())
        .filter(|c| !c.is_empty() && c != "application/json" && c != "text/plain");
    let raw: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| format!("manifest is not valid JSON: {e}"))?;
    let media_type = raw.media_type.clone().or(ct).unwrap_or_default();
    if media_type == DOCKER_SCHEMA1 || raw.schema_version == Some(1) {
        return Err(
            "the image has a Docker schema 1 manifest, which the runner's library does not pull either; re-push it with a current docker/podman/skopeo".into(),
        );
    }
    if media_type == OCI_INDEX || media_type == DOCKER_LIST || raw.manifests.is_some() {
        return Ok(Manifest::Index {
            media_type: if media_type.is_empty() {
                OCI_INDEX.into()
            } else {
                media_type
            },
            manifests: raw.manifests.unwrap_or_default(),
        });
    }
    match raw.config {
        Some(config) => Ok(Manifest::Image(ImageManifest {
            media_type: if media_type.is_empty() {
                OCI_MANIFEST.into()
            } else {
                media_type
            },
            config,
            layers: raw.layers.unwrap_or_default(),
        })),
        None => Err(format!(
            "unsupported manifest (media type '{media_type}', no config); expected an OCI or Docker v2 image"
        )),
    }
}

/// Pick the manifest for `want` from an index. Entries without a platform or with
/// `unknown/unknown` (attestations) never match.
pub fn select_platform<'a>(
    manifests: &'a [Descriptor],
    want: &Platform,
) -> Result<&'a Descriptor, String> {
    manifests
        .iter()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| want.matches(&p.os, &p.architecture, p.variant.as_deref()))
        })
        .ok_or_else(|| {
            let avail: Vec<String> = manifests
                .iter()
                .filter_map(|d| d.platform.as_ref())
                .filter(|p| p.os != "unknown")
                .map(|p| match &p.variant {
                    Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                    None => format!("{}/{}", p.os, p.architecture),
                })
                .collect();
            format!(
                "the image index has no manifest for {want} (it has: {}); pick one with --platform",
                if avail.is_empty() {
                    "none".to_string()
                } else {
                    avail.join(", ")
                }
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_manifest() {
        let m = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:aa","size":10},
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:bb","size":20}]}"#;
        match parse_manifest(m, None).unwrap() {
            Manifest::Image(im) => {
                assert_eq!(im.config.digest, "sha256:aa");
                assert_eq!(im.layers.len(), 1);
                assert_eq!(im.layers[0].size, 20);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn index_and_platform() {
        let m = br#"{"schemaVersion":2,"manifests":[
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:1","size":1,"platform":{"os":"linux","architecture":"amd64"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:2","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:3","size":1,"platform":{"os":"unknown","architecture":"unknown"}}]}"#;
        let Manifest::Index { manifests, .. } = parse_manifest(m, Some(DOCKER_LIST)).unwrap()
        else {
            panic!()
        };
        let arm = Platform::parse("linux/arm64").unwrap();
        assert_eq!(
            select_platform(&manifests, &arm).unwrap().digest,
            "sha256:2"
        );
        let amd = Platform::parse("linux/amd64").unwrap();
        assert_eq!(
            select_platform(&manifests, &amd).unwrap().digest,
            "sha256:1"
        );
        let err =
            select_platform(&manifests, &Platform::parse("linux/s390x").unwrap()).unwrap_err();
        assert!(err.contains("linux/amd64, linux/arm64/v8"), "{err}");
        assert!(err.contains("--platform"));
    }

    #[test]
    fn schema1_refused() {
        let err = parse_manifest(br#"{"schemaVersion":1,"fsLayers":[]}"#, None).unwrap_err();
        assert!(err.contains("schema 1"));
    }
}
