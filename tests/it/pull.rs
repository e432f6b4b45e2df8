//! `pull` against Debian's real docker-registry: credentials the runner's way, TLS order,
//! cache behaviour, corrupted blobs, a registry killed mid-pull, multi-arch, token auth.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::registry_support::{Auth, Registry, TestImage, noise_layer, sha256, tar_gz};
use crate::support::bin;

/// A sandboxed environment: no user docker config, a private cache.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }
    fn cmd(&self) -> assert_cmd::Command {
        let mut c = bin();
        c.env("HOME", self.path())
            .env("DOCKER_CONFIG", self.path().join("docker"))
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_RUNTIME_DIR", self.path().join("run"))
            .env("XDG_CACHE_HOME", self.path().join("xdg-cache"))
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("PORCH_REGISTRY_CACHE_DIR");
        c
    }
    fn pull(&self, image: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
        let mut c = self.cmd();
        c.arg("pull")
            .arg(image)
            .arg("--cache-dir")
            .arg(self.cache())
            .args(extra);
        c.assert()
    }
}

fn json_of(a: &assert_cmd::assert::Assert) -> serde_json::Value {
    let out = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn stderr_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

fn one_error_line(a: &assert_cmd::assert::Assert) -> String {
    let err = stderr_of(a);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "exactly one error line: {err}");
    lines[0].to_string()
}

/// Every blob in the cache hashes to its name; returns how many there are.
fn cache_is_sound(cache: &Path) -> usize {
    let dir = cache.join("blobs/sha256");
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let data = std::fs::read(e.path()).unwrap();
            assert_eq!(
                sha256(&data),
                format!("sha256:{}", e.file_name().to_string_lossy()),
                "cached blob does not match its name"
            );
            n += 1;
        }
    }
    n
}

fn tmp_is_empty(cache: &Path) -> bool {
    std::fs::read_dir(cache.join("tmp"))
        .map(|rd| rd.count() == 0)
        .unwrap_or(true)
}

fn three_layer_image() -> TestImage {
    TestImage::new(
        "linux/amd64",
        &["/bin/fn", "--serve"],
        vec![
            tar_gz(&[("bin/fn", b"#!/bin/sh\necho hi\n", 0o755)]),
            noise_layer("data/a.bin", 300_000, 1),
            noise_layer("data/b.bin", 200_000, 2),
        ],
    )
}

