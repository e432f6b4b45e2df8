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
}
