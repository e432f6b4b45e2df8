//! The render engine: a package tree's Kptfile pipelines run the way `kpt fn render`
//! (kpt 1.0.0-beta.56, `internal/util/render/executor.go`) runs them. Running a function is
//! behind [`FunctionRunner`]; reading and writing files is done here, with kpt's layout
//! annotations and kyaml's formatting ([`super::kyaml`]).
//!
//! - Subpackages first, depth first, in lexical order; each pipeline gets its subpackages'
//!   rendered resources, then its own (the Kptfile included), mutators then validators.
//! - A function sees a `ResourceList` as kpt writes it: items with the reader's annotations,
//!   a per-call id, and the functionConfig (`configPath`: the resource of this package at that
//!   path, as the earlier functions left it; `configMap`: a `function-input` ConfigMap).
//! - Its output gets the input's comments and field order back, generated resources a path,
//!   the path/index annotations reconciled; `selectors`/`exclude` limit what it sees and its
//!   output is merged back in place of what it saw.
//! - Nothing is written unless every function succeeded; then every file of the tree is
//!   written formatted, files no resource points at any more are deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use super::kyaml::{self, KDoc, KNode, Kind, Style};
use super::report;
use crate::error::{Error, Result};

pub const PATH: &str = "internal.config.kubernetes.io/path";
pub const INDEX: &str = "internal.config.kubernetes.io/index";
pub const LEGACY_PATH: &str = "config.kubernetes.io/path";
pub const LEGACY_INDEX: &str = "config.kubernetes.io/index";
pub const PKG_PATH: &str = "internal.config.kubernetes.io/package-path";
pub const SEQ_INDENT: &str = "internal.config.kubernetes.io/seqindent";
pub const MIGRATION_ID: &str = "internal.config.kubernetes.io/annotations-migration-resource-id";
pub const ID: &str = "internal.config.kubernetes.io/id";
pub const LEGACY_ID: &str = "config.k8s.io/id";
pub const RESOURCE_ID: &str = super::select::RESOURCE_ID_ANNOTATION;

/// How a function of a pipeline is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FnRef {
    Image(String),
    Exec(String),
}

impl FnRef {
    /// The name kpt prints and records (`image` or `exec`).
    pub fn name(&self) -> &str {
        match self {
            FnRef::Image(s) | FnRef::Exec(s) => s,
        }
    }
}

pub use super::select::Selector;

/// One function of a Kptfile pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub fn_ref: FnRef,
    pub config_path: Option<String>,
    pub config_map: BTreeMap<String, String>,
    pub selectors: Vec<Selector>,
    pub exclude: Vec<Selector>,
}

/// A Kptfile's pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipeline {
    pub mutators: Vec<Function>,
    pub validators: Vec<Function>,
}

impl Pipeline {
    pub fn is_empty(&self) -> bool {
        self.mutators.is_empty() && self.validators.is_empty()
    }

    /// Every function of the pipeline.
    pub fn functions(&self) -> impl Iterator<Item = &Function> {
        self.mutators.iter().chain(self.validators.iter())
    }
}

fn str_map(v: Option<&Value>, what: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    Value::Bool(_) | Value::Number(_) => v.to_string(),
                    _ => return Err(Error::usage(format!("{what}.{k} must be a string"))),
                };
                out.insert(k.clone(), s);
            }
        }
        Some(_) => return Err(Error::usage(format!("{what} must be a mapping"))),
    }
    Ok(out)
}

fn selector(v: &Value, what: &str) -> Result<Selector> {
    serde_json::from_value(v.clone()).map_err(|e| {
        Error::usage(format!(
            "{what}: not a selector ({e}): give apiVersion, kind, name, namespace, labels or annotations"
        ))
    })
}

fn selectors(v: Option<&Value>, what: &str) -> Result<Vec<Selector>> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, s)| selector(s, &format!("{what}[{i}]")))
            .collect(),
        Some(_) => Err(Error::usage(format!("{what} must be a list"))),
    }
}

