//! The parts of an OCI image a function run needs, as values shared by the edges that make
//! them (`registry` pulls, `krm::image` reads an OCI layout, the run cache) and the one that
//! uses them (`sandbox`): the image config and the layer blobs on disk; and THE reader of an
//! image config blob ([`parse_config`]), shared by both edges. Pure.

use std::path::PathBuf;

use serde::Serialize;

use crate::runner::gojson::{Kind, Reader, SyntaxError, field_eq};

/// The parts of an image config that matter to running a function (one type for a registry
/// pull and an OCI layout).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImageConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
}

/// One layer blob on disk, as the registry cache hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSource {
    /// `sha256:...` of the (compressed) blob.
    pub digest: String,
    /// OCI or Docker layer media type.
    pub media_type: String,
    /// Verified blob file.
    pub path: PathBuf,
}

/// An image config blob as go-containerregistry v0.20.6 reads it (`v1.ParseConfigFile`:
/// `json.NewDecoder(r).Decode(&ConfigFile{})`, which the runner calls through
/// `img.ConfigFile()` for a function's entrypoint): the fields a run needs, and the
/// platform the config names, as written (no default: the library gives none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    pub config: ImageConfig,
    /// `os` (`""` when the config names none).
    pub os: String,
    /// `architecture` (`""` when the config names none).
    pub architecture: String,
    /// `variant` (`""` when none).
    pub variant: String,
}

impl ConfigFile {
    /// `os/architecture[/variant]`, as a pull reports it; `""` when the config names none.
    pub fn platform(&self) -> String {
        if self.os.is_empty() && self.architecture.is_empty() && self.variant.is_empty() {
            return String::new();
        }
        let mut p = format!("{}/{}", self.os, self.architecture);
        if !self.variant.is_empty() {
            p.push('/');
            p.push_str(&self.variant);
        }
        p
    }
}

/// Why a config blob does not parse, in `encoding/json`'s words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Not JSON (only the first value counts: Go's Decoder reads no further).
    Syntax(SyntaxError),
    /// `json: cannot unmarshal VALUE into TARGET` (the first one; decoding goes on).
    Type { value: &'static str, target: String },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Syntax(e) => write!(f, "image config is not valid JSON: {e}"),
            ConfigError::Type { value, target } => {
                write!(
                    f,
                    "image config: json: cannot unmarshal {value} into {target}"
                )
            }
        }
    }
}

/// Decode the next value as a Go `string` field: a string sets it, `null` leaves it, any
/// other value is a type error (kept if it is the first) and leaves it.
fn go_string(r: &mut Reader<'_>, into: &mut String, target: &str, err: &mut Option<ConfigError>) {
    match r.peek() {
        Kind::String => *into = r.string(),
        Kind::Null => r.skip(),
        other => {
            err.get_or_insert(ConfigError::Type {
                value: other.go_name(),
                target: target.to_string(),
            });
            r.skip();
        }
    }
}

/// Decode the next value as a Go `[]string` field: `null` empties it, an array replaces it
/// (a `null` element is `""`, another non-string element a type error and `""`), any other
/// value is a type error and leaves it.
fn go_strings(
    r: &mut Reader<'_>,
    into: &mut Vec<String>,
    field: &str,
    err: &mut Option<ConfigError>,
) {
    match r.peek() {
        Kind::Null => {
            r.skip();
            into.clear();
        }
        Kind::Array => {
            into.clear();
            r.elements(|r| {
                let mut v = String::new();
                go_string(r, &mut v, &format!("{field} of type string"), err);
                into.push(v);
            });
        }
        other => {
            err.get_or_insert(ConfigError::Type {
                value: other.go_name(),
                target: format!("{field} of type []string"),
            });
            r.skip();
        }
    }
}

