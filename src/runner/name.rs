//! Image references exactly as go-containerregistry v0.20.6 `pkg/name` parses them (the
//! runner's library on Porch main and v1.5.8), and the registry rules that follow from them.
//!
//! [`parse_reference`] is THE answer to "what is the registry of this image" in this tool:
//! every other place (the runner model, pull, run, the lint's key rule, the probe) asks it.
//!
//! Read from upstream (pkg/name at v0.20.6): `ref.go` ParseReference (a tag first, else a
//! digest, else "could not parse reference: S"), `tag.go` NewTag, `digest.go` NewDigest,
//! `repository.go` NewRepository (the first part is a registry iff it holds `.` or `:`;
//! 2-255 characters of `a-z0-9_-./`), `registry.go` NewRegistry/checkRegistry
//! (`url.Parse("//"+name)` and `Host == name`; `docker.io` -> `index.docker.io`) and
//! `Registry.Scheme` (plain HTTP), `check.go` checkElement, `options.go` defaults.
//! Go's `net/url` is the one of Go 1.25.7 (Porch's go.mod), `net/netip` ParseAddr for IPv6.
//!
//! Pure: no I/O.

use std::fmt;

/// `name.DefaultRegistry`: Docker Hub, and the registry of every name without one.
pub const DOCKER_HUB: &str = "index.docker.io";
/// `name.DefaultTag`.
pub const DEFAULT_TAG: &str = "latest";
const DOCKER_HUB_ALIAS: &str = "docker.io";
const REPOSITORY_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-./";
const TAG_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-.ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// What the reference names inside its repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    Tag(String),
    /// `sha256:` and 64 lower-case hex digits.
    Digest(String),
}

/// A parsed reference (`name.Tag` or `name.Digest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    original: String,
    registry: String,
    /// The repository as parsed (before the implicit `library/`).
    repository: String,
    identifier: Identifier,
}

/// Why a name does not parse. `Display` is the library's own error text (ParseReference's);
/// [`NameError::reason`] is the more specific NewTag/NewDigest reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub input: String,
    pub reason: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not parse reference: {}", self.input)
    }
}

impl std::error::Error for NameError {}

type R<T> = Result<T, String>;

/// `name.ParseReference(s)` with the default (weak) options.
pub fn parse_reference(s: &str) -> Result<Reference, NameError> {
    let tag_err = match new_tag(s) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    let digest_err = match new_digest(s) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    Err(NameError {
        input: s.to_string(),
        reason: if s.contains('@') { digest_err } else { tag_err },
    })
}

/// Whether an auth-file key can ever be looked up: some parseable image has exactly this
/// registry. Equivalent to `ParseReference(KEY + "/ab/cd")` having registry KEY (the
/// registry of a name never holds `/`, and `ab/cd` is a valid repository).
pub fn key_can_match(key: &str) -> bool {
    parse_reference(&format!("{key}/ab/cd")).is_ok_and(|r| r.registry == key)
}

impl Reference {
    /// `RegistryStr()`: host[:port] exactly as written (`index.docker.io` for Docker Hub). This
    /// is the key the runner looks up in its auth file.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// `RepositoryStr()`: with `library/` for single-component Docker Hub names.
    pub fn repository(&self) -> String {
        if !self.repository.contains('/') && self.registry == DOCKER_HUB {
            format!("library/{}", self.repository)
        } else {
            self.repository.clone()
        }
    }

    pub fn identifier(&self) -> &Identifier {
        &self.identifier
    }

    /// The tag (`latest` when none was given), unless the reference is a digest.
    pub fn tag(&self) -> Option<&str> {
        match &self.identifier {
            Identifier::Tag(t) => Some(t),
            Identifier::Digest(_) => None,
        }
    }

    pub fn digest(&self) -> Option<&str> {
        match &self.identifier {
            Identifier::Digest(d) => Some(d),
            Identifier::Tag(_) => None,
        }
    }