/// The pipeline of a Kptfile (as JSON); errors name the Kptfile and the field.
pub fn parse_pipeline(kptfile: &Value, file: &Path) -> Result<Pipeline> {
    let bad = |m: String| {
        Error::usage(format!(
            "{}: {m}; fix the Kptfile's pipeline",
            file.display()
        ))
    };
    let mut out = Pipeline::default();
    let Some(pl) = kptfile.get("pipeline").filter(|p| !p.is_null()) else {
        return Ok(out);
    };
    for (field, list) in [
        ("mutators", &mut out.mutators),
        ("validators", &mut out.validators),
    ] {
        let Some(v) = pl.get(field).filter(|v| !v.is_null()) else {
            continue;
        };
        let Some(arr) = v.as_array() else {
            return Err(bad(format!("pipeline.{field} is not a list")));
        };
        for (i, f) in arr.iter().enumerate() {
            let what = format!("pipeline.{field}[{i}]");
            let image = f.get("image").and_then(Value::as_str).unwrap_or("");
            let exec = f.get("exec").and_then(Value::as_str).unwrap_or("");
            let fn_ref = match (image.is_empty(), exec.is_empty()) {
                (false, true) => FnRef::Image(image.to_string()),
                (true, false) => FnRef::Exec(exec.to_string()),
                (false, false) => {
                    return Err(bad(format!("{what} has both image and exec; keep one")));
                }
                (true, true) => {
                    return Err(bad(format!("{what} must specify `exec` or `image`")));
                }
            };
            let config_path = f
                .get("configPath")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            let config_map = str_map(f.get("configMap"), &format!("{what}.configMap"))
                .map_err(|e| bad(e.to_string()))?;
            if config_path.is_some() && !config_map.is_empty() {
                return Err(bad(format!(
                    "{what} has both configPath and configMap; functionConfig must be given once"
                )));
            }
            if let Some(p) = &config_path
                && super::package::safe_relative(p).is_none()
            {
                return Err(bad(format!(
                    "{what}.configPath {p:?} must be a relative path inside the package"
                )));
            }
            list.push(Function {
                fn_ref,
                config_path,
                config_map,
                selectors: selectors(f.get("selectors"), &format!("{what}.selectors"))
                    .map_err(|e| bad(e.to_string()))?,
                exclude: selectors(f.get("exclude"), &format!("{what}.exclude"))
                    .map_err(|e| bad(e.to_string()))?,
            });
        }
    }
    Ok(out)
}

/// What a function run produced.
pub struct FnRun {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `None`: exit 0. Otherwise the error to report (its exit code for the results).
    pub failure: Option<(i32, Error)>,
}

/// Runs one function on a serialized `ResourceList`.
pub trait FunctionRunner {
    fn run(&mut self, f: &FnRef, input: &[u8]) -> Result<FnRun>;
}

/// A resource's path and index annotations (internal, legacy) before a function ran.
pub type Layout = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A resource in the render: its document (root mapping and document head comment).
pub type Resource = KDoc;

/// One package of the tree.
#[derive(Debug)]
pub struct PackageNode {
    /// Absolute path.
    pub abs: PathBuf,
    /// Path relative to the root package (`""` for the root).
    pub rel: String,
    /// What kpt prints: the root directory's name, then the relative path.
    pub display: String,
    pub pipeline: Pipeline,
    pub subpackages: Vec<PackageNode>,
    /// The package's own files (relative to it) and their text.
    pub files: Vec<(String, String)>,
}

/// The functions of every pipeline of the tree, in the order they run.
pub fn all_functions(p: &PackageNode) -> Vec<&Function> {
    let mut out = Vec::new();
    for s in &p.subpackages {
        out.extend(all_functions(s));
    }
    out.extend(p.pipeline.functions());
    out
}

/// Read the package tree under `root` (which must hold a Kptfile) with the one package
/// reader ([`super::tree`]).
pub fn read_tree(root: &Path) -> Result<PackageNode> {
    let abs = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    if !abs.is_dir() {
        return Err(Error::usage(format!(
            "{}: not a directory; give a kpt package directory",
            root.display()
        )));
    }
    let tree = super::tree::read_tree(&abs)?;
    tree.warn_skipped();
    if !tree.packages[0].has_kptfile {
        return Err(Error::not_found(format!(
            "{}: no Kptfile; a package to render needs one (kpt pkg init {})",
            root.display(),
            root.display()
        )));
    }
    let display = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "/".into());
    node_of(&tree, 0, &abs, &display)
}

fn node_of(
    tree: &super::tree::PackageTree,
    i: usize,
    root: &Path,
    root_display: &str,
) -> Result<PackageNode> {
    let n = &tree.packages[i];
    let abs = if n.dir.is_empty() {
        root.to_path_buf()
    } else {
        root.join(&n.dir)
    };
    let display = if n.dir.is_empty() {
        root_display.to_string()
    } else {
        format!("{root_display}/{}", n.dir)
    };
    let files: Vec<(String, String)> = tree
        .package_files(i)
        .map(|f| (n.local_path(&f.rel).to_string(), f.text.clone()))
        .collect();
    let kf = abs.join("Kptfile");
    let text = files
        .iter()
        .find(|(p, _)| p == "Kptfile")
        .map(|(_, t)| t.clone())
        .ok_or_else(|| {
            Error::not_found(format!(
                "{}: the Kptfile could not be read (skipped or ignored); make it a regular file",
                kf.display()
            ))
        })?;
    let docs = kyaml::parse(&text).map_err(|e| {
        Error::usage(format!(
            "{}: not valid YAML: {e}; fix the file",
            kf.display()
        ))
    })?;
    let [doc] = docs.as_slice() else {
        return Err(Error::usage(format!(
            "{}: must hold exactly one Kptfile document; fix the file",
            kf.display()
        )));
    };
    let json = doc.root.to_json();
    if json.get("kind").and_then(Value::as_str) != Some("Kptfile") {
        return Err(Error::usage(format!(
            "{}: is not a Kptfile (kind: Kptfile); fix the file",
            kf.display()
        )));
    }
    let pipeline = parse_pipeline(&json, &kf)?;
    let subpackages = n
        .subpackages
        .iter()
        .map(|s| node_of(tree, *s, root, root_display))
        .collect::<Result<Vec<_>>>()?;
    Ok(PackageNode {
        abs,
        rel: n.dir.clone(),
        display,
        pipeline,
        subpackages,
        files,
    })
}

