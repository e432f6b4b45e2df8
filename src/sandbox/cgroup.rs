//! A cgroup for one sandboxed run, where this machine and user may create one.
//!
//! - cgroup v2: a new cgroup next to ours (in our cgroup's parent, which must have the
//!   controllers enabled in `cgroup.subtree_control` and be writable: root, or a delegated
//!   subtree such as a systemd user service's), or below ours when ours is the root.
//! - cgroup v1 (as root, usually): one new cgroup below ours in each of the `pids`, `memory`
//!   and `cpu` hierarchies that is writable.
//!
//! Whatever cannot be had is left to the helper's per-process fallbacks
//! ([`super::Fallbacks`]). The sandbox helper joins the cgroups itself, first thing,
//! so every process of the function starts inside. Dropping the [`RunCgroup`] removes them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::runner::limits::Limits;

/// CFS period used for `--cpus` (the engines' 100 ms).
const CPU_PERIOD_US: u64 = 100_000;

/// The cgroup(s) of one run and the limits they carry.
#[derive(Debug, Default)]
pub struct RunCgroup {
    /// Directories the helper joins (one for v2; one per hierarchy for v1).
    pub dirs: Vec<PathBuf>,
    pub pids: bool,
    pub memory: bool,
    pub cpu: bool,
    v2: bool,
}

/// What the cgroups saw during the run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Events {
    /// A fork failed at the pids limit.
    pub pids_max_hit: bool,
    /// The memory limit made the kernel kill a process.
    pub oom_killed: bool,
}

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("kubectl-porch-registry-{}-{nanos}", std::process::id())
}

/// Mount points of cgroup filesystems: (mount point, fstype, super options).
fn cgroup_mounts() -> Vec<(PathBuf, String, String)> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines() {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mut l = left.split(' ');
        let (Some(root), Some(mp)) = (l.nth(3), l.next()) else {
            continue;
        };
        let mut r = right.split(' ');
        let (Some(fstype), _, Some(sopts)) = (r.next(), r.next(), r.next()) else {
            continue;
        };
        if root != "/" || !fstype.starts_with("cgroup") {
            continue;
        }
        let mp = mp.replace("\\040", " ");
        out.push((PathBuf::from(mp), fstype.to_string(), sopts.to_string()));
    }
    out
}

/// Our own cgroup paths: (hierarchy controllers, path), from /proc/self/cgroup.
fn own_cgroups() -> Vec<(String, String)> {
    std::fs::read_to_string("/proc/self/cgroup")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut p = l.splitn(3, ':');
            let (_, ctl, path) = (p.next()?, p.next()?, p.next()?);
            Some((ctl.to_string(), path.to_string()))
        })
        .collect()
}

fn join(mount: &Path, rel: &str) -> PathBuf {
    mount.join(rel.trim_start_matches('/'))
}

fn write(path: &Path, value: &str) -> bool {
    std::fs::write(path, value).is_ok()
}

impl RunCgroup {
    /// Create the cgroup(s) for `limits`; an empty one when nothing could be created.
    pub fn create(limits: &Limits) -> RunCgroup {
        let wanted = limits.pids.is_some() || limits.memory.is_some() || limits.millicpus.is_some();
        if !wanted {
            return RunCgroup::default();
        }
        let mounts = cgroup_mounts();
        let own = own_cgroups();
        if let Some(cg) = Self::create_v2(limits, &mounts, &own) {
            return cg;
        }
        Self::create_v1(limits, &mounts, &own)
    }

