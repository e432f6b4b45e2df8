//! Hostile input, faults and resource abuse (issue 9): files and remote servers that try to
//! make the tool hang or exhaust memory. Each case must end quickly with one `error:` line.

use std::path::Path;
use std::process::{Command, Output};

/// The 9-level "billion laughs" (420 bytes): 9^9 strings once expanded.
pub fn alias_bomb() -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        s.push_str(&format!("  {}: &{} [{refs}]\n", w[1], w[1]));
    }
    s
}

/// The binary under a 1 GiB address-space limit (so a regression fails fast instead of taking
/// the machine's memory), with stdin from `stdin`.
fn limited(args: &[&str], dir: &Path, stdin: Option<&str>) -> Output {
    use std::io::Write as _;
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("KUBECONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(stdin.unwrap_or("").as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

fn one_error(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{what}: {stderr}");
    assert!(!stderr.contains("memory allocation"), "{what}: {stderr}");
    errors[0].to_string()
}

/// patch, check, remove (the span reader) and fn (untrusted packages) and run (serde-saphyr)
/// refuse the alias bomb with one line, exit 2, instead of expanding it to gigabytes.
#[test]
fn yaml_alias_bomb_is_refused_by_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = alias_bomb();
    assert!(bomb.len() < 450, "{}", bomb.len());
    std::fs::write(dir.path().join("bomb.yaml"), &bomb).unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join("bomb.yaml"), &bomb).unwrap();
    let mut rl = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    for (i, line) in bomb.lines().enumerate() {
        rl.push_str(if i == 0 { "- " } else { "  " });
        rl.push_str(line);
        rl.push('\n');
    }
    let cases: [(&[&str], Option<&str>); 5] = [
        (&["patch", "-f", "bomb.yaml"], None),
        (&["check", "-f", "bomb.yaml"], None),
        (&["remove", "-f", "bomb.yaml"], None),
        (&["fn"], Some(&rl)),
        (&["run", "registry.invalid:5000/fn/x:v1", "pkg"], None),
    ];
    for (args, stdin) in cases {
        let out = limited(args, dir.path(), stdin);
        let line = one_error(&out, &format!("{args:?}"));
        assert!(
            line.contains("aliasing") || line.contains("aliases"),
            "{args:?}: {line}"
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {line}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bomb.yaml")).unwrap(),
        bomb
    );
}

/// A registry that attacks its client, on plain HTTP on loopback (pulled with
/// `--allow-insecure-http`). Repositories choose the attack:
/// - `endless/fn`: the manifest answer never ends (no Content-Length);
/// - `trickle/fn`: the manifest comes one byte every 2 s (each read is quick: no read timeout);
/// - `bigerror/fn`: a 404 whose body never ends;
/// - `token/fn`: a Bearer challenge whose token service answers without end.
mod hostile_registry {
    use std::convert::Infallible;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use http_body_util::{BodyExt, StreamBody, combinators::BoxBody};
    use hyper::body::{Bytes, Frame, Incoming};
    use hyper::{Request, Response};

    pub struct HostileRegistry {
        pub port: u16,
        /// Body bytes sent so far, over every answer.
        pub sent: Arc<AtomicU64>,
        shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    }

    type Body = BoxBody<Bytes, Infallible>;

    fn endless(sent: Arc<AtomicU64>) -> Body {
        let chunk = Bytes::from(vec![b' '; 64 * 1024]);
        let s = futures::stream::repeat_with(move || {
            sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            Ok::<_, Infallible>(Frame::data(chunk.clone()))
        });
        StreamBody::new(s).boxed()
    }

    fn trickle(sent: Arc<AtomicU64>) -> Body {
        let s = futures::stream::unfold(0u64, move |n| {
            let sent = sent.clone();
            async move {
                if n > 0 {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                sent.fetch_add(1, Ordering::Relaxed);
                let byte = if n == 0 { "{" } else { " " };
                Some((Ok::<_, Infallible>(Frame::data(Bytes::from(byte))), n + 1))
            }
        });
        StreamBody::new(s).boxed()
    }

    fn handle(req: &Request<Incoming>, port: u16, sent: Arc<AtomicU64>) -> Response<Body> {
        let path = req.uri().path().to_string();
        let b = Response::builder()
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        let empty = || http_body_util::Empty::new().map_err(|n| match n {}).boxed();
        let r = if path.starts_with("/v2/endless/") {
            b.status(200).body(endless(sent))
        } else if path.starts_with("/v2/trickle/") {
            b.status(200).body(trickle(sent))
        } else if path.starts_with("/v2/bigerror/") {
            b.status(404).body(endless(sent))
        } else if path.starts_with("/v2/token/") {
            b.status(401)
                .header(
                    "WWW-Authenticate",
                    format!("Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"hostile\""),
                )
                .body(empty())
        } else if path == "/token" {
            b.status(200).body(endless(sent))
        } else {
            b.status(200).body(empty())
        };
        r.unwrap()
    }

    impl HostileRegistry {
        pub fn start() -> HostileRegistry {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.set_nonblocking(true).unwrap();
            let port = listener.local_addr().unwrap().port();
            let sent = Arc::new(AtomicU64::new(0));
            let counter = sent.clone();
            let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    loop {
                        tokio::select! {
                            _ = &mut rx => break,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                let counter = counter.clone();
                                tokio::spawn(async move {
                                    let svc = hyper::service::service_fn(move |req| {
                                        let r = handle(&req, port, counter.clone());
                                        async move { Ok::<_, Infallible>(r) }
                                    });
                                    let _ = hyper::server::conn::http1::Builder::new()
                                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                                        .await;
                                });
                            }
                        }
                    }
                });
            });
            HostileRegistry {
                port,
                sent,
                shutdown: Some(tx),
            }
        }
    }

    impl Drop for HostileRegistry {
        fn drop(&mut self) {
            if let Some(tx) = self.shutdown.take() {
                let _ = tx.send(());
            }
        }
    }
}

