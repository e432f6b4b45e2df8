//! `check -f` through the built binary, on manifests that reproduce the docs' mistakes.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{bin, fixture};

/// Run `check -f PATH -o json`; return (exit code, findings).
fn check_json(path: &str) -> (i32, Vec<Value>) {
    let out = bin()
        .args(["check", "-o", "json", "-f"])
        .arg(fixture(path))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap(),
        v["findings"].as_array().unwrap().clone(),
    )
}

fn rules(findings: &[Value]) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn json_schema_is_exactly_five_strings_per_finding() {
    for path in [
        "check/catalog-good.yaml",
        "check/docs-complete-example.yaml",
        "check/docs-auth-path-only.yaml",
        "check/bool-space.yaml",
    ] {
        let out = bin()
            .args(["check", "-o", "json", "-f"])
            .arg(fixture(path))
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let top: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(top, ["findings"]);
        for f in v["findings"].as_array().unwrap() {
            let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                ["severity", "rule", "object", "message", "fix"],
                "{f}"
            );
            assert!(
                ["error", "warning", "info"].contains(&f["severity"].as_str().unwrap()),
                "{f}"
            );
            for k in ["rule", "object", "message", "fix"] {
                assert!(!f[k].as_str().unwrap().is_empty(), "{f}");
            }
        }
    }
}

#[test]
fn correct_catalog_configuration_passes_with_the_node_reminder() {
    let (code, f) = check_json("check/catalog-good.yaml");
    assert_eq!(code, 0, "{f:#?}");
    assert_eq!(rules(&f), set(&[("info", "node-ca-trust")]));
    assert_eq!(f[0]["object"], "Deployment/porch-system/function-runner");
}

#[test]
fn docs_complete_example_mistakes() {
    // The "Private Registries" doc: https://index.docker.io/v1/ key, kubernetes.io/tls CA Secret.
    let (code, f) = check_json("check/docs-complete-example.yaml");
    assert_eq!(code, 3, "{f:#?}");
    assert_eq!(
        rules(&f),
        set(&[
            ("error", "registry-key-unmatched"),
            ("error", "secret-wrong-type"),
            ("info", "node-ca-trust"),
        ])
    );
    let key = f
        .iter()
        .find(|x| x["rule"] == "registry-key-unmatched")
        .unwrap();
    assert_eq!(key["object"], "Secret/porch-system/registry-auth-secret");
    assert!(key["fix"].as_str().unwrap().contains("\"index.docker.io\""));
    let ty = f.iter().find(|x| x["rule"] == "secret-wrong-type").unwrap();
    assert_eq!(ty["object"], "Secret/porch-system/registry-tls-secret");
    assert!(ty["fix"].as_str().unwrap().contains("Opaque"));
}

#[test]
fn docs_tls_steps_alone() {
    let (code, f) = check_json("check/docs-tls-only.yaml");
    assert_eq!(code, 3);
    assert_eq!(
        rules(&f),
        set(&[
            ("error", "tls-without-private-registries"),
            ("error", "secret-wrong-type"),
            ("info", "node-ca-trust"),
        ])
    );
}

#[test]
fn docs_auth_path_only() {
    // "Using authenticated private registries": no --enable-private-registries, placeholder data.
    let (code, f) = check_json("check/docs-auth-path-only.yaml");
    assert_eq!(code, 3);
    assert_eq!(
        rules(&f),
        set(&[
            ("error", "auth-flags-without-enable"),
            ("error", "secret-data-invalid"),
        ])
    );
    let en = f
        .iter()
        .find(|x| x["rule"] == "auth-flags-without-enable")
        .unwrap();
    assert!(
        en["fix"]
            .as_str()
            .unwrap()
            .contains("--enable-private-registries=true")
    );
}

