//! The one package reader, through every command that reads a directory (`check -f`,
//! `patch -f`, `setup -f`, `run`): a package is a tree of regular files (issue 9.2), one
//! `.krmignore` parser that every command agrees on, and the files kpt reads (compared with
//! the real `kpt fn eval --exec`).

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use crate::support::busybox_image;
use crate::support::{bin, fixture};

const RUNNER: &str = "2-function-runner.yaml";
/// What a docker config linked into a package must never show.
const SECRET: &str = "c2VjcmV0LXRva2VuLTQy";

fn runner_manifest() -> String {
    std::fs::read_to_string(fixture("manifests/main-function-runner.yaml")).unwrap()
}

fn kptfile(dir: &Path, name: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("Kptfile"),
        format!("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {name}\n"),
    )
    .unwrap();
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn cmd(args: &[&str]) -> Output {
    bin()
        .args(args)
        .env("HOME", "/nonexistent-home")
        .env("PORCH_REGISTRY_PASSWORD", "not-a-real-pw-42")
        .env_remove("DOCKER_CONFIG")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn in_place_never_writes_through_a_symlinked_directory() {
    // The runner manifest lives outside; the package links to its directory.
    let t = tempfile::tempdir().unwrap();
    let outside = t.path().join("outside");
    write(&outside, RUNNER, &runner_manifest());
    let pkg = t.path().join("pkg");
    kptfile(&pkg, "pkg");
    symlink(&outside, pkg.join("runner")).unwrap();
    for args in [
        vec!["patch", "-f", s(&pkg), "--in-place"],
        vec![
            "setup",
            "-f",
            s(&pkg),
            "--in-place",
            "--registry",
            "ghcr.io",
            "-u",
            "bot",
        ],
    ] {
        let out = cmd(&args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(
            stderr.contains("warning: runner: skipped, a symbolic link to a directory"),
            "{stderr}"
        );
        assert!(
            stderr.contains("no Deployment named function-runner"),
            "{stderr}"
        );
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(
            std::fs::read_to_string(outside.join(RUNNER)).unwrap(),
            runner_manifest(),
            "{args:?} wrote outside the package"
        );
    }
}

#[test]
fn a_linked_file_from_outside_is_never_read_or_printed() {
    let t = tempfile::tempdir().unwrap();
    let docker = t.path().join("home/.docker/config.json");
    write(
        docker.parent().unwrap(),
        "config.json",
        &format!("{{\"auths\": {{\"ghcr.io\": {{\"auth\": \"{SECRET}\"}}}}}}\n"),
    );
    let pkg = t.path().join("pkg");
    kptfile(&pkg, "pkg");
    write(&pkg, RUNNER, &runner_manifest());
    symlink(&docker, pkg.join("z.yaml")).unwrap();
    for args in [
        vec!["patch", "-f", s(&pkg)],
        vec!["check", "-f", s(&pkg)],
        vec!["check", "-f", s(&pkg), "-o", "json"],
    ] {
        let out = cmd(&args);
        let (stdout, stderr) = text(&out);
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{args:?}: {stdout}{stderr}"
        );
        assert!(
            stderr.contains(
                "warning: z.yaml: skipped, a symbolic link that leads outside the package"
            ),
            "{args:?}: {stderr}"
        );
    }
    // patch still works on the rest of the package.
    let out = cmd(&["patch", "-f", s(&pkg)]);
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(text(&out).0.contains("--enable-private-registries=true"));
}

/// A package with the runner manifest and `name` made by `make`; `check -f` and `patch -f`
/// must finish and warn with `warning`.
fn skipped_and_warned(name: &str, make: impl Fn(&Path), warning: &str) {
    let t = tempfile::tempdir().unwrap();
    let pkg = t.path().join("pkg");
    kptfile(&pkg, "pkg");
    write(&pkg, RUNNER, &runner_manifest());
    make(&pkg.join(name));
    for args in [vec!["check", "-f", s(&pkg)], vec!["patch", "-f", s(&pkg)]] {
        let out = cmd(&args);
        let (_, stderr) = text(&out);
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(3),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(warning), "{stderr}");
    }
}

#[test]
fn a_fifo_is_skipped_not_opened() {
    // Without a writer, opening the FIFO blocked `check` for ever.
    skipped_and_warned(
        "fifo.yaml",
        |p| assert!(Command::new("mkfifo").arg(p).status().unwrap().success()),
        "warning: fifo.yaml: skipped, a FIFO (named pipe), not a regular file",
    );
}

#[test]
fn a_link_to_dev_zero_is_skipped_not_read() {
    // Reading it filled the memory.
    skipped_and_warned(
        "zero.yaml",
        |p| symlink("/dev/zero", p).unwrap(),
        "warning: zero.yaml: skipped, a symbolic link that leads outside the package",
    );
}

