//! Registry authentication challenges (`WWW-Authenticate`), pure parsing.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// HTTP basic auth: send the credentials with every request.
    Basic { realm: Option<String> },
    /// The token handshake: get a token from `realm` (with the credentials, if any) for
    /// `service` and `scope`, then send it as a bearer token.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parse one `WWW-Authenticate` header value. Unknown schemes yield `None`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = match header.find(char::is_whitespace) {
        Some(i) => (&header[..i], header[i..].trim()),
        None => (header, ""),
    };
    let params = parse_params(rest);
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic {
            realm: params.get("realm").cloned(),
        }),
        "bearer" => Some(Challenge::Bearer {
            realm: params.get("realm").cloned()?,
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        }),
        _ => None,
    }
}

/// `k="v", k2=v2` with quoted strings (which may contain commas and escaped quotes).
fn parse_params(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b',' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' && b[i] != b',' {
            i += 1;
        }
        let key = s[ks..i].trim().to_ascii_lowercase();
        if i >= b.len() || b[i] != b'=' {
            continue;
        }
        i += 1;
        let mut val = String::new();
        if i < b.len() && b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                // push whole UTF-8 chars
                let ch = s[i..].chars().next().unwrap_or('?');
                val.push(ch);
                i += ch.len_utf8();
            }
            i += 1; // closing quote
        } else {
            let vs = i;
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            val = s[vs..i].trim().to_string();
        }
        if !key.is_empty() {
            out.insert(key, val);
        }
    }
    out
}

/// Whether credentials may be sent to a token realm, as go-containerregistry's
/// `validateRealmURL` decides the scheme (v0.21.4 and later; the runner's v0.20.6 has no such
/// check): `https` always; `http` only when the registry itself was reached over plain HTTP
/// (an HTTPS registry must not hand the credentials to a plain-HTTP realm, whatever its host);
/// any other scheme never. `Err` is the reason, for one error line.
pub fn check_realm_scheme(scheme: &str, registry_over_https: bool) -> Result<(), String> {
    match scheme {
        "https" => Ok(()),
        "http" if !registry_over_https => Ok(()),
        "http" => Err("is plain HTTP while the registry is HTTPS (a downgrade)".into()),
        other => Err(format!(
            "has the scheme '{other}' (must be https, or http for a plain-HTTP registry)"
        )),
    }
}

/// The pull scope for a repository.
pub fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push""#,
        )
        .unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/busybox:pull,push".into()),
            }
        );
    }

    #[test]
    fn realm_scheme_like_validate_realm_url() {
        // go-containerregistry transport/bearer.go validateRealmURL: https always allowed;
        // http only for an insecure (plain-HTTP) registry; anything else refused.
        assert!(check_realm_scheme("https", true).is_ok());
        assert!(check_realm_scheme("https", false).is_ok());
        assert!(check_realm_scheme("http", false).is_ok());
        let e = check_realm_scheme("http", true).unwrap_err();
        assert!(e.contains("downgrade"), "{e}");
        assert!(check_realm_scheme("ftp", false).is_err());
        assert!(check_realm_scheme("file", true).is_err());
    }

    #[test]
    fn basic_and_unknown() {
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic {
                realm: Some("Registry Realm".into())
            })
        );
        assert_eq!(
            parse_challenge("basic"),
            Some(Challenge::Basic { realm: None })
        );
        assert_eq!(parse_challenge("Negotiate abc"), None);
        assert_eq!(parse_challenge("Bearer service=x"), None, "no realm");
    }

    #[test]
    fn spaces_unquoted_and_escapes() {
        let c = parse_challenge(r#"Bearer  realm=https://r/t , service="a\"b""#).unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://r/t".into(),
                service: Some("a\"b".into()),
                scope: None
            }
        );
    }
}