/// A package's own resources (subpackages excluded), with the reader's annotations.
pub fn local_resources(pkg: &PackageNode) -> Result<Vec<Resource>> {
    let mut out = Vec::new();
    let pkg_path = pkg.abs.to_string_lossy().into_owned();
    for (rel, text) in &pkg.files {
        let path = pkg.abs.join(rel);
        let text = text.replace("\r\n", "\n");
        for (i, (mut doc, wide)) in split_and_parse(&text, &path)?.into_iter().enumerate() {
            if doc.root.entries().is_none() {
                return Err(Error::usage(format!(
                    "{}: document {} is not a mapping (a Kubernetes resource); fix or .krmignore the file",
                    path.display(),
                    i + 1
                )));
            }
            let mut anns: Vec<(&str, String)> = vec![
                (LEGACY_INDEX, i.to_string()),
                (LEGACY_PATH, rel.clone()),
                (INDEX, i.to_string()),
                (PKG_PATH, pkg_path.clone()),
                (PATH, rel.clone()),
                (
                    SEQ_INDENT,
                    if wide { "wide" } else { "compact" }.to_string(),
                ),
            ];
            anns.sort();
            for (k, v) in anns {
                doc.root.set_annotation(k, &v);
            }
            out.push(doc);
        }
    }
    Ok(out)
}

/// kyaml's ByteReader: documents split at `---` lines, each parsed on its own, with its own
/// sequence indentation style.
pub fn split_and_parse(text: &str, path: &Path) -> Result<Vec<(KDoc, bool)>> {
    let mut out = Vec::new();
    for part in split_documents(text) {
        let docs = kyaml::parse(&part).map_err(|e| {
            Error::usage(format!(
                "{}: not valid YAML: {e}; fix the file",
                path.display()
            ))
        })?;
        let wide = kyaml::derive_wide(&part);
        for d in docs {
            out.push((d, wide));
        }
    }
    Ok(out)
}

fn split_documents(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.split_inclusive('\n') {
        let t = line.trim_end();
        if t == "---" || (t.starts_with("--- ") || t.starts_with("---\t")) {
            // A comment on the `---` line is lost, as kpt loses it (fn render and fn eval).
            out.push(std::mem::take(&mut cur));
            continue;
        }
        cur.push_str(line);
    }
    out.push(cur);
    out
}

/// The hydration state shared by the walk.
pub struct Render<'a> {
    pub runner: &'a mut dyn FunctionRunner,
    pub allow_exec: bool,
    /// kpt's messages (stderr).
    pub log: &'a mut dyn Write,
    /// All function results, in run order (kpt's `FunctionResultList.items`).
    pub results: Vec<KNode>,
    pub executed: usize,
    pub packages: usize,
    /// Files read, relative to the root.
    pub input_files: BTreeSet<String>,
    /// kpt's `--truncate-output` (its default: on): at most four lines of each function's
    /// results and stderr.
    pub truncate_output: bool,
}

fn path_join(dir: &str, p: &str) -> String {
    let cleaned = super::package::safe_relative(p)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|| p.to_string());
    if dir.is_empty() {
        cleaned
    } else {
        format!("{dir}/{cleaned}")
    }
}

