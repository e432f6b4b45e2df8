//! Resource limits of a sandboxed function, like a container engine's defaults, and the sizes
//! and CPU counts the flags take (the parsers are clap's `value_parser`s for `--pids-limit`,
//! `--memory`, `--cpus`, `--tmp-size`, as [`super::duration`] is for `--timeout`).
//!
//! Defaults (documented in `run --help` and the README):
//! - pids: 2048 processes and threads, podman's default (`pids_limit` in containers.conf);
//! - `/tmp`: a 256 MiB tmpfs (a tmpfs without `size=` may take half of the host's RAM);
//! - memory: 2 GiB for the whole function; CPUs: no limit (the timeout bounds the time).
//!
//! How a limit is enforced depends on the machine (see `sandbox::cgroup`): a cgroup when one
//! can be created (root with cgroup v1 or v2, a normal user with a delegated cgroup v2
//! subtree), else per-process fallbacks set in the sandbox: `RLIMIT_NPROC` for pids (counted in
//! the sandbox's own user namespace; the kernel exempts root from it), `RLIMIT_DATA` for memory
//! (per process), a CPU affinity of `ceil(cpus)` CPUs for `--cpus`.

use serde::{Deserialize, Serialize};

/// podman's default pids limit (containers.conf `pids_limit`).
pub const DEFAULT_PIDS: u64 = 2048;
/// The private `/tmp`'s default size.
pub const DEFAULT_TMP_SIZE: u64 = 256 << 20;
/// The default memory limit of a function (every process of it together).
pub const DEFAULT_MEMORY: u64 = 2 << 30;

/// The limits asked for. `None` is "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Processes and threads, the function's and the sandbox helper's together.
    pub pids: Option<u64>,
    /// Bytes of memory (cgroup: the whole function, tmpfs pages included).
    pub memory: Option<u64>,
    /// CPUs in thousandths (1500 = 1.5 CPUs).
    pub millicpus: Option<u64>,
    /// Bytes the private `/tmp` may hold.
    pub tmp_size: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            pids: Some(DEFAULT_PIDS),
            memory: Some(DEFAULT_MEMORY),
            millicpus: None,
            tmp_size: DEFAULT_TMP_SIZE,
        }
    }
}

/// `--pids-limit`: a positive count, or `-1`/`0` for no limit (podman's and docker's
/// spellings).
pub fn parse_pids(s: &str) -> Result<Option<u64>, String> {
    match s.trim().parse::<i64>() {
        Ok(-1 | 0) => Ok(None),
        Ok(n) if n > 0 => Ok(Some(n as u64)),
        _ => Err(format!(
            "{s:?} is not a process count; use e.g. 2048, or -1 for no limit"
        )),
    }
}

/// A size as docker and podman take it (`--memory`, `--tmpfs size=`): a number of bytes, or
/// with a binary unit `k`, `m`, `g`, `t` (optionally `kb`, `kib`, any case): `512m`, `1.5g`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("{s:?} is not a size; use e.g. 512m, 2g or a number of bytes");
    let t = s.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim_start();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(unit);
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return Err(bad()),
    };
    if num.is_empty() || num.matches('.').count() > 1 {
        return Err(bad());
    }
    let n: f64 = num.parse().map_err(|_| bad())?;
    let bytes = n * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// `--memory`: a size, or `0`/`-1` for no limit. At least 6 MiB, docker's own minimum.
pub fn parse_memory(s: &str) -> Result<Option<u64>, String> {
    if matches!(s.trim(), "0" | "-1") {
        return Ok(None);
    }
    let n = parse_size(s)?;
    if n < 6 << 20 {
        return Err(format!(
            "{s:?} is too little memory for a function; give at least 6m, or 0 for no limit"
        ));
    }
    Ok(Some(n))
}

/// `--tmp-size`: a size of at least 1 MiB.
pub fn parse_tmp_size(s: &str) -> Result<u64, String> {
    let n = parse_size(s)?;
    if n < 1 << 20 {
        return Err(format!("{s:?} is too small for /tmp; give at least 1m"));
    }
    Ok(n)
}

/// `--cpus`: a number of CPUs (`1.5`), or `0` for no limit.
pub fn parse_cpus(s: &str) -> Result<Option<u64>, String> {
    let bad = || format!("{s:?} is not a number of CPUs; use e.g. 1, 0.5 or 2, or 0 for no limit");
    let n: f64 = s.trim().parse().map_err(|_| bad())?;
    if !n.is_finite() || !(0.0..=1_000_000.0).contains(&n) {
        return Err(bad());
    }
    let milli = (n * 1000.0).round() as u64;
    if n > 0.0 && milli == 0 {
        return Err(format!(
            "{s:?} is less than the smallest CPU share (0.001); use e.g. 0.5"
        ));
    }
    Ok((milli > 0).then_some(milli))
}

/// A size for messages: `256m`, `1.5g`, `1234` bytes.
pub fn show_size(n: u64) -> String {
    for (shift, unit) in [(40, "t"), (30, "g"), (20, "m"), (10, "k")] {
        let u = 1u64 << shift;
        if n >= u && n.is_multiple_of(u / 4) {
            let v = n as f64 / u as f64;
            return format!("{}{unit}", trim_float(v));
        }
    }
    n.to_string()
}

/// CPUs for messages and engine flags: `1.5`, `2`.
pub fn show_cpus(millicpus: u64) -> String {
    trim_float(millicpus as f64 / 1000.0)
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_docker_takes_them() {
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("64kib"), Ok(64 << 10));
        assert_eq!(parse_size("64KB"), Ok(64 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        for bad in ["", "m", "2x", "1.2.3m", "-1m", "2 gigs", "1e400"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_memory("0"), Ok(None));
        assert_eq!(parse_memory("-1"), Ok(None));
        assert!(parse_memory("1m").is_err());
        assert!(parse_tmp_size("10k").is_err());
        assert_eq!(parse_tmp_size("1m"), Ok(1 << 20));
    }

    #[test]
    fn pids_and_cpus() {
        assert_eq!(parse_pids("2048"), Ok(Some(2048)));
        assert_eq!(parse_pids("-1"), Ok(None));
        assert_eq!(parse_pids("0"), Ok(None));
        assert!(parse_pids("-2").is_err());
        assert!(parse_pids("many").is_err());
        assert_eq!(parse_cpus("1.5"), Ok(Some(1500)));
        assert_eq!(parse_cpus("0"), Ok(None));
        assert!(parse_cpus("-1").is_err());
        assert!(parse_cpus("0.0001").is_err());
        assert!(parse_cpus("NaN").is_err());
    }

    #[test]
    fn defaults_match_the_flags_defaults() {
        use crate::runner::defaults as d;
        let flags = Limits {
            pids: parse_pids(d::DEFAULT_PIDS_LIMIT).unwrap(),
            memory: parse_memory(d::DEFAULT_MEMORY).unwrap(),
            millicpus: parse_cpus(d::DEFAULT_CPUS).unwrap(),
            tmp_size: parse_tmp_size(d::DEFAULT_TMP_SIZE).unwrap(),
        };
        assert_eq!(flags, Limits::default());
    }

    #[test]
    fn shown_sizes() {
        assert_eq!(show_size(256 << 20), "256m");
        assert_eq!(show_size(2 << 30), "2g");
        assert_eq!(show_size(3 << 29), "1.5g");
        assert_eq!(show_size(1000), "1000");
        assert_eq!(show_cpus(1500), "1.5");
        assert_eq!(show_cpus(2000), "2");
    }
}
