//! Every rule, positive and negative, on YAML close to what users write.

use base64::Engine as _;
use serde_json::Value;

use super::*;

const NOW: i64 = 1_800_000_000; // 2027-01-15

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn ca_pem(ca: bool, not_after: i64) -> String {
    let mut params = rcgen::CertificateParams::new(vec!["registry.example.com".into()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Lint Test CA");
    params.is_ca = if ca {
        rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained)
    } else {
        rcgen::IsCa::NoCa
    };
    params.not_before = time::OffsetDateTime::from_unix_timestamp(NOW - 86_400).unwrap();
    params.not_after = time::OffsetDateTime::from_unix_timestamp(not_after).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().pem()
}

fn good_ca() -> String {
    ca_pem(true, NOW + 400 * 86_400)
}

const AUTH_JSON: &str = r#"{"auths":{"registry.example.com:5000":{"auth":"cm9ib3Q6czNjcjN0"},"ghcr.io":{"username":"u","password":"p"}}}"#;

/// A catalog-style runner (flags in `command:`) with auth and TLS configured correctly.
fn good_yaml(auth_json: &str, ca: &str) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: function-runner
  namespace: porch-system
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: function-runner
          image: docker.io/nephio/porch-function-runner:v1.5.8
          command:
            - /home/nonroot/server
            - --config=/config.yaml
            - --functions=/functions
            - --pod-namespace=porch-fn-system
            - --enable-private-registries=true
            - --registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson
            - --registry-auth-secret-name=porch-registry-auth
            - --enable-private-registries-tls=true
            - --tls-secret-path=/var/tmp/tls-secret/
          volumeMounts:
            - mountPath: /pod-cache-config
              name: pod-cache-config-volume
            - mountPath: /var/tmp/auth-secret
              name: docker-config
              readOnly: true
            - mountPath: /var/tmp/tls-secret
              name: tls-registry-config
              readOnly: true
      volumes:
        - name: pod-cache-config-volume
          configMap:
            name: pod-cache-config
        - name: docker-config
          secret:
            secretName: registry-auth-secret
        - name: tls-registry-config
          secret:
            secretName: registry-tls-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: registry-auth-secret
  namespace: porch-system
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {}
---
apiVersion: v1
kind: Secret
metadata:
  name: registry-tls-secret
  namespace: porch-system
type: Opaque
data:
  ca.crt: {}
"#,
        b64(auth_json.as_bytes()),
        b64(ca.as_bytes())
    )
}

fn parse(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml)
        .unwrap()
        .into_iter()
        .filter(|v| !v.is_null())
        .collect()
}

fn run(yaml: &str) -> Vec<Finding> {
    lint(&parse(yaml), &LintContext::offline_defaults(NOW))
}

fn with(rule: &str, f: &[Finding]) -> Vec<Finding> {
    f.iter().filter(|x| x.rule == rule).cloned().collect()
}

fn rules_of(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|x| x.rule).collect()
}

fn good() -> String {
    good_yaml(AUTH_JSON, &good_ca())
}

/// Replace a line (or part of one) in the good configuration.
fn edit(from: &str, to: &str) -> String {
    let g = good();
    assert!(g.contains(from), "fixture lacks {from:?}");
    g.replacen(from, to, 1)
}

#[test]
fn good_configuration_has_only_the_node_ca_reminder() {
    let f = run(&good());
    assert_eq!(rules_of(&f), vec![rules::NODE_CA_TRUST], "{f:#?}");
    assert_eq!(f[0].severity, Severity::Info);
    assert_eq!(f[0].object, "Deployment/porch-system/function-runner");
    assert!(!has_errors(&f));
}

#[test]
fn no_tls_no_reminder() {
    let y = good()
        .replace("            - --enable-private-registries-tls=true\n", "")
        .replace("            - --tls-secret-path=/var/tmp/tls-secret/\n", "");
    let f = run(&y);
    assert!(with(rules::NODE_CA_TRUST, &f).is_empty());
    // The CA Secret is still mounted: the flag is missing.
    let w = with(rules::TLS_FLAGS_WITHOUT_ENABLE, &f);
    assert_eq!(w.len(), 1, "{f:#?}");
    assert_eq!(w[0].severity, Severity::Warning);
}

#[test]
fn missing_deployment_and_container() {
    let f = lint(&[], &LintContext::offline_defaults(NOW));
    assert_eq!(rules_of(&f), vec![rules::DEPLOYMENT_MISSING]);
    let y = good().replace(
        "        - name: function-runner\n",
        "        - name: other\n          image: x\n        - name: second\n",
    );
    let f = run(&y);
    assert_eq!(with(rules::DEPLOYMENT_MISSING, &f).len(), 1, "{f:#?}");
    assert!(f[0].message.contains("other, second"));
    // A single container is taken whatever its name.
    let y = good().replace(
        "        - name: function-runner\n",
        "        - name: runner\n",
    );
    assert!(with(rules::DEPLOYMENT_MISSING, &run(&y)).is_empty());
}