impl Render<'_> {
    fn say(&mut self, s: &str) {
        let _ = self.log.write_all(s.as_bytes());
    }

    /// Hydrate a package: its subpackages, then its pipeline on everything.
    pub fn hydrate(&mut self, pkg: &PackageNode) -> Result<Vec<Resource>> {
        let mut input = Vec::new();
        for sub in &pkg.subpackages {
            input.extend(self.hydrate(sub)?);
        }
        let local = local_resources(pkg)?;
        for r in &local {
            if let Some(p) = r.root.annotation(PATH) {
                self.input_files.insert(path_join(&pkg.rel, p));
            }
        }
        input.extend(local);
        self.packages += 1;
        self.say(&format!("Package {:?}: \n", pkg.display));
        if pkg.pipeline.is_empty() {
            check_krm(&input, "input")?;
            return Ok(input);
        }
        for f in pkg.pipeline.functions() {
            if matches!(f.fn_ref, FnRef::Exec(_)) && !self.allow_exec {
                return Err(Error::usage(format!(
                    "{}: the pipeline runs exec function {:?}: must run with `--allow-exec` option to allow running function binaries",
                    pkg.abs.join("Kptfile").display(),
                    f.fn_ref.name()
                )));
            }
        }
        let pkg_path = pkg.abs.to_string_lossy().into_owned();
        for f in &pkg.pipeline.mutators {
            let mut config = self.fn_config(f, pkg)?;
            if let Some(cp) = &f.config_path {
                // The config as the earlier functions left it.
                if let Some(r) = input.iter().find(|r| {
                    r.root.annotation(PKG_PATH) == Some(pkg_path.as_str())
                        && r.root.annotation(PATH) == Some(cp.as_str())
                }) {
                    config = Some(r.root.clone());
                }
            }
            let selecting = !f.selectors.is_empty() || !f.exclude.is_empty();
            if selecting {
                for (i, r) in input.iter_mut().enumerate() {
                    r.root.set_annotation(RESOURCE_ID, &i.to_string());
                }
            }
            let selected = select(&input, f);
            let output = self.run_fn(f, &pkg_path, selected.clone(), config.as_ref(), selecting)?;
            self.executed += 1;
            input = if selecting {
                let mut merged = merge_with_input(output, &selected, input);
                for r in merged.iter_mut() {
                    r.root.clear_annotation(RESOURCE_ID);
                }
                merged
            } else {
                output
            };
        }
        for f in &pkg.pipeline.validators {
            let config = self.fn_config(f, pkg)?;
            let selecting = !f.selectors.is_empty() || !f.exclude.is_empty();
            let selected = select(&input, f);
            self.run_fn(f, &pkg_path, selected, config.as_ref(), selecting)?;
            self.executed += 1;
        }
        self.say("\n");
        Ok(input)
    }

    fn fn_config(&self, f: &Function, pkg: &PackageNode) -> Result<Option<KNode>> {
        if let Some(cp) = &f.config_path {
            let path = pkg.abs.join(cp);
            let text = std::fs::read_to_string(&path).map_err(|_| {
                Error::not_found(format!(
                    "{}: missing function config {cp:?} of {}; create it or fix configPath",
                    pkg.abs.join("Kptfile").display(),
                    f.fn_ref.name()
                ))
            })?;
            let mut docs = kyaml::parse(&text).map_err(|e| {
                Error::usage(format!(
                    "{}: invalid function config: {e}; fix the file",
                    path.display()
                ))
            })?;
            if docs.len() != 1 {
                return Err(Error::usage(format!(
                    "{}: a function config must be exactly one resource; split the file",
                    path.display()
                )));
            }
            return Ok(Some(docs.remove(0).root));
        }
        if !f.config_map.is_empty() {
            let data = KNode::new(Kind::Map {
                entries: f
                    .config_map
                    .iter()
                    .map(|(k, v)| (kyaml::string_node(k), quoted_str(v)))
                    .collect(),
                flow: true,
            });
            return Ok(Some(KNode::map(vec![
                (plain("apiVersion"), plain("v1")),
                (plain("kind"), plain("ConfigMap")),
                (
                    plain("metadata"),
                    KNode::map(vec![(plain("name"), plain("function-input"))]),
                ),
                (plain("data"), data),
            ])));
        }
        Ok(None)
    }

    /// Run one function on `input` (kyaml's `FunctionFilter` plus kpt's runner checks).
    fn run_fn(
        &mut self,
        f: &Function,
        pkg_path: &str,
        mut input: Vec<Resource>,
        config: Option<&KNode>,
        show_count: bool,
    ) -> Result<Vec<Resource>> {
        let name = f.fn_ref.name().to_string();
        self.say(&report::running_line(
            &name,
            show_count.then_some(input.len()),
        ));
        let started = Instant::now();
        check_krm(&input, "input")?;
        let before = tag_input(&mut input);
        let rl = resource_list_text(&input, config);
        let run = self.runner.run(&f.fn_ref, rl.as_bytes())?;
        let took = report::kpt_duration(started.elapsed());
        let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
        let parsed = parse_resource_list(&stdout);
        let results: Vec<Value> = parsed
            .as_ref()
            .ok()
            .and_then(|(_, r)| r.clone())
            .map(|r| results_of(&r))
            .unwrap_or_default();
        // kpt's `ExecError` (the function exited non-zero: stderr and exit code printed) or
        // a failure found in its output (only the results printed; recorded as exit code 1).
        let failure = match (run.failure, &parsed) {
            (Some((code, err)), _) => Some((code, err, true)),
            (None, Err(e)) => Some((
                1,
                Error::FunctionFailed(format!(
                    "{name}: the function's output is not a ResourceList ({e}); nothing was written"
                )),
                false,
            )),
            (None, Ok(_)) => None,
        };
        let code = failure.as_ref().map_or(0, |(c, _, _)| *c);
        self.results.push(report::result_item(
            &name,
            matches!(f.fn_ref, FnRef::Exec(_)),
            &results,
            &run.stderr,
            code,
        ));
        let truncate = self.truncate_output;
        if let Some((code, err, exec_error)) = failure {
            self.say(&report::fail_block(
                &name,
                &took,
                &results,
                &run.stderr,
                exec_error.then_some(code),
                truncate,
            ));
            return Err(err);
        }
        let (output, _) = parsed.expect("checked above");
        let output = absorb_output(&name, &input, &before, output, pkg_path).inspect_err(|_| {
            self.say(&report::fail_block(
                &name, &took, &results, b"", None, truncate,
            ));
        })?;
        self.say(&report::pass_block(
            &name,
            &took,
            &results,
            &run.stderr,
            truncate,
        ));
        Ok(output)
    }
}

