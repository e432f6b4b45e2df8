//! Small domain values the command line is resolved into (by `crate::settings`), shared by
//! the commands and the core. Pure: no I/O, no clap.

use std::fmt;

use super::defaults::{DEFAULT_FN_NAMESPACE, DEFAULT_NAMESPACE};
use super::secrets::validate_namespace;

/// A valid Kubernetes namespace name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace(String);

impl Namespace {
    /// Check a name (the message is for `-n`/`--fn-namespace`, without the flag).
    pub fn parse(s: &str) -> Result<Namespace, String> {
        validate_namespace(s).map(|()| Namespace(s.to_string()))
    }
    /// The runner's namespace when none is given (`porch-system`).
    pub fn runner_default() -> Namespace {
        Namespace(DEFAULT_NAMESPACE.to_string())
    }
    /// The function namespace when none is given (`porch-fn-system`).
    pub fn fn_default() -> Namespace {
        Namespace(DEFAULT_FN_NAMESPACE.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Namespace {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Namespace {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// kubectl's `--dry-run`: how a change is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DryRun {
    /// Change things for real.
    #[default]
    None,
    /// Print what would be applied, send nothing.
    Client,
    /// Send the requests with `dryRun=All`; nothing is persisted.
    Server,
}

/// Which offline edit of the runner's Deployment is made (`patch`, `remove -f`, `setup -f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// Add the private-registry configuration (`patch`).
    Patch,
    /// Take it out again (`remove -f`).
    Remove,
    /// Add it and print the Secrets too (`setup -f`).
    Setup,
}

impl Verb {
    /// What is said when the plan is empty.
    pub fn nothing_to_change(self) -> &'static str {
        match self {
            Verb::Remove => "has no private-registry configuration; nothing to change",
            Verb::Patch | Verb::Setup => {
                "already has this private-registry configuration; nothing to change"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces() {
        assert_eq!(
            Namespace::parse("porch-system").unwrap().as_str(),
            "porch-system"
        );
        assert!(Namespace::parse("").is_err());
        assert!(Namespace::parse("a.b").is_err());
        assert_eq!(Namespace::runner_default().as_str(), DEFAULT_NAMESPACE);
        assert_eq!(&*Namespace::fn_default(), DEFAULT_FN_NAMESPACE);
    }
}

/// When to pull a function image (kpt's `--image-pull-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImagePullPolicy {
    /// Pull every time.
    Always,
    /// Use the cached image when there is one (no network request at all), else pull.
    #[default]
    IfNotPresent,
    /// Never pull: the image must be in the cache.
    Never,
}

impl std::fmt::Display for ImagePullPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ImagePullPolicy::Always => "always",
            ImagePullPolicy::IfNotPresent => "ifNotPresent",
            ImagePullPolicy::Never => "never",
        })
    }
}

impl ImagePullPolicy {
    /// kpt's names, case-insensitive (a clap value parser).
    pub fn parse(s: &str) -> Result<ImagePullPolicy, String> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Ok(ImagePullPolicy::Always),
            "ifnotpresent" => Ok(ImagePullPolicy::IfNotPresent),
            "never" => Ok(ImagePullPolicy::Never),
            _ => Err(format!(
                "{s:?} is not a pull policy; use always, ifNotPresent or never"
            )),
        }
    }
}
