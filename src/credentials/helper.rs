//! Docker credential helpers (`docker-credential-NAME get|list`), run as real processes.
//!
//! Protocol: `get` reads the server URL on stdin and prints
//! `{"ServerURL":..,"Username":..,"Secret":..}`; a `Username` of `<token>` means the secret is
//! an identity token. `list` prints `{"SERVER":"USERNAME",...}`. A helper that does not know a
//! server says `credentials not found in native keychain` and exits non-zero.
//! Helper output is never echoed in messages (it may hold the secret).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::runner::dockerconfig::Credentials;

/// What a helper answered for one server.
#[derive(Debug)]
pub enum HelperAnswer {
    Found(Credentials),
    /// The helper holds an identity token (OAuth refresh token), unusable by the runner.
    IdentityToken,
    NotFound,
}

/// Whether `docker-credential-NAME` is on PATH.
pub fn is_installed(name: &str) -> bool {
    which::which(helper_program(name)).is_ok()
}

/// The executable name of a helper.
pub fn helper_program(name: &str) -> String {
    format!("docker-credential-{name}")
}

fn run_helper(name: &str, action: &str, input: &str) -> Result<(bool, Vec<u8>)> {
    let program = helper_program(name);
    let path = which::which(&program).map_err(|_| {
        Error::not_found(format!(
            "credential helper {program} is not on PATH; install it, or log in again so that the \
             credentials are stored in the file (docker login with no credsStore), or pass \
             --registry/--username/--password-stdin"
        ))
    })?;
    let mut child = Command::new(&path)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::other(format!("cannot run {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that does not read stdin (list) may close it early: ignore EPIPE.
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::other(format!("cannot run {program}: {e}")))?;
    let mut combined = out.stdout;
    if !out.status.success() {
        combined.extend_from_slice(&out.stderr);
    }
    Ok((out.status.success(), combined))
}

/// `docker-credential-NAME get` for one server (as written in the config file).
pub fn get(name: &str, server: &str) -> Result<HelperAnswer> {
    let program = helper_program(name);
    let (ok, out) = run_helper(name, "get", server)?;
    if !ok {
        let text = String::from_utf8_lossy(&out);
        if text.contains("credentials not found") {
            return Ok(HelperAnswer::NotFound);
        }
        return Err(Error::other(format!(
            "credential helper {program} failed for {server}; run `echo {server} | {program} get` to see why"
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(&out).map_err(|_| {
        Error::other(format!(
            "credential helper {program} answered for {server} with something that is not JSON"
        ))
    })?;
    let field = |k: &str| {
        value
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let username = field("Username");
    let secret = field("Secret");
    if username == "<token>" {
        return Ok(HelperAnswer::IdentityToken);
    }
    if secret.is_empty() {
        return Ok(HelperAnswer::NotFound);
    }
    Ok(HelperAnswer::Found(Credentials {
        username,
        password: secret,
    }))
}

/// `docker-credential-NAME list`: server -> user name. Errors become `None` (docker also
/// tolerates helpers without `list`).
pub fn list(name: &str) -> Option<BTreeMap<String, String>> {
    let (ok, out) = run_helper(name, "list", "").ok()?;
    if !ok {
        return None;
    }
    serde_json::from_slice(&out).ok()
}