#[test]
fn a_symlink_loop_lists_each_file_once() {
    let t = tempfile::tempdir().unwrap();
    let pkg = t.path().join("pkg");
    kptfile(&pkg, "pkg");
    write(&pkg, RUNNER, &runner_manifest());
    symlink(".", pkg.join("loop")).unwrap();
    // It used to find the Deployment 41 times ("41 Deployments are named function-runner").
    let out = cmd(&["patch", "-f", s(&pkg), "--in-place"]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: loop: skipped, a symbolic link to a directory"),
        "{stderr}"
    );
    let patched = std::fs::read_to_string(pkg.join(RUNNER)).unwrap();
    assert_eq!(
        patched.matches("--enable-private-registries=true").count(),
        1
    );
    assert!(
        std::fs::symlink_metadata(pkg.join("loop"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_link_inside_the_package_is_read_like_kpt_reads_it() {
    let t = tempfile::tempdir().unwrap();
    let pkg = t.path().join("pkg");
    kptfile(&pkg, "pkg");
    write(&pkg, "real/runner.yaml", &runner_manifest());
    symlink("real/runner.yaml", pkg.join(RUNNER)).unwrap();
    write(&pkg, ".krmignore", "real/\n");
    let out = cmd(&["patch", "-f", s(&pkg)]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("--enable-private-registries=true"),
        "{stdout}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// A tiny image (ours) and script (kpt's) that pass the input through.
const CAT: &str = "#!/bin/sh\nexec cat\n";

fn run_stdout(t: &Path, img: &str, pkg: &Path, extra: &[&str]) -> Output {
    let cache = t.join("cache");
    let mut args = vec!["run", img, s(pkg), "--cache-dir", s(&cache), "-o", "stdout"];
    args.extend_from_slice(extra);
    cmd(&args)
}

#[test]
fn every_command_agrees_on_a_krmignore() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), CAT);
    let pkg = t.path().join("pkg");
    kptfile(&pkg, "pkg");
    write(&pkg, RUNNER, &runner_manifest());
    write(&pkg, "old/broken.yaml", "kind: [unclosed\n");
    // `[unclosed` is a malformed pattern: kpt accepts it and it matches nothing.
    write(&pkg, ".krmignore", "[unclosed\nold/\n");
    for args in [vec!["check", "-f", s(&pkg)], vec!["patch", "-f", s(&pkg)]] {
        let out = cmd(&args);
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(3),
            "{args:?}: {}",
            text(&out).1
        );
    }
    let out = run_stdout(t.path(), &img, &pkg, &[]);
    assert!(out.status.success(), "{}", text(&out).1);
    let kpt = kpt_eval(t.path(), &pkg, &[]);
    assert_eq!(paths(&text(&out).0), paths(&kpt));

    // A line kpt crashes on: the same one error everywhere, nothing run.
    write(&pkg, ".krmignore", "old/\n!\n");
    let mut errors = Vec::new();
    for out in [
        cmd(&["check", "-f", s(&pkg)]),
        cmd(&["patch", "-f", s(&pkg)]),
        run_stdout(t.path(), &img, &pkg, &[]),
    ] {
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        errors.push(stderr);
    }
    assert!(
        errors[0].contains(".krmignore: line 2: \"!\" is not a pattern"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[0], errors[1]);
    assert_eq!(errors[0], errors[2]);
}

/// `kpt fn eval PKG --exec cat -o stdout` (on a copy: kpt reads the same files).
fn kpt_eval(t: &Path, pkg: &Path, extra: &[&str]) -> String {
    let script = t.join("kpt-cat.sh");
    std::fs::write(&script, CAT).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let out = Command::new("kpt")
        .args(["fn", "eval", s(pkg), "--exec", s(&script), "-o", "stdout"])
        .args(extra)
        .output()
        .expect("kpt is installed");
    assert!(
        out.status.success(),
        "kpt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// (path, index, kind, name) of every item of a ResourceList, in order.
pub fn paths(rl: &str) -> Vec<(String, String, String, String)> {
    let v: Value = serde_saphyr::from_str(rl).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let a = &i["metadata"]["annotations"];
            let get = |v: &Value| v.as_str().unwrap_or("").to_string();
            (
                get(&a["internal.config.kubernetes.io/path"]),
                get(&a["internal.config.kubernetes.io/index"]),
                get(&i["kind"]),
                get(&i["metadata"]["name"]),
            )
        })
        .collect()
}

/// A package exercising kpt's reading rules: hidden files and `.git`, JSON, `.yml`, names
/// that are not resources, a subpackage with its own `.krmignore` that the parent's patterns
/// do not reach, a subpackage the parent ignores, go-gitignore's suffix matching, exceptions
/// that win wherever they are, a link inside the package.
fn tricky_package(root: &Path) -> PathBuf {
    let pkg = root.join("pkg");
    kptfile(&pkg, "pkg");
    let cm = |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    for (rel, name) in [
        ("a.yaml", "a"),
        (".h.yaml", "h"),
        (".hidden/b.yaml", "b"),
        (".git/c.yaml", "c"),
        ("sub/d.yml", "d"),
        ("sub/ig/e2.yaml", "e2"),
        ("ig/e.yaml", "e"),
        ("sp/x/f.yaml", "f"),
        ("sp/g.yaml", "g"),
        ("sp/ig/e2.yaml", "spe2"),
        ("gone/Kptfile", "gone"),
        ("gone/h.yaml", "goneh"),
        ("k.yaml.bak", "bak"),
        ("keep/ignored-but-kept.yaml", "kept"),
        ("keep/other.yaml", "other"),
    ] {
        write(&pkg, rel, &cm(name));
    }
    write(
        &pkg,
        "sub/j.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"j\"}}\n",
    );
    kptfile(&pkg.join("sp"), "sp");
    write(
        &pkg,
        ".krmignore",
        "ig/e2.yaml\n/ig/\ngone\nkeep/*.yaml\n!ignored-but-kept.yaml\n[unclosed\n",
    );
    write(&pkg, "sp/.krmignore", "g.yaml\n");
    symlink("a.yaml", pkg.join("link.yaml")).unwrap();
    pkg
}

#[test]
fn the_files_read_are_the_ones_kpt_fn_eval_reads() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), CAT);
    let pkg = tricky_package(t.path());
    let ours = run_stdout(t.path(), &img, &pkg, &[]);
    assert!(ours.status.success(), "{}", text(&ours).1);
    let kpt = kpt_eval(t.path(), &pkg, &[]);
    let theirs = paths(&kpt);
    assert_eq!(paths(&text(&ours).0), theirs);
    // The expectations kpt itself shows (so that this test cannot pass on an empty list).
    let rels: Vec<&str> = theirs.iter().map(|p| p.0.as_str()).collect();
    for want in [
        ".git/c.yaml",
        ".h.yaml",
        "sub/j.json",
        "sp/ig/e2.yaml",
        "keep/ignored-but-kept.yaml",
        "link.yaml",
    ] {
        assert!(rels.contains(&want), "{want} in {rels:?}");
    }
    for not in [
        "sub/ig/e2.yaml",
        "ig/e.yaml",
        "gone/h.yaml",
        "sp/g.yaml",
        "keep/other.yaml",
    ] {
        assert!(!rels.contains(&not), "{not} in {rels:?}");
    }
}

