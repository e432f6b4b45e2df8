//! `run` end to end through the built binary: a busybox-static image with a shell-script
//! function, saved as an OCI layout by the test, run in the native sandbox (and podman), and
//! compared with `kpt fn eval --exec` of the same script.

use std::path::Path;

use serde_json::{Value, json};

use crate::registry_support::{Auth, Registry, TestImage};
use crate::support::{
    bin, busybox_image, busybox_layer, cache, gzip, package, sandbox_processes, script_layer,
};

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
    assert!(
        stderr.contains("\"krm-function\""),
        "own UTS namespace: {stderr}"
    );
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

/// Every file under `dir`: relative path -> bytes.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Parsed documents of every file (formatting and comments aside).
fn parsed(dir: &Path) -> std::collections::BTreeMap<String, Vec<Value>> {
    files(dir)
        .into_iter()
        .filter(|(k, _)| !k.starts_with('.'))
        .map(|(k, v)| {
            let docs: Vec<Value> =
                serde_saphyr::from_multiple(&String::from_utf8(v).unwrap()).unwrap();
            (k, docs.into_iter().filter(|d| !d.is_null()).collect())
        })
        .collect()
}

/// A real transforming function in busybox sh + awk: changes a value, drops ConfigMap `b`,
/// adds a ConfigMap without a path (kpt names its file), emits results, echoes functionConfig
/// data into an annotation, writes to stderr, exits with $FAILCODE (default 0).
const MUTATE: &str = r#"#!/bin/sh
awk '
/^- / { if (buf != "" && keep) printf "%s", buf; buf=""; keep=1; initem=1 }
/^functionConfig:/ || /^results:/ { if (initem) { if (buf != "" && keep) printf "%s", buf; buf="" }
  if (!added) { print "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: generated\n  data:\n    x: \"1\""
  print "results:\n- message: hello info\n  severity: info\n- message: bad thing\n  severity: error\n  resourceRef:\n    apiVersion: v1\n    kind: ConfigMap\n    name: a\n  field:\n    path: data.k"; added=1 }
  initem=0; skip=1 }
{ if (skip) next
  if (initem) { sub(/k: v$/, "k: changed # set by the function"); buf = buf $0 "\n"; if ($0 ~ /^    name: (b|d)$/) keep=0 } else print }
END { if (initem && buf != "" && keep) printf "%s", buf
  if (!added) { print "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: generated\n  data:\n    x: \"1\""
  print "results:\n- message: hello info\n  severity: info\n- message: bad thing\n  severity: error\n  resourceRef:\n    apiVersion: v1\n    kind: ConfigMap\n    name: a\n  field:\n    path: data.k" } }
'
echo "some stderr" >&2
exit ${FAILCODE:-0}
"#;

/// Two resources the function changes, with sequences in both indentation styles, quotes, a
/// comment and a non-layout annotation.
const MULTI: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m1\n  annotations:\n    keep: \"yes\" # input comment\ndata:\n  k: v\nlist:\n- a\n- b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m2\ndata:\n  k: v\nnested:\n  items:\n    - x\n    - 'y'\n";

#[test]
fn result_equals_kpt_fn_eval_exec_of_the_same_function() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), MUTATE);
    let ours = package(t.path());
    std::fs::write(ours.join("multi.yaml"), MULTI).unwrap();
    let theirs = t.path().join("kpt-pkg");
    std::fs::create_dir(&theirs).unwrap();
    for (rel, bytes) in files(&ours) {
        let p = theirs.join(&rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let script = t.path().join("fn.sh");
    std::fs::write(&script, MUTATE).unwrap();
    let kpt = std::process::Command::new("kpt")
        .args(["fn", "eval", theirs.to_str().unwrap(), "--exec"])
        .arg(format!("/bin/busybox sh {}", script.display()))
        .output()
        .expect("kpt is installed");
    assert!(
        kpt.status.success(),
        "{}",
        String::from_utf8_lossy(&kpt.stderr)
    );
    let out = bin()
        .args([
            "run",
            &img,
            ours.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(parsed(&ours), parsed(&theirs));
    // Byte for byte, every file: the function gets the files' own text (comments, quotes,
    // sequence indentation), its output is written back as kpt writes it.
    let (mine, kpts) = (files(&ours), files(&theirs));
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        kpts.keys().collect::<Vec<_>>()
    );
    for (rel, bytes) in &mine {
        let (a, b) = (
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&kpts[rel]),
        );
        assert_eq!(a, b, "{rel}: ours\n{a}\nkpt\n{b}");
    }
    assert!(
        mine["cm.yaml"].ends_with(b"  k: changed # set by the function\n"),
        "the function's comment in a changed resource survives"
    );
    // And the parts that prove something happened.
    let p = parsed(&ours);
    assert!(p.contains_key("configmap_generated.yaml"), "{:?}", p.keys());
    assert_eq!(p["cm.yaml"].len(), 1, "ConfigMap b removed");
    assert_eq!(p["cm.yaml"][0]["data"]["k"], "changed");
    assert!(
        !ours.join("sub/d.yml").exists(),
        "file whose resources all went is deleted"
    );
    assert!(!theirs.join("sub/d.yml").exists());
    assert_eq!(
        std::fs::read_to_string(ours.join("Kptfile")).unwrap(),
        "# the package\napiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg # inline\n",
        "unchanged files keep their bytes (comments included)"
    );
    assert!(
        ours.join("ignored.yaml").exists(),
        ".krmignore'd file untouched"
    );
    // The report matches kpt's lines for the same results and stderr.
    let kpt_err = String::from_utf8_lossy(&kpt.stderr);
    for line in [
        "  Results:",
        "    [info]: hello info",
        "    [error] v1/ConfigMap/a data.k: bad thing",
        "  Stderr:",
        "    \"some stderr\"",
    ] {
        assert!(kpt_err.contains(line), "kpt: {kpt_err}");
        assert!(stderr.contains(line), "ours: {stderr}");
    }
}

#[test]
fn failing_function_leaves_the_package_untouched_and_reports_like_kpt() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), &MUTATE.replace("${FAILCODE:-0}", "3"));
    let pkg = package(t.path());
    let before = files(&pkg);
    let results = t.path().join("results");
    let out = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
        ])
        .arg("--results-dir")
        .arg(&results)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert_eq!(files(&pkg), before, "package untouched");
    assert!(stderr.contains("[FAIL]"), "{stderr}");
    assert!(stderr.contains("  Exit code: 3"), "{stderr}");
    assert!(
        stderr.contains("    [error] v1/ConfigMap/a data.k: bad thing"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{stderr}"
    );
    let rl: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(results.join("results.yaml")).unwrap())
            .unwrap();
    assert_eq!(rl["apiVersion"], "kpt.dev/v1");
    assert_eq!(rl["kind"], "FunctionResultList");
    assert_eq!(rl["exitCode"], 1);
    assert_eq!(rl["items"][0]["image"], Value::String(img.clone()));
    assert_eq!(rl["items"][0]["exitCode"], 3);
    assert_eq!(rl["items"][0]["stderr"], "some stderr\n");
    assert_eq!(rl["items"][0]["results"][1]["severity"], "error");
}