#[test]
fn mount_path_not_dedicated_shared_dirs() {
    for dir in ["/", "/tmp", "/var/tmp", "/etc", "/home/nonroot"] {
        let y = edit(
            "            - mountPath: /var/tmp/auth-secret\n",
            &format!("            - mountPath: {dir}\n"),
        );
        let f = with(rules::MOUNT_PATH_NOT_DEDICATED, &run(&y));
        assert!(!f.is_empty(), "{dir}");
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].message.contains("registry-auth-secret"),
            "{}",
            f[0].message
        );
        assert!(f[0].fix.contains("auth-secret"), "{}", f[0].fix);
    }
    // A dedicated subdirectory is fine.
    assert!(with(rules::MOUNT_PATH_NOT_DEDICATED, &run(&good())).is_empty());
}

#[test]
fn mount_path_hiding_binary_or_flag_paths() {
    let y = edit(
        "            - /home/nonroot/server\n",
        "            - /opt/porch/bin/server\n",
    )
    .replace(
        "            - mountPath: /var/tmp/auth-secret\n",
        "            - mountPath: /opt/porch\n",
    );
    let f = with(rules::MOUNT_PATH_NOT_DEDICATED, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("hides the runner binary"));
    let y = edit(
        "            - --functions=/functions\n",
        "            - --functions=/data/functions\n",
    )
    .replace(
        "            - mountPath: /var/tmp/auth-secret\n",
        "            - mountPath: /data\n",
    );
    let f = with(rules::MOUNT_PATH_NOT_DEDICATED, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("--functions"));
}

#[test]
fn mount_path_on_above_below_other_mounts() {
    // TLS inside the auth mount.
    let y = edit(
        "            - mountPath: /var/tmp/tls-secret\n",
        "            - mountPath: /var/tmp/auth-secret/tls\n",
    );
    let f = with(rules::MOUNT_PATH_NOT_DEDICATED, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("above") || f[0].message.contains("inside"));
    // Same path as the ConfigMap mount.
    let y = edit(
        "            - mountPath: /var/tmp/auth-secret\n",
        "            - mountPath: /pod-cache-config/\n",
    );
    let f = with(rules::MOUNT_PATH_NOT_DEDICATED, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("same path"));
    // Below the ConfigMap mount.
    let y = edit(
        "            - mountPath: /var/tmp/auth-secret\n",
        "            - mountPath: /pod-cache-config/auth\n",
    );
    let f = with(rules::MOUNT_PATH_NOT_DEDICATED, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("inside"));
}

#[test]
fn auth_path_outside_mount() {
    // The docs' path with a different mount.
    let y = edit(
        "            - mountPath: /var/tmp/auth-secret\n",
        "            - mountPath: /var/tmp/docker\n",
    );
    let f = with(rules::AUTH_PATH_OUTSIDE_MOUNT, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Error);
    assert!(
        f[0].fix
            .contains("--registry-auth-secret-path=/var/tmp/docker/.dockerconfigjson"),
        "{}",
        f[0].fix
    );
    // The flag missing: the runner's default path (config-secret) is not mounted.
    let y = edit(
        "            - --registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson\n",
        "",
    );
    let f = with(rules::AUTH_PATH_OUTSIDE_MOUNT, &run(&y));
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message
            .contains("/var/tmp/config-secret/.dockerconfigjson")
    );
    assert!(f[0].message.contains("default"));
    // A file name that is not a key of the Secret.
    let y = edit(
        "/var/tmp/auth-secret/.dockerconfigjson",
        "/var/tmp/auth-secret/config.json",
    );
    let f = with(rules::AUTH_PATH_OUTSIDE_MOUNT, &run(&y));
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("no file \"config.json\""));
    // The directory instead of the file.
    let y = edit(
        "/var/tmp/auth-secret/.dockerconfigjson",
        "/var/tmp/auth-secret/",
    );
    let f = with(rules::AUTH_PATH_OUTSIDE_MOUNT, &run(&y));
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("not the file"));
    // Inside the ConfigMap mount.
    let y = edit(
        "/var/tmp/auth-secret/.dockerconfigjson",
        "/pod-cache-config/.dockerconfigjson",
    );
    let f = with(rules::AUTH_PATH_OUTSIDE_MOUNT, &run(&y));
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("ConfigMap"));
    // items projecting the key under another name are followed.
    let y = edit(
        "            secretName: registry-auth-secret\n",
        "            secretName: registry-auth-secret\n            items:\n              - key: .dockerconfigjson\n                path: config.json\n",
    )
    .replace(
        "/var/tmp/auth-secret/.dockerconfigjson",
        "/var/tmp/auth-secret/config.json",
    );
    assert!(with(rules::AUTH_PATH_OUTSIDE_MOUNT, &run(&y)).is_empty());
    assert!(with(rules::AUTH_PATH_OUTSIDE_MOUNT, &run(&good())).is_empty());
}

