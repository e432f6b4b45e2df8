//! `render` against the real `kpt fn render` (1.0.0-beta.56) as the reference: every case is
//! one package whose Kptfile pipelines run the same busybox shell scripts, as `exec:`
//! functions for kpt and as images pushed to the real registry these tests start (TLS and
//! basic auth) for us. The rendered package, stdout, stderr (durations normalised) and the
//! results file must be byte-identical once the function names are swapped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::registry_support::{Auth, Registry, TestImage};
use crate::support::bin;
use crate::support::{busybox_layer, gzip, script_layer};

/// `greeting` of the functionConfig replaces `hello: world` in the items.
const GREET: &str = r#"#!/bin/sh
in=$(cat)
g=$(printf '%s\n' "$in" | sed -n 's/^ *greeting: *//p' | sed -n '$p')
printf '%s\n' "$in" | sed "s/hello: world/hello: $g/"
"#;

/// Adds a label to every item (items are block mappings at column 2 of the ResourceList).
const LABEL: &str = r#"#!/bin/sh
sed 's/^  metadata:$/  metadata:\n    labels:\n      touched: "true"/'
"#;

/// Renames ConfigMap `a` to `a2` and moves it to moved/a2.yaml (internal annotation only: kpt
/// reconciles the legacy one).
const MOVE: &str = r#"#!/bin/sh
sed -e 's/^    name: a$/    name: a2/' -e "s#internal.config.kubernetes.io/path: 'a.yaml'#internal.config.kubernetes.io/path: 'moved/a2.yaml'#"
"#;

/// Drops every item named `drop-me`, appends a generated ConfigMap.
const DROP: &str = r#"#!/bin/sh
awk '
function flush() { if (buf != "" && buf !~ /\n    name: drop-me\n/) printf "%s", buf; buf = "" }
function gen() { printf "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: generated # made here\n  data:\n    made: \"yes\"\n"; made = 1 }
/^items:/ { print; initems = 1; next }
initems && /^- / { flush(); buf = $0 "\n"; next }
initems && /^  / { buf = buf $0 "\n"; next }
initems { flush(); if (!made) gen(); initems = 0 }
{ print }
END { flush(); if (!made) gen() }
'
"#;

/// A validator that passes with a result and some stderr (a byte of it not UTF-8).
const OK: &str = r#"#!/bin/sh
cat >/dev/null
printf 'checked \377\n' >&2
printf 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nresults:\n- message: all good\n  severity: info\n'
"#;

/// A validator that fails with a structured result.
const FAIL: &str = r#"#!/bin/sh
cat >/dev/null
echo "validation failed: replicas too high" >&2
printf 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nresults:\n- message: replicas too high\n  severity: error\n  resourceRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  field:\n    path: spec.replicas\n'
exit 1
"#;

/// Greets with `greeting` of an inline `configMap` (kpt sends it as a flow mapping) and
/// records the functionConfig data as it got it, in order, in an annotation of every item.
const CFG: &str = r#"#!/bin/sh
in=$(cat)
cfg=$(printf '%s\n' "$in" | sed -n 's/^  data: {\(.*\)}$/\1/p')
g=$(printf '%s\n' "$cfg" | tr ',' '\n' | sed -n 's/^ *greeting: *//p')
printf '%s\n' "$in" | sed -e "s/hello: world/hello: $g/" -e "s/^    annotations:$/    annotations:\n      seen-config: '$cfg'/"
"#;

/// Writes 2 MiB to /tmp (fails with exit 7 when it cannot), then passes everything on.
const FILL: &str = r#"#!/bin/sh
head -c 2097152 /dev/zero >/tmp/fill || { echo "no room in /tmp" >&2; exit 7; }
cat
"#;

/// Passes everything on with five results and six lines of stderr (kpt shows four of each).
const NOISY: &str = r#"#!/bin/sh
cat
printf 'results:\n'
for i in 1 2 3 4 5; do printf -- '- message: "note %s"\n  severity: info\n' "$i"; done
for i in 1 2 3 4 5 6; do echo "noise $i" >&2; done
"#;

/// Passes everything on, with results whose messages go-yaml must quote in every way it
/// can, and the same text on stderr (Go's `%q`).
const CHARS: &str = r#"#!/bin/sh
cat
printf 'results:\n'
for m in '"a: b"' '"- dash"' '" lead"' '"tab\there"' '"emoji \U0001F600"' '"bom\uFEFFx"' '"\uFEFFab"' '"nel\u0085x"' '"ls\u2028x"' '"y"' '"1:20"' '"1_000"' '"2001-12-14"' '"?q"' '"...x"' '"none \U0001FAE9 \u2FFC"' '"new \U0001FAE8"'; do
  printf -- '- message: %s\n  severity: info\n' "$m"