// ---------------------------------------------------------------- selectors, against kpt

/// A function (ours: in the busybox image; kpt's: the same script with --exec) that deletes
/// every resource it gets: what is left is what was not selected.
const DELETE_ALL: &str = "#!/bin/sh\ncat >/dev/null\nprintf 'apiVersion: config.kubernetes.io/v1\\nkind: ResourceList\\nitems: []\\n'\n";

/// Resources across files and a subpackage, with namespaces, labels (one a YAML number),
/// annotations and apiVersions to select on.
fn selection_package(root: &Path) -> PathBuf {
    let pkg = root.join("sel");
    kptfile(&pkg, "sel");
    write(
        &pkg,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: prod\n  labels:\n    app: web\n    tier: fe\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels:\n    app: web\n    n: 1\n",
    );
    write(
        &pkg,
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d1\n  namespace: prod\n  annotations:\n    note: x\nspec:\n  replicas: 1\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d2\n  namespace: default\n",
    );
    write(
        &pkg,
        "svc.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"s\", \"namespace\": \"prod\", \"labels\": {\"app\": \"web\"}}}\n",
    );
    kptfile(&pkg.join("sub"), "sub");
    write(
        &pkg,
        "sub/x.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: dev\n  annotations:\n    note: x\n",
    );
    pkg
}

fn kpt_eval_script(t: &Path, script: &str, pkg: &Path, extra: &[&str]) -> Output {
    let path = t.join("kpt-fn.sh");
    std::fs::write(&path, script).unwrap();
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    Command::new("kpt")
        .args(["fn", "eval", s(pkg), "--exec", s(&path)])
        .args(extra)
        .output()
        .expect("kpt is installed")
}

/// The `on N resource(s)` of a `[RUNNING]` line.
fn resource_count(stderr: &str) -> Option<String> {
    let line = stderr.lines().find(|l| l.starts_with("[RUNNING]"))?;
    Some(line.rsplit_once(" on ")?.1.to_string())
}

