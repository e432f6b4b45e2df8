//! HTTPS API servers: a kubeconfig without `certificate-authority-data` trusts the system roots
//! (here `SSL_CERT_FILE`, which rustls-platform-verifier reads on Linux), loaded once per
//! process however many clusters a run visits; a kubeconfig CA is trusted instead of them; a
//! certificate nobody vouches for is refused (exit 5, one `error:` line, nothing sent).
//!
//! "Loaded once" is observed from outside the process: inotify counts the opens of the
//! roots file.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

use crate::cluster::porch_objects;
use crate::fake_api::FakeApi;
use crate::registry_support::TestCa;
use crate::support::bin;

/// Counts the opens of the files of one directory (inotify `IN_OPEN`), by any process.
struct OpenCounter {
    fd: i32,
}

impl OpenCounter {
    fn watch(dir: &Path) -> OpenCounter {
        // SAFETY: plain syscalls on a descriptor this struct owns.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        assert!(
            fd >= 0,
            "inotify_init1: {}",
            std::io::Error::last_os_error()
        );
        let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
        // Closes too: the kernel merges an event into an identical one still unread at the
        // queue's end, so opens seen back to back would count as one.
        let wd = unsafe {
            libc::inotify_add_watch(fd, path.as_ptr(), libc::IN_OPEN | libc::IN_CLOSE_NOWRITE)
        };
        assert!(
            wd >= 0,
            "inotify_add_watch {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        );
        OpenCounter { fd }
    }

    /// How often `name` was opened since the last call (the events queued so far).
    fn opens(&self, name: &str) -> usize {
        let header = std::mem::size_of::<libc::inotify_event>();
        let mut buf = vec![0u8; 64 * 1024];
        let mut count = 0;
        loop {
            // SAFETY: reads into a buffer of the length given.
            let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            let n = n as usize;
            let mut off = 0;
            while off + header <= n {
                // SAFETY: the kernel wrote a whole event at `off`; read it unaligned.
                let ev: libc::inotify_event =
                    unsafe { std::ptr::read_unaligned(buf[off..].as_ptr().cast()) };
                assert_eq!(
                    ev.mask & libc::IN_Q_OVERFLOW,
                    0,
                    "inotify queue overflowed: the count would be wrong"
                );
                let raw = &buf[off + header..off + header + ev.len as usize];
                let ev_name = raw.split(|b| *b == 0).next().unwrap_or_default();
                if ev.mask & libc::IN_OPEN != 0 && ev_name == name.as_bytes() {
                    count += 1;
                }
                off += header + ev.len as usize;
            }
        }
        count
    }
}

impl Drop for OpenCounter {
    fn drop(&mut self) {
        unsafe { libc::close(self.fd) };
    }
}

/// The system trust store of the runs below: one file holding `ca` (nothing else is read:
/// `SSL_CERT_DIR` is removed), in a directory of its own that an [`OpenCounter`] watches.
struct SystemRoots {
    dir: tempfile::TempDir,
}

const ROOTS_FILE: &str = "roots.pem";

impl SystemRoots {
    fn trusting(ca: &TestCa) -> SystemRoots {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(ROOTS_FILE), &ca.ca_pem).unwrap();
        SystemRoots { dir }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join(ROOTS_FILE)
    }
}

/// A cluster of a generated kubeconfig: its context name, server URL and the CA the
/// kubeconfig gives for it (`None`: none, so the system roots).
struct Context<'a> {
    name: &'a str,
    server: String,
    ca_pem: Option<&'a str>,
}

