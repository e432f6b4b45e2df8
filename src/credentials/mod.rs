//! Where registry credentials and the CA come from: flags, stdin, the environment, docker /
//! podman config files (with credential helpers run as processes), and, on a terminal only,
//! the wizard. The pure rules live in `runner::dockerconfig` / `runner::ca`; this is the edge.

pub mod helper;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::runner::ca::{CaReport, analyze_ca_pem};
use crate::runner::dockerconfig::HelperAnswer;
use crate::runner::dockerconfig::{
    self, Credentials, DockerConfig, NormalizedKey, RegistryCredential, registry_key_from_input,
};
use crate::ui::output as ui;

/// The environment variable holding the registry password (`$PORCH_REGISTRY_PASSWORD`).
pub const PASSWORD_ENV: &str = "PORCH_REGISTRY_PASSWORD";

/// Where one registry's credentials come from, as the command line says (resolved by
/// `crate::settings`; its Debug output never shows the password).
#[derive(Clone, Default)]
pub struct CredentialInput {
    /// `--registry HOST`.
    pub registry: Option<String>,
    /// `--username`.
    pub username: Option<String>,
    /// `--password-stdin`: read the password from stdin.
    pub password_stdin: bool,
    /// `--password` (insecure; warned about).
    pub password: Option<String>,
    /// `--email`.
    pub email: Option<String>,
    /// `--from-docker-config [PATH]` (an empty path: the user's docker config).
    pub from_docker_config: Option<PathBuf>,
}

impl std::fmt::Debug for CredentialInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialInput")
            .field("registry", &self.registry)
            .field("username", &self.username)
            .field("password_stdin", &self.password_stdin)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("email", &self.email)
            .field("from_docker_config", &self.from_docker_config)
            .finish()
    }
}

impl CredentialInput {
    /// Whether no registry was named (neither `--registry` nor `--from-docker-config`): the
    /// wizard, on a terminal, then asks for everything.
    pub fn registries_missing(&self) -> bool {
        self.registry.is_none() && self.from_docker_config.is_none()
    }
}

/// A CA bundle read from disk and checked.
#[derive(Debug, Clone)]
pub struct CaInput {
    pub path: PathBuf,
    pub pem: Vec<u8>,
    pub report: CaReport,
}

/// Current time in Unix seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Read and check a CA bundle; warnings are printed, errors name the file.
pub fn read_ca(path: &Path) -> Result<CaInput> {
    let pem = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let report = analyze_ca_pem(&pem, now_unix())
        .map_err(|e| Error::usage(format!("{}: {e}", path.display())))?;
    for w in &report.warnings {
        ui::warn(format_args!("{}: {w}", path.display()));
    }
    Ok(CaInput {
        path: path.to_path_buf(),
        pem,
        report,
    })
}

/// The password from --password-stdin, --password (warns) or $PORCH_REGISTRY_PASSWORD, in that
/// order; `None` when none was given. Empty is an error naming the source.
fn password_from_flags(args: &CredentialInput, registry: &str) -> Result<Option<String>> {
    let (password, source) = if args.password_stdin {
        let mut buf = String::new();
        std::io::stdin().read_to_string(&mut buf).map_err(|_| {
            Error::usage("--password-stdin: stdin is not UTF-8 text; pipe the password in")
        })?;
        // As docker login: drop one trailing newline (and a CR before it).
        let trimmed = buf.strip_suffix('\n').unwrap_or(&buf);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
        (trimmed.to_string(), "--password-stdin")
    } else if let Some(p) = &args.password {
        ui::warn(
            "using --password on the command line is insecure (shell history, ps); use \
             --password-stdin or $PORCH_REGISTRY_PASSWORD",
        );
        (p.clone(), "--password")
    } else if let Ok(p) = std::env::var(PASSWORD_ENV) {
        (p, "$PORCH_REGISTRY_PASSWORD")
    } else {
        return Ok(None);
    };
    if password.is_empty() {
        return Err(Error::usage(format!(
            "the password for {registry} from {source} is empty; give the registry password or token"
        )));
    }
    Ok(Some(password))
}

fn normalize_noted(input: &str, flag: &str) -> Result<NormalizedKey> {
    let n = registry_key_from_input(input).map_err(|e| {
        Error::usage(format!(
            "{flag}: {e}; give host[:port], e.g. registry.example.com:5000"
        ))
    })?;
    ui::note_normalized(&n);
    Ok(n)
}

/// How missing credentials are asked for: the wizard on a terminal, handed over by the
/// command (`commands::setup`, `commands::secret`).
pub trait Ask {
    fn username(&self, registry: &str) -> Result<String>;
    fn password(&self, registry: &str, username: &str) -> Result<String>;
    fn registries(&self) -> Result<Vec<RegistryCredential>>;
}

