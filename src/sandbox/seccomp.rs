//! The seccomp filter of the native sandbox: a deny list of what a KRM function never needs,
//! installed last, after the sandbox's own mounts and right before the function is executed.
//!
//! Compared with the engines' default profiles (moby's `profiles/seccomp/default.json` and
//! containers-common's `seccomp.json`, which are allow lists that refuse these calls to a
//! container without the matching capability): denied with `EPERM` are new namespaces
//! (`unshare`/`clone` with a `CLONE_NEW*` flag, `setns`), mounting and changing the root
//! (`mount`, `umount2`, the new mount API, `pivot_root`, `chroot`), other processes' memory
//! (`ptrace`, `process_vm_readv`/`writev`, `kcmp`, `pidfd_getfd`, `process_madvise`), the
//! kernel keyring (`keyctl`, `add_key`, `request_key`), `bpf`, `perf_event_open`,
//! `userfaultfd`, `io_uring_*`, `fanotify_init`, `lookup_dcookie`, quotas, kernel modules,
//! `kexec_*`, `reboot`, swap, `acct`, `syslog`, `vhangup`, setting the clock,
//! `open_by_handle_at`, `iopl`/`ioperm` and the obsolete x86 calls. `clone3` answers `ENOSYS`,
//! as in moby's profile, so C libraries fall back to `clone`, whose flags a filter can read.
//! System calls of another ABI than the binary's own (x32, i386, arm32) kill the process.
//! Everything else is allowed: a deny list, so a function in any language keeps working.

use libc::{c_long, sock_filter, sock_fprog};

const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_ALLOW: u32 = 0x7fff_0000;

const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const JSET_K: u16 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const RET_K: u16 = 0x06; // BPF_RET | BPF_K

// struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
/// The low 32 bits of args[0] (little-endian).
#[cfg(target_endian = "little")]
const OFF_ARG0_LO: u32 = 16;
#[cfg(target_endian = "big")]
const OFF_ARG0_LO: u32 = 20;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;
/// x32 system calls are x86_64 numbers with this bit set.
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: moby's mask for
/// `clone` (2114060288).
pub const CLONE_NEW_MASK: u32 = 0x7E02_0000;
/// The same plus CLONE_NEWTIME, which only `unshare` takes (in `clone` 0x80 is the signal).
pub const UNSHARE_NEW_MASK: u32 = CLONE_NEW_MASK | 0x80;

