//! Every command with stdout a closed pipe and with stderr a closed pipe (`cmd | true`,
//! `cmd 2>&1 >/dev/null | true`): no panic, and the exit code the same command gives with both
//! open (0 when it succeeds: a closed stdout ends the output quietly, as ripgrep does). A
//! closed stdout never cuts a live flow short: `setup` and `remove` finish their writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::cluster::porch_cluster;
use crate::registry_support::{Auth, Registry, TestImage};

const EXE: &str = env!("CARGO_BIN_EXE_kubectl-porch-registry");
/// The exit codes of the README table (src/error.rs).
const DOCUMENTED: std::ops::RangeInclusive<i32> = 0..=9;

#[derive(Clone, Copy, PartialEq, Debug)]
enum End {
    Open,
    Closed,
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    env: Vec<(&'static str, String)>,
    /// Offline commands print the same bytes every time.
    same_stdout: bool,
}

fn case(name: &'static str, args: &[&str]) -> Case {
    Case {
        name,
        args: args.iter().map(|s| s.to_string()).collect(),
        stdin: None,
        env: vec![],
        same_stdout: true,
    }
}

/// A pipe whose reading end is already closed: every write gets EPIPE.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Stdio::from(writer)
}

fn run(dir: &Path, c: &Case, stdout: End, stderr: End) -> Output {
    let mut cmd = Command::new(EXE);
    cmd.args(&c.args)
        .env_remove("KUBECONFIG")
        .env("HOME", dir)
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .envs(c.env.iter().map(|(k, v)| (k, v)));
    match &c.stdin {
        Some(bytes) => {
            let path = dir.join("stdin");
            std::fs::write(&path, bytes).unwrap();
            cmd.stdin(std::fs::File::open(&path).unwrap());
        }
        None => {
            cmd.stdin(Stdio::null());
        }
    }
    cmd.stdout(match stdout {
        End::Open => Stdio::piped(),
        End::Closed => closed_pipe(),
    });
    cmd.stderr(match stderr {
        End::Open => Stdio::piped(),
        End::Closed => closed_pipe(),
    });
    cmd.output().unwrap()
}

fn code(o: &Output, what: &str) -> i32 {
    let code = o
        .status
        .code()
        .unwrap_or_else(|| panic!("{what}: killed by a signal"));
    assert!(
        DOCUMENTED.contains(&code),
        "{what}: exit code {code} is not in the README table; stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    code
}

fn error_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .map(String::from)
        .collect()
}

/// Closed stdout, then both open, then closed stderr: same code each time, no panic.
fn check_case(dir: &Path, c: &Case) -> Output {
    let closed_out = run(dir, c, End::Closed, End::Open);
    let open = run(dir, c, End::Open, End::Open);
    let closed_err = run(dir, c, End::Open, End::Closed);
    let name = c.name;
    let expected = code(&open, &format!("{name} (stdout and stderr open)"));
    assert!(
        !String::from_utf8_lossy(&open.stderr).contains("panicked"),
        "{name}: {}",
        String::from_utf8_lossy(&open.stderr)
    );
    let stderr = String::from_utf8_lossy(&closed_out.stderr).into_owned();
    assert_eq!(
        code(&closed_out, &format!("{name} with stdout closed")),
        expected,
        "{name} with stdout closed: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    assert_eq!(
        error_lines(&closed_out),
        error_lines(&open),
        "{name}: a closed stdout is no error of its own"
    );
    assert_eq!(
        code(&closed_err, &format!("{name} with stderr closed")),
        expected,
        "{name} with stderr closed (stdout: {})",
        String::from_utf8_lossy(&closed_err.stdout)
    );
    if c.same_stdout {
        assert_eq!(
            String::from_utf8_lossy(&closed_err.stdout),
            String::from_utf8_lossy(&open.stdout),
            "{name}: a closed stderr changes nothing on stdout"
        );
    }
    open
}

fn example(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(rel)
        .display()
        .to_string()
}