#[test]
fn timeout_kills_the_whole_process_tree() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\n(sleep 987651 &) ; sleep 987652 & sh -c 'setsid sleep 987653' & sleep 987654\n",
    );
    let pkg = package(t.path());
    let before = files(&pkg);
    let out = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
        ])
        .args(["--timeout", "1s"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(9), "{stderr}");
    assert!(stderr.contains("did not finish within 1s"), "{stderr}");
    assert_eq!(files(&pkg), before);
    // The kernel tears the PID namespace down: give it a moment, then nothing is left.
    let mut left = Vec::new();
    for _ in 0..50 {
        left = sandbox_processes("sleep 98765");
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn network_is_off_unless_asked_for() {
    let t = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            drop(s);
        }
    });
    let img = busybox_image(
        t.path(),
        &format!(
            "#!/bin/sh\necho \"hosts:$(head -1 /etc/hosts)\" >&2\nif nc 127.0.0.1 {port} </dev/null; then echo reached >&2; else echo no-network >&2; exit 7; fi\nexec cat\n"
        ),
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
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(
        stderr.contains("no-network") && stderr.contains("Exit code: 7"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"hosts:\""),
        "the image's own (empty) /etc/hosts: {stderr}"
    );
    let out = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
            "-o",
            "stdout",
            "--network",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("reached"), "{stderr}");
    // The host's name resolution comes along with the host network.
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let first = hosts.lines().next().unwrap_or_default();
    assert!(
        stderr.contains(&format!("{:?}", format!("hosts:{first}"))),
        "{stderr}"
    );
}

#[test]
fn only_tmp_is_writable_and_the_cached_root_stays_clean() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\necho x > /tmp/ok || exit 9\nfor f in /etc/pwned /pwned /fn.sh /bin/busybox /proc/sys/kernel/hostname; do\n  if echo x > $f; then echo \"wrote $f\" >&2; exit 5; fi\ndone\nif touch /etc/pwned2; then exit 6; fi\nexec cat\n",
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
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    // And a function that does write outside /tmp fails.
    let img2 = busybox_image(
        &t.path().join("second"),
        "#!/bin/sh\nset -e\necho x > /etc/pwned\nexec cat\n",
    );
    let out = bin()
        .args([
            "run",
            &img2,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
            "-o",
            "stdout",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8));
    let roots = t.path().join("cache/rootfs");
    for e in std::fs::read_dir(&roots).unwrap().flatten() {
        assert!(!e.path().join("etc/pwned").exists());
        assert!(!e.path().join("tmp/ok").exists());
        assert!(!e.path().join("pwned").exists());
    }
}

#[test]
fn stdin_mode_fn_args_and_output_modes() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\necho \"GREETING=$GREETING HOME=$HOME\" >&2\nexec cat\n",
    );
    let c = cache(t.path());
    // Plain YAML on stdin: items without a path get kpt's default one (`<kind>_<name>`, the
    // kind lower-cased); output is a ResourceList on stdout, without the functionConfig (as
    // `kpt fn eval -` prints it).
    let out = bin()
        .args([
            "run",
            &img,
            "-",
            "--cache-dir",
            &c,
            "-e",
            "GREETING=hi",
            "--",
            "a=b",
            "c=d",
        ])
        .write_stdin("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: A\ndata:\n  k: v\n")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("GREETING=hi HOME=/"), "{stderr}");
    let rl: Value = serde_saphyr::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let item = &rl["items"][0];
    assert_eq!(
        item["metadata"]["annotations"]["config.kubernetes.io/path"],
        "configmap_A.yaml"
    );
    assert_eq!(rl["functionConfig"], Value::Null);
    // A ResourceList on stdin keeps its functionConfig; -o unwrap prints plain YAML.
    let out = bin()
        .args(["run", &img, "-", "--cache-dir", &c, "-o", "unwrap"])
        .write_stdin("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n    annotations:\n      config.kubernetes.io/path: x.yaml\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(
        docs,
        vec![json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})]
    );
    // -o DIR writes the package to a new directory and refuses an existing one.
    let pkg = package(t.path());
    let before = files(&pkg);
    let dest = t.path().join("out");
    let out = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &c,
            "-o",
            dest.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(files(&pkg), before);
    let written: Vec<_> = files(&dest).into_keys().collect();
    assert_eq!(written, vec!["Kptfile", "cm.yaml", "sub/d.yml"]);
    let again = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &c,
            "-o",
            dest.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    // --fn-config and KEY=VALUE together are refused.
    let cfg = t.path().join("cfg.yaml");
    std::fs::write(
        &cfg,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &c,
            "--fn-config",
        ])
        .arg(&cfg)
        .args(["--", "a=b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: --fn-config"));
}