/// System calls denied outright with EPERM.
pub fn denied() -> Vec<(&'static str, c_long)> {
    #[allow(unused_mut)]
    let mut v = vec![
        ("setns", libc::SYS_setns),
        ("mount", libc::SYS_mount),
        ("umount2", libc::SYS_umount2),
        ("pivot_root", libc::SYS_pivot_root),
        ("chroot", libc::SYS_chroot),
        ("fsopen", libc::SYS_fsopen),
        ("fsconfig", libc::SYS_fsconfig),
        ("fsmount", libc::SYS_fsmount),
        ("fspick", libc::SYS_fspick),
        ("move_mount", libc::SYS_move_mount),
        ("open_tree", libc::SYS_open_tree),
        ("mount_setattr", libc::SYS_mount_setattr),
        ("ptrace", libc::SYS_ptrace),
        ("process_vm_readv", libc::SYS_process_vm_readv),
        ("process_vm_writev", libc::SYS_process_vm_writev),
        ("kcmp", libc::SYS_kcmp),
        ("pidfd_getfd", libc::SYS_pidfd_getfd),
        ("process_madvise", libc::SYS_process_madvise),
        ("keyctl", libc::SYS_keyctl),
        ("add_key", libc::SYS_add_key),
        ("request_key", libc::SYS_request_key),
        ("bpf", libc::SYS_bpf),
        ("perf_event_open", libc::SYS_perf_event_open),
        ("userfaultfd", libc::SYS_userfaultfd),
        ("io_uring_setup", libc::SYS_io_uring_setup),
        ("io_uring_enter", libc::SYS_io_uring_enter),
        ("io_uring_register", libc::SYS_io_uring_register),
        ("fanotify_init", libc::SYS_fanotify_init),
        ("lookup_dcookie", libc::SYS_lookup_dcookie),
        ("quotactl", libc::SYS_quotactl),
        ("quotactl_fd", libc::SYS_quotactl_fd),
        ("kexec_load", libc::SYS_kexec_load),
        ("kexec_file_load", libc::SYS_kexec_file_load),
        ("init_module", libc::SYS_init_module),
        ("finit_module", libc::SYS_finit_module),
        ("delete_module", libc::SYS_delete_module),
        ("reboot", libc::SYS_reboot),
        ("swapon", libc::SYS_swapon),
        ("swapoff", libc::SYS_swapoff),
        ("acct", libc::SYS_acct),
        ("syslog", libc::SYS_syslog),
        ("vhangup", libc::SYS_vhangup),
        ("settimeofday", libc::SYS_settimeofday),
        ("clock_settime", libc::SYS_clock_settime),
        ("open_by_handle_at", libc::SYS_open_by_handle_at),
        ("nfsservctl", libc::SYS_nfsservctl),
    ];
    #[cfg(target_arch = "x86_64")]
    v.extend([
        ("iopl", libc::SYS_iopl),
        ("ioperm", libc::SYS_ioperm),
        ("uselib", libc::SYS_uselib),
        ("ustat", libc::SYS_ustat),
        ("sysfs", libc::SYS_sysfs),
        ("_sysctl", libc::SYS__sysctl),
        ("create_module", 174),
        ("get_kernel_syms", 177),
        ("query_module", 178),
    ]);
    v
}

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// The BPF program. `deny_affinity`: also deny `sched_setaffinity` (when the CPU limit is an
/// affinity, so the function cannot widen it).
pub fn program(deny_affinity: bool) -> Vec<sock_filter> {
    let eperm = RET_ERRNO | libc::EPERM as u32;
    let mut p = vec![
        stmt(LD_W_ABS, OFF_ARCH),
        jump(JEQ_K, AUDIT_ARCH, 1, 0),
        stmt(RET_K, RET_KILL_PROCESS),
        stmt(LD_W_ABS, OFF_NR),
    ];
    #[cfg(target_arch = "x86_64")]
    p.extend([
        jump(JGE_K, X32_SYSCALL_BIT, 0, 1),
        stmt(RET_K, RET_KILL_PROCESS),
    ]);
    let mut nrs: Vec<c_long> = denied().into_iter().map(|(_, nr)| nr).collect();
    if deny_affinity {
        nrs.push(libc::SYS_sched_setaffinity);
    }
    for nr in nrs {
        p.push(jump(JEQ_K, nr as u32, 0, 1));
        p.push(stmt(RET_K, eperm));
    }
    p.push(jump(JEQ_K, libc::SYS_clone3 as u32, 0, 1));
    p.push(stmt(RET_K, RET_ERRNO | libc::ENOSYS as u32));
    for (nr, mask) in [
        (libc::SYS_clone, CLONE_NEW_MASK),
        (libc::SYS_unshare, UNSHARE_NEW_MASK),
    ] {
        // nr == X ? (arg0 & mask ? EPERM : ALLOW) : next
        p.push(jump(JEQ_K, nr as u32, 0, 4));
        p.push(stmt(LD_W_ABS, OFF_ARG0_LO));
        p.push(jump(JSET_K, mask, 0, 1));
        p.push(stmt(RET_K, eperm));
        p.push(stmt(RET_K, RET_ALLOW));
    }
    p.push(stmt(RET_K, RET_ALLOW));
    p
}

