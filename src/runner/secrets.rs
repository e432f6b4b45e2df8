//! The Secret objects we produce. Pure: values in, `serde_json::Value` out.

use base64::Engine as _;
use serde_json::{Value, json};

/// The Secret type the runner's copy uses and `kubectl create secret docker-registry` writes.
pub const DOCKERCONFIGJSON_TYPE: &str = "kubernetes.io/dockerconfigjson";
/// The data key of a dockerconfigjson Secret.
pub const DOCKERCONFIGJSON_KEY: &str = ".dockerconfigjson";
/// The data key the runner reads first in its TLS folder (then `ca.pem`).
pub const CA_KEY: &str = "ca.crt";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A `kubernetes.io/dockerconfigjson` Secret holding `dockerconfigjson` under `.dockerconfigjson`.
pub fn auth_secret(name: &str, namespace: &str, dockerconfigjson: &[u8]) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": DOCKERCONFIGJSON_TYPE,
        "data": {DOCKERCONFIGJSON_KEY: b64(dockerconfigjson)},
    })
}

/// An `Opaque` Secret holding the CA bundle under `ca.crt` (a `kubernetes.io/tls` Secret would
/// need `tls.crt` and `tls.key`, which the API server enforces).
pub fn tls_secret(name: &str, namespace: &str, ca_pem: &[u8]) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": {CA_KEY: b64(ca_pem)},
    })
}

/// One value of a Secret object, decoded: `stringData` wins over `data` (base64, whitespace
/// tolerated), as the API server does. `None` when the key is absent or not valid base64.
pub fn secret_data(secret: &Value, key: &str) -> Option<Vec<u8>> {
    if let Some(v) = secret
        .get("stringData")
        .and_then(|m| m.get(key))
        .and_then(|v| v.as_str())
    {
        return Some(v.as_bytes().to_vec());
    }
    let v = secret.get("data")?.get(key)?.as_str()?;
    let cleaned: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .ok()
}

/// The CA the runner reads from its TLS Secret: `ca.crt`, else `ca.pem` (the files of the
/// `--tls-secret-path` folder it tries, in that order).
pub fn runner_ca(secret: &Value) -> Option<Vec<u8>> {
    secret_data(secret, "ca.crt").or_else(|| secret_data(secret, "ca.pem"))
}

/// Check a Secret name (a DNS-1123 subdomain: lower-case alphanumerics, '-' and '.', starting
/// and ending alphanumeric, at most 253 characters). The error says what is wrong.
pub fn validate_object_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.len() > 253 {
        return Err(format!("\"{name}\" is longer than 253 characters"));
    }
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !ok_chars || !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Err(format!(
            "\"{name}\" is not a valid Kubernetes name (lower-case letters, digits, '-' and '.', \
             starting and ending with a letter or digit)"
        ));
    }
    Ok(())
}

/// Check a namespace name (a DNS-1123 label: at most 63 characters, no '.').
pub fn validate_namespace(name: &str) -> Result<(), String> {
    validate_object_name(name)?;
    if name.len() > 63 || name.contains('.') {
        return Err(format!(
            "\"{name}\" is not a valid namespace (at most 63 lower-case letters, digits and '-')"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_secret_shape() {
        let s = auth_secret("registry-auth-secret", "porch-system", b"{\"auths\":{}}");
        assert_eq!(s["type"], "kubernetes.io/dockerconfigjson");
        assert_eq!(s["metadata"]["namespace"], "porch-system");
        assert_eq!(s["data"][".dockerconfigjson"], "eyJhdXRocyI6e319");
        let keys: Vec<_> = s.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "type", "data"]);
    }

    #[test]
    fn tls_secret_is_opaque_with_ca_crt() {
        let s = tls_secret("registry-tls-secret", "ns", b"PEM");
        assert_eq!(s["type"], "Opaque");
        assert_eq!(s["data"]["ca.crt"], "UEVN");
        assert_eq!(s["metadata"]["name"], "registry-tls-secret");
    }

    #[test]
    fn names() {
        assert!(validate_object_name("registry-auth-secret").is_ok());
        assert!(validate_object_name("a.b-c").is_ok());
        assert!(validate_object_name("").is_err());
        assert!(validate_object_name("Upper").is_err());
        assert!(validate_object_name("-x").is_err());
        assert!(validate_object_name("x_y").is_err());
        assert!(validate_namespace("porch-system").is_ok());
        assert!(validate_namespace("a.b").is_err());
    }
}