#[test]
fn tls_path_outside_mount() {
    let y = edit(
        "            - --tls-secret-path=/var/tmp/tls-secret/\n",
        "            - --tls-secret-path=/etc/registry-ca\n",
    );
    let f = with(rules::TLS_PATH_OUTSIDE_MOUNT, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].fix.contains("--tls-secret-path=/var/tmp/tls-secret/"));
    // Pointing at the file.
    let y = edit(
        "--tls-secret-path=/var/tmp/tls-secret/",
        "--tls-secret-path=/var/tmp/tls-secret/ca.crt",
    );
    let f = with(rules::TLS_PATH_OUTSIDE_MOUNT, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("names a file"));
    // Trailing slash or not does not matter (filepath.Join).
    let y = edit(
        "--tls-secret-path=/var/tmp/tls-secret/",
        "--tls-secret-path=/var/tmp/tls-secret",
    );
    assert!(with(rules::TLS_PATH_OUTSIDE_MOUNT, &run(&y)).is_empty());
    // Default path used when the flag is absent: fine here, the mount is at the default.
    let y = edit("            - --tls-secret-path=/var/tmp/tls-secret/\n", "");
    assert!(with(rules::TLS_PATH_OUTSIDE_MOUNT, &run(&y)).is_empty());
}

#[test]
fn flag_bool_without_equals_and_ignored_flags() {
    let y = edit(
        "            - --enable-private-registries=true\n",
        "            - --enable-private-registries\n            - \"true\"\n",
    );
    let all = run(&y);
    let f = with(rules::FLAG_BOOL_WITHOUT_EQUALS, &all);
    assert_eq!(f.len(), 1, "{all:#?}");
    assert_eq!(f[0].severity, Severity::Error);
    assert!(f[0].message.contains("--registry-auth-secret-path="));
    assert!(f[0].message.contains("--tls-secret-path="));
    assert_eq!(
        f[0].fix,
        "write --enable-private-registries=true as one item"
    );
    // Consequence: the auth path flag is ignored, the default path is not mounted.
    assert_eq!(with(rules::AUTH_PATH_OUTSIDE_MOUNT, &all).len(), 1);
    // An unquoted YAML `true` is the same token.
    let y2 = edit(
        "            - --enable-private-registries=true\n",
        "            - --enable-private-registries\n            - true\n",
    );
    assert_eq!(with(rules::FLAG_BOOL_WITHOUT_EQUALS, &run(&y2)).len(), 1);
    // `false` sets the flag to TRUE.
    let y3 = edit(
        "            - --enable-private-registries=true\n",
        "            - --enable-private-registries\n            - \"false\"\n",
    );
    let f = with(rules::FLAG_BOOL_WITHOUT_EQUALS, &run(&y3));
    assert!(f[0].message.contains("TRUE"));
    // Bare boolean followed by flags is fine.
    let y4 = edit(
        "            - --enable-private-registries=true\n",
        "            - --enable-private-registries\n",
    );
    let f = run(&y4);
    assert!(with(rules::FLAG_BOOL_WITHOUT_EQUALS, &f).is_empty());
    assert!(!has_errors(&f), "{f:#?}");
}

#[test]
fn positional_stops_parsing() {
    let y = edit(
        "            - --config=/config.yaml\n",
        "            - --config=/config.yaml\n            - stray\n",
    );
    let all = run(&y);
    let f = with(rules::FLAG_AFTER_POSITIONAL, &all);
    assert_eq!(f.len(), 1, "{all:#?}");
    assert!(f[0].message.contains("--enable-private-registries=true"));
    // …and private registries are then off.
    assert!(!with(rules::AUTH_FLAGS_WITHOUT_ENABLE, &all).is_empty());
}

#[test]
fn flag_unknown_with_legacy_names() {
    let y = edit(
        "--enable-private-registries=true",
        "--enable-private-registry=true",
    );
    let f = with(rules::FLAG_UNKNOWN, &run(&y));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].fix, "rename it: --enable-private-registries=true");
    assert!(f[0].message.contains("CrashLoopBackOff"));
    let y = edit(
        "--enable-private-registries-tls=true",
        "--enable-tls-registry",
    );
    let f = with(rules::FLAG_UNKNOWN, &run(&y));
    assert_eq!(f[0].fix, "rename it: --enable-private-registries-tls=true");
    let y = edit(
        "--enable-private-registries-tls=true",
        "--enable-private-registry-tls=true",
    );
    assert_eq!(with(rules::FLAG_UNKNOWN, &run(&y)).len(), 1);
    // A typo gets a suggestion.
    let y = edit("--tls-secret-path=", "--tls-secrets-path=");
    let f = with(rules::FLAG_UNKNOWN, &run(&y));
    assert!(f[0].fix.contains("--tls-secret-path"), "{}", f[0].fix);
    // Go exits at the first one; the lint reports every one (as if each were fixed in turn).
    let y = edit(
        "--enable-private-registries=true",
        "--enable-private-registry=true",
    )
    .replace(
        "--enable-private-registries-tls=true",
        "--enable-tls-registry=true",
    );
    let f = with(rules::FLAG_UNKNOWN, &run(&y));
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(with(rules::FLAG_UNKNOWN, &run(&good())).is_empty());
}

#[test]
fn flag_invalid_and_duplicate() {
    let y = edit(
        "--enable-private-registries=true",
        "--enable-private-registries=yes",
    );
    assert_eq!(with(rules::FLAG_INVALID, &run(&y)).len(), 1);
    let y = edit(
        "            - --tls-secret-path=/var/tmp/tls-secret/\n",
        "            - --tls-secret-path=/var/tmp/tls-secret/\n            - --pod-ttl\n",
    );
    assert_eq!(with(rules::FLAG_INVALID, &run(&y)).len(), 1);
    let y = edit(
        "            - --config=/config.yaml\n",
        "            - --config=/config.yaml\n            - --config=/other.yaml\n",
    );
    let f = with(rules::FLAG_DUPLICATE, &run(&y));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(with(rules::FLAG_INVALID, &run(&good())).is_empty());
}

