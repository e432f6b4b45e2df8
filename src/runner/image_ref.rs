//! Image references parsed the way go-containerregistry (the runner's library) parses them.
//!
//! Pure: no I/O. The registry string is exactly the key the runner looks up in the auth file:
//! host plus optional port, `index.docker.io` for Docker Hub (also for unqualified images and
//! `docker.io/...`), and `library/` in front of single-component Docker Hub repositories.

use std::fmt;

/// The registry Docker Hub images resolve to (and the runner's auth key for them).
pub const DOCKER_HUB: &str = "index.docker.io";
/// The tag used when a reference names neither a tag nor a digest.
pub const DEFAULT_TAG: &str = "latest";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// host[:port], as the runner looks it up (`index.docker.io` for Docker Hub).
    pub registry: String,
    /// Repository path (`library/busybox` for `busybox`).
    pub repository: String,
    /// The tag, if one was given (or `latest` when neither tag nor digest was given).
    pub tag: Option<String>,
    /// `sha256:<hex>` if the reference pins a digest (a digest wins over a tag).
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    #[error(
        "image reference is empty; give IMAGE as [REGISTRY/]REPOSITORY[:TAG|@DIGEST], e.g. registry.example.com:5000/fn/set-labels:v1"
    )]
    Empty,
    #[error(
        "image reference '{0}': repository '{1}' may only contain lowercase letters, digits and . _ - /; write the image name in lower case"
    )]
    BadRepository(String, String),
    #[error(
        "image reference '{0}': tag '{1}' is invalid (letters, digits, _ . -, at most 128, not starting with . or -)"
    )]
    BadTag(String, String),
    #[error("image reference '{0}': digest '{1}' is invalid (expected sha256: and 64 hex digits)")]
    BadDigest(String, String),
    #[error(
        "image reference '{0}': registry '{1}' is invalid; give it as host[:port], e.g. registry.example.com:5000"
    )]
    BadRegistry(String, String),
}