    fn create_v2(
        limits: &Limits,
        mounts: &[(PathBuf, String, String)],
        own: &[(String, String)],
    ) -> Option<RunCgroup> {
        let (mount, _, _) = mounts.iter().find(|(_, t, _)| t == "cgroup2")?;
        let (_, path) = own.iter().find(|(c, _)| c.is_empty())?;
        let ours = join(mount, path);
        // Below our parent (ours holds processes, so it cannot pass controllers down), or
        // below ours when ours is the root of the hierarchy (or of our cgroup namespace).
        let parent = if path == "/" {
            ours.clone()
        } else {
            ours.parent()?.to_path_buf()
        };
        let enabled = std::fs::read_to_string(parent.join("cgroup.subtree_control")).ok()?;
        let has = |c: &str| enabled.split_whitespace().any(|e| e == c);
        let pids = limits.pids.is_some() && has("pids");
        let memory = limits.memory.is_some() && has("memory");
        let cpu = limits.millicpus.is_some() && has("cpu");
        if !(pids || memory || cpu) {
            return None;
        }
        let dir = parent.join(unique_name());
        std::fs::create_dir(&dir).ok()?;
        let mut cg = RunCgroup {
            dirs: vec![dir.clone()],
            v2: true,
            ..RunCgroup::default()
        };
        // Moving a process in needs write access to the common ancestor's cgroup.procs.
        let movable =
            nix::unistd::access(&parent.join("cgroup.procs"), nix::unistd::AccessFlags::W_OK)
                .is_ok();
        if !movable {
            return None; // dropping cg removes the directory
        }
        if let (true, Some(n)) = (pids, limits.pids) {
            cg.pids = write(&dir.join("pids.max"), &n.to_string());
        }
        if let (true, Some(n)) = (memory, limits.memory) {
            cg.memory = write(&dir.join("memory.max"), &n.to_string());
            // No swapping past the limit, like the engines' --memory-swap = --memory.
            let _ = write(&dir.join("memory.swap.max"), "0");
        }
        if let (true, Some(m)) = (cpu, limits.millicpus) {
            let quota = (m * CPU_PERIOD_US / 1000).max(1000);
            cg.cpu = write(&dir.join("cpu.max"), &format!("{quota} {CPU_PERIOD_US}"));
        }
        (cg.pids || cg.memory || cg.cpu).then_some(cg)
    }

    fn create_v1(
        limits: &Limits,
        mounts: &[(PathBuf, String, String)],
        own: &[(String, String)],
    ) -> RunCgroup {
        let mut cg = RunCgroup::default();
        let name = unique_name();
        let hierarchy = |ctl: &str| -> Option<PathBuf> {
            let (mount, _, _) = mounts
                .iter()
                .find(|(_, t, o)| t == "cgroup" && o.split(',').any(|x| x == ctl))?;
            let (_, path) = own.iter().find(|(c, _)| c.split(',').any(|x| x == ctl))?;
            let dir = join(mount, path).join(&name);
            std::fs::create_dir(&dir).ok()?;
            Some(dir)
        };
        if let Some(n) = limits.pids
            && let Some(dir) = hierarchy("pids")
        {
            cg.pids = write(&dir.join("pids.max"), &n.to_string());
            cg.dirs.push(dir);
        }
        if let Some(n) = limits.memory
            && let Some(dir) = hierarchy("memory")
        {
            cg.memory = write(&dir.join("memory.limit_in_bytes"), &n.to_string());
            let _ = write(&dir.join("memory.memsw.limit_in_bytes"), &n.to_string());
            cg.dirs.push(dir);
        }
        if let Some(m) = limits.millicpus
            && let Some(dir) = hierarchy("cpu")
        {
            let quota = (m * CPU_PERIOD_US / 1000).max(1000);
            cg.cpu = write(&dir.join("cpu.cfs_period_us"), &CPU_PERIOD_US.to_string())
                && write(&dir.join("cpu.cfs_quota_us"), &quota.to_string());
            if !cg.dirs.contains(&dir) {
                cg.dirs.push(dir);
            }
        }
        cg
    }

    /// Kill every process in the cgroup (v2's `cgroup.kill`); v1 relies on the PID namespace.
    pub fn kill(&self) {
        if self.v2 {
            for d in &self.dirs {
                let _ = write(&d.join("cgroup.kill"), "1");
            }
        }
    }

    /// Whether the limits were hit during the run.
    pub fn events(&self) -> Events {
        let mut ev = Events::default();
        let count = |file: PathBuf, key: &str| -> u64 {
            std::fs::read_to_string(file)
                .unwrap_or_default()
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(' ')?;
                    (k == key).then(|| v.trim().parse().ok()).flatten()
                })
                .unwrap_or(0)
        };
        for d in &self.dirs {
            if self.pids && count(d.join("pids.events"), "max") > 0 {
                ev.pids_max_hit = true;
            }
            if self.memory {
                let oom = if self.v2 {
                    count(d.join("memory.events"), "oom_kill")
                } else {
                    count(d.join("memory.oom_control"), "oom_kill")
                };
                if oom > 0 {
                    ev.oom_killed = true;
                }
            }
        }
        ev
    }
}

impl Drop for RunCgroup {
    fn drop(&mut self) {
        // The processes are gone or going (the PID namespace dies with its init): wait a
        // little for the last ones to be reaped, then remove the directories.
        let deadline = Instant::now() + Duration::from_secs(2);
        for d in &self.dirs {
            while std::fs::remove_dir(d).is_err() && d.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}
