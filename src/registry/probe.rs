//! `check --probe`: log in to every registry of an auth file (token handshake included) and
//! report whether the credentials are accepted and which TLS step worked.

use std::fmt;

use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde::Serialize;

use super::auth::{Challenge, parse_challenge};
use super::client::{ClientError, Session, describe_connect, request_deadline};
use super::credentials::{self, ResolvedCredential};
use super::tls::{self, CaInput, TlsStep};
use crate::error::{Error, Result};
use crate::runner::lint::{Finding, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeOutcome {
    /// The registry accepted the credentials.
    Accepted,
    /// The registry (or its token service) refused them.
    Refused,
    /// The registry asks for no authentication (credentials not checked).
    NoAuthRequired,
    /// No TLS step could connect.
    Unreachable,
    /// The key is not host[:port]: the runner's exact lookup never matches it.
    KeyNeverMatches,
    /// The entry has no credentials.
    NoCredentials,
    /// Something else went wrong (an unexpected status, a broken token service).
    Error,
}

impl fmt::Display for ProbeOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProbeOutcome::Accepted => "credentials accepted",
            ProbeOutcome::Refused => "credentials refused",
            ProbeOutcome::NoAuthRequired => "no authentication required",
            ProbeOutcome::Unreachable => "unreachable",
            ProbeOutcome::KeyNeverMatches => "key never matches",
            ProbeOutcome::NoCredentials => "no credentials",
            ProbeOutcome::Error => "error",
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeResult {
    /// The key as written in the auth file.
    pub key: String,
    /// The registry contacted (the key, or the host it normalises to).
    pub registry: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub outcome: ProbeOutcome,
    /// The TLS step that connected (None if none did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_step: Option<TlsStep>,
    /// Why earlier TLS steps failed.
    pub tls_failures: Vec<String>,
    /// One line for people.
    pub message: String,
}

/// Probe every registry in a `.dockerconfigjson` (sync; builds its own runtime).
pub fn probe_all(dockerconfig: &[u8], ca: Option<&CaInput>) -> Result<Vec<ProbeResult>> {
    probe_all_with(dockerconfig, "the auth Secret", ca, false)
}

/// As [`probe_all`], naming the source and optionally allowing plain HTTP.
pub fn probe_all_with(
    dockerconfig: &[u8],
    origin: &str,
    ca: Option<&CaInput>,
    allow_insecure_http: bool,
) -> Result<Vec<ProbeResult>> {
    let entries = credentials::all_entries(dockerconfig, origin)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::other(format!("cannot start the async runtime: {e}")))?;
    let mut out = Vec::new();
    for (key, cred) in entries {
        out.push(rt.block_on(probe_one(&key, cred, ca, allow_insecure_http)));
    }
    Ok(out)
}

async fn probe_one(
    key: &str,
    cred: Option<credentials::Credential>,
    ca: Option<&CaInput>,
    allow_insecure_http: bool,
) -> ProbeResult {
    let username = cred.as_ref().map(|c| c.username.clone());
    // The runner model: a key is used iff some image's registry is exactly this key.
    let matches = crate::runner::name::key_can_match(key);
    let registry = if matches {
        key.to_string()
    } else {
        crate::runner::dockerconfig::registry_key_from_input(key)
            .map(|n| n.key)
            .unwrap_or_else(|_| credentials::docker_loose_key(key))
    };
    let mut base = ProbeResult {
        key: key.to_string(),
        registry: registry.clone(),
        username: username.clone(),
        outcome: ProbeOutcome::Error,
        tls_step: None,
        tls_failures: Vec::new(),
        message: String::new(),
    };
    if !matches {
        base.outcome = ProbeOutcome::KeyNeverMatches;
        base.message = format!(
            "key '{key}' is not host[:port]: the runner looks images up by exact registry ('{registry}') and never uses this entry; rename the key to '{registry}'"
        );
        return base;
    }
    if cred.is_none() {
        base.outcome = ProbeOutcome::NoCredentials;
        base.message = format!("entry '{key}' has no auth, username or password");
        return base;
    }
    let resolved = ResolvedCredential {
        credential: cred,
        description: format!("key '{key}'"),
        hint: None,
    };
    for step in tls::steps(ca, allow_insecure_http) {
        let http = match tls::http_client(&step, ca) {
            Ok(h) => h,
            Err(e) => {
                base.tls_failures.push(format!("{step}: {e}"));
                continue;
            }
        };
        let session = Session::new(http, step.clone(), &registry, "", &resolved);
        match login(&session).await {
            Ok((ProbeOutcome::Error, msg)) if step == TlsStep::PlainHttp => {
                // An HTTPS server answering a plain request (400) is not a plain-HTTP registry.
                base.tls_failures.push(format!("{step}: {msg}"));
            }
            Ok((outcome, msg)) => {
                base.outcome = outcome;
                // The step is a field of its own: the findings name it, once.
                base.tls_step = Some(step.clone());
                base.message = msg;
                return base;
            }
            Err(ClientError::Connect { detail, .. }) => {
                base.tls_failures.push(format!("{step}: {detail}"));
            }
            Err(ClientError::Fatal(e) | ClientError::Refused(e)) => {
                base.tls_step = Some(step.clone());
                base.outcome = ProbeOutcome::Error;
                base.message = e.to_string();
                return base;
            }
        }
    }
    base.outcome = ProbeOutcome::Unreachable;
    base.message = format!(
        "no TLS step connected: {}",
        base.tls_failures.join("; then ")
    );
    base
}