#[test]
fn bool_with_space_and_what_it_hides() {
    let (code, f) = check_json("check/bool-space.yaml");
    assert_eq!(code, 3);
    assert_eq!(
        rules(&f),
        set(&[
            ("error", "flag-bool-without-equals"),
            ("error", "auth-path-outside-mount"),
        ])
    );
    let b = &f[0];
    let msg = b["message"].as_str().unwrap();
    assert!(msg.contains("--registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson"));
    assert!(msg.contains("--registry-auth-secret-name=registry-auth-secret"));
}

#[test]
fn legacy_flag_names() {
    let (code, f) = check_json("check/legacy-flags.yaml");
    assert_eq!(code, 3);
    let fixes: Vec<&str> = f
        .iter()
        .filter(|x| x["rule"] == "flag-unknown")
        .map(|x| x["fix"].as_str().unwrap())
        .collect();
    assert_eq!(
        fixes,
        [
            "rename it: --enable-private-registries=true",
            "rename it: --enable-private-registries-tls=true"
        ]
    );
}

#[test]
fn shared_mount_directory() {
    let (code, f) = check_json("check/shared-mount.yaml");
    assert_eq!(code, 3);
    assert_eq!(rules(&f), set(&[("error", "mount-path-not-dedicated")]));
}

#[test]
fn kpt_package_directory() {
    let (code, f) = check_json("check/kpt-pkg");
    assert_eq!(code, 3);
    assert_eq!(
        rules(&f),
        set(&[
            ("error", "auth-path-outside-mount"),
            ("error", "secret-wrong-namespace"),
            ("info", "node-ca-trust"),
        ])
    );
}

