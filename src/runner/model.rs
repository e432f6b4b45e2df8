//! THE runner model of an image: what Porch's function runner does with a function image,
//! from the image string and the runner's configuration, without touching anything.
//!
//! Read from Porch main (`74d82d5`): `func/internal/podmanager.go` CreatePod (the image
//! resolver first), imageDigestAndEntrypoint (ParseReference; the auth file only when
//! private registries are on and the image does not start with `gcr.io/kpt-fn/`; else
//! `authn.DefaultKeychain`), getCustomAuth (exact lookup by `RegistryStr()`), getImage (the
//! mounted CA only when TLS is on too, then one retry with the system roots);
//! `func/server/server.go` (`--default-image-prefix`, default
//! `runneroptions.GHCRImagePrefix`); kpt `pkg/lib/runneroptions` ResolveToImageForCLIFunc;
//! `pkg/engine/builtinruntime.go` + `controllers/functionconfigs/reconciler` (images porch-server
//! runs in-process, which never reach the runner). Porch v1.5.8's runner has no resolver:
//! porch-server resolves Kptfile images with its own `--default-image-prefix` (same default)
//! before they reach the runner, and has no builtin executors.
//!
//! Every question "what is the registry of this image" goes through [`name::parse_reference`].
//!
//! Pure: no I/O.

use serde_json::Value;

use super::authfile::{AuthFile, AuthFileError, Credential};
use super::name::{self, NameError, Reference};

/// kpt `runneroptions.GHCRImagePrefix` without its trailing `/`: the default of
/// `--default-image-prefix` on the runner (main) and on porch-server (main and v1.5.x).
pub const DEFAULT_IMAGE_PREFIX: &str = "ghcr.io/kptdev/krm-functions-catalog";
/// podevaluator.go `defaultRegistry`: images under it always use the default keychain and the
/// system roots (compared on the resolved string as written).
pub const DEFAULT_KEYCHAIN_PREFIX: &str = "gcr.io/kpt-fn/";

/// Which Porch the runner is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// Porch main: the runner resolves short names, porch-server has builtin executors.
    #[default]
    Main,
    /// Porch v1.5.x: only porch-server resolves short names; no builtins.
    V15,
}

impl Family {
    /// From the release an image tag names (`v1.5.8` -> (1, 5)); anything else is main.
    pub fn from_release(release: Option<(u32, u32)>) -> Family {
        match release {
            Some((major, minor)) if (major, minor) <= (1, 5) => Family::V15,
            _ => Family::Main,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Main => "main",
            Family::V15 => "v1.5",
        }
    }
}

/// The auth file as the runner would read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFileState {
    Parsed(AuthFile),
    /// `json.Unmarshal` fails: no pod for any image that uses the auth file.
    Invalid(AuthFileError),
    /// Not known here (e.g. its Secret is not among the manifests): no lookup prediction.
    Unknown(String),
}

impl AuthFileState {
    pub fn from_bytes(bytes: &[u8]) -> AuthFileState {
        match AuthFile::parse(bytes) {
            Ok(f) => AuthFileState::Parsed(f),
            Err(e) => AuthFileState::Invalid(e),
        }
    }
}

/// The runner's configuration as far as images are concerned.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// `--enable-private-registries`.
    pub private_registries: bool,
    /// `--enable-private-registries-tls`.
    pub tls: bool,
    pub auth_file: AuthFileState,
    /// `--default-image-prefix` (empty: nothing is resolved).
    pub default_image_prefix: String,
    pub family: Family,
    /// Exact image strings porch-server runs in-process (see [`builtin_images`]).
    pub builtins: Vec<String>,
}

impl RunnerConfig {
    /// A runner with private registries off, the default prefix and main's stock builtins.
    pub fn stock() -> RunnerConfig {
        RunnerConfig {
            private_registries: false,
            tls: false,
            auth_file: AuthFileState::Unknown("private registries are off".into()),
            default_image_prefix: DEFAULT_IMAGE_PREFIX.into(),
            family: Family::Main,
            builtins: builtin_images(&stock_function_configs(), DEFAULT_IMAGE_PREFIX),
        }
    }
}

/// Which keychain the runner resolves credentials with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keychain {
    /// The mounted auth file.
    AuthFile,
    /// `authn.DefaultKeychain` (the runner container's own docker config: normally none,
    /// so anonymous).
    Default,
}

