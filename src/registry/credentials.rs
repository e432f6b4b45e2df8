//! Which credential a pull uses, resolved the way the function runner resolves it.
//!
//! The runner parses the mounted `.dockerconfigjson` (`{"auths": {KEY: {...}}}`; one malformed
//! `auth` value fails the whole file) and does an EXACT map lookup by the image's registry as
//! go-containerregistry prints it (`host[:port]`, `index.docker.io` for Docker Hub). No match
//! means an anonymous pull. The user's own docker/podman config is a different source: there
//! we behave like docker (scheme-ful keys, credential helpers) but say when the runner would
//! not find the key.
//!
//! File parsing is the core's (`runner::dockerconfig`); credential helpers are run by the
//! `credentials` edge, whose runner the command hands over in [`CredentialSource::UserConfig`];
//! this module adds the runner's lookup rules and the words for the report.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::runner::dockerconfig::{HelperAnswer, split_registry_key};
use crate::runner::image_ref::DOCKER_HUB;

/// Runs `docker-credential-HELPER get` for a registry (the `credentials` edge's
/// `helper::get_for_pull`, handed over by the command).
pub type HelperGet = fn(helper: &str, registry: &str) -> Result<HelperAnswer>;

/// Where the credentials come from.
#[derive(Clone)]
pub enum CredentialSource {
    /// `--auth-file PATH`: a `.dockerconfigjson` / config.json, looked up the runner's way.
    AuthFile(PathBuf),
    /// The bytes of a `.dockerconfigjson` (e.g. the runner's mounted Secret read from the
    /// cluster), looked up the runner's way. `origin` names it in messages.
    DockerConfigJson { bytes: Vec<u8>, origin: String },
    /// The user's docker/podman config (docker's lookup rules, credential helpers run by
    /// `helper`).
    UserConfig { helper: HelperGet },
    /// No credentials at all.
    Anonymous,
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::AuthFile(p) => write!(f, "AuthFile({})", p.display()),
            CredentialSource::DockerConfigJson { origin, .. } => {
                write!(f, "DockerConfigJson({origin}, <redacted>)")
            }
            CredentialSource::UserConfig { .. } => write!(f, "UserConfig"),
            CredentialSource::Anonymous => write!(f, "Anonymous"),
        }
    }
}

/// A user name and password (or token). Debug never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Credential {{ username: {:?}, password: <redacted> }}",
            self.username
        )
    }
}

/// The outcome of the lookup, with words for the report.
#[derive(Debug, Clone)]
pub struct ResolvedCredential {
    pub credential: Option<Credential>,
    /// e.g. `auth file ./auth.json, key '127.0.0.1:5000' (user alice)` or
    /// `anonymous (no key '127.0.0.1:5000' in ./auth.json)`.
    pub description: String,
    /// Extra advice when nothing matched exactly (near-miss keys the runner would not use).
    pub hint: Option<CredentialHint>,
}

/// Advice about a credential lookup, typed by whether it already names the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialHint {
    /// A key the runner would not match; the message says which key to rename and to what.
    RenameKey(String),
    /// Anything else worth knowing (no exact key, an empty entry, a credential helper).
    Note(String),
}

impl CredentialHint {
    pub fn message(&self) -> &str {
        match self {
            CredentialHint::RenameKey(m) | CredentialHint::Note(m) => m,
        }
    }

    /// Whether the message already tells the user what to change.
    pub fn names_fix(&self) -> bool {
        matches!(self, CredentialHint::RenameKey(_))
    }
}

impl std::fmt::Display for CredentialHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// One parsed `auths` entry.
#[derive(Clone)]
struct Entry {
    username: String,
    password: String,
}