#[test]
fn table_for_people_and_yaml() {
    let out = bin()
        .args(["check", "-f"])
        .arg(fixture("check/docs-complete-example.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let table = String::from_utf8(out.stdout).unwrap();
    for word in [
        "SEVERITY",
        "RULE",
        "OBJECT",
        "MESSAGE",
        "FIX",
        "registry-key-unmatched",
        "secret-wrong-type",
        "node-ca-trust",
    ] {
        assert!(table.contains(word), "{word}\n{table}");
    }
    assert!(
        table.ends_with("2 error(s), 0 warning(s), 1 info\n"),
        "{table}"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: 2 error finding(s)"), "{err}");

    let out = bin()
        .args(["check", "-o", "yaml", "-f"])
        .arg(fixture("check/catalog-good.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let y: Value = serde_saphyr::from_str(std::str::from_utf8(&out.stdout).unwrap()).unwrap();
    assert_eq!(y["findings"][0]["rule"], "node-ca-trust");
}

#[test]
fn stdin_input() {
    let text = std::fs::read(fixture("check/bool-space.yaml")).unwrap();
    let out = bin()
        .args(["check", "-o", "json", "-f", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["rule"], "flag-bool-without-equals");
}

#[test]
fn no_secret_value_in_any_output() {
    // Values present (base64 and decoded) in the fixtures' auth Secrets.
    let forbidden = [
        "cm9ib3Q6Zml4dHVyZS1wYXNzLTE=",
        "fixture-pass-1",
        "bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ=",
        "my_password",
    ];
    for path in [
        "check/catalog-good.yaml",
        "check/docs-complete-example.yaml",
        "check/bool-space.yaml",
        "check/kpt-pkg",
    ] {
        for fmt in ["table", "json", "yaml"] {
            let out = bin()
                .args(["check", "-o", fmt, "-f"])
                .arg(fixture(path))
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for f in forbidden {
                assert!(!all.contains(f), "{path} -o {fmt} leaks {f}");
            }
        }
    }
}

#[test]
fn bad_input_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: Deployment\nmetadata: [unclosed\n").unwrap();
    let cases: Vec<(std::path::PathBuf, i32, &str)> = vec![
        (bad, 2, "malformed YAML"),
        (dir.path().join("missing.yaml"), 4, "no such file"),
        (fixture("core/docker-config.json"), 4, "no Deployment named"),
    ];
    for (path, code, needle) in cases {
        let out = bin().args(["check", "-f"]).arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", path.display());
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
    }
    // Another Deployment name: named in the error.
    let out = bin()
        .args(["check", "--deployment", "runner", "-f"])
        .arg(fixture("check/catalog-good.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--deployment"));
}

fn run_ok(cmd: &mut std::process::Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `check -f -` on a YAML stream; returns (exit code, findings).
fn check_stdin(stream: Vec<u8>) -> (i32, Vec<Value>) {
    let out = bin()
        .args(["check", "-o", "json", "-f", "-"])
        .write_stdin(stream)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        out.status.code().unwrap(),
        v["findings"].as_array().unwrap().clone(),
    )
}

#[test]
fn what_patch_and_setup_write_passes_the_check() {
    for style in ["catalog", "docs", "main"] {
        let patched = bin()
            .args(["patch", "--tls", "-f"])
            .arg(fixture(&format!("manifests/{style}-function-runner.yaml")))
            .output()
            .unwrap();
        assert!(patched.status.success());
        let (code, f) = check_stdin(patched.stdout);
        assert_eq!(code, 0, "{style}: {f:#?}");
        // Only the Secrets are missing (a warning offline) and the node reminder.
        assert_eq!(
            rules(&f),
            set(&[("warning", "secret-missing"), ("info", "node-ca-trust")]),
            "{style}"
        );
    }
    let setup = bin()
        .args(["setup", "--dry-run=client", "-f"])
        .arg(fixture("manifests/catalog-function-runner.yaml"))
        .args([
            "--registry",
            "docker.io",
            "--username",
            "robot",
            "--password-stdin",
            "--ca-file",
        ])
        .arg(fixture("check/ca.crt"))
        .write_stdin("setup-pw-1")
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let (code, f) = check_stdin(setup.stdout);
    assert_eq!(code, 0, "{f:#?}");
    assert_eq!(rules(&f), set(&[("info", "node-ca-trust")]));
}

#[test]
fn secrets_made_by_real_kubectl_the_docs_way() {
    let dir = tempfile::tempdir().unwrap();
    // The docs' config.json, turned into a Secret by kubectl as the docs say.
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        r#"{"auths":{"https://index.docker.io/v1/":{"auth":"bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ="},"ghcr.io":{"auth":"bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ="}}}"#,
    )
    .unwrap();
    let generic = run_ok(
        std::process::Command::new("kubectl")
            .args([
                "create",
                "secret",
                "generic",
                "registry-auth-secret",
                "--type=kubernetes.io/dockerconfigjson",
                "--namespace=porch-system",
                "--dry-run=client",
                "-o",
                "yaml",
            ])
            .arg(format!(
                "--from-file=.dockerconfigjson={}",
                config.display()
            )),
    );
    // kubectl's own default --docker-server is https://index.docker.io/v1/ too.
    let docker_registry = run_ok(std::process::Command::new("kubectl").args([
        "create",
        "secret",
        "docker-registry",
        "registry-auth-secret",
        "--docker-username=robot",
        "--docker-password=kubectl-pw-1",
        "--namespace=porch-system",
        "--dry-run=client",
        "-o",
        "yaml",
    ]));
    let patched = bin()
        .args(["patch", "-f"])
        .arg(fixture("manifests/catalog-function-runner.yaml"))
        .output()
        .unwrap();
    for secret in [generic, docker_registry] {
        let mut stream = patched.stdout.clone();
        stream.extend_from_slice(b"---\n");
        stream.extend_from_slice(&secret);
        let (code, f) = check_stdin(stream);
        assert_eq!(code, 3, "{f:#?}");
        let key = f
            .iter()
            .find(|x| x["rule"] == "registry-key-unmatched")
            .unwrap_or_else(|| panic!("{f:#?}"));
        assert_eq!(key["severity"], "error");
        assert!(key["fix"].as_str().unwrap().contains(
            "use the key \"index.docker.io\" instead of \"https://index.docker.io/v1/\""
        ));
        let all = serde_json::to_string(&f).unwrap();
        assert!(!all.contains("kubectl-pw-1") && !all.contains("bXlfdXNlcm5hbWU6"));
    }
}