#[test]
fn output_outside_the_package_is_refused_and_nothing_written() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\nsed -e \"s#config.kubernetes.io/path: 'sub/d.yml'#config.kubernetes.io/path: '../escaped.yaml'#\" -e 's#k: v$#k: changed#'\n",
    );
    let pkg = package(t.path());
    let before = files(&pkg);
    let out = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("outside of package"), "{stderr}");
    assert_eq!(files(&pkg), before);
    assert!(!t.path().join("escaped.yaml").exists());
}

#[test]
fn bind_mounts_as_kpt() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("hostdata");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("in.txt"), "from-host").unwrap();
    std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\ncat /data/in.txt >&2\nif echo x > /data/new; then echo writable >&2; else echo readonly >&2; fi\nexec cat\n",
    );
    let pkg = package(t.path());
    let mount = format!("type=bind,source={},target=/data", data.display());
    let out = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
            "-o",
            "stdout",
            "--mount",
            &mount,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("from-host") && stderr.contains("readonly"),
        "{stderr}"
    );
    let out = bin()
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
            "-o",
            "stdout",
            "--mount",
            &format!("{mount},rw=true"),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("writable"), "{stderr}");
    assert!(data.join("new").exists());
}

#[test]
fn podman_runtime_runs_the_same_image() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), "#!/bin/sh\nid -u >&2\nexec cat\n");
    let pkg = package(t.path());
    // This machine's podman needs runc and no default ulimits (see bench/run.sh).
    let conf = t.path().join("containers.conf");
    std::fs::write(
        &conf,
        "[containers]\ndefault_ulimits = []\n[engine]\nruntime = \"runc\"\n",
    )
    .unwrap();
    let native = bin()
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
    let podman = bin()
        .env("CONTAINERS_CONF", &conf)
        .args([
            "run",
            &img,
            pkg.to_str().unwrap(),
            "--runtime",
            "podman",
            "-o",
            "stdout",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&podman.stderr);
    assert!(podman.status.success(), "{stderr}");
    assert!(stderr.contains("\"65534\""), "{stderr}");
    assert_eq!(native.stdout, podman.stdout);
}