/// Install the filter on the calling thread (no_new_privs must be set already).
pub fn install(deny_affinity: bool) -> Result<(), String> {
    let mut prog = program(deny_affinity);
    let fprog = sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: a valid program that outlives the call; the kernel copies it.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &fprog as *const sock_fprog as libc::c_ulong,
            0,
            0,
        )
    };
    if r != 0 {
        return Err(format!(
            "installing the seccomp filter: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny interpreter of the program's instructions, to check its answers.
    fn eval(p: &[sock_filter], nr: u32, arch: u32, arg0: u64) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&nr.to_ne_bytes());
        data[4..8].copy_from_slice(&arch.to_ne_bytes());
        data[16..24].copy_from_slice(&arg0.to_ne_bytes());
        let (mut pc, mut acc) = (0usize, 0u32);
        loop {
            let i = &p[pc];
            pc += 1;
            match i.code {
                LD_W_ABS => {
                    let o = i.k as usize;
                    acc = u32::from_ne_bytes(data[o..o + 4].try_into().unwrap());
                }
                JEQ_K | JGE_K | JSET_K => {
                    let t = match i.code {
                        JEQ_K => acc == i.k,
                        JGE_K => acc >= i.k,
                        _ => acc & i.k != 0,
                    };
                    pc += if t { i.jt } else { i.jf } as usize;
                }
                RET_K => return i.k,
                c => panic!("unknown op {c:#x}"),
            }
        }
    }

    #[test]
    fn denies_the_list_allows_the_rest() {
        let p = program(false);
        assert!(p.len() < 4096);
        let eperm = RET_ERRNO | libc::EPERM as u32;
        for (name, nr) in denied() {
            assert_eq!(eval(&p, nr as u32, AUDIT_ARCH, 0), eperm, "{name}");
        }
        for nr in [
            libc::SYS_read,
            libc::SYS_write,
            libc::SYS_execve,
            libc::SYS_exit_group,
            libc::SYS_sched_setaffinity,
        ] {
            assert_eq!(eval(&p, nr as u32, AUDIT_ARCH, 0), RET_ALLOW, "{nr}");
        }
        // fork-like clone allowed, namespaced clone denied; unshare likewise.
        let sigchld = libc::SIGCHLD as u64;
        assert_eq!(
            eval(&p, libc::SYS_clone as u32, AUDIT_ARCH, sigchld),
            RET_ALLOW
        );
        let threads = (libc::CLONE_VM | libc::CLONE_THREAD | libc::CLONE_SIGHAND) as u64;
        assert_eq!(
            eval(&p, libc::SYS_clone as u32, AUDIT_ARCH, threads),
            RET_ALLOW
        );
        for flag in [
            libc::CLONE_NEWUSER,
            libc::CLONE_NEWNS,
            libc::CLONE_NEWPID,
            libc::CLONE_NEWNET,
            libc::CLONE_NEWIPC,
            libc::CLONE_NEWUTS,
            libc::CLONE_NEWCGROUP,
        ] {
            let f = flag as u64 | sigchld;
            assert_eq!(eval(&p, libc::SYS_clone as u32, AUDIT_ARCH, f), eperm);
            assert_eq!(eval(&p, libc::SYS_unshare as u32, AUDIT_ARCH, f), eperm);
        }
        assert_eq!(eval(&p, libc::SYS_unshare as u32, AUDIT_ARCH, 0x80), eperm);
        let files = libc::CLONE_FILES as u64;
        assert_eq!(
            eval(&p, libc::SYS_unshare as u32, AUDIT_ARCH, files),
            RET_ALLOW
        );
        assert_eq!(
            eval(&p, libc::SYS_clone3 as u32, AUDIT_ARCH, 0),
            RET_ERRNO | libc::ENOSYS as u32
        );
        // Another ABI is killed, whatever the call.
        assert_eq!(eval(&p, 0, 0x4000_0003, 0), RET_KILL_PROCESS);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(eval(&p, 0x4000_0000, AUDIT_ARCH, 0), RET_KILL_PROCESS);
        let pinned = program(true);
        assert_eq!(
            eval(&pinned, libc::SYS_sched_setaffinity as u32, AUDIT_ARCH, 0),
            eperm
        );
    }
}
