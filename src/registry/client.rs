//! A small OCI distribution client on reqwest: manifests, streamed blobs, basic and bearer
//! auth (the token handshake), precise errors.

use std::sync::Mutex;

use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, WWW_AUTHENTICATE};

use super::auth::{Challenge, check_realm_scheme, parse_challenge, pull_scope};
use super::cache::Cache;
use super::credentials::{Credential, CredentialHint, ResolvedCredential};
use super::manifest::{Descriptor, accept_header};
use super::tls::TlsStep;
use crate::error::Error;

/// Manifests larger than this are refused (real ones are a few KiB).
const MAX_MANIFEST: usize = 4 * 1024 * 1024;
/// Token service answers larger than this are refused (real ones are a few KiB).
const MAX_TOKEN_ANSWER: usize = 1024 * 1024;
/// Of an error answer only this much is read (it is only searched for an error code).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// The slowest a blob may come (bytes per second) before its deadline ends the download.
const MIN_BLOB_RATE: u64 = 64 * 1024;

/// How long one small request may take, from connecting to its answer's last byte (a
/// manifest, a token, a ping, an error): 60 s. A server that trickles its answer (a byte every
/// few seconds never trips the read timeout) is cut off here.
/// `PORCH_REGISTRY_TEST_REQUEST_DEADLINE_SECS` shortens it for the tests.
pub fn request_deadline() -> std::time::Duration {
    let secs = std::env::var("PORCH_REGISTRY_TEST_REQUEST_DEADLINE_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(60);
    std::time::Duration::from_secs(secs.min(3600))
}

/// A blob's deadline: the request deadline plus its size at [`MIN_BLOB_RATE`], at most a day.
fn blob_deadline(size: u64) -> std::time::Duration {
    let extra = (size / MIN_BLOB_RATE).min(24 * 3600);
    request_deadline() + std::time::Duration::from_secs(extra)
}

/// Why a body could not be read whole.
enum BodyError {
    /// More than the limit: the limit.
    TooLarge(usize),
    /// The connection failed or the deadline passed.
    Read(reqwest::Error),
}

/// Read an answer's body, at most `limit` bytes, while it streams (never buffered whole).
async fn read_limited(resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|l| l > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(BodyError::Read)?;
        if out.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The first `limit` bytes of a body (the rest is dropped with the connection); errors end
/// the read quietly.
async fn read_prefix(resp: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = limit - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    out
}

/// A failed read in a few words; a passed deadline is named as such.
fn describe_body_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!(
            "it did not arrive within {}s (the server sends too slowly or stalls)",
            request_deadline().as_secs()
        )
    } else {
        describe_connect(e).0
    }
}

/// A failure, split by whether the next TLS step could help.
#[derive(Debug)]
pub enum ClientError {
    /// The connection or the TLS handshake failed: the next step may work.
    Connect { detail: String, tls: bool },
    /// The registry or its token service refused the credentials that were sent (401/403).
    Refused(Error),
    /// Anything after a connection was made (HTTP status, auth, verification).
    Fatal(Error),
}

impl From<Error> for ClientError {
    fn from(e: Error) -> Self {
        ClientError::Fatal(e)
    }
}

impl ClientError {
    pub fn into_error(self, registry: &str, step: &TlsStep) -> Error {
        match self {
            ClientError::Fatal(e) | ClientError::Refused(e) => e,
            ClientError::Connect { detail, .. } => {
                Error::Registry(format!("{registry} ({step}): {detail}"))
            }
        }
    }
}

/// No Debug: it holds the bearer token.
#[derive(Clone)]
enum AuthState {
    /// Nothing sent yet (no challenge seen).
    None,
    Basic,
    Bearer(String),
}

/// One registry + repository over one TLS step.
pub struct Session {
    http: reqwest::Client,
    base: String,
    pub registry: String,
    pub repository: String,
    pub step: TlsStep,
    credential: Option<Credential>,
    cred_description: String,
    cred_hint: Option<CredentialHint>,
    auth: Mutex<AuthState>,
}

/// The error chain of a reqwest error as one line, and whether TLS was the cause.
pub fn describe_reqwest(err: &reqwest::Error) -> (String, bool) {
    let mut parts: Vec<String> = Vec::new();
    let mut tls = false;
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = src {
        if e.downcast_ref::<rustls::Error>().is_some() {
            tls = true;
        }
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        src = e.source();
    }
    let text = parts.join(": ");
    let lower = text.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("handshake") || lower.contains("tls") {
        tls = true;
    }
    (text, tls)
}

