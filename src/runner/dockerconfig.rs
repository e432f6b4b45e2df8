//! Docker / podman credential files as the function runner reads them.
//!
//! The runner parses the mounted `.dockerconfigjson` as `{"auths": {KEY: {...}}}` and looks the
//! image's registry up with an **exact** map lookup (host[:port], no scheme, no path;
//! `docker.io` is `index.docker.io`). This module models exactly that, and writes the JSON the
//! way `kubectl create secret docker-registry` does (Go `encoding/json`, fields `username`,
//! `password`, `email`, `auth`, empty ones left out, keys sorted).
//!
//! Pure: no I/O. Secrets never appear in `Debug` output or error messages.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

/// The registry the runner uses for Docker Hub images (go-containerregistry's default).
pub use crate::runner::image_ref::DOCKER_HUB;

/// Go's `base64.StdEncoding` decoder: padding required, trailing bits tolerated.
const GO_STD_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// A parsed docker `config.json` or podman `auth.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerConfig {
    /// `auths`, keyed exactly as written in the file.
    pub auths: BTreeMap<String, AuthEntry>,
    /// `credsStore`: the default credential helper (docker-credential-NAME).
    pub creds_store: Option<String>,
    /// `credHelpers`: registry -> helper name.
    pub cred_helpers: BTreeMap<String, String>,
}

/// One entry under `auths`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthEntry {
    pub username: Option<String>,
    pub password: Option<String>,
    pub email: Option<String>,
    /// base64 of `user:password`
    pub auth: Option<String>,
    pub identity_token: Option<String>,
    pub registry_token: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthEntry")
            .field("username", &self.username)
            .field("password", &redact(&self.password))
            .field("email", &self.email)
            .field("auth", &redact(&self.auth))
            .field("identity_token", &redact(&self.identity_token))
            .field("registry_token", &redact(&self.registry_token))
            .finish()
    }
}

/// What a helper answered for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelperAnswer {
    Found(Credentials),
    /// The helper holds an identity token (OAuth refresh token), unusable by the runner.
    IdentityToken,
    NotFound,
}

/// A user name and password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Credentials for one registry, key already normalised, ready for a `.dockerconfigjson`.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryCredential {
    /// The key as the runner looks it up (see [`registry_key_from_input`]).
    pub registry: String,
    pub username: String,
    pub password: String,
    pub email: Option<String>,
}

impl fmt::Debug for RegistryCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryCredential")
            .field("registry", &self.registry)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("email", &self.email)
            .finish()
    }
}

/// Why a docker config could not be read. Never carries a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DockerConfigError {
    #[error("is not JSON ({0})")]
    NotJson(String),
    #[error("is not a JSON object")]
    NotObject,
    #[error("\"{0}\" is not a JSON object")]
    FieldNotObject(String),
    #[error("field \"{field}\" of auths entry \"{key}\" is not a string")]
    EntryFieldNotString { key: String, field: String },
    #[error("auths entry \"{0}\" is not a JSON object")]
    EntryNotObject(String),
    #[error("\"{0}\" is not a string")]
    FieldNotString(String),
}

/// Why an `auths` entry does not yield a user name and password. Never echoes the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthDecodeError {
    #[error("its \"auth\" value is not valid base64 (it must be base64 of user:password)")]
    NotBase64,
    #[error(
        "its \"auth\" value does not decode to UTF-8 text (it must be base64 of user:password)"
    )]
    NotUtf8,
    #[error(
        "its \"auth\" value decodes to text without a ':' (it must be base64 of user:password)"
    )]
    NoColon,
    #[error("it has neither \"auth\" nor \"username\"/\"password\"")]
    Missing,
    #[error(
        "it holds only an identity token, which the runner cannot use; log in with a user name and password or token"
    )]
    IdentityTokenOnly,
}

