//! Docker credential helpers (`docker-credential-NAME get|list`), run as real processes.
//!
//! Protocol: `get` reads the server URL on stdin and prints
//! `{"ServerURL":..,"Username":..,"Secret":..}`; a `Username` of `<token>` means the secret is
//! an identity token. `list` prints `{"SERVER":"USERNAME",...}`. A helper that does not know a
//! server says `credentials not found in native keychain` and exits non-zero.
//! Helper output is never echoed in messages (it may hold the secret).

use std::collections::BTreeMap;
use std::io::{Read, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::runner::dockerconfig::{Credentials, HelperAnswer};

/// Whether `docker-credential-NAME` is on PATH.
pub fn is_installed(name: &str) -> bool {
    which::which(helper_program(name)).is_ok()
}

/// `get` as a pull resolves the user's docker config: a configured helper that is not on
/// PATH is a warning and no answer (docker would fail; we fall back to the config's entries).
/// Handed to the registry edge by the command (`registry::CredentialSource::UserConfig`).
pub fn get_for_pull(name: &str, server: &str) -> Result<HelperAnswer> {
    if !is_installed(name) {
        crate::ui::output::warn(format!(
            "credential helper {} is configured but not on PATH; ignored",
            helper_program(name)
        ));
        return Ok(HelperAnswer::NotFound);
    }
    get(name, server)
}

/// The executable name of a helper.
pub fn helper_program(name: &str) -> String {
    format!("docker-credential-{name}")
}

/// How long a helper may take: 60 s, or `$PORCH_REGISTRY_HELPER_TIMEOUT` seconds.
fn helper_timeout() -> Duration {
    std::env::var("PORCH_REGISTRY_HELPER_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        // Bounded so that the deadline cannot overflow (a panic).
        .map_or(Duration::from_secs(60), |s| {
            Duration::from_secs(s.min(100 * 365 * 86_400))
        })
}

/// The most a helper may print on one pipe (a real answer is a few hundred bytes).
const MAX_HELPER_OUTPUT: u64 = 1024 * 1024;

fn run_helper(name: &str, action: &str, input: &str) -> Result<(bool, Vec<u8>)> {
    use std::os::unix::process::CommandExt as _;
    use std::sync::mpsc;

    let program = helper_program(name);
    let path = which::which(&program).map_err(|_| {
        Error::not_found(format!(
            "credential helper {program} is not on PATH; install it, or log in again so that the \
             credentials are stored in the file (docker login with no credsStore), or pass \
             --registry/--username/--password-stdin"
        ))
    })?;
    // Its own process group, so that everything it starts can be ended with it.
    let mut child = Command::new(&path)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| Error::other(format!("cannot run {program}: {e}")))?;
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    let limit = helper_timeout();
    let deadline = Instant::now() + limit;
    // Read both pipes (bounded) on their own threads: a chatty helper cannot block on a full
    // pipe, and a pipe held open by a process the helper left behind cannot block us.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(pipe) = pipe {
                let _ = pipe.take(MAX_HELPER_OUTPUT).read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that does not read stdin (list) may close it early: ignore EPIPE. The
        // input is one server name, far below a pipe's buffer: this cannot block.
        let _ = stdin.write_all(input.as_bytes());
    }
    let timed_out = |child: &mut std::process::Child, exited: bool| {
        // End the whole group (the helper and whatever it started), then reap the helper.
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = child.kill();
        let _ = child.wait();
        let what = if exited {
            format!(
                "exited, but a process it started still held its output open after {}s",
                limit.as_secs()
            )
        } else {
            format!(
                "did not answer within {}s (it may be waiting for a passphrase or a locked keychain)",
                limit.as_secs()
            )
        };
        Error::Timeout(format!(
            "credential helper {program} {what}; it was stopped with everything it started; \
             fix or unlock the helper and retry, or pass --registry/--username/--password-stdin"
        ))
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => return Err(timed_out(&mut child, false)),
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(Error::other(format!("cannot run {program}: {e}"))),
        }
    };
    let collect = |rx: mpsc::Receiver<Vec<u8>>| {
        let left = deadline.saturating_duration_since(Instant::now());
        rx.recv_timeout(left).ok()
    };
    let (Some(out), Some(err)) = (collect(stdout), collect(stderr)) else {
        return Err(timed_out(&mut child, true));
    };
    let mut combined = out;
    if !status.success() {
        combined.extend_from_slice(&err);
    }
    Ok((status.success(), combined))
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
            "credential helper {program} answered for {server} with something that is not JSON; check the helper (`echo {server} | {program} get`) or log in again"
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
