//! The native sandbox's resource limits and seccomp filter, and the privacy of the unpacked
//! roots, through the built binary: busybox-static functions and a small static C program
//! (tests/fixtures/sandbox/syscalls.c, built here with `cc -static`), as root and as a normal
//! user (`setpriv` to uid 65534 when the tests run as root).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::registry_support::{Auth, Registry, TestImage};
use crate::support::{bin, fixture};
use crate::support::{
    busybox_image, busybox_layer, cache, file_header, gzip, oci_image, package, sandbox_processes,
    script_layer,
};

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `run IMG PKG --cache-dir CACHE -o stdout EXTRA...` as the current user.
fn run(img: &str, dir: &Path, extra: &[&str]) -> Output {
    bin().args(run_args(img, dir, extra)).output().unwrap()
}

/// `run IMG PKG --cache-dir CACHE -o stdout --truncate-output=false EXTRA...` (the package
/// made in `dir`).
fn run_args(img: &str, dir: &Path, extra: &[&str]) -> Vec<String> {
    let pkg = package(dir);
    let mut args: Vec<String> = [
        "run",
        img,
        pkg.to_str().unwrap(),
        "--cache-dir",
        &cache(dir),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // The probers report on stderr: all of it (kpt shows only four lines by default).
    args.extend(
        ["-o", "stdout", "--truncate-output=false"]
            .into_iter()
            .chain(extra.iter().copied())
            .map(String::from),
    );
    args
}

/// The same as a normal user: uid 65534 through `setpriv` when we are root (the whole `dir`
/// is given to that user first), else as we are.
fn run_rootless(img: &str, dir: &Path, extra: &[&str]) -> Output {
    // The package is made before `dir` is given away.
    let args = run_args(img, dir, extra);
    let exe = assert_cmd::cargo::cargo_bin("kubectl-porch-registry");
    let mut cmd = if is_root() {
        chown_tree(dir, NOBODY);
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        c.arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    cmd.env("HOME", dir)
        .env("XDG_CACHE_HOME", dir.join("xdg"))
        .args(args)
        .output()
        .unwrap()
}

fn chown_tree(dir: &Path, uid: u32) {
    let st = Command::new("chown")
        .args(["-R", &format!("{uid}:{uid}")])
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
    // The tempdir itself is 0700 (root's): nobody must reach into it.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A layer with one more file, `path` with `mode`.
fn file_layer(path: &str, data: &[u8], mode: u32) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.append(&file_header(path, data.len() as u64, mode), data)
        .unwrap();
    b.into_inner().unwrap()
}

/// The static syscall prober, built once per test run.
fn syscall_prober() -> &'static [u8] {
    static BIN: OnceLock<Vec<u8>> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("syscalls");
        let st = Command::new("cc")
            .args(["-static", "-O1", "-o"])
            .arg(&out)
            .arg(fixture("sandbox/syscalls.c"))
            .status()
            .expect("a C compiler (gcc, libc6-dev: scripts/install-test-deps.sh)");
        assert!(st.success(), "building the static syscall prober");
        std::fs::read(out).unwrap()
    })
}

/// A busybox image with the prober as /syscalls; the function runs it, then `cat`.
fn prober_image(dir: &Path) -> String {
    oci_image(
        dir,
        &[
            gzip(&busybox_layer()),
            script_layer("#!/bin/sh\n/syscalls >&2\nexec cat\n"),
            file_layer("syscalls", syscall_prober(), 0o755),
        ],
        &["/bin/sh", "/fn.sh"],
    )
}

/// The prober's answers: `name -> errno` (0: the call succeeded), and the Seccomp status line.
fn prober_answers(stderr: &str) -> (std::collections::BTreeMap<String, i32>, String) {
    let mut calls = std::collections::BTreeMap::new();
    let mut status = String::new();
    for line in stderr.lines() {
        let line = line.trim().trim_matches('"').replace("\\t", " ");
        let line = line.as_str();
        if let Some(s) = line.strip_prefix("status ") {
            status = s.split_whitespace().collect::<Vec<_>>().join(" ");
        } else if let Some((name, errno)) = line.rsplit_once(' ')
            && let Ok(e) = errno.parse::<i32>()
        {
            calls.insert(name.to_string(), e);
        }
    }
    (calls, status)
}