/// Parse `{"auths": {...}}` exactly the way the runner does ([`crate::runner::authfile`]):
/// Go's encoding/json and authn.AuthConfig; a malformed `auth` anywhere fails the whole file,
/// as it fails the runner. An entry yields a user and password only when the runner would send
/// a Basic header for it.
fn parse_auths(bytes: &[u8], origin: &str) -> Result<BTreeMap<String, Option<Entry>>> {
    use crate::runner::authfile::{AuthFile, AuthFileError, Credential as Sent};
    let file = AuthFile::parse(bytes).map_err(|e| match e {
        AuthFileError::Auth { .. } => Error::usage(format!(
            "{origin}: {e}; the runner fails to parse the whole file and creates no function pod; \
             regenerate it with `kubectl porch-registry secret auth`"
        )),
        _ => Error::usage(format!(
            "{origin} {e}; expected a .dockerconfigjson like {{\"auths\": {{\"HOST\": {{\"auth\": \"...\"}}}}}}"
        )),
    })?;
    let mut out = BTreeMap::new();
    for (key, entry) in &file.auths {
        let e = match entry.credential() {
            Sent::Basic { .. } => Some(Entry {
                username: String::from_utf8_lossy(&entry.username).into_owned(),
                password: String::from_utf8_lossy(&entry.password).into_owned(),
            }),
            Sent::Bearer | Sent::IdentityToken | Sent::None => None,
        };
        out.insert(key.clone(), e);
    }
    Ok(out)
}

/// DOCKER-STYLE LOOSE key match, for hints and docker-compatible fallbacks only: NOT what the
/// runner looks up. The runner matches the image's registry against the exact key
/// [`crate::runner::dockerconfig::registry_key_from_input`] produces (validated, lower case).
/// This one reads the key's parts the same way ([`split_registry_key`]) but, like docker's
/// `ConvertToHostname`, strips only a lower-case `http://`/`https://`, keeps the case, never
/// fails, and also takes `registry-1.docker.io` for Docker Hub.
pub fn docker_loose_key(key: &str) -> String {
    let k = key.trim();
    let host = match split_registry_key(k) {
        (None | Some("http") | Some("https"), host, _) => host,
        // docker strips no other scheme: the key then never names a registry.
        (Some(_), _, _) => k.split('/').next().unwrap_or(k),
    };
    match host {
        "docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
        other => other.to_string(),
    }
}

