//! `patch`, `remove -f` and `setup -f` through the built binary, on realistic manifests:
//! exact diffs (checked with the real `diff`), idempotence, byte-exact round trips, stdin,
//! kpt package directories, and every user error.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{bin, fixture};

fn manifest(name: &str) -> PathBuf {
    fixture(&format!("manifests/{name}"))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// A unified diff by the real `diff` (stable labels, no timestamps).
fn udiff(before: &str, after: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::write(&a, before).unwrap();
    std::fs::write(&b, after).unwrap();
    let out = Command::new("diff")
        .args(["-u", "--label", "before", "--label", "after"])
        .arg(&a)
        .arg(&b)
        .output()
        .expect("diff is installed");
    String::from_utf8(out.stdout).unwrap()
}

/// Copy a fixture into a temp dir (for --in-place).
fn copy_to_temp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::copy(manifest(name), &p).unwrap();
    (dir, p)
}

fn patch_stdout(args: &[&str]) -> (String, String) {
    let out = bin().arg("patch").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "patch {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn catalog_style_command_flags_exact_diff() {
    let path = manifest("catalog-function-runner.yaml");
    let original = read(&path);
    let (out, err) = patch_stdout(&["-f", path.to_str().unwrap(), "--tls"]);
    assert!(
        err.contains("command: add --enable-private-registries=true"),
        "{err}"
    );
    insta::assert_snapshot!("catalog_tls_diff", udiff(&original, &out));
}

#[test]
fn docs_style_args_exact_diff() {
    let path = manifest("docs-function-runner.yaml");
    let original = read(&path);
    let (out, _) = patch_stdout(&[
        "-f",
        path.to_str().unwrap(),
        "--auth-secret-name",
        "ghcr-creds",
        "--auth-mount-path",
        "/etc/porch/registry-auth/",
        "--tls-secret-name",
        "corp-ca",
        "--tls-mount-path",
        "/etc/porch/registry-ca",
        "--registry-auth-secret-name",
        "fn-pull-secret",
    ]);
    insta::assert_snapshot!("docs_custom_names_diff", udiff(&original, &out));
}

#[test]
fn main_style_in_place_idempotent_and_round_trip() {
    let (_dir, path) = copy_to_temp("main-function-runner.yaml");
    let original = read(&path);
    let p = path.to_str().unwrap();

    let out = bin()
        .args(["patch", "-f", p, "--in-place"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "--in-place prints nothing on stdout");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("wrote "), "{stderr}");
    let patched = read(&path);
    insta::assert_snapshot!("main_in_place_diff", udiff(&original, &patched));

    // Second run: nothing changes, and it says so.
    let out = bin()
        .args(["patch", "-f", p, "--in-place"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("nothing to change"), "{stderr}");
    assert!(!stderr.contains("wrote "), "{stderr}");
    assert_eq!(read(&path), patched);

    // remove takes exactly this out again: the original bytes.
    let out = bin()
        .args(["remove", "-f", p, "--in-place"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(&path), original);

    // And remove on a clean manifest changes nothing.
    let out = bin().args(["remove", "-f", p]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), original);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to change"));
}

#[test]
fn round_trip_every_style_with_and_without_tls() {
    for name in [
        "catalog-function-runner.yaml",
        "docs-function-runner.yaml",
        "main-function-runner.yaml",
    ] {
        for tls in [false, true] {
            let path = manifest(name);
            let original = read(&path);
            let mut args = vec!["-f", "-"];
            if tls {
                args.push("--tls");
            }
            let out = bin()
                .arg("patch")
                .args(&args)
                .write_stdin(original.clone())
                .output()
                .unwrap();
            assert!(out.status.success(), "{name}");
            let patched = String::from_utf8(out.stdout).unwrap();
            assert_ne!(patched, original);
            // idempotent through stdin too
            let again = bin()
                .arg("patch")
                .args(&args)
                .write_stdin(patched.clone())
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(again.stdout).unwrap(), patched, "{name}");
            let back = bin()
                .args(["remove", "-f", "-"])
                .write_stdin(patched)
                .output()
                .unwrap();
            assert!(back.status.success());
            assert_eq!(
                String::from_utf8(back.stdout).unwrap(),
                original,
                "{name} tls={tls}"
            );
        }
    }
}

