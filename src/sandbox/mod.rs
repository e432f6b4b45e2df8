//! Run a function's entrypoint in Linux namespaces; podman/docker alternatives.
//!
//! The namespace setup happens in a single-threaded helper process, never in a process with
//! other threads (a fork there could inherit a lock another thread holds). How the helper
//! starts ([`HelperStart`]):
//! - **fork** (the warm `run`/`render` path): when the main process has one thread only (no
//!   pull ran a tokio runtime, no reader thread exists: checked in `/proc/self/task` right
//!   before), it forks, and the child is the helper, running the same code with the spec it
//!   already has. No second exec of the binary, no JSON. The child moves its pipe ends to
//!   fds 0-2, closes every other descriptor, leads its own process group, and leaves with
//!   `_exit`;
//! - **exec** (fallback, when other threads exist): `/proc/self/exe __sandbox` (the JSON spec in
//!   its environment), a plain fork+exec done by std; that fresh process runs the same code.
//!
//! The helper does `unshare`, writes the user-namespace maps, forks the PID 1 of the new PID
//! namespace, mounts the read-only root, `/proc`, a private `/tmp`, a minimal `/dev`, pivots
//! into the root, sets no_new_privs, the per-process limits, default signal dispositions and
//! the seccomp filter, and execs the entrypoint. Before it starts, the main process makes the
//! run's cgroup ([`cgroup`]) where it can; the helper joins it first thing (`runner::limits`
//! says what applies where). The main process only pipes the ResourceList in and out (one
//! thread, a poll loop: no thread is started, so the next function of a `render` forks too)
//! and enforces the timeout by killing the helper's process group; the helper has
//! PDEATHSIG=SIGKILL, so has its child (the namespace's init), and when the init dies the
//! kernel kills every process of the namespace.

pub mod cgroup;
mod engine;
mod helper;
pub mod rootfs;
mod seccomp;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
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
    let code = helper::run(&spec, None);
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

/// A started child: its pid (the leader of its own process group) and our ends of its
/// stdin, stdout and stderr pipes.
pub(crate) struct Piped {
    pub pid: i32,
    pub stdin: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
}

/// Run `cmd` with `input` on stdin, collecting stdout and stderr, killing its whole process
/// group after `timeout`. Shared by the native sandbox's helper fallback, the engines and
/// `exec:` functions.
pub(crate) fn run_piped(mut cmd: Command, input: &[u8], timeout: Duration) -> Result<RunOutput> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::other(format!("cannot start {program}: {e}")))?;
    let piped = Piped {
        pid: child.id() as i32,
        stdin: child.stdin.take().expect("piped").into(),
        stdout: child.stdout.take().expect("piped").into(),
        stderr: child.stderr.take().expect("piped").into(),
    };
    // Reaped by pid in `supervise` (dropping a `Child` neither waits nor kills).
    drop(child);
    supervise(piped, input, timeout)
        .map_err(|e| Error::other(format!("waiting for {program}: {e}")))
}

/// How long the pipes are still read after the child exited (what is left of its process
/// group or namespace is dying): a descendant that escaped and kept them open cannot hang us.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

fn set_nonblocking(fd: &OwnedFd) {
    // SAFETY: fcntl on an fd we own.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
}

/// The child's wait status if it has exited (reaped now), without blocking.
fn try_reap(pid: i32) -> std::io::Result<Option<i32>> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid on our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Ok(Some(status));
        }
        if r == 0 {
            return Ok(None);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Read what `fd` has now into `buf`; false once it is at end of file (or broken).
fn drain(fd: &OwnedFd, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        // SAFETY: reading into a local buffer of that size.
        let n = unsafe { libc::read(fd.as_raw_fd(), chunk.as_mut_ptr().cast(), chunk.len()) };
        if n > 0 {
            buf.extend_from_slice(&chunk[..n as usize]);
            continue;
        }
        if n == 0 {
            return false;
        }
        match std::io::Error::last_os_error().kind() {
            std::io::ErrorKind::Interrupted => continue,
            std::io::ErrorKind::WouldBlock => return true,
            _ => return false,
        }
    }
}

