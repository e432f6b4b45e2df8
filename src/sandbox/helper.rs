//! The single-threaded sandbox helper: a fork of the single-threaded main process ([`fork_helper`]),
//! or, when the main process has threads, `/proc/self/exe __sandbox` with the spec in its
//! environment (run before any thread exists).
//!
//! Either way the helper has one thread, so it may run any code, and `fork` here is safe.

use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, unshare};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, chdir, execve, fork, getgid, getuid, pivot_root, sethostname};

use super::Fallbacks;
use super::{NOBODY, SETUP_ERROR_PREFIX, SETUP_FAILED, Spec, User, seccomp};

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DEVICES: [&str; 5] = ["null", "zero", "full", "random", "urandom"];

type R<T> = std::result::Result<T, String>;

fn ctx<T, E: std::fmt::Display>(
    r: std::result::Result<T, E>,
    what: impl FnOnce() -> String,
) -> R<T> {
    r.map_err(|e| format!("{}: {e}", what()))
}

/// Start the helper as a fork of this process, which must have one thread only (the caller
/// checks): the child then is what a fresh process would be, and may allocate, format and
/// open files like the re-executed helper. Its stdin, stdout and stderr are new pipes (our
/// ends returned), it leads its own process group, and it keeps no other descriptor of ours.
pub(super) fn fork_helper(spec: &Spec) -> std::io::Result<super::Piped> {
    let parent = std::process::id() as i32;
    let cloexec = nix::fcntl::OFlag::O_CLOEXEC;
    let (in_r, in_w) = nix::unistd::pipe2(cloexec)?;
    let (out_r, out_w) = nix::unistd::pipe2(cloexec)?;
    let (err_r, err_w) = nix::unistd::pipe2(cloexec)?;
    // SAFETY: this process has one thread (the caller's check; no other thread can appear
    // meanwhile), so the child inherits no lock held elsewhere. It leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        let ends = [in_r.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()];
        let code = std::panic::catch_unwind(|| {
            if !become_child(ends) {
                return SETUP_FAILED;
            }
            run(spec, Some(parent))
        })
        .unwrap_or(SETUP_FAILED);
        // SAFETY: leave without running the parent's exit handlers or flushing its buffers.
        unsafe { libc::_exit(code) }
    }
    // Both sides set the group, so it exists before either goes on (as posix_spawn does).
    // SAFETY: setpgid on our own child.
    unsafe { libc::setpgid(pid, pid) };
    drop((in_r, out_w, err_w));
    Ok(super::Piped {
        pid,
        stdin: in_w,
        stdout: out_r,
        stderr: err_r,
    })
}

/// In the forked child: own process group, the pipe ends `ends` as fds 0, 1, 2, every other
/// descriptor closed (ours, the parent's, its ends of the pipes). False when that failed.
fn become_child(ends: [i32; 3]) -> bool {
    // SAFETY: plain syscalls on descriptors of this process.
    unsafe {
        libc::setpgid(0, 0);
        // Above 2 first: an end may itself be 0, 1 or 2 when the parent runs with one closed.
        let mut high = [-1; 3];
        for (h, fd) in high.iter_mut().zip(ends) {
            *h = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3);
            if *h < 0 {
                return false;
            }
        }
        for (target, fd) in high.into_iter().enumerate() {
            if libc::dup2(fd, target as i32) < 0 {
                return false;
            }
        }
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
            // No close_range (kernel < 5.9): what /proc lists.
            let open: Vec<i32> = std::fs::read_dir("/proc/self/fd")
                .map(|d| {
                    d.flatten()
                        .filter_map(|e| e.file_name().to_str()?.parse().ok())
                        .filter(|fd| *fd > 2)
                        .collect()
                })
                .unwrap_or_default();
            for fd in open {
                libc::close(fd);
            }
        }
    }
    true
}

/// Run the helper; returns the exit code to leave with (only on failure or after the child).
/// `parent`: the pid of the process that forked this helper (`None`: the re-executed helper).
pub fn run(spec: &Spec, parent: Option<i32>) -> i32 {
    match outer(spec, parent) {
        Ok(code) => code,
        Err(msg) => {
            crate::errln!("{SETUP_ERROR_PREFIX}{msg}");
            SETUP_FAILED
        }
    }
}

fn set_pdeathsig() {
    // SAFETY: prctl with integer arguments.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
    }
}