/// Log in: ping /v2/, answer the challenge, check the answer.
async fn login(s: &Session) -> std::result::Result<(ProbeOutcome, String), ClientError> {
    let url = format!("{}/v2/", s.base());
    let resp = s
        .http()
        .get(&url)
        .timeout(request_deadline())
        .send()
        .await
        .map_err(|e| {
            let (detail, tls) = describe_connect(&e);
            ClientError::Connect { detail, tls }
        })?;
    if resp.status().is_success() {
        return Ok((
            ProbeOutcome::NoAuthRequired,
            "the registry answers without authentication; credentials not checked".into(),
        ));
    }
    if resp.status() != StatusCode::UNAUTHORIZED {
        return Ok((
            ProbeOutcome::Error,
            format!(
                "GET /v2/ answered {}; not an OCI registry API?",
                resp.status()
            ),
        ));
    }
    let ch = resp
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(parse_challenge)
        .collect::<Vec<_>>();
    let ch = ch
        .iter()
        .find(|c| matches!(c, Challenge::Bearer { .. }))
        .or(ch.first())
        .cloned();
    let cred = s.credential().expect("probe_one checked the credential");
    match ch {
        Some(Challenge::Basic { .. }) => {
            let r = s
                .http()
                .get(&url)
                .timeout(request_deadline())
                .basic_auth(&cred.username, Some(&cred.password))
                .send()
                .await
                .map_err(|e| {
                    let (detail, tls) = describe_connect(&e);
                    ClientError::Connect { detail, tls }
                })?;
            Ok(match r.status() {
                s2 if s2.is_success() => (
                    ProbeOutcome::Accepted,
                    format!("basic auth: user '{}' accepted", cred.username),
                ),
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => (
                    ProbeOutcome::Refused,
                    format!(
                        "basic auth: user '{}' refused ({}); fix the password in the entry",
                        cred.username,
                        r.status()
                    ),
                ),
                other => (ProbeOutcome::Error, format!("basic auth: answered {other}")),
            })
        }
        Some(Challenge::Bearer { realm, service, .. }) => {
            match s.fetch_token(&realm, service.as_deref(), None).await {
                Ok(token) => {
                    let r = s
                        .http()
                        .get(&url)
                        .timeout(request_deadline())
                        .bearer_auth(token)
                        .send()
                        .await
                        .map_err(|e| {
                            let (detail, tls) = describe_connect(&e);
                            ClientError::Connect { detail, tls }
                        })?;
                    Ok(if r.status().is_success() {
                        (
                            ProbeOutcome::Accepted,
                            format!("token handshake: user '{}' accepted", cred.username),
                        )
                    } else {
                        (
                            ProbeOutcome::Refused,
                            format!(
                                "token handshake: the token was refused by the registry ({})",
                                r.status()
                            ),
                        )
                    })
                }
                Err(ClientError::Refused(_)) => Ok((
                    ProbeOutcome::Refused,
                    format!(
                        "token handshake: user '{}' refused by the token service; fix the password or token in the entry",
                        cred.username
                    ),
                )),
                Err(e) => Err(e),
            }
        }
        None => Ok((
            ProbeOutcome::Error,
            "401 without a Basic or Bearer challenge".into(),
        )),
    }
}