fn pull_from(reg: &hostile_registry::HostileRegistry, repo: &str, dir: &Path) -> Output {
    let image = format!("127.0.0.1:{}/{repo}:v1", reg.port);
    // Under a 2 GiB address-space limit: a regression fails instead of taking the memory.
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"))
        .args(["pull", &image, "--allow-insecure-http", "--cache-dir"])
        .arg(dir.join("cache"))
        .env("HOME", dir)
        .env("DOCKER_CONFIG", dir.join("docker"))
        .env_remove("REGISTRY_AUTH_FILE")
        .env("PORCH_REGISTRY_TEST_REQUEST_DEADLINE_SECS", "2")
        .stdin(std::process::Stdio::null());
    // A watchdog for the old behaviour (waiting forever); not a timing assertion.
    let child = c
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("pull of {repo} did not end within 60 s");
        }
    }
}

/// Answers that never end are read with a limit while they stream, and one that trickles is
/// cut off at the request deadline: each pull ends with one error line (exit 7, or 4 for the
/// 404), having read a bounded amount.
#[test]
fn hostile_registry_answers_are_bounded() {
    use std::sync::atomic::Ordering;
    let reg = hostile_registry::HostileRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("endless/fn", 7, "larger than 4 MiB"),
        ("trickle/fn", 7, "did not arrive within 2s"),
        ("bigerror/fn", 4, "not found (404)"),
        ("token/fn", 7, "larger than 1024 KiB"),
    ];
    for (repo, code, needle) in cases {
        let before = reg.sent.load(Ordering::Relaxed);
        let out = pull_from(&reg, repo, dir.path());
        let line = one_error(&out, repo);
        assert!(line.contains(needle), "{repo}: {line}");
        assert_eq!(out.status.code(), Some(code), "{repo}: {line}");
        // What the server managed to send is bounded (socket buffers included), far below
        // the 1.5 GB the old client buffered.
        let sent = reg.sent.load(Ordering::Relaxed) - before;
        assert!(sent < 64 * 1024 * 1024, "{repo}: {sent} bytes were sent");
    }
}

fn example() -> String {
    std::fs::read_to_string(crate::support::fixture(
        "../../examples/2-function-runner.yaml",
    ))
    .unwrap()
}

fn bin_in(dir: &Path) -> assert_cmd::Command {
    let mut c = crate::support::bin();
    c.current_dir(dir).env("HOME", dir);
    c
}