#[test]
fn run_selects_the_resources_kpt_fn_eval_selects() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), DELETE_ALL);
    let pkg = selection_package(t.path());
    let cases: &[&[&str]] = &[
        &["--match-kind", "ConfigMap"],
        &["--match-namespace", "prod"],
        &["--match-namespace", "default"],
        &["--match-labels", "app=web", "--match-labels", "tier=fe"],
        &["--match-labels", "n=1"],
        &["--match-annotations", "note=x"],
        &["--match-api-version", "apps/v1", "--exclude-name", "d2"],
        &["--match-name", "a", "--match-kind", "ConfigMap"],
        &["--exclude-kind", "Kptfile"],
        &["--exclude-labels", "app=web"],
        &[
            "--exclude-annotations",
            "note=x",
            "--exclude-namespace",
            "dev",
        ],
        &["--match-kind", "NoSuchKind"],
    ];
    let mut all_left = Vec::new();
    for extra in cases {
        let mut args = extra.to_vec();
        args.extend(["-o", "stdout"]);
        let ours = run_stdout(t.path(), &img, &pkg, extra);
        let (stdout, stderr) = text(&ours);
        assert!(ours.status.success(), "{extra:?}: {stderr}");
        let kpt = kpt_eval_script(t.path(), DELETE_ALL, &pkg, &args);
        let kpt_err = String::from_utf8_lossy(&kpt.stderr);
        assert!(kpt.status.success(), "kpt {extra:?}: {kpt_err}");
        let left = paths(&stdout);
        assert_eq!(
            left,
            paths(&String::from_utf8_lossy(&kpt.stdout)),
            "{extra:?}"
        );
        assert_eq!(
            resource_count(&stderr),
            resource_count(&kpt_err),
            "{extra:?}: {stderr}"
        );
        assert!(resource_count(&stderr).is_some(), "{stderr}");
        all_left.push(left.len());
    }
    // Not a vacuous comparison: the cases leave different numbers of the 8 resources.
    assert_eq!(all_left, [5, 5, 7, 7, 7, 6, 7, 6, 2, 3, 1, 8]);
}

#[test]
fn run_with_a_selection_in_place_changes_what_kpt_changes() {
    // The function deletes what it gets: in place, files left empty go, others keep the rest.
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), DELETE_ALL);
    let ours = selection_package(t.path());
    let theirs = t.path().join("theirs");
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(&ours)
            .arg(&theirs)
            .status()
            .unwrap()
            .success()
    );
    let sel = ["--match-namespace", "prod"];
    let cache = t.path().join("cache");
    let out = cmd(&[
        &["run", &img, s(&ours), "--cache-dir", s(&cache)][..],
        &sel[..],
    ]
    .concat());
    assert!(out.status.success(), "{}", text(&out).1);
    let kpt = kpt_eval_script(t.path(), DELETE_ALL, &theirs, &sel);
    assert!(
        kpt.status.success(),
        "{}",
        String::from_utf8_lossy(&kpt.stderr)
    );
    let docs = |dir: &Path| -> Vec<(String, Vec<Value>)> {
        let mut out = Vec::new();
        for rel in [
            "Kptfile",
            "cm.yaml",
            "deploy.yaml",
            "svc.json",
            "sub/Kptfile",
            "sub/x.yaml",
        ] {
            let p = dir.join(rel);
            if p.exists() {
                let docs: Vec<Value> =
                    serde_saphyr::from_multiple(&std::fs::read_to_string(p).unwrap()).unwrap();
                out.push((
                    rel.to_string(),
                    docs.into_iter().filter(|d| !d.is_null()).collect(),
                ));
            }
        }
        out
    };
    let want = docs(&theirs);
    assert_eq!(docs(&ours), want);
    assert!(
        !theirs.join("svc.json").exists(),
        "kpt deleted the emptied file"
    );
    // The untouched file is byte for byte as it was.
    assert_eq!(
        std::fs::read(ours.join("sub/x.yaml")).unwrap(),
        std::fs::read(theirs.join("sub/x.yaml")).unwrap()
    );
}

#[test]
fn selector_flag_errors_and_include_meta_resources() {
    let t = tempfile::tempdir().unwrap();
    let img = busybox_image(t.path(), CAT);
    let pkg = selection_package(t.path());
    let out = run_stdout(t.path(), &img, &pkg, &["--match-labels", "app"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "error: --match-labels \"app\": expected KEY=VALUE, e.g. --match-labels app=web\n"
    );
    // kpt 1.0 includes meta resources always (and refuses the flag); here it is a warning.
    let out = run_stdout(t.path(), &img, &pkg, &["--include-meta-resources"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("warning: --include-meta-resources is no longer needed"),
        "{stderr}"
    );
    assert!(paths(&stdout).iter().any(|p| p.2 == "Kptfile"));
}