/// Move this (single-threaded) helper into `dirs`. On cgroup v1 it moves its only thread:
/// `0` written to `tasks` is a migration of the writer itself, which the kernel does without
/// the global threadgroup lock a `cgroup.procs` write takes (that lock waits for an RCU grace
/// period: 7-10 ms per run on the 2-CPU development machine, a third of a warm `run`). With
/// one thread, moving the thread is moving the process, and every process it starts is born
/// inside. cgroup v2 has no `tasks` (its `cgroup.threads` needs a threaded subtree):
/// `cgroup.procs` there.
fn join_cgroups(dirs: &[PathBuf]) -> R<()> {
    let single_threaded = std::fs::read_dir("/proc/self/task").is_ok_and(|d| d.count() == 1);
    let me = std::process::id().to_string();
    for dir in dirs {
        let tasks = dir.join("tasks");
        let written = if single_threaded && tasks.exists() {
            std::fs::write(&tasks, "0")
        } else {
            std::fs::write(dir.join("cgroup.procs"), &me)
        };
        ctx(written, || format!("joining the cgroup {}", dir.display()))?;
    }
    Ok(())
}

fn outer(spec: &Spec, parent: Option<i32>) -> R<i32> {
    set_pdeathsig();
    // If the parent died before we set PDEATHSIG, stop now.
    let ppid = nix::unistd::getppid().as_raw();
    if parent.map_or(ppid == 1, |p| ppid != p) {
        return Ok(SETUP_FAILED);
    }
    // Into the run's cgroups first, so every process of the function starts inside.
    join_cgroups(&spec.cgroups)?;
    let host_uid = getuid().as_raw();
    let host_gid = getgid().as_raw();
    let mut flags = CloneFlags::CLONE_NEWUSER
        | CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWUTS;
    if !spec.network {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    ctx(unshare(flags), || {
        "creating namespaces (user, mount, pid, ipc, uts, net); unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces, or AppArmor's kernel.apparmor_restrict_unprivileged_userns); try --runtime podman".to_string()
    })?;
    let (inside_uid, inside_gid) = match spec.user {
        User::Nobody => (NOBODY, NOBODY),
        User::Current => (host_uid, host_gid),
    };
    ctx(std::fs::write("/proc/self/setgroups", "deny"), || {
        "writing /proc/self/setgroups".into()
    })?;
    ctx(
        std::fs::write("/proc/self/uid_map", format!("{inside_uid} {host_uid} 1\n")),
        || "writing the uid map".into(),
    )?;
    ctx(
        std::fs::write("/proc/self/gid_map", format!("{inside_gid} {host_gid} 1\n")),
        || "writing the gid map".into(),
    )?;
    // SAFETY: this process is single-threaded (the helper runs before anything else).
    match ctx(unsafe { fork() }, || "fork".into())? {
        ForkResult::Child => {
            let msg = match init(spec) {
                Err(msg) => msg,
                Ok(never) => match never {},
            };
            crate::errln!("{SETUP_ERROR_PREFIX}{msg}");
            // SAFETY: leave the child without running destructors/atexit handlers.
            unsafe { libc::_exit(SETUP_FAILED) }
        }
        ForkResult::Parent { child } => loop {
            match waitpid(child, None) {
                Ok(WaitStatus::Exited(_, code)) => return Ok(code),
                Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(128 + sig as i32),
                Ok(_) => continue,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(format!("waiting for the function: {e}")),
            }
        },
    }
}

fn mnt(
    src: Option<&str>,
    target: &Path,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> R<()> {
    ctx(mount(src, target, fstype, flags, data), || {
        format!(
            "mounting {} on {}",
            src.or(fstype).unwrap_or("(remount)"),
            target.display()
        )
    })
}

/// The flags a remount must keep (locked in a user namespace).
fn locked_flags(path: &Path) -> MsFlags {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).unwrap_or_default();
    // SAFETY: statvfs fills the struct.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return MsFlags::empty();
    }
    let f = st.f_flag;
    let mut out = MsFlags::empty();
    for (st_flag, ms) in [
        (libc::ST_NOSUID, MsFlags::MS_NOSUID),
        (libc::ST_NODEV, MsFlags::MS_NODEV),
        (libc::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (libc::ST_NOATIME, MsFlags::MS_NOATIME),
        (libc::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (libc::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if f & st_flag != 0 {
            out |= ms;
        }
    }
    out
}

fn remount_ro(target: &Path) -> R<()> {
    let flags = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY | locked_flags(target);
    mnt(None, target, None, flags, None)
}

fn bring_lo_up() {
    // SAFETY: plain socket/ioctl on a zeroed ifreq.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return;
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo\0".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        if libc::ioctl(s, libc::SIOCGIFFLAGS, &mut req) == 0 {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(s, libc::SIOCSIFFLAGS, &mut req);
        }
        libc::close(s);
    }
}

fn find_executable(argv0: &str, env: &[String]) -> R<PathBuf> {
    if argv0.contains('/') {
        return Ok(PathBuf::from(argv0));
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let p = Path::new(dir).join(argv0);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!(
        "entrypoint {argv0:?}: executable file not found in the image's $PATH ({path})"
    ))
}

/// PID 1 of the new PID namespace: build the root, then exec the function.
fn init(spec: &Spec) -> R<std::convert::Infallible> {
    set_pdeathsig();
    let root = &spec.root;
    mnt(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None,
    )?;
    let root_str = root.to_str().ok_or("root path is not UTF-8")?;
    mnt(
        Some(root_str),
        root,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )?;
    let nsd = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    mnt(
        Some("proc"),
        &root.join("proc"),
        Some("proc"),
        nsd | MsFlags::MS_NOEXEC,
        None,
    )?;
    mnt(
        Some("tmpfs"),
        &root.join("tmp"),
        Some("tmpfs"),
        nsd,
        Some(&format!("mode=1777,size={}", spec.limits.tmp_size)),
    )?;
    let dev = root.join("dev");
    mnt(
        Some("tmpfs"),
        &dev,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("mode=755,size=64k"),
    )?;
    for name in DEVICES {
        let target = dev.join(name);
        ctx(std::fs::File::create(&target), || {
            format!("creating {}", target.display())
        })?;
        let src = format!("/dev/{name}");
        mnt(Some(&src), &target, None, MsFlags::MS_BIND, None)?;
    }
    for (link, to) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        let _ = std::os::unix::fs::symlink(to, dev.join(link));
    }
    let _ = std::fs::create_dir(dev.join("shm"));
    // --mount: host sources (host paths, before the pivot) onto targets resolved inside the
    // root (an image symlink cannot redirect the mount); missing targets only under /tmp.
    for m in &spec.mounts {
        if !m.source.is_dir() {
            return Err(format!(
                "--mount source {} is not a directory; the native runtime binds directories",
                m.source.display()
            ));
        }
        let under_tmp = Path::new(&m.target).starts_with("/tmp");
        let target = ctx(
            super::rootfs::open_dir_in_root(root, &m.target, under_tmp),
            || format!("--mount target {}", m.target),
        )?
        .ok_or_else(|| {
            format!(
                "--mount target {} does not exist in the image and its root is read-only; use an existing directory or one under /tmp",
                m.target
            )
        })?;
        let src = m.source.to_str().ok_or("--mount source is not UTF-8")?;
        let tgt = PathBuf::from(format!("/proc/self/fd/{}", target.as_raw_fd()));
        mnt(
            Some(src),
            &tgt,
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None,
        )?;
        if !m.rw {
            // Reopen: now the path crosses into the new mount.
            let mounted = ctx(
                super::rootfs::open_dir_in_root(root, &m.target, false),
                || format!("--mount target {}", m.target),
            )?
            .ok_or_else(|| format!("--mount target {} vanished", m.target))?;
            remount_ro(Path::new(&format!("/proc/self/fd/{}", mounted.as_raw_fd())))?;
        }
    }
    // With the host network, the host's name resolution (as `docker run --network host`),
    // over files the image already has (its root is read-only, nothing can be created).
    if spec.network {
        for name in ["resolv.conf", "hosts"] {
            let host = Path::new("/etc").join(name);
            if !host.is_file() {
                continue;
            }
            let Ok(Some(etc)) = super::rootfs::open_dir_in_root(root, "etc", false) else {
                continue;
            };
            let Ok(file) = nix::fcntl::openat(
                &etc,
                name,
                nix::fcntl::OFlag::O_PATH
                    | nix::fcntl::OFlag::O_NOFOLLOW
                    | nix::fcntl::OFlag::O_CLOEXEC,
                nix::sys::stat::Mode::empty(),
            ) else {
                continue;
            };
            let target = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
            if target.is_file() {
                let src = host.to_str().unwrap_or_default();
                mnt(Some(src), &target, None, MsFlags::MS_BIND, None)?;
                let again = nix::fcntl::openat(
                    &etc,
                    name,
                    nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_CLOEXEC,
                    nix::sys::stat::Mode::empty(),
                )
                .map_err(|e| format!("reopening /etc/{name}: {e}"))?;
                remount_ro(Path::new(&format!("/proc/self/fd/{}", again.as_raw_fd())))?;
            }
        }
    }
    // /proc/sys read-only, as container engines do.
    let sys = root.join("proc/sys");
    mnt(
        Some(sys.to_str().unwrap_or("")),
        &sys,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )?;
    remount_ro(&sys)?;
    ctx(chdir(root), || format!("chdir {}", root.display()))?;
    ctx(pivot_root(".", "."), || "pivot_root".into())?;
    ctx(umount2(".", MntFlags::MNT_DETACH), || {
        "detaching the host root".into()
    })?;
    ctx(chdir("/"), || "chdir /".into())?;
    remount_ro(Path::new("/"))?;
    let _ = sethostname("krm-function");
    if !spec.network {
        bring_lo_up();
    }
    let workdir = if spec.workdir.is_empty() {
        "/"
    } else {
        &spec.workdir
    };
    ctx(chdir(workdir), || {
        format!("working directory {workdir} of the image")
    })?;
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(format!(
            "setting no_new_privs: {}",
            std::io::Error::last_os_error()
        ));
    }
    let argv0 = spec
        .argv
        .first()
        .ok_or("the image has no Entrypoint or Cmd")?;
    let exe = find_executable(argv0, &spec.env)?;
    let cstr = |s: &str| CString::new(s).map_err(|_| format!("{s:?} contains a NUL byte"));
    let path = cstr(exe.to_str().ok_or("entrypoint path is not UTF-8")?)?;
    let args = spec.argv.iter().map(|a| cstr(a)).collect::<R<Vec<_>>>()?;
    let env = spec.env.iter().map(|a| cstr(a)).collect::<R<Vec<_>>>()?;
    apply_fallbacks(&spec.fallbacks)?;
    default_signals();
    // Last: nothing of the sandbox's own setup needs a denied call after this.
    seccomp::install(spec.fallbacks.cpus.is_some())?;
    Err(match execve(&path, &args, &env) {
        Err(e) => format!("exec {}: {e}", exe.display()),
        Ok(never) => match never {},
    })
}