impl Keychain {
    pub fn as_str(self) -> &'static str {
        match self {
            Keychain::AuthFile => "auth-file",
            Keychain::Default => "default",
        }
    }
}

/// Which roots the runner's pull of the image config trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsPath {
    /// Only the mounted CA, then one retry with the system roots.
    CaThenSystem,
    /// The system roots only.
    System,
}

impl TlsPath {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsPath::CaThenSystem => "ca-then-system",
            TlsPath::System => "system",
        }
    }
}

/// What happens with the credentials of a parsed image that reaches the runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub keychain: Keychain,
    /// The auths key that matches (exactly the registry), if any.
    pub entry: Option<String>,
    /// What is sent; `None` when it cannot be known (auth file unknown) or no pod is created
    /// (auth file invalid, see `auth_file_fails`).
    pub credential: Option<Credential>,
    /// The auth file's parse fails, so the runner creates no pod for this image.
    pub auth_file_fails: bool,
    pub tls: TlsPath,
}

/// One prediction for one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    /// As given.
    pub image: String,
    /// After the default-prefix resolution.
    pub resolved: String,
    /// `name.ParseReference(resolved)`.
    pub reference: Result<Reference, NameError>,
    /// porch-server runs it in-process: it never reaches the runner.
    pub in_process: bool,
    /// Credentials and TLS, when it parses and reaches the runner.
    pub access: Option<Access>,
}

impl Prediction {
    pub fn registry(&self) -> Option<&str> {
        self.reference.as_ref().ok().map(Reference::registry)
    }
    /// Whether go-containerregistry also tries plain HTTP (when it parses).
    pub fn plain_http(&self) -> Option<bool> {
        self.reference
            .as_ref()
            .ok()
            .map(Reference::tries_plain_http)
    }
    pub fn reaches_runner(&self) -> bool {
        !self.in_process
    }
}

/// kpt `ResolveToImageForCLIFunc(prefix)(image)`: trailing `/` of the prefix trimmed; an empty
/// prefix resolves nothing; a name without `/` becomes `prefix/name`.
pub fn resolve_image(image: &str, prefix: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() || image.contains('/') {
        image.to_string()
    } else {
        format!("{prefix}/{image}")
    }
}

/// Predict what the runner does with `image`.
pub fn predict(image: &str, cfg: &RunnerConfig) -> Prediction {
    // porch-server resolves Kptfile images (main and v1.5.x), the runner again on main.
    let resolved = resolve_image(image, &cfg.default_image_prefix);
    let in_process =
        cfg.family == Family::Main && cfg.builtins.iter().any(|b| b == image || *b == resolved);
    let reference = name::parse_reference(&resolved);
    let access = match (&reference, in_process) {
        (Ok(r), false) => Some(access(&resolved, r, cfg)),
        _ => None,
    };
    Prediction {
        image: image.to_string(),
        resolved,
        reference,
        in_process,
        access,
    }
}

fn access(resolved: &str, r: &Reference, cfg: &RunnerConfig) -> Access {
    let private = cfg.private_registries && !resolved.starts_with(DEFAULT_KEYCHAIN_PREFIX);
    let tls = if private && cfg.tls {
        TlsPath::CaThenSystem
    } else {
        TlsPath::System
    };
    if !private {
        return Access {
            keychain: Keychain::Default,
            entry: None,
            credential: Some(Credential::None),
            auth_file_fails: false,
            tls,
        };
    }
    let (entry, credential, fails) = match &cfg.auth_file {
        AuthFileState::Parsed(file) => match file.lookup(r.registry()) {
            Some(e) => (Some(r.registry().to_string()), Some(e.credential()), false),
            // FromConfig(AuthConfig{}): nothing is sent
            None => (None, Some(Credential::None), false),
        },
        AuthFileState::Invalid(_) => (None, None, true),
        AuthFileState::Unknown(_) => (None, None, false),
    };
    Access {
        keychain: Keychain::AuthFile,
        entry,
        credential,
        auth_file_fails: fails,
        tls,
    }
}

/// A `FunctionConfig`'s in-process part: `metadata.name`, `spec.goExecutor.id` (default: the
/// name) and `spec.goExecutor.tags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoExecutor {
    pub name: String,
    pub id: String,
    pub tags: Vec<String>,
}