impl DockerConfig {
    /// Parse a docker `config.json` / podman `auth.json` / `.dockerconfigjson`.
    /// Unknown fields are ignored, as the runner's Go parser does.
    pub fn parse(bytes: &[u8]) -> Result<DockerConfig, DockerConfigError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            // serde_json messages can quote input ("invalid type: string \"...\""), so keep
            // only the category and position.
            let what = match e.classify() {
                serde_json::error::Category::Io => "read error",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "unexpected data",
                serde_json::error::Category::Eof => "unexpected end of file",
            };
            DockerConfigError::NotJson(format!("{what} at line {} column {}", e.line(), e.column()))
        })?;
        let obj = value.as_object().ok_or(DockerConfigError::NotObject)?;
        let mut config = DockerConfig::default();
        match obj.get("auths") {
            None | Some(Value::Null) => {}
            Some(Value::Object(auths)) => {
                for (key, entry) in auths {
                    let entry = entry
                        .as_object()
                        .ok_or_else(|| DockerConfigError::EntryNotObject(key.clone()))?;
                    let field = |name: &str| -> Result<Option<String>, DockerConfigError> {
                        match entry.get(name) {
                            None | Some(Value::Null) => Ok(None),
                            Some(Value::String(s)) if s.is_empty() => Ok(None),
                            Some(Value::String(s)) => Ok(Some(s.clone())),
                            Some(_) => Err(DockerConfigError::EntryFieldNotString {
                                key: key.clone(),
                                field: name.to_string(),
                            }),
                        }
                    };
                    config.auths.insert(
                        key.clone(),
                        AuthEntry {
                            username: field("username")?,
                            password: field("password")?,
                            email: field("email")?,
                            auth: field("auth")?,
                            identity_token: field("identitytoken")?,
                            registry_token: field("registrytoken")?,
                        },
                    );
                }
            }
            Some(_) => return Err(DockerConfigError::FieldNotObject("auths".into())),
        }
        match obj.get("credsStore") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(Value::String(s)) => config.creds_store = Some(s.clone()),
            Some(_) => return Err(DockerConfigError::FieldNotString("credsStore".into())),
        }
        match obj.get("credHelpers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(helpers)) => {
                for (k, v) in helpers {
                    let v = v.as_str().ok_or_else(|| {
                        DockerConfigError::FieldNotString(format!("credHelpers.{k}"))
                    })?;
                    config.cred_helpers.insert(k.clone(), v.to_string());
                }
            }
            Some(_) => return Err(DockerConfigError::FieldNotObject("credHelpers".into())),
        }
        Ok(config)
    }

    /// Every registry named anywhere in the file (auths, credHelpers), as written.
    pub fn registries(&self) -> Vec<String> {
        let mut all: Vec<String> = self.auths.keys().cloned().collect();
        for k in self.cred_helpers.keys() {
            if !all.contains(k) {
                all.push(k.clone());
            }
        }
        all.sort();
        all
    }
}

impl AuthEntry {
    /// Whether the entry holds inline credentials (as opposed to an empty `{}` entry that
    /// docker writes when the credentials live in a helper).
    pub fn has_inline_credentials(&self) -> bool {
        self.auth.is_some() || self.username.is_some() || self.password.is_some()
    }

    /// The user name and password: from `auth` (base64 of `user:password`) when present,
    /// else from `username`/`password`.
    pub fn credentials(&self) -> Result<Credentials, AuthDecodeError> {
        if let Some(auth) = &self.auth {
            let (username, password) = decode_auth(auth)?;
            return Ok(Credentials { username, password });
        }
        if self.username.is_some() || self.password.is_some() {
            return Ok(Credentials {
                username: self.username.clone().unwrap_or_default(),
                password: self.password.clone().unwrap_or_default(),
            });
        }
        if self.identity_token.is_some() || self.registry_token.is_some() {
            return Err(AuthDecodeError::IdentityTokenOnly);
        }
        Err(AuthDecodeError::Missing)
    }
}

/// Decode an `auth` value (base64 of `user:password`; Go's StdEncoding, which ignores CR/LF).
pub fn decode_auth(auth: &str) -> Result<(String, String), AuthDecodeError> {
    let cleaned: String = auth.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    let bytes = GO_STD_B64
        .decode(cleaned.as_bytes())
        .map_err(|_| AuthDecodeError::NotBase64)?;
    let text = String::from_utf8(bytes).map_err(|_| AuthDecodeError::NotUtf8)?;
    match text.split_once(':') {
        Some((u, p)) => Ok((u.to_string(), p.to_string())),
        None => Err(AuthDecodeError::NoColon),
    }
}