/// Default dispositions and an empty mask for the function, as a container engine gives it:
/// an ignored signal stays ignored across exec (Rust's runtime ignores SIGPIPE; what started
/// us may have ignored others, libc's reserved 32 and 33 too, which its wrappers refuse).
fn default_signals() {
    // The kernel's `struct sigaction` all zero is SIG_DFL, no flags, an empty mask.
    let dfl = [0u64; 4];
    // SAFETY: rt_sigaction with a valid action of the kernel's size; SIGKILL and SIGSTOP
    // just fail. sigprocmask with a valid empty set.
    unsafe {
        for sig in 1..=libc::SIGRTMAX() {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                dfl.as_ptr(),
                std::ptr::null_mut::<u64>(),
                8usize,
            );
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

fn set_rlimit(resource: libc::__rlimit_resource_t, value: u64, what: &str) -> R<()> {
    let lim = libc::rlimit {
        rlim_cur: value as libc::rlim_t,
        rlim_max: value as libc::rlim_t,
    };
    // SAFETY: a valid rlimit struct.
    if unsafe { libc::setrlimit(resource, &lim) } != 0 {
        return Err(format!(
            "setting {what} to {value}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// The per-process limits for what no cgroup covers. Set after `unshare`: `RLIMIT_NPROC` then
/// counts the processes of this user namespace only (a fresh one), not all of the user's.
fn apply_fallbacks(f: &Fallbacks) -> R<()> {
    if let Some(n) = f.nproc {
        set_rlimit(libc::RLIMIT_NPROC, n, "RLIMIT_NPROC (--pids-limit)")?;
    }
    if let Some(n) = f.data {
        set_rlimit(libc::RLIMIT_DATA, n, "RLIMIT_DATA (--memory)")?;
    }
    if let Some(n) = f.cpus {
        // SAFETY: cpu_set_t is plain data; sched_* fill and read it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return Err(format!(
                    "reading the CPU affinity: {}",
                    std::io::Error::last_os_error()
                ));
            }
            let mut keep: libc::cpu_set_t = std::mem::zeroed();
            let mut kept = 0;
            for cpu in 0..libc::CPU_SETSIZE as usize {
                if kept < n && libc::CPU_ISSET(cpu, &set) {
                    libc::CPU_SET(cpu, &mut keep);
                    kept += 1;
                }
            }
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &keep) != 0 {
                return Err(format!(
                    "setting the CPU affinity (--cpus): {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
    }
    Ok(())
}