/// Before a function runs (kio.Pipeline's migration ids, FunctionFilter's ids): what the
/// reader's path and index annotations were, to reconcile the output with.
pub fn tag_input(input: &mut [Resource]) -> Vec<Layout> {
    let before: Vec<Layout> = input
        .iter()
        .map(|r| {
            let a = |k| r.root.annotation(k).map(str::to_string);
            (a(PATH), a(LEGACY_PATH), a(INDEX), a(LEGACY_INDEX))
        })
        .collect();
    for (i, r) in input.iter_mut().enumerate() {
        if r.root.annotation(MIGRATION_ID).is_none() {
            r.root.set_annotation(MIGRATION_ID, &i.to_string());
        }
    }
    for (i, r) in input.iter_mut().enumerate() {
        r.root.set_annotation(ID, &(i + 1).to_string());
        r.root.set_annotation(LEGACY_ID, &(i + 1).to_string());
    }
    before
}

/// A function's output made into the next input as kyaml's FunctionFilter and kio.Pipeline
/// do: comments and field order copied from the input resource of the same id, generated
/// resources given a path, path and index annotations reconciled; the output refused when
/// two resources share a file and index or one leaves the package.
pub fn absorb_output(
    name: &str,
    input: &[Resource],
    before: &[Layout],
    mut output: Vec<Resource>,
    pkg_path: &str,
) -> Result<Vec<Resource>> {
    // Comments and field order from the input (kyaml's copyCommentsAndSyncOrder).
    for o in output.iter_mut() {
        let id = o
            .root
            .annotation(ID)
            .or_else(|| o.root.annotation(LEGACY_ID))
            .map(str::to_string);
        let Some(id) = id else { continue };
        let Some(from) = id
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| input.get(n))
        else {
            continue;
        };
        if from.root.annotation(ID) != Some(id.as_str()) {
            continue;
        }
        // kyaml copies the head comment of the input's document (a file's first comment
        // block) onto the output mapping: from now on it travels with the resource.
        let doc_head = if from.head.is_empty() {
            from.root.head.clone()
        } else {
            from.head.clone()
        };
        kyaml::copy_comments(&from.root, &mut o.root);
        if o.root.head.is_empty() {
            o.root.head = doc_head;
        }
        o.head.clear();
        // And the document's foot comment, which then travels with the mapping too.
        if o.root.foot.is_empty() {
            o.root.foot = from.foot.clone();
        }
        o.foot.clear();
        kyaml::sync_order(&from.root, &mut o.root);
        o.root.clear_annotation(ID);
        o.root.clear_annotation(LEGACY_ID);
    }
    // Generated resources get a path (kioutil.DefaultPathAnnotation with no dir).
    for o in output.iter_mut() {
        copy_legacy(&mut o.root);
        if o.root.annotation(PATH).is_none() {
            let kind = o.root.str_at(&["kind"]).unwrap_or("").to_lowercase();
            let nm = o
                .root
                .str_at(&["metadata", "name"])
                .unwrap_or("")
                .to_string();
            let ns = o
                .root
                .str_at(&["metadata", "namespace"])
                .unwrap_or("")
                .to_string();
            let file = format!("{kind}_{nm}.yaml");
            let p = if ns.is_empty() {
                file
            } else {
                format!("{ns}/{file}")
            };
            o.root.set_annotation(PATH, &p);
            o.root.set_annotation(LEGACY_PATH, &p);
        }
        if o.root.annotation(PKG_PATH).is_none() {
            o.root.set_annotation(PKG_PATH, pkg_path);
        }
    }
    enforce_path_invariants(&output)
        .map_err(|m| Error::FunctionFailed(format!("{name}: {m}; nothing was written")))?;
    check_krm(&output, "output")?;
    // kio.Pipeline's ReconcileInternalAnnotations.
    for o in output.iter_mut() {
        let orig = o
            .root
            .annotation(MIGRATION_ID)
            .and_then(|s| s.parse::<usize>().ok())
            .and_then(|i| before.get(i));
        if let Some((op, olp, oi, oli)) = orig {
            reconcile(&mut o.root, op.as_ref().or(olp.as_ref()), PATH, LEGACY_PATH);
            reconcile(
                &mut o.root,
                oi.as_ref().or(oli.as_ref()),
                INDEX,
                LEGACY_INDEX,
            );
        }
        o.root.clear_annotation(MIGRATION_ID);
    }
    Ok(output)
}