/// Runner-style lookup in a parsed auth file.
fn runner_lookup(
    auths: &BTreeMap<String, Option<Entry>>,
    registry: &str,
    origin: &str,
) -> ResolvedCredential {
    match auths.get(registry) {
        Some(Some(e)) => ResolvedCredential {
            credential: Some(Credential {
                username: e.username.clone(),
                password: e.password.clone(),
            }),
            description: format!(
                "{origin}, key '{registry}' (user {})",
                if e.username.is_empty() {
                    "<empty>"
                } else {
                    &e.username
                }
            ),
            hint: None,
        },
        Some(None) => ResolvedCredential {
            credential: None,
            description: format!(
                "anonymous (key '{registry}' in {origin} has no auth, username or password)"
            ),
            hint: Some(CredentialHint::Note(format!(
                "the entry '{registry}' in {origin} holds no credentials (credsStore/credHelpers do not work inside the cluster)"
            ))),
        },
        None => {
            let near: Vec<&String> = auths
                .keys()
                .filter(|k| docker_loose_key(k) == registry)
                .collect();
            let hint = if near.is_empty() {
                let keys: Vec<&str> = auths.keys().map(|s| s.as_str()).collect();
                Some(CredentialHint::Note(format!(
                    "{origin} has no key '{registry}' (keys: {}); the runner looks the image's registry up exactly",
                    if keys.is_empty() {
                        "none".to_string()
                    } else {
                        keys.join(", ")
                    }
                )))
            } else {
                Some(CredentialHint::RenameKey(format!(
                    "{origin} has {} but the runner looks up exactly '{registry}' and will not use it; rename the key to '{registry}'",
                    near.iter()
                        .map(|k| format!("'{k}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            };
            ResolvedCredential {
                credential: None,
                description: format!("anonymous (no key '{registry}' in {origin})"),
                hint,
            }
        }
    }
}

/// Resolve the credential for `registry` (host[:port] as the runner prints it).
pub fn resolve(source: &CredentialSource, registry: &str) -> Result<ResolvedCredential> {
    match source {
        CredentialSource::Anonymous => Ok(ResolvedCredential {
            credential: None,
            description: "anonymous".into(),
            hint: None,
        }),
        CredentialSource::AuthFile(path) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let origin = format!("auth file {}", path.display());
            let auths = parse_auths(&bytes, &origin)?;
            Ok(runner_lookup(&auths, registry, &origin))
        }
        CredentialSource::DockerConfigJson { bytes, origin } => {
            let auths = parse_auths(bytes, origin)?;
            Ok(runner_lookup(&auths, registry, origin))
        }
        CredentialSource::UserConfig { helper } => resolve_user_config(*helper, registry),
    }
}

/// Candidate docker/podman config files, in docker's and podman's order.
pub fn user_config_paths() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE") {
        v.push(PathBuf::from(p));
    }
    if let Some(d) = std::env::var_os("DOCKER_CONFIG") {
        v.push(PathBuf::from(d).join("config.json"));
    } else if let Some(h) = dirs::home_dir() {
        v.push(h.join(".docker/config.json"));
    }
    if let Some(r) = std::env::var_os("XDG_RUNTIME_DIR") {
        v.push(PathBuf::from(r).join("containers/auth.json"));
    }
    if let Some(c) = dirs::config_dir() {
        v.push(c.join("containers/auth.json"));
    }
    v
}

fn resolve_user_config(get: HelperGet, registry: &str) -> Result<ResolvedCredential> {
    let mut tried = Vec::new();
    for path in user_config_paths() {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(_) => continue,
        };
        tried.push(path.display().to_string());
        let origin = format!("docker config {}", path.display());
        let v: serde_json::Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                crate::ui::output::warn(format!("{origin}: not valid JSON ({e}); skipped"));
                continue;
            }
        };
        // Credential helpers first, as docker does.
        let helper = v
            .get("credHelpers")
            .and_then(|h| h.get(registry))
            .and_then(|h| h.as_str())
            .or_else(|| v.get("credsStore").and_then(|h| h.as_str()));
        if let Some(helper) = helper.filter(|h| !h.is_empty())
            && let Some(c) = run_helper(get, helper, registry)?
        {
            return Ok(ResolvedCredential {
                description: format!(
                    "{origin}, credential helper docker-credential-{helper} (user {})",
                    c.username
                ),
                credential: Some(c),
                hint: Some(CredentialHint::Note(
                    "credential helpers do not exist inside the cluster: the runner needs the credentials in its auth Secret".into(),
                )),
            });
        }
        let auths = parse_auths(&bytes, &origin)?;
        let exact = runner_lookup(&auths, registry, &origin);
        if exact.credential.is_some() {
            return Ok(exact);
        }
        // docker's looser matching (https://index.docker.io/v1/ and the like).
        for (key, entry) in &auths {
            if let Some(e) = entry
                && docker_loose_key(key) == registry
            {
                return Ok(ResolvedCredential {
                    credential: Some(Credential {
                        username: e.username.clone(),
                        password: e.password.clone(),
                    }),
                    description: format!("{origin}, key '{key}' (user {})", e.username),
                    hint: Some(CredentialHint::Note(format!(
                        "the runner would not match key '{key}': its auth Secret needs the exact key '{registry}'"
                    ))),
                });
            }
        }
    }
    Ok(ResolvedCredential {
        credential: None,
        description: if tried.is_empty() {
            "anonymous (no docker/podman config found)".into()
        } else {
            format!(
                "anonymous (no entry for '{registry}' in {})",
                tried.join(", ")
            )
        },
        hint: None,
    })
}

/// Run `docker-credential-HELPER get` for the registry, with the helper runner the command
/// handed over.
fn run_helper(get: HelperGet, helper: &str, registry: &str) -> Result<Option<Credential>> {
    Ok(match get(helper, registry)? {
        HelperAnswer::Found(c) => Some(Credential {
            username: c.username,
            password: c.password,
        }),
        HelperAnswer::IdentityToken | HelperAnswer::NotFound => None,
    })
}

/// Every registry key in a `.dockerconfigjson` with its credential (for `check --probe`).
pub fn all_entries(bytes: &[u8], origin: &str) -> Result<Vec<(String, Option<Credential>)>> {
    Ok(parse_auths(bytes, origin)?
        .into_iter()
        .map(|(k, e)| {
            (
                k,
                e.map(|e| Credential {
                    username: e.username,
                    password: e.password,
                }),
            )
        })
        .collect())
}