// ---- `check --probe`: inputs from manifests or the cluster, results as lint findings ---------

/// What to probe: one auth file (and the CA the runner would use with it).
/// Debug never shows the auth file's bytes.
#[derive(Clone)]
pub struct ProbeInput {
    pub dockerconfigjson: Vec<u8>,
    /// e.g. `Secret/porch-system/registry-auth-secret`.
    pub origin: String,
    pub ca: Option<CaInput>,
}

impl fmt::Debug for ProbeInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeInput")
            .field("dockerconfigjson", &"<redacted>")
            .field("origin", &self.origin)
            .field(
                "ca",
                &self.ca.as_ref().map(|c| c.path.display().to_string()),
            )
            .finish()
    }
}

/// The names of the Secrets the runner container mounts at its auth path and (when TLS is
/// on) at its TLS path, read from its flags as Go parses them (defaults from the runner's
/// code): THE view of the runner ([`crate::runner::view`]), which `status` and `check` read
/// from a live Deployment, here over a Deployment from manifests.
pub fn runner_mounted_secrets(
    objects: &[serde_json::Value],
    deployment: &str,
    container: &str,
) -> Option<(Option<String>, Option<String>)> {
    use serde_json::Value;
    let d = objects.iter().find(|o| {
        o.get("kind").and_then(Value::as_str) == Some("Deployment")
            && o.pointer("/metadata/name").and_then(Value::as_str) == Some(deployment)
    })?;
    let view = crate::runner::view::runner_view(d, container).ok()?;
    let auth = view.auth_source().map(|(m, _)| m.secret.clone());
    let tls = if view.tls() {
        view.tls_source().map(|m| m.secret.clone())
    } else {
        None
    };
    Some((auth, tls))
}

/// From manifests: the Secrets the runner mounts (see [`runner_mounted_secrets`]); when the
/// runner cannot be resolved, every `kubernetes.io/dockerconfigjson` Secret with the CA of the
/// first Secret holding `ca.crt` (else `ca.pem`).
pub fn inputs_from_objects_for(
    objects: &[serde_json::Value],
    deployment: &str,
    container: &str,
) -> Result<Vec<ProbeInput>> {
    let Some((auth, tls)) = runner_mounted_secrets(objects, deployment, container) else {
        return inputs_from_objects(objects);
    };
    let named = |n: &str| {
        objects
            .iter()
            .filter(|o| o.get("kind").and_then(|k| k.as_str()) == Some("Secret"))
            .find(|o| o.pointer("/metadata/name").and_then(|v| v.as_str()) == Some(n))
            .cloned()
    };
    let mut chosen: Vec<serde_json::Value> = Vec::new();
    if let Some(s) = auth.as_deref().and_then(named) {
        chosen.push(s);
    }
    if let Some(s) = tls.as_deref().and_then(named) {
        chosen.push(s);
    }
    if chosen.is_empty() {
        // The mounted Secrets are not among the objects: fall back to what is there.
        return inputs_from_objects(objects);
    }
    let tls_on = tls.is_some();
    let mut inputs = inputs_from_objects(&chosen)?;
    if !tls_on {
        // The runner uses no CA when TLS is off: neither does the probe.
        for i in &mut inputs {
            i.ca = None;
        }
    }
    Ok(inputs)
}