#[test]
fn bool_with_space_rewritten_and_separate_value_updated_in_place() {
    let path = manifest("bool-space-function-runner.yaml");
    let original = read(&path);
    let (out, err) = patch_stdout(&["-f", path.to_str().unwrap()]);
    assert!(err.contains("Go stops parsing flags at `true`"), "{err}");
    insta::assert_snapshot!("bool_space_diff", udiff(&original, &out));
    // The result parses the way the runner will see it: no stop, every flag reached.
    assert!(out.contains("- --enable-private-registries=true\n"));
    assert!(!out.contains("\"true\""));
    assert_eq!(out.matches("--registry-auth-secret-path").count(), 1);
}

#[test]
fn stdin_in_place_is_refused() {
    let out = bin()
        .args(["patch", "-f", "-", "--in-place"])
        .write_stdin("kind: Deployment\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --in-place needs a file or directory"),
        "{err}"
    );
}

#[test]
fn kpt_package_directory() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("porch");
    let status = Command::new("cp")
        .arg("-a")
        .arg(manifest("package"))
        .arg(&pkg)
        .status()
        .unwrap();
    assert!(status.success());
    let before: Vec<(String, String)> = [
        "Kptfile",
        "1-namespace.yaml",
        "sub/extra.yml",
        "ignored/old.yaml",
        ".krmignore",
    ]
    .iter()
    .map(|f| (f.to_string(), read(&pkg.join(f))))
    .collect();
    let runner = pkg.join("2-function-runner.yaml");
    let runner_before = read(&runner);

    // Printing: the whole package as one stream, the ignored file left out.
    let (out, _) = patch_stdout(&["-f", pkg.to_str().unwrap()]);
    assert!(out.contains("kind: Kptfile"));
    assert!(out.contains("name: extra"));
    assert!(!out.contains("not a manifest"), "ignored/ is in .krmignore");
    assert!(out.contains("--enable-private-registries=true"));

    let out = bin()
        .args(["patch", "-f", pkg.to_str().unwrap(), "-i"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (f, text) in &before {
        assert_eq!(&read(&pkg.join(f)), text, "{f} must not change");
    }
    let runner_after = read(&runner);
    assert_eq!(
        udiff(&runner_before, &runner_after),
        udiff(&read(&manifest("main-function-runner.yaml")), &{
            let (o, _) = patch_stdout(&[
                "-f",
                manifest("main-function-runner.yaml").to_str().unwrap(),
            ]);
            o
        })
    );
    let out = bin()
        .args(["remove", "-f", pkg.to_str().unwrap(), "-i"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(read(&runner), runner_before);
}

fn assert_one_error(out: &std::process::Output, code: i32, contains: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "exactly one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(contains), "{err}");
    assert!(out.stdout.is_empty(), "no partial output");
}

#[test]
fn errors_are_one_line_and_write_nothing() {
    // Malformed YAML, named with its position; --in-place leaves the file alone.
    let (_d, p) = copy_to_temp("malformed.yaml");
    let before = read(&p);
    let out = bin()
        .args(["patch", "-f", p.to_str().unwrap(), "--in-place"])
        .output()
        .unwrap();
    assert_one_error(&out, 2, "malformed.yaml: malformed YAML at line");
    assert_eq!(read(&p), before);

    // No Deployment.
    let out = bin()
        .args([
            "patch",
            "-f",
            manifest("no-deployment.yaml").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_one_error(&out, 4, "no Deployment named function-runner");

    // Wrong --deployment name lists what is there.
    let out = bin()
        .args(["patch", "--deployment", "runner", "-f"])
        .arg(manifest("catalog-function-runner.yaml"))
        .output()
        .unwrap();
    assert_one_error(
        &out,
        4,
        "Deployments found: function-runner; pass --deployment NAME",
    );

    // Two candidate containers, none named function-runner.
    let (_d2, p2) = copy_to_temp("two-containers.yaml");
    let before = read(&p2);
    let out = bin()
        .args(["patch", "-i", "-f", p2.to_str().unwrap()])
        .output()
        .unwrap();
    assert_one_error(&out, 2, "2 candidate containers (runner, sidecar)");
    assert_eq!(read(&p2), before);
    // ... and --container picks one.
    let out = bin()
        .args([
            "patch",
            "--container",
            "sidecar",
            "-f",
            p2.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());

    // Missing path.
    let out = bin()
        .args(["patch", "-f", "/nonexistent/dir/runner.yaml"])
        .output()
        .unwrap();
    assert_one_error(
        &out,
        4,
        "/nonexistent/dir/runner.yaml: no such file or directory",
    );
    let out = bin()
        .args(["remove", "-f", "/nonexistent/dir/runner.yaml"])
        .output()
        .unwrap();
    assert_one_error(&out, 4, "no such file or directory");

    // Bad mount path.
    let out = bin()
        .args(["patch", "--auth-mount-path", "relative/dir", "-f"])
        .arg(manifest("catalog-function-runner.yaml"))
        .output()
        .unwrap();
    assert_one_error(&out, 2, "--auth-mount-path");
}

#[test]
fn remove_takes_out_a_docs_configuration() {
    // The "complete example" shape from the docs, with a volume name of its own.
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: function-runner
  namespace: porch-system
spec:
  template:
    spec:
      containers:
      - name: function-runner
        args:
        - --pod-namespace=porch-fn-system
        - --enable-private-registries=true
        - --registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson
        - --registry-auth-secret-name=registry-auth-secret
        - --enable-private-registries-tls=true
        - --tls-secret-path=/var/tmp/tls-secret/
        volumeMounts:
        - name: my-creds
          mountPath: /var/tmp/auth-secret
          readOnly: true
        - name: tls-registry-config
          mountPath: /var/tmp/tls-secret/
          readOnly: true
        - name: cache
          mountPath: /cache
      volumes:
      - name: my-creds
        secret:
          secretName: registry-auth-secret
      - name: tls-registry-config
        secret:
          secretName: registry-tls-secret
      - name: cache
        emptyDir: {}
";
    let out = bin()
        .args(["remove", "-f", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: function-runner
  namespace: porch-system
spec:
  template:
    spec:
      containers:
      - name: function-runner
        args:
        - --pod-namespace=porch-fn-system
        volumeMounts:
        - name: cache
          mountPath: /cache
      volumes:
      - name: cache
        emptyDir: {}
"
    );
    // Patching that docs configuration is already done: nothing to change.
    let out = bin()
        .args(["patch", "--tls", "-f", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to change"));
}

// ---------------------------------------------------------------- setup -f (offline)

const TEST_PASSWORD: &str = "not-a-real-pw-42";

fn setup_cmd() -> assert_cmd::Command {
    let mut c = bin();
    c.env("PORCH_REGISTRY_PASSWORD", TEST_PASSWORD)
        .env("HOME", "/nonexistent-home")
        .env_remove("DOCKER_CONFIG")
        .arg("setup");
    c
}

/// kpt (the real one) reads the stream: returns the kinds of its items in order.
fn kpt_kinds(stream: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("stream.yaml");
    std::fs::write(&f, stream).unwrap();
    let out = Command::new("kpt")
        .args(["fn", "source"])
        .arg(&f)
        .output()
        .expect("kpt is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("  kind: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn setup_dry_run_client_prints_one_stream() {
    let out = setup_cmd()
        .args([
            "-f",
            manifest("main-function-runner.yaml").to_str().unwrap(),
            "--dry-run=client",
            "--registry",
            "https://registry.example.com:5000/v2/",
            "--username",
            "robot",
            "--ca-file",
            manifest("ca.crt").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains(TEST_PASSWORD));
    insta::assert_snapshot!("setup_dry_run_client_stream", stdout);
    assert_eq!(
        kpt_kinds(&stdout),
        [
            "Secret",
            "Secret",
            "ServiceAccount",
            "Deployment",
            "Service"
        ]
    );
    // The manifests part is exactly what `patch --tls` prints.
    let (patched, _) = patch_stdout(&[
        "--tls",
        "-f",
        manifest("main-function-runner.yaml").to_str().unwrap(),
    ]);
    assert!(stdout.ends_with(&format!("---\n{patched}")), "{stdout}");
}

#[test]
fn setup_in_place_patches_files_and_prints_only_secrets() {
    let (_d, p) = copy_to_temp("catalog-function-runner.yaml");
    let out = setup_cmd()
        .args([
            "-f",
            p.to_str().unwrap(),
            "--in-place",
            "--registry",
            "ghcr.io",
            "-u",
            "bot",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(kpt_kinds(&stdout), ["Secret"]);
    assert!(stdout.contains("namespace: porch-system"));
    let (patched, _) = patch_stdout(&[
        "-f",
        manifest("catalog-function-runner.yaml").to_str().unwrap(),
    ]);
    assert_eq!(read(&p), patched);
    // Again: the manifests are already right.
    let out = setup_cmd()
        .args([
            "-f",
            p.to_str().unwrap(),
            "-i",
            "--registry",
            "ghcr.io",
            "-u",
            "bot",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to change"));
    assert_eq!(read(&p), patched);
}

#[test]
fn setup_json_is_a_list_and_secrets_follow_the_deployment_namespace() {
    let text = read(&manifest("docs-function-runner.yaml"))
        .replace("namespace: porch-system", "namespace: porch");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("runner.yaml");
    std::fs::write(&p, &text).unwrap();
    let out = setup_cmd()
        .args([
            "-f",
            p.to_str().unwrap(),
            "-o",
            "json",
            "--registry",
            "ghcr.io",
            "-u",
            "bot",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "List");
    assert_eq!(v["items"][0]["kind"], "Secret");
    assert_eq!(v["items"][0]["metadata"]["namespace"], "porch");
    assert_eq!(v["items"][1]["kind"], "Deployment");
    assert_eq!(
        v["items"][1]["spec"]["template"]["spec"]["containers"][0]["args"][2],
        "--enable-private-registries=true"
    );
}

#[test]
fn setup_offline_errors() {
    // stdin can't carry both the manifests and the password.
    let out = setup_cmd()
        .args([
            "-f",
            "-",
            "--registry",
            "ghcr.io",
            "-u",
            "bot",
            "--password-stdin",
        ])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_one_error(&out, 2, "both read stdin");
    // A missing path is reported before anything else.
    let out = setup_cmd()
        .args(["-f", "/nonexistent/runner.yaml"])
        .output()
        .unwrap();
    assert_one_error(
        &out,
        4,
        "/nonexistent/runner.yaml: no such file or directory",
    );
    // --dry-run=server has no meaning offline.
    let out = setup_cmd()
        .args([
            "-f",
            manifest("main-function-runner.yaml").to_str().unwrap(),
            "--dry-run=server",
        ])
        .output()
        .unwrap();
    assert_one_error(&out, 2, "--dry-run=server needs the cluster");
    // Without credentials and without a terminal: a usage error, nothing written.
    let (_d, p) = copy_to_temp("main-function-runner.yaml");
    let before = read(&p);
    let out = bin()
        .env_remove("PORCH_REGISTRY_PASSWORD")
        .env("HOME", "/nonexistent-home")
        .args(["setup", "-f", p.to_str().unwrap(), "-i"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    assert_eq!(read(&p), before);
    // A broken manifest: one error, the password nowhere.
    let out = setup_cmd()
        .args([
            "-f",
            manifest("malformed.yaml").to_str().unwrap(),
            "--registry",
            "ghcr.io",
            "-u",
            "bot",
        ])
        .output()
        .unwrap();
    assert_one_error(&out, 2, "malformed YAML");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(TEST_PASSWORD));
}

#[test]
fn kpt_reads_the_patched_package() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("porch");
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(manifest("package"))
            .arg(&pkg)
            .status()
            .unwrap()
            .success()
    );
    let out = bin()
        .args(["patch", "--tls", "-i", "-f", pkg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    // The real kpt reads the package back: the Deployment carries the flags and volumes.
    let out = Command::new("kpt")
        .args(["fn", "source"])
        .arg(&pkg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--enable-private-registries-tls=true",
        "secretName: registry-tls-secret",
        "mountPath: /var/tmp/auth-secret",
    ] {
        assert!(list.contains(needle), "{needle}: {list}");
    }
}

#[test]
fn two_deployments_with_the_runner_name_need_a_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let one = read(&manifest("docs-function-runner.yaml"));
    std::fs::write(dir.path().join("a.yaml"), &one).unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        one.replace("namespace: porch-system", "namespace: staging"),
    )
    .unwrap();
    let out = bin()
        .args(["patch", "-f", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_one_error(
        &out,
        2,
        "2 Deployments are named function-runner: a.yaml (namespace porch-system), b.yaml (namespace staging); pass -n NAMESPACE",
    );
    let out = bin()
        .args([
            "patch",
            "-n",
            "staging",
            "-i",
            "-f",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(&dir.path().join("a.yaml")), one);
    assert!(read(&dir.path().join("b.yaml")).contains("--enable-private-registries=true"));
}

#[test]
fn a_kubectl_list_is_patched_in_place_of_its_item() {
    // `kubectl get deploy -n porch-system -o yaml` prints a List.
    let text = "\
apiVersion: v1
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: function-runner
    namespace: porch-system
  spec:
    template:
      spec:
        containers:
        - args:
          - --pod-namespace=porch-fn-system
          image: runner
          name: function-runner
kind: List
metadata:
  resourceVersion: \"\"
";
    let out = bin()
        .args(["patch", "-f", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let patched = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("kubectl_list_diff", udiff(text, &patched));
}

#[test]
fn remove_offline_refuses_server_dry_run() {
    let out = bin()
        .args(["remove", "--dry-run=server", "-f"])
        .arg(manifest("main-function-runner.yaml"))
        .output()
        .unwrap();
    assert_one_error(&out, 2, "--dry-run=server needs the cluster");
}

#[test]
fn shared_mount_path_warns_but_patches() {
    let out = bin()
        .args(["patch", "--auth-mount-path", "/var/tmp", "-f"])
        .arg(manifest("main-function-runner.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning: mount path /var/tmp is a shared scratch directory")),
        "{err}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("--registry-auth-secret-path=/var/tmp/.dockerconfigjson")
    );
}

#[test]
fn setup_output_passes_check_without_errors_or_warnings() {
    for name in [
        "catalog-function-runner.yaml",
        "docs-function-runner.yaml",
        "main-function-runner.yaml",
        "bool-space-function-runner.yaml",
    ] {
        let out = setup_cmd()
            .args([
                "--dry-run=client",
                "--registry",
                "ghcr.io",
                "-u",
                "bot",
                "--ca-file",
            ])
            .arg(manifest("ca.crt"))
            .arg("-f")
            .arg(manifest(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let check = bin()
            .args(["check", "-o", "json", "-f", "-"])
            .write_stdin(out.stdout)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
        let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
        let bad: Vec<_> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] != "info")
            .collect();
        assert!(bad.is_empty(), "{name}: {bad:?}");
    }
}

#[test]
fn git_diff_after_in_place_shows_only_the_needed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("git is installed");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    git(&["init", "-q"]);
    for f in ["catalog-function-runner.yaml", "main-function-runner.yaml"] {
        std::fs::copy(manifest(f), dir.path().join(f)).unwrap();
    }
    git(&["add", "."]);
    git(&["commit", "-qm", "base"]);
    for f in ["catalog-function-runner.yaml", "main-function-runner.yaml"] {
        let out = bin()
            .args(["patch", "--tls", "-i", "-f"])
            .arg(dir.path().join(f))
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    // Only added lines: 5 flags + 2 mounts (3 lines each) + 2 volumes (3 lines each) = 17
    // per file, plus the two keys main-style did not have.
    assert_eq!(
        git(&["diff", "--numstat"]),
        "17\t0\tcatalog-function-runner.yaml\n19\t0\tmain-function-runner.yaml\n"
    );
    for f in ["catalog-function-runner.yaml", "main-function-runner.yaml"] {
        let out = bin()
            .args(["remove", "-i", "-f"])
            .arg(dir.path().join(f))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(git(&["status", "--porcelain"]), "");
}

/// A key given twice in the Deployment (two `command:` lists, as a bad merge leaves them):
/// kubectl apply refuses it, and which one would count is unclear, so every command that reads
/// manifests refuses it with the line of both keys; nothing is written.
#[test]
fn a_duplicate_key_is_one_error_naming_both_lines() {
    let (_d, p) = copy_to_temp("catalog-function-runner.yaml");
    let text = read(&p);
    let dup = text.replacen(
        "          command:\n",
        "          command:\n            - /server\n          command:\n",
        1,
    );
    assert_ne!(dup, text, "the fixture has a command: list");
    std::fs::write(&p, &dup).unwrap();
    let line = dup[..dup.find("          command:").unwrap()]
        .lines()
        .count()
        + 1;
    let needle = format!(
        "malformed YAML at line {} column 11: mapping key \"command\" is already defined at line {line}",
        line + 2
    );
    for args in [
        &["patch", "--in-place"][..],
        &["remove", "--in-place"],
        &["check"],
    ] {
        let out = bin()
            .args(args)
            .arg("-f")
            .arg(&p)
            .write_stdin("")
            .output()
            .unwrap();
        assert_one_error(&out, 2, &needle);
        assert_eq!(read(&p), dup, "{args:?} wrote the file");
    }
}