/// `--in-place` refuses a file its mode does not let us write (as root too: the kernel would
/// let root replace it, a normal user it would refuse), and writes nothing.
#[test]
fn in_place_refuses_a_read_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("runner.yaml");
    std::fs::write(&f, example()).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = bin_in(dir.path())
        .args(["patch", "-f", "runner.yaml", "--in-place"])
        .output()
        .unwrap();
    let line = one_error(&out, "patch 0444");
    assert!(
        line.contains("runner.yaml") && line.contains("not writable"),
        "{line}"
    );
    assert_eq!(out.status.code(), Some(2), "{line}");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), example());
    let mode = std::fs::metadata(&f).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o444);
}

/// Two runs on one file at once: never both "succeed" with one update lost. Either one waits
/// for the other's result, or the second finds the file changed and fails, saying so.
///
/// Each `patch` run declares the whole desired configuration (a run without
/// `--auth-secret-name` puts the default name back), so the outcomes that are right are
/// computed with the same binary, to stdout: A then B, B then A, or the one run that
/// succeeded applied to the original text. A lost update is a final text that is one run's
/// result on the ORIGINAL text while the other run also exited 0.
#[test]
fn concurrent_in_place_runs_never_lose_an_update_silently() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("runner.yaml");
    let a_flags: &[&str] = &["--tls-secret-name", "registry-ca"];
    let b_flags: &[&str] = &["--auth-secret-name", "other-auth"];
    let patched = |input: &str, extra: &[&str]| -> String {
        let scratch = tempfile::tempdir().unwrap();
        let p = scratch.path().join("runner.yaml");
        std::fs::write(&p, input).unwrap();
        let out =
            std::process::Command::new(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"))
                .current_dir(scratch.path())
                .env("HOME", scratch.path())
                .args(["patch", "-f", "runner.yaml"])
                .args(extra)
                .output()
                .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let a_only = patched(&example(), a_flags);
    let b_only = patched(&example(), b_flags);
    let a_then_b = patched(&a_only, b_flags);
    let b_then_a = patched(&b_only, a_flags);
    assert_ne!(a_only, b_only, "the two runs must make different changes");
    for round in 0..8 {
        std::fs::write(&f, example()).unwrap();
        let spawn = |extra: &[&str]| {
            let mut c =
                std::process::Command::new(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"));
            c.current_dir(dir.path())
                .env("HOME", dir.path())
                .args(["patch", "-f", "runner.yaml", "--in-place"])
                .args(extra)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        };
        let a = spawn(a_flags);
        let b = spawn(b_flags);
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let text = std::fs::read_to_string(&f).unwrap();
        for out in [&a, &b] {
            if !out.status.success() {
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    stderr.contains("changed while this command ran"),
                    "round {round}: {stderr}"
                );
            }
        }
        let expected: Vec<&String> = match (a.status.success(), b.status.success()) {
            (true, true) => vec![&a_then_b, &b_then_a],
            (true, false) => vec![&a_only],
            (false, true) => vec![&b_only],
            (false, false) => panic!("round {round}: both runs failed; one must win"),
        };
        assert!(
            expected.contains(&&text),
            "round {round}: an update was lost (A exit {:?}, B exit {:?}):\n{text}",
            a.status.code(),
            b.status.code()
        );
    }
}

/// SIGTERM while a large file is being written: the temporary file is removed.
#[test]
fn interrupted_in_place_run_removes_its_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("runner.yaml");
    let mut text = example();
    text.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    let filler = "x".repeat(200);
    for i in 0..150_000 {
        text.push_str(&format!("  k{i}: {filler}\n"));
    }
    std::fs::write(&f, &text).unwrap();
    let temps = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".porch-registry-")
            })
            .count()
    };
    let mut child =
        std::process::Command::new(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"))
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .args(["patch", "-f", "runner.yaml", "--in-place"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
    // Wait for the temp file to appear (or the run to end), then interrupt.
    let start = std::time::Instant::now();
    let mut seen = false;
    while start.elapsed() < std::time::Duration::from_secs(60) {
        if temps() > 0 {
            seen = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .ok();
    let _ = child.wait();
    assert!(seen, "the run ended before its temp file was seen");
    assert_eq!(temps(), 0, "the temp file was left behind");
    // Either way the file is whole: the old text or the new one.
    let now = std::fs::read_to_string(&f).unwrap();
    assert!(now == text || now.contains("--enable-private-registries=true"));
}