/// The go executors of Porch main's stock `deployments/porch/23-function-configurations.yaml`.
pub fn stock_function_configs() -> Vec<GoExecutor> {
    [
        ("apply-replacements", &["v0.1", "v0.1.5"]),
        ("set-namespace", &["v0.4", "v0.4.5"]),
        ("starlark", &["v0.5", "v0.5.5"]),
    ]
    .into_iter()
    .map(|(n, tags)| GoExecutor {
        name: n.into(),
        id: n.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    })
    .collect()
}

/// The go executors declared by `FunctionConfig` objects (config.porch.kpt.dev) among `objects`.
pub fn function_configs(objects: &[Value]) -> Vec<GoExecutor> {
    objects
        .iter()
        .filter(|o| {
            o.get("kind").and_then(Value::as_str) == Some("FunctionConfig")
                && o.get("apiVersion")
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.starts_with("config.porch.kpt.dev/"))
        })
        .filter_map(|o| {
            let name = o.pointer("/metadata/name")?.as_str()?.to_string();
            let ge = o.pointer("/spec/goExecutor")?;
            let id = ge
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| name.clone(), str::to_string);
            let tags = ge
                .get("tags")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Some(GoExecutor { name, id, tags })
        })
        .collect()
}

/// functionconfigreconciler.go UpdateExecCache: only the names apply-replacements,
/// set-namespace and starlark have an in-process implementation; each tag gives the keys
/// `id:tag`, `GHCRImagePrefix + id:tag` and `prefix/id:tag`.
pub fn builtin_images(configs: &[GoExecutor], prefix: &str) -> Vec<String> {
    let prefix = prefix.trim_end_matches('/');
    let mut out = Vec::new();
    for c in configs {
        if !matches!(
            c.name.as_str(),
            "apply-replacements" | "set-namespace" | "starlark"
        ) {
            continue;
        }
        for tag in &c.tags {
            let img = format!("{}:{tag}", c.id);
            out.push(format!("{DEFAULT_IMAGE_PREFIX}/{img}"));
            if !prefix.is_empty() {
                out.push(format!("{prefix}/{img}"));
            }
            out.push(img);
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::authfile::AuthFile;

    fn cfg(auth: &str) -> RunnerConfig {
        RunnerConfig {
            private_registries: true,
            tls: true,
            auth_file: AuthFileState::from_bytes(auth.as_bytes()),
            default_image_prefix: DEFAULT_IMAGE_PREFIX.into(),
            family: Family::Main,
            builtins: builtin_images(&stock_function_configs(), DEFAULT_IMAGE_PREFIX),
        }
    }
    const GHCR: &str = r#"{"auths":{"ghcr.io":{"auth":"cm9ib3Q6cHc="}}}"#; // robot:pw

    // Expected values from podmanager.go (CreatePod, imageDigestAndEntrypoint, getCustomAuth,
    // getImage), kpt runneroptions.go:ResolveToImageForCLIFunc, and
    // functionconfigreconciler.go:UpdateExecCache.

    #[test]
    fn short_names_resolve_with_the_default_prefix_first() {
        let p = predict("set-namespace:v0.4.1", &cfg(GHCR));
        assert_eq!(
            p.resolved,
            "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1"
        );
        assert_eq!(p.registry(), Some("ghcr.io"));
        let a = p.access.unwrap();
        assert_eq!(a.keychain, Keychain::AuthFile);
        assert_eq!(a.entry.as_deref(), Some("ghcr.io"));
        assert_eq!(a.credential.unwrap().username(), Some("robot"));
        assert_eq!(a.tls, TlsPath::CaThenSystem);
        assert!(!p.in_process);
    }

    #[test]
    fn resolve_to_image_rules() {
        assert_eq!(resolve_image("fn:v1", "r.io/fns/"), "r.io/fns/fn:v1");
        assert_eq!(resolve_image("fn:v1", "r.io/fns//"), "r.io/fns/fn:v1");
        assert_eq!(resolve_image("fn:v1", ""), "fn:v1");
        assert_eq!(resolve_image("fn:v1", "/"), "fn:v1");
        assert_eq!(resolve_image("o/fn:v1", "r.io"), "o/fn:v1");
        // an empty prefix leaves a short name to Docker Hub
        let mut c = cfg(GHCR);
        c.default_image_prefix = String::new();
        assert_eq!(predict("fn:v1", &c).registry(), Some("index.docker.io"));
    }

    #[test]
    fn localhost_is_docker_hub_and_one_char_repos_do_not_parse() {
        let p = predict("localhost/fn", &cfg(GHCR));
        assert_eq!(p.registry(), Some("index.docker.io"));
        let a = p.access.unwrap();
        assert_eq!(a.entry, None);
        assert_eq!(a.credential, Some(Credential::None));
        let p = predict("ghcr.io/x", &cfg(GHCR));
        assert_eq!(
            p.reference.unwrap_err().to_string(),
            "could not parse reference: ghcr.io/x"
        );
        assert!(p.access.is_none());
    }

    #[test]
    fn keychain_and_tls_choice() {
        // the gcr.io/kpt-fn/ prefix, tested on the resolved string
        let p = predict("gcr.io/kpt-fn/set-labels:v0.2.0", &cfg(GHCR));
        let a = p.access.unwrap();
        assert_eq!((a.keychain, a.tls), (Keychain::Default, TlsPath::System));
        let mut c = cfg(GHCR);
        c.tls = false;
        let a = predict("ghcr.io/o/fn:v1", &c).access.unwrap();
        assert_eq!((a.keychain, a.tls), (Keychain::AuthFile, TlsPath::System));
        c.private_registries = false;
        c.tls = true;
        let a = predict("ghcr.io/o/fn:v1", &c).access.unwrap();
        assert_eq!((a.keychain, a.tls), (Keychain::Default, TlsPath::System));
    }

    #[test]
    fn a_broken_auth_file_means_no_pod() {
        let c = cfg(r#"{"auths":{"a.io":{"auth":"!!"}}}"#);
        let a = predict("ghcr.io/o/fn:v1", &c).access.unwrap();
        assert!(a.auth_file_fails);
        assert_eq!(a.credential, None);
        // but not for an image under gcr.io/kpt-fn/
        let a = predict("gcr.io/kpt-fn/x:v1", &c).access.unwrap();
        assert!(!a.auth_file_fails);
    }

    #[test]
    fn builtins_never_reach_the_runner_on_main() {
        for img in [
            "set-namespace:v0.4.5",
            "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.5",
            "starlark:v0.5",
            "apply-replacements:v0.1.5",
        ] {
            let p = predict(img, &cfg(GHCR));
            assert!(p.in_process, "{img}");
            assert!(!p.reaches_runner());
        }
        assert!(!predict("set-namespace:v0.4.1", &cfg(GHCR)).in_process);
        let mut c = cfg(GHCR);
        c.family = Family::V15;
        assert!(!predict("set-namespace:v0.4.5", &c).in_process);
        // a custom prefix adds prefix/id:tag
        let b = builtin_images(&stock_function_configs(), "r.io/fns/");
        assert!(b.contains(&"r.io/fns/starlark:v0.5.5".to_string()));
        assert!(b.contains(&"ghcr.io/kptdev/krm-functions-catalog/starlark:v0.5.5".to_string()));
    }

    #[test]
    fn function_configs_from_objects() {
        let objs: Vec<Value> = vec![
            serde_json::json!({"apiVersion":"config.porch.kpt.dev/v1alpha1","kind":"FunctionConfig",
                "metadata":{"name":"set-namespace"},"spec":{"goExecutor":{"tags":["v9"]}}}),
            serde_json::json!({"apiVersion":"config.porch.kpt.dev/v1alpha1","kind":"FunctionConfig",
                "metadata":{"name":"apply-setters"},"spec":{"goExecutor":{"tags":["v1"]}}}),
        ];
        let b = builtin_images(&function_configs(&objs), DEFAULT_IMAGE_PREFIX);
        assert!(b.contains(&"set-namespace:v9".to_string()));
        assert!(!b.iter().any(|i| i.contains("apply-setters")));
    }

    #[test]
    fn unknown_auth_file_gives_no_credential() {
        let mut c = cfg(GHCR);
        c.auth_file = AuthFileState::Unknown("not among the manifests".into());
        let a = predict("ghcr.io/o/fn:v1", &c).access.unwrap();
        assert_eq!((a.entry, a.credential), (None, None));
        assert_eq!(
            AuthFileState::from_bytes(GHCR.as_bytes()),
            AuthFileState::Parsed(AuthFile::parse(GHCR.as_bytes()).unwrap())
        );
    }
}