    /// `Name()`: registry/repository:tag or registry/repository@digest.
    pub fn name(&self) -> String {
        match &self.identifier {
            Identifier::Tag(t) => format!("{}/{}:{t}", self.registry, self.repository()),
            Identifier::Digest(d) => format!("{}/{}@{d}", self.registry, self.repository()),
        }
    }

    /// The string as given (`String()`).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Whether the library also tries plain HTTP for this registry (`Registry.Scheme()`).
    pub fn tries_plain_http(&self) -> bool {
        registry_tries_plain_http(&self.registry)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// `checkElement`: length in runes, then the allowed characters.
fn check_element(what: &str, element: &str, allowed: &str, min: usize, max: usize) -> R<()> {
    let n = element.chars().count();
    if n < min || n > max {
        return Err(format!(
            "{what} must be between {min} and {max} characters in length: {element}"
        ));
    }
    if element.chars().any(|c| !allowed.contains(c)) {
        return Err(format!(
            "{what} can only contain the characters `{allowed}`: {element}"
        ));
    }
    Ok(())
}

/// `NewTag`.
fn new_tag(name: &str) -> R<Reference> {
    let mut base = name;
    let mut tag = "";
    if let Some(i) = name.rfind(':')
        && !name[i + 1..].contains('/')
    {
        base = &name[..i];
        tag = &name[i + 1..];
        if tag.is_empty() {
            return Err(format!("{name} must specify a tag name after the colon"));
        }
    }
    if !tag.is_empty() {
        check_element("tag", tag, TAG_CHARS, 1, 128)?;
    }
    let tag = if tag.is_empty() { DEFAULT_TAG } else { tag };
    let (registry, repository) = new_repository(base)?;
    Ok(Reference {
        original: name.to_string(),
        registry,
        repository,
        identifier: Identifier::Tag(tag.to_string()),
    })
}

/// `NewDigest`.
fn new_digest(name: &str) -> R<Reference> {
    let parts: Vec<&str> = name.split('@').collect();
    if parts.len() != 2 {
        return Err(format!(
            "a digest must contain exactly one '@' separator (e.g. registry/repository@digest) saw: {name}"
        ));
    }
    let (base, dig) = (parts[0], parts[1]);
    let Some(hex) = dig.strip_prefix("sha256:") else {
        return Err(format!("unsupported digest algorithm: {dig}"));
    };
    // go-digest Algorithm.Validate: length first, then ^[a-f0-9]{64}$
    if hex.len() != 64 {
        return Err("invalid checksum digest length".into());
    }
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err("invalid checksum digest format".into());
    }
    // A tag in the base is dropped: the repository of NewTag(base) is re-parsed.
    let base_name = match new_tag(base) {
        Ok(t) => format!("{}/{}", t.registry, t.repository()),
        Err(_) => base.to_string(),
    };
    let (registry, repository) = new_repository(&base_name)?;
    Ok(Reference {
        original: name.to_string(),
        registry,
        repository,
        identifier: Identifier::Digest(dig.to_string()),
    })
}

/// `NewRepository`: (registry, repository as given).
fn new_repository(name: &str) -> R<(String, String)> {
    if name.is_empty() {
        return Err("a repository name must be specified".into());
    }
    let (registry, repo) = match name.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') => (first, rest),
        _ => ("", name),
    };
    check_element("repository", repo, REPOSITORY_CHARS, 2, 255)?;
    let registry = new_registry(registry)?;
    Ok((registry, repo.to_string()))
}

/// `NewRegistry`: checkRegistry, then the default registry and the docker.io rewrite.
fn new_registry(name: &str) -> R<String> {
    if let Err(why) = check_registry(name) {
        return Err(format!(
            "registries must be valid RFC 3986 URI authorities: {name} ({why})"
        ));
    }
    Ok(match name {
        "" => DOCKER_HUB.to_string(),
        DOCKER_HUB_ALIAS => DOCKER_HUB.to_string(),
        other => other.to_string(),
    })
}

