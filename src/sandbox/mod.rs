//! Run a function's entrypoint in Linux namespaces; podman/docker alternatives.
//!
//! The main process (multi-threaded: tokio, reader threads) never forks to set up namespaces.
//! It spawns `/proc/self/exe __sandbox` (the JSON spec in its environment) (a plain fork+exec done by std), and that
//! fresh, single-threaded helper does `unshare`, writes the user-namespace maps, forks the PID 1
//! of the new PID namespace, mounts the read-only root, `/proc`, a private `/tmp`, a minimal
//! `/dev`, pivots into the root, sets no_new_privs, the per-process limits and the seccomp
//! filter, and execs the entrypoint. Before it starts, the main process makes the run's cgroup
//! ([`cgroup`]) where it can; the helper joins it first thing (`runner::limits` says what applies
//! where). The main process
//! only pipes the ResourceList in and out and enforces the timeout by killing the helper's
//! process group; the helper's child (the namespace's init) has PDEATHSIG=SIGKILL, and when
//! the init dies the kernel kills every process of the namespace.

pub mod cgroup;
mod engine;
mod helper;
pub mod rootfs;
mod seccomp;

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use crate::runner::limits::Limits;
pub use cgroup::Events;
pub use engine::{Engine, EngineImage, EngineRun, run_engine};

/// What the sandbox helper sets itself, for the limits no cgroup covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fallbacks {
    /// `RLIMIT_NPROC` (effective for a normal user only).
    pub nproc: Option<u64>,
    /// `RLIMIT_DATA`, per process.
    pub data: Option<u64>,
    /// Pin to this many CPUs (and deny `sched_setaffinity`).
    pub cpus: Option<u32>,
}

/// The argument that makes the binary act as the sandbox helper.
pub const HELPER_ARG: &str = "__sandbox";
/// The environment variable carrying the helper's JSON spec.
const SPEC_ENV: &str = "KUBECTL_PORCH_REGISTRY_SANDBOX_SPEC";
/// Exit code of the helper when the sandbox could not be set up (the function never ran).
pub const SETUP_FAILED: i32 = 125;
/// Prefix of the helper's one diagnostic line on stderr when setup fails.
pub const SETUP_ERROR_PREFIX: &str = "kubectl-porch-registry sandbox: ";

/// The uid/gid of `nobody`.
pub const NOBODY: u32 = 65534;

/// Who the function runs as inside the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum User {
    /// uid/gid 65534 (`nobody`), like kpt's `--user nobody`.
    Nobody,
    /// The invoking user's uid/gid (kpt's `--as-current-user`).
    Current,
}

/// A bind mount, as kpt's `--mount type=bind,source=...,target=...[,rw=true]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindMount {
    pub source: PathBuf,
    pub target: String,
    pub rw: bool,
}

/// Everything the helper needs, passed as JSON in the helper's environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// The unpacked root filesystem (mounted read-only).
    pub root: PathBuf,
    /// argv; argv[0] is looked up in the image's PATH when it has no `/`.
    pub argv: Vec<String>,
    /// KEY=VALUE environment.
    pub env: Vec<String>,
    /// Working directory inside the root.
    pub workdir: String,
    pub user: User,
    /// Share the host network (otherwise a new network namespace with only `lo`).
    pub network: bool,
    pub mounts: Vec<BindMount>,
    /// The limits asked for (the helper sizes `/tmp` from it).
    pub limits: Limits,
    /// The run's cgroup directories the helper joins (made by the main process).
    #[serde(default)]
    pub cgroups: Vec<PathBuf>,
    /// The per-process limits the helper sets for what no cgroup covers.
    #[serde(default)]
    pub fallbacks: Fallbacks,
}

/// How the function ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exit code.
    Exited(i32),
    /// Killed by a signal (number).
    Signaled(i32),
    /// Killed by us after the timeout.
    TimedOut,
}

/// What came out of a run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub outcome: Outcome,
    /// Limits the function ran into (native runs with a cgroup).
    pub events: Events,
}

