//! The runner's auth file, read exactly as the runner reads it.
//!
//! Porch `func/internal/podmanager.go` getCustomAuth: `json.Unmarshal(bytes, &DockerConfig)`
//! with `type DockerConfig struct { Auths map[string]authn.AuthConfig "json:\"auths\"" }`, then
//! `authn.FromConfig(Auths[ref.Context().RegistryStr()])`. So:
//! - Go `encoding/json` ([`crate::runner::gojson`]): the one field `auths` matched
//!   case-insensitively, every other field skipped, a repeated `auths` merged into the same
//!   map (a later `null` empties it), `null` anywhere fine, invalid UTF-8 replaced;
//! - go-containerregistry v0.20.6 `pkg/authn/authn.go` AuthConfig.UnmarshalJSON for each
//!   entry: fields `username`, `password`, `auth`, `identitytoken`, `registrytoken`; a
//!   non-empty `auth` is base64 (padded when it ends in `=` after TrimSpace, else unpadded;
//!   newlines ignored), need not be UTF-8, and must hold a `:`; its halves replace
//!   username/password. One bad entry fails the whole file;
//! - `pkg/v1/remote/transport/basic.go` RoundTrip decides the header ([`AuthConfig::credential`]).
//!
//! Pure: no I/O. Secrets never reach `Debug` output or errors.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::gojson::{Kind, Reader, SyntaxError, field_eq};

/// Go's `base64.StdEncoding` (padding required, trailing bits tolerated).
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);
/// Go's `base64.RawStdEncoding` (no padding allowed).
const GO_RAW: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// One `auths` entry after `AuthConfig.UnmarshalJSON`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// Bytes: from `auth` they need not be UTF-8.
    pub username: Vec<u8>,
    pub password: Vec<u8>,
    /// The `auth` field as written.
    pub auth: String,
    pub identity_token: String,
    pub registry_token: String,
    /// The `username` field as written (not Go's: kept to explain what `auth` replaced).
    pub written_username: String,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |b: bool| if b { "<set>" } else { "<empty>" };
        f.debug_struct("AuthConfig")
            .field("username", &String::from_utf8_lossy(&self.username))
            .field("password", &set(!self.password.is_empty()))
            .field("auth", &set(!self.auth.is_empty()))
            .field("identity_token", &set(!self.identity_token.is_empty()))
            .field("registry_token", &set(!self.registry_token.is_empty()))
            .finish()
    }
}

/// What the runner sends to the registry (or its token endpoint) for an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <registrytoken>`.
    Bearer,
    /// `Authorization: Basic ...` for this user (lossy text when not UTF-8). `from_auth_only`:
    /// user or password is empty, so basic.go's last branch sends the `auth` value as is.
    Basic {
        username: String,
        from_auth_only: bool,
    },
    /// Only an `identitytoken`: exchanged (OAuth2 refresh) at a Bearer token endpoint;
    /// a registry with a Basic challenge gets no header.
    IdentityToken,
    /// No header at all (anonymous), e.g. a username without a password.
    None,
}

impl Credential {
    /// `basic`, `bearer` or `none` (an identity token ends as a bearer token).
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Bearer | Credential::IdentityToken => "bearer",
            Credential::Basic { .. } => "basic",
            Credential::None => "none",
        }
    }
    pub fn username(&self) -> Option<&str> {
        match self {
            Credential::Basic { username, .. } => Some(username),
            _ => None,
        }
    }
}

impl AuthConfig {
    /// basic.go RoundTrip: `registrytoken` as Bearer; Basic when username AND password are
    /// non-empty; else Basic with the raw `auth` when it is non-empty; else nothing.
    /// (bearer.go refresh: the identity token is used at the token endpoint.)
    pub fn credential(&self) -> Credential {
        if !self.registry_token.is_empty() {
            return Credential::Bearer;
        }
        let username = String::from_utf8_lossy(&self.username).into_owned();
        if !self.username.is_empty() && !self.password.is_empty() {
            return Credential::Basic {
                username,
                from_auth_only: false,
            };
        }
        if !self.auth.is_empty() {
            return Credential::Basic {
                username,
                from_auth_only: true,
            };
        }
        if !self.identity_token.is_empty() {
            return Credential::IdentityToken;
        }
        Credential::None
    }
}