/// `checkRegistry`: `url.Parse("//" + name)` succeeds and its Host is `name` itself.
/// (`name` never holds `/`: it is the part before the first one.)
fn check_registry(name: &str) -> R<()> {
    // url.parse: control bytes are refused outright.
    if name.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    // '#' starts the fragment, '?' the query, '@' ends the userinfo: Host != name.
    if let Some(c) = name.chars().find(|c| matches!(c, '#' | '?' | '@')) {
        return Err(format!("'{c}' is not part of a URL host"));
    }
    parse_host(name)
}

/// `net/url.parseHost` (Go 1.25.7, with the CVE-2025-47912 bracket checks), reduced to
/// "is the host accepted unchanged".
fn parse_host(host: &str) -> R<()> {
    if let Some(open) = host.rfind('[') {
        if open > 0 {
            return Err("invalid IP-literal".into());
        }
        let Some(close) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let colon_port = &host[close + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
        let inner = &host[1..close];
        if inner.contains('%') {
            // A zone (%25...) or any escape: the parsed Host is unescaped, so it differs.
            return Err("a %-escape or zone changes the parsed host".into());
        }
        check_host_chars(host)?;
        return match parse_addr(inner) {
            Addr::V6 => Ok(()),
            Addr::V4 => Err("invalid IP-literal".into()),
            Addr::Invalid(why) => Err(format!("invalid host: ParseAddr({inner:?}): {why}")),
        };
    }
    if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
    }
    if host.contains('%') {
        return Err("a %-escape in a host changes the parsed host".into());
    }
    check_host_chars(host)
}

/// `unescape(host, encodeHost)`: every ASCII byte that `shouldEscape(c, encodeHost)` is
/// refused; bytes >= 0x80 are allowed.
fn check_host_chars(host: &str) -> R<()> {
    for c in host.chars() {
        let ok = !c.is_ascii()
            || c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '_'
                    | '.'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | ':'
                    | '['
                    | ']'
                    | '<'
                    | '>'
                    | '"'
            );
        if !ok {
            return Err(format!(
                "invalid character {:?} in host name",
                c.to_string()
            ));
        }
    }
    Ok(())
}

/// `validOptionalPort`: empty, or `:` followed by digits only (any number of them).
fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

enum Addr {
    V4,
    V6,
    Invalid(&'static str),
}

/// `netip.ParseAddr` without zones (a zone never survives `checkRegistry`).
fn parse_addr(s: &str) -> Addr {
    for c in s.bytes() {
        match c {
            b'.' => {
                return match parse_v4(s.as_bytes()) {
                    Ok(()) => Addr::V4,
                    Err(e) => Addr::Invalid(e),
                };
            }
            b':' => {
                return match parse_v6(s.as_bytes()) {
                    Ok(()) => Addr::V6,
                    Err(e) => Addr::Invalid(e),
                };
            }
            _ => {}
        }
    }
    Addr::Invalid("unable to parse IP")
}

/// `netip.parseIPv4`: four decimal fields 0-255 without leading zeros.
fn parse_v4(s: &[u8]) -> Result<(), &'static str> {
    let (mut val, mut fields, mut digits) = (0u32, 0, 0);
    for (i, &c) in s.iter().enumerate() {
        if c.is_ascii_digit() {
            if digits == 1 && val == 0 {
                return Err("IPv4 field has octet with leading zero");
            }
            val = val * 10 + u32::from(c - b'0');
            digits += 1;
            if val > 255 {
                return Err("IPv4 field has value >255");
            }
        } else if c == b'.' {
            if i == 0 || i == s.len() - 1 || s[i - 1] == b'.' {
                return Err("IPv4 field must have at least one digit");
            }
            if fields == 3 {
                return Err("IPv4 address too long");
            }
            fields += 1;
            val = 0;
            digits = 0;
        } else {
            return Err("unexpected character");
        }
    }
    if fields < 3 {
        return Err("IPv4 address too short");
    }
    Ok(())
}