#[test]
fn private_function_from_a_tls_registry_with_basic_auth() {
    let t = tempfile::tempdir().unwrap();
    let reg = Registry::start(Auth::htpasswd("robot", "s3cret-pass"), true);
    let image = TestImage::new(
        "linux/amd64",
        &["/bin/sh", "/fn.sh"],
        vec![
            gzip(&busybox_layer()),
            gzip(&script_layer(
                "#!/bin/sh\necho pulled-and-ran >&2\nexec cat\n",
            )),
        ],
    );
    reg.push("fn/cat", "v1", &image);
    let reference = format!("{}/fn/cat:v1", reg.host());
    let auth = reg.auth_file(t.path());
    let pkg = package(t.path());
    let run = |extra: &[&str]| {
        bin()
            .args([
                "run",
                &reference,
                pkg.to_str().unwrap(),
                "--cache-dir",
                &cache(t.path()),
                "-o",
                "stdout",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[
        "--auth-file",
        auth.to_str().unwrap(),
        "--ca-file",
        reg.ca_path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("pulled-and-ran"), "{stderr}");
    assert!(!stderr.contains("s3cret-pass"));
    let rl: Value = serde_saphyr::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(rl["items"].as_array().unwrap().len(), 4);
    // Without the CA the pull fails before anything runs, with one error line (`always`: the
    // default `ifNotPresent` would run the cached image without asking the registry).
    let out = run(&[
        "--auth-file",
        auth.to_str().unwrap(),
        "--image-pull-policy",
        "always",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!stderr.contains("[RUNNING]"), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{stderr}"
    );
}

#[test]
fn as_current_user_maps_the_invoking_uid() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), "#!/bin/sh\nid -u >&2\nexec cat\n");
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
            "--as-current-user",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let uid = nix::unistd::getuid().as_raw();
    assert!(stderr.contains(&format!("\"{uid}\"")), "{stderr}");
}

#[test]
fn a_function_moving_a_resource_with_the_legacy_annotation_matches_kpt() {
    let t = tempfile::tempdir().unwrap();
    let script = "#!/bin/sh\nsed -e 's#^      config.kubernetes.io/path: .*d.yml.*#      config.kubernetes.io/path: moved.yaml#'\n";
    let img = busybox_image(t.path(), script);
    let ours = package(t.path());
    let theirs = t.path().join("kpt-pkg");
    for (rel, bytes) in files(&ours) {
        let p = theirs.join(&rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let fn_path = t.path().join("fn.sh");
    std::fs::write(&fn_path, script).unwrap();
    let kpt = std::process::Command::new("kpt")
        .args(["fn", "eval", theirs.to_str().unwrap(), "--exec"])
        .arg(format!("/bin/busybox sh {}", fn_path.display()))
        .output()
        .expect("kpt is installed");
    assert!(
        kpt.status.success(),
        "{}",
        String::from_utf8_lossy(&kpt.stderr)
    );
    let out = bin()
        .args([
            "run",
            &img,
            ours.to_str().unwrap(),
            "--cache-dir",
            &cache(t.path()),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ours.join("moved.yaml").exists() && !ours.join("sub/d.yml").exists());
    assert_eq!(parsed(&ours), parsed(&theirs));
}

/// User errors in `run`'s output flags and mounts: exit 2, one error line, and the package as it
/// was (a --results-dir that is a file is refused before the function runs and writes).
#[test]
fn bad_results_dir_and_mounts_are_usage_errors_and_change_nothing() {
    let t = tempfile::tempdir().unwrap();
    // A function that changes the package, so a write would show.
    let img = busybox_image(t.path(), "#!/bin/sh\nsed 's/k: v/k: changed/'\n");
    let pkg = package(t.path());
    let before = files(&pkg);
    let a_file = t.path().join("results-file");
    std::fs::write(&a_file, "keep").unwrap();
    let host = t.path().join("hostdata");
    std::fs::create_dir(&host).unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--results-dir".into(), a_file.display().to_string()],
            "is a file, not a directory",
        ),
        (
            vec![
                "--mount".into(),
                format!("type=bind,source={},target=/nonexistent", host.display()),
            ],
            "--mount target /nonexistent does not exist in the image",
        ),
        (
            vec![
                "--mount".into(),
                format!("type=bind,source={},target=/tmp/x", a_file.display()),
            ],
            "is not a directory",
        ),
    ];
    for (extra, needle) in cases {
        let out = bin()
            .args(["run", &img, pkg.to_str().unwrap(), "--cache-dir"])
            .arg(cache(t.path()))
            .args(&extra)
            .write_stdin("")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(errors[0].contains(needle), "{extra:?}: {stderr}");
        assert!(out.stdout.is_empty());
        assert_eq!(files(&pkg), before, "{extra:?}: the package changed");
        assert_eq!(std::fs::read_to_string(&a_file).unwrap(), "keep");
    }
}

/// Renames ConfigMap `first` and changes `hello: world` (only in the files holding them).
const RENAME: &str = r#"#!/bin/sh
sed -e 's/^    name: first /    name: renamed /' -e 's/hello: world/hello: there # changed/'
"#;

/// A package with comments everywhere (head, inline, foot, between documents), blank lines,
/// both sequence indentation styles, odd indentation, quotes and flow maps; `other.yaml` the
/// function does not change.
const COMMENTED: &[(&str, &str)] = &[
    (
        "Kptfile",
        "# the package\napiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n    name: pkg   # inline\n\ninfo:\n  description: commented\n",
    ),
    (
        "cm.yaml",
        "# config maps\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: first   # first one\n    labels: {a: b,   c: d}\ndata:\n    text: |\n      two\n      lines\n    hello: world\n\n\n    other: 'keep'\n# foot of first\n--- # second\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\ndata:\n  hello: world # inline\n  # the end of second\nlist:\n    - a\n    - \"b\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx  # the image\n\n        # ports\n        ports:\n          - containerPort: 80\n",
    ),
    (
        "sub/other.yaml",
        "# untouched by the function\napiVersion: v1\nkind: Secret\nmetadata:\n      name: s\n\n\nstringData:\n    z:   \"q\"   # spaced\nitems:\n    - x\n",
    ),
];

#[test]
fn commented_package_written_back_byte_identical_to_kpt_fn_eval() {
    let t = tempfile::tempdir().unwrap();
    let reg = Registry::start(Auth::htpasswd("robot", "run-pass"), true);
    let image = TestImage::new(
        "linux/amd64",
        &["/bin/sh", "/fn.sh"],
        vec![gzip(&busybox_layer()), gzip(&script_layer(RENAME))],
    );
    reg.push("fn/rename", "v1", &image);
    let img = format!("{}/fn/rename:v1", reg.host());
    let script = t.path().join("rename.sh");
    std::fs::write(&script, RENAME).unwrap();
    let auth = reg.auth_file(t.path());
    let write = |root: &Path| {
        let _ = std::fs::remove_dir_all(root);
        for (rel, text) in COMMENTED {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    };
    // `extra` are the output flags; `out` a directory given with -o (relative to the case).
    let case = |name: &str, extra: &[&str]| {
        let (kd, od) = (
            t.path().join("kpt").join(name),
            t.path().join("ours").join(name),
        );
        write(&kd.join("pkg"));
        write(&od.join("pkg"));
        let kpt = std::process::Command::new("kpt")
            .current_dir(&kd)
            .args(["fn", "eval", "pkg", "--exec"])
            .arg(format!("/bin/busybox sh {}", script.display()))
            .args(extra)
            .output()
            .expect("kpt is installed");
        assert!(
            kpt.status.success(),
            "{}",
            String::from_utf8_lossy(&kpt.stderr)
        );
        let ours = bin()
            .current_dir(&od)
            .args(["run", &img, "pkg", "--cache-dir", &cache(t.path())])
            .arg("--auth-file")
            .arg(&auth)
            .arg("--ca-file")
            .arg(reg.ca_path())
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&ours.stderr);
        assert!(ours.status.success(), "{name}: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&kpt.stdout),
            "{name}: stdout"
        );
        let (mine, kpts) = (files(&od), files(&kd));
        assert_eq!(
            mine.keys().collect::<Vec<_>>(),
            kpts.keys().collect::<Vec<_>>(),
            "{name}"
        );
        for (rel, bytes) in &mine {
            let (a, b) = (
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&kpts[rel]),
            );
            assert_eq!(a, b, "{name} {rel}: ours\n{a}\nkpt\n{b}");
        }
        (mine, String::from_utf8_lossy(&ours.stdout).into_owned())
    };
    let (inplace, _) = case("inplace", &[]);
    // Something happened, and the comments are still there.
    let cm = String::from_utf8_lossy(&inplace["pkg/cm.yaml"]).into_owned();
    assert!(cm.contains("name: renamed # first one"), "{cm}");
    assert!(cm.contains("hello: there # changed"), "{cm}");
    assert!(cm.starts_with("# config maps\n"), "{cm}");
    assert!(cm.contains("# the end of second"), "{cm}");
    assert!(cm.contains("# ports"), "{cm}");
    // kpt formats the file the function did not change too.
    let other = String::from_utf8_lossy(&inplace["pkg/sub/other.yaml"]).into_owned();
    assert_ne!(other, COMMENTED[2].1);
    assert!(
        other.starts_with("# untouched by the function\n"),
        "{other}"
    );
    let (_, stdout) = case("stdout", &["-o", "stdout"]);
    assert!(stdout.contains("kind: ResourceList"), "{stdout}");
    let (_, unwrapped) = case("unwrap", &["-o", "unwrap"]);
    assert!(
        unwrapped.contains("name: renamed # first one"),
        "{unwrapped}"
    );
    let (dir, _) = case("dir", &["-o", "out"]);
    assert!(dir.contains_key("out/cm.yaml"), "{:?}", dir.keys());
}

/// Results and stderr of every kind kpt prints: more than four of each (kpt truncates them
/// by default), quotes, a tab, a non-ASCII letter, a control character and a byte that is
/// not UTF-8 in stderr; exit code $CODE (0: the function passes).
const REPORTER: &str = r#"#!/bin/sh
cat
printf 'results:\n'
for i in 1 2 3 4 5 6; do
  printf -- '- message: "result %s"\n  severity: warning\n  resourceRef:\n    apiVersion: v1\n    kind: ConfigMap\n    name: a\n    namespace: ns\n  field:\n    path: data.k\n' "$i"
done
for i in 1 2 3 4 5; do printf 'line %s "q" \t\303\251 \001 \377\n' "$i" >&2; done
exit CODE
"#;

/// kpt's lines with the function's name swapped and durations gone; our `error:` line and
/// kpt's `Error:` line dropped (the one place the tools differ on purpose).
fn report_lines(stderr: &[u8], from: &str, to: &str) -> String {
    String::from_utf8_lossy(stderr)
        .replace(from, to)
        .lines()
        .filter(|l| !l.starts_with("error: ") && !l.starts_with("Error: "))
        .map(|l| match l.rfind(" in ") {
            Some(i) if l.starts_with("[PASS]") || l.starts_with("[FAIL]") => {
                format!("{} in <t>", &l[..i])
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn running_pass_and_fail_lines_equal_kpt_fn_eval_exec_byte_for_byte() {
    let t = tempfile::tempdir().unwrap();
    for code in [0, 3] {
        let script_text = REPORTER.replace("CODE", &code.to_string());
        let dir = t.path().join(format!("code{code}"));
        std::fs::create_dir_all(&dir).unwrap();
        let img = busybox_image(&dir, &script_text);
        let script = dir.join("fn.sh");
        std::fs::write(&script, &script_text).unwrap();
        let exec = format!("/bin/busybox sh {}", script.display());
        for extra in [
            &[][..],
            &["--truncate-output=false"],
            &["--match-kind", "ConfigMap"],
            &["--results-dir", "RES"],
        ] {
            let mut got = Vec::new();
            for kpt in [true, false] {
                let pkg = package(&dir.join(if kpt { "kpt" } else { "ours" }));
                let res = dir.join(if kpt { "kpt-res" } else { "ours-res" });
                let _ = std::fs::remove_dir_all(&res);
                let args: Vec<String> = extra
                    .iter()
                    .map(|a| a.replace("RES", res.to_str().unwrap()))
                    .collect();
                let out = if kpt {
                    std::process::Command::new("kpt")
                        .args(["fn", "eval", pkg.to_str().unwrap(), "--exec", &exec])
                        .args(&args)
                        .output()
                        .expect("kpt is installed")
                } else {
                    bin()
                        .args(["run", &img, pkg.to_str().unwrap(), "--cache-dir"])
                        .arg(cache(t.path()))
                        .args(&args)
                        .output()
                        .unwrap()
                };
                let results = std::fs::read_to_string(res.join("results.yaml"))
                    .ok()
                    .map(|r| {
                        r.replace(&format!("image: {img}"), &format!("exec: {exec}"))
                            .replace(res.to_str().unwrap(), "RES")
                    });
                let lines =
                    report_lines(&out.stderr, &img, &exec).replace(res.to_str().unwrap(), "RES");
                got.push((out.status.code(), lines, results));
            }
            let (ours, kpt) = (got.pop().unwrap(), got.pop().unwrap());
            assert_eq!(ours.1, kpt.1, "code {code} {extra:?}: stderr differs");
            assert_eq!(ours.2, kpt.2, "code {code} {extra:?}: results differ");
            assert_eq!(kpt.0, Some(if code == 0 { 0 } else { 1 }), "{}", kpt.1);
            assert_eq!(ours.0, Some(if code == 0 { 0 } else { 8 }), "{}", ours.1);
            // What the comparison rests on.
            let truncated = ours.1.contains("...(2 line(s) truncated");
            assert_eq!(
                truncated,
                extra.is_empty() || extra[0] != "--truncate-output=false"
            );
            assert!(
                ours.1
                    .contains("    \"line 1 \\\"q\\\" \\t\u{e9} \\x01 \\xff\""),
                "{}",
                ours.1
            );
            assert!(
                ours.1
                    .contains("    [warning] v1/ConfigMap/ns/a data.k: result 1"),
                "{}",
                ours.1
            );
            assert_eq!(
                ours.1.contains(" on 2 resource(s)"),
                extra.first() == Some(&"--match-kind")
            );
            assert_eq!(ours.1.contains("Exit code: 3"), code == 3);
            // Not UTF-8: go-yaml's `!!binary`, base64 in lines of 70.
            if let Some(r) = &ours.2 {
                assert!(
                    r.contains("    stderr: !!binary |\n      bGluZSAxICJxIiAJw6kgASD/Cmxp"),
                    "{r}"
                );
            }
        }
    }
}

#[test]
fn output_through_a_symlinked_directory_is_refused_naming_the_function_output() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(
        t.path(),
        "#!/bin/sh\nsed \"s#path: 'cm.yaml'#path: 'link/cm.yaml'#\"\n",
    );
    let pkg = package(t.path());
    let outside = t.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, pkg.join("link")).unwrap();
    let before = files(&pkg);
    let out = bin()
        .args(["run", &img, pkg.to_str().unwrap(), "--cache-dir"])
        .arg(cache(t.path()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("the function's output writes link/cm.yaml through the symlink")
            && errors[0].ends_with("nothing was written"),
        "{stderr}"
    );
    // The function itself passed (kpt prints [PASS] before it writes).
    assert!(stderr.contains("[PASS]"), "{stderr}");
    assert_eq!(files(&pkg), before, "package untouched");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

/// Documents whose foot comment follows a blank line (one in each file of a package of two
/// files, the last one last of all) and one without a blank line.
const FOOTED: &[(&str, &str)] = &[
    (
        "a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  hello: world\n\n# foot of a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: v\n  # foot of b, no blank line\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n\n# foot of c, last in its file\n",
    ),
    (
        "b.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  hello: world\n\n  # foot of d, the last one\n",
    ),
];

#[test]
fn document_foot_comments_in_every_output_mode_match_kpt_fn_eval() {
    // kpt moves a document's foot comment onto the next resource in a ResourceList
    // (go-yaml's emitter writes the pending foot after the next `-`), so `-o stdout`,
    // `-o unwrap` and `-o DIR` show it there and drop the last one; in place it stays.
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), RENAME_HELLO);
    let script = t.path().join("fn.sh");
    std::fs::write(&script, RENAME_HELLO).unwrap();
    let mut got = std::collections::BTreeMap::new();
    for extra in [
        &[][..],
        &["-o", "stdout"],
        &["-o", "unwrap"],
        &["-o", "out"],
    ] {
        let mut runs = Vec::new();
        for kpt in [true, false] {
            let dir = t.path().join(if kpt { "kpt" } else { "ours" });
            let _ = std::fs::remove_dir_all(&dir);
            for (rel, text) in FOOTED {
                let p = dir.join("pkg").join(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            }
            let out = if kpt {
                std::process::Command::new("kpt")
                    .current_dir(&dir)
                    .args(["fn", "eval", "pkg", "--exec"])
                    .arg(format!("/bin/busybox sh {}", script.display()))
                    .args(extra)
                    .output()
                    .expect("kpt is installed")
            } else {
                bin()
                    .current_dir(&dir)
                    .args(["run", &img, "pkg", "--cache-dir", &cache(t.path())])
                    .args(extra)
                    .output()
                    .unwrap()
            };
            assert!(
                out.status.success(),
                "{extra:?} kpt={kpt}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            runs.push((String::from_utf8(out.stdout).unwrap(), files(&dir)));
        }
        let (ours, kpt) = (runs.pop().unwrap(), runs.pop().unwrap());
        assert_eq!(ours.0, kpt.0, "{extra:?}: stdout");
        assert_eq!(
            ours.1.keys().collect::<Vec<_>>(),
            kpt.1.keys().collect::<Vec<_>>(),
            "{extra:?}"
        );
        for (rel, bytes) in &ours.1 {
            let (a, b) = (
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&kpt.1[rel]),
            );
            assert_eq!(a, b, "{extra:?} {rel}: ours\n{a}\nkpt\n{b}");
        }
        got.insert(extra.join(" "), ours);
    }
    // What the comparison rests on.
    let stdout = &got["-o stdout"].0;
    assert!(
        stdout.contains("    k: v\n-\n# foot of c, last in its file\n  apiVersion: v1\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\n\n# foot of d, the last one\n"),
        "{stdout}"
    );
    let unwrapped = &got["-o unwrap"].0;
    assert!(
        unwrapped.contains("---\n# foot of c, last in its file\napiVersion: v1\n"),
        "{unwrapped}"
    );
    assert!(!unwrapped.contains("the last one"), "{unwrapped}");
    let b = String::from_utf8_lossy(&got["-o out"].1["out/b.yaml"]).into_owned();
    assert!(b.starts_with("# foot of c, last in its file\n"), "{b}");
    let a = String::from_utf8_lossy(&got[""].1["pkg/a.yaml"]).into_owned();
    assert!(
        a.contains("  k: v\n\n# foot of c, last in its file\n"),
        "{a}"
    );
}

/// Changes `hello: world` (so the function's output goes through kpt's comment copier).
const RENAME_HELLO: &str = "#!/bin/sh\nsed 's/hello: world/hello: there/'\n";

/// One line of stderr per sample character (Go's `strconv.IsPrint` decides which `%q`
/// escapes): U+00A0, U+0085, U+FEFF, U+200B, U+E000, U+1F600, U+10FFFF, a control character,
/// a combining mark, characters new in Unicode 15.0 (U+1FAE8, U+31350) and ones it does not
/// have (U+1FAE9, U+2FFC, U+0378, U+2EBF0), U+00AD, U+3000, U+2028.
const SAMPLES: &str = "#!/bin/sh\ncat\nprintf 'nbsp \\302\\240|nel \\302\\205|bom \\357\\273\\277|zw \\342\\200\\213|pua \\356\\200\\200|emoji \\360\\237\\230\\200|max \\364\\217\\277\\277|ctl \\001|comb e\\314\\201|new \\360\\237\\253\\250 \\360\\261\\215\\220|none \\360\\237\\253\\251 \\342\\277\\274 \\315\\270 \\360\\256\\257\\260|shy \\302\\255|ideo \\343\\200\\200|ls \\342\\200\\250\\n' | tr '|' '\\n' >&2\n";

#[test]
fn stderr_characters_are_quoted_with_go_s_is_print_like_kpt() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), SAMPLES);
    let script = t.path().join("fn.sh");
    std::fs::write(&script, SAMPLES).unwrap();
    let exec = format!("/bin/busybox sh {}", script.display());
    let pkg = package(&t.path().join("kpt"));
    let kpt = std::process::Command::new("kpt")
        .args(["fn", "eval", pkg.to_str().unwrap(), "--exec", &exec])
        .arg("--truncate-output=false")
        .output()
        .expect("kpt is installed");
    assert!(
        kpt.status.success(),
        "{}",
        String::from_utf8_lossy(&kpt.stderr)
    );
    let pkg = package(&t.path().join("ours"));
    let ours = bin()
        .args(["run", &img, pkg.to_str().unwrap(), "--cache-dir"])
        .arg(cache(t.path()))
        .arg("--truncate-output=false")
        .output()
        .unwrap();
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let (a, b) = (
        report_lines(&ours.stderr, &img, &exec),
        report_lines(&kpt.stderr, &exec, &exec),
    );
    assert_eq!(a, b);
    // What the comparison rests on (Go 1.23.6, Unicode 15.0.0).
    for line in [
        r#"    "nbsp \u00a0""#,
        r#"    "nel \u0085""#,
        r#"    "bom \ufeff""#,
        r#"    "zw \u200b""#,
        r#"    "pua \ue000""#,
        "    \"emoji \u{1f600}\"",
        r#"    "max \U0010ffff""#,
        r#"    "ctl \x01""#,
        "    \"comb e\u{301}\"",
        "    \"new \u{1fae8} \u{31350}\"",
        r#"    "none \U0001fae9 \u2ffc \u0378 \U0002ebf0""#,
        r#"    "shy \u00ad""#,
        r#"    "ideo \u3000""#,
        r#"    "ls \u2028""#,
    ] {
        assert!(a.lines().any(|l| l == line), "{line}\n{a}");
    }
}

/// Replace the image config of the `oci:DIR` layout with `config` (new config, manifest and
/// index, digests kept consistent).
fn with_config(img: &str, config: &[u8]) {
    let layout = Path::new(img.trim_start_matches("oci:")).to_path_buf();
    let sha = |b: &[u8]| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b));
    let write = |b: &[u8]| {
        let h = sha(b);
        std::fs::write(layout.join("blobs/sha256").join(&h), b).unwrap();
        (format!("sha256:{h}"), b.len())
    };
    let mut index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let md = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let mut manifest: Value = serde_json::from_slice(
        &std::fs::read(
            layout
                .join("blobs/sha256")
                .join(md.trim_start_matches("sha256:")),
        )
        .unwrap(),
    )
    .unwrap();
    let (cd, cs) = write(config);
    manifest["config"]["digest"] = json!(cd);
    manifest["config"]["size"] = json!(cs);
    let (md, ms) = write(&serde_json::to_vec(&manifest).unwrap());
    index["manifests"][0]["digest"] = json!(md);
    index["manifests"][0]["size"] = json!(ms);
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
}