#[test]
fn auth_flags_without_enable() {
    let y = edit("            - --enable-private-registries=true\n", "");
    let all = run(&y);
    let f = with(rules::AUTH_FLAGS_WITHOUT_ENABLE, &all);
    assert_eq!(f.len(), 1, "{all:#?}");
    assert!(f[0].message.contains("--registry-auth-secret-path"));
    assert!(f[0].fix.contains("--enable-private-registries=true"));
    // TLS then is useless too.
    assert_eq!(with(rules::TLS_WITHOUT_PRIVATE_REGISTRIES, &all).len(), 1);
    // Explicitly false.
    let y = edit(
        "--enable-private-registries=true",
        "--enable-private-registries=false",
    );
    let f = with(rules::AUTH_FLAGS_WITHOUT_ENABLE, &run(&y));
    assert!(f[0].message.contains("is false"));
    assert!(with(rules::AUTH_FLAGS_WITHOUT_ENABLE, &run(&good())).is_empty());
}

#[test]
fn tls_without_private_registries() {
    let y = edit(
        "            - --enable-private-registries=true\n            - --registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson\n            - --registry-auth-secret-name=porch-registry-auth\n",
        "",
    )
    .replace("            - mountPath: /var/tmp/auth-secret\n              name: docker-config\n              readOnly: true\n", "")
    .replace("        - name: docker-config\n          secret:\n            secretName: registry-auth-secret\n", "");
    let all = run(&y);
    let f = with(rules::TLS_WITHOUT_PRIVATE_REGISTRIES, &all);
    assert_eq!(f.len(), 1, "{all:#?}");
    assert!(
        with(rules::AUTH_FLAGS_WITHOUT_ENABLE, &all).is_empty(),
        "{all:#?}"
    );
    // TLS is configured (in intent): the reminder is there.
    assert_eq!(with(rules::NODE_CA_TRUST, &all).len(), 1);
    assert!(with(rules::TLS_WITHOUT_PRIVATE_REGISTRIES, &run(&good())).is_empty());
}