/// A user name the runner can read back: `auth` is `user:password` split at the FIRST ':',
/// so a ':' in the user name would silently become part of the password.
pub fn validate_username(username: &str) -> Result<(), String> {
    if username.contains(':') {
        return Err(format!(
            "user name \"{username}\" contains ':'; the runner splits \"auth\" at the first ':', so it would read a different user and password"
        ));
    }
    Ok(())
}

/// base64 of `user:password`, as kubectl and docker write it.
pub fn encode_auth(username: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
}

/// A registry key made from what a user typed, and how it differs from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedKey {
    /// host[:port] exactly as the runner looks it up (docker.io written as index.docker.io).
    pub key: String,
    /// The input, trimmed.
    pub original: String,
    /// Whether `key` differs from `original`.
    pub changed: bool,
    /// Human explanation of each change (empty when unchanged).
    pub why: Vec<String>,
}

/// Why a registry key is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the registry is empty")]
    Empty,
    #[error("\"{0}\" is not a registry host[:port]")]
    Invalid(String),
    #[error("\"{0}\" has a port that is not a number from 1 to 65535")]
    BadPort(String),
    #[error("\"{0}\" has a scheme other than http:// or https://")]
    BadScheme(String),
    #[error(
        "\"{0}\" is never an image's registry: the runner's library reads a first name part without '.' or ':' as a Docker Hub path (write host.domain or host:port, e.g. localhost:5000)"
    )]
    NotARegistry(String),
}

/// Split a registry key into (scheme before `://`, host[:port], `/path`), with no check: the
/// one reading of a typed key's parts that [`registry_key_from_input`] and the docker-style
/// loose match for hints (`registry::credentials::docker_loose_key`) share.
pub fn split_registry_key(key: &str) -> (Option<&str>, &str, Option<&str>) {
    let (scheme, rest) = match key.find("://") {
        Some(pos) => (Some(&key[..pos]), &key[pos + 3..]),
        None => (None, key),
    };
    match rest.find('/') {
        Some(slash) => (scheme, &rest[..slash], Some(&rest[slash..])),
        None => (scheme, rest, None),
    }
}

/// The auths key for a registry a user typed (`--registry`, the wizard, a local docker
/// config's keys): a docker-login style `https://HOST/path` loses its scheme and path, and the
/// host becomes the registry THE runner model gives images under it
/// ([`crate::runner::name::parse_reference`]). Upper-case letters in the host are written in
/// lower case, with a note: host names are case-insensitive, but the runner's lookup is exact
/// and image references name registries in lower case (`Docker.io` as a key would only match
/// images written `Docker.io/...`, never `docker.io/...`).
pub fn registry_key_from_input(input: &str) -> Result<NormalizedKey, KeyError> {
    let original = input.trim().to_string();
    if original.is_empty() {
        return Err(KeyError::Empty);
    }
    let mut why = Vec::new();
    let (scheme, host, path) = split_registry_key(&original);
    if let Some(scheme) = scheme {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(KeyError::BadScheme(original.clone()));
        }
        why.push(format!(
            "the scheme {scheme}:// is dropped (the runner looks up host[:port] only)"
        ));
    }
    if let Some(path) = path {
        if path != "/" || !why.is_empty() {
            why.push(format!(
                "the path {path} is dropped (image registries are looked up without a path)"
            ));
        } else {
            why.push("the trailing / is dropped".to_string());
        }
    }
    if host.is_empty() {
        return Err(KeyError::Invalid(original.clone()));
    }
    let lowered = host.to_ascii_lowercase();
    if lowered != host {
        why.push(format!(
            "the host {host} is written in lower case (image references name registries in lower case and the runner's lookup is exact)"
        ));
    }
    let host = lowered.as_str();
    let registry = match crate::runner::name::parse_reference(&format!("{host}/ab/cd")) {
        Ok(r) => r.registry().to_string(),
        Err(_) => return Err(KeyError::Invalid(original.clone())),
    };
    if registry != host {
        if host == "docker.io" {
            why.push(format!(
                "docker.io is looked up as {DOCKER_HUB} (go-containerregistry's name for Docker Hub)"
            ));
        } else {
            return Err(KeyError::NotARegistry(host.to_string()));
        }
    }
    // Nothing can connect to a port outside 1-65535 (the library itself accepts any digits).
    let port = match registry.strip_prefix('[') {
        Some(v6) => v6.split_once(']').and_then(|(_, p)| p.strip_prefix(':')),
        None if registry.matches(':').count() > 1 => {
            return Err(KeyError::Invalid(original.clone()));
        }
        None => registry.split_once(':').map(|(_, p)| p),
    };
    if port.is_some_and(|p| p.parse::<u16>().map_or(true, |n| n == 0)) {
        return Err(KeyError::BadPort(original.clone()));
    }
    let changed = registry != original;
    if changed && why.is_empty() {
        why.push(format!("written as {registry}"));
    }
    Ok(NormalizedKey {
        key: registry,
        original,
        changed,
        why,
    })
}