#[test]
fn pull_with_auth_file_and_ca_then_cache_hit() {
    let reg = Registry::start(Auth::htpasswd("alice", "s3cret-pw"), true);
    let img = three_layer_image();
    let digest = reg.push("fn/set-labels", "v1", &img);
    let env = Env::new();
    let auth = reg.auth_file(env.path());
    let image = format!("{}/fn/set-labels:v1", reg.host());
    let ca = reg.ca_path();
    let args = [
        "--auth-file",
        auth.to_str().unwrap(),
        "--ca-file",
        ca.to_str().unwrap(),
        "-o",
        "json",
    ];
    let a = env.pull(&image, &args).success();
    let v = json_of(&a);
    assert_eq!(v["digest"], digest);
    assert_eq!(v["platform"], "linux/amd64");
    assert_eq!(
        v["config"]["entrypoint"],
        serde_json::json!(["/bin/fn", "--serve"])
    );
    assert_eq!(v["tls_step"]["step"], "given-ca");
    let cred = v["credential_used"].as_str().unwrap();
    assert!(cred.contains(&format!("key '{}'", reg.host())), "{cred}");
    assert!(cred.contains("alice"));
    assert!(!a.get_output().stdout.windows(9).any(|w| w == b"s3cret-pw"));
    assert_eq!(v["layers"].as_array().unwrap().len(), 3);
    assert_eq!(v["blobs_downloaded"], 4, "config + 3 layers");
    for (l, pushed) in v["layers"].as_array().unwrap().iter().zip(&img.layers) {
        let p = l["path"].as_str().unwrap();
        assert_eq!(std::fs::read(p).unwrap(), *pushed);
        assert_eq!(l["digest"], sha256(pushed));
    }
    let expected_size: usize = img.layers.iter().map(|l| l.len()).sum::<usize>()
        + serde_json::to_vec(&img.config).unwrap().len();
    assert_eq!(v["size"], expected_size);
    assert!(cache_is_sound(&env.cache()) >= 5);
    assert!(tmp_is_empty(&env.cache()));

    // Second pull: one manifest transfer, no blob transfer at all.
    let manifests_before = reg.count_requests("GET", "/manifests/", Some(200));
    let blobs_before = reg.count_requests("GET", "/blobs/", None);
    let a = env.pull(&image, &args).success();
    let v = json_of(&a);
    assert_eq!(v["digest"], digest);
    assert_eq!(v["blobs_downloaded"], 0);
    assert_eq!(
        reg.count_requests("GET", "/manifests/", Some(200)) - manifests_before,
        1,
        "{}",
        reg.log()
    );
    assert_eq!(reg.count_requests("GET", "/blobs/", None), blobs_before);

    // The table (off a terminal: no progress bars) names credential and TLS step.
    let a = env
        .pull(
            &image,
            &[
                "--auth-file",
                auth.to_str().unwrap(),
                "--ca-file",
                ca.to_str().unwrap(),
            ],
        )
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(out.contains(&digest), "{out}");
    assert!(out.contains("linux/amd64"));
    assert!(out.contains(r#"["/bin/fn","--serve"]"#), "{out}");
    assert!(out.contains("given CA ("), "{out}");
    assert!(out.contains("3 layers"), "{out}");
    assert!(
        stderr_of(&a).is_empty(),
        "no chatter off a terminal: {}",
        stderr_of(&a)
    );
}

#[test]
fn wrong_password_is_a_clear_401() {
    let reg = Registry::start(Auth::htpasswd("alice", "right-pw"), true);
    reg.push("fn/x", "v1", &three_layer_image());
    let env = Env::new();
    let auth = reg.write_auth_file(env.path(), &reg.host(), "alice", "WRONG-pw-123");
    let a = env
        .pull(
            &format!("{}/fn/x:v1", reg.host()),
            &[
                "--auth-file",
                auth.to_str().unwrap(),
                "--ca-file",
                reg.ca_path().to_str().unwrap(),
            ],
        )
        .failure()
        .code(7);
    let line = one_error_line(&a);
    eprintln!("wrong password: {line}");
    assert!(line.contains(&reg.host()), "{line}");
    assert!(
        line.contains("refused the credentials of user 'alice'"),
        "{line}"
    );
    assert!(line.contains("401"), "{line}");
    assert!(!stderr_of(&a).contains("WRONG-pw-123"));
    assert!(a.get_output().stdout.is_empty());
    assert_eq!(cache_is_sound(&env.cache()), 0);
}

#[test]
fn anonymous_against_private_registry_names_the_exact_key() {
    let reg = Registry::start(Auth::htpasswd("alice", "pw"), true);
    reg.push("fn/x", "v1", &three_layer_image());
    let env = Env::new();
    // A key with a scheme: docker would match it, the runner does not.
    let auth = reg.write_auth_file(
        env.path(),
        &format!("https://{}", reg.host()),
        "alice",
        "pw",
    );
    let a = env
        .pull(
            &format!("{}/fn/x:v1", reg.host()),
            &[
                "--auth-file",
                auth.to_str().unwrap(),
                "--ca-file",
                reg.ca_path().to_str().unwrap(),
            ],
        )
        .failure()
        .code(7);
    let line = one_error_line(&a);
    eprintln!("anonymous: {line}");
    assert!(line.contains("requires authentication"), "{line}");
    assert!(
        line.contains(&format!("'https://{}'", reg.host())),
        "{line}"
    );
    assert!(
        line.contains(&format!("rename the key to '{}'", reg.host())),
        "{line}"
    );
}

#[test]
fn wrong_ca_falls_back_to_system_roots_and_names_both() {
    let reg = Registry::start(Auth::htpasswd("alice", "pw"), true);
    reg.push("fn/x", "v1", &three_layer_image());
    let other = crate::registry_support::TestCa::generate("other");
    let env = Env::new();
    let tls_dir = env.path().join("tls");
    std::fs::create_dir_all(&tls_dir).unwrap();
    std::fs::write(tls_dir.join("ca.pem"), &other.ca_pem).unwrap();
    let auth = reg.auth_file(env.path());
    let a = env
        .pull(
            &format!("{}/fn/x:v1", reg.host()),
            &[
                "--auth-file",
                auth.to_str().unwrap(),
                "--tls-dir",
                tls_dir.to_str().unwrap(),
            ],
        )
        .failure()
        .code(7);
    let line = one_error_line(&a);
    eprintln!("wrong CA: {line}");
    assert!(line.contains("given CA ("), "{line}");
    assert!(line.contains("ca.pem"), "{line}");
    assert!(line.contains("then system roots"), "{line}");
    assert!(line.to_lowercase().contains("certificate"), "{line}");
    assert_eq!(cache_is_sound(&env.cache()), 0);

    // With plain HTTP allowed too, all three steps are named.
    let a = env
        .pull(
            &format!("{}/fn/x:v1", reg.host()),
            &[
                "--auth-file",
                auth.to_str().unwrap(),
                "--tls-dir",
                tls_dir.to_str().unwrap(),
                "--allow-insecure-http",
            ],
        )
        .failure()
        .code(7);
    let line = one_error_line(&a);
    assert!(
        line.contains("then system roots") && line.contains("then plain HTTP"),
        "{line}"
    );

    // ca.crt wins over ca.pem in the directory, as in the runner.
    std::fs::copy(reg.ca_path(), tls_dir.join("ca.crt")).unwrap();
    let a = env
        .pull(
            &format!("{}/fn/x:v1", reg.host()),
            &[
                "--auth-file",
                auth.to_str().unwrap(),
                "--tls-dir",
                tls_dir.to_str().unwrap(),
                "-o",
                "json",
            ],
        )
        .success();
    let v = json_of(&a);
    assert!(v["tls_step"]["path"].as_str().unwrap().ends_with("ca.crt"));

    // No CA at all: only the system roots, which do not know the test CA.
    let a = env
        .pull(
            &format!("{}/fn/x:v1", reg.host()),
            &["--auth-file", auth.to_str().unwrap()],
        )
        .failure()
        .code(7);
    let line = one_error_line(&a);
    assert!(line.contains("system roots"), "{line}");
    assert!(line.contains("--ca-file"), "{line}");
}

#[test]
fn anonymous_pull_of_a_public_repo() {
    let reg = Registry::start(Auth::Anonymous, true);
    let digest = reg.push("public/fn", "latest", &three_layer_image());
    let env = Env::new();
    // No auth file and no user config: anonymous.
    let a = env
        .pull(
            &format!("{}/public/fn", reg.host()),
            &["--ca-file", reg.ca_path().to_str().unwrap(), "-o", "json"],
        )
        .success();
    let v = json_of(&a);
    assert_eq!(v["digest"], digest);
    assert!(
        v["credential_used"]
            .as_str()
            .unwrap()
            .starts_with("anonymous")
    );
    let a = env
        .pull(
            &format!("{}/public/fn", reg.host()),
            &["--ca-file", reg.ca_path().to_str().unwrap(), "-o", "yaml"],
        )
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(out.contains(&format!("digest: {digest}")), "{out}");
    assert!(out.contains("step: given-ca"), "{out}");
}

#[test]
fn plain_http_only_when_allowed() {
    let reg = Registry::start(Auth::Anonymous, false);
    let digest = reg.push("public/fn", "v1", &three_layer_image());
    let env = Env::new();
    let image = format!("{}/public/fn:v1", reg.host());
    let a = env.pull(&image, &[]).failure().code(7);
    let line = one_error_line(&a);
    assert!(line.contains("--allow-insecure-http"), "{line}");
    let a = env
        .pull(&image, &["--allow-insecure-http", "-o", "json"])
        .success();
    assert_eq!(json_of(&a)["digest"], digest);
    assert_eq!(json_of(&a)["tls_step"]["step"], "plain-http");
    assert!(stderr_of(&a).contains("warning:"), "{}", stderr_of(&a));
}

#[test]
fn corrupted_blob_is_rejected_and_not_cached() {
    let reg = Registry::start(Auth::htpasswd("alice", "pw"), true);
    let img = three_layer_image();
    reg.push("fn/x", "v1", &img);
    let bad = sha256(&img.layers[1]);
    let path = reg.blob_data_path(&bad);
    let mut data = std::fs::read(&path).unwrap();
    let mid = data.len() / 2;
    data[mid] ^= 0xff;
    std::fs::write(&path, &data).unwrap();
    let env = Env::new();
    let auth = reg.auth_file(env.path());
    let a = env
        .pull(
            &format!("{}/fn/x:v1", reg.host()),
            &[
                "--auth-file",
                auth.to_str().unwrap(),
                "--ca-file",
                reg.ca_path().to_str().unwrap(),
            ],
        )
        .failure()
        .code(7);
    let line = one_error_line(&a);
    eprintln!("corrupt: {line}");
    assert!(line.contains(&bad), "{line}");
    assert!(line.contains("failed verification"), "{line}");
    assert!(line.contains("nothing was cached"), "{line}");
    let hex = bad.strip_prefix("sha256:").unwrap();
    assert!(!env.cache().join("blobs/sha256").join(hex).exists());
    cache_is_sound(&env.cache());
    assert!(tmp_is_empty(&env.cache()));
}

/// A loopback TCP proxy that SIGKILLs the registry once `kill_after` bytes went to the client.
struct KillingProxy {
    port: u16,
    armed: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
}

impl KillingProxy {
    fn start(upstream: u16, registry_pid: u32, kill_after: u64) -> KillingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let armed = Arc::new(AtomicBool::new(true));
        let sent = Arc::new(AtomicU64::new(0));
        let (a2, s2) = (Arc::clone(&armed), Arc::clone(&sent));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let (mut c1, mut s1) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c1, &mut s1);
                    let _ = s1.shutdown(std::net::Shutdown::Write);
                });
                let (a3, s3) = (Arc::clone(&a2), Arc::clone(&s2));
                let (mut server, mut client) = (server, client);
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match server.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if client.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        let total = s3.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
                        if total > kill_after && a3.swap(false, Ordering::SeqCst) {
                            // The registry dies mid-transfer.
                            unsafe {
                                libc::kill(registry_pid as i32, libc::SIGKILL);
                            }
                            break;
                        }
                    }
                    let _ = client.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        KillingProxy { port, armed, sent }
    }
}

