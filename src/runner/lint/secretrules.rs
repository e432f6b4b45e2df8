//! Rules about the Secrets: types the API server rejects, the auth file as the runner parses
//! it, the CA bundle as the runner loads it. No value is ever quoted.

use std::collections::BTreeMap;

use serde_json::Value;

use super::flagrules::Effective;
use super::model::{Runner, SecretLookup, SecretObj, VolumeSource, find_secret, secrets};
use super::mountrules::Resolved;
use super::{Finding, LintContext, Severity, rules};
use crate::runner::authfile::{self, AuthFile, AuthFileError, Credential};
use crate::runner::ca::{CaError, CaWarning, analyze_ca_pem};
use crate::runner::dockerconfig::{registry_key_from_input, validate_username};
use crate::runner::name::key_can_match;

/// The field path of a data key (`data.ca.crt` would read as nested keys).
fn data_field(key: &str) -> String {
    if key.contains('.') {
        format!("data[{key}]")
    } else {
        format!("data.{key}")
    }
}

fn on_secret(
    s: &SecretObj<'_>,
    severity: Severity,
    rule: &'static str,
    field: Option<String>,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        severity,
        rule,
        object: s.object(),
        message,
        fix,
        object_index: Some(s.index),
        field,
    }
}

/// Checks every Secret on its own (what the API server accepts).
pub fn lint_all_secrets(objects: &[Value], out: &mut Vec<Finding>) {
    for s in secrets(objects) {
        if let Some(data) = s.value.get("data").and_then(Value::as_object) {
            for (k, _) in data {
                if let Some(Err(())) = s.bytes(k) {
                    // stringData wins over data, but the API server still decodes data.
                    out.push(on_secret(
                        &s,
                        Severity::Error,
                        rules::SECRET_DATA_INVALID,
                        Some(data_field(k)),
                        format!(
                            "the value of data key \"{k}\" is not base64 (a placeholder?): the API server rejects the Secret"
                        ),
                        format!(
                            "put the base64 of the content under data, or the plain text under stringData, for key \"{k}\""
                        ),
                    ));
                }
            }
        }
        let ty = s.type_();
        let required: &[&str] = match ty {
            "kubernetes.io/tls" => &["tls.crt", "tls.key"],
            "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
            "kubernetes.io/dockercfg" => &[".dockercfg"],
            "kubernetes.io/ssh-auth" => &["ssh-privatekey"],
            _ => &[],
        };
        let missing: Vec<&str> = required.iter().copied().filter(|k| !s.has_key(k)).collect();
        if !missing.is_empty() {
            let ca_only = ty == "kubernetes.io/tls" && (s.has_key("ca.crt") || s.has_key("ca.pem"));
            let (message, fix) = if ca_only {
                (
                    format!(
                        "type kubernetes.io/tls requires tls.crt and tls.key, but this Secret holds only a CA ({}): the API server rejects it",
                        s.keys().join(", ")
                    ),
                    "a CA-only Secret must be `type: Opaque` (kubectl porch-registry secret tls --ca-file ca.crt writes one)".to_string(),
                )
            } else {
                (
                    format!(
                        "type {ty} requires the key(s) {}, which the Secret does not have (it has: {}): the API server rejects it",
                        missing.join(", "),
                        if s.keys().is_empty() {
                            "no keys".to_string()
                        } else {
                            s.keys().join(", ")
                        }
                    ),
                    if ty == "kubernetes.io/dockerconfigjson" {
                        "store the docker config under .dockerconfigjson (kubectl porch-registry secret auth writes one)".to_string()
                    } else {
                        format!("add {} or use `type: Opaque`", missing.join(" and "))
                    },
                )
            };
            out.push(on_secret(
                &s,
                Severity::Error,
                rules::SECRET_WRONG_TYPE,
                Some("type".into()),
                message,
                fix,
            ));
        }
        if ty == "kubernetes.io/dockercfg" {
            out.push(on_secret(
                &s,
                Severity::Warning,
                rules::SECRET_WRONG_TYPE,
                Some("type".into()),
                "type kubernetes.io/dockercfg holds the legacy format without \"auths\": if the runner reads it, it finds no credentials".into(),
                "use type kubernetes.io/dockerconfigjson with key .dockerconfigjson".into(),
            ));
        }
    }
}