done
printf 'emoji \360\237\230\200|none \360\237\253\251 \342\277\274|new \360\237\253\250|bom \357\273\277\n' | tr '|' '\n' >&2
"#;

/// Writes a lone surrogate escape into a double-quoted value (go-yaml refuses it).
const LONE: &str = r#"#!/bin/sh
sed 's/hello: world/hello: "\\udbff"/'
"#;

/// Writes a surrogate pair escape (go-yaml refuses each half: it never joins them).
const PAIR: &str = r#"#!/bin/sh
sed 's/hello: world/hello: "x\\ud800\\udc00"/'
"#;

const FUNCTIONS: &[(&str, &str)] = &[
    ("lone", LONE),
    ("pair", PAIR),
    ("chars", CHARS),
    ("greet", GREET),
    ("noisy", NOISY),
    ("cfg", CFG),
    ("fill", FILL),
    ("label", LABEL),
    ("move", MOVE),
    ("drop", DROP),
    ("ok", OK),
    ("fail", FAIL),
];

/// Resources with comments, blank lines, odd indentation, flow maps and quoting.
const CM_YAML: &str = "# config maps of the root\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: first   # first one\ndata:\n    hello: world\n\n\n    other: \"keep\"\n    flow: {a: b,   c: d}\n    text: |\n      two\n      lines\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: skip\ndata:\n  hello: world # skip me\n  # the end of skip\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: c\n          image: nginx  # the image\n\n          # ports\n          ports:\n            - containerPort: 80\n";

struct World {
    dir: tempfile::TempDir,
    reg: Registry,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::start(Auth::htpasswd("robot", "render-pass"), true);
        std::fs::create_dir_all(dir.path().join("fns")).unwrap();
        for (name, script) in FUNCTIONS {
            std::fs::write(dir.path().join(format!("fns/{name}.sh")), script).unwrap();
            let image = TestImage::new(
                "linux/amd64",
                &["/bin/sh", "/fn.sh"],
                vec![gzip(&busybox_layer()), gzip(&script_layer(script))],
            );
            reg.push(&format!("fn/{name}"), "v1", &image);
        }
        World { dir, reg }
    }

    fn t(&self) -> &Path {
        self.dir.path()
    }

    /// kpt's `exec:` value and our image reference for a function.
    fn exec(&self, name: &str) -> String {
        format!("/bin/busybox sh {}/fns/{name}.sh", self.t().display())
    }
    fn image(&self, name: &str) -> String {
        format!("{}/fn/{name}:v1", self.reg.host())
    }

    /// The package files with `FN(name)` placeholders as `exec: ...` (kpt) or `image: ...`.
    fn layout(&self, files: &[(&str, &str)], kpt: bool) -> Vec<(String, String)> {
        files
            .iter()
            .map(|(p, text)| {
                let mut t = text.to_string();
                for (name, _) in FUNCTIONS {
                    let key = format!("FN({name})");
                    let with = if kpt {
                        format!("exec: {}", self.exec(name))
                    } else {
                        format!("image: {}", self.image(name))
                    };
                    t = t.replace(&key, &with);
                }
                (p.to_string(), t)
            })
            .collect()
    }

    /// Our text with our image references turned into kpt's exec names.
    fn as_kpt(&self, text: &str) -> String {
        let mut t = text.to_string();
        for (name, _) in FUNCTIONS {
            t = t.replace(
                &format!("image: {}", self.image(name)),
                &format!("exec: {}", self.exec(name)),
            );
            t = t.replace(&self.image(name), &self.exec(name));
        }
        t
    }

    fn write_pkg(&self, files: &[(String, String)]) -> PathBuf {
        let pkg = self.t().join("pkg");
        let _ = std::fs::remove_dir_all(&pkg);
        for (p, text) in files {
            let path = pkg.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        pkg
    }

    fn ours(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("kubectl-porch-registry"));
        c.current_dir(self.t())
            .args(["render", "pkg", "--cache-dir"])
            .arg(self.t().join("cache"))
            .arg("--auth-file")
            .arg(self.reg.auth_file(self.t()))
            .arg("--ca-file")
            .arg(self.reg.ca_path())
            .args(extra);
        c
    }

    /// Render `files` with kpt and with us (same absolute path), compare everything.
    fn compare(&self, files: &[(&str, &str)], extra: &[&str]) -> Outcome {
        let mut runs = Vec::new();
        for kpt in [true, false] {
            let _ = std::fs::remove_dir_all(self.t().join("out"));
            let _ = std::fs::remove_dir_all(self.t().join("res"));
            let layout = self.layout(files, kpt);
            let pkg = self.write_pkg(&layout);
            let out = if kpt {
                Command::new("kpt")
                    .current_dir(self.t())
                    .args(["fn", "render", "pkg", "--allow-exec"])
                    .args(extra)
                    .output()
                    .unwrap()
            } else {
                self.ours(extra).output().unwrap()
            };
            let conv = |s: String| sort_seen_config(&if kpt { s } else { self.as_kpt(&s) });
            runs.push(Run {
                code: out.status.code(),
                stdout: conv(String::from_utf8_lossy(&out.stdout).into_owned()),
                stderr: conv(String::from_utf8_lossy(&out.stderr).into_owned()),
                files: tree(&pkg).into_iter().map(|(k, v)| (k, conv(v))).collect(),
                out: tree(&self.t().join("out"))
                    .into_iter()
                    .map(|(k, v)| (k, conv(v)))
                    .collect(),
                results: std::fs::read_to_string(self.t().join("res/results.yaml"))
                    .ok()
                    .map(conv),
                input: layout,
            });
        }
        let ours = runs.pop().unwrap();
        let kpt = runs.pop().unwrap();
        assert_eq!(ours.stdout, kpt.stdout, "stdout differs\n{}", ours.stderr);
        assert_eq!(
            normalise(&ours.stderr),
            normalise(&kpt.stderr),
            "stderr differs"
        );
        for (path, want) in &kpt.files {
            assert_eq!(
                ours.files.get(path),
                Some(want),
                "{path} differs (kpt left {want:?})"
            );
        }
        assert_eq!(
            ours.files.keys().collect::<Vec<_>>(),
            kpt.files.keys().collect::<Vec<_>>()
        );
        assert_eq!(ours.out, kpt.out, "-o DIR differs");
        assert_eq!(ours.results, kpt.results, "results differ");
        Outcome { kpt, ours }
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    files: BTreeMap<String, String>,
    out: BTreeMap<String, String>,
    results: Option<String>,
    input: Vec<(String, String)>,
}

