//! The layout the README's "Development" map describes, checked on the source itself: a tiny
//! scanner reads every `crate::...` path (grouped `use crate::{a, b::c}` too, and the
//! `errln!`/`outln!` macros of `ui::output`) in src/ and checks who may import whom.
//!
//! - `runner` (the core) imports only itself and `error` (the one error type and exit-code
//!   table: pure values that import nothing of the crate);
//! - an edge (`cluster`, `registry`, `credentials`, `krm`, `manifests`, `sandbox`, `ui`, `cli`)
//!   imports the core, `error`, and of the other edges only `ui::output`, the one sink every
//!   write to stdout/stderr goes through; one edge's result reaches another through a command;
//! - only `settings` (and `main_entry`) read `cli`; only commands and settings combine edges;
//! - no import cycle between top-level modules, nor between the core's modules and the rest;
//! - one duration parser, one package walker, one `.krmignore` parser, one container rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CORE: &str = "runner";
const EDGES: &[&str] = &[
    "cluster",
    "registry",
    "credentials",
    "krm",
    "manifests",
    "sandbox",
    "ui",
    "cli",
];
/// The one output sink, which every module may write through.
const SINK: &str = "ui::output";

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source without comments, string and char literals (their text cannot import).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'r' && matches!(b.get(i + 1), Some(b'"' | b'#')) && {
            let mut j = i + 1;
            while b.get(j) == Some(&b'#') {
                j += 1;
            }
            b.get(j) == Some(&b'"')
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        } {
            let mut hashes = 0;
            i += 1;
            while b[i] == b'#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == b'"'
                    && b[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&h| h == b'#')
                        .count()
                        == hashes
                {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == b'\'' {
            // A char literal ('x', '\n', '"'), else a lifetime ('a).
            if b.get(i + 1) == Some(&b'\\') {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            } else if let Some(ch) = src[i + 1..].chars().next()
                && b.get(i + 1 + ch.len_utf8()) == Some(&b'\'')
            {
                i += 2 + ch.len_utf8();
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            let ch = src[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The paths after `crate::` (`{a, b::{c, d}}` expanded), each as its first two segments.
fn crate_paths(code: &str) -> Vec<String> {
    fn expand(s: &str, prefix: &str, out: &mut Vec<String>) -> usize {
        // `s` starts right after `crate::` or after a `{`/`,` inside a group.
        let mut i = 0;
        let bytes = s.as_bytes();
        let mut path = prefix.to_string();
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'{' {
                i += 1;
                loop {
                    i += expand(&s[i..], &path, out);
                    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    match bytes.get(i) {
                        Some(b',') => i += 1,
                        Some(b'}') => return i + 1,
                        _ => return i,
                    }
                    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    if bytes.get(i) == Some(&b'}') {
                        return i + 1;
                    }
                }
            }
            let id = ident_at(&s[i..]);
            if id.is_empty() {
                if !path.is_empty() {
                    out.push(path);
                }
                return i;
            }
            i += id.len();
            if !path.is_empty() {
                path.push_str("::");
            }
            path.push_str(id);
            if s[i..].starts_with("::") {
                i += 2;
            } else {
                out.push(path);
                return i;
            }
        }
    }
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let n = expand(rest, "", &mut out);
        rest = &rest[n..];
    }
    out.into_iter()
        .map(|p| {
            let p = match p.as_str() {
                "errln" | "outln" => SINK.to_string(),
                _ => p,
            };
            p.split("::").take(2).collect::<Vec<_>>().join("::")
        })
        .collect()
}

struct Source {
    /// `src/`-relative path.
    rel: String,
    /// Top-level module (`runner`, `cli`, ...; `""` for lib.rs and main.rs).
    top: String,
    /// Second-level module path (`runner::plan`), or the top for a top-level file.
    module: String,
    code: String,
}

fn sources() -> Vec<Source> {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
            let top = match parts[0] {
                "lib" | "main" => String::new(),
                t => t.to_string(),
            };
            let module = match parts.get(1) {
                Some(&"mod") | None => top.clone(),
                Some(sub) => format!("{top}::{sub}"),
            };
            let code = code_only(&std::fs::read_to_string(&p).unwrap());
            Source {
                rel,
                top,
                module,
                code,
            }
        })
        .collect()
}

/// May module `from` (top-level) import `to` (first two segments of a `crate::` path)?
fn allowed(from: &str, to: &str) -> bool {
    let to_top = to.split("::").next().unwrap_or(to);
    if from.is_empty() || to_top == from {
        return true;
    }
    match from {
        "error" => false,
        CORE => to_top == "error",
        f if EDGES.contains(&f) => to_top == CORE || to_top == "error" || to == SINK,
        "settings" => to_top != "commands",
        // Commands read resolved settings, never the clap structs.
        "commands" => to_top != "cli" || to == "cli::command",
        other => panic!(
            "src/{other}: a top-level module the layout does not know; add it to the README map and this test"
        ),
    }
}

#[test]
fn imports_follow_the_layout() {
    let mut bad = Vec::new();
    for s in sources() {
        for to in crate_paths(&s.code) {
            if !allowed(&s.top, &to) {
                bad.push(format!("src/{} ({}) imports crate::{to}", s.rel, s.top));
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(
        bad.is_empty(),
        "imports against the layout (README, Development):\n{}",
        bad.join("\n")
    );
}

/// A cycle in `graph`, if any (as the list of nodes around it).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|x| x == m).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if !state.contains_key(n.as_str())
            && let Some(c) = visit(n, graph, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_import_cycles() {
    let srcs = sources();
    // Between top-level modules.
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Between second-level modules across top-level ones (`credentials` -> `ui::wizard` ->
    // `credentials` was such a circle), and within the core.
    let mut fine: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let known: BTreeSet<String> = srcs.iter().map(|s| s.module.clone()).collect();
    for s in srcs.iter().filter(|s| !s.top.is_empty()) {
        for to in crate_paths(&s.code) {
            // `cli::Cli` is module `cli`; `runner::plan::Target` is module `runner::plan`.
            let to = if known.contains(&to) {
                to
            } else {
                to.split("::").next().unwrap().to_string()
            };
            let to_top = to.split("::").next().unwrap().to_string();
            if to_top != s.top {
                top.entry(s.top.clone()).or_default().insert(to_top.clone());
            }
            if (to_top != s.top || s.top == CORE) && to != s.module {
                fine.entry(s.module.clone()).or_default().insert(to);
            }
        }
    }
    assert_eq!(find_cycle(&top), None, "a cycle between top-level modules");
    assert_eq!(find_cycle(&fine), None, "a cycle between modules");
}

/// The files whose code (comments and strings removed; or, where `raw`, the text before the
/// unit tests) contains `needle`.
fn files_with(needle: &str, raw: bool) -> Vec<String> {
    let root = src_dir();
    sources()
        .into_iter()
        .filter(|s| {
            let text = if raw {
                // Strings kept; the unit tests (which write such files) left out.
                let t = std::fs::read_to_string(root.join(&s.rel)).unwrap();
                t.split("#[cfg(test)]")
                    .next()
                    .unwrap_or_default()
                    .to_string()
            } else {
                s.code.clone()
            };
            text.contains(needle)
        })
        .map(|s| s.rel)
        .collect()
}

#[test]
fn one_model_per_concept() {
    // One duration parser: the only code that maps unit suffixes to lengths of time.
    assert_eq!(files_with(r#""ms" =>"#, true), ["runner/duration.rs"]);
    // One package walker: the only code (unit tests aside) that lists directories and looks
    // for manifest files in them (others list the image cache, /proc, an unpacked root).
    let root = src_dir();
    let walkers: Vec<String> = sources()
        .into_iter()
        .filter(|s| {
            let t = std::fs::read_to_string(root.join(&s.rel)).unwrap();
            let t = t.split("#[cfg(test)]").next().unwrap_or_default();
            t.contains("read_dir(")
                && ["\"Kptfile\"", "\".yaml\"", "\"yaml\"", "\".yml\""]
                    .iter()
                    .any(|n| t.contains(n))
        })
        .map(|s| s.rel)
        .collect();
    assert_eq!(walkers, ["krm/tree.rs"]);
    // One .krmignore parser: the only place that reads a `.krmignore` file.
    assert_eq!(files_with(r#"".krmignore""#, true), ["krm/tree.rs"]);
    assert_eq!(files_with("struct KrmIgnore", false), ["krm/krmignore.rs"]);
    // One container model and one rule for which container is the runner.
    assert_eq!(
        files_with("struct RunnerContainer", false),
        ["runner/container.rs"]
    );
    assert_eq!(files_with("fn locate<", false), ["runner/container.rs"]);
    // One image-config reader (go-containerregistry's rules) for a pull and an OCI layout.
    assert_eq!(files_with("fn parse_config(", false), ["runner/oci.rs"]);
    // Every reader of the runner container: the plan, the lint, the ownership reads and THE
    // view (`runner::view`: status, check, setup, remove, pull-test read it live, the probe
    // over manifests) find it through the rule, or read it through the view.
    for f in [
        "runner/plan.rs",
        "runner/lint/model.rs",
        "registry/probe.rs",
        "runner/managed.rs",
        "runner/view.rs",
    ] {
        assert!(
            files_with("container::locate(", false).contains(&f.to_string())
                || files_with("RunnerContainer::find(", false).contains(&f.to_string())
                || files_with("view::runner_view(", false).contains(&f.to_string()),
            "{f} finds the runner container through runner::container::locate"
        );
    }
    // No second rule: nothing else picks a Deployment's container out of the list by an
    // exact name (`.find(|c| c["name"] == container)`). The two left pick containers of
    // pod specs the tool writes or Porch defines, never the runner's: the node-trust
    // DaemonSet's own `node-trust` container, and Porch's base pod template's `function`.
    let root = src_dir();
    let by_name: Vec<String> = sources()
        .into_iter()
        // THE rule's own file reads the names to apply it.
        .filter(|s| s.rel != "runner/container.rs")
        .filter(|s| {
            let t = std::fs::read_to_string(root.join(&s.rel)).unwrap();
            let t = t.split("#[cfg(test)]").next().unwrap_or_default();
            t.lines().any(|l| {
                let l = l.replace(' ', "");
                (l.contains("|c|c[\"name\"]==") || l.contains("|c|c.get(\"name\")"))
                    && !l.contains("c[\"name\"]!=")
            })
        })
        .map(|s| s.rel)
        .collect();
    assert_eq!(by_name, ["runner/node_trust.rs", "runner/pull_test.rs"]);
    assert!(
        !files_with("fn named(", false).contains(&"runner/container.rs".to_string()),
        "RunnerContainer has no exact-name lookup beside THE rule"
    );
}

#[test]
fn the_scanner_sees_grouped_and_macro_imports() {
    let code = code_only(
        "use crate::{error::Error, krm::{tree, kyaml::KNode}};\n// crate::cli::Cli\nlet s = \"crate::cluster\";\ncrate::errln!(\"x\");\nfn f<'a>(c: char) -> bool { c == '\"' }\nlet x = crate::registry::cache::rootfs_dir(p);",
    );
    assert_eq!(
        crate_paths(&code),
        [
            "error::Error",
            "krm::tree",
            "krm::kyaml",
            SINK,
            "registry::cache"
        ]
    );
    assert!(!allowed("sandbox", "registry::cache"));
    assert!(allowed("sandbox", "ui::output"));
    assert!(!allowed("credentials", "ui::wizard"));
    assert!(!allowed(CORE, "cli::Cli"));
    assert!(allowed("commands", "sandbox::rootfs"));
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(find_cycle(&g).is_some());
}