#[test]
fn registry_killed_mid_pull_then_retry_succeeds() {
    let mut reg = Registry::start(Auth::Anonymous, true);
    let img = TestImage::new(
        "linux/amd64",
        &["/fn"],
        vec![
            noise_layer("a", 3_000_000, 11),
            noise_layer("b", 3_000_000, 12),
            noise_layer("c", 3_000_000, 13),
        ],
    );
    let digest = reg.push("fn/big", "v1", &img);
    let proxy = KillingProxy::start(reg.port, reg.pid().unwrap(), 1_500_000);
    let env = Env::new();
    let image = format!("127.0.0.1:{}/fn/big:v1", proxy.port);
    let ca = reg.ca_path();
    let a = env
        .pull(&image, &["--ca-file", ca.to_str().unwrap()])
        .failure()
        .code(7);
    let line = one_error_line(&a);
    assert!(
        !proxy.armed.load(Ordering::SeqCst),
        "the registry was killed"
    );
    assert!(proxy.sent.load(Ordering::SeqCst) > 1_500_000);
    eprintln!("killed mid-pull: {line}");
    assert!(line.contains("interrupted"), "{line}");
    // Nothing partial is trusted: whatever is in the cache is verified, temp files are gone.
    cache_is_sound(&env.cache());
    assert!(tmp_is_empty(&env.cache()));

    reg.restart();
    let a = env
        .pull(&image, &["--ca-file", ca.to_str().unwrap(), "-o", "json"])
        .success();
    let v = json_of(&a);
    assert_eq!(v["digest"], digest);
    for (l, pushed) in v["layers"].as_array().unwrap().iter().zip(&img.layers) {
        assert_eq!(std::fs::read(l["path"].as_str().unwrap()).unwrap(), *pushed);
    }
}