#[test]
fn registry_key_unmatched() {
    let json = r#"{"auths":{"https://index.docker.io/v1/":{"auth":"bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ="},"docker.io":{"auth":"bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ="},"https://ghcr.io":{"auth":"bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ="},"Registry.Example.com:5000":{"auth":"bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ="}}}"#;
    let f = with(
        rules::REGISTRY_KEY_UNMATCHED,
        &run(&good_yaml(json, &good_ca())),
    );
    // "Registry.Example.com:5000" does match: pkg/name keeps the registry's case, so an
    // image Registry.Example.com:5000/fn/x is looked up under exactly this key.
    assert_eq!(f.len(), 3, "{f:#?}");
    let msg = |k: &str| f.iter().find(|x| x.message.contains(k)).unwrap().clone();
    let hub = msg("\"https://index.docker.io/v1/\"");
    assert!(hub.fix.contains("\"index.docker.io\""), "{}", hub.fix);
    assert_eq!(hub.object, "Secret/porch-system/registry-auth-secret");
    assert_eq!(
        msg("\"https://ghcr.io\"").fix,
        "use the key \"ghcr.io\" instead of \"https://ghcr.io\""
    );
    assert!(msg("\"docker.io\"").fix.contains("index.docker.io"));
    assert!(!f.iter().any(|x| x.message.contains("Registry.Example.com")));
    // Never an auth value.
    for x in &f {
        assert!(!x.message.contains("bXlf") && !x.fix.contains("bXlf"));
    }
    // Shadowed by a correct key: only a warning.
    let json = r#"{"auths":{"https://ghcr.io":{"auth":"dTpw"},"ghcr.io":{"auth":"dTpw"}}}"#;
    let f = with(
        rules::REGISTRY_KEY_UNMATCHED,
        &run(&good_yaml(json, &good_ca())),
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(with(rules::REGISTRY_KEY_UNMATCHED, &run(&good())).is_empty());
}

#[test]
fn registry_auth_invalid() {
    let secret_value = "c2VjcmV0LW5vLWNvbG9u"; // "secret-no-colon"
    let json = format!(
        r#"{{"auths":{{"ghcr.io":{{"auth":"{secret_value}"}},"quay.io":{{"auth":"!!!notbase64"}}}}}}"#
    );
    let all = run(&good_yaml(&json, &good_ca()));
    let f = with(rules::REGISTRY_AUTH_INVALID, &all);
    assert_eq!(f.len(), 1, "{all:#?}");
    assert_eq!(f[0].severity, Severity::Error);
    // Go's decode stops at the first bad entry in file order (AuthConfig.UnmarshalJSON error)
    assert!(f[0].message.contains("\"ghcr.io\""), "{}", f[0].message);
    assert!(f[0].message.contains("no function pod"));
    for x in &all {
        let text = format!("{} {}", x.message, x.fix);
        assert!(
            !text.contains(secret_value) && !text.contains("notbase64"),
            "{text}"
        );
        assert!(!text.contains("secret-no-colon"));
    }
    // Not JSON at all.
    let f = with(
        rules::REGISTRY_AUTH_INVALID,
        &run(&good_yaml("{not json", &good_ca())),
    );
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("not valid JSON"));
    // Legacy layout without auths.
    let f = with(
        rules::REGISTRY_AUTH_INVALID,
        &run(&good_yaml(r#"{"ghcr.io":{"auth":"dTpw"}}"#, &good_ca())),
    );
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("no \"auths\""));
    assert!(with(rules::REGISTRY_AUTH_INVALID, &run(&good())).is_empty());
}

#[test]
fn registry_auth_invalid_user_name_with_colon() {
    // kubectl create secret docker-registry writes username, password and auth.
    let auth = crate::runner::dockerconfig::encode_auth("org:robot", "hunter2");
    let json = format!(
        r#"{{"auths":{{"ghcr.io":{{"username":"org:robot","password":"hunter2","auth":"{auth}"}}}}}}"#
    );
    let all = run(&good_yaml(&json, &good_ca()));
    let f = with(rules::REGISTRY_AUTH_INVALID, &all);
    assert_eq!(f.len(), 1, "{all:#?}");
    assert_eq!(f[0].severity, Severity::Error);
    assert!(f[0].message.contains("\"ghcr.io\"") && f[0].message.contains("org:robot"));
    for x in &all {
        let text = format!("{} {}", x.message, x.fix);
        assert!(!text.contains("hunter2") && !text.contains(&auth), "{text}");
    }
    // The same user name without ':' is fine.
    let auth = crate::runner::dockerconfig::encode_auth("robot", "hunter2");
    let json = format!(
        r#"{{"auths":{{"ghcr.io":{{"username":"robot","password":"hunter2","auth":"{auth}"}}}}}}"#
    );
    assert!(
        with(
            rules::REGISTRY_AUTH_INVALID,
            &run(&good_yaml(&json, &good_ca()))
        )
        .is_empty()
    );
}

#[test]
fn credential_helper_only() {
    let json = r#"{"auths":{"ghcr.io":{},"quay.io":{"auth":"dTpw"}},"credsStore":"desktop","credHelpers":{"123.dkr.ecr.us-east-1.amazonaws.com":"ecr-login"}}"#;
    let f = with(
        rules::CREDENTIAL_HELPER_ONLY,
        &run(&good_yaml(json, &good_ca())),
    );
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(
        f.iter()
            .any(|x| x.message.contains("docker-credential-desktop"))
    );
    assert!(
        f.iter()
            .any(|x| x.message.contains("docker-credential-ecr-login"))
    );
    assert!(f[0].fix.contains("--from-docker-config"));
    // credsStore and nothing else.
    let f = with(
        rules::CREDENTIAL_HELPER_ONLY,
        &run(&good_yaml(r#"{"credsStore":"pass"}"#, &good_ca())),
    );
    assert_eq!(f.len(), 1);
    assert!(with(rules::CREDENTIAL_HELPER_ONLY, &run(&good())).is_empty());
}

#[test]
fn secret_wrong_namespace_and_missing() {
    let y = edit(
        "  name: registry-auth-secret\n  namespace: porch-system\n",
        "  name: registry-auth-secret\n  namespace: default\n",
    );
    let f = with(rules::SECRET_WRONG_NAMESPACE, &run(&y));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].object, "Secret/default/registry-auth-secret");
    assert_eq!(f[0].fix, "set metadata.namespace: porch-system");
    // No namespace in the manifest: it takes the one it is applied to (no finding).
    let y = edit(
        "  name: registry-auth-secret\n  namespace: porch-system\n",
        "  name: registry-auth-secret\n",
    );
    assert!(with(rules::SECRET_WRONG_NAMESPACE, &run(&y)).is_empty());

    let y = edit("secretName: registry-tls-secret", "secretName: other-ca");
    let f = with(rules::SECRET_MISSING, &run(&y));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Warning);
    let mut ctx = LintContext::offline_defaults(NOW);
    ctx.offline = false;
    let f = with(rules::SECRET_MISSING, &lint(&parse(&y), &ctx));
    assert_eq!(f[0].severity, Severity::Error);
    assert!(with(rules::SECRET_MISSING, &run(&good())).is_empty());
    assert!(with(rules::SECRET_WRONG_NAMESPACE, &run(&good())).is_empty());
}

#[test]
fn secret_wrong_type() {
    // The docs' TLS Secret: kubernetes.io/tls with only ca.crt.
    let y = edit(
        "type: Opaque\ndata:\n  ca.crt",
        "type: kubernetes.io/tls\ndata:\n  ca.crt",
    );
    let f = with(rules::SECRET_WRONG_TYPE, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].object, "Secret/porch-system/registry-tls-secret");
    assert!(f[0].message.contains("tls.crt and tls.key"));
    assert!(f[0].fix.contains("type: Opaque"));
    // dockerconfigjson without its key.
    let y = edit("  .dockerconfigjson:", "  config.json:");
    let f = with(rules::SECRET_WRONG_TYPE, &run(&y));
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains(".dockerconfigjson"));
    // A complete kubernetes.io/tls Secret is accepted.
    let y = edit(
        "type: Opaque\ndata:\n  ca.crt",
        "type: kubernetes.io/tls\ndata:\n  tls.crt: dA==\n  tls.key: dA==\n  ca.crt",
    );
    assert!(with(rules::SECRET_WRONG_TYPE, &run(&y)).is_empty());
    assert!(with(rules::SECRET_WRONG_TYPE, &run(&good())).is_empty());
}