fn reconcile(r: &mut KNode, original: Option<&String>, internal: &str, legacy: &str) {
    let Some(orig) = original else { return };
    let i = r.annotation(internal).map(str::to_string);
    let l = r.annotation(legacy).map(str::to_string);
    if i.as_ref() != Some(orig) {
        if let Some(i) = i {
            r.set_annotation(legacy, &i);
        }
    } else if l.as_ref() != Some(orig)
        && let Some(l) = l
    {
        r.set_annotation(internal, &l);
    }
}

/// kioutil.CopyLegacyAnnotations: a legacy annotation alone is copied to the internal one
/// (and the other way round).
fn copy_legacy(r: &mut KNode) {
    for (legacy, internal) in [(LEGACY_PATH, PATH), (LEGACY_INDEX, INDEX), (LEGACY_ID, ID)] {
        let l = r.annotation(legacy).map(str::to_string);
        let i = r.annotation(internal).map(str::to_string);
        match (l, i) {
            (Some(l), None) => r.set_annotation(internal, &l),
            (None, Some(i)) => r.set_annotation(legacy, &i),
            _ => {}
        }
    }
}

fn plain(s: &str) -> KNode {
    KNode::scalar(s, Style::Plain)
}

/// A `!!str` value as go-yaml writes it.
fn quoted_str(s: &str) -> KNode {
    kyaml::string_node(s)
}

fn check_krm(rs: &[Resource], what: &str) -> Result<()> {
    for r in rs {
        let missing = if r.root.str_at(&["apiVersion"]).unwrap_or("").is_empty() {
            Some("apiVersion")
        } else if r.root.str_at(&["kind"]).unwrap_or("").is_empty() {
            Some("kind")
        } else if r
            .root
            .str_at(&["metadata", "name"])
            .unwrap_or("")
            .is_empty()
        {
            Some("metadata.name")
        } else {
            None
        };
        if let Some(field) = missing {
            let at = r
                .root
                .annotation(PATH)
                .map(|p| format!(" ({p})"))
                .unwrap_or_default();
            return Err(Error::usage(format!(
                "{what} resource list must contain only KRM resources: a resource{at} has no {field}; fix it or list the file in .krmignore"
            )));
        }
    }
    Ok(())
}

/// The resources a function gets (kpt's `SelectInput`, [`super::select::select_input`]).
fn select(input: &[Resource], f: &Function) -> Vec<Resource> {
    let json: Vec<Value> = input.iter().map(|r| r.root.to_string_json()).collect();
    super::select::select_input(&json, &f.selectors, &f.exclude)
        .into_iter()
        .map(|i| input[i].clone())
        .collect()
}

/// kpt's `MergeWithInput` ([`super::select::merge_with_input`], here on the nodes that carry
/// the comments): resources the function saw are replaced by its output (or dropped
/// when it deleted them), the others kept, generated ones appended.
pub fn merge_with_input(
    output: Vec<Resource>,
    selected: &[Resource],
    input: Vec<Resource>,
) -> Vec<Resource> {
    let rid = |r: &Resource| r.root.annotation(RESOURCE_ID).map(str::to_string);
    let mut result = Vec::new();
    for r in input {
        let id = rid(&r);
        let in_selected = selected.iter().any(|s| rid(s) == id);
        if !in_selected {
            result.push(r);
            continue;
        }
        if let Some(o) = output.iter().find(|o| rid(o) == id) {
            result.push(o.clone());
        }
    }
    for o in &output {
        if rid(o).unwrap_or_default().is_empty() {
            result.push(o.clone());
        }
    }
    result
}

fn enforce_path_invariants(rs: &[Resource]) -> std::result::Result<(), String> {
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    for r in rs {
        let pkg = r.root.annotation(PKG_PATH).unwrap_or("").to_string();
        let p = annotation_or_legacy(&r.root, PATH, LEGACY_PATH);
        let idx = annotation_or_legacy(&r.root, INDEX, LEGACY_INDEX);
        let clean = clean_path(&p);
        if clean.starts_with("../") || clean == ".." || p.starts_with('/') {
            return Err(format!(
                "function must not modify resources outside of package: resource has path {p}"
            ));
        }
        if !seen.insert((pkg, clean.clone(), idx.clone())) {
            return Err(format!(
                "resource at path {clean:?} and index {idx:?} already exists"
            ));
        }
    }
    Ok(())
}