impl ImageRef {
    /// Parse like go-containerregistry's `name.ParseReference` (non-strict: default registry
    /// and default tag allowed).
    pub fn parse(input: &str) -> Result<ImageRef, ImageRefError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ImageRefError::Empty);
        }
        let (name, digest) = match s.split_once('@') {
            Some((n, d)) => {
                if !valid_digest(d) {
                    return Err(ImageRefError::BadDigest(s.into(), d.into()));
                }
                (n, Some(d.to_string()))
            }
            None => (s, None),
        };
        // The tag is after the last ':' that comes after the last '/'.
        let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => {
                let i = last_slash + i;
                let t = &name[i + 1..];
                if !valid_tag(t) {
                    return Err(ImageRefError::BadTag(s.into(), t.into()));
                }
                (&name[..i], Some(t.to_string()))
            }
            None => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if looks_like_registry(first) => {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        // host[:port] (or [v6][:port]) with a port from 1 to 65535.
        let valid_port = |p: &str| p.parse::<u16>().is_ok_and(|n| n > 0) && !p.starts_with('+');
        let port_ok = match registry.strip_prefix('[') {
            Some(v6) => v6.split_once(']').is_some_and(|(_, rest)| {
                rest.is_empty() || rest.strip_prefix(':').is_some_and(valid_port)
            }),
            None => match registry.split_once(':') {
                None => true,
                Some((host, port)) => !host.is_empty() && valid_port(port),
            },
        };
        if registry.is_empty()
            || !port_ok
            || registry.contains(|c: char| c.is_whitespace() || c == '/')
        {
            return Err(ImageRefError::BadRegistry(s.into(), registry));
        }
        let registry = if registry == "docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if !valid_repository(&repository) {
            return Err(ImageRefError::BadRepository(s.into(), repository));
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some(DEFAULT_TAG.to_string())
        } else {
            tag
        };
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// What to ask the registry's manifest endpoint for: the digest if pinned, else the tag.
    pub fn reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or(DEFAULT_TAG)
    }

    /// The registry host the HTTP API lives on (the same as `registry`; go-containerregistry
    /// talks to index.docker.io directly).
    pub fn api_host(&self) -> &str {
        &self.registry
    }

    /// Whether go-containerregistry (and so the runner) would also try plain HTTP for this
    /// registry: localhost, `*.local`, loopback and private (RFC 1918) addresses.
    pub fn runner_tries_plain_http(&self) -> bool {
        registry_is_insecure_by_default(&self.registry)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn looks_like_registry(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

fn valid_repository(r: &str) -> bool {
    !r.is_empty()
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-./".contains(c))
        && !r.starts_with('/')
        && !r.ends_with('/')
        && !r.contains("//")
}

fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && !t.starts_with('.')
        && !t.starts_with('-')
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// `sha256:` followed by 64 lowercase hex digits (the only algorithm registries use).
pub fn valid_digest(d: &str) -> bool {
    match d.split_once(':') {
        Some(("sha256", hex)) => {
            hex.len() == 64
                && hex
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        }
        _ => false,
    }
}

/// Images the runner pulls with its default keychain, never with the auth Secret or CA.
pub const RUNNER_DEFAULT_KEYCHAIN_PREFIX: &str = "gcr.io/kpt-fn/";

/// Whether the runner uses its auth Secret (and TLS CA) for this image at all: not for
/// images under its hard-coded `gcr.io/kpt-fn/` prefix (compared on the string as given).
pub fn runner_uses_private_auth(image: &str) -> bool {
    !image.starts_with(RUNNER_DEFAULT_KEYCHAIN_PREFIX)
}

/// go-containerregistry's rule for registries it also tries over plain HTTP.
pub fn registry_is_insecure_by_default(registry: &str) -> bool {
    let host = host_of(registry);
    if host == "localhost" || host.ends_with(".local") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private(),
        Ok(std::net::IpAddr::V6(ip)) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// The host part of host[:port] (IPv6 in brackets kept without brackets).
pub fn host_of(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.split(':').next().unwrap_or(registry)
}

/// A platform such as `linux/amd64` or `linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(format!(
                "platform '{s}' is invalid; use OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64"
            )),
        }
    }

    /// The platform of a Rust target (`std::env::consts`), in OCI names.
    pub fn from_rust(os: &str, arch: &str) -> Platform {
        let architecture = match arch {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        };
        Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: None,
        }
    }

    /// This host's platform.
    pub fn host() -> Platform {
        Platform::from_rust(std::env::consts::OS, std::env::consts::ARCH)
    }

    /// Whether an index entry's platform satisfies this wanted platform. A wanted platform
    /// without a variant accepts any variant (arm64 images usually say v8).
    pub fn matches(&self, os: &str, architecture: &str, variant: Option<&str>) -> bool {
        self.os == os
            && self.architecture == architecture
            && match (&self.variant, variant) {
                (None, _) => true,
                (Some(w), Some(v)) => w == v,
                (Some(w), None) => self.architecture == "arm64" && w == "v8",
            }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    #[test]
    fn docker_hub_defaults() {
        let r = p("busybox");
        assert_eq!(r.registry, "index.docker.io");
        assert_eq!(r.repository, "library/busybox");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(r.to_string(), "index.docker.io/library/busybox:latest");
        let r = p("docker.io/busybox:1.36");
        assert_eq!(r.registry, "index.docker.io");
        assert_eq!(r.repository, "library/busybox");
        assert_eq!(r.tag.as_deref(), Some("1.36"));
        let r = p("nephio/set-labels:v1");
        assert_eq!(r.registry, "index.docker.io");
        assert_eq!(r.repository, "nephio/set-labels");
        let r = p("index.docker.io/library/alpine");
        assert_eq!(r.repository, "library/alpine");
    }

    #[test]
    fn registry_port_must_be_a_port() {
        for bad in [
            "a:b:c/x",
            "r.io:/x",
            "r.io:0/x",
            "r.io:99999/x",
            "r.io:5x/x",
            ":5000/x",
        ] {
            assert!(
                matches!(ImageRef::parse(bad), Err(ImageRefError::BadRegistry(..))),
                "{bad}"
            );
        }
        assert_eq!(p("[::1]:5000/fn/x:v1").registry, "[::1]:5000");
        assert_eq!(p("localhost:5000/x").registry, "localhost:5000");
    }

    #[test]
    fn registry_with_port_and_path() {
        let r = p("registry.example.com:5000/fn/set-labels:v1");
        assert_eq!(r.registry, "registry.example.com:5000");
        assert_eq!(r.repository, "fn/set-labels");
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.reference(), "v1");
        let r = p("localhost/fn");
        assert_eq!(r.registry, "localhost");
        assert_eq!(r.repository, "fn");
        let r = p("127.0.0.1:5000/fn");
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        // gcr.io etc. keep single-component repositories as they are
        let r = p("ghcr.io/x");
        assert_eq!(r.repository, "x");
    }

    #[test]
    fn digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = p(&format!("ghcr.io/org/fn@{d}"));
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.tag, None);
        assert_eq!(r.reference(), d);
        let r = p(&format!("ghcr.io/org/fn:v1@{d}"));
        assert_eq!(r.reference(), d, "a digest wins over a tag");
        assert!(matches!(
            ImageRef::parse("ghcr.io/org/fn@sha256:abc"),
            Err(ImageRefError::BadDigest(..))
        ));
        assert!(matches!(
            ImageRef::parse(&format!("ghcr.io/org/fn@md5:{}", "a".repeat(64))),
            Err(ImageRefError::BadDigest(..))
        ));
    }

    #[test]
    fn invalid() {
        assert_eq!(ImageRef::parse("  "), Err(ImageRefError::Empty));
        assert!(matches!(
            ImageRef::parse("ghcr.io/Org/fn"),
            Err(ImageRefError::BadRepository(..))
        ));
        assert!(matches!(
            ImageRef::parse("ghcr.io/org/fn:-bad"),
            Err(ImageRefError::BadTag(..))
        ));
        assert!(matches!(
            ImageRef::parse("ghcr.io/org/fn:"),
            Err(ImageRefError::BadTag(..))
        ));
    }

    #[test]
    fn plain_http_rule() {
        assert!(p("localhost:5000/x").runner_tries_plain_http());
        assert!(p("127.0.0.1:5000/x").runner_tries_plain_http());
        assert!(p("10.1.2.3/x").runner_tries_plain_http());
        assert!(p("192.168.1.2:443/x").runner_tries_plain_http());
        assert!(p("reg.local/x").runner_tries_plain_http());
        assert!(!p("ghcr.io/x").runner_tries_plain_http());
        assert!(!p("8.8.8.8/x").runner_tries_plain_http());
    }

    #[test]
    fn kpt_fn_prefix_skips_private_auth() {
        assert!(!runner_uses_private_auth("gcr.io/kpt-fn/set-labels:v0.2.0"));
        assert!(runner_uses_private_auth("gcr.io/kpt-fn-private/x"));
        assert!(runner_uses_private_auth(
            "registry.example.com/gcr.io/kpt-fn/x"
        ));
        // the runner compares the string as written: a digest-only or docker.io form differs
        assert!(runner_uses_private_auth("docker.io/kpt-fn/x"));
    }

    #[test]
    fn platforms() {
        let pl = Platform::parse("linux/arm64").unwrap();
        assert!(pl.matches("linux", "arm64", Some("v8")));
        assert!(pl.matches("linux", "arm64", None));
        assert!(!pl.matches("linux", "amd64", None));
        let pl = Platform::parse("linux/arm/v7").unwrap();
        assert!(pl.matches("linux", "arm", Some("v7")));
        assert!(!pl.matches("linux", "arm", Some("v6")));
        assert_eq!(pl.to_string(), "linux/arm/v7");
        assert!(Platform::parse("linux").is_err());
        assert_eq!(
            Platform::from_rust("linux", "x86_64").to_string(),
            "linux/amd64"
        );
    }
}
