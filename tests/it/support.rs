//! Shared test helpers: the binary, fixtures, and the function images and packages that
//! `run`, `render`, `sandbox`, `package` and `closed_pipes` build (a busybox-static image with
//! a shell-script function, saved as an OCI layout).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

/// The built binary under test.
pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("kubectl-porch-registry").expect("binary built")
}

/// Path of a fixture under tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

const APPLETS: &[&str] = &[
    "sh", "cat", "awk", "sed", "sleep", "wget", "nc", "id", "echo", "touch", "mkdir", "ls", "env",
    "pwd", "hostname", "ps", "grep", "printf", "true", "false", "head", "tr", "mount", "df",
];

fn sha(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
    )
}

fn blob(layout: &Path, bytes: &[u8]) -> (String, usize) {
    let d = sha(bytes);
    let p = layout
        .join("blobs/sha256")
        .join(d.trim_start_matches("sha256:"));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
    (d, bytes.len())
}

pub fn file_header(path: &str, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_path(path).unwrap();
    h.set_size(size);
    h.set_mode(mode);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    h
}

/// The busybox layer (plain tar): /bin/busybox, applet symlinks, /etc/passwd, /tmp, /data.
pub fn busybox_layer() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_path("bin/").unwrap();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_size(0);
    h.set_cksum();
    b.append(&h, &b""[..]).unwrap();
    let bb = std::fs::read("/bin/busybox").expect("busybox-static is installed");
    b.append(&file_header("bin/busybox", bb.len() as u64, 0o755), &bb[..])
        .unwrap();
    for a in APPLETS {
        let mut h = tar::Header::new_ustar();
        h.set_path(format!("bin/{a}")).unwrap();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_link_name("busybox").unwrap();
        h.set_mode(0o777);
        h.set_size(0);
        h.set_cksum();
        b.append(&h, &b""[..]).unwrap();
    }
    for d in ["etc/", "tmp/", "data/"] {
        let mut h = tar::Header::new_ustar();
        h.set_path(d).unwrap();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(if d == "tmp/" { 0o1777 } else { 0o755 });
        h.set_size(0);
        h.set_cksum();
        b.append(&h, &b""[..]).unwrap();
    }
    let passwd =
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    b.append(
        &file_header("etc/passwd", passwd.len() as u64, 0o644),
        &passwd[..],
    )
    .unwrap();
    for empty in ["etc/hosts", "etc/resolv.conf"] {
        b.append(&file_header(empty, 0, 0o644), &b""[..]).unwrap();
    }
    b.into_inner().unwrap()
}

/// The function layer (plain tar): `script` as /fn.sh.
pub fn script_layer(script: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.append(
        &file_header("fn.sh", script.len() as u64, 0o755),
        script.as_bytes(),
    )
    .unwrap();
    b.into_inner().unwrap()
}

pub fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(raw).unwrap();
    gz.finish().unwrap()
}

/// An OCI image layout with busybox (gzip layer) and `script` as /fn.sh (plain layer),
/// entrypoint `/bin/sh /fn.sh`. Returns `oci:DIR`.
pub fn busybox_image(dir: &Path, script: &str) -> String {
    oci_image(
        dir,
        &[gzip(&busybox_layer()), script_layer(script)],
        &["/bin/sh", "/fn.sh"],
    )
}

/// An OCI image layout of `layers` (each gzip'ed or plain tar) under `dir/image`, with
/// `entrypoint`, `PATH=/bin`. Returns `oci:DIR`.
pub fn oci_image(dir: &Path, layers: &[Vec<u8>], entrypoint: &[&str]) -> String {
    let layout = dir.join("image");
    std::fs::create_dir_all(&layout).unwrap();
    let mut diff_ids = Vec::new();
    let mut descs = Vec::new();
    for l in layers {
        let gzipped = l.starts_with(&[0x1f, 0x8b]);
        let raw = if gzipped {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&l[..]), &mut out)
                .unwrap();
            out
        } else {
            l.clone()
        };
        diff_ids.push(sha(&raw));
        let (d, size) = blob(&layout, l);
        let mt = if gzipped {
            "application/vnd.oci.image.layer.v1.tar+gzip"
        } else {
            "application/vnd.oci.image.layer.v1.tar"
        };
        descs.push(json!({"mediaType": mt, "digest": d, "size": size}));
    }
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": entrypoint, "Env": ["PATH=/bin"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let (cd, cs) = blob(&layout, &config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": descs,
    }))
    .unwrap();
    let (md, ms) = blob(&layout, &manifest);
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
             "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))
        .unwrap(),
    )
    .unwrap();
    format!("oci:{}", layout.display())
}

/// A small kpt package.
pub fn package(dir: &Path) -> PathBuf {
    let p = dir.join("pkg");
    std::fs::create_dir_all(p.join("sub")).unwrap();
    std::fs::write(
        p.join("Kptfile"),
        "# the package\napiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg # inline\n",
    )
    .unwrap();
    std::fs::write(
        p.join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: w\n",
    )
    .unwrap();
    std::fs::write(
        p.join("sub/d.yml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    foo: bar\nspec:\n  replicas: 1\n",
    )
    .unwrap();
    std::fs::write(
        p.join("ignored.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n",
    )
    .unwrap();
    std::fs::write(p.join(".krmignore"), "ignored.yaml\n").unwrap();
    p
}

pub fn cache(dir: &Path) -> String {
    dir.join("cache").display().to_string()
}

/// The processes whose command line holds `marker` (what a sandbox left running).
pub fn sandbox_processes(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(marker) {
                found.push(format!("{}: {cmd}", e.file_name().to_string_lossy()));
            }
        }
    }
    found
}