struct Outcome {
    kpt: Run,
    ours: Run,
}

fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    for e in walkdir(dir) {
        let rel = e.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        out.insert(rel, std::fs::read_to_string(&e).unwrap());
    }
    out
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// kpt sends a multi-key inline `configMap` in Go's random map order (`NewConfigMap` ranges
/// over a `map[string]string`), so the `seen-config` annotation the `cfg` function records
/// is compared as a set; ours is asserted sorted where it matters.
fn sort_seen_config(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| {
            let (body, nl) = l.strip_suffix('\n').map_or((l, ""), |b| (b, "\n"));
            match body.split_once("seen-config: '") {
                Some((pre, rest)) if rest.ends_with('\'') => {
                    let mut parts: Vec<&str> = rest[..rest.len() - 1].split(", ").collect();
                    parts.sort();
                    format!("{pre}seen-config: '{}'{nl}", parts.join(", "))
                }
                _ => l.to_string(),
            }
        })
        .collect()
}

/// Durations vary; the final error line goes (ours is `error: ...`, kpt's `Error: ...` or
/// none for a function that failed).
fn normalise(stderr: &str) -> String {
    let re_in = |l: &str| match l.rfind(" in ") {
        Some(i)
            if (l.starts_with("[PASS]") || l.starts_with("[FAIL]"))
                && l[i + 4..].ends_with('s') =>
        {
            format!("{} in <t>", &l[..i])
        }
        _ => l.to_string(),
    };
    stderr
        .lines()
        .filter(|l| !l.starts_with("error: ") && !l.starts_with("Error: "))
        .map(re_in)
        .collect::<Vec<_>>()
        .join("\n")
}

fn root_kptfile(mutators: &str, validators: &str) -> String {
    let mut s = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: root # the root\ninfo:\n  description: root package\n\npipeline:\n".to_string();
    if !mutators.is_empty() {
        s.push_str("  mutators:\n");
        s.push_str(mutators);
    }
    if !validators.is_empty() {
        s.push_str("  validators:\n");
        s.push_str(validators);
    }
    s
}

const GREET_CONFIG: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greet-config\ndata:\n  greeting: hi\n";
const SUB_KPTFILE: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: sub\npipeline:\n  mutators:\n  - FN(move)\n";
const SUB_A: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  # about a\ndata:\n  hello: world\n";

