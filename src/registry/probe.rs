//! `check --probe`: log in to every registry of an auth file (token handshake included) and
//! report whether the credentials are accepted and which TLS step worked.

use std::fmt;

use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde::Serialize;

use super::auth::{Challenge, parse_challenge};
use super::client::{ClientError, Session, describe_connect};
use super::credentials::{self, ResolvedCredential};
use super::tls::{self, CaInput, TlsStep};
use crate::error::{Error, Result};

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

fn valid_host_key(key: &str) -> bool {
    !key.is_empty()
        && !key.contains("://")
        && !key.contains('/')
        && !key.contains(char::is_whitespace)
        && key != "docker.io"
}

async fn probe_one(
    key: &str,
    cred: Option<credentials::Credential>,
    ca: Option<&CaInput>,
    allow_insecure_http: bool,
) -> ProbeResult {
    let username = cred.as_ref().map(|c| c.username.clone());
    let registry = if valid_host_key(key) {
        key.to_string()
    } else {
        credentials::loosely_normalize_key(key)
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
    if !valid_host_key(key) {
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
            Ok((outcome, msg)) => {
                base.outcome = outcome;
                base.tls_step = Some(step.clone());
                base.message = format!("{msg} (TLS: {step})");
                return base;
            }
            Err(ClientError::Connect { detail, .. }) => {
                base.tls_failures.push(format!("{step}: {detail}"));
            }
            Err(ClientError::Fatal(e)) => {
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
    let resp = s.http().get(&url).send().await.map_err(|e| {
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
                Err(ClientError::Fatal(Error::Registry(m)))
                    if m.contains("refused the credentials") =>
                {
                    Ok((
                        ProbeOutcome::Refused,
                        format!(
                            "token handshake: user '{}' refused by the token service; fix the password or token in the entry",
                            cred.username
                        ),
                    ))
                }
                Err(e) => Err(e),
            }
        }
        None => Ok((
            ProbeOutcome::Error,
            "401 without a Basic or Bearer challenge".into(),
        )),
    }
}