impl RunOutput {
    pub fn success(&self) -> bool {
        self.outcome == Outcome::Exited(0)
    }
    /// kpt-style exit code (128+signal for signals, 137 for the timeout kill).
    pub fn exit_code(&self) -> i32 {
        match self.outcome {
            Outcome::Exited(c) => c,
            Outcome::Signaled(s) => 128 + s,
            Outcome::TimedOut => 137,
        }
    }
}

/// If this process was re-executed as the sandbox helper, run it and return its exit code.
/// Called first thing in main, before any thread exists.
pub fn maybe_run_helper() -> Option<ExitCode> {
    let mut args = std::env::args_os();
    let _argv0 = args.next();
    if args.next().as_deref() != Some(std::ffi::OsStr::new(HELPER_ARG)) {
        return None;
    }
    // The spec travels in the environment (readable only by the same user, unlike argv:
    // it can carry --env values); the helper never passes its own environment on.
    let spec = std::env::var(SPEC_ENV)
        .ok()
        .and_then(|s| serde_json::from_str::<Spec>(&s).ok());
    let Some(spec) = spec else {
        crate::ui::output::stderr_line(format_args!(
            "{SETUP_ERROR_PREFIX}__sandbox is internal to `run` and cannot be called directly"
        ));
        return Some(ExitCode::from(SETUP_FAILED as u8));
    };
    let code = helper::run(&spec);
    Some(ExitCode::from(code as u8))
}

fn pidfd_open(pid: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: plain syscall, returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel just gave us this fd.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Wait until the process behind `pidfd` exits or `deadline` passes; true if it exited.
fn wait_pidfd(pidfd: &OwnedFd, deadline: Instant) -> bool {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        let mut pfd = libc::pollfd {
            fd: pidfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms.max(1)) };
        if r > 0 {
            return true;
        }
        if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// Run `cmd` with `input` on stdin, collecting stdout and stderr, killing its whole process
/// group after `timeout`. Shared by the native sandbox and the engines.
pub(crate) fn run_piped(mut cmd: Command, input: &[u8], timeout: Duration) -> Result<RunOutput> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::other(format!("cannot start {program}: {e}")))?;
    let pid = child.id() as i32;
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // A function may exit without reading its input: ignore EPIPE.
        let _ = stdin.write_all(&input);
    });
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let exited = match pidfd_open(pid) {
        Ok(fd) => wait_pidfd(&fd, deadline),
        Err(_) => loop {
            if child.try_wait().ok().flatten().is_some() {
                break true;
            }
            if Instant::now() >= deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(5));
        },
    };
    if !exited {
        // The helper's process group; the namespace's init dies with the helper (PDEATHSIG)
        // and takes every process of the PID namespace with it.
        // SAFETY: signalling our own child's process group.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
            libc::kill(pid, libc::SIGKILL);
        }
    }
    let status = child
        .wait()
        .map_err(|e| Error::other(format!("waiting for {program}: {e}")))?;
    let _ = writer.join();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let outcome = if !exited {
        Outcome::TimedOut
    } else if let Some(code) = status.code() {
        Outcome::Exited(code)
    } else {
        Outcome::Signaled(status.signal().unwrap_or(libc::SIGKILL))
    };
    Ok(RunOutput {
        stdout,
        stderr,
        outcome,
        events: Events::default(),
    })
}

/// How this run enforces `limits`: a cgroup for what one can be made for, per-process
/// fallbacks for the rest. A limit that cannot be enforced at all is warned about.
fn enforce(limits: &Limits) -> (cgroup::RunCgroup, Fallbacks) {
    let cg = cgroup::RunCgroup::create(limits);
    let mut fb = Fallbacks::default();
    if let Some(n) = limits.pids
        && !cg.pids
    {
        if nix::unistd::geteuid().is_root() {
            crate::ui::output::warn(format!(
                "--pids-limit {n} is not applied: no pids cgroup can be created here, and the kernel exempts root from RLIMIT_NPROC; run as a normal user or on a machine with cgroups"
            ));
        } else {
            fb.nproc = Some(n);
        }
    }
    if let Some(n) = limits.memory
        && !cg.memory
    {
        fb.data = Some(n);
    }
    if let Some(m) = limits.millicpus
        && !cg.cpu
    {
        let want = m.div_ceil(1000) as u32;
        let have = std::thread::available_parallelism().map_or(u32::MAX, |n| n.get() as u32);
        if want < have {
            fb.cpus = Some(want);
        }
    }
    (cg, fb)
}