fn tree_package() -> Vec<(&'static str, String)> {
    vec![
        (
            "Kptfile",
            root_kptfile(
                "    # greet with a config file\n    - FN(greet)\n      configPath: greet.yaml\n    - FN(label)\n      selectors:\n        - kind: ConfigMap\n        - name: web\n      exclude:\n        - name: skip\n",
                "",
            ),
        ),
        ("greet.yaml", GREET_CONFIG.into()),
        ("cm.yaml", CM_YAML.into()),
        ("sub/Kptfile", SUB_KPTFILE.into()),
        ("sub/a.yaml", SUB_A.into()),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(p, t)| (*p, t.as_str())).collect()
}

#[test]
fn subpackages_config_path_selectors_exclude_renames_and_comments_match_kpt() {
    let w = World::new();
    let pkg = tree_package();
    let o = w.compare(&refs(&pkg), &[]);
    assert_eq!(o.kpt.code, Some(0), "{}", o.kpt.stderr);
    assert_eq!(o.ours.code, Some(0), "{}", o.ours.stderr);
    // The functions really ran: renamed and moved in the subpackage, greeted, labelled
    // (not `skip`), the old file gone.
    assert!(o.ours.files.contains_key("sub/moved/a2.yaml"));
    assert!(!o.ours.files.contains_key("sub/a.yaml"));
    let cm = &o.ours.files["cm.yaml"];
    assert!(cm.contains("hello: hi"), "{cm}");
    assert!(
        cm.starts_with("# config maps of the root\napiVersion: v1\n"),
        "{cm}"
    );
    assert_eq!(cm.matches("touched: \"true\"").count(), 2, "{cm}");
    assert!(
        o.ours.stderr.contains("on 4 resource(s)"),
        "{}",
        o.ours.stderr
    );
    assert_ne!(o.ours.input[2].1, *cm, "cm.yaml is formatted");
}

#[test]
fn deletion_generation_validators_and_results_match_kpt() {
    let w = World::new();
    let files = vec![
        ("Kptfile", root_kptfile("  - FN(drop)\n", "  - FN(ok)\n")),
        (
            "d.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: drop-me\n".into(),
        ),
        (
            "mixed.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep # kept\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: drop-me\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: last\n".into(),
        ),
    ];
    let o = w.compare(&refs(&files), &["--results-dir", "res"]);
    assert_eq!(o.ours.code, Some(0), "{}", o.ours.stderr);
    assert!(!o.ours.files.contains_key("d.yaml"), "emptied file deleted");
    assert!(o.ours.files.contains_key("configmap_generated.yaml"));
    let results = o.ours.results.unwrap();
    assert!(results.contains("kind: FunctionResultList"), "{results}");
    assert!(results.contains("all good"), "{results}");
    // Not UTF-8: go-yaml's `!!binary` (short: on one line).
    assert!(
        results.contains("    stderr: !!binary Y2hlY2tlZCD/Cg==\n"),
        "{results}"
    );
    assert!(
        o.ours.stderr.contains("    \"checked \\xff\"\n"),
        "{}",
        o.ours.stderr
    );
}

#[test]
fn a_failing_validator_leaves_the_package_untouched_like_kpt() {
    let w = World::new();
    let files = vec![
        (
            "Kptfile",
            root_kptfile("  - FN(label)\n", "  - FN(ok)\n  - FN(fail)\n"),
        ),
        ("cm.yaml", CM_YAML.into()),
    ];
    let o = w.compare(&refs(&files), &["--results-dir", "res"]);
    assert_eq!(o.kpt.code, Some(1));
    assert_eq!(
        o.ours.code,
        Some(8),
        "the tool's exit code for a failed function"
    );
    let errors: Vec<_> = o
        .ours
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{}", o.ours.stderr);
    // Byte for byte what was there before.
    let before: BTreeMap<String, String> = w
        .layout(&refs(&files), false)
        .into_iter()
        .map(|(k, v)| (k, w.as_kpt(&v)))
        .collect();
    assert_eq!(o.ours.files, before);
    assert!(o.ours.results.unwrap().contains("replicas too high"));
}