/// THE config reader for an OCI layout too: go-containerregistry's rules, so a config whose
/// Entrypoint is a string (which the runner's `img.ConfigFile()` refuses) is one error line,
/// exit 2, nothing run; a lower-case key (Go folds case) and a missing platform still run.
#[test]
fn an_oci_layouts_config_is_read_as_go_containerregistry_reads_it() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), "#!/bin/sh\nexec cat\n");
    let pkg = package(t.path());
    let run = || {
        bin()
            .args([
                "run",
                &img,
                pkg.to_str().unwrap(),
                "--cache-dir",
                &cache(t.path()),
            ])
            .args(["-o", "stdout"])
            .output()
            .unwrap()
    };
    with_config(
        &img,
        br#"{"architecture":"amd64","os":"linux","config":{"Entrypoint":"/bin/sh /fn.sh","Env":["PATH=/bin"]}}"#,
    );
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ")
            && stderr.contains("json: cannot unmarshal string into Go struct field Config.config.Entrypoint of type []string"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // Keys fold case as in Go; no os/architecture: run as linux/amd64 (the layout default).
    with_config(
        &img,
        br#"{"config":{"entrypoint":["/bin/sh","/fn.sh"],"env":["PATH=/bin"],"workingdir":"/"}}"#,
    );
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("[PASS]"), "{stderr}");
}

