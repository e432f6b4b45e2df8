//! `run` end to end through the built binary: a busybox-static image with a shell-script
//! function, saved as an OCI layout by the test, run in the native sandbox (and podman), and
//! compared with `kpt fn eval --exec` of the same script.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::bin;

const APPLETS: &[&str] = &[
    "sh", "cat", "awk", "sed", "sleep", "wget", "nc", "id", "echo", "touch", "mkdir", "ls", "env",
    "pwd", "hostname", "ps", "grep", "printf", "true", "false", "head", "tr", "mount",
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

fn file_header(path: &str, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_path(path).unwrap();
    h.set_size(size);
    h.set_mode(mode);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    h
}

/// An OCI image layout with busybox (gzip layer) and `script` as /fn.sh (plain layer),
/// entrypoint `/bin/sh /fn.sh`. Returns `oci:DIR`.
pub fn busybox_image(dir: &Path, script: &str) -> String {
    let layout = dir.join("image");
    std::fs::create_dir_all(&layout).unwrap();
    // Layer 1: busybox and its applets.
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
    let raw = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let l1 = gz.finish().unwrap();
    // Layer 2: the function script.
    let mut b = tar::Builder::new(Vec::new());
    b.append(
        &file_header("fn.sh", script.len() as u64, 0o755),
        script.as_bytes(),
    )
    .unwrap();
    let l2 = b.into_inner().unwrap();
    let diff1 = sha(&raw);
    let diff2 = sha(&l2);
    let (d1, s1) = blob(&layout, &l1);
    let (d2, s2) = blob(&layout, &l2);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/bin/sh", "/fn.sh"], "Env": ["PATH=/bin"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff1, diff2]},
    }))
    .unwrap();
    let (cd, cs) = blob(&layout, &config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d1, "size": s1},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d2, "size": s2},
        ],
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
fn package(dir: &Path) -> PathBuf {
    let p = dir.join("pkg");
    std::fs::create_dir_all(p.join("sub")).unwrap();
    std::fs::write(
        p.join("Kptfile"),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n",
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

fn cache(dir: &Path) -> String {
    dir.join("cache").display().to_string()
}

#[test]
fn cat_function_passes_and_runs_as_nobody_in_the_sandbox() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\nid -u >&2\nid -g >&2\nhostname >&2\nexec cat\n",
    );
    let pkg = package(t.path());
    let out = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
            "-o",
            "stdout",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("[RUNNING] {img:?}")), "{stderr}");
    assert!(stderr.contains("[PASS]"), "{stderr}");
    assert!(stderr.contains("\"65534\""), "runs as nobody: {stderr}");
    let rl: Value = serde_saphyr::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(rl["kind"], "ResourceList");
    let items = rl["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        4,
        "Kptfile, 2 ConfigMaps, Deployment (ignored.yaml skipped)"
    );
    let ann = &items[2]["metadata"]["annotations"];
    assert_eq!(ann["internal.config.kubernetes.io/path"], "cm.yaml");
    assert_eq!(ann["internal.config.kubernetes.io/index"], "1");
    assert_eq!(ann["config.kubernetes.io/path"], "cm.yaml");
    assert_eq!(ann["config.kubernetes.io/index"], "1");
    assert_eq!(
        items[3]["metadata"]["annotations"]["config.kubernetes.io/path"],
        "sub/d.yml"
    );
}