/// A connection failure in a few words: the root cause (e.g. `invalid peer certificate:
/// UnknownIssuer`, `Connection refused (os error 111)`), with plain words for the usual
/// certificate problems.
pub fn describe_connect(err: &reqwest::Error) -> (String, bool) {
    let (_, tls) = describe_reqwest(err);
    let mut root = err.to_string();
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = src {
        let s = e.to_string();
        if !s.is_empty() {
            root = s;
        }
        src = e.source();
    }
    if let Some(i) = root.find(": https://docs.rs/") {
        root.truncate(i);
    }
    let explain = if root.contains("UnknownIssuer") {
        " (the certificate is not signed by a trusted CA)"
    } else if root.contains("NotValidForName") {
        " (the certificate does not name this host)"
    } else if root.contains("Expired") {
        " (the certificate has expired)"
    } else if root.contains("InvalidContentType") || root.contains("corrupt message") {
        " (the server does not speak TLS: a plain-HTTP registry?)"
    } else {
        ""
    };
    (format!("{root}{explain}"), tls)
}

impl Session {
    pub fn new(
        http: reqwest::Client,
        step: TlsStep,
        registry: &str,
        repository: &str,
        resolved: &ResolvedCredential,
    ) -> Session {
        Session {
            base: format!("{}://{}", step.scheme(), registry),
            http,
            registry: registry.to_string(),
            repository: repository.to_string(),
            step,
            credential: resolved.credential.clone(),
            cred_description: resolved.description.clone(),
            cred_hint: resolved.hint.clone(),
            auth: Mutex::new(AuthState::None),
        }
    }

    fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let state = self.auth.lock().expect("auth lock").clone();
        match (state, &self.credential) {
            (AuthState::Basic, Some(c)) => req.basic_auth(&c.username, Some(&c.password)),
            (AuthState::Bearer(t), _) => req.bearer_auth(t),
            _ => req,
        }
    }

    fn connect_err(&self, e: reqwest::Error) -> ClientError {
        let (detail, tls) = describe_connect(&e);
        ClientError::Connect { detail, tls }
    }

    /// GET with the auth dance: on a 401, answer the challenge once and retry.
    async fn get(
        &self,
        url: &str,
        accept: Option<&str>,
        deadline: std::time::Duration,
    ) -> Result<reqwest::Response, ClientError> {
        let mut answered = false;
        loop {
            let mut req = self.http.get(url).timeout(deadline);
            if let Some(a) = accept {
                req = req.header(ACCEPT, a);
            }
            let resp = self
                .authorize(req)
                .send()
                .await
                .map_err(|e| self.connect_err(e))?;
            if resp.status() == StatusCode::UNAUTHORIZED && !answered {
                answered = true;
                let challenges: Vec<Challenge> = resp
                    .headers()
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .filter_map(parse_challenge)
                    .collect();
                // Prefer the token handshake when both are offered.
                let ch = challenges
                    .iter()
                    .find(|c| matches!(c, Challenge::Bearer { .. }))
                    .or(challenges.first())
                    .cloned();
                match ch {
                    Some(Challenge::Basic { .. }) => {
                        if self.credential.is_none() {
                            return Err(self.unauthorized("basic auth"));
                        }
                        *self.auth.lock().expect("auth lock") = AuthState::Basic;
                    }
                    Some(Challenge::Bearer {
                        realm,
                        service,
                        scope,
                    }) => {
                        let scope = scope.unwrap_or_else(|| pull_scope(&self.repository));
                        let token = self
                            .fetch_token(&realm, service.as_deref(), Some(&scope))
                            .await?;
                        *self.auth.lock().expect("auth lock") = AuthState::Bearer(token);
                    }
                    None => {
                        return Err(Error::Registry(format!(
                            "{} answered 401 without a usable WWW-Authenticate challenge (only Basic and Bearer are supported)",
                            self.registry
                        ))
                        .into());
                    }
                }
                continue;
            }
            if resp.status() == StatusCode::UNAUTHORIZED {
                return Err(self.unauthorized("the registry"));
            }
            return Ok(resp);
        }
    }

    /// The token handshake. Returns the bearer token.
    pub async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
    ) -> Result<String, ClientError> {
        let mut url = reqwest::Url::parse(realm).map_err(|e| {
            Error::Registry(format!(
                "{}: the token realm '{realm}' is not a URL ({e})",
                self.registry
            ))
        })?;
        // Never hand the credentials to a realm that downgrades from HTTPS, whatever its host.
        if let Err(why) = check_realm_scheme(url.scheme(), self.step != TlsStep::PlainHttp) {
            return Err(Error::Registry(format!(
                "{}: refusing to send credentials to the token service {}: it {why}; the registry's token auth must use an https realm (e.g. distribution's auth.token.realm)",
                self.registry,
                strip_query(&url)
            ))
            .into());
        }
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            if let Some(s) = scope {
                q.append_pair("scope", s);
            }
        }
        let mut req = self.http.get(url.clone()).timeout(request_deadline());
        if let Some(c) = &self.credential {
            req = req.basic_auth(&c.username, Some(&c.password));
        }
        let resp = req.send().await.map_err(|e| {
            let (d, _) = describe_connect(&e);
            Error::Registry(format!(
                "{}: the token service {} could not be reached: {d}",
                self.registry,
                strip_query(&url)
            ))
        })?;
        match resp.status() {
            s if s.is_success() => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(self.unauthorized("the token service"));
            }
            s => {
                return Err(Error::Registry(format!(
                    "{}: the token service {} answered {s}",
                    self.registry,
                    strip_query(&url)
                ))
                .into());
            }
        }
        let body = read_limited(resp, MAX_TOKEN_ANSWER).await.map_err(|e| {
            let why = match e {
                BodyError::TooLarge(l) => format!("its answer is larger than {} KiB", l / 1024),
                BodyError::Read(e) => describe_body_error(&e),
            };
            Error::Registry(format!(
                "{}: reading the token service's answer failed: {why}; refusing it",
                self.registry
            ))
        })?;
        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            Error::Registry(format!(
                "{}: the token service answered something that is not JSON ({e})",
                self.registry
            ))
        })?;
        v.get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .map(|t| t.to_string())
            .ok_or_else(|| {
                Error::Registry(format!(
                    "{}: the token service's answer holds no token",
                    self.registry
                ))
                .into()
            })
    }

    /// The one `error:` message for refused or missing credentials (never the password):
    /// [`ClientError::Refused`] when credentials were sent.
    fn unauthorized(&self, who: &str) -> ClientError {
        match &self.credential {
            Some(c) => ClientError::Refused(Error::Registry(format!(
                "{reg} refused the credentials of user '{user}' ({who} answered 401 Unauthorized); credential used: {desc}; \
                 fix the password or token in that entry (e.g. regenerate it with `kubectl porch-registry secret auth`)",
                reg = self.registry,
                user = c.username,
                desc = self.cred_description,
            ))),
            None => {
                let why = self
                    .cred_hint
                    .as_ref()
                    .map(|h| h.message().to_string())
                    .unwrap_or_else(|| self.cred_description.clone());
                let fix = if self
                    .cred_hint
                    .as_ref()
                    .is_some_and(CredentialHint::names_fix)
                {
                    String::new()
                } else {
                    format!(
                        "; add credentials under the exact key '{reg}' (e.g. `kubectl porch-registry secret auth --registry {reg} ...`)",
                        reg = self.registry
                    )
                };
                ClientError::Fatal(Error::Registry(format!(
                    "{reg} requires authentication but the pull was anonymous: {why}{fix}",
                    reg = self.registry,
                )))
            }
        }
    }

    /// Check a tls/connect step by asking for the API root with auth: used by probes.
    pub async fn ping(&self) -> Result<StatusCode, ClientError> {
        let url = format!("{}/v2/", self.base);
        let resp = self.get(&url, None, request_deadline()).await?;
        Ok(resp.status())
    }

    /// GET a manifest by tag or digest: (bytes, content type).
    pub async fn manifest(
        &self,
        reference: &str,
    ) -> Result<(Vec<u8>, Option<String>), ClientError> {
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base, self.repository, reference
        );
        let resp = self
            .get(&url, Some(&accept_header()), request_deadline())
            .await?;
        let status = resp.status();
        if status == StatusCode::BAD_REQUEST && self.step == TlsStep::PlainHttp {
            // An HTTPS server answering a plain-HTTP request: this step does not work.
            return Err(ClientError::Connect {
                detail: "the server answered 400 to plain HTTP (it speaks HTTPS)".into(),
                tls: false,
            });
        }
        if !status.is_success() {
            return Err(self
                .status_error(status, resp, &format!("manifest '{reference}'"))
                .await);
        }
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.to_string());
        let bytes = read_limited(resp, MAX_MANIFEST)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge(_) => Error::Registry(format!(
                    "{}: manifest '{reference}' is larger than 4 MiB; refusing it",
                    self.registry
                )),
                BodyError::Read(e) => Error::Registry(format!(
                    "{}: reading manifest '{reference}' failed: {}",
                    self.registry,
                    describe_body_error(&e)
                )),
            })?;
        Ok((bytes.to_vec(), ct))
    }

    async fn status_error(
        &self,
        status: StatusCode,
        resp: reqwest::Response,
        what: &str,
    ) -> ClientError {
        let body = String::from_utf8_lossy(&read_prefix(resp, MAX_ERROR_BODY).await).into_owned();
        let code = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("errors")?
                    .get(0)?
                    .get("code")?
                    .as_str()
                    .map(|s| s.to_string())
            });
        let repo = format!("{}/{}", self.registry, self.repository);
        let e = match status {
            StatusCode::NOT_FOUND => Error::not_found(format!(
                "{repo}: {what} not found (404{}); check the image name and tag",
                code.map(|c| format!(" {c}")).unwrap_or_default()
            )),
            StatusCode::FORBIDDEN => Error::Registry(format!(
                "{repo}: access to {what} denied (403) for {}; the account lacks pull permission on this repository",
                self.cred_description
            )),
            s => Error::Registry(format!(
                "{repo}: {what}: the registry answered {s}{}",
                code.map(|c| format!(" ({c})")).unwrap_or_default()
            )),
        };
        ClientError::Fatal(e)
    }

    /// Fetch a small blob (a config) fully, verified.
    pub async fn small_blob(
        &self,
        desc: &Descriptor,
        cache: &Cache,
    ) -> Result<Vec<u8>, ClientError> {
        if let Some(b) = cache.read_small(&desc.digest)? {
            return Ok(b);
        }
        let path = self.blob(desc, cache, None).await?;
        std::fs::read(&path).map_err(|e| ClientError::Fatal(Error::io(&path, e)))
    }

    /// Stream a blob into the cache (verified while streaming), or return the cached one.
    pub async fn blob(
        &self,
        desc: &Descriptor,
        cache: &Cache,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Result<std::path::PathBuf, ClientError> {
        let size = (desc.size > 0).then_some(desc.size);
        if let Some(p) = cache.get(&desc.digest, size)? {
            if let Some(pb) = progress {
                pb.set_position(desc.size);
                pb.finish_with_message("already cached");
            }
            return Ok(p);
        }
        let url = format!("{}/v2/{}/blobs/{}", self.base, self.repository, desc.digest);
        let short = short_digest(&desc.digest);
        // The manifest came through this very connection setup: a connection failure now is
        // the registry going away mid-pull, not a reason to try the next TLS step.
        let resp = match self.get(&url, None, blob_deadline(desc.size)).await {
            Ok(resp) => resp,
            Err(ClientError::Connect { detail, .. }) => {
                return Err(Error::Registry(format!(
                    "{}/{}: the download of blob {short} was interrupted before it started ({detail}); nothing partial was kept: pull again",
                    self.registry, self.repository
                ))
                .into());
            }
            Err(e) => return Err(e),
        };
        let status = resp.status();
        if !status.is_success() {
            return Err(self
                .status_error(status, resp, &format!("blob {}", desc.digest))
                .await);
        }
        let mut writer = cache.writer(&desc.digest, size)?;
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                let (d, _) = describe_connect(&e);
                Error::Registry(format!(
                    "{}/{}: the download of blob {short} was interrupted after {} bytes ({d}); nothing partial was kept: pull again",
                    self.registry,
                    self.repository,
                    writer.written()
                ))
            })?;
            writer.write(&chunk).map_err(|e| {
                Error::Registry(format!(
                    "{}/{}: {e}; rejected, nothing cached",
                    self.registry, self.repository
                ))
            })?;
            if let Some(pb) = progress {
                pb.inc(chunk.len() as u64);
            }
        }
        let path = match writer.verify() {
            Ok(()) => writer.finish()?,
            Err(v) => {
                return Err(Error::Registry(format!(
                    "{}/{}: blob {} failed verification: {v}; it was rejected and nothing was cached (the registry's copy is corrupt: push the image again)",
                    self.registry, self.repository, desc.digest
                ))
                .into());
            }
        };
        if let Some(pb) = progress {
            pb.finish_with_message("done");
        }
        Ok(path)
    }

    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// `sha256:0123456789ab` for progress lines and messages.
pub fn short_digest(d: &str) -> String {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    hex.chars().take(12).collect()
}

fn strip_query(u: &reqwest::Url) -> String {
    let mut u = u.clone();
    u.set_query(None);
    u.to_string()
}