#[test]
fn a_surrogate_escape_in_the_output_fails_the_function_like_kpt_fn_eval() {
    // go-yaml's scanner refuses `\udbff` and `\ud800\udc00` (it never joins a pair) in a
    // double-quoted scalar: kpt fails the function and writes nothing; we exit 8 with one
    // `[FAIL]` and one `error:` line naming the same scanner error.
    for esc in ["\\\\udbff", "\\\\ud800\\\\udc00"] {
        let t = tempfile::tempdir().unwrap();
        let script = format!("#!/bin/sh\nsed 's/k: v$/k: \"{esc}\"/'\n");
        let img = busybox_image(t.path(), &script);
        let ours = package(t.path());
        let theirs = t.path().join("kpt-pkg");
        std::fs::create_dir(&theirs).unwrap();
        for (rel, bytes) in files(&ours) {
            let p = theirs.join(&rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let (before_ours, before_theirs) = (files(&ours), files(&theirs));
        let fn_sh = t.path().join("fn.sh");
        std::fs::write(&fn_sh, &script).unwrap();
        let kpt = std::process::Command::new("kpt")
            .args(["fn", "eval", theirs.to_str().unwrap(), "--exec"])
            .arg(format!("/bin/busybox sh {}", fn_sh.display()))
            .output()
            .expect("kpt is installed");
        let kpt_err = String::from_utf8_lossy(&kpt.stderr);
        assert_eq!(kpt.status.code(), Some(1), "{kpt_err}");
        assert!(
            kpt_err.contains("found invalid Unicode character escape code"),
            "{kpt_err}"
        );
        assert!(kpt_err.contains("[FAIL]"), "{kpt_err}");
        assert_eq!(files(&theirs), before_theirs, "kpt wrote nothing");
        let out = bin()
            .args([
                "run",
                &img,
                ours.to_str().unwrap(),
                "--cache-dir",
                &cache(t.path()),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(8), "{stderr}");
        assert_eq!(files(&ours), before_ours, "package untouched");
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with("[FAIL]")).count(),
            1,
            "{stderr}"
        );
        let errors: Vec<_> = stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(
            errors[0].contains("found invalid Unicode character escape code"),
            "{stderr}"
        );
        // `-o stdout` prints nothing either.
        let out = bin()
            .args([
                "run",
                &img,
                ours.to_str().unwrap(),
                "--cache-dir",
                &cache(t.path()),
                "-o",
                "stdout",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(8));
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// A changed resource whose flow collections hold multi-line single-quoted strings.
const FLOW_QUOTED: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  hello: world\nlist: ['one\n\n  two', b, 'x\n\n\n  y z']\nm: {k: 'a\n\n  b'}\nnested:\n  seq: [c, 'd\n\n    e']\nitems:\n- ['a\n\n  b']\n- x: ['c\n\n  d', [e, 'f\n\n  g'], {h: 'i\n\n  j'}]\ndeep:\n  down:\n    list:\n      - ['a\n\n  b']\n";

#[test]
fn multi_line_single_quoted_strings_in_flow_collections_stay_single_quoted_like_kpt() {
    // go-yaml's emitter keeps a single-quoted style for a multi-line string in a flow
    // collection (in block context it turns to a literal or double-quoted), so kpt writes
    // them back single-quoted with the breaks as blank lines.
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), RENAME_HELLO);
    let script = t.path().join("fn.sh");
    std::fs::write(&script, RENAME_HELLO).unwrap();
    for extra in [&[][..], &["-o", "stdout"]] {
        let mut runs = Vec::new();
        for kpt in [true, false] {
            let dir = t.path().join(if kpt { "kpt" } else { "ours" });
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("pkg")).unwrap();
            std::fs::write(dir.join("pkg/cm.yaml"), FLOW_QUOTED).unwrap();
            let out = if kpt {
                std::process::Command::new("kpt")
                    .current_dir(&dir)
                    .args(["fn", "eval", "pkg", "--exec"])
                    .arg(format!("/bin/busybox sh {}", script.display()))
                    .args(extra)
                    .output()
                    .expect("kpt is installed")
            } else {
                bin()
                    .current_dir(&dir)
                    .args(["run", &img, "pkg", "--cache-dir", &cache(t.path())])
                    .args(extra)
                    .output()
                    .unwrap()
            };
            assert!(
                out.status.success(),
                "{extra:?} kpt={kpt}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            runs.push((
                String::from_utf8(out.stdout).unwrap(),
                std::fs::read_to_string(dir.join("pkg/cm.yaml")).unwrap(),
            ));
        }
        let (ours, kpt) = (runs.pop().unwrap(), runs.pop().unwrap());
        assert_eq!(ours.0, kpt.0, "{extra:?}: stdout");
        assert_eq!(ours.1, kpt.1, "{extra:?}: cm.yaml");
        if extra.is_empty() {
            assert!(kpt.1.contains("hello: there"), "{}", kpt.1);
            assert!(kpt.1.contains("m: {k: 'a\n\n    b'}"), "{}", kpt.1);
            assert!(kpt.1.contains("[e, 'f\n\n        g']"), "{}", kpt.1);
        }
    }
}