fn command_of(api: &crate::fake_api::FakeApi) -> Vec<String> {
    let d = api
        .get("deployments", "porch-system", "function-runner")
        .expect("deployment");
    d["spec"]["template"]["spec"]["containers"][0]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_command_with_stdout_or_stderr_closed() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let manifest = example("2-function-runner.yaml");
    let ca = example("registry-ca.crt");
    let password = || Some(b"example-token".to_vec());

    let mut offline = vec![
        Case {
            stdin: password(),
            ..case(
                "secret auth",
                &[
                    "secret",
                    "auth",
                    "--registry",
                    "registry.example.com:5000",
                    "--username",
                    "robot",
                    "--password-stdin",
                ],
            )
        },
        case("secret tls", &["secret", "tls", "--ca-file", &ca]),
        case("patch", &["patch", "-f", &manifest, "--tls"]),
        case("check -f", &["check", "-f", &manifest]),
        case(
            "check -f -o json",
            &["check", "-f", &manifest, "-o", "json"],
        ),
        Case {
            stdin: password(),
            ..case(
                "setup -f",
                &[
                    "setup",
                    "-f",
                    &manifest,
                    "--dry-run=client",
                    "--registry",
                    "registry.example.com:5000",
                    "--username",
                    "robot",
                    "--password-stdin",
                    "--ca-file",
                    &ca,
                ],
            )
        },
        case("completions", &["completions", "bash"]),
        case("__complete", &["__complete", "setup", "--"]),
        case("--help", &["--help"]),
        case("usage error", &["patch", "--no-such-flag"]),
        case("missing file", &["patch", "-f", "/nonexistent/x.yaml"]),
    ];
    // `remove` on a patched manifest, `fn` on a ResourceList of it.
    let patched = check_case(dir, &offline[2]);
    let patched_path = dir.join("patched.yaml");
    std::fs::write(&patched_path, &patched.stdout).unwrap();
    let patched_path = patched_path.display().to_string();
    offline.push(case("remove -f", &["remove", "-f", &patched_path]));
    offline.push(case(
        "check -f (errors)",
        &["check", "-f", &patched_path, "-n", "other"],
    ));
    let items: Vec<Value> =
        serde_saphyr::from_str_multiple(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let rl = serde_json::json!({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
        "items": items,
        "functionConfig": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"tls": "true"}}});
    offline.push(Case {
        stdin: Some(serde_json::to_vec(&rl).unwrap()),
        ..case("fn", &["fn"])
    });
    for c in &offline {
        check_case(dir, c);
    }

    // pull and run: a private image on a TLS registry with basic auth, and an OCI layout.
    let reg = Registry::start(Auth::htpasswd("robot", "s3cret-pass"), true);
    let image = TestImage::new(
        "linux/amd64",
        &["/fn"],
        vec![crate::registry_support::noise_layer("fn", 2048, 7)],
    );
    reg.push("fn/closed", "v1", &image);
    let auth = reg.auth_file(dir);
    let cache = dir.join("cache").display().to_string();
    let reference = format!("{}/fn/closed:v1", reg.host());
    let ca_path = reg.ca_path().display().to_string();
    let auth_path = auth.display().to_string();
    for format in ["table", "json"] {
        check_case(
            dir,
            &case(
                "pull",
                &[
                    "pull",
                    &reference,
                    "--auth-file",
                    &auth_path,
                    "--ca-file",
                    &ca_path,
                    "--cache-dir",
                    &cache,
                    "-o",
                    format,
                ],
            ),
        );
    }
    let layout =
        crate::support::busybox_image(dir, "#!/bin/sh\necho from-the-function >&2\nexec cat\n");
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
    )
    .unwrap();
    let pkg = pkg.display().to_string();
    check_case(
        dir,
        &case(
            "run -o stdout",
            &["run", &layout, &pkg, "--cache-dir", &cache, "-o", "stdout"],
        ),
    );
    check_case(
        dir,
        &case(
            "run (image not there)",
            &[
                "run",
                "oci:/nonexistent-layout",
                &pkg,
                "--cache-dir",
                &cache,
            ],
        ),
    );

    // Live, on the fake API: the closed-stdout run goes first and does the work.
    let api = porch_cluster();
    let kubeconfig = api.kubeconfig().display().to_string();
    let live = |name, args: &[&str]| {
        let mut c = case(name, args);
        c.args
            .extend(["--kubeconfig".to_string(), kubeconfig.clone()]);
        c.same_stdout = false;
        c.env
            .push(("PORCH_REGISTRY_PASSWORD", "s3cr3t-Pa55word".to_string()));
        c
    };
    check_case(
        dir,
        &live(
            "setup (live)",
            &[
                "setup",
                "--registry",
                "registry.example.com:5000",
                "--username",
                "robot",
                "--ca-file",
                &ca,
                "--yes",
                "--timeout=30s",
            ],
        ),
    );
    let command = command_of(&api);
    assert!(
        command.contains(&"--enable-private-registries=true".to_string())
            && command.contains(&"--enable-private-registries-tls=true".to_string()),
        "setup with stdout closed finished its flow: {command:?}"
    );
    assert!(
        api.get("secrets", "porch-system", "registry-tls-secret")
            .is_some()
    );
    check_case(dir, &live("status", &["status"]));
    check_case(dir, &live("status -o yaml", &["status", "-o", "yaml"]));
    check_case(dir, &live("check (live)", &["check"]));
    check_case(dir, &live("remove (live)", &["remove", "--delete-secrets"]));
    assert!(
        !command_of(&api)
            .iter()
            .any(|a| a.starts_with("--enable-private-registries")),
        "remove with stdout closed finished its flow"
    );
    assert!(
        api.get("secrets", "porch-system", "registry-auth-secret")
            .is_none()
    );
}