fn kubeconfig(dir: &Path, contexts: &[Context<'_>]) -> PathBuf {
    let mut text = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for c in contexts {
        text.push_str(&format!(
            "- name: {}\n  cluster:\n    server: {}\n",
            c.name, c.server
        ));
        if let Some(pem) = c.ca_pem {
            text.push_str(&format!(
                "    certificate-authority-data: {}\n",
                base64::engine::general_purpose::STANDARD.encode(pem)
            ));
        }
    }
    text.push_str("contexts:\n");
    for c in contexts {
        text.push_str(&format!(
            "- name: {0}\n  context:\n    cluster: {0}\n    user: {0}\n",
            c.name
        ));
    }
    text.push_str("users:\n");
    for c in contexts {
        text.push_str(&format!(
            "- name: {0}\n  user:\n    token: token-{0}\n",
            c.name
        ));
    }
    text.push_str(&format!("current-context: {}\n", contexts[0].name));
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

fn run(kubeconfig: &Path, roots: &SystemRoots, args: &[&str]) -> (i32, String, String) {
    let o = bin()
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env_remove("KUBECONFIG")
        .env_remove("SSL_CERT_DIR")
        .env("SSL_CERT_FILE", roots.file())
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn https_cluster(ca: &TestCa) -> FakeApi {
    porch_objects(FakeApi::start_tls(&ca.cert_pem, &ca.key_pem))
}

fn entries(stdout: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
        .as_array()
        .expect("one entry per context")
        .clone()
}

#[test]
fn https_clusters_load_the_system_roots_once_and_still_verify_each_server() {
    let system = TestCa::generate("system");
    let stranger = TestCa::generate("stranger");
    let roots = SystemRoots::trusting(&system);
    let trusted: Vec<FakeApi> = (0..6).map(|_| https_cluster(&system)).collect();
    let untrusted = https_cluster(&stranger);
    let names: Vec<String> = (0..6).map(|i| format!("https-{i}")).collect();
    let mut contexts: Vec<Context<'_>> = names
        .iter()
        .zip(&trusted)
        .map(|(n, api)| Context {
            name: n,
            server: api.url(),
            ca_pem: None,
        })
        .collect();
    contexts.push(Context {
        name: "untrusted",
        server: untrusted.url(),
        ca_pem: None,
    });
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), &contexts);
    let counter = OpenCounter::watch(roots.dir.path());
    let (code, stdout, stderr) = run(
        &kc,
        &roots,
        &["status", "--all-contexts", "--parallel", "3", "-o", "json"],
    );
    // Seven clusters, one process: the roots file was read once, not once per cluster.
    assert_eq!(
        counter.opens(ROOTS_FILE),
        1,
        "system roots loaded once per process\n{stderr}"
    );
    assert_eq!(
        code, 5,
        "the untrusted server is an API error\n{stdout}{stderr}"
    );
    let entries = entries(&stdout);
    assert_eq!(entries.len(), 7);
    for (name, api) in names.iter().zip(&trusted) {
        let e = entries.iter().find(|e| e["context"] == *name).unwrap();
        assert_eq!(e["exitCode"], 0, "{e}");
        assert_eq!(e["status"]["server"], api.url());
        assert!(
            api.requests()
                .iter()
                .any(|r| r.path.contains("/deployments/")),
            "{name} was read over HTTPS"
        );
    }
    let bad = entries
        .iter()
        .find(|e| e["context"] == "untrusted")
        .unwrap();
    assert_eq!(bad["exitCode"], 5, "{bad}");
    let message = bad["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("certificate") && message.contains(&untrusted.url()),
        "{message}"
    );
    assert!(
        untrusted.requests().is_empty(),
        "nothing is sent to a server whose certificate is refused"
    );
}

#[test]
fn an_untrusted_api_server_certificate_is_one_error_line_and_exit_5() {
    let system = TestCa::generate("system");
    let stranger = TestCa::generate("stranger");
    let roots = SystemRoots::trusting(&system);
    let api = https_cluster(&stranger);
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(
        dir.path(),
        &[Context {
            name: "untrusted",
            server: api.url(),
            ca_pem: None,
        }],
    );
    let (code, stdout, stderr) = run(&kc, &roots, &["status"]);
    assert_eq!(code, 5, "{stdout}{stderr}");
    assert_eq!(stdout, "");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains(&api.url()), "names the server: {stderr}");
    assert!(
        lines[0].contains("certificate-authority"),
        "says how to trust it: {stderr}"
    );
    assert!(api.requests().is_empty());
}

#[test]
fn a_kubeconfig_ca_replaces_the_system_roots_and_plain_http_loads_none() {
    let system = TestCa::generate("system");
    let private = TestCa::generate("private");
    let roots = SystemRoots::trusting(&system);
    // Signed by a private CA the kubeconfig names; the system roots do not know it.
    let own_ca = https_cluster(&private);
    // Signed by a system root, but the kubeconfig names another CA: kubectl trusts only the
    // kubeconfig's CA then, and so do we.
    let other_ca = https_cluster(&system);
    let plain = porch_objects(FakeApi::start());
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(
        dir.path(),
        &[
            Context {
                name: "own-ca",
                server: own_ca.url(),
                ca_pem: Some(&private.ca_pem),
            },
            Context {
                name: "other-ca",
                server: other_ca.url(),
                ca_pem: Some(&private.ca_pem),
            },
            Context {
                name: "plain",
                server: plain.url(),
                ca_pem: None,
            },
        ],
    );
    let counter = OpenCounter::watch(roots.dir.path());
    for ctx in ["own-ca", "plain"] {
        let (code, stdout, stderr) = run(&kc, &roots, &["status", "--context", ctx]);
        assert_eq!(code, 0, "{ctx}: {stdout}{stderr}");
        assert!(stdout.contains("function-runner"), "{ctx}: {stdout}");
    }
    let (code, stdout, stderr) = run(&kc, &roots, &["status", "--context", "other-ca"]);
    assert_eq!(code, 5, "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(other_ca.requests().is_empty());
    assert_eq!(
        counter.opens(ROOTS_FILE),
        0,
        "no run needed the system roots"
    );
}