#[test]
fn a_surrogate_escape_in_a_function_output_or_a_file_is_refused_like_kpt() {
    // go-yaml's scanner refuses `\udbff` and `\ud800\udc00` in a double-quoted scalar: kpt
    // fails the function (`MalformedYAMLError: yaml: line N: found invalid Unicode character
    // escape code`) and writes nothing; we exit 8 with one error line naming the same.
    let w = World::new();
    for f in ["lone", "pair"] {
        let files = vec![
            (
                "Kptfile",
                root_kptfile(&format!("  - FN(label)\n  - FN({f})\n"), ""),
            ),
            ("cm.yaml", CM_YAML.into()),
        ];
        for extra in [&["--results-dir", "res"][..], &["-o", "out"]] {
            let o = w.compare(&refs(&files), extra);
            assert_eq!(o.kpt.code, Some(1), "{}", o.kpt.stderr);
            assert!(
                o.kpt
                    .stderr
                    .contains("found invalid Unicode character escape code"),
                "{}",
                o.kpt.stderr
            );
            assert_eq!(o.ours.code, Some(8), "{}", o.ours.stderr);
            let errors: Vec<_> = o
                .ours
                .stderr
                .lines()
                .filter(|l| l.starts_with("error: "))
                .collect();
            assert_eq!(errors.len(), 1, "{}", o.ours.stderr);
            assert!(
                errors[0].contains("found invalid Unicode character escape code"),
                "{}",
                errors[0]
            );
            let before: BTreeMap<String, String> = o
                .ours
                .input
                .iter()
                .cloned()
                .map(|(k, v)| (k, w.as_kpt(&v)))
                .collect();
            assert_eq!(o.ours.files, before, "{f} {extra:?}");
            assert!(o.ours.out.is_empty(), "{f} {extra:?}");
        }
    }
    // The same escape in a package file: kpt refuses the file before any function runs.
    for bad in ["\"\\udbff\"", "\"\\ud800\\udc00\""] {
        let cm =
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: {bad}\n");
        let files = vec![
            ("Kptfile", root_kptfile("  - FN(label)\n", "")),
            ("b.yaml", cm),
        ];
        let o = w.compare(&refs(&files), &[]);
        assert_eq!(o.kpt.code, Some(1), "{}", o.kpt.stderr);
        assert!(
            o.kpt
                .stderr
                .contains("line 6: found invalid Unicode character escape code"),
            "{}",
            o.kpt.stderr
        );
        assert_ne!(o.ours.code, Some(0), "{}", o.ours.stderr);
        let errors: Vec<_> = o
            .ours
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{}", o.ours.stderr);
        assert!(
            errors[0].contains("b.yaml")
                && errors[0].contains("line 6")
                && errors[0].contains("found invalid Unicode character escape code"),
            "{}",
            errors[0]
        );
    }
}

#[test]
fn a_failing_mutator_leaves_the_package_untouched_like_kpt() {
    // The first mutator passes, the second exits 1: kpt stops there and writes nothing,
    // in place or out of place (and ours exits 8).
    let w = World::new();
    let files = vec![
        (
            "Kptfile",
            root_kptfile("  - FN(label)\n  - FN(fail)\n  - FN(greet)\n", ""),
        ),
        ("cm.yaml", CM_YAML.into()),
    ];
    for extra in [&["--results-dir", "res"][..], &["-o", "out"]] {
        let o = w.compare(&refs(&files), extra);
        assert_eq!(o.kpt.code, Some(1), "{}", o.kpt.stderr);
        assert_eq!(o.ours.code, Some(8), "{}", o.ours.stderr);
        let before: BTreeMap<String, String> = o
            .ours
            .input
            .iter()
            .cloned()
            .map(|(k, v)| (k, w.as_kpt(&v)))
            .collect();
        assert_eq!(o.ours.files, before, "{extra:?}");
        assert!(o.ours.out.is_empty(), "{extra:?}: {:?}", o.ours.out.keys());
        assert!(!o.ours.stderr.contains("greet.sh"), "{}", o.ours.stderr);
    }
}

#[test]
fn out_of_place_outputs_match_kpt() {
    let w = World::new();
    let pkg = tree_package();
    for extra in [&["-o", "stdout"][..], &["-o", "unwrap"], &["-o", "out"]] {
        let o = w.compare(&refs(&pkg), extra);
        assert_eq!(o.ours.code, Some(0), "{extra:?}: {}", o.ours.stderr);
        // The package itself is left as it was.
        let before: BTreeMap<String, String> = o
            .ours
            .input
            .iter()
            .cloned()
            .map(|(k, v)| (k, w.as_kpt(&v)))
            .collect();
        assert_eq!(o.ours.files, before, "{extra:?}");
    }
}

