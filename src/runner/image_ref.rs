//! Image references for talking to a registry (pull, run), built from THE runner model of an
//! image name ([`crate::runner::name::parse_reference`], go-containerregistry's rules). This
//! module has no rule of its own about registries: it only reshapes a parsed reference.
//!
//! Pure: no I/O.

use std::fmt;

use crate::runner::name::{self, NameError, Reference};

/// The registry Docker Hub images resolve to (and the runner's auth key for them).
pub use crate::runner::name::DOCKER_HUB;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// host[:port], as the runner looks it up (`index.docker.io` for Docker Hub).
    pub registry: String,
    /// Repository path (`library/busybox` for `busybox`).
    pub repository: String,
    /// The tag (`latest` when neither tag nor digest was given); `None` for a digest.
    pub tag: Option<String>,
    /// `sha256:<hex>` if the reference pins a digest (a tag next to it is dropped, as the
    /// library does).
    pub digest: Option<String>,
}

/// An image name the runner's library does not parse, with a hint for the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.0))]
pub struct ImageRefError(pub NameError);

fn describe(e: &NameError) -> String {
    let s = &e.input;
    if s.is_empty() {
        return "image reference is empty; give IMAGE as [REGISTRY/]REPOSITORY[:TAG|@DIGEST], e.g. registry.example.com:5000/fn/set-labels:v1".into();
    }
    let hint = if s.trim() != s {
        "remove the white space around it (the runner's library trims nothing)".to_string()
    } else if e.reason.starts_with("registries must be") {
        "give the registry as host[:port], e.g. registry.example.com:5000".to_string()
    } else if e.reason.starts_with("repository can only contain") {
        "the repository may only contain lowercase letters, digits and . _ - /; write the image name in lower case".to_string()
    } else if e.reason.starts_with("repository must be between") {
        "a repository has 2 to 255 characters (the runner's library refuses a one-character name such as ghcr.io/x)".to_string()
    } else if e.reason.starts_with("tag ") || e.reason.contains("tag name after the colon") {
        "a tag is 1 to 128 letters, digits, _ . -".to_string()
    } else if s.contains('@') {
        "a digest is sha256: followed by 64 lowercase hex digits".to_string()
    } else {
        "give IMAGE as [REGISTRY/]REPOSITORY[:TAG|@DIGEST]".to_string()
    };
    format!("image reference '{s}': {e} ({}); {hint}", e.reason)
}

impl From<&Reference> for ImageRef {
    fn from(r: &Reference) -> ImageRef {
        ImageRef {
            registry: r.registry().to_string(),
            repository: r.repository(),
            tag: r.tag().map(str::to_string),
            digest: r.digest().map(str::to_string),
        }
    }
}

impl ImageRef {
    /// Parse with the runner's library rules (`name.ParseReference`), nothing resolved.
    pub fn parse(input: &str) -> Result<ImageRef, ImageRefError> {
        name::parse_reference(input)
            .map(|r| ImageRef::from(&r))
            .map_err(ImageRefError)
    }

    /// What to ask the registry's manifest endpoint for: the digest if pinned, else the tag.
    pub fn reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or(name::DEFAULT_TAG)
    }

    /// The registry host the HTTP API lives on (the same as `registry`; go-containerregistry
    /// talks to index.docker.io directly).
    pub fn api_host(&self) -> &str {
        &self.registry
    }

    /// Whether go-containerregistry (and so the runner) would also try plain HTTP for this
    /// registry (`Registry.Scheme`).
    pub fn runner_tries_plain_http(&self) -> bool {
        name::registry_tries_plain_http(&self.registry)
    }

    /// Why this registry cannot be dialled although it parses (the library accepts any
    /// digits as a port, and a bare IPv6 address); `None` when it can.
    pub fn undialable(&self) -> Option<String> {
        let r = &self.registry;
        let port = if let Some(rest) = r.strip_prefix('[') {
            rest.split_once(']').and_then(|(_, p)| p.strip_prefix(':'))
        } else if r.matches(':').count() > 1 {
            return Some(format!(
                "registry '{r}' is a bare IPv6 address; the runner's library parses it but cannot dial it: write it as [ADDRESS]:PORT"
            ));
        } else {
            r.split_once(':').map(|(_, p)| p)
        };
        match port {
            Some(p) if p.parse::<u16>().map_or(true, |n| n == 0) => Some(format!(
                "registry '{r}' has port '{p}', which the runner's library accepts but nothing can connect to; give host[:port] with a port from 1 to 65535"
            )),
            _ => None,
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(d) = &self.digest {
            write!(f, "@{d}")
        } else {
            write!(f, ":{}", self.reference())
        }
    }
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

    // The rules themselves are tested in runner::name; these check the reshaping only.
    #[test]
    fn reshapes_a_parsed_reference() {
        let r = p("busybox");
        assert_eq!(r.registry, "index.docker.io");
        assert_eq!(r.repository, "library/busybox");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(r.to_string(), "index.docker.io/library/busybox:latest");
        let r = p("registry.example.com:5000/fn/set-labels:v1");
        assert_eq!(r.registry, "registry.example.com:5000");
        assert_eq!(r.repository, "fn/set-labels");
        assert_eq!(r.reference(), "v1");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = p(&format!("ghcr.io/org/fn:v1@{d}"));
        assert_eq!(
            (r.tag.as_deref(), r.digest.as_deref()),
            (None, Some(d.as_str()))
        );
        assert_eq!(r.reference(), d);
        assert_eq!(p("localhost/fn").registry, "index.docker.io");
    }

    #[test]
    fn errors_name_the_input_and_the_fix() {
        let e = ImageRef::parse("").unwrap_err().to_string();
        assert!(e.starts_with("image reference is empty"), "{e}");
        let e = ImageRef::parse("ghcr.io/Org/fn").unwrap_err().to_string();
        assert!(
            e.contains("could not parse reference: ghcr.io/Org/fn") && e.contains("lower case"),
            "{e}"
        );
        let e = ImageRef::parse("a:b:c/fn/x").unwrap_err().to_string();
        assert!(e.contains("host[:port]"), "{e}");
        let e = ImageRef::parse("ghcr.io/x").unwrap_err().to_string();
        assert!(e.contains("2 to 255"), "{e}");
        let e = ImageRef::parse(" ghcr.io/o/x").unwrap_err().to_string();
        assert!(e.contains("white space"), "{e}");
    }

    #[test]
    fn parsed_but_undialable() {
        assert!(p("r.io:99999/ab").undialable().is_some());
        assert!(p("r.io:0/ab").undialable().is_some());
        assert!(p("r.io:/ab").undialable().is_some());
        assert!(p("::1/ab").undialable().is_some());
        assert!(p("[::1]:5000/ab").undialable().is_none());
        assert!(p("r.io:5000/ab").undialable().is_none());
        assert!(p("ghcr.io/ab").undialable().is_none());
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
