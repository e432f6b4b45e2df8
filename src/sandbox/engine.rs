//! `--runtime podman|docker`: load the pulled image into the engine (an OCI archive streamed
//! into `ENGINE load`) and run it with kpt's flags.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::rootfs::{Compression, LayerSource};
use super::{BindMount, RunOutput, User, run_piped};
use crate::error::{Error, Result};
use crate::runner::limits::{Limits, show_cpus};

/// Which container engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Podman,
    Docker,
}

impl Engine {
    pub fn program(self) -> &'static str {
        match self {
            Engine::Podman => "podman",
            Engine::Docker => "docker",
        }
    }
}

/// What the engine needs to know about the image.
#[derive(Debug, Clone)]
pub struct EngineImage<'a> {
    /// Identity of the image content (manifest digest, or a digest of the layers).
    pub digest: &'a str,
    pub layers: &'a [LayerSource],
    pub os: &'a str,
    pub architecture: &'a str,
    pub entrypoint: &'a [String],
    pub cmd: &'a [String],
    pub env: &'a [String],
    pub working_dir: &'a str,
}

/// How to run it.
#[derive(Debug, Clone)]
pub struct EngineRun<'a> {
    pub user: User,
    pub network: bool,
    /// Extra KEY=VALUE pairs (from --env).
    pub env: &'a [String],
    pub mounts: &'a [BindMount],
    pub limits: &'a Limits,
}

fn local_name(digest: &str) -> String {
    let hex: String = digest
        .rsplit(':')
        .next()
        .unwrap_or(digest)
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .take(32)
        .collect();
    format!("localhost/kubectl-porch-registry/fn:{hex}")
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn layer_facts(layer: &LayerSource) -> Result<(String, &'static str)> {
    // diff_id = digest of the uncompressed tar; media type from the bytes.
    let compression = super::rootfs::detect_compression(&layer.path)?;
    let mut reader = super::rootfs::open_layer(layer)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = std::io::Read::read(&mut reader, &mut buf)
            .map_err(|e| Error::other(format!("layer {}: {e}", layer.digest)))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let mt = match compression {
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        Compression::None => "application/vnd.oci.image.layer.v1.tar",
    };
    Ok((format!("sha256:{}", hex::encode(hasher.finalize())), mt))
}

fn append_bytes<W: Write>(
    b: &mut tar::Builder<W>,
    path: &str,
    bytes: &[u8],
) -> std::io::Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, path, bytes)
}

/// Stream the image as an OCI archive into `ENGINE load`, unless it is already there.
fn ensure_loaded(engine: Engine, image: &EngineImage) -> Result<String> {
    let name = local_name(image.digest);
    let prog = engine.program();
    let exists = match engine {
        Engine::Podman => Command::new(prog).args(["image", "exists", &name]).status(),
        Engine::Docker => Command::new(prog)
            .args(["image", "inspect", "--format", "{{.Id}}", &name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status(),
    }
    .map_err(|e| {
        Error::not_found(format!(
            "--runtime {prog}: cannot run {prog} ({e}); install it or use --runtime native"
        ))
    })?;
    if exists.success() {
        return Ok(name);
    }
    let mut diff_ids = Vec::new();
    let mut layer_descs = Vec::new();
    for l in image.layers {
        let (diff_id, mt) = layer_facts(l)?;
        let size = std::fs::metadata(&l.path)
            .map_err(|e| Error::io(&l.path, e))?
            .len();
        diff_ids.push(diff_id);
        layer_descs.push(serde_json::json!({"mediaType": mt, "digest": l.digest, "size": size}));
    }
    let mut cfg = serde_json::Map::new();
    if !image.entrypoint.is_empty() {
        cfg.insert("Entrypoint".into(), serde_json::json!(image.entrypoint));
    }
    if !image.cmd.is_empty() {
        cfg.insert("Cmd".into(), serde_json::json!(image.cmd));
    }
    if !image.env.is_empty() {
        cfg.insert("Env".into(), serde_json::json!(image.env));
    }
    if !image.working_dir.is_empty() {
        cfg.insert("WorkingDir".into(), serde_json::json!(image.working_dir));
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": image.architecture,
        "os": image.os,
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .expect("json");
    let config_digest = sha256_digest(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": layer_descs,
    }))
    .expect("json");
    let manifest_digest = sha256_digest(&manifest);
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": name},
        }],
    }))
    .expect("json");
    let mut child = Command::new(prog)
        .args(["load", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::other(format!("cannot start {prog} load: {e}")))?;
    let stdin = child.stdin.take().expect("piped");
    let write = (|| -> std::io::Result<()> {
        let mut b = tar::Builder::new(stdin);
        append_bytes(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        append_bytes(&mut b, "index.json", &index)?;
        let blob = |d: &str| format!("blobs/sha256/{}", d.trim_start_matches("sha256:"));
        append_bytes(&mut b, &blob(&manifest_digest), &manifest)?;
        append_bytes(&mut b, &blob(&config_digest), &config)?;
        let mut seen = std::collections::HashSet::new();
        for l in image.layers {
            if seen.insert(l.digest.clone()) {
                b.append_path_with_name(&l.path, blob(&l.digest))?;
            }
        }
        b.into_inner()?.flush()
    })();
    let out = child
        .wait_with_output()
        .map_err(|e| Error::other(format!("{prog} load: {e}")))?;
    if !out.status.success() || write.is_err() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let why = if line.is_empty() {
            write.err().map(|e| e.to_string()).unwrap_or_default()
        } else {
            line.trim().to_string()
        };
        return Err(Error::other(format!(
            "--runtime {prog}: loading the image into {prog} failed: {why}; fix {prog} or use --runtime native"
        )));
    }
    Ok(name)
}