/// From manifests: every `kubernetes.io/dockerconfigjson` Secret (key `.dockerconfigjson`),
/// with the CA of the first Secret holding `ca.crt` (else `ca.pem`), as the runner reads it.
pub fn inputs_from_objects(objects: &[serde_json::Value]) -> Result<Vec<ProbeInput>> {
    let secrets: Vec<&serde_json::Value> = objects
        .iter()
        .filter(|o| o.get("kind").and_then(|k| k.as_str()) == Some("Secret"))
        .collect();
    let name = |o: &serde_json::Value| {
        let m = o.get("metadata");
        let n = m
            .and_then(|m| m.get("name"))
            .and_then(|v| v.as_str())
            .unwrap_or("?");
        match m.and_then(|m| m.get("namespace")).and_then(|v| v.as_str()) {
            Some(ns) if !ns.is_empty() => format!("Secret/{ns}/{n}"),
            _ => format!("Secret/{n}"),
        }
    };
    let mut ca = None;
    for s in &secrets {
        for key in ["ca.crt", "ca.pem"] {
            if ca.is_none()
                && let Some(pem) = crate::runner::secrets::secret_data(s, key)
            {
                let input = CaInput {
                    path: std::path::PathBuf::from(format!("{} key {key}", name(s))),
                    pem,
                };
                // An unusable CA is reported by the lint; the probe then goes without it.
                if tls::config_only_ca(&input).is_ok() {
                    ca = Some(input);
                }
            }
        }
    }
    Ok(secrets
        .iter()
        .filter(|s| {
            s.get("type").and_then(|t| t.as_str()) == Some("kubernetes.io/dockerconfigjson")
        })
        .filter_map(|s| {
            Some(ProbeInput {
                dockerconfigjson: crate::runner::secrets::secret_data(
                    s,
                    crate::runner::secrets::DOCKERCONFIGJSON_KEY,
                )?,
                origin: name(s),
                ca: ca.clone(),
            })
        })
        .collect())
}

/// Rule ids of the probe findings (stable).
pub mod rules {
    pub const ACCEPTED: &str = "probe-credentials-accepted";
    pub const REFUSED: &str = "probe-credentials-refused";
    pub const NO_AUTH: &str = "probe-no-auth-required";
    pub const UNREACHABLE: &str = "probe-unreachable";
    pub const PLAIN_HTTP_ONLY: &str = "probe-plain-http-only";
    pub const CA_FALLBACK: &str = "probe-ca-fallback";
    pub const NOT_PROBED: &str = "probe-not-probed";
    pub const FAILED: &str = "probe-failed";
}

/// Probe results as findings for `check`.
pub fn findings(input: &ProbeInput, results: &[ProbeResult]) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in results {
        let object = format!("{} key {}", input.origin, r.key);
        let step = r
            .tls_step
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "none".into());
        let f = |severity, rule, message: String, fix: String| Finding {
            severity,
            rule,
            object: object.clone(),
            message,
            fix,
            object_index: None,
            field: None,
        };
        match r.outcome {
            ProbeOutcome::Accepted | ProbeOutcome::NoAuthRequired => {
                let (rule, what) = if r.outcome == ProbeOutcome::Accepted {
                    (rules::ACCEPTED, "credentials accepted")
                } else {
                    (rules::NO_AUTH, "no authentication required")
                };
                match &r.tls_step {
                    Some(TlsStep::PlainHttp) => out.push(f(
                        Severity::Error,
                        rules::PLAIN_HTTP_ONLY,
                        format!(
                            "{}: {what}, but only over plain HTTP; the runner has no plain-HTTP step{}",
                            r.registry,
                            if crate::runner::name::registry_tries_plain_http(&r.registry) {
                                " (its library does try plain HTTP for loopback/private addresses like this one, so pulls may still work)"
                            } else {
                                ""
                            }
                        ),
                        "serve the registry over HTTPS and give its CA with the TLS Secret".into(),
                    )),
                    Some(TlsStep::SystemRoots) if input.ca.is_some() => out.push(f(
                        Severity::Warning,
                        rules::CA_FALLBACK,
                        format!(
                            "{}: {what} via the system roots after the given CA failed ({}); the runner falls back the same way",
                            r.registry,
                            r.tls_failures.join("; ")
                        ),
                        "the CA in the TLS Secret is not the registry's: fix or drop it".into(),
                    )),
                    _ => out.push(f(
                        Severity::Info,
                        rule,
                        format!("{}: {} (TLS: {step})", r.registry, r.message),
                        String::new(),
                    )),
                }
            }
            ProbeOutcome::Refused => out.push(f(
                Severity::Error,
                rules::REFUSED,
                format!("{}: {} (TLS: {step})", r.registry, r.message),
                format!(
                    "fix the password or token for '{}' in the auth Secret (kubectl porch-registry secret auth ...)",
                    r.key
                ),
            )),
            ProbeOutcome::Unreachable => out.push(f(
                Severity::Error,
                rules::UNREACHABLE,
                format!("{}: {}", r.registry, r.message),
                if input.ca.is_none() {
                    "if the registry uses a private CA, add it with a TLS Secret (kubectl porch-registry secret tls)".into()
                } else {
                    "check the registry address and that the TLS Secret holds the CA that signed its certificate".into()
                },
            )),
            ProbeOutcome::KeyNeverMatches | ProbeOutcome::NoCredentials => out.push(f(
                Severity::Info,
                rules::NOT_PROBED,
                format!("not probed: {}", r.message),
                String::new(),
            )),
            ProbeOutcome::Error => out.push(f(
                Severity::Error,
                rules::FAILED,
                format!("{}: {}", r.registry, r.message),
                "check the registry address and that it is an OCI registry".into(),
            )),
        }
    }
    out
}