#[test]
fn multi_arch_index_resolves_host_platform_or_override() {
    let reg = Registry::start(Auth::Anonymous, true);
    let amd = TestImage::new(
        "linux/amd64",
        &["/amd"],
        vec![tar_gz(&[("amd", b"1", 0o644)])],
    );
    let arm = TestImage::new(
        "linux/arm64",
        &["/arm"],
        vec![tar_gz(&[("arm", b"2", 0o644)])],
    );
    let (index, digests) = reg.push_index(
        "fn/multi",
        "v1",
        &[("linux/amd64", &amd), ("linux/arm64/v8", &arm)],
    );
    let env = Env::new();
    let image = format!("{}/fn/multi:v1", reg.host());
    let ca = reg.ca_path();
    let ca = ca.to_str().unwrap();
    let a = env
        .pull(
            &image,
            &["--ca-file", ca, "--platform", "linux/arm64", "-o", "json"],
        )
        .success();
    let v = json_of(&a);
    assert_eq!(v["digest"], digests[1]);
    assert_eq!(v["index_digest"], index);
    assert_eq!(v["config"]["entrypoint"], serde_json::json!(["/arm"]));
    assert_eq!(v["platform"], "linux/arm64");

    let a = env
        .pull(
            &image,
            &["--ca-file", ca, "--platform", "linux/amd64", "-o", "json"],
        )
        .success();
    assert_eq!(json_of(&a)["digest"], digests[0]);

    if std::env::consts::ARCH == "x86_64" {
        let a = env.pull(&image, &["--ca-file", ca, "-o", "json"]).success();
        assert_eq!(
            json_of(&a)["digest"],
            digests[0],
            "host platform by default"
        );
    }

    let a = env
        .pull(&image, &["--ca-file", ca, "--platform", "linux/s390x"])
        .failure();
    let line = one_error_line(&a);
    assert!(line.contains("linux/amd64, linux/arm64/v8"), "{line}");
}

#[test]
fn bearer_token_handshake() {
    let reg = Registry::start(Auth::token("bob", "tok-pw"), true);
    let digest = reg.push("team/fn", "v2", &three_layer_image());
    let env = Env::new();
    let image = format!("{}/team/fn:v2", reg.host());
    let ca = reg.ca_path();
    let good = reg.auth_file(env.path());
    let a = env
        .pull(
            &image,
            &[
                "--auth-file",
                good.to_str().unwrap(),
                "--ca-file",
                ca.to_str().unwrap(),
                "-o",
                "json",
            ],
        )
        .success();
    assert_eq!(json_of(&a)["digest"], digest);

    let bad_dir = env.path().join("bad");
    std::fs::create_dir_all(&bad_dir).unwrap();
    let bad = reg.write_auth_file(&bad_dir, &reg.host(), "bob", "nope-nope");
    let env2 = Env::new();
    let a = env2
        .pull(
            &image,
            &[
                "--auth-file",
                bad.to_str().unwrap(),
                "--ca-file",
                ca.to_str().unwrap(),
            ],
        )
        .failure()
        .code(7);
    let line = one_error_line(&a);
    assert!(
        line.contains("refused the credentials of user 'bob'"),
        "{line}"
    );
    assert!(line.contains("token service"), "{line}");
    assert!(!stderr_of(&a).contains("nope-nope"));
}

/// An HTTPS registry whose `WWW-Authenticate: Bearer realm=` is plain HTTP (here on loopback,
/// which an "insecure by default" host test would let through): the credentials must never
/// go to it (go-containerregistry's validateRealmURL: http realms only for an insecure
/// registry). A plain-HTTP registry with a plain-HTTP realm still works.
#[test]
fn https_registry_with_a_plain_http_token_realm_gets_no_credentials() {
    let reg = Registry::start_with_realm(Auth::token("bob", "realm-pw-9"), true, false);
    let digest = reg.push("team/fn", "v3", &three_layer_image());
    let pushes = reg.token_requests_with_credentials();
    let env = Env::new();
    let image = format!("{}/team/fn:v3", reg.host());
    let auth = reg.auth_file(env.path());
    let ca = reg.ca_path();
    let a = env
        .pull(
            &image,
            &[
                "--auth-file",
                auth.to_str().unwrap(),
                "--ca-file",
                ca.to_str().unwrap(),
            ],
        )
        .failure()
        .code(7);
    let line = one_error_line(&a);
    assert!(line.contains("refusing to send credentials"), "{line}");
    assert!(line.contains("downgrade"), "{line}");
    assert!(line.contains("http://127.0.0.1:"), "{line}");
    assert!(!stderr_of(&a).contains("realm-pw-9"));
    assert_eq!(
        reg.token_requests_with_credentials(),
        pushes,
        "credentials were sent to the plain-HTTP realm"
    );

    // The same plain-HTTP realm in front of a plain-HTTP registry is allowed (insecure).
    let plain = Registry::start(Auth::token("bob", "realm-pw-9"), false);
    let digest2 = plain.push("team/fn", "v3", &three_layer_image());
    assert_eq!(digest, digest2);
    let auth2 = plain.auth_file(env.path());
    let a = env
        .pull(
            &format!("{}/team/fn:v3", plain.host()),
            &[
                "--auth-file",
                auth2.to_str().unwrap(),
                "--allow-insecure-http",
                "-o",
                "json",
            ],
        )
        .success();
    assert_eq!(json_of(&a)["digest"], digest2);
}