/// `ENGINE run` arguments: kpt's flags (`--rm -i --network none --user nobody
/// --security-opt=no-new-privileges`), plus a name (to clean up after a timeout),
/// `--pull never` (the image was just loaded) and the native sandbox's limits in the engine's
/// terms (`--pids-limit`, `--memory`, `--cpus`, a `/tmp` tmpfs of the same size). The engine
/// applies its default seccomp profile, as in kpt.
pub fn run_args(container: &str, run: &EngineRun, uid: u32, gid: u32, image: &str) -> Vec<String> {
    let mut a: Vec<String> = ["run", "--rm", "-i", "--name", container]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.push("--network".into());
    a.push(if run.network { "host" } else { "none" }.into());
    a.push("--user".into());
    a.push(match run.user {
        // kpt passes `--user nobody`; the numeric form also works without /etc/passwd.
        User::Nobody => "65534:65534".into(),
        User::Current => format!("{uid}:{gid}"),
    });
    a.push("--security-opt=no-new-privileges".into());
    a.push("--pull".into());
    a.push("never".into());
    let l = run.limits;
    a.push(format!(
        "--pids-limit={}",
        l.pids.map_or("-1".to_string(), |n| n.to_string())
    ));
    if let Some(m) = l.memory {
        // No swap past it, like the native cgroup.
        a.push(format!("--memory={m}"));
        a.push(format!("--memory-swap={m}"));
    }
    if let Some(c) = l.millicpus {
        a.push(format!("--cpus={}", show_cpus(c)));
    }
    a.push(format!(
        "--tmpfs=/tmp:rw,exec,nosuid,nodev,mode=1777,size={}",
        l.tmp_size
    ));
    for e in run.env {
        a.push("-e".into());
        a.push(e.clone());
    }
    for m in run.mounts {
        let mut spec = format!(
            "type=bind,source={},target={}",
            m.source.display(),
            m.target
        );
        if !m.rw {
            spec.push_str(",readonly=true");
        }
        a.push("--mount".into());
        a.push(spec);
    }
    a.push(image.into());
    a
}

/// Run the image through the engine with kpt's flags.
pub fn run_engine(
    engine: Engine,
    image: &EngineImage,
    run: &EngineRun,
    input: &[u8],
    timeout: Duration,
) -> Result<RunOutput> {
    let name = ensure_loaded(engine, image)?;
    let prog = engine.program();
    let container = format!(
        "kubectl-porch-registry-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let mut cmd = Command::new(prog);
    cmd.args(run_args(
        &container,
        run,
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
        &name,
    ));
    let out = run_piped(cmd, input, timeout)?;
    if out.outcome == super::Outcome::TimedOut {
        let _ = Command::new(prog)
            .args(["rm", "-f", &container])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpt_flags() {
        let mounts = [BindMount {
            source: "/data".into(),
            target: "/in".into(),
            rw: false,
        }];
        let env = ["A=1".to_string()];
        let limits = Limits::default();
        let run = EngineRun {
            user: User::Nobody,
            network: false,
            env: &env,
            mounts: &mounts,
            limits: &limits,
        };
        assert_eq!(
            run_args("c1", &run, 1000, 1000, "img").join(" "),
            "run --rm -i --name c1 --network none --user 65534:65534 --security-opt=no-new-privileges --pull never --pids-limit=2048 --memory=2147483648 --memory-swap=2147483648 --tmpfs=/tmp:rw,exec,nosuid,nodev,mode=1777,size=268435456 -e A=1 --mount type=bind,source=/data,target=/in,readonly=true img"
        );
        let limits = Limits {
            pids: None,
            memory: None,
            millicpus: Some(1500),
            tmp_size: 1 << 20,
        };
        let run = EngineRun {
            user: User::Current,
            network: true,
            env: &[],
            mounts: &[],
            limits: &limits,
        };
        let a = run_args("c1", &run, 1000, 100, "img").join(" ");
        assert!(
            a.contains(" --pids-limit=-1 --cpus=1.5 --tmpfs=/tmp:rw,exec,nosuid,nodev,mode=1777,size=1048576 "),
            "{a}"
        );
        assert!(!a.contains("--memory"), "{a}");
        let a = run_args("c1", &run, 1000, 100, "img").join(" ");
        assert!(a.contains("--network host --user 1000:100 "), "{a}");
    }

    #[test]
    fn local_names_are_valid_references() {
        let n =
            local_name("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assert_eq!(
            n,
            "localhost/kubectl-porch-registry/fn:0123456789abcdef0123456789abcdef"
        );
    }
}