/// The parsed file: `Auths` (absent and `null` are the same: no entries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthFile {
    pub auths: BTreeMap<String, AuthConfig>,
}

/// Why `json.Unmarshal` fails on the file. Never carries a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFileError {
    #[error("is not valid JSON: {0}")]
    Syntax(SyntaxError),
    /// An `UnmarshalTypeError`: `value` is Go's kind name, `target` the Go type/field.
    #[error("json: cannot unmarshal {value} into {target}")]
    Type { value: &'static str, target: String },
    /// `AuthConfig.UnmarshalJSON`'s `unable to decode auth field`.
    #[error("auths entry {key:?}: unable to decode auth field: {why}")]
    Auth { key: String, why: AuthDecodeError },
}

/// Why an `auth` value does not decode (decodeDockerConfigFieldAuth).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthDecodeError {
    #[error("illegal base64 data at input byte {0}")]
    Base64(usize),
    #[error("must be formatted as base64(username:password)")]
    NoColon,
}

/// decodeDockerConfigFieldAuth: padded when `TrimSpace(field)` ends in `=`, else unpadded;
/// Go's decoder skips `\r` and `\n` anywhere. Returns (username, password) bytes.
pub fn decode_auth(field: &str) -> Result<(Vec<u8>, Vec<u8>), AuthDecodeError> {
    let padded = field.trim().ends_with('=');
    let cleaned: Vec<u8> = field
        .bytes()
        .filter(|b| *b != b'\r' && *b != b'\n')
        .collect();
    let engine = if padded { &GO_STD } else { &GO_RAW };
    let decoded = engine.decode(&cleaned).map_err(|e| {
        let at = match e {
            base64::DecodeError::InvalidByte(i, _)
            | base64::DecodeError::InvalidLastSymbol(i, _) => i,
            _ => cleaned.len(),
        };
        AuthDecodeError::Base64(at)
    })?;
    match decoded.iter().position(|b| *b == b':') {
        Some(i) => Ok((decoded[..i].to_vec(), decoded[i + 1..].to_vec())),
        None => Err(AuthDecodeError::NoColon),
    }
}

/// The first type error is kept and decoding goes on (Go's `saveError`); a failing
/// `UnmarshalJSON` stops at once and wins.
struct Saved(Option<AuthFileError>);

impl Saved {
    fn save(&mut self, e: AuthFileError) {
        if self.0.is_none() {
            self.0 = Some(e);
        }
    }
}

impl AuthFile {
    /// `json.Unmarshal(bytes, &podmanager.DockerConfig)`.
    pub fn parse(bytes: &[u8]) -> Result<AuthFile, AuthFileError> {
        let mut r = Reader::new(bytes).map_err(AuthFileError::Syntax)?;
        let mut saved = Saved(None);
        let mut auths: Option<BTreeMap<String, AuthConfig>> = None;
        match r.peek() {
            Kind::Null => {}
            Kind::Object => r.members(|r, key| {
                if !field_eq(&key, "auths") {
                    r.skip();
                    return Ok(());
                }
                match r.peek() {
                    // literalStore: null sets a map to nil
                    Kind::Null => {
                        r.skip();
                        auths = None;
                    }
                    Kind::Object => {
                        let map = auths.get_or_insert_with(BTreeMap::new);
                        r.members(|r, registry| {
                            let entry = unmarshal_auth_config(r, &registry)?;
                            // a repeated key replaces the entry (mapElem is zeroed first)
                            map.insert(registry, entry);
                            Ok(())
                        })?;
                    }
                    other => {
                        saved.save(AuthFileError::Type {
                            value: other.go_name(),
                            target: "Go struct field DockerConfig.auths of type map[string]authn.AuthConfig".into(),
                        });
                        r.skip();
                    }
                }
                Ok(())
            })?,
            other => saved.save(AuthFileError::Type {
                value: other.go_name(),
                target: "Go value of type internal.DockerConfig".into(),
            }),
        }
        if let Some(e) = saved.0 {
            return Err(e);
        }
        Ok(AuthFile {
            auths: auths.unwrap_or_default(),
        })
    }