/// Parse an image config blob with `encoding/json`'s rules (the one reader of them for a
/// registry pull and an OCI layout): keys match exactly, else case-insensitively; a repeated
/// key wins; `null` leaves a string and empties a list; a value of the wrong type fails the
/// whole parse (the first such error is reported); unknown fields are skipped; invalid UTF-8
/// becomes U+FFFD; only the first JSON value is read.
pub fn parse_config(bytes: &[u8]) -> Result<ConfigFile, ConfigError> {
    let mut r = Reader::first_value(bytes).map_err(ConfigError::Syntax)?;
    let mut cf = ConfigFile::default();
    let mut err = None;
    match r.peek() {
        Kind::Null => r.skip(),
        Kind::Object => {
            let _ = r.members(|r, key| {
                let field =
                    |name: &str| format!("Go struct field ConfigFile.{name} of type string");
                if field_eq(&key, "architecture") {
                    go_string(r, &mut cf.architecture, &field("architecture"), &mut err);
                } else if field_eq(&key, "os") {
                    go_string(r, &mut cf.os, &field("os"), &mut err);
                } else if field_eq(&key, "variant") {
                    go_string(r, &mut cf.variant, &field("variant"), &mut err);
                } else if field_eq(&key, "config") {
                    match r.peek() {
                        // A struct (not a pointer): null leaves it.
                        Kind::Null => r.skip(),
                        Kind::Object => {
                            let c = &mut cf.config;
                            let _ = r.members(|r, key| {
                                let target =
                                    |name: &str| format!("Go struct field Config.config.{name}");
                                if field_eq(&key, "Entrypoint") {
                                    go_strings(
                                        r,
                                        &mut c.entrypoint,
                                        &target("Entrypoint"),
                                        &mut err,
                                    );
                                } else if field_eq(&key, "Cmd") {
                                    go_strings(r, &mut c.cmd, &target("Cmd"), &mut err);
                                } else if field_eq(&key, "Env") {
                                    go_strings(r, &mut c.env, &target("Env"), &mut err);
                                } else if field_eq(&key, "WorkingDir") {
                                    go_string(
                                        r,
                                        &mut c.working_dir,
                                        &format!("{} of type string", target("WorkingDir")),
                                        &mut err,
                                    );
                                } else if field_eq(&key, "User") {
                                    go_string(
                                        r,
                                        &mut c.user,
                                        &format!("{} of type string", target("User")),
                                        &mut err,
                                    );
                                } else {
                                    r.skip();
                                }
                                Ok::<(), ()>(())
                            });
                        }
                        other => {
                            err.get_or_insert(ConfigError::Type {
                                value: other.go_name(),
                                target: "Go struct field ConfigFile.config of type v1.Config"
                                    .into(),
                            });
                            r.skip();
                        }
                    }
                } else {
                    r.skip();
                }
                Ok::<(), ()>(())
            });
        }
        other => {
            err = Some(ConfigError::Type {
                value: other.go_name(),
                target: "Go value of type v1.ConfigFile".into(),
            });
        }
    }
    match err {
        Some(e) => Err(e),
        None => Ok(cf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> ConfigFile {
        parse_config(s.as_bytes()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    // Expected values: go-containerregistry v0.20.6 `v1.ParseConfigFile` (a json.Decoder
    // into `ConfigFile`/`Config`, `json:"architecture"`, `json:"Entrypoint,omitempty"`, ...)
    // under Go's encoding/json rules.

    #[test]
    fn the_fields_a_run_needs() {
        let c = ok(
            r#"{"architecture":"arm","os":"linux","variant":"v7","config":{"Entrypoint":["/fn"],"Env":["A=1"],"WorkingDir":"/w","User":"65534"},"rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":"x"}]}"#,
        );
        assert_eq!(c.platform(), "linux/arm/v7");
        assert_eq!(c.config.entrypoint, ["/fn"]);
        assert!(c.config.cmd.is_empty());
        assert_eq!(c.config.env, ["A=1"]);
        assert_eq!(
            (c.config.working_dir.as_str(), c.config.user.as_str()),
            ("/w", "65534")
        );
    }

    #[test]
    fn no_platform_default() {
        // The library gives none: os and architecture stay empty.
        let c = ok(r#"{"config":{"Cmd":["/fn"]}}"#);
        assert_eq!((c.os.as_str(), c.architecture.as_str()), ("", ""));
        assert_eq!(c.platform(), "");
        assert_eq!(ok("null"), ConfigFile::default());
        assert_eq!(ok("{}"), ConfigFile::default());
    }

    #[test]
    fn go_json_rules() {
        // Keys fold case; the last of a repeated key wins; null leaves a string, empties a list.
        let c = ok(
            r#"{"OS":"linux","Architecture":"amd64","config":{"entrypoint":["/a"],"ENTRYPOINT":["/b"],"user":"1","User":null,"Cmd":["x"],"cmd":null}}"#,
        );
        assert_eq!(c.platform(), "linux/amd64");
        assert_eq!(c.config.entrypoint, ["/b"]);
        assert_eq!(c.config.user, "1");
        assert!(c.config.cmd.is_empty());
        // A null element is "", invalid UTF-8 is U+FFFD, unknown fields of any type are skipped.
        let c = parse_config(b"{\"config\":{\"Entrypoint\":[\"/fn\",null,\"\xff\"],\"Labels\":{\"a\":[1,{}]}},\"x\":1e400}").unwrap();
        assert_eq!(c.config.entrypoint, ["/fn", "", "\u{fffd}"]);
        // Only the first value is read (a Decoder, not Unmarshal).
        assert_eq!(ok(r#"{"os":"linux"} trailing garbage"#).os, "linux");
        assert_eq!(ok("{\"config\":null}").config, ImageConfig::default());
    }

    #[test]
    fn a_wrong_type_fails_the_whole_config() {
        let e = |s: &str| parse_config(s.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            e(r#"{"config":{"Entrypoint":"/fn"}}"#),
            "image config: json: cannot unmarshal string into Go struct field Config.config.Entrypoint of type []string"
        );
        assert_eq!(
            e(r#"{"config":{"Cmd":["/fn",1]}}"#),
            "image config: json: cannot unmarshal number into Go struct field Config.config.Cmd of type string"
        );
        assert_eq!(
            e(r#"{"architecture":64}"#),
            "image config: json: cannot unmarshal number into Go struct field ConfigFile.architecture of type string"
        );
        assert_eq!(
            e(r#"{"config":[]}"#),
            "image config: json: cannot unmarshal array into Go struct field ConfigFile.config of type v1.Config"
        );
        assert_eq!(
            e("[]"),
            "image config: json: cannot unmarshal array into Go value of type v1.ConfigFile"
        );
        // The first type error is the one reported, though decoding goes on.
        assert!(e(r#"{"os":1,"config":{"User":2}}"#).contains("ConfigFile.os"));
        // Syntax: in the first value only; an empty blob is EOF.
        assert!(e(r#"{"os":"linux",}"#).starts_with("image config is not valid JSON"));
        assert!(e("  ").contains("EOF"));
    }
}