#[test]
fn inline_config_map_and_a_resource_matched_twice_match_kpt() {
    let w = World::new();
    let files = vec![
        (
            "Kptfile",
            root_kptfile("  - FN(greet)\n    configMap:\n      greeting: hey\n", ""),
        ),
        ("cm.yaml", CM_YAML.into()),
    ];
    let o = w.compare(&refs(&files), &[]);
    assert_eq!(o.ours.code, Some(0), "{}", o.ours.stderr);
    assert!(o.ours.files["cm.yaml"].contains("hello: hey"));
    // Two selectors matching the same resource: kpt sends it twice, and the function's two
    // copies then collide on their path and index.
    let files = vec![
        (
            "Kptfile",
            root_kptfile(
                "  - FN(label)\n    selectors:\n    - kind: ConfigMap\n    - name: first\n",
                "",
            ),
        ),
        ("cm.yaml", CM_YAML.into()),
    ];
    let o = w.compare(&refs(&files), &[]);
    assert_eq!(o.kpt.code, Some(1), "{}", o.kpt.stderr);
    assert_eq!(o.ours.code, Some(8), "{}", o.ours.stderr);
    assert!(
        o.ours.stderr.contains("on 3 resource(s)"),
        "{}",
        o.ours.stderr
    );
}

#[test]
fn a_multi_key_inline_config_map_matches_kpt_and_is_sent_sorted() {
    let w = World::new();
    let files = vec![
        (
            "Kptfile",
            root_kptfile(
                "  - FN(cfg)\n    configMap:\n      zeta: \"1\"\n      greeting: hey\n      alpha: a b\n",
                "",
            ),
        ),
        ("cm.yaml", CM_YAML.into()),
    ];
    let o = w.compare(&refs(&files), &[]);
    assert_eq!(o.kpt.code, Some(0), "{}", o.kpt.stderr);
    assert_eq!(o.ours.code, Some(0), "{}", o.ours.stderr);
    let cm = &o.ours.files["cm.yaml"];
    assert!(cm.contains("hello: hey"), "{cm}");
    // Ours, as it was written: the keys in sorted order, every time (kpt's order is random).
    for _ in 0..3 {
        w.write_pkg(&w.layout(&refs(&files), false));
        let out = w.ours(&[]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cm = std::fs::read_to_string(w.t().join("pkg/cm.yaml")).unwrap();
        assert!(
            cm.contains("seen-config: 'alpha: a b, greeting: hey, zeta: \"1\"'"),
            "{cm}"
        );
    }
}

#[test]
fn document_foot_comments_and_go_yaml_scalar_styles_match_kpt() {
    let w = World::new();
    // A foot comment after a block scalar, cut off by a blank line (the document's foot:
    // kpt writes it at column 0), one right under it (the entry's foot), one before the next
    // document; a value with a control character (double-quoted, never literal).
    let cms = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\ndata:\n  hello: world\n  text: |\n    two\n    lines\n  # right under\n\n  # the document's foot\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\ndata:\n  keep: |+\n    kept\n\n  # after a kept block\n\n# last one\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: third\ndata:\n  ctl: \"a\\x01b\\nc \\u00e9\\t\"\n  sp: \"trailing \\n\"\n";
    let files = vec![
        ("Kptfile", root_kptfile("  - FN(label)\n", "")),
        ("cm.yaml", cms.to_string()),
    ];
    let o = w.compare(&refs(&files), &[]);
    assert_eq!(o.ours.code, Some(0), "{}", o.ours.stderr);
    let cm = &o.ours.files["cm.yaml"];
    assert!(
        cm.contains("  # right under\n\n# the document's foot\n---\n"),
        "{cm}"
    );
    assert!(cm.contains("ctl: \"a\\x01b\\nc \u{e9}\\t\""), "{cm}");
}

/// Documents whose foot comment follows a blank line: several blocks, a document head
/// comment on the next one, the last document of a file, a file of one document followed
/// by another file, and the last document of the package.
const FOOTED: &[(&str, &str)] = &[
    (
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  hello: world\n\n# f1\n\n\n# f2\n---\n# head of b\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: v\n\n# foot of b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n# foot of c, no blank line\n",
    ),
    (
        "x.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n\n  # foot of x\n",
    ),
    (
        "y.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: v\n",
    ),
    (
        "z.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: z\ndata:\n  hello: world\n\n# foot of z, the last one\n",
    ),
];

#[test]
fn document_foot_comments_move_like_kpt_in_every_output_mode() {
    // kyaml's comment copier moves a document's foot comment onto the resource's mapping;
    // go-yaml's emitter then writes it after the next item's `-` of a ResourceList (after
    // `functionConfig:` for the last item, at the end after a blank line when nothing
    // follows), and read back it is the next resource's head comment. So each function
    // after the first sees it twice, `-o stdout` prints it there, `-o unwrap|DIR` (kpt
    // re-reads its ResourceList) write it on the next resource, also in the next file,
    // and drop the last one; in place it stays where it was (and a copy accumulates).
    // (`name: y` is a string to kpt: go-yaml v3 has no YAML 1.1 booleans.)
    let w = World::new();
    let mut files = vec![(
        "Kptfile",
        root_kptfile(
            "  - FN(label)\n  - FN(greet)\n    configMap:\n      greeting: hey\n  - FN(move)\n    exclude:\n    - name: y\n",
            "",
        ),
    )];
    files.extend(FOOTED.iter().map(|(p, t)| (*p, t.to_string())));
    let mut seen = BTreeMap::new();
    for extra in [
        &[][..],
        &["-o", "stdout"],
        &["-o", "unwrap"],
        &["-o", "out"],
    ] {
        let o = w.compare(&refs(&files), extra);
        assert_eq!(o.ours.code, Some(0), "{extra:?}: {}", o.ours.stderr);
        seen.insert(extra.join(" "), o);
    }
    // What the comparison rests on: the comment moved, and how.
    let stdout = &seen["-o stdout"].ours.stdout;
    assert!(
        stdout.contains("\n-\n# foot of x\n  # foot of x\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("    hello: hey\n\n# foot of z, the last one\n"),
        "{stdout}"
    );
    let unwrapped = &seen["-o unwrap"].ours.stdout;
    assert!(
        unwrapped.contains(
            "---\n# foot of x\n# foot of x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n"
        ),
        "{unwrapped}"
    );
    assert!(!unwrapped.contains("# foot of z"), "{unwrapped}");
    let out = &seen["-o out"].ours.out;
    assert!(
        out["y.yaml"].starts_with("# foot of x\n"),
        "{:?}",
        out["y.yaml"]
    );
    assert!(!out["z.yaml"].contains("foot of z"), "{:?}", out["z.yaml"]);
    let in_place = &seen[""].ours.files;
    assert!(
        in_place["x.yaml"].ends_with("  k: v\n\n# foot of x\n"),
        "{:?}",
        in_place["x.yaml"]
    );
}

#[test]
fn characters_are_written_and_quoted_like_kpt() {
    // go-yaml's emitter picks the style it can write (`is_printable`: nothing beyond the
    // BMP, no BOM; indicators; breaks), whatever the file had; Go's `%q` escapes what
    // `strconv.IsPrint` (Unicode 15.0.0) refuses.
    let w = World::new();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chars\ndata:\n  plain: caf\u{e9} \u{1f600} ok\n  single: 'smile \u{1f600}'\n  lit: |\n    smile \u{1f600}\n    two\n  nb: a\u{a0}b\n  k: 'a\n\n    b'\n  f: [\"\u{1f600}\", 'a b', c d]\n  m: {a: , b: ~}\n  \u{1f600}k: 1\n  pl: a\u{feff}b\n  hello: world\n";
    let files = vec![
        (
            "Kptfile",
            root_kptfile(
                "  - FN(chars)\n  - FN(greet)\n    configMap:\n      greeting: hey\n",
                "",
            ),
        ),
        ("cm.yaml", cm.to_string()),
    ];
    for extra in [&["--results-dir", "res"][..], &["-o", "stdout"]] {
        let o = w.compare(&refs(&files), extra);
        assert_eq!(o.ours.code, Some(0), "{}", o.ours.stderr);
        if extra[0] == "--results-dir" {
            let cm = &o.ours.files["cm.yaml"];
            assert!(
                cm.contains("  plain: \"caf\u{e9} \\U0001F600 ok\"\n"),
                "{cm}"
            );
            assert!(cm.contains("  m: {a: '', b: ~}\n"), "{cm}");
            let r = o.ours.results.as_deref().unwrap();
            assert!(r.contains("message: 'a: b'"), "{r}");
            assert!(r.contains("message: \"\\uFEFF\\x61\\x62\""), "{r}");
            assert!(
                o.ours.stderr.contains(r#""none \U0001fae9 \u2ffc""#),
                "{}",
                o.ours.stderr
            );
        }
    }
}

#[test]
fn render_applies_the_sandbox_limits_run_has() {
    let w = World::new();
    let files = vec![
        ("Kptfile", root_kptfile("  - FN(fill)\n", "")),
        ("cm.yaml", CM_YAML.into()),
    ];
    let layout = w.layout(&refs(&files), false);
    // The default /tmp (256m) has room.
    w.write_pkg(&layout);
    let out = w.ours(&[]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --tmp-size 1m has not: the function fails, nothing is written.
    let pkg = w.write_pkg(&layout);
    let out = w.ours(&["--tmp-size", "1m"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("\"no room in /tmp\""), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(pkg.join("cm.yaml")).unwrap(),
        CM_YAML
    );
    // The other limits are render flags too, and bad values are usage errors.
    let out = w
        .ours(&["--pids-limit", "64", "--memory", "512m", "--cpus", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = w.ours(&["--memory", "lots"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn truncate_output_false_shows_every_stderr_line_like_kpt() {
    let w = World::new();
    let files = vec![
        ("Kptfile", root_kptfile("  - FN(noisy)\n", "  - FN(fail)\n")),
        ("cm.yaml", CM_YAML.into()),
    ];
    for extra in [&[][..], &["--truncate-output=false"]] {
        let o = w.compare(&refs(&files), extra);
        assert_eq!(o.ours.code, Some(8), "{}", o.ours.stderr);
        let truncated = o.ours.stderr.matches("line(s) truncated").count();
        assert_eq!(
            truncated,
            if extra.is_empty() { 2 } else { 0 },
            "{}",
            o.ours.stderr
        );
        assert_eq!(o.ours.stderr.contains("\"noise 6\""), !extra.is_empty());
    }
}

#[test]
fn image_pull_policy_if_not_present_needs_no_network_never_needs_the_cache() {
    let mut w = World::new();
    let files = vec![
        ("Kptfile", root_kptfile("  - FN(label)\n", "")),
        ("cm.yaml", CM_YAML.into()),
    ];
    // never, with an empty cache: refused before anything runs (exit 4), package unchanged.
    let layout = w.layout(&refs(&files), false);
    let pkg = w.write_pkg(&layout);
    let out = w.ours(&["--image-pull-policy", "never"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(!stderr.contains("[RUNNING]"), "{stderr}");
    assert!(stderr.contains("ifNotPresent"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(pkg.join("cm.yaml")).unwrap(),
        CM_YAML
    );
    // First render pulls; then the registry goes away.
    let out = w.ours(&[]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    w.reg.kill();
    for policy in ["ifNotPresent", "IfNotPresent", "never"] {
        w.write_pkg(&layout);
        let out = w.ours(&["--image-pull-policy", policy]).output().unwrap();
        assert!(
            out.status.success(),
            "{policy}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // always needs the registry.
    w.write_pkg(&layout);
    let out = w.ours(&["--image-pull-policy", "always"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(pkg.join("cm.yaml")).unwrap(),
        CM_YAML
    );
}

#[test]
fn exec_functions_need_allow_exec_and_bad_pipelines_are_usage_errors() {
    let t = tempfile::tempdir().unwrap();
    let pkg = t.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("Kptfile"),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n  - exec: cat\n",
    )
    .unwrap();
    std::fs::write(pkg.join("cm.yaml"), CM_YAML).unwrap();
    let out = bin().args(["render"]).arg(&pkg).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-exec"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(pkg.join("cm.yaml")).unwrap(),
        CM_YAML
    );
    // With it, `cat` formats the package like kpt.
    let out = bin()
        .args(["render", "--allow-exec"])
        .arg(&pkg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        pkg.join("Kptfile"),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n  - {}\n",
    )
    .unwrap();
    let out = bin().args(["render"]).arg(&pkg).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{stderr}"
    );
    let out = bin()
        .args(["render"])
        .arg(t.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn multi_line_single_quoted_strings_in_flow_collections_match_kpt() {
    // go-yaml keeps a multi-line single-quoted string in a flow collection single-quoted,
    // continued 2 columns past the collection's indent (4 past its key or `-`).
    let w = World::new();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: q\ndata:\n  hello: world\nlist: ['one\n\n  two', b]\nm: {k: 'a\n\n  b'}\nitems:\n- x: ['c\n\n  d', [e, 'f\n\n  g']]\n";
    let files = vec![
        ("Kptfile", root_kptfile("  - FN(greet)\n", "")),
        ("cm.yaml", cm.to_string()),
    ];
    for extra in [&[][..], &["-o", "stdout"]] {
        let o = w.compare(&refs(&files), extra);
        assert_eq!(o.kpt.code, Some(0), "{}", o.kpt.stderr);
        assert_eq!(o.ours.code, Some(0), "{}", o.ours.stderr);
    }
    let o = w.compare(&refs(&files), &[]);
    let written = &o.kpt.files["cm.yaml"];
    assert!(
        written.contains("list: ['one\n\n    two', b]\n"),
        "{written}"
    );
    assert!(written.contains("[e, 'f\n\n        g']"), "{written}");
}