/// Checks the Secrets the runner mounts and reads.
pub fn lint_runner_secrets(
    r: &Runner<'_>,
    eff: &Effective,
    resolved: &Resolved<'_>,
    objects: &[Value],
    ctx: &LintContext,
    out: &mut Vec<Finding>,
) {
    // Every Secret volume: present, in the right namespace.
    for v in &r.volumes {
        let VolumeSource::Secret { secret_name, .. } = &v.source else {
            continue;
        };
        let Some(name) = secret_name.as_deref().filter(|n| !n.is_empty()) else {
            out.push(Finding {
                severity: Severity::Error,
                rule: rules::VOLUME_MOUNT_MISMATCH,
                object: r.object.clone(),
                message: format!("volume \"{}\" has no secret.secretName", v.name),
                fix: "name the Secret in secret.secretName".into(),
                object_index: Some(r.index),
                field: Some(v.field.clone()),
            });
            continue;
        };
        if let Err(why) = crate::runner::secrets::validate_object_name(name) {
            out.push(Finding {
                severity: Severity::Error,
                rule: rules::VOLUME_MOUNT_MISMATCH,
                object: r.object.clone(),
                message: format!(
                    "volume \"{}\" names Secret {why} (a placeholder?): the API server rejects the Deployment",
                    v.name
                ),
                fix: "put the real Secret's name in secret.secretName".into(),
                object_index: Some(r.index),
                field: Some(v.field.clone()),
            });
            continue;
        }
        match find_secret(objects, name, &r.namespace) {
            SecretLookup::Found(_) => {}
            SecretLookup::WrongNamespace(s) => out.push(on_secret(
                &s,
                Severity::Error,
                rules::SECRET_WRONG_NAMESPACE,
                Some("metadata.namespace".into()),
                format!(
                    "volume \"{}\" of {} mounts Secret {name}, but this Secret is in namespace {}: a pod can only mount Secrets of its own namespace ({}), so it stays in ContainerCreating",
                    v.name,
                    r.object,
                    s.namespace().unwrap_or("?"),
                    r.namespace
                ),
                format!("set metadata.namespace: {}", r.namespace),
            )),
            SecretLookup::Missing => {
                let (severity, where_) = if ctx.offline {
                    (Severity::Warning, "among the manifests")
                } else {
                    (Severity::Error, "in the cluster")
                };
                let make = if v.name.contains("tls") || name.contains("tls") {
                    "kubectl porch-registry secret tls --ca-file ca.crt"
                } else {
                    "kubectl porch-registry secret auth --registry HOST --username USER --password-stdin"
                };
                out.push(Finding {
                    severity,
                    rule: rules::SECRET_MISSING,
                    object: r.object.clone(),
                    message: format!(
                        "volume \"{}\" names Secret {}/{name}, which is not {where_}: until it exists the runner pod stays in ContainerCreating",
                        v.name, r.namespace
                    ),
                    fix: format!(
                        "create it in namespace {} ({make} -n {} --name {name} | kubectl apply -f -){}",
                        r.namespace,
                        r.namespace,
                        if ctx.offline { ", or add it to the manifests" } else { "" }
                    ),
                    object_index: Some(r.index),
                    field: Some(v.field.clone()),
                });
            }
        }
    }

    // The auth file the runner reads, and every other docker config among the Secrets.
    let mut auth_files: Vec<(SecretObj<'_>, String, bool)> = Vec::new();
    if let Some((s, key)) = &resolved.auth {
        auth_files.push((*s, key.clone(), true));
    }
    for s in secrets(objects) {
        if s.has_key(".dockerconfigjson")
            && !auth_files
                .iter()
                .any(|(o, k, _)| o.index == s.index && k == ".dockerconfigjson")
        {
            auth_files.push((s, ".dockerconfigjson".into(), false));
        }
    }
    for (s, key, used) in &auth_files {
        lint_auth_file(s, key, *used, out);
    }

    // The CA folder.
    if let Some((s, files)) = &resolved.tls {
        lint_tls_secret(s, files, ctx, out);
    }
    if eff.tls {
        out.push(Finding {
            severity: Severity::Info,
            rule: rules::NODE_CA_TRUST,
            object: r.object.clone(),
            message: "the runner only reads the image config; the kubelet pulls the function image itself, so every node's container runtime must trust the registry CA too, or function pods fail with \"x509: certificate signed by unknown authority\"".into(),
            fix: "install the CA on every node (containerd: /etc/containerd/certs.d/REGISTRY/ca.crt; CRI-O/podman: /etc/containers/certs.d/REGISTRY/ca.crt), or use a registry certificate from a CA the nodes already trust".into(),
            object_index: Some(r.index),
            field: None,
        });
    }
}

fn lint_auth_file(s: &SecretObj<'_>, key: &str, used: bool, out: &mut Vec<Finding>) {
    let Some(Ok(bytes)) = s.bytes(key) else {
        return; // missing key or not base64: other rules say so
    };
    let field = Some(data_field(key));
    let who = if used {
        "the runner"
    } else {
        "the runner (if it mounts this Secret)"
    };
    // Read exactly as the runner reads it (runner::authfile): one error fails the whole file.
    let file = match AuthFile::parse(&bytes) {
        Ok(f) => f,
        Err(e) => {
            let fix = match e {
                AuthFileError::Auth { .. } => {
                    "set \"auth\" to base64 of user:password (printf '%s' 'USER:PASSWORD' | base64 -w0), or regenerate with kubectl porch-registry secret auth"
                }
                _ => {
                    "regenerate it: kubectl porch-registry secret auth --registry HOST --username USER --password-stdin"
                }
            };
            out.push(on_secret(
                s,
                Severity::Error,
                rules::REGISTRY_AUTH_INVALID,
                field,
                format!(
                    "{key} {}: {who}'s whole parse fails, so no function pod is created for any image outside gcr.io/kpt-fn/",
                    match &e {
                        AuthFileError::Syntax(_) | AuthFileError::Type { .. } => e.to_string(),
                        AuthFileError::Auth { .. } => format!("has a malformed \"auth\" ({e})"),
                    }
                ),
                fix.into(),
            ));
            return;
        }
    };
    let helpers = authfile::helpers(&bytes);
    for (reg, entry) in &file.auths {
        match entry.credential() {
            Credential::Basic { .. } | Credential::Bearer => {}
            Credential::None
                if entry.username.is_empty() && entry.password.is_empty() && entry.auth.is_empty() =>
            {
                let helper = helpers
                    .cred_helpers
                    .get(reg)
                    .or(helpers.creds_store.as_ref());
                let message = match helper {
                    Some(h) => format!(
                        "auths entry \"{reg}\" has no credentials inline: they live in the credential helper docker-credential-{h}, which the runner cannot run, so pulls from {reg} go anonymous"
                    ),
                    None => format!(
                        "auths entry \"{reg}\" is empty (no auth, no username/password): pulls from {reg} go anonymous"
                    ),
                };
                out.push(on_secret(
                    s,
                    Severity::Error,
                    rules::CREDENTIAL_HELPER_ONLY,
                    field.clone(),
                    message,
                    "resolve the helper into inline credentials: kubectl porch-registry secret auth --from-docker-config".into(),
                ));
            }
            Credential::None => out.push(on_secret(
                s,
                Severity::Error,
                rules::REGISTRY_AUTH_INVALID,
                field.clone(),
                format!(
                    "auths entry \"{reg}\" has a {} without a {}: the runner's library sends a Basic header only when both are set, so pulls from {reg} go anonymous",
                    if entry.username.is_empty() { "password" } else { "username" },
                    if entry.username.is_empty() { "username" } else { "password" },
                ),
                "give both username and password (or auth), or regenerate with kubectl porch-registry secret auth".into(),
            )),
            Credential::IdentityToken => out.push(on_secret(
                s,
                Severity::Warning,
                rules::CREDENTIAL_HELPER_ONLY,
                field.clone(),
                format!(
                    "auths entry \"{reg}\" holds only an identity token: the runner exchanges it at a Bearer token endpoint only; a registry with Basic authentication gets no credentials"
                ),
                "log in with a user name and password (or token as password) and regenerate the Secret".into(),
            )),
        }
    }
    // A ':' in a user name field: the Basic header is user:password, split at the first ':'.
    for (reg, entry) in &file.auths {
        if let Err(why) = validate_username(&entry.written_username) {
            out.push(on_secret(
                s,
                Severity::Error,
                rules::REGISTRY_AUTH_INVALID,
                field.clone(),
                format!("auths entry \"{reg}\": {why}; pulls from {reg} fail to authenticate"),
                "use a user name without ':' (e.g. a robot or token account) and regenerate the Secret: kubectl porch-registry secret auth".into(),
            ));
        }
    }
    for (reg, helper) in &helpers.cred_helpers {
        if !file.auths.contains_key(reg) {
            out.push(on_secret(
                s,
                Severity::Error,
                rules::CREDENTIAL_HELPER_ONLY,
                field.clone(),
                format!(
                    "credHelpers sends {reg} to docker-credential-{helper}, which the runner cannot run: pulls from {reg} go anonymous"
                ),
                "resolve the helper into inline credentials: kubectl porch-registry secret auth --from-docker-config".into(),
            ));
        }
    }
    if file.auths.is_empty() && helpers.cred_helpers.is_empty() {
        let msg = match &helpers.creds_store {
            Some(h) => format!(
                "{key} has no \"auths\": every credential is in docker-credential-{h}, which the runner cannot run"
            ),
            None => format!(
                "{key} has no \"auths\" entries (an old .dockercfg layout?): the runner finds no credentials at all"
            ),
        };
        out.push(on_secret(
            s,
            Severity::Error,
            if helpers.creds_store.is_some() {
                rules::CREDENTIAL_HELPER_ONLY
            } else {
                rules::REGISTRY_AUTH_INVALID
            },
            field.clone(),
            msg,
            "write {\"auths\": {\"HOST\": {\"auth\": ...}}}: kubectl porch-registry secret auth --from-docker-config".into(),
        ));
    }
    // Keys as the runner looks them up: a key is unmatched iff no image the runner's library
    // parses has it as its registry (runner::name::key_can_match).
    for reg in file.auths.keys() {
        if key_can_match(reg) {
            continue;
        }
        let meant = registry_key_from_input(reg)
            .ok()
            .filter(|n| n.key != *reg && key_can_match(&n.key));
        let why = match &meant {
            Some(n) => n.why.join("; "),
            None => match registry_key_from_input(reg) {
                Err(e) => e.to_string(),
                Ok(_) => "it is not written as host[:port]".into(),
            },
        };
        let shadowed = meant
            .as_ref()
            .is_some_and(|n| file.auths.contains_key(&n.key));
        let (severity, tail, fix) = match &meant {
            Some(n) if shadowed => (
                Severity::Warning,
                format!("an entry \"{}\" exists too, so this one is dead weight", n.key),
                format!("remove the \"{reg}\" entry"),
            ),
            Some(n) => (
                Severity::Error,
                format!("pulls from {} go anonymous and fail for private images", n.key),
                format!("use the key \"{}\" instead of \"{reg}\"", n.key),
            ),
            None => (
                Severity::Error,
                "no image's registry is ever looked up under it".to_string(),
                "use the registry's host[:port] exactly as in the image names, e.g. registry.example.com:5000".to_string(),
            ),
        };
        out.push(on_secret(
            s,
            severity,
            rules::REGISTRY_KEY_UNMATCHED,
            field.clone(),
            format!(
                "auths key \"{reg}\" never matches: the runner looks up the image's registry exactly, as go-containerregistry prints it (host[:port]): {why}; {tail}"
            ),
            fix,
        ));
    }
}

fn lint_tls_secret(
    s: &SecretObj<'_>,
    files: &BTreeMap<String, String>,
    ctx: &LintContext,
    out: &mut Vec<Finding>,
) {
    let chosen = ["ca.crt", "ca.pem"]
        .into_iter()
        .find_map(|f| files.get(f).map(|k| (f, k.clone())));
    let Some((file, key)) = chosen else {
        let have: Vec<&str> = files.keys().map(String::as_str).collect();
        let extra = if have.contains(&"tls.crt") {
            " (tls.crt is a server certificate slot; the runner wants the CA that signed the registry's certificate as ca.crt)"
        } else {
            ""
        };
        out.push(on_secret(
            s,
            Severity::Error,
            rules::TLS_CA_KEY_MISSING,
            Some("data".into()),
            format!(
                "the runner looks for ca.crt, else ca.pem, in the TLS folder, but Secret {} has neither (it has: {}){extra}: every private pull fails",
                s.name(),
                if have.is_empty() { "no keys".to_string() } else { have.join(", ") }
            ),
            "store the CA bundle under the key ca.crt (kubectl porch-registry secret tls --ca-file ca.crt)".into(),
        ));
        return;
    };
    let field = Some(data_field(&key));
    let Some(Ok(pem)) = s.bytes(&key) else {
        return;
    };
    let fallback_note = if file == "ca.crt" && files.contains_key("ca.pem") {
        " (the runner takes ca.crt and never falls back to ca.pem)"
    } else {
        ""
    };
    match analyze_ca_pem(&pem, ctx.now_unix) {
        Ok(report) => {
            for w in &report.warnings {
                let severity = match w {
                    CaWarning::Expired { .. } | CaWarning::NotYetValid { .. } => Severity::Error,
                    CaWarning::NotCa { .. } | CaWarning::ExpiresSoon { .. } => Severity::Warning,
                };
                out.push(on_secret(
                    s,
                    severity,
                    rules::TLS_CA_INVALID,
                    field.clone(),
                    format!("{file}: {w}"),
                    "put the current CA certificate of the registry in ca.crt".into(),
                ));
            }
        }
        Err(CaError::PrivateKey) => {
            let has_cert = String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----");
            let (severity, tail) = if has_cert {
                (
                    Severity::Warning,
                    "the runner ignores it, but a private key has no business in the runner's mount",
                )
            } else {
                (
                    Severity::Error,
                    "and no certificate: the runner fails (\"failed to append certificates from PEM\")",
                )
            };
            out.push(on_secret(
                s,
                severity,
                rules::TLS_CA_INVALID,
                field,
                format!("{file} holds a private key{fallback_note}; {tail}"),
                "keep only the CA certificate(s) in ca.crt".into(),
            ));
        }
        Err(e) => out.push(on_secret(
            s,
            Severity::Error,
            rules::TLS_CA_INVALID,
            field,
            format!(
                "{file} {e}{fallback_note}: the runner fails to load it (\"failed to append certificates from PEM\") and no private pull works"
            ),
            "put the registry's CA certificate in PEM form under ca.crt".into(),
        )),
    }
}