#[test]
fn two_processes_pulling_at_once_share_the_cache() {
    let reg = Registry::start(Auth::Anonymous, true);
    let img = TestImage::new(
        "linux/amd64",
        &["/fn"],
        vec![
            noise_layer("a", 1_000_000, 21),
            noise_layer("b", 1_000_000, 22),
        ],
    );
    let digest = reg.push("fn/c", "v1", &img);
    let env = Env::new();
    let image = format!("{}/fn/c:v1", reg.host());
    let exe = assert_cmd::cargo::cargo_bin("kubectl-porch-registry");
    let spawn = || {
        std::process::Command::new(&exe)
            .args(["pull", &image, "-o", "json", "--ca-file"])
            .arg(reg.ca_path())
            .arg("--cache-dir")
            .arg(env.cache())
            .env("HOME", env.path())
            .env("DOCKER_CONFIG", env.path().join("docker"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (p1, p2) = (spawn(), spawn());
    for p in [p1, p2] {
        let out = p.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["digest"], digest);
    }
    assert!(cache_is_sound(&env.cache()) >= 4);
    assert!(tmp_is_empty(&env.cache()));
}

#[test]
fn bad_inputs_are_usage_errors() {
    let env = Env::new();
    let a = env.pull("Bad/Name", &[]).failure().code(2);
    assert!(one_error_line(&a).contains("Bad/Name"));
    let a = env
        .pull("127.0.0.1:1/fn/x", &["--ca-file", "/nonexistent/ca.crt"])
        .failure()
        .code(4);
    assert!(one_error_line(&a).contains("/nonexistent/ca.crt"));
    let junk = env.path().join("junk.pem");
    std::fs::write(&junk, "not a cert").unwrap();
    let a = env
        .pull("127.0.0.1:1/fn/x", &["--ca-file", junk.to_str().unwrap()])
        .failure()
        .code(2);
    assert!(one_error_line(&a).contains("junk.pem"));
    let a = env
        .pull("127.0.0.1:1/fn/x", &["--platform", "linux"])
        .failure()
        .code(2);
    assert!(one_error_line(&a).contains("OS/ARCH"));
    let bad_auth = env.path().join("bad.json");
    std::fs::write(&bad_auth, r#"{"auths":{"a.io":{"auth":"%%%"}}}"#).unwrap();
    let a = env
        .pull(
            "127.0.0.1:1/fn/x",
            &["--auth-file", bad_auth.to_str().unwrap()],
        )
        .failure()
        .code(2);
    let line = one_error_line(&a);
    assert!(line.contains("\"a.io\"") && !line.contains("%%%"), "{line}");
}

#[test]
fn probe_reports_accepted_refused_and_tls_step() {
    use porch_registry::registry::probe::{ProbeOutcome, probe_all_with};
    use porch_registry::registry::tls::ca_from_args;
    let basic = Registry::start(Auth::htpasswd("alice", "pw-a"), true);
    let token = Registry::start(Auth::token("bob", "pw-b"), true);
    // Both registries' CAs in one bundle would be two steps of trust; the probe takes one CA,
    // so give the basic registry's CA and let the token registry fall to system roots (fails).
    let auth = serde_json::json!({"auths": {
        basic.host(): {"username": "alice", "password": "pw-a"},
        format!("https://{}", basic.host()): {"username": "alice", "password": "pw-a"},
        token.host(): {"username": "bob", "password": "wrong"},
    }});
    let ca = ca_from_args(Some(&basic.ca_path()), None).unwrap();
    let results = probe_all_with(auth.to_string().as_bytes(), "test", ca.as_ref(), false).unwrap();
    let by_key = |k: &str| results.iter().find(|r| r.key == k).unwrap();
    let b = by_key(&basic.host());
    assert_eq!(b.outcome, ProbeOutcome::Accepted, "{b:?}");
    // The step that worked is a field of its own (the findings name it, once).
    assert!(
        matches!(
            b.tls_step,
            Some(porch_registry::registry::tls::TlsStep::GivenCa { .. })
        ),
        "{b:?}"
    );
    assert!(!b.message.contains("TLS: "), "{b:?}");
    let k = by_key(&format!("https://{}", basic.host()));
    assert_eq!(k.outcome, ProbeOutcome::KeyNeverMatches);
    let t = by_key(&token.host());
    assert_eq!(t.outcome, ProbeOutcome::Unreachable, "{t:?}");
    assert_eq!(
        t.tls_failures.len(),
        2,
        "given CA, then system roots: {t:?}"
    );

    // With the token registry's own CA: refused by the token service, then accepted.
    let ca = ca_from_args(Some(&token.ca_path()), None).unwrap();
    let results = probe_all_with(auth.to_string().as_bytes(), "test", ca.as_ref(), false).unwrap();
    let t = results.iter().find(|r| r.key == token.host()).unwrap();
    assert_eq!(t.outcome, ProbeOutcome::Refused, "{t:?}");
    let good =
        serde_json::json!({"auths": {token.host(): {"username": "bob", "password": "pw-b"}}});
    let results = probe_all_with(good.to_string().as_bytes(), "test", ca.as_ref(), false).unwrap();
    assert_eq!(
        results[0].outcome,
        ProbeOutcome::Accepted,
        "{:?}",
        results[0]
    );
    assert!(!format!("{results:?}").contains("pw-b"));
}

#[test]
fn from_cluster_uses_the_runners_mounted_secrets() {
    let reg = Registry::start(Auth::htpasswd("robot", "cluster-pw-1"), true);
    let digest = reg.push("fn/private", "v1", &three_layer_image());
    let api = crate::cluster::porch_cluster();
    let kubeconfig = api.kubeconfig().to_path_buf();
    // Configure the (fake) cluster the way users do: setup with the registry's CA.
    bin()
        .args(["setup", "--kubeconfig"])
        .arg(&kubeconfig)
        .args([
            "--registry",
            &reg.host(),
            "--username",
            "robot",
            "--ca-file",
        ])
        .arg(reg.ca_path())
        .arg("--timeout=30s")
        .env("PORCH_REGISTRY_PASSWORD", "cluster-pw-1")
        .env_remove("KUBECONFIG")
        .assert()
        .success();
    let env = Env::new();
    let image = format!("{}/fn/private:v1", reg.host());
    let a = env
        .pull(
            &image,
            &[
                "--from-cluster",
                "--kubeconfig",
                kubeconfig.to_str().unwrap(),
                "-o",
                "json",
            ],
        )
        .success();
    let v = json_of(&a);
    assert_eq!(v["digest"], digest);
    let cred = v["credential_used"].as_str().unwrap();
    assert!(cred.contains("runner's auth Secret"), "{cred}");
    assert!(cred.contains("robot"), "{cred}");
    assert_eq!(v["tls_step"]["step"], "given-ca");
    assert!(
        v["tls_step"]["path"]
            .as_str()
            .unwrap()
            .contains("registry-tls-secret"),
        "{v}"
    );
    assert!(!String::from_utf8_lossy(&a.get_output().stdout).contains("cluster-pw-1"));
}

#[test]
fn progress_bars_on_a_terminal_only() {
    use expectrl::{Eof, Expect, Session};
    let reg = Registry::start(Auth::Anonymous, true);
    let img = TestImage::new(
        "linux/amd64",
        &["/fn"],
        vec![noise_layer("a", 400_000, 31), noise_layer("b", 400_000, 32)],
    );
    reg.push("fn/tty", "v1", &img);
    let env = Env::new();
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"));
    c.args(["pull", &format!("{}/fn/tty:v1", reg.host()), "--ca-file"])
        .arg(reg.ca_path())
        .arg("--cache-dir")
        .arg(env.cache())
        .env("HOME", env.path())
        .env("DOCKER_CONFIG", env.path().join("docker"))
        .env("TERM", "xterm")
        .env_remove("NO_COLOR");
    let mut s = Session::spawn(c).expect("spawn in a pty");
    s.set_expect_timeout(Some(std::time::Duration::from_secs(60)));
    let m = s.expect(Eof).expect("pull ends");
    let out = String::from_utf8_lossy(m.as_bytes()).to_string();
    // A bar per layer, named by its short digest (which the summary never prints).
    for l in &img.layers {
        let short = &sha256(l)["sha256:".len()..][..12];
        assert!(out.contains(short), "no progress line for {short}: {out}");
    }
    assert!(out.contains("TLS"), "{out}");
}

/// `setup -f` output (Secrets + patched catalog runner) for a registry, for `check --probe`.
fn configured_manifests(env: &Env, registry: &str, user: &str, pass: &str, ca: &Path) -> PathBuf {
    let a = env
        .cmd()
        .args(["setup", "-f"])
        .arg(crate::support::fixture(
            "manifests/catalog-function-runner.yaml",
        ))
        .args([
            "--registry",
            registry,
            "--username",
            user,
            "--password-stdin",
            "--ca-file",
        ])
        .arg(ca)
        .write_stdin(pass)
        .assert()
        .success();
    let p = env.path().join(format!("configured-{}.yaml", pass.len()));
    std::fs::write(&p, &a.get_output().stdout).unwrap();
    p
}

#[test]
fn check_probe_logs_in_and_reports_per_registry() {
    let reg = Registry::start(Auth::token("robot", "probe-pw-1"), true);
    let env = Env::new();
    let check = |file: &Path| {
        env.cmd()
            .args(["check", "--probe", "-o", "json", "-f"])
            .arg(file)
            .assert()
    };
    let rules = |a: &assert_cmd::assert::Assert| -> Vec<(String, String, String)> {
        json_of(a)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().unwrap().starts_with("probe-"))
            .map(|f| {
                (
                    f["severity"].as_str().unwrap().to_string(),
                    f["rule"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Right password and CA: accepted through the token handshake, over the given CA.
    let good = configured_manifests(&env, &reg.host(), "robot", "probe-pw-1", &reg.ca_path());
    let a = check(&good);
    let r = rules(&a);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].1, "probe-credentials-accepted", "{r:?}");
    assert!(r[0].2.contains("token handshake"), "{r:?}");
    assert!(r[0].2.contains("given CA"), "{r:?}");
    // The TLS step that worked is said once (it was printed twice in each message).
    assert_eq!(r[0].2.matches("TLS: ").count(), 1, "{r:?}");
    assert_eq!(r[0].2.matches("given CA").count(), 1, "{r:?}");

    // Wrong password: an error finding (exit 3), the password never printed.
    let bad = configured_manifests(&env, &reg.host(), "robot", "wrong-probe-pw", &reg.ca_path());
    let a = check(&bad).failure().code(3);
    let r = rules(&a);
    assert_eq!(r[0].0, "error");
    assert_eq!(r[0].1, "probe-credentials-refused", "{r:?}");
    assert_eq!(r[0].2.matches("TLS: ").count(), 1, "{r:?}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&a.get_output().stdout),
        String::from_utf8_lossy(&a.get_output().stderr)
    );
    assert!(!all.contains("wrong-probe-pw"));

    // A CA that did not sign the registry's certificate: given CA, then system roots, fail.
    let other = env.path().join("other-ca.crt");
    std::fs::write(
        &other,
        crate::registry_support::TestCa::generate("other").ca_pem,
    )
    .unwrap();
    let wrong_ca = configured_manifests(&env, &reg.host(), "robot", "probe-pw-1-", &other);
    let a = check(&wrong_ca).failure().code(3);
    let r = rules(&a);
    assert_eq!(r[0].1, "probe-unreachable", "{r:?}");
    assert!(
        r[0].2.contains("given CA") && r[0].2.contains("system roots"),
        "{r:?}"
    );

    // A plain-HTTP registry: reachable only over plain HTTP, which the runner does not do.
    let plain = Registry::start(Auth::htpasswd("robot", "pw-plain"), false);
    let m = configured_manifests(&env, &plain.host(), "robot", "pw-plain", &reg.ca_path());
    let a = check(&m).failure().code(3);
    let r = rules(&a);
    assert_eq!(r[0].1, "probe-plain-http-only", "{r:?}");
}

#[test]
fn check_probe_live_uses_the_runners_secrets() {
    let reg = Registry::start(Auth::htpasswd("robot", "live-pw-1"), true);
    let api = crate::cluster::porch_cluster();
    let kubeconfig = api.kubeconfig().to_path_buf();
    bin()
        .args(["setup", "--kubeconfig"])
        .arg(&kubeconfig)
        .args([
            "--registry",
            &reg.host(),
            "--username",
            "robot",
            "--ca-file",
        ])
        .arg(reg.ca_path())
        .arg("--timeout=30s")
        .env("PORCH_REGISTRY_PASSWORD", "live-pw-1")
        .env_remove("KUBECONFIG")
        .assert()
        .success();
    let a = bin()
        .args(["check", "--probe", "-o", "json", "--kubeconfig"])
        .arg(&kubeconfig)
        .env_remove("KUBECONFIG")
        .assert();
    let v = json_of(&a);
    let probe: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("probe-"))
        .collect();
    assert_eq!(probe.len(), 1, "{v}");
    assert_eq!(probe[0]["rule"], "probe-credentials-accepted", "{v}");
    let msg = probe[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("basic auth") && msg.contains("given CA"),
        "{msg}"
    );
    assert!(
        probe[0]["object"]
            .as_str()
            .unwrap()
            .contains("registry-auth-secret")
    );
}

#[test]
fn user_docker_config_matches_like_docker_and_warns_about_the_runner() {
    let reg = Registry::start(Auth::htpasswd("carol", "user-pw"), true);
    let digest = reg.push("fn/u", "v1", &three_layer_image());
    let env = Env::new();
    let docker = env.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    // docker login writes scheme-less keys, but older configs have https:// keys.
    reg.write_auth_file(
        &docker,
        &format!("https://{}", reg.host()),
        "carol",
        "user-pw",
    );
    std::fs::rename(
        docker.join(format!("auth-{}.json", reg.port)),
        docker.join("config.json"),
    )
    .unwrap();
    let a = env
        .pull(
            &format!("{}/fn/u:v1", reg.host()),
            &["--ca-file", reg.ca_path().to_str().unwrap(), "-o", "json"],
        )
        .success();
    let v = json_of(&a);
    assert_eq!(v["digest"], digest);
    assert!(
        v["credential_used"]
            .as_str()
            .unwrap()
            .contains("docker config")
    );
    let err = stderr_of(&a);
    assert!(
        err.contains("warning:") && err.contains(&format!("exact key '{}'", reg.host())),
        "{err}"
    );
}

/// `--ca-file` given a private key, DER, garbage or a broken certificate: one usage error that
/// says what the file is and how to fix it (as `secret tls` says), before any connection, and
/// never the key's bytes.
#[test]
fn a_ca_file_that_is_not_a_certificate_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let ca = crate::registry_support::TestCa::generate("qa");
    let key = dir.path().join("key.pem");
    std::fs::write(&key, &ca.key_pem).unwrap();
    let der_cert = dir.path().join("ca.der");
    let der = {
        use rustls_pki_types::pem::PemObject;
        rustls_pki_types::CertificateDer::from_pem_slice(ca.ca_pem.as_bytes())
            .unwrap()
            .to_vec()
    };
    std::fs::write(&der_cert, der).unwrap();
    let garbage = dir.path().join("garbage.txt");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let broken = dir.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let key_body: String = ca.key_pem.lines().nth(1).unwrap().to_string();
    for (file, needle) in [
        (&key, "holds a private key; give only the CA certificate(s)"),
        (
            &der_cert,
            "is a DER (binary) certificate, not PEM; convert it",
        ),
        (&garbage, "holds no PEM data"),
        (&broken, "give the registry's CA certificate"),
    ] {
        for flag in ["--ca-file", "--tls-dir"] {
            let arg = if flag == "--tls-dir" {
                let d = dir
                    .path()
                    .join(format!("dir-{}", file.file_name().unwrap().display()));
                std::fs::create_dir_all(&d).unwrap();
                std::fs::copy(file, d.join("ca.crt")).unwrap();
                d
            } else {
                file.clone()
            };
            let a = bin()
                .args(["pull", "127.0.0.1:1/fn/x:v1", flag])
                .arg(&arg)
                .write_stdin("")
                .assert()
                .failure()
                .code(2);
            let line = one_error_line(&a);
            assert!(line.contains(needle), "{flag} {file:?}: {line}");
            assert!(!line.contains(&key_body), "{line}");
        }
    }
    let a = bin()
        .args(["pull", "127.0.0.1:1/fn/x:v1", "--tls-dir"])
        .arg(dir.path().join("missing"))
        .assert()
        .failure()
        .code(4);
    assert!(
        one_error_line(&a).contains("missing: no such directory; give the directory that holds"),
        "{}",
        stderr_of(&a)
    );
}

/// Image references a user mistypes: exit 2 before any connection, one line with the fix
/// (a registry with a broken port used to be dialled and reported as a registry failure, 7).
#[test]
fn malformed_image_references_are_usage_errors_with_the_fix() {
    for (image, needle) in [
        ("", "image reference is empty; give IMAGE as"),
        ("a:b:c/fn/x:v1", "could not parse reference: a:b:c/fn/x:v1"),
        ("a:b:c/fn/x:v1", "give the registry as host[:port]"),
        // go-containerregistry accepts any digits as a port; nothing can dial it
        ("r.example:99999/fn/x", "a port from 1 to 65535"),
        // a one-character repository does not parse (pkg/name checkRepository: 2-255)
        ("ghcr.io/x", "2 to 255 characters"),
        (
            "Registry.example/Fn/X",
            "write the image name in lower case",
        ),
    ] {
        for cmd in ["pull", "run"] {
            let mut c = bin();
            c.args([cmd, image]);
            if cmd == "run" {
                // The image is checked before the package is read.
                c.arg("/nonexistent/package");
            }
            let a = c.write_stdin("").assert().failure().code(2);
            let line = one_error_line(&a);
            assert!(line.contains(needle), "{cmd} {image:?}: {line}");
        }
    }
}

/// THE config reader for a pull: go-containerregistry v0.20.6 `ParseConfigFile` rules (what
/// the runner's `img.ConfigFile()` does before every function pod): a type error fails the
/// pull with Go's words (exit 7); keys fold case; a config with no platform reports none.
#[test]
fn the_image_config_is_read_as_go_containerregistry_reads_it() {
    let reg = Registry::start(Auth::htpasswd("alice", "pw"), true);
    let mut bad = three_layer_image();
    bad.config["config"]["Entrypoint"] = serde_json::json!("/bin/fn --serve");
    reg.push("fn/bad", "v1", &bad);
    let mut folded = three_layer_image();
    folded.config = serde_json::json!({
        "config": {"entrypoint": ["/bin/fn"], "CMD": ["--serve"], "Cmd": null},
        "rootfs": folded.config["rootfs"].clone(),
    });
    reg.push("fn/folded", "v1", &folded);
    let env = Env::new();
    let auth = reg.auth_file(env.path());
    let ca = reg.ca_path();
    let args = [
        "--auth-file",
        auth.to_str().unwrap(),
        "--ca-file",
        ca.to_str().unwrap(),
        "-o",
        "json",
    ];
    let a = env
        .pull(&format!("{}/fn/bad:v1", reg.host()), &args)
        .failure()
        .code(7);
    let e = one_error_line(&a);
    assert!(
        e.contains("json: cannot unmarshal string into Go struct field Config.config.Entrypoint of type []string"),
        "{e}"
    );
    let a = env
        .pull(&format!("{}/fn/folded:v1", reg.host()), &args)
        .success();
    let v = json_of(&a);
    assert_eq!(v["config"]["entrypoint"], serde_json::json!(["/bin/fn"]));
    // The last of the case-folded keys wins: `Cmd: null` empties it.
    assert_eq!(v["config"]["cmd"], serde_json::json!([]));
    // No platform named: none reported (the library gives no default).
    assert_eq!(v["platform"], "");
}
