//! `fn` as a KRM function, run by the REAL kpt: `kpt fn eval --exec` and an `exec` entry of a
//! Kptfile pipeline with `kpt fn render --allow-exec`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{bin, fixture};

fn exe() -> PathBuf {
    assert_cmd::cargo::cargo_bin("kubectl-porch-registry")
}

fn exec_arg() -> String {
    format!("{} fn", exe().display())
}

/// A fresh copy of a fixture package.
fn copy_pkg(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("porch");
    std::fs::create_dir(&dst).unwrap();
    for e in std::fs::read_dir(fixture(name)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    (dir, dst)
}

fn kpt(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new("kpt")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("kpt is installed")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// What kpt itself does to the files (blank lines between documents go, comments stay):
/// the package after a no-op exec function.
fn kpt_normalised(name: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, pkg) = copy_pkg(name);
    let out = kpt(
        &["fn", "eval", pkg.to_str().unwrap(), "--exec", "cat"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, pkg)
}

/// `patch` of the kpt-normalised file: what `fn` must produce through kpt.
fn expected_patch(extra: &[&str]) -> String {
    let (_d, pkg) = kpt_normalised("fn/porch");
    let out = bin()
        .args(["patch", "-f"])
        .arg(pkg.join("2-function-runner.yaml"))
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn kpt_fn_eval_exec_patches_like_patch_and_keeps_comments() {
    let (dir, pkg) = copy_pkg("fn/porch");
    let out = kpt(
        &[
            "fn",
            "eval",
            pkg.to_str().unwrap(),
            "--exec",
            &exec_arg(),
            "--",
            "tls=true",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("[PASS]"), "{stderr}");
    assert!(stderr.contains("patch: 9 change(s)"), "{stderr}");
    assert!(stderr.contains("[warning]") && stderr.contains("not among the manifests"));
    let got = read(&pkg.join("2-function-runner.yaml"));
    assert_eq!(got, expected_patch(&["--tls"]));
    assert!(got.contains("- --max-request-body-size=6291456 # keep in sync with porch-server\n"));
    assert!(got.contains("# gRPC readiness probe: the cache must be warm\n"));
    assert!(got.contains("- --enable-private-registries-tls=true\n"));

    // Idempotent through kpt too.
    let out = kpt(
        &[
            "fn",
            "eval",
            pkg.to_str().unwrap(),
            "--exec",
            &exec_arg(),
            "--",
            "tls=true",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to change"));
    assert_eq!(read(&pkg.join("2-function-runner.yaml")), got);

    // remove=true takes it out again: back to what kpt alone makes of the original.
    let out = kpt(
        &[
            "fn",
            "eval",
            pkg.to_str().unwrap(),
            "--exec",
            &exec_arg(),
            "--",
            "remove=true",
            "tls=true",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_d, normalised) = kpt_normalised("fn/porch");
    assert_eq!(
        read(&pkg.join("2-function-runner.yaml")),
        read(&normalised.join("2-function-runner.yaml"))
    );
}

#[test]
fn kptfile_pipeline_exec_with_render() {
    let (dir, pkg) = copy_pkg("fn/porch");
    let mut kptfile = read(&pkg.join("Kptfile"));
    kptfile.push_str(&format!(
        "pipeline:\n  mutators:\n    - exec: {}\n      configMap:\n        tls: \"true\"\n        auth-secret-name: private-registry-auth\n",
        exec_arg()
    ));
    std::fs::write(pkg.join("Kptfile"), kptfile).unwrap();
    // kpt refuses exec functions unless allowed.
    let out = kpt(&["fn", "render", pkg.to_str().unwrap()], dir.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-exec"));
    let out = kpt(
        &["fn", "render", pkg.to_str().unwrap(), "--allow-exec"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        read(&pkg.join("2-function-runner.yaml")),
        expected_patch(&["--tls", "--auth-secret-name", "private-registry-auth"])
    );
}

#[test]
fn kpt_fails_and_writes_nothing_on_error_results() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("docs");
    std::fs::create_dir(&pkg).unwrap();
    let src = fixture("check/docs-complete-example.yaml");
    std::fs::copy(&src, pkg.join("runner.yaml")).unwrap();
    let out = kpt(
        &["fn", "eval", pkg.to_str().unwrap(), "--exec", &exec_arg()],
        dir.path(),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[FAIL]"), "{stderr}");
    assert!(stderr.contains("Exit code: 3"), "{stderr}");
    assert!(stderr.contains("\"https://index.docker.io/v1/\" never matches"));
    assert!(stderr.contains("requires tls.crt and tls.key"));
    assert_eq!(read(&pkg.join("runner.yaml")), read(&src));
    // A bad functionConfig value: exit 2, named in the result.
    let out = kpt(
        &[
            "fn",
            "eval",
            pkg.to_str().unwrap(),
            "--exec",
            &exec_arg(),
            "--",
            "tls=maybe",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("functionConfig data.tls"), "{stderr}");
    assert!(stderr.contains("Exit code: 2"), "{stderr}");
}

#[test]
fn resource_list_on_stdin_directly() {
    let deployment = read(&fixture("fn/porch/2-function-runner.yaml"));
    // A ResourceList as kpt sends it (items indented under `items:`).
    let mut rl = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    let docs: Vec<&str> = deployment.split("\n---\n").collect();
    for d in &docs {
        let body: Vec<&str> = d
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect();
        for (i, l) in body.iter().enumerate() {
            rl.push_str(if i == 0 { "- " } else { "  " });
            rl.push_str(l);
            rl.push('\n');
        }
    }
    rl.push_str("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: function-input\n  data:\n    auth-mount-path: /var/tmp/registry-auth\n");
    let out = bin().arg("fn").write_stdin(rl.clone()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // Everything outside the Deployment is byte for byte the input.
    let sa_end = rl.find("- apiVersion: apps/v1").unwrap();
    assert!(text.starts_with(&rl[..sa_end]));
    let rest = &rl[rl.find("- apiVersion: v1\n  kind: Service").unwrap()..];
    assert!(text.contains(rest), "{text}");
    let v: Value = serde_saphyr::from_str(&text).unwrap();
    assert!(
        v.to_string()
            .contains("--registry-auth-secret-path=/var/tmp/registry-auth/.dockerconfigjson")
    );
    assert!(v["results"].as_array().unwrap().len() >= 2);

    // Not a ResourceList: one error line, nothing on stdout.
    for (input, needle) in [
        (
            "kind: ConfigMap\nmetadata: {name: x}\n",
            "not a ResourceList",
        ),
        ("items: [unclosed\n", "malformed YAML"),
    ] {
        let out = bin().arg("fn").write_stdin(input).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: stdin: ") && err.contains(needle),
            "{err}"
        );
    }
}