/// Every call the filter denies answers EPERM; fork and harmless calls still work; clone3
/// answers ENOSYS (so C libraries fall back to clone).
fn assert_filtered(stderr: &str) {
    let (calls, status) = prober_answers(stderr);
    assert_eq!(status, "Seccomp: 2", "a filter is installed: {stderr}");
    for name in [
        "clone-newuser",
        "unshare-user",
        "unshare-ns",
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "keyctl",
        "add_key",
        "request_key",
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "kexec_load",
        "init_module",
        "finit_module",
        "delete_module",
        "reboot",
        "swapon",
        "settimeofday",
        "open_by_handle_at",
        "setns",
    ] {
        assert_eq!(calls.get(name), Some(&libc::EPERM), "{name}: {stderr}");
    }
    assert_eq!(calls.get("fork"), Some(&0), "{stderr}");
    assert_eq!(calls.get("unshare-files"), Some(&0), "{stderr}");
    assert_eq!(calls.get("clone3"), Some(&libc::ENOSYS), "{stderr}");
}

/// A function that starts `sleep` processes until a fork fails, then reports how many it got
/// and exits 3. Ash gives up on a failed fork, so the forking runs in a subshell.
const FORK_UNTIL_STOPPED: &str = "#!/bin/sh\n( i=0; while [ $i -lt 5000 ]; do sleep 4242 & i=$((i+1)); echo $i > /tmp/n; done ) 2>/dev/null\nread n < /tmp/n\necho \"forked $n\" >&2\nexit 3\n";

fn forked(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .trim_matches('"')
                .strip_prefix("forked ")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no count: {stderr}"))
}

/// Nothing of a run is left behind once it ended.
fn assert_no_sleepers() {
    let mut left = Vec::new();
    for _ in 0..50 {
        left = sandbox_processes("sleep 4242");
        if left.is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!(
        "left behind: {} processes, e.g. {:?}",
        left.len(),
        left.first()
    );
}

#[test]
fn a_fork_bomb_stops_at_the_default_pids_limit_of_2048() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), FORK_UNTIL_STOPPED);
    let out = run(&img, t.path(), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(8), "{err}");
    assert!(err.contains("Exit code: 3"), "{err}");
    // 2048 processes in all: the helper, the function's shell, its subshell, the sleeps.
    let n = forked(&err);
    assert!((2040..2048).contains(&n), "forked {n}: {err}");
    if is_root() {
        // Root gets the limit from a pids cgroup, which also says the limit was reached.
        assert!(
            err.contains("reached the pids limit (2048 processes"),
            "{err}"
        );
    }
    assert_no_sleepers();
}

#[test]
fn pids_limit_flag_and_its_errors() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), FORK_UNTIL_STOPPED);
    let out = run(&img, t.path(), &["--pids-limit", "40"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(8), "{err}");
    let n = forked(&err);
    assert!((30..40).contains(&n), "forked {n}: {err}");
    assert_no_sleepers();
    for (flag, value) in [
        ("--pids-limit", "-5"),
        ("--pids-limit", "lots"),
        ("--memory", "1k"),
        ("--memory", "2gigs"),
        ("--cpus", "-1"),
        ("--tmp-size", "0"),
    ] {
        let out = run(&img, t.path(), &[flag, value]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(flag) && err.contains(value), "{err}");
        assert!(!err.contains("[RUNNING]"), "{err}");
    }
}