/// Run `spec` in the native sandbox with `input` on stdin.
pub fn run_native(spec: &Spec, input: &[u8], timeout: Duration) -> Result<RunOutput> {
    let (cg, fallbacks) = enforce(&spec.limits);
    let spec = Spec {
        cgroups: cg.dirs.clone(),
        fallbacks,
        ..spec.clone()
    };
    let json = serde_json::to_string(&spec).expect("spec serializes");
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg(HELPER_ARG).env_clear().env(SPEC_ENV, json);
    let mut out = run_piped(cmd, input, timeout)?;
    if out.outcome == Outcome::TimedOut {
        cg.kill();
    }
    out.events = cg.events();
    drop(cg);
    if out.outcome == Outcome::Exited(SETUP_FAILED) {
        let text = String::from_utf8_lossy(&out.stderr);
        if let Some(line) = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(SETUP_ERROR_PREFIX))
        {
            // A --mount the image cannot take is the user's input (exit 2), not a failure.
            return Err(if line.starts_with("--mount ") {
                Error::usage(format!("sandbox: {line}"))
            } else {
                Error::other(format!("sandbox: {line}"))
            });
        }
    }
    Ok(out)
}

/// Parse kpt's `--mount` value: `type=bind,source=/host,target=/dir[,rw=true]`
/// (also `src`/`dst`/`destination`, `readonly`).
pub fn parse_mount(spec: &str) -> Result<BindMount> {
    let mut kind = None;
    let mut source = None;
    let mut target = None;
    let mut rw = false;
    for part in spec.split(',') {
        let (k, v) = part.split_once('=').unwrap_or((part, "true"));
        match k.trim() {
            "type" => kind = Some(v.to_string()),
            "source" | "src" => source = Some(v.to_string()),
            "target" | "dst" | "destination" => target = Some(v.to_string()),
            "rw" => rw = v == "true",
            "readonly" | "ro" => rw = v != "true",
            other => {
                return Err(Error::usage(format!(
                    "--mount {spec:?}: unknown option {other:?}; use type=bind,source=DIR,target=DIR[,rw=true]"
                )));
            }
        }
    }
    if kind.as_deref().unwrap_or("bind") != "bind" {
        return Err(Error::usage(format!(
            "--mount {spec:?}: only type=bind is supported by the native runtime"
        )));
    }
    let (Some(source), Some(target)) = (source, target) else {
        return Err(Error::usage(format!(
            "--mount {spec:?}: needs source= and target=, e.g. type=bind,source=./data,target=/data"
        )));
    };
    if !target.starts_with('/') {
        return Err(Error::usage(format!(
            "--mount {spec:?}: target must be an absolute path inside the function's root"
        )));
    }
    let source = std::path::absolute(&source).map_err(|e| Error::io(&source, e))?;
    if !source.exists() {
        return Err(Error::not_found(format!(
            "--mount {spec:?}: source {} does not exist",
            source.display()
        )));
    }
    Ok(BindMount { source, target, rw })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts() {
        let m = parse_mount("type=bind,source=/tmp,target=/data,rw=true").unwrap();
        assert_eq!(m.target, "/data");
        assert!(m.rw);
        let m = parse_mount("type=bind,src=/tmp,dst=/data").unwrap();
        assert!(!m.rw);
        assert!(parse_mount("type=volume,source=/tmp,target=/d").is_err());
        assert!(parse_mount("type=bind,source=/tmp").is_err());
        assert!(parse_mount("type=bind,source=/tmp,target=rel").is_err());
    }
}