const MISSING_CREDENTIALS_HELP: &str = "pass --registry HOST --username USER with the password on stdin (--password-stdin) \
     or in $PORCH_REGISTRY_PASSWORD, or --from-docker-config [PATH]";

/// Registries from the credential flags (one from --registry, or all from a docker config).
/// When input is missing, asks through `prompter` if there is one, else a Usage error that
/// names the flags. Returns normalised, de-duplicated credentials (never empty).
pub fn collect_registries(
    args: &CredentialInput,
    prompter: Option<&dyn Ask>,
) -> Result<Vec<RegistryCredential>> {
    if let Some(path) = &args.from_docker_config {
        if args.password.is_some() || args.password_stdin || args.username.is_some() {
            return Err(Error::usage(
                "--from-docker-config takes every credential from the file; drop \
                 --username/--password/--password-stdin",
            ));
        }
        let path = if path.as_os_str().is_empty() {
            default_docker_config_path()?
        } else if path.is_dir() {
            // a docker config directory, as $DOCKER_CONFIG names it
            path.join("config.json")
        } else {
            path.clone()
        };
        return registries_from_docker_config(&path);
    }
    match &args.registry {
        Some(reg) => {
            let key = normalize_noted(reg, "--registry")?;
            let username = match &args.username {
                Some(u) if !u.is_empty() => u.clone(),
                Some(_) => {
                    return Err(Error::usage(format!(
                        "--username for {} is empty; give the registry user name",
                        key.key
                    )));
                }
                None => match prompter {
                    Some(p) => p.username(&key.key)?,
                    None => {
                        return Err(Error::usage(format!(
                            "no user name for {}: pass --username USER",
                            key.key
                        )));
                    }
                },
            };
            let password = match password_from_flags(args, &key.key)? {
                Some(p) => p,
                None => match prompter {
                    Some(p) => p.password(&key.key, &username)?,
                    None => {
                        return Err(Error::usage(format!(
                            "no password for {}: pipe it to --password-stdin or set \
                             $PORCH_REGISTRY_PASSWORD (no terminal, so nothing is asked)",
                            key.key
                        )));
                    }
                },
            };
            dockerconfig::validate_username(&username)
                .map_err(|e| Error::usage(format!("--username: {e}")))?;
            let email = args.email.clone().filter(|e| !e.is_empty());
            let first = RegistryCredential {
                registry: key.key,
                username,
                password,
                email,
            };
            Ok(vec![first])
        }
        None => {
            if args.password.is_some() || args.password_stdin {
                return Err(Error::usage(format!(
                    "a password was given but no registry; {MISSING_CREDENTIALS_HELP}"
                )));
            }
            match prompter {
                Some(p) => p.registries(),
                None => Err(Error::usage(format!(
                    "no registry credentials given and no terminal to ask on; {MISSING_CREDENTIALS_HELP}"
                ))),
            }
        }
    }
}

/// The docker config to read when `--from-docker-config` has no PATH: `$DOCKER_CONFIG/config.json`,
/// else `~/.docker/config.json`; when neither exists, podman's `$REGISTRY_AUTH_FILE` or
/// `$XDG_RUNTIME_DIR/containers/auth.json`.
pub fn default_docker_config_path() -> Result<PathBuf> {
    let mut tried = Vec::new();
    let docker = match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir).join("config.json")),
        _ => dirs::home_dir().map(|h| h.join(".docker/config.json")),
    };
    let mut candidates: Vec<PathBuf> = docker.into_iter().collect();
    if let Some(f) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|f| !f.is_empty()) {
        candidates.push(PathBuf::from(f));
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        candidates.push(PathBuf::from(dir).join("containers/auth.json"));
    }
    for c in candidates {
        if c.is_file() {
            return Ok(c);
        }
        tried.push(c.display().to_string());
    }
    Err(Error::not_found(format!(
        "no docker or podman config found (tried {}); run `docker login` or pass --from-docker-config PATH",
        if tried.is_empty() {
            "no location: HOME is not set".to_string()
        } else {
            tried.join(", ")
        }
    )))
}

/// Read and parse a docker / podman config file.
pub fn load_docker_config(path: &Path) -> Result<DockerConfig> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    DockerConfig::parse(&bytes).map_err(|e| {
        Error::usage(format!(
            "{}: {e}; give a docker config.json or podman auth.json",
            path.display()
        ))
    })
}