/// The `.dockerconfigjson` bytes, byte-compatible with `kubectl create secret docker-registry`:
/// `{"auths":{KEY:{"username":..,"password":..,"email":..,"auth":..}}}`, empty fields left out,
/// keys in byte order, strings escaped as Go's `encoding/json` does. When a registry appears
/// twice the last entry wins.
pub fn to_dockerconfigjson(creds: &[RegistryCredential]) -> Vec<u8> {
    let mut by_key: BTreeMap<&str, &RegistryCredential> = BTreeMap::new();
    for c in creds {
        by_key.insert(c.registry.as_str(), c);
    }
    let mut out = String::from("{\"auths\":{");
    for (i, (key, c)) in by_key.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json_string(&mut out, key);
        out.push_str(":{");
        let auth = encode_auth(&c.username, &c.password);
        let fields: [(&str, &str); 4] = [
            ("username", &c.username),
            ("password", &c.password),
            ("email", c.email.as_deref().unwrap_or("")),
            ("auth", &auth),
        ];
        let mut first = true;
        for (name, value) in fields {
            if value.is_empty() {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
            go_json_string(&mut out, value);
        }
        out.push('}');
    }
    out.push_str("}}");
    out.into_bytes()
}

/// Append `s` as a JSON string literal exactly as Go's `encoding/json` (with HTML escaping,
/// the default) writes it.
pub fn go_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let n = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((n >> shift) & 0xf) as usize] as char);
                }
            }
            c if (c as u32) < 0x20 => {
                let n = c as u32;
                out.push_str("\\u00");
                out.push(HEX[(n >> 4) as usize] as char);
                out.push(HEX[(n & 0xf) as usize] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(reg: &str, user: &str, pass: &str, email: Option<&str>) -> RegistryCredential {
        RegistryCredential {
            registry: reg.into(),
            username: user.into(),
            password: pass.into(),
            email: email.map(Into::into),
        }
    }

    #[test]
    fn dockerconfigjson_matches_kubectl_bytes() {
        // Reference bytes produced by `kubectl create secret docker-registry` (v1.32).
        let got = to_dockerconfigjson(&[cred("a.io", "u", "p", Some("e@x"))]);
        assert_eq!(
            String::from_utf8(got).unwrap(),
            r#"{"auths":{"a.io":{"username":"u","password":"p","email":"e@x","auth":"dTpw"}}}"#
        );
        let got = to_dockerconfigjson(&[cred("a.io", "u", "p<>&\u{e9}", None)]);
        assert_eq!(
            String::from_utf8(got).unwrap(),
            r#"{"auths":{"a.io":{"username":"u","password":"p\u003c\u003e\u0026é","auth":"dTpwPD4mw6k="}}}"#
        );
        let got = to_dockerconfigjson(&[cred(
            "a.io",
            "u",
            "a\u{8}b\u{c}c\td\u{1}e\u{7f}\u{2028}/",
            None,
        )]);
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "{\"auths\":{\"a.io\":{\"username\":\"u\",\"password\":\"a\\bb\\fc\\td\\u0001e\u{7f}\\u2028/\",\"auth\":\"dTphCGIMYwlkAWV/4oCoLw==\"}}}"
        );
    }

    #[test]
    fn dockerconfigjson_sorts_keys_and_last_wins() {
        let got = to_dockerconfigjson(&[
            cred("z.io", "a", "b", None),
            cred("b.io:5000", "c", "d", None),
            cred("z.io", "e", "f", None),
        ]);
        let v: Value = serde_json::from_slice(&got).unwrap();
        let keys: Vec<_> = v["auths"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, vec!["b.io:5000", "z.io"]);
        assert_eq!(v["auths"]["z.io"]["username"], "e");
        // and it parses back to the same credentials
        let back = DockerConfig::parse(&got).unwrap();
        let c = back.auths["z.io"].credentials().unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("e", "f"));
    }

    #[test]
    fn keys_from_input_follow_the_runner_model() {
        let n = |s: &str| registry_key_from_input(s).unwrap();
        assert_eq!(n("ghcr.io").key, "ghcr.io");
        assert!(!n("ghcr.io").changed);
        assert!(n("ghcr.io").why.is_empty());
        assert_eq!(n("https://index.docker.io/v1/").key, "index.docker.io");
        assert!(n("https://index.docker.io/v1/").changed);
        assert_eq!(n("https://index.docker.io/v1/").why.len(), 2);
        assert_eq!(n("docker.io").key, "index.docker.io");
        assert_eq!(n("https://ghcr.io").key, "ghcr.io");
        // typed hosts are lower-cased (images name registries in lower case; the lookup is
        // exact, so `Docker.io` would never match `docker.io/...`)
        assert_eq!(n("http://LOCALHOST:5000/").key, "localhost:5000");
        assert_eq!(n("https://Docker.io/v1/").key, "index.docker.io");
        assert_eq!(n("GHCR.IO").key, "ghcr.io");
        assert!(n("GHCR.IO").changed);
        assert_eq!(
            n("  registry.example.com:5000/path/x ").key,
            "registry.example.com:5000"
        );
        assert_eq!(n("[::1]:5000").key, "[::1]:5000");
        assert_eq!(n("10.0.0.1:443").key, "10.0.0.1:443");
        assert_eq!(n("docker.io:443").key, "docker.io:443");
        assert!(!n("registry-1.docker.io").changed);
    }

    #[test]
    fn keys_from_input_refuse_what_never_matches() {
        assert_eq!(registry_key_from_input("  "), Err(KeyError::Empty));
        assert!(matches!(
            registry_key_from_input("ftp://x.io"),
            Err(KeyError::BadScheme(_))
        ));
        assert!(matches!(
            registry_key_from_input("x.io:99999"),
            Err(KeyError::BadPort(_))
        ));
        assert!(matches!(
            registry_key_from_input("x.io:abc"),
            Err(KeyError::Invalid(_))
        ));
        assert!(matches!(
            registry_key_from_input("u:p@x.io"),
            Err(KeyError::Invalid(_))
        ));
        assert!(matches!(
            registry_key_from_input("has space.io"),
            Err(KeyError::Invalid(_))
        ));
        assert!(matches!(
            registry_key_from_input("https:///x"),
            Err(KeyError::Invalid(_))
        ));
        // localhost/x is a Docker Hub image: the key "localhost" never matches
        assert!(matches!(
            registry_key_from_input("localhost"),
            Err(KeyError::NotARegistry(_))
        ));
    }

    #[test]
    fn parse_docker_and_podman_files() {
        let cfg = DockerConfig::parse(
            br#"{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"},"ghcr.io":{},
                "q.io":{"username":"a","password":"b","email":"m@x"}},
                "credsStore":"desktop","credHelpers":{"gcr.io":"gcloud"},"HttpHeaders":{"X":"y"}}"#,
        )
        .unwrap();
        assert_eq!(cfg.creds_store.as_deref(), Some("desktop"));
        assert_eq!(cfg.cred_helpers["gcr.io"], "gcloud");
        assert!(!cfg.auths["ghcr.io"].has_inline_credentials());
        let c = cfg.auths["https://index.docker.io/v1/"]
            .credentials()
            .unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p"));
        let c = cfg.auths["q.io"].credentials().unwrap();
        assert_eq!(c.username, "a");
        assert_eq!(
            cfg.registries(),
            vec!["gcr.io", "ghcr.io", "https://index.docker.io/v1/", "q.io"]
        );
        // podman auth.json has the same shape
        let p = DockerConfig::parse(br#"{"auths":{"quay.io":{"auth":"YTpi"}}}"#).unwrap();
        assert_eq!(p.auths["quay.io"].credentials().unwrap().password, "b");
    }

    #[test]
    fn parse_errors_never_echo_values() {
        let e = DockerConfig::parse(b"{\"auths\": {\"x\": {\"auth\": s3cr3t}}}").unwrap_err();
        assert!(matches!(e, DockerConfigError::NotJson(_)));
        assert!(!e.to_string().contains("s3cr3t"));
        let e = DockerConfig::parse(br#"{"auths":"s3cr3t"}"#).unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"));
        let e = DockerConfig::parse(br#"{"auths":{"x":{"auth":42}}}"#).unwrap_err();
        assert!(e.to_string().contains("\"auth\""));
        assert!(DockerConfig::parse(b"[]").is_err());
    }

    #[test]
    fn auth_decoding() {
        let e = |auth: &str| {
            AuthEntry {
                auth: Some(auth.into()),
                ..Default::default()
            }
            .credentials()
        };
        assert_eq!(e("not base64!"), Err(AuthDecodeError::NotBase64));
        assert_eq!(e("dXNlcg"), Err(AuthDecodeError::NotBase64)); // missing padding
        assert_eq!(e("dXNlcg=="), Err(AuthDecodeError::NoColon)); // "user"
        assert_eq!(e("//79"), Err(AuthDecodeError::NotUtf8));
        assert_eq!(e("dTpwOnE=").unwrap().password, "p:q"); // split at the first ':'
        // Go's StdEncoding skips CR/LF inside the value
        assert_eq!(e("dTpw\ndTpw").unwrap().password, "pu:p");
        assert_eq!(
            AuthEntry::default().credentials(),
            Err(AuthDecodeError::Missing)
        );
        assert_eq!(
            AuthEntry {
                identity_token: Some("t".into()),
                ..Default::default()
            }
            .credentials(),
            Err(AuthDecodeError::IdentityTokenOnly)
        );
        for err in [
            AuthDecodeError::NotBase64,
            AuthDecodeError::NoColon,
            AuthDecodeError::NotUtf8,
        ] {
            assert!(err.to_string().contains("base64 of user:password"));
        }
    }

    #[test]
    fn usernames_with_colons_are_refused() {
        assert!(validate_username("robot").is_ok());
        assert!(validate_username("robot$bot").is_ok());
        let e = validate_username("a:b").unwrap_err();
        assert!(e.contains("first ':'"));
        // why: the round trip through `auth` changes the pair
        let auth = encode_auth("a:b", "c");
        assert_eq!(decode_auth(&auth).unwrap(), ("a".into(), "b:c".into()));
    }

    #[test]
    fn debug_redacts() {
        let entry = AuthEntry {
            username: Some("robot".into()),
            password: Some("s3cr3t".into()),
            auth: Some("c2VjcmV0".into()),
            identity_token: Some("tok3n".into()),
            ..Default::default()
        };
        let d = format!("{entry:?}");
        assert!(d.contains("robot"));
        assert!(!d.contains("s3cr3t") && !d.contains("c2VjcmV0") && !d.contains("tok3n"));
        let c = cred("a.io", "u", "s3cr3t", None);
        assert!(!format!("{c:?}").contains("s3cr3t"));
        let c = entry.credentials();
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