/// Go's `path.Clean` for relative paths.
fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// The `ResourceList` text kpt sends (and prints for `-o stdout`): items as kyaml's
/// ByteWriter wraps them (their root mappings: a document's own head and foot comments stay
/// out, what the comment copier moved onto the mapping goes in), then the functionConfig.
pub fn resource_list_text(items: &[Resource], config: Option<&KNode>) -> String {
    let roots: Vec<KNode> = items.iter().map(|r| r.root.clone()).collect();
    let rest: Vec<(KNode, KNode)> = config
        .map(|c| {
            let mut c = c.clone();
            c.head.clear();
            (plain("functionConfig"), c)
        })
        .into_iter()
        .collect();
    kyaml::emit_resource_list(&roots, &rest)
}

/// Parse a function's output: its items and its `results`.
pub fn parse_resource_list(
    text: &str,
) -> std::result::Result<(Vec<Resource>, Option<Value>), String> {
    let docs = kyaml::parse(text).map_err(|e| e.to_string())?;
    let [doc] = docs.as_slice() else {
        return Err(format!("{} documents", docs.len()));
    };
    let root = &doc.root;
    if root.str_at(&["kind"]) != Some("ResourceList") && root.str_at(&["kind"]) != Some("List") {
        return Err("no kind: ResourceList".into());
    }
    let items = match root.get("items").map(|i| &i.kind) {
        None => Vec::new(),
        Some(Kind::Seq { items, .. }) => items
            .iter()
            .map(|i| KDoc {
                root: i.clone(),
                head: Vec::new(),
                foot: Vec::new(),
            })
            .collect(),
        Some(Kind::Scalar { value, .. }) if value.is_empty() || value == "null" => Vec::new(),
        Some(_) => return Err("items is not a list".into()),
    };
    for (n, i) in items.iter().enumerate() {
        if i.root.entries().is_none() {
            return Err(format!("items[{n}] is not a mapping"));
        }
    }
    Ok((items, root.get("results").map(KNode::to_json)))
}

/// The results of a function (kpt takes `items` of a legacy wrapped form too).
fn results_of(v: &Value) -> Vec<Value> {
    let v = match v {
        Value::Object(m) => m.get("items").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    v.as_array().cloned().unwrap_or_default()
}

/// After the walk: paths relative to the root package, the package-path annotation gone
/// (kpt's `adjustRelPath`).
pub fn adjust_rel_paths(root: &PackageNode, resources: &mut [Resource]) {
    let root_abs = root.abs.to_string_lossy().into_owned();
    for r in resources.iter_mut() {
        let pkg = r.root.annotation(PKG_PATH).unwrap_or(&root_abs).to_string();
        let rel_pkg = Path::new(&pkg)
            .strip_prefix(&root.abs)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let p = annotation_or_legacy(&r.root, PATH, LEGACY_PATH);
        let new = path_join(&rel_pkg, &clean_path(&p));
        r.root.set_annotation(PATH, &new);
        r.root.set_annotation(LEGACY_PATH, &new);
        r.root.clear_annotation(PKG_PATH);
    }
}

/// What is written back, as the refusals name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// `render`: the package its pipelines rendered.
    RenderedPackage,
    /// `run`: the function's output.
    FunctionOutput,
}

impl Written {
    pub fn noun(self) -> &'static str {
        match self {
            Written::RenderedPackage => "the rendered package",
            Written::FunctionOutput => "the function's output",
        }
    }
}

/// The files to write (relative path -> text), as kyaml's LocalPackageWriter writes them.
pub fn plan_files(resources: &[Resource], what: Written) -> Result<BTreeMap<String, String>> {
    let mut grouped: BTreeMap<String, Vec<(i64, usize, &Resource)>> = BTreeMap::new();
    let mut max_index: BTreeMap<String, i64> = BTreeMap::new();
    for r in resources {
        let p = r.root.annotation(PATH).unwrap_or("").to_string();
        if let Some(i) = r.root.annotation(INDEX).and_then(|i| i.parse::<i64>().ok()) {
            let e = max_index.entry(p).or_insert(0);
            *e = (*e).max(i);
        }
    }
    for (n, r) in resources.iter().enumerate() {
        let p = r.root.annotation(PATH).unwrap_or("").to_string();
        if super::package::safe_relative(&p).is_none() {
            return Err(Error::FunctionFailed(format!(
                "{} puts a resource at {p:?}, outside the package; nothing was written",
                what.noun()
            )));
        }
        let idx = match r.root.annotation(INDEX).and_then(|i| i.parse::<i64>().ok()) {
            Some(i) => i,
            None => {
                let e = max_index.entry(p.clone()).or_insert(0);
                let c = *e;
                *e = c + 1;
                c
            }
        };
        grouped.entry(clean_path(&p)).or_default().push((idx, n, r));
    }
    let mut out = BTreeMap::new();
    for (path, mut rs) in grouped {
        rs.sort_by_key(|(i, n, _)| (*i, *n));
        let docs: Vec<(KDoc, bool)> = rs
            .iter()
            .map(|(_, _, r)| {
                let wide = r.root.annotation(SEQ_INDENT) == Some("wide");
                (file_doc(r), wide)
            })
            .collect();
        let text = if path.ends_with(".json") && docs.len() == 1 {
            json_text(&docs[0].0.root)
        } else {
            kyaml::emit_stream(&docs)
        };
        out.insert(path, text);
    }
    Ok(out)
}