/// Feed `input` to the child, collect its output and wait for it, in this one thread (no
/// thread is started: a later sandbox of the same process can still be forked, see
/// [`run_native`]). After `timeout` the child's process group is killed.
fn supervise(p: Piped, input: &[u8], timeout: Duration) -> std::io::Result<RunOutput> {
    let pid = p.pid;
    for fd in [&p.stdin, &p.stdout, &p.stderr] {
        set_nonblocking(fd);
    }
    let pidfd = pidfd_open(pid).ok();
    let deadline = Instant::now() + timeout;
    // Dropping our end closes the function's stdin: at once when there is nothing to send.
    let mut stdin = (!input.is_empty()).then_some(p.stdin);
    let mut sent = 0;
    let mut stdout = Some(p.stdout);
    let mut stderr = Some(p.stderr);
    let (mut out_buf, mut err_buf) = (Vec::new(), Vec::new());
    let mut status = None;
    let mut timed_out = false;
    let mut drain_until = None;
    loop {
        let now = Instant::now();
        if status.is_none()
            && let Some(st) = try_reap(pid)?
        {
            status = Some(st);
            drain_until = Some(now + DRAIN_AFTER_EXIT);
            // Input it did not read is not an error (a function may ignore stdin).
            stdin = None;
        }
        if status.is_some() && stdout.is_none() && stderr.is_none() {
            break;
        }
        if drain_until.is_some_and(|d| now >= d) {
            break;
        }
        if status.is_none() && !timed_out && now >= deadline {
            // The helper's process group; the namespace's init dies with the helper
            // (PDEATHSIG) and takes every process of the PID namespace with it.
            // SAFETY: signalling our own child's process group, then the child.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
            }
            timed_out = true;
            continue;
        }
        let mut fds = Vec::with_capacity(4);
        let mut add = |fd: Option<&OwnedFd>, events| {
            fds.push(libc::pollfd {
                fd: fd.map_or(-1, |f| f.as_raw_fd()),
                events,
                revents: 0,
            })
        };
        add(stdin.as_ref(), libc::POLLOUT);
        add(stdout.as_ref(), libc::POLLIN);
        add(stderr.as_ref(), libc::POLLIN);
        add(pidfd.as_ref().filter(|_| status.is_none()), libc::POLLIN);
        let until = match (status, timed_out) {
            (Some(_), _) => drain_until,
            (None, false) => Some(deadline),
            // Killed: SIGKILL ends it.
            (None, true) => None,
        };
        let mut ms = until.map_or(-1, |t| {
            let left = t.saturating_duration_since(now).as_millis();
            left.clamp(1, i32::MAX as u128) as i32
        });
        if pidfd.is_none() && status.is_none() {
            // No pidfd (kernel < 5.3): look at the child every 5 ms.
            ms = if ms < 0 { 5 } else { ms.min(5) };
        }
        // SAFETY: `fds` is a valid array of pollfd (negative fds are ignored).
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if fds[0].revents != 0
            && let Some(fd) = &stdin
        {
            let rest = &input[sent..];
            // SAFETY: writing from a live slice of that length.
            let n = unsafe { libc::write(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len()) };
            if n > 0 {
                sent += n as usize;
            }
            let blocked = n < 0
                && matches!(
                    std::io::Error::last_os_error().kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                );
            // All sent, or the function closed its stdin (EPIPE): close ours.
            if sent == input.len() || (n < 0 && !blocked) {
                stdin = None;
            }
        }
        if fds[1].revents != 0
            && let Some(fd) = &stdout
            && !drain(fd, &mut out_buf)
        {
            stdout = None;
        }
        if fds[2].revents != 0
            && let Some(fd) = &stderr
            && !drain(fd, &mut err_buf)
        {
            stderr = None;
        }
    }
    // The loop ends only after the child was reaped.
    let Some(status) = status else {
        return Err(std::io::Error::other("the child was not reaped"));
    };
    let outcome = if timed_out {
        Outcome::TimedOut
    } else if libc::WIFEXITED(status) {
        Outcome::Exited(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Outcome::Signaled(libc::WTERMSIG(status))
    } else {
        Outcome::Signaled(libc::SIGKILL)
    };
    Ok(RunOutput {
        stdout: out_buf,
        stderr: err_buf,
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

/// Whether this process has one thread only (then nothing can hold a lock another thread
/// would have to release, and no thread can appear unless this one starts it): a fork of it
/// may run any code, as a freshly executed process may. An exiting thread still listed
/// counts: the answer errs on the side of the helper fallback.
fn single_threaded() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|d| d.count() == 1)
}

/// How the helper of a native run is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelperStart {
    /// A fork of this single-threaded process runs the helper (no second exec).
    Fork,
    /// `/proc/self/exe __sandbox`, the spec in its environment: when this process has
    /// other threads (a pull's tokio runtime, say), forking it could deadlock the child.
    Exec,
}

/// Run `spec` in the native sandbox with `input` on stdin.
pub fn run_native(spec: &Spec, input: &[u8], timeout: Duration) -> Result<RunOutput> {
    let (cg, fallbacks) = enforce(&spec.limits);
    let spec = Spec {
        cgroups: cg.dirs.clone(),
        fallbacks,
        ..spec.clone()
    };
    let start = if single_threaded() {
        HelperStart::Fork
    } else {
        HelperStart::Exec
    };
    let mut out = match start {
        HelperStart::Fork => {
            let piped = helper::fork_helper(&spec).map_err(|e| {
                Error::other(format!(
                    "sandbox: cannot start the sandbox helper (fork): {e}"
                ))
            })?;
            supervise(piped, input, timeout).map_err(|e| {
                Error::other(format!("sandbox: waiting for the sandbox helper: {e}"))
            })?
        }
        HelperStart::Exec => {
            let json = serde_json::to_string(&spec).expect("spec serializes");
            let mut cmd = Command::new("/proc/self/exe");
            cmd.arg(HELPER_ARG).env_clear().env(SPEC_ENV, json);
            run_piped(cmd, input, timeout)?
        }
    };
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