#[test]
fn secret_data_invalid() {
    let y = good().replacen(
        &format!("  .dockerconfigjson: {}", b64(AUTH_JSON.as_bytes())),
        "  .dockerconfigjson: <base64-encoded-data>",
        1,
    );
    let f = with(rules::SECRET_DATA_INVALID, &run(&y));
    assert_eq!(f.len(), 1);
    assert!(with(rules::SECRET_DATA_INVALID, &run(&good())).is_empty());
}

#[test]
fn tls_ca_key_missing() {
    let y = edit("data:\n  ca.crt:", "data:\n  tls.crt:");
    let f = with(rules::TLS_CA_KEY_MISSING, &run(&y));
    assert_eq!(f.len(), 1, "{:#?}", run(&y));
    assert!(f[0].message.contains("tls.crt is a server certificate"));
    // ca.pem is accepted.
    let y = edit("data:\n  ca.crt:", "data:\n  ca.pem:");
    assert!(with(rules::TLS_CA_KEY_MISSING, &run(&y)).is_empty());
    assert!(with(rules::TLS_CA_KEY_MISSING, &run(&good())).is_empty());
}

#[test]
fn tls_ca_invalid() {
    let f = with(
        rules::TLS_CA_INVALID,
        &run(&good_yaml(AUTH_JSON, "not a certificate")),
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Error);
    let expired = ca_pem(true, NOW - 10);
    let f = with(rules::TLS_CA_INVALID, &run(&good_yaml(AUTH_JSON, &expired)));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Error);
    assert!(f[0].message.contains("expired"));
    let leaf = ca_pem(false, NOW + 400 * 86_400);
    let f = with(rules::TLS_CA_INVALID, &run(&good_yaml(AUTH_JSON, &leaf)));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Warning);
    let key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
    let f = with(rules::TLS_CA_INVALID, &run(&good_yaml(AUTH_JSON, key)));
    assert_eq!(f[0].severity, Severity::Error);
    assert!(!f[0].message.contains("MC4CAQ"));
    assert!(with(rules::TLS_CA_INVALID, &run(&good())).is_empty());
}

#[test]
fn volume_mount_mismatch() {
    let y = edit(
        "              name: docker-config\n",
        "              name: docker-cfg\n",
    );
    let f = with(rules::VOLUME_MOUNT_MISMATCH, &run(&y));
    // The mount names no volume (error) and the volume is not mounted (warning).
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Error);
    assert!(f.iter().any(|x| x.severity == Severity::Warning));
    // Items naming a key the Secret lacks.
    let y = edit(
        "            secretName: registry-tls-secret\n",
        "            secretName: registry-tls-secret\n            items:\n              - key: ca.pem\n                path: ca.crt\n",
    );
    let f = with(rules::VOLUME_MOUNT_MISMATCH, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("\"ca.pem\""));
    assert!(with(rules::VOLUME_MOUNT_MISMATCH, &run(&good())).is_empty());
}

#[test]
fn docs_args_style_and_shell_wrapped() {
    // The docs put the flags under args: with the image's entrypoint.
    let y = good().replace(
        "          command:\n            - /home/nonroot/server\n",
        "          args:\n",
    );
    let f = run(&y);
    assert_eq!(rules_of(&f), vec![rules::NODE_CA_TRUST], "{f:#?}");
    // A shell wrapper: flags are not modelled, no false alarms about them.
    let y = good().replace(
        "            - /home/nonroot/server\n",
        "            - /bin/sh\n            - -c\n            - exec /home/nonroot/server \"$@\"\n",
    );
    let f = run(&y);
    assert!(with(rules::FLAG_UNKNOWN, &f).is_empty());
    assert!(with(rules::FLAG_AFTER_POSITIONAL, &f).is_empty());
}

#[test]
fn findings_are_sorted_errors_first_and_serialize() {
    let y = edit(
        "--enable-private-registries=true",
        "--enable-private-registry=true",
    );
    let f = run(&y);
    assert!(f.windows(2).all(|w| w[0].severity <= w[1].severity));
    let json = serde_json::to_value(&f[0]).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["severity", "rule", "object", "message", "fix"]);
    assert_eq!(json["severity"], "error");
}