/// A resource as written to its file: the reader's annotations gone.
pub fn file_doc(r: &Resource) -> KDoc {
    let mut d = r.clone();
    for a in [INDEX, LEGACY_INDEX, SEQ_INDENT, PATH, LEGACY_PATH] {
        d.root.clear_annotation(a);
    }
    d.root.clear_empty_annotations();
    d
}

fn json_text(n: &KNode) -> String {
    fn sorted(v: Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<(String, Value)> = m.into_iter().collect();
                keys.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(keys.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    let mut s = serde_json::to_string_pretty(&sorted(n.to_json())).unwrap_or_default();
    s.push('\n');
    s
}

/// The `-o stdout` text: a ResourceList of every resource with the reader's annotations.
pub fn stdout_text(resources: &[Resource]) -> String {
    resource_list_text(resources, None)
}

/// An annotation, else its legacy (`config.kubernetes.io/...`) name, else "" (as kpt reads
/// the path and index of a resource).
fn annotation_or_legacy(node: &KNode, key: &str, legacy: &str) -> String {
    node.annotation(key)
        .or_else(|| node.annotation(legacy))
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pipeline_from_kptfile() {
        let kf = json!({"apiVersion": "kpt.dev/v1", "kind": "Kptfile", "pipeline": {
            "mutators": [{"image": "set-labels:v0.1", "configMap": {"a": "b"},
                "selectors": [{"kind": "ConfigMap", "labels": {"x": "y"}}]}],
            "validators": [{"exec": "./check.sh", "configPath": "cfg.yaml", "exclude": [{"name": "n"}]}]}});
        let p = parse_pipeline(&kf, Path::new("Kptfile")).unwrap();
        assert_eq!(p.mutators[0].fn_ref, FnRef::Image("set-labels:v0.1".into()));
        assert_eq!(p.mutators[0].selectors[0].labels["x"], "y");
        assert_eq!(p.validators[0].config_path.as_deref(), Some("cfg.yaml"));
        assert_eq!(p.validators[0].exclude[0].name, "n");
        for bad in [
            json!({"pipeline": {"mutators": [{}]}}),
            json!({"pipeline": {"mutators": [{"image": "a", "exec": "b"}]}}),
            json!({"pipeline": {"mutators": [{"image": "a", "configPath": "../x"}]}}),
            json!({"pipeline": {"mutators": [{"image": "a", "configPath": "x", "configMap": {"a": "b"}}]}}),
            json!({"pipeline": {"mutators": {}}}),
        ] {
            assert!(parse_pipeline(&bad, Path::new("Kptfile")).is_err(), "{bad}");
        }
    }

    #[test]
    fn selection_and_merge_like_kpt() {
        let r = |kind: &str, name: &str, id: usize| {
            let mut d = KDoc {
                root: KNode::from_json(
                    &json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}),
                ),
                head: vec![],
                foot: vec![],
            };
            d.root.set_annotation(RESOURCE_ID, &id.to_string());
            d
        };
        let input = vec![r("A", "a", 0), r("B", "b", 1), r("A", "c", 2)];
        let f = Function {
            fn_ref: FnRef::Exec("x".into()),
            config_path: None,
            config_map: BTreeMap::new(),
            selectors: vec![
                Selector {
                    kind: "A".into(),
                    ..Selector::default()
                },
                Selector {
                    name: "a".into(),
                    ..Selector::default()
                },
            ],
            exclude: vec![Selector {
                name: "c".into(),
                ..Selector::default()
            }],
        };
        let sel = select(&input, &f);
        // `a` matches both selectors: kpt sends it twice.
        let names: Vec<_> = sel
            .iter()
            .map(|s| s.root.str_at(&["metadata", "name"]).unwrap())
            .collect();
        assert_eq!(names, ["a", "a"]);
        // The function deletes `a` and generates `n`.
        let mut gen_ = r("A", "n", 0);
        gen_.root.clear_annotation(RESOURCE_ID);
        let merged = merge_with_input(vec![gen_], &sel, input);
        let names: Vec<_> = merged
            .iter()
            .map(|s| s.root.str_at(&["metadata", "name"]).unwrap())
            .collect();
        assert_eq!(names, ["b", "c", "n"]);
    }

    #[test]
    fn paths_clean_like_go() {
        assert_eq!(clean_path("./a/../b.yaml"), "b.yaml");
        assert_eq!(clean_path("../x"), "../x");
        assert_eq!(clean_path("a//b"), "a/b");
    }
}