/// Every usable registry of a docker/podman config, credential-helper entries resolved by
/// running the helper. Says on stderr which registries were taken and which were not.
pub fn registries_from_docker_config(path: &Path) -> Result<Vec<RegistryCredential>> {
    let config = load_docker_config(path)?;
    let shown = path.display();
    // (original key, how found) in a stable order
    let mut keys = config.registries();
    if let Some(store) = &config.creds_store
        && let Some(listed) = helper::list(store)
    {
        for k in listed.keys() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let mut taken: Vec<(NormalizedKey, RegistryCredential, String)> = Vec::new();
    for original in keys {
        let n = registry_key_from_input(&original).map_err(|e| {
            Error::usage(format!(
                "{shown}: registry key {e}; fix the key in the file (host[:port])"
            ))
        })?;
        let entry = config.auths.get(&original);
        // Inline credentials are checked even when a helper answers: docker itself refuses a
        // file with a malformed `auth`, and so does the runner.
        let inline = match entry.filter(|e| e.has_inline_credentials()) {
            Some(e) => Some(e.credentials().map_err(|err| {
                Error::usage(format!(
                    "{shown}: the auths entry for \"{original}\" is unusable: {err}; fix it or log in again"
                ))
            })?),
            None => None,
        };
        // As docker: a registry's credHelpers entry, else credsStore, wins over the file;
        // the file's own credentials are the fallback when the helper has none.
        let mut resolved: Option<(Credentials, String)> = None;
        let mut skip_reason: Option<String> = None;
        if let Some(helper_name) = config
            .cred_helpers
            .get(&original)
            .or(config.creds_store.as_ref())
        {
            let program = helper::helper_program(helper_name);
            let answer = if helper::is_installed(helper_name) {
                Some(helper::get(helper_name, &original)?)
            } else {
                None
            };
            match answer {
                Some(HelperAnswer::Found(c)) => {
                    resolved = Some((c, format!("via credential helper {program}")));
                }
                Some(HelperAnswer::IdentityToken) => {
                    skip_reason = Some(format!(
                        "credential helper {program} holds an identity token for it, which the runner cannot use"
                    ));
                }
                Some(HelperAnswer::NotFound) => {
                    skip_reason = Some(format!(
                        "credential helper {program} has no credentials for it"
                    ));
                }
                None if inline.is_some() => {
                    ui::warn(format_args!(
                        "{shown}: credential helper {program} is not on PATH; using the credentials written in the file for {original}"
                    ));
                }
                None => {
                    return Err(Error::not_found(format!(
                        "{shown}: credential helper {program} (for {original}) is not on PATH; install it, \
                         or log in again so that the credentials are stored in the file, or pass \
                         --registry/--username/--password-stdin"
                    )));
                }
            }
        }
        if resolved.is_none()
            && let Some(c) = inline
        {
            resolved = Some((c, "from the file".to_string()));
        }
        let Some((creds, source)) = resolved else {
            let reason = skip_reason.unwrap_or_else(|| {
                if entry.is_some_and(|e| e.identity_token.is_some()) {
                    "it holds only an identity token, which the runner cannot use".to_string()
                } else {
                    "no credentials in the file and no credential helper".to_string()
                }
            });
            ui::warn(format_args!("{shown}: skipped {original}: {reason}"));
            continue;
        };
        dockerconfig::validate_username(&creds.username).map_err(|e| {
            Error::usage(format!("{shown}: the entry for \"{original}\" has a {e}"))
        })?;
        if creds.password.is_empty() {
            return Err(Error::usage(format!(
                "{shown}: the entry for \"{original}\" has an empty password; log in again"
            )));
        }
        let email = entry.and_then(|e| e.email.clone());
        let cred = RegistryCredential {
            registry: n.key.clone(),
            username: creds.username,
            password: creds.password,
            email,
        };
        // Two spellings of the same registry: keep the one already in the runner's form.
        if let Some(pos) = taken.iter().position(|(k, _, _)| k.key == n.key) {
            let (prev, prev_cred, _) = &taken[pos];
            let replace = prev.changed && !n.changed;
            let differ = prev_cred.username != cred.username || prev_cred.password != cred.password;
            if differ {
                let kept = if replace { &original } else { &prev.original };
                ui::warn(format_args!(
                    "{shown}: \"{}\" and \"{original}\" are both {} for the runner and hold different credentials; using \"{kept}\"",
                    prev.original, n.key
                ));
            }
            if replace {
                taken[pos] = (n, cred, source);
            }
            continue;
        }
        taken.push((n, cred, source));
    }
    if taken.is_empty() {
        return Err(Error::usage(format!(
            "{shown}: no usable registry credentials in it; run `docker login REGISTRY` or pass --registry/--username/--password-stdin"
        )));
    }
    for (n, cred, source) in &taken {
        ui::note_normalized(n);
        ui::info(format_args!(
            "taken: {} (user {}) {source}",
            cred.registry, cred.username
        ));
    }
    Ok(taken.into_iter().map(|(_, c, _)| c).collect())
}