/// `netip.parseIPv6` (no zone).
fn parse_v6(input: &[u8]) -> Result<(), &'static str> {
    let mut s = input;
    let mut ellipsis: i32 = -1;
    if s.starts_with(b"::") {
        ellipsis = 0;
        s = &s[2..];
        if s.is_empty() {
            return Ok(());
        }
    }
    let mut i = 0i32;
    while i < 16 {
        let mut off = 0;
        let mut acc: u32 = 0;
        while off < s.len() {
            let d = match s[off] {
                c @ b'0'..=b'9' => u32::from(c - b'0'),
                c @ b'a'..=b'f' => u32::from(c - b'a' + 10),
                c @ b'A'..=b'F' => u32::from(c - b'A' + 10),
                _ => break,
            };
            if off > 3 {
                return Err("each group must have 4 or less digits");
            }
            acc = (acc << 4) + d;
            if acc > 0xffff {
                return Err("IPv6 field has value >=2^16");
            }
            off += 1;
        }
        if off == 0 {
            return Err("each colon-separated field must have at least one digit");
        }
        if off < s.len() && s[off] == b'.' {
            if ellipsis < 0 && i != 12 {
                return Err("embedded IPv4 address must replace the final 2 fields of the address");
            }
            if i + 4 > 16 {
                return Err(
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                );
            }
            parse_v4(s)?;
            s = b"";
            i += 4;
            break;
        }
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if s[0] != b':' {
            return Err("unexpected character, want colon");
        } else if s.len() == 1 {
            return Err("colon must be followed by more characters");
        }
        s = &s[1..];
        if s[0] == b':' {
            if ellipsis >= 0 {
                return Err("multiple :: in address");
            }
            ellipsis = i;
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err("trailing garbage after address");
    }
    if i < 16 {
        if ellipsis < 0 {
            return Err("address string too short");
        }
    } else if ellipsis >= 0 {
        return Err("the :: must expand to at least one field of zeros");
    }
    Ok(())
}