/// Everything `check --probe` adds: probe every input (plain HTTP tried last, to report
/// registries that only speak it) and turn the results into findings. The inputs come from
/// the objects ([`inputs_from_objects_for`]) or, live, from the Secrets the command read.
pub fn check_findings(inputs: &[ProbeInput]) -> Vec<Finding> {
    let mut out = Vec::new();
    if inputs.is_empty() {
        out.push(Finding {
            severity: Severity::Info,
            rule: rules::NOT_PROBED,
            object: "-".into(),
            message: "--probe: no kubernetes.io/dockerconfigjson Secret among the objects, nothing to log in to".into(),
            fix: String::new(),
            object_index: None,
            field: None,
        });
    }
    for input in inputs {
        // A malformed auth file is the lint's to report; the probe says why it skipped it.
        match probe_all_with(
            &input.dockerconfigjson,
            &input.origin,
            input.ca.as_ref(),
            true,
        ) {
            Ok(results) => out.extend(findings(input, &results)),
            Err(e) => out.push(Finding {
                severity: Severity::Error,
                rule: rules::NOT_PROBED,
                object: input.origin.clone(),
                message: format!("--probe: {e}"),
                fix: "fix the auth Secret first (see the other findings)".into(),
                object_index: None,
                field: None,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(outcome: ProbeOutcome, step: Option<TlsStep>) -> ProbeResult {
        ProbeResult {
            key: "r.example.com".into(),
            registry: "r.example.com".into(),
            username: Some("u".into()),
            outcome,
            tls_step: step,
            tls_failures: vec!["given CA (ca.crt): invalid peer certificate".into()],
            message: "m".into(),
        }
    }

    fn input(with_ca: bool) -> ProbeInput {
        ProbeInput {
            dockerconfigjson: vec![],
            origin: "Secret/porch-system/auth".into(),
            ca: with_ca.then(|| CaInput {
                path: "ca.crt".into(),
                pem: vec![],
            }),
        }
    }

    fn one(i: &ProbeInput, r: ProbeResult) -> Finding {
        let f = findings(i, &[r]);
        assert_eq!(f.len(), 1);
        f.into_iter().next().unwrap()
    }

    #[test]
    fn outcomes_to_findings() {
        let ca = TlsStep::GivenCa {
            path: "ca.crt".into(),
        };
        let f = one(
            &input(true),
            result(ProbeOutcome::Accepted, Some(ca.clone())),
        );
        assert_eq!((f.severity, f.rule), (Severity::Info, rules::ACCEPTED));
        assert_eq!(f.object, "Secret/porch-system/auth key r.example.com");
        let f = one(
            &input(true),
            result(ProbeOutcome::Accepted, Some(TlsStep::SystemRoots)),
        );
        assert_eq!(
            (f.severity, f.rule),
            (Severity::Warning, rules::CA_FALLBACK)
        );
        let f = one(
            &input(false),
            result(ProbeOutcome::Accepted, Some(TlsStep::SystemRoots)),
        );
        assert_eq!(
            f.rule,
            rules::ACCEPTED,
            "no CA given: system roots is the plan"
        );
        let f = one(
            &input(false),
            result(ProbeOutcome::NoAuthRequired, Some(TlsStep::PlainHttp)),
        );
        assert_eq!(
            (f.severity, f.rule),
            (Severity::Error, rules::PLAIN_HTTP_ONLY)
        );
        let f = one(&input(true), result(ProbeOutcome::Refused, Some(ca)));
        assert_eq!((f.severity, f.rule), (Severity::Error, rules::REFUSED));
        let f = one(&input(false), result(ProbeOutcome::Unreachable, None));
        assert_eq!((f.severity, f.rule), (Severity::Error, rules::UNREACHABLE));
        assert!(f.fix.contains("secret tls"));
        let f = one(&input(false), result(ProbeOutcome::KeyNeverMatches, None));
        assert_eq!((f.severity, f.rule), (Severity::Info, rules::NOT_PROBED));
    }

    #[test]
    fn only_the_mounted_secrets_are_probed() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let secret = |name: &str, ty: &str, key: &str, val: &str| {
            serde_json::json!({"apiVersion": "v1", "kind": "Secret", "type": ty,
                "metadata": {"name": name}, "data": {key: b64(val)}})
        };
        let deployment = |tls: bool| {
            let mut cmd = vec![
                "/server".to_string(),
                "--enable-private-registries=true".into(),
                "--registry-auth-secret-path=/var/tmp/auth/.dockerconfigjson".into(),
            ];
            if tls {
                cmd.push("--enable-private-registries-tls=true".into());
                cmd.push("--tls-secret-path".into());
                cmd.push("/var/tmp/tls/".into());
            }
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "function-runner"},
                "spec": {"template": {"spec": {
                    "containers": [{"name": "function-runner", "command": cmd,
                        "volumeMounts": [
                            {"name": "a", "mountPath": "/var/tmp/auth"},
                            {"name": "t", "mountPath": "/var/tmp/tls"}]}],
                    "volumes": [
                        {"name": "a", "secret": {"secretName": "mounted-auth"}},
                        {"name": "t", "secret": {"secretName": "mounted-tls"}}]}}}})
        };
        let objects = |tls: bool| {
            vec![
                secret(
                    "decoy-auth",
                    "kubernetes.io/dockerconfigjson",
                    ".dockerconfigjson",
                    r#"{"auths":{"decoy":{}}}"#,
                ),
                secret("decoy-tls", "Opaque", "ca.crt", "not used"),
                deployment(tls),
                secret(
                    "mounted-auth",
                    "kubernetes.io/dockerconfigjson",
                    ".dockerconfigjson",
                    r#"{"auths":{"mounted":{}}}"#,
                ),
                secret("mounted-tls", "Opaque", "ca.pem", "garbage"),
            ]
        };
        assert_eq!(
            runner_mounted_secrets(&objects(true), "function-runner", "function-runner"),
            Some((Some("mounted-auth".into()), Some("mounted-tls".into())))
        );
        assert_eq!(
            runner_mounted_secrets(&objects(false), "function-runner", "function-runner"),
            Some((Some("mounted-auth".into()), None)),
            "TLS off: no TLS Secret"
        );
        // The runner uses its TLS folder only when private registries are on too (facts: TLS):
        // the TLS flag alone leaves the probe without a CA, as the runner is.
        let mut off = objects(true);
        off[2]["spec"]["template"]["spec"]["containers"][0]["command"][1] =
            "--enable-private-registries=false".into();
        assert_eq!(
            runner_mounted_secrets(&off, "function-runner", "function-runner"),
            Some((Some("mounted-auth".into()), None))
        );
        let i =
            inputs_from_objects_for(&objects(true), "function-runner", "function-runner").unwrap();
        assert_eq!(i.len(), 1);
        assert_eq!(i[0].origin, "Secret/mounted-auth");
        // Not the runner: every dockerconfigjson Secret.
        let i = inputs_from_objects_for(&objects(true), "other", "function-runner").unwrap();
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn inputs_from_manifests() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let objects = vec![
            serde_json::json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                "metadata": {"name": "auth", "namespace": "porch-system"},
                "data": {".dockerconfigjson": b64(r#"{"auths":{}}"#)}}),
            serde_json::json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": "tls"}, "stringData": {"ca.crt": "garbage"}}),
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
        ];
        let i = inputs_from_objects(&objects).unwrap();
        assert!(
            !format!("{i:?}").contains("auths"),
            "Debug hides the auth file"
        );
        assert_eq!(i.len(), 1);
        assert_eq!(i[0].origin, "Secret/porch-system/auth");
        assert_eq!(i[0].dockerconfigjson, br#"{"auths":{}}"#);
        assert!(i[0].ca.is_none(), "an unusable CA is left to the lint");
    }
}