/// Convenience for messages: a path shown as given.
pub fn show(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn src(json: String) -> CredentialSource {
        CredentialSource::DockerConfigJson {
            bytes: json.into_bytes(),
            origin: "test secret".into(),
        }
    }

    #[test]
    fn exact_lookup_only() {
        let json = format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}},"reg.example.com:5000":{{"auth":"{}"}}}}}}"#,
            b64("hub:pw1"),
            b64("alice:s3cr:et")
        );
        let s = src(json);
        let r = resolve(&s, "reg.example.com:5000").unwrap();
        let c = r.credential.unwrap();
        assert_eq!(c.username, "alice");
        assert_eq!(c.password, "s3cr:et", "split at the first colon");
        assert!(r.description.contains("key 'reg.example.com:5000'"));
        assert!(!r.description.contains("s3cr"));

        let r = resolve(&s, "index.docker.io").unwrap();
        assert!(r.credential.is_none(), "the runner does not normalise keys");
        assert!(r.description.starts_with("anonymous"));
        assert!(
            r.hint
                .unwrap()
                .message()
                .contains("'https://index.docker.io/v1/'")
        );

        let r = resolve(&s, "other.io").unwrap();
        assert!(r.credential.is_none());
        assert!(
            r.hint
                .unwrap()
                .message()
                .contains("keys: https://index.docker.io/v1/, reg.example.com:5000")
        );
    }

    #[test]
    fn username_password_fields() {
        let s = src(r#"{"auths":{"r.io":{"username":"u","password":"p"}}}"#.into());
        let c = resolve(&s, "r.io").unwrap().credential.unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p"));
    }

    #[test]
    fn malformed_auth_fails_whole_file() {
        let json = format!(
            r#"{{"auths":{{"good.io":{{"auth":"{}"}},"bad.io":{{"auth":"not-base64!"}}}}}}"#,
            b64("u:p")
        );
        let err = resolve(&src(json), "good.io").unwrap_err().to_string();
        assert!(err.contains("\"bad.io\""), "{err}");
        assert!(!err.contains("not-base64"), "never echo the value: {err}");
        let json = format!(r#"{{"auths":{{"x.io":{{"auth":"{}"}}}}}}"#, b64("nocolon"));
        assert!(resolve(&src(json), "x.io").is_err());
    }

    #[test]
    fn debug_redacts() {
        let c = Credential {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        let s = src(r#"{"auths":{"r.io":{"username":"u","password":"hunter2"}}}"#.into());
        assert!(!format!("{s:?}").contains("hunter2"));
        let r = resolve(&s, "r.io").unwrap();
        assert!(!format!("{r:?}").contains("hunter2"));
    }

    #[test]
    fn loose_keys() {
        assert_eq!(
            docker_loose_key("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(docker_loose_key("docker.io"), "index.docker.io");
        assert_eq!(docker_loose_key("http://r.io:5000/x"), "r.io:5000");
    }

    #[test]
    fn loose_key_is_not_the_runners_exact_key() {
        use crate::runner::dockerconfig::registry_key_from_input;
        // docker strips only lower-case schemes; the typed-key form strips any http(s).
        assert_eq!(docker_loose_key("R.io"), "R.io");
        // a typed key is written in lower case, with a note (images name registries in lower
        // case and the runner's lookup is exact); docker's loose form keeps the case
        assert_eq!(registry_key_from_input("R.io").unwrap().key, "r.io");
        assert_eq!(docker_loose_key("HTTPS://r.io/v2/"), "HTTPS:");
        assert_eq!(
            registry_key_from_input("HTTPS://r.io/v2/").unwrap().key,
            "r.io"
        );
        assert_eq!(docker_loose_key("registry-1.docker.io"), DOCKER_HUB);
        assert_eq!(docker_loose_key("ftp://r.io"), "ftp:");
        assert!(registry_key_from_input("ftp://r.io").is_err());
    }
}