    /// The entry the runner uses for a registry: an exact map lookup.
    pub fn lookup(&self, registry: &str) -> Option<&AuthConfig> {
        self.auths.get(registry)
    }
}

/// The credential-helper fields docker writes (`credsStore`, `credHelpers`), which the
/// runner ignores: read leniently (Go's field folding; values of other types are skipped),
/// only to explain why an entry is empty. Empty when the file is not valid JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Helpers {
    pub creds_store: Option<String>,
    pub cred_helpers: BTreeMap<String, String>,
}

pub fn helpers(bytes: &[u8]) -> Helpers {
    let mut out = Helpers::default();
    let Ok(mut r) = Reader::new(bytes) else {
        return out;
    };
    if r.peek() != Kind::Object {
        return out;
    }
    let _ = r.members(|r, key| {
        if field_eq(&key, "credsStore") && r.peek() == Kind::String {
            out.creds_store = Some(r.string()).filter(|s| !s.is_empty());
        } else if field_eq(&key, "credHelpers") && r.peek() == Kind::Object {
            r.members(|r, reg| {
                if r.peek() == Kind::String {
                    let h = r.string();
                    out.cred_helpers.insert(reg, h);
                } else {
                    r.skip();
                }
                Ok::<(), ()>(())
            })?;
        } else {
            r.skip();
        }
        Ok::<(), ()>(())
    });
    out
}