#[test]
fn every_rule_is_listed() {
    let ids: Vec<&str> = RULES.iter().map(|(id, _)| *id).collect();
    for id in [
        "mount-path-not-dedicated",
        "auth-path-outside-mount",
        "tls-path-outside-mount",
        "flag-bool-without-equals",
        "flag-unknown",
        "auth-flags-without-enable",
        "tls-without-private-registries",
        "registry-key-unmatched",
        "registry-auth-invalid",
        "credential-helper-only",
        "secret-wrong-namespace",
        "secret-missing",
        "secret-wrong-type",
        "tls-ca-key-missing",
        "tls-ca-invalid",
        "volume-mount-mismatch",
        "node-ca-trust",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
}

#[test]
fn flags_of_other_runner_builds() {
    assert_eq!(
        flagrules::image_release("docker.io/nephio/porch-function-runner:v1.5.8"),
        Some((1, 5))
    );
    assert_eq!(
        flagrules::image_release("localhost:5000/porch-function-runner:latest"),
        None
    );
    assert_eq!(
        flagrules::image_release("localhost:5000/porch-function-runner"),
        None
    );
    assert_eq!(flagrules::image_release("r/x@sha256:abcd"), None);
    // A main-only flag on a v1.5 image: exits.
    let y = edit(
        "            - --pod-namespace=porch-fn-system\n",
        "            - --pod-namespace=porch-fn-system\n            - --default-image-prefix=ghcr.io/x/\n",
    );
    let f = with(rules::FLAG_UNKNOWN, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Error);
    // --config (removed on main) on a :latest image: a warning; on v1.5.8: nothing.
    assert!(with(rules::FLAG_UNKNOWN, &run(&good())).is_empty());
    let y = edit(":v1.5.8", ":latest");
    let f = with(rules::FLAG_UNKNOWN, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(f[0].message.contains("--config"));
}

#[test]
fn invalid_names() {
    let y = edit(
        "--registry-auth-secret-name=porch-registry-auth",
        "--registry-auth-secret-name=<SECRET_NAME>",
    );
    let f = with(rules::FLAG_INVALID, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("<SECRET_NAME>"));
    let y = edit(
        "--pod-namespace=porch-fn-system",
        "--pod-namespace=Porch_Fn",
    );
    assert_eq!(with(rules::FLAG_INVALID, &run(&y)).len(), 1);
    // The docs' template placeholder as a volume's secretName.
    let y = edit(
        "secretName: registry-auth-secret",
        "secretName: <SECRET_NAME>",
    );
    let f = with(rules::VOLUME_MOUNT_MISMATCH, &run(&y));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("placeholder"));
    assert!(with(rules::SECRET_MISSING, &run(&y)).is_empty());
}

#[test]
fn private_registries_off_is_an_info() {
    let y = edit(
        "            - --enable-private-registries=true\n            - --registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson\n            - --registry-auth-secret-name=porch-registry-auth\n            - --enable-private-registries-tls=true\n            - --tls-secret-path=/var/tmp/tls-secret/\n",
        "",
    )
    .replace("            - mountPath: /var/tmp/auth-secret\n              name: docker-config\n              readOnly: true\n            - mountPath: /var/tmp/tls-secret\n              name: tls-registry-config\n              readOnly: true\n", "")
    .replace("        - name: docker-config\n          secret:\n            secretName: registry-auth-secret\n        - name: tls-registry-config\n          secret:\n            secretName: registry-tls-secret\n", "");
    let f = run(&y);
    assert_eq!(rules_of(&f), vec![rules::PRIVATE_REGISTRIES_OFF], "{f:#?}");
    assert_eq!(f[0].severity, Severity::Info);
    assert!(with(rules::PRIVATE_REGISTRIES_OFF, &run(&good())).is_empty());
}

#[test]
fn a_problem_behind_the_parse_stop_is_reported_and_says_so() {
    // `--enable-private-registries true`: Go stops at `true`, the TLS flags after it are
    // ignored, so the invalid CA does not matter yet; it will once the stop is fixed.
    let y = good_yaml(AUTH_JSON, "not a certificate").replacen(
        "            - --enable-private-registries=true\n",
        "            - --enable-private-registries\n            - \"true\"\n",
        1,
    );
    let all = run(&y);
    assert_eq!(
        with(rules::FLAG_BOOL_WITHOUT_EQUALS, &all).len(),
        1,
        "{all:#?}"
    );
    let ca = with(rules::TLS_CA_INVALID, &all);
    assert_eq!(ca.len(), 1, "{all:#?}");
    assert_eq!(ca[0].severity, Severity::Error);
    assert!(
        ca[0].message.contains("after the parse stop")
            && ca[0]
                .message
                .contains("\"--enable-private-registries true\""),
        "{}",
        ca[0].message
    );
    assert!(has_errors(&all));
    // What the runner meets today is not marked.
    let stop = &with(rules::FLAG_BOOL_WITHOUT_EQUALS, &all)[0];
    assert!(!stop.message.contains("after the parse stop"));
    let today = with(rules::AUTH_PATH_OUTSIDE_MOUNT, &all);
    assert_eq!(today.len(), 1, "{all:#?}");
    assert!(!today[0].message.contains("after the parse stop"));
    // Two stops in a row (the flag given again, before the TLS flags): what is behind the
    // second one names both fixes.
    let y = y.replacen(
        "            - --enable-private-registries-tls=true\n",
        "            - -enable-private-registries\n            - \"true\"\n            - --enable-private-registries-tls=true\n",
        1,
    );
    let all = run(&y);
    let ca = with(rules::TLS_CA_INVALID, &all);
    assert_eq!(ca.len(), 1, "{all:#?}");
    assert!(
        ca[0]
            .message
            .contains("stops reading flags at \"-enable-private-registries true\"")
            && ca[0].message.contains(
                "\"--enable-private-registries true\" is written --enable-private-registries=true"
            ),
        "{}",
        ca[0].message
    );
    // No stop, no such note.
    let all = run(&good_yaml(AUTH_JSON, "not a certificate"));
    assert!(
        all.iter()
            .all(|f| !f.message.contains("after the parse stop"))
    );
}

#[test]
fn findings_about_flags_point_at_the_list_that_holds_them() {
    // Catalog form: the flags are in `command:`.
    let no_tls_flags = edit(
        "            - --enable-private-registries-tls=true\n            - --tls-secret-path=/var/tmp/tls-secret/\n",
        "",
    );
    let f = with(rules::TLS_FLAGS_WITHOUT_ENABLE, &run(&no_tls_flags));
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].field.as_deref(),
        Some("spec.template.spec.containers[0].command")
    );
    let tls_only = edit("            - --enable-private-registries=true\n", "");
    let f = with(rules::TLS_WITHOUT_PRIVATE_REGISTRIES, &run(&tls_only));
    assert_eq!(
        f[0].field.as_deref(),
        Some("spec.template.spec.containers[0].command")
    );
    // The docs' form: in `args:`.
    let docs = no_tls_flags.replace(
        "          command:\n            - /home/nonroot/server\n",
        "          args:\n",
    );
    let f = with(rules::TLS_FLAGS_WITHOUT_ENABLE, &run(&docs));
    assert_eq!(
        f[0].field.as_deref(),
        Some("spec.template.spec.containers[0].args")
    );
    // No flags at all beside the binary: `command:` it is.
    let bare = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: function-runner
  namespace: porch-system