#[test]
fn private_tmp_is_256m_by_default_and_full_past_tmp_size() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\ndf -k /tmp | tail -1 >&2\nif head -c 3000000 /dev/zero | cat > /tmp/big; then echo wrote-all >&2; fi\nexec cat\n",
    );
    let out = run(&img, t.path(), &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let total: Vec<&str> = err
        .lines()
        .find(|l| l.contains("tmpfs"))
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(total.get(1), Some(&"262144"), "256 MiB in 1k blocks: {err}");
    assert!(err.contains("wrote-all"), "{err}");
    let out = run(&img, t.path(), &["--tmp-size", "2m"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("No space left on device"), "ENOSPC: {err}");
    assert!(!err.contains("wrote-all"), "{err}");
}

#[test]
fn denied_system_calls_answer_eperm() {
    let t = tempfile::tempdir().unwrap();
    let img = prober_image(t.path());
    let out = run(&img, t.path(), &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_filtered(&err);
}

#[test]
fn memory_limit_stops_a_function_that_takes_more() {
    let t = tempfile::tempdir().unwrap();
    // The shell holds 64 MB in a variable.
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\nx=$(head -c 64000000 /dev/zero | tr '\\0' a)\necho \"held ${#x}\" >&2\nexec cat\n",
    );
    let out = run(&img, t.path(), &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "within the default 2g: {err}");
    assert!(err.contains("held 64000000"), "{err}");
    let out = run(&img, t.path(), &["--memory", "32m"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(8), "{err}");
    assert!(!err.contains("held 64000000"), "{err}");
    if is_root() {
        assert!(
            err.contains("ran out of memory (32m: raise --memory)"),
            "{err}"
        );
    }
}

#[test]
fn a_normal_user_gets_the_limits_and_the_filter_too() {
    let t = tempfile::tempdir().unwrap();
    let img = oci_image(
        t.path(),
        &[
            gzip(&busybox_layer()),
            script_layer(&format!(
                "#!/bin/sh\nid -u >&2\n/syscalls >&2\nif head -c 3000000 /dev/zero | cat > /tmp/big; then echo wrote-all >&2; fi\nrm -f /tmp/big\n{}",
                FORK_UNTIL_STOPPED.trim_start_matches("#!/bin/sh\n")
            )),
            file_layer("syscalls", syscall_prober(), 0o755),
        ],
        &["/bin/sh", "/fn.sh"],
    );
    let out = run_rootless(&img, t.path(), &["--pids-limit", "40", "--tmp-size", "2m"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(8), "{err}");
    assert!(
        err.contains("Exit code: 3"),
        "the function ran to its end: {err}"
    );
    assert!(err.contains("\"65534\""), "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert_filtered(&err);
    assert!(err.contains("No space left on device"), "{err}");
    let n = forked(&err);
    assert!((30..40).contains(&n), "forked {n}: {err}");
    assert_no_sleepers();
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().mode() & 0o777
}

#[test]
fn unpacked_roots_of_a_private_image_are_private_to_their_owner() {
    let t = tempfile::tempdir().unwrap();
    let reg = Registry::start(Auth::htpasswd("robot", "s3cret-pass"), true);
    let image = TestImage::new(
        "linux/amd64",
        &["/bin/sh", "/fn.sh"],
        vec![
            gzip(&busybox_layer()),
            gzip(&script_layer("#!/bin/sh\nid -u >&2\nexec cat\n")),
        ],
    );
    reg.push("fn/private", "v1", &image);
    let reference = format!("{}/fn/private:v1", reg.host());
    let auth = reg.auth_file(t.path());
    let ca = reg.ca_path();
    let args = [
        "--auth-file",
        auth.to_str().unwrap(),
        "--ca-file",
        ca.to_str().unwrap(),
    ];
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let cache_dir = PathBuf::from(cache(t.path()));
    let out = run(&reference, t.path(), &args);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("\"65534\""), "still runs as nobody: {err}");
    for d in ["", "rootfs", "blobs", "tmp"] {
        assert_eq!(mode(&cache_dir.join(d)), 0o700, "{d}");
    }
    let root = std::fs::read_dir(cache_dir.join("rootfs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .expect("an unpacked root");
    if is_root() {
        // Even in a cache directory others may enter (an existing one given with
        // --cache-dir keeps its mode), another local user can neither list the roots nor
        // read a file of one.
        std::fs::set_permissions(&cache_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        for (tool, target) in [
            ("ls", cache_dir.join("rootfs")),
            ("cat", root.join("fn.sh")),
        ] {
            let out = Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", tool])
                .arg(&target)
                .output()
                .unwrap();
            assert!(
                !out.status.success(),
                "{} readable by others",
                target.display()
            );
            assert!(
                stderr(&out).contains("Permission denied"),
                "{}",
                stderr(&out)
            );
        }
    }
    // A root cached before the change gets its rootfs/ narrowed on the next run.
    std::fs::set_permissions(
        cache_dir.join("rootfs"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let out = run(&reference, t.path(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&cache_dir.join("rootfs")), 0o700);
}

/// The parent pid of `pid`, from /proc.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `PID (COMM) STATE PPID ...`; COMM may hold spaces and parentheses.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn cmdline_of(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

fn fds_of(pid: u32) -> Vec<u32> {
    let mut fds: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    fds.sort();
    fds
}

#[test]
fn the_sandbox_helper_is_a_fork_of_the_command_not_a_second_exec() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), "#!/bin/sh\nexec sleep 4345\n");
    let exe = assert_cmd::cargo::cargo_bin("kubectl-porch-registry");
    let mut main = Command::new(&exe)
        .args(run_args(&img, t.path(), &[]))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let main_pid = main.id();
    // The function, once it runs: the process whose parent's parent is the command.
    let mut function = None;
    for _ in 0..300 {
        function = sandbox_processes("sleep 4345").iter().find_map(|p| {
            let pid: u32 = p.split(':').next()?.parse().ok()?;
            (parent_of(parent_of(pid)?)? == main_pid).then_some(pid)
        });
        if function.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let Some(function) = function else {
        let _ = main.kill();
        let out = main.wait_with_output().unwrap();
        panic!("the function never ran under the command: {}", stderr(&out));
    };
    let helper = parent_of(function).unwrap();
    // The helper is the command's own image, forked: the same command line (a re-executed
    // helper would be `/proc/self/exe __sandbox`), the same executable, and no descriptor
    // of the command's but its three pipes.
    assert_eq!(cmdline_of(helper), cmdline_of(main_pid));
    assert!(!cmdline_of(helper).contains("__sandbox"));
    assert_eq!(
        std::fs::read_link(format!("/proc/{helper}/exe")).unwrap(),
        std::fs::read_link(format!("/proc/{main_pid}/exe")).unwrap()
    );
    assert_eq!(fds_of(helper), vec![0, 1, 2]);
    assert_eq!(fds_of(function), vec![0, 1, 2]);
    // Ending the function (the namespace's init) ends the run: a failed function (the
    // helper reports a signal as 128 + its number, as a shell does).
    // SAFETY: signalling the test's own sandboxed process.
    unsafe { libc::kill(function as i32, libc::SIGKILL) };
    let out = main.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("failed with exit code 137"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_function_starts_with_default_signal_dispositions_and_an_empty_mask() {
    // Rust's runtime ignores SIGPIPE, and an ignored signal stays ignored across exec: the
    // function must get the defaults, as a container engine gives them.
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\ngrep -E '^Sig(Ign|Blk):' /proc/self/status >&2\nexec cat\n",
    );
    let out = run(&img, t.path(), &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(r"SigIgn:\t0000000000000000"), "{err}");
    assert!(err.contains(r"SigBlk:\t0000000000000000"), "{err}");
}

#[test]
fn a_sandbox_helper_that_cannot_be_forked_is_one_error_line_and_changes_nothing() {
    // A normal user at RLIMIT_NPROC: the command runs, its fork of the helper fails.
    if !is_root() {
        return; // setpriv to another user needs root
    }
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), "#!/bin/sh\nexec cat\n");
    let args = run_args(&img, t.path(), &[]);
    chown_tree(t.path(), NOBODY);
    let pkg = package_files(&t.path().join("pkg"));
    let exe = assert_cmd::cargo::cargo_bin("kubectl-porch-registry");
    // The limit is lowered after the uid change (a limit already exceeded at setuid time
    // would fail the exec of the command instead).
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(["prlimit", "--nproc=1:1", "--"])
        .arg(&exe)
        .args(args)
        .env("HOME", t.path())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains("cannot start the sandbox helper (fork)")
            && errors[0].contains("Resource temporarily unavailable"),
        "{err}"
    );
    assert_eq!(package_files(&t.path().join("pkg")), pkg);
}

fn package_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// `__sandbox` with `spec` (JSON) in its environment, `input` on stdin: the helper as the
/// fallback re-executes it when the command has threads.
fn exec_helper(spec: &serde_json::Value, input: &[u8]) -> Output {
    use std::io::Write;
    let exe = assert_cmd::cargo::cargo_bin("kubectl-porch-registry");
    let mut child = Command::new(exe)
        .arg("__sandbox")
        .env_clear()
        .env("KUBECTL_PORCH_REGISTRY_SANDBOX_SPEC", spec.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_re_executed_helper_fallback_builds_the_same_sandbox() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\nid -u >&2\nhostname >&2\ngrep -E '^SigIgn:' /proc/self/status >&2\nexec cat\n",
    );
    // A run unpacks the root into the cache; the helper is then given that root.
    let out = run(&img, t.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let roots: Vec<PathBuf> = std::fs::read_dir(Path::new(&cache(t.path())).join("rootfs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(roots.len(), 1, "{roots:?}");
    let spec = |root: &Path| {
        serde_json::json!({
            "root": root,
            "argv": ["/bin/sh", "/fn.sh"],
            "env": ["PATH=/bin"],
            "workdir": "/",
            "user": "Nobody",
            "network": false,
            "mounts": [],
            "limits": {"pids": null, "memory": null, "millicpus": null, "tmp_size": 1 << 20},
        })
    };
    let out = exec_helper(&spec(&roots[0]), b"some input\n");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(out.stdout, b"some input\n");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        ["65534", "krm-function", "SigIgn:\t0000000000000000"]
    );
    // A root that cannot be mounted: the setup fails with its one line and exit 125.
    let out = exec_helper(&spec(&t.path().join("no-such-root")), b"");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("kubectl-porch-registry sandbox: mounting "),
        "{err}"
    );
    // Without a spec it is refused: it is internal to `run`.
    let exe = assert_cmd::cargo::cargo_bin("kubectl-porch-registry");
    let out = Command::new(exe).arg("__sandbox").output().unwrap();
    assert_eq!(out.status.code(), Some(125));
    assert!(stderr(&out).contains("__sandbox is internal to `run`"));
}