/// `AuthConfig.UnmarshalJSON(raw)`: an inner `json.Unmarshal` into the shadow struct, then
/// the `auth` decode. Any error here fails the outer Unmarshal.
fn unmarshal_auth_config(r: &mut Reader<'_>, registry: &str) -> Result<AuthConfig, AuthFileError> {
    let mut a = AuthConfig::default();
    let mut inner = Saved(None);
    match r.peek() {
        Kind::Null => r.skip(),
        Kind::Object => {
            let mut username = String::new();
            let mut password = String::new();
            r.members(|r, key| {
                const FIELDS: [&str; 5] =
                    ["username", "password", "auth", "identitytoken", "registrytoken"];
                let Some(field) = FIELDS.iter().find(|f| field_eq(&key, f)) else {
                    r.skip();
                    return Ok::<(), AuthFileError>(());
                };
                match r.peek() {
                    Kind::String => {
                        let v = r.string();
                        match *field {
                            "username" => username = v,
                            "password" => password = v,
                            "auth" => a.auth = v,
                            "identitytoken" => a.identity_token = v,
                            _ => a.registry_token = v,
                        }
                    }
                    Kind::Null => r.skip(),
                    other => {
                        inner.save(AuthFileError::Type {
                            value: other.go_name(),
                            target: format!(
                                "Go struct field authConfig.{field} of type string (auths entry {registry:?})"
                            ),
                        });
                        r.skip();
                    }
                }
                Ok(())
            })?;
            a.written_username.clone_from(&username);
            a.username = username.into_bytes();
            a.password = password.into_bytes();
        }
        other => {
            inner.save(AuthFileError::Type {
                value: other.go_name(),
                target: format!("Go value of type authn.authConfig (auths entry {registry:?})"),
            });
            r.skip();
        }
    }
    if let Some(e) = inner.0 {
        return Err(e);
    }
    if !a.auth.is_empty() {
        let (u, p) = decode_auth(&a.auth).map_err(|why| AuthFileError::Auth {
            key: registry.to_string(),
            why,
        })?;
        a.username = u;
        a.password = p;
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<AuthFile, AuthFileError> {
        AuthFile::parse(s.as_bytes())
    }
    fn cred(file: &str, key: &str) -> Credential {
        parse(file).unwrap().lookup(key).unwrap().credential()
    }
    fn basic(u: &str) -> Credential {
        Credential::Basic {
            username: u.into(),
            from_auth_only: false,
        }
    }

    // Expected values: Porch podmanager.go:getCustomAuth (json.Unmarshal into DockerConfig),
    // go-containerregistry v0.20.6 authn.go:AuthConfig.UnmarshalJSON and
    // decodeDockerConfigFieldAuth, transport/basic.go:basicTransport.RoundTrip, and Go's
    // encoding/json decode.go (object, literalStore, indirect) and fold.go.

    #[test]
    fn files_go_accepts() {
        // "dTpw" = base64("u:p") unpadded; "dTpwcQ==" = "u:pq" padded
        assert_eq!(
            cred(r#"{"auths":{"r.io":{"auth":"dTpw"}}}"#, "r.io"),
            basic("u")
        );
        assert_eq!(
            cred(r#"{"auths":{"r.io":{"auth":"dTpwcQ=="}}}"#, "r.io"),
            basic("u")
        );
        // newlines inside auth are skipped by Go's base64 decoder
        assert_eq!(
            cred("{\"auths\":{\"r.io\":{\"auth\":\"dT\\npw\"}}}", "r.io"),
            basic("u")
        );
        // non-UTF-8 bytes in auth: "/y5wOnA=" decodes to ff 2e 70 3a 70 ("\xff.p:p")
        let f = parse(r#"{"auths":{"r.io":{"auth":"/y5wOnA="}}}"#).unwrap();
        assert_eq!(f.auths["r.io"].username, vec![0xff, 0x2e, 0x70]);
        assert_eq!(f.auths["r.io"].password, b"p");
        // a number in email, credHelpers as an array, deep unknown nesting, 1e400
        let deep = format!("{}1{}", "[".repeat(9_000), "]".repeat(9_000));
        let file = format!(
            r#"{{"auths":{{"r.io":{{"username":"u","password":"p","email":5}}}},"credHelpers":[1],"x":{deep},"y":1e400,"credsStore":{{}}}}"#
        );
        assert_eq!(cred(&file, "r.io"), basic("u"));
        // null entry, null auths, top-level null
        assert_eq!(cred(r#"{"auths":{"r.io":null}}"#, "r.io"), Credential::None);
        assert!(parse(r#"{"auths":null}"#).unwrap().auths.is_empty());
        assert!(parse("null").unwrap().auths.is_empty());
        assert!(parse(r#"{"auths":{"r.io":{"username":null,"auth":null}}}"#).is_ok());
        // invalid UTF-8 in a key becomes U+FFFD (one per byte)
        let f = AuthFile::parse(b"{\"auths\":{\"r\xff.io\":{}}}").unwrap();
        assert!(f.auths.contains_key("r\u{FFFD}.io"));
    }

    #[test]
    fn field_names_fold_and_repeats_merge() {
        assert_eq!(
            cred(
                r#"{"Auths":{"r.io":{"Username":"u","PASSWORD":"p"}}}"#,
                "r.io"
            ),
            basic("u")
        );
        // a repeated auths object merges into the same map
        let f = parse(r#"{"auths":{"a.io":{"auth":"dTpw"}},"AUTHS":{"b.io":{"auth":"dTpw"}}}"#)
            .unwrap();
        assert_eq!(f.auths.len(), 2);
        // ...and a later null empties it
        assert!(
            parse(r#"{"auths":{"a.io":{}},"auths":null}"#)
                .unwrap()
                .auths
                .is_empty()
        );
        // a repeated key inside auths replaces the entry entirely
        let f =
            parse(r#"{"auths":{"a.io":{"username":"u","password":"p"},"a.io":{"username":"v"}}}"#)
                .unwrap();
        assert_eq!(f.auths["a.io"].credential(), Credential::None);
        // repeated field inside an entry: last wins (even an empty auth)
        assert_eq!(
            cred(
                r#"{"auths":{"a.io":{"auth":"!!","auth":"","username":"u","password":"p"}}}"#,
                "a.io"
            ),
            basic("u")
        );
        // keys of the map are exact (no folding): lookups are by RegistryStr
        assert!(
            parse(r#"{"auths":{"GHCR.IO":{}}}"#)
                .unwrap()
                .lookup("ghcr.io")
                .is_none()
        );
    }

    #[test]
    fn which_header_is_sent() {
        // registrytoken first, even with auth
        assert_eq!(
            cred(
                r#"{"auths":{"a":{"auth":"dTpw","registrytoken":"t"}}}"#,
                "a"
            ),
            Credential::Bearer
        );
        // username without password (and the reverse): no header
        assert_eq!(
            cred(r#"{"auths":{"a":{"username":"u"}}}"#, "a"),
            Credential::None
        );
        assert_eq!(
            cred(r#"{"auths":{"a":{"password":"p"}}}"#, "a"),
            Credential::None
        );
        // auth "u:" (dTo=): username u, empty password, but Auth is set: Basic <auth>
        assert_eq!(
            cred(r#"{"auths":{"a":{"auth":"dTo="}}}"#, "a"),
            Credential::Basic {
                username: "u".into(),
                from_auth_only: true
            }
        );
        // auth wins over the fields
        assert_eq!(
            cred(
                r#"{"auths":{"a":{"auth":"dTpw","username":"x","password":"y"}}}"#,
                "a"
            ),
            basic("u")
        );
        assert_eq!(
            cred(r#"{"auths":{"a":{"identitytoken":"t"}}}"#, "a"),
            Credential::IdentityToken
        );
        assert_eq!(cred(r#"{"auths":{"a":{}}}"#, "a"), Credential::None);
    }

    #[test]
    fn files_go_refuses() {
        // one malformed auth fails the whole file
        let e = parse(r#"{"auths":{"a":{"auth":"dTpw"},"b":{"auth":"not base64!"}}}"#).unwrap_err();
        assert!(
            matches!(e, AuthFileError::Auth { ref key, .. } if key == "b"),
            "{e:?}"
        );
        assert!(matches!(
            parse(r#"{"auths":{"b":{"auth":"dXNlcg=="}}}"#),
            Err(AuthFileError::Auth {
                why: AuthDecodeError::NoColon,
                ..
            })
        ));
        // padded value with wrong padding / unpadded value with '='
        assert!(parse(r#"{"auths":{"b":{"auth":"dTpwc="}}}"#).is_err());
        assert!(parse(r#"{"auths":{"b":{"auth":"dTp"}}}"#).is_ok()); // "u:" raw
        assert!(parse(r#"{"auths":{"b":{"auth":"d"}}}"#).is_err());
        // a trailing space after '=' selects the padded decoder, which refuses the space
        assert!(parse(r#"{"auths":{"b":{"auth":"dTpwcQ== "}}}"#).is_err());
        // type errors
        assert!(matches!(
            parse(r#"{"auths":"x"}"#),
            Err(AuthFileError::Type {
                value: "string",
                ..
            })
        ));
        assert!(matches!(
            parse(r#"{"auths":{"a":"x"}}"#),
            Err(AuthFileError::Type { .. })
        ));
        assert!(matches!(
            parse(r#"{"auths":{"a":{"username":5}}}"#),
            Err(AuthFileError::Type {
                value: "number",
                ..
            })
        ));
        assert!(matches!(
            parse("[]"),
            Err(AuthFileError::Type { value: "array", .. })
        ));
        assert!(matches!(parse("\"x\""), Err(AuthFileError::Type { .. })));
        // syntax and depth
        assert!(matches!(parse(""), Err(AuthFileError::Syntax(_))));
        assert!(matches!(parse("{} {}"), Err(AuthFileError::Syntax(_))));
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(parse(&deep), Err(AuthFileError::Syntax(_))));
        // a syntax error wins over an earlier type error (checkValid runs first)
        assert!(matches!(
            parse(r#"{"auths":"x",}"#),
            Err(AuthFileError::Syntax(_))
        ));
    }

    #[test]
    fn errors_and_debug_never_show_secrets() {
        let e = parse(r#"{"auths":{"a":{"auth":"s3cr3t!!"}}}"#).unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"));
        let f = parse(
            r#"{"auths":{"a":{"username":"robot","password":"s3cr3t","registrytoken":"t0k3n"}}}"#,
        )
        .unwrap();
        let d = format!("{f:?}");
        assert!(d.contains("robot") && !d.contains("s3cr3t") && !d.contains("t0k3n"));
    }
}