spec:
  template:
    spec:
      containers:
        - name: function-runner
          command: [/home/nonroot/server]
"#;
    let f = with(rules::PRIVATE_REGISTRIES_OFF, &run(bare));
    assert_eq!(
        f[0].field.as_deref(),
        Some("spec.template.spec.containers[0].command")
    );
    let f = with(
        rules::PRIVATE_REGISTRIES_OFF,
        &run(&bare.replace("command: [/home/nonroot/server]", "image: x")),
    );
    assert_eq!(
        f[0].field.as_deref(),
        Some("spec.template.spec.containers[0].args")
    );
    // The auth file outside its mount: the finding points at the flags' list too.
    let y = edit(
        "--registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson",
        "--registry-auth-secret-path=/elsewhere/.dockerconfigjson",
    );
    let f = with(rules::AUTH_PATH_OUTSIDE_MOUNT, &run(&y));
    assert!(
        f.iter()
            .all(|f| f.field.as_deref() == Some("spec.template.spec.containers[0].command")),
        "{f:#?}"
    );
}

#[test]
fn registry_keys_judged_by_the_runner_model() {
    // runner::name::key_can_match: ParseReference(KEY+"/ab/cd") has registry KEY
    // (go-containerregistry v0.20.6 pkg/name: no lower-casing, no trimming, ports unchecked).
    let json = r#"{"auths":{"GHCR.IO":{"auth":"dTpw"},"ghcr.io.":{"auth":"dTpw"},"r.io:0":{"auth":"dTpw"}," ghcr.io":{"auth":"dTpw"},"localhost":{"auth":"dTpw"}}}"#;
    let f = with(
        rules::REGISTRY_KEY_UNMATCHED,
        &run(&good_yaml(json, &good_ca())),
    );
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(f.iter().any(|x| x.message.contains("\" ghcr.io\"")));
    let local = f
        .iter()
        .find(|x| x.message.contains("\"localhost\""))
        .unwrap();
    assert!(local.message.contains("Docker Hub"), "{}", local.message);
}

#[test]
fn auth_files_go_accepts_are_not_malformed() {
    // podmanager.go getCustomAuth = encoding/json + authn.AuthConfig.UnmarshalJSON: unpadded
    // auth, a number in email, credHelpers as an array, null entries, 1e400, folded names.
    for json in [
        r#"{"auths":{"ghcr.io":{"auth":"dTpw"}}}"#,
        r#"{"auths":{"ghcr.io":{"auth":"dTpw","email":5}},"credHelpers":[1],"x":1e400}"#,
        r#"{"Auths":{"ghcr.io":{"Username":"u","Password":"p"}}}"#,
        r#"{"auths":{"ghcr.io":{"auth":"dTpw"},"q.io":null}}"#,
    ] {
        let all = run(&good_yaml(json, &good_ca()));
        assert!(
            with(rules::REGISTRY_AUTH_INVALID, &all).is_empty(),
            "{json}: {all:#?}"
        );
    }
    // username without password: no header is sent (transport/basic.go)
    let all = run(&good_yaml(
        r#"{"auths":{"ghcr.io":{"username":"u"}}}"#,
        &good_ca(),
    ));
    let f = with(rules::REGISTRY_AUTH_INVALID, &all);
    assert_eq!(f.len(), 1, "{all:#?}");
    assert!(f[0].message.contains("Basic header only when both"));
}