/// `Registry.Scheme() == "http"` (pkg/name/registry.go): the library pings https and http
/// in parallel for these registries.
/// - `isRFC1918`: the part before the first `:` is an IPv4 address in 10/8, 172.16/12,
///   192.168/16 (net.ParseIP: dotted decimal, no leading zeros);
/// - the name starts with `localhost:`;
/// - `reLocal` `.*\.local(?:host)?(?::\d{1,5})?$`;
/// - `127.0.0.1` or `::1` anywhere in the name.
pub fn registry_tries_plain_http(registry: &str) -> bool {
    let first = registry.split(':').next().unwrap_or("");
    let rfc1918 = parse_v4(first.as_bytes()).is_ok() && {
        let o: Vec<u32> = first.split('.').filter_map(|p| p.parse().ok()).collect();
        o.len() == 4
            && (o[0] == 10
                || (o[0] == 172 && (16..32).contains(&o[1]))
                || (o[0] == 192 && o[1] == 168))
    };
    let ends_local = |s: &str| s.ends_with(".local") || s.ends_with(".localhost");
    let re_local = ends_local(registry)
        || registry.rfind(':').is_some_and(|i| {
            let port = &registry[i + 1..];
            (1..=5).contains(&port.len())
                && port.bytes().all(|b| b.is_ascii_digit())
                && ends_local(&registry[..i])
        });
    rfc1918
        || registry.starts_with("localhost:")
        || re_local
        || registry.contains("127.0.0.1")
        || registry.contains("::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(s: &str) -> String {
        parse_reference(s).unwrap().registry().to_string()
    }
    fn fails(s: &str) -> bool {
        parse_reference(s).is_err()
    }

    // Expected values derived from go-containerregistry v0.20.6 pkg/name (file:function named
    // on each group) and Go 1.25.7 net/url.parseHost / net/netip.ParseAddr.

    #[test]
    fn registry_is_the_first_part_only_with_dot_or_colon() {
        // repository.go:NewRepository: parts[0] is a registry iff it contains '.' or ':'
        assert_eq!(reg("localhost/fn"), DOCKER_HUB);
        assert_eq!(reg("user/fn:v1"), DOCKER_HUB);
        assert_eq!(reg("localhost:5000/fn"), "localhost:5000");
        assert_eq!(reg("ghcr.io/o/fn:v1"), "ghcr.io");
        // registry.go:NewRegistry: "docker.io" is rewritten, nothing else is
        assert_eq!(reg("docker.io/library/x"), DOCKER_HUB);
        assert_eq!(reg("docker.io:443/x/y"), "docker.io:443");
        // no lower-casing, no trimming of a trailing dot
        assert_eq!(reg("GHCR.IO/o/fn"), "GHCR.IO");
        assert_eq!(reg("ghcr.io./o/fn"), "ghcr.io.");
        // a name without '/' is all repository (on Docker Hub)
        assert_eq!(reg("ghcr.io"), DOCKER_HUB);
        assert_eq!(
            parse_reference("busybox").unwrap().name(),
            "index.docker.io/library/busybox:latest"
        );
    }

    #[test]
    fn repository_rules() {
        // repository.go:checkRepository -> check.go:checkElement(2, 255, repositoryChars)
        assert!(fails("ghcr.io/x"));
        assert!(fails("x"));
        assert!(!fails("ghcr.io/xy"));
        assert!(!fails(&format!("ghcr.io/{}", "a".repeat(255))));
        assert!(fails(&format!("ghcr.io/{}", "a".repeat(256))));
        assert!(fails("ghcr.io/Org/fn"));
        // empty path segments and leading/trailing '/' are accepted
        assert_eq!(
            parse_reference("ghcr.io/a//b").unwrap().repository(),
            "a//b"
        );
        assert_eq!(parse_reference("ghcr.io/ab/").unwrap().repository(), "ab/");
        assert_eq!(parse_reference("/ab").unwrap().registry(), DOCKER_HUB);
        // nothing is trimmed
        assert!(fails(" ghcr.io/o/fn"));
        assert!(fails("ghcr.io/o/fn "));
        assert!(fails(""));
    }

    #[test]
    fn tag_rules() {
        // tag.go:NewTag / checkTag(1, 128, tagChars)
        let r = parse_reference("ghcr.io/o/fn:.hidden").unwrap();
        assert_eq!(r.tag(), Some(".hidden"));
        assert_eq!(
            parse_reference("ghcr.io/o/fn:-x").unwrap().tag(),
            Some("-x")
        );
        assert_eq!(
            parse_reference("ghcr.io/o/fn:V1_A").unwrap().tag(),
            Some("V1_A")
        );
        assert!(fails("ghcr.io/o/fn:"));
        assert!(fails(&format!("ghcr.io/o/fn:{}", "a".repeat(129))));
        assert!(!fails(&format!("ghcr.io/o/fn:{}", "a".repeat(128))));
        assert!(fails("ghcr.io/o/fn:v+1"));
        assert_eq!(
            parse_reference("ghcr.io/o/fn").unwrap().tag(),
            Some(DEFAULT_TAG)
        );
        // the last ':' is a tag only if no '/' follows it
        assert_eq!(
            parse_reference("r.io:5000/o/fn").unwrap().tag(),
            Some("latest")
        );
    }

    #[test]
    fn digest_rules() {
        // digest.go:NewDigest: exactly one '@', sha256, 64 lower-case hex; a tag is dropped
        let hex = "a".repeat(64);
        let r = parse_reference(&format!("ghcr.io/o/fn:v1@sha256:{hex}")).unwrap();
        assert_eq!(r.digest(), Some(format!("sha256:{hex}").as_str()));
        assert_eq!(r.name(), format!("ghcr.io/o/fn@sha256:{hex}"));
        let r = parse_reference(&format!("busybox@sha256:{hex}")).unwrap();
        assert_eq!(
            r.name(),
            format!("index.docker.io/library/busybox@sha256:{hex}")
        );
        assert!(fails(&format!("ghcr.io/o/fn@sha256:{}", "A".repeat(64))));
        assert!(fails("ghcr.io/o/fn@sha256:abc"));
        assert!(fails(&format!("ghcr.io/o/fn@sha512:{hex}")));
        assert!(fails(&format!("ghcr.io/o/fn@@sha256:{hex}")));
        let e = parse_reference("ghcr.io/o/fn@sha256:abc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "could not parse reference: ghcr.io/o/fn@sha256:abc"
        );
    }

    #[test]
    fn registry_authority_rules_of_url_parse() {
        // registry.go:checkRegistry -> net/url.parseHost (Go 1.25.7)
        for ok in [
            "r.io:0/ab",       // port 0: digits only are checked
            "r.io:99999/ab",   // no range check
            "r.io:/ab",        // empty port
            "::1/ab",          // bare IPv6: the last ':' starts the port ":1"
            "fe80::1:5000/ab", // likewise
            "[::1]:5000/ab",
            "[::ffff:1.2.3.4]/ab",
            "a_b.io/ab",
            "a!$&'()*+,;=.io/ab",
            "h\u{e9}.io/ab", // non-ASCII is allowed in a host
        ] {
            assert!(!fails(ok), "{ok}");
        }
        for bad in [
            "r.io:5x/ab",
            "a:b:c/ab",
            "[127.0.0.1]/ab",     // only IPv6 in brackets
            "[fe80::1%25en0]/ab", // a zone is unescaped: Host != name
            "[fe80::1%en0]/ab",
            "[::1/ab", // missing ']'
            "[::1]x/ab",
            "[v1.x]/ab",
            "x[::1]/ab", // '[' not at the start
            "a{b}.io/ab",
            "a b.io/ab",
            "a%41.io/ab",
            "a|b.io/ab",
            "a\\b.io/ab",
            "r.io#x/ab",
            "u@r.io/ab",
            "r.io\u{7f}/ab",
            "[1:2:3:4:5:6:7:8:9]/ab",
            "[::1::2]/ab",
        ] {
            assert!(fails(bad), "{bad}");
        }
        assert_eq!(reg("::1/ab"), "::1");
        assert_eq!(reg("r.io:/ab"), "r.io:");
    }

    #[test]
    fn keys_that_can_match() {
        // a key matches iff ParseReference(KEY+"/ab/cd") has registry KEY
        for yes in [
            "ghcr.io",
            "GHCR.IO",
            "ghcr.io.",
            "r.io:0",
            "index.docker.io",
            "[::1]:5000",
            "localhost:5000",
        ] {
            assert!(key_can_match(yes), "{yes}");
        }
        for no in [
            " ghcr.io",
            "ghcr.io ",
            "localhost",
            "docker.io",
            "https://ghcr.io",
            "https://index.docker.io/v1/",
            "ghcr.io/org",
            "",
            "[127.0.0.1]",
            "registry",
        ] {
            assert!(!key_can_match(no), "{no:?}");
        }
    }

    #[test]
    fn plain_http_rule_is_registry_scheme() {
        // registry.go:Registry.Scheme / isRFC1918 / reLocal / reLoopback / reipv6Loopback
        for yes in [
            "localhost:5000",
            "reg.local",
            "reg.local:5000",
            "reg.localhost",
            "reg.localhost:12345",
            "127.0.0.1:5000",
            "my127.0.0.1.nip.io", // substring
            "[::1]:5000",
            "[2001:db8::10]", // contains "::1"
            "10.1.2.3",
            "172.16.0.1:443",
            "172.31.255.255",
            "192.168.1.2:443",
        ] {
            assert!(registry_tries_plain_http(yes), "{yes}");
        }
        for no in [
            "ghcr.io",
            "localhost",
            "reg.local:123456",
            "reg.locals",
            "172.32.0.1",
            "010.1.2.3", // net.ParseIP refuses leading zeros
            "8.8.8.8",
            "[fe80::2]",
            "index.docker.io",
        ] {
            assert!(!registry_tries_plain_http(no), "{no}");
        }
    }
}
