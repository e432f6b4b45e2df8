//! A kpt package (or a stream on stdin) <-> the items of a `ResourceList`, the way
//! `kpt fn eval` reads and writes them.
//!
//! Reading: the files [`super::tree`] (the one package reader) finds, as `kpt fn eval` reads
//! them (subpackages included, `.krmignore` applied); every item gets the
//! `internal.config.kubernetes.io/path`/`index` annotations and the legacy
//! `config.kubernetes.io/path`/`index` ones. Writing: items are grouped by their path
//! annotation, ordered by index, the annotations removed; files whose resources all
//! disappeared are deleted; new items without a path go to `<kind>_<name>.yaml`; a path that
//! would leave the package is refused. Nothing is written until everything has been checked,
//! and every file is replaced atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

pub const PATH_ANNOTATION: &str = "internal.config.kubernetes.io/path";
pub const INDEX_ANNOTATION: &str = "internal.config.kubernetes.io/index";
pub const LEGACY_PATH_ANNOTATION: &str = "config.kubernetes.io/path";
pub const LEGACY_INDEX_ANNOTATION: &str = "config.kubernetes.io/index";

/// Annotations that only carry the file layout and are removed when writing files.
pub(crate) fn is_layout_annotation(key: &str) -> bool {
    key.starts_with("internal.config.kubernetes.io/")
        || key == LEGACY_PATH_ANNOTATION
        || key == LEGACY_INDEX_ANNOTATION
        || key == "config.k8s.io/id"
        || key == super::select::RESOURCE_ID_ANNOTATION
}

/// What was read from a package directory.
#[derive(Debug, Clone)]
pub struct Package {
    pub root: PathBuf,
    /// Items with layout annotations.
    pub items: Vec<Value>,
    /// The files read (relative, `/`-separated), with their parsed documents.
    pub files: BTreeMap<String, Vec<Value>>,
}

/// Parse a YAML (multi-document) or JSON text into its non-empty documents.
pub fn parse_documents(text: &str, what: &str) -> Result<Vec<Value>> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple_with_options(text, crate::manifests::yaml::serde_options())
            .map_err(|e| {
                Error::usage(format!(
                    "{what}: not valid YAML: {}; fix the file",
                    crate::manifests::yaml::serde_error_line(&e)
                ))
            })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn annotations_mut(item: &mut Value) -> Option<&mut Map<String, Value>> {
    let obj = item.as_object_mut()?;
    let meta = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        return None;
    }
    let ann = meta
        .as_object_mut()?
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if ann.is_null() {
        *ann = Value::Object(Map::new());
    }
    ann.as_object_mut()
}

/// Set the path and index annotations (both forms) on an item.
pub fn set_layout(item: &mut Value, path: &str, index: usize) {
    if let Some(ann) = annotations_mut(item) {
        let idx = Value::String(index.to_string());
        let p = Value::String(path.to_string());
        ann.insert(LEGACY_INDEX_ANNOTATION.into(), idx.clone());
        ann.insert(LEGACY_PATH_ANNOTATION.into(), p.clone());
        ann.insert(INDEX_ANNOTATION.into(), idx);
        ann.insert(PATH_ANNOTATION.into(), p);
    }
}

fn annotation<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
    item.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// The item's path and index, from the internal annotations, else the legacy ones.
pub fn layout_of(item: &Value) -> (Option<String>, Option<usize>) {
    let path = annotation(item, PATH_ANNOTATION)
        .or_else(|| annotation(item, LEGACY_PATH_ANNOTATION))
        .map(str::to_string);
    let index = annotation(item, INDEX_ANNOTATION)
        .or_else(|| annotation(item, LEGACY_INDEX_ANNOTATION))
        .and_then(|s| s.parse().ok());
    (path, index)
}

/// Remove the layout annotations (and an `annotations` map left empty).
pub fn strip_layout(item: &mut Value) {
    let Some(meta) = item.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let mut empty = false;
    if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
        ann.retain(|k, _| !is_layout_annotation(k));
        empty = ann.is_empty();
    }
    if empty {
        meta.remove("annotations");
    }
}

/// `<kind>_<name>.yaml`, lower-case, as kpt names files for items without a path.
pub fn default_path(item: &Value) -> String {
    let kind = item
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("resource");
    let name = item
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("unnamed");
    format!("{}_{}.yaml", kind, name).to_lowercase()
}

/// Read a package directory with the one package reader ([`super::tree`]: kpt's file set,
/// `.krmignore` rules and subpackages; links out of the package and special files skipped,
/// each with a warning). The files are those `kpt fn eval` reads.
pub fn read_package(root: &Path) -> Result<Package> {
    let tree = super::tree::read_tree(root)?;
    tree.warn_skipped();
    package_from_tree(&tree)
}

/// The items and parsed files of a tree's [`super::tree::PackageTree::eval_files`].
pub fn package_from_tree(tree: &super::tree::PackageTree) -> Result<Package> {
    let mut files = BTreeMap::new();
    let mut items = Vec::new();
    for f in tree.eval_files() {
        let path = tree.root.join(&f.rel);
        let docs = if f.rel.ends_with(".json") {
            let v: Value = serde_json::from_str(&f.text).map_err(|e| {
                Error::usage(format!(
                    "{}: not valid JSON: {e}; fix the file",
                    path.display()
                ))
            })?;
            vec![v]
        } else {
            parse_documents(&f.text, &path.display().to_string())?
        };
        for (i, doc) in docs.iter().enumerate() {
            if !doc.is_object() {
                return Err(Error::usage(format!(
                    "{}: document {} is not a mapping (a Kubernetes resource); fix or .krmignore the file",
                    path.display(),
                    i + 1
                )));
            }
            let mut item = doc.clone();
            set_layout(&mut item, &f.rel, i);
            items.push(item);
        }
        files.insert(f.rel.clone(), docs);
    }
    Ok(Package {
        root: tree.root.clone(),
        items,
        files,
    })
}

/// Input read from stdin: a ResourceList (its items and functionConfig) or a plain stream.
#[derive(Debug, Clone)]
pub struct StdinInput {
    pub items: Vec<Value>,
    pub function_config: Option<Value>,
}

/// Parse stdin: a `ResourceList`, or plain YAML documents (which get kpt's default paths).
pub fn read_stdin_input(text: &str) -> Result<StdinInput> {
    let docs = parse_documents(text, "stdin")?;
    if docs.len() == 1 && docs[0].get("kind").and_then(Value::as_str) == Some("ResourceList") {
        let rl = &docs[0];
        let items = match rl.get("items") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(Error::usage(
                    "stdin: the ResourceList's items is not a list; fix the input",
                ));
            }
        };
        return Ok(StdinInput {
            items,
            function_config: rl.get("functionConfig").filter(|v| !v.is_null()).cloned(),
        });
    }
    let mut items = Vec::new();
    let mut per_path: BTreeMap<String, usize> = BTreeMap::new();
    for (i, mut doc) in docs.into_iter().enumerate() {
        if !doc.is_object() {
            return Err(Error::usage(format!(
                "stdin: document {} is not a mapping (a Kubernetes resource); fix the input",
                i + 1
            )));
        }
        if layout_of(&doc).0.is_none() {
            let path = default_path(&doc);
            let n = per_path.entry(path.clone()).or_default();
            set_layout(&mut doc, &path, *n);
            *n += 1;
        }
        items.push(doc);
    }
    Ok(StdinInput {
        items,
        function_config: None,
    })
}

/// The `function-input` ConfigMap built from `KEY=VALUE` arguments.
pub fn function_input_configmap(pairs: &[String]) -> Result<Value> {
    let mut data = Map::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            return Err(Error::usage(format!(
                "function argument {p:?} is not KEY=VALUE; pass e.g. -- namespace=prod"
            )));
        };
        if k.is_empty() {
            return Err(Error::usage(format!(
                "function argument {p:?} has an empty key; pass e.g. -- namespace=prod"
            )));
        }
        data.insert(k.to_string(), Value::String(v.to_string()));
    }
    Ok(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "function-input"},
        "data": data,
    }))
}

/// Read `--fn-config FILE` (one document).
pub fn read_fn_config(path: &Path) -> Result<Value> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let text = super::tree::read_bounded(path, file, 0)?;
    let mut docs = parse_documents(&text, &path.display().to_string())?;
    match docs.len() {
        1 if docs[0].is_object() => Ok(docs.remove(0)),
        _ => Err(Error::usage(format!(
            "--fn-config {}: expected exactly one resource (the functionConfig); fix the file",
            path.display()
        ))),
    }
}

/// Serialize documents as a YAML stream (`---` between documents).
pub fn to_yaml_stream(docs: &[Value]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let s = serde_saphyr::to_string(d).unwrap_or_default();
        out.push_str(&s);
        if !s.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// A checked relative path inside the package (no `..`, not absolute).
pub fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    if path.is_empty() || p.is_absolute() {
        return None;
    }
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.as_os_str().is_empty() {
        None
    } else {
        Some(out)
    }
}

/// Where an output item goes. Input items carry the same value in the internal and the legacy
/// annotation; when a function changed only one of them (older SDKs know only the legacy
/// one), the changed one wins, as kpt reconciles them: the value that is not one of the input
/// files' paths is the new one; otherwise the internal annotation wins.
pub fn output_layout(
    item: &Value,
    input_paths: &BTreeSet<&str>,
) -> (Option<String>, Option<usize>) {
    let internal = annotation(item, PATH_ANNOTATION);
    let legacy = annotation(item, LEGACY_PATH_ANNOTATION);
    let use_legacy = match (internal, legacy) {
        (Some(i), Some(l)) if i != l => input_paths.contains(i) && !input_paths.contains(l),
        (None, Some(_)) => true,
        _ => false,
    };
    let idx = |k: &str| annotation(item, k).and_then(|s| s.parse().ok());
    if use_legacy {
        (
            legacy.map(str::to_string),
            idx(LEGACY_INDEX_ANNOTATION).or_else(|| idx(INDEX_ANNOTATION)),
        )
    } else {
        (
            internal.map(str::to_string),
            idx(INDEX_ANNOTATION).or_else(|| idx(LEGACY_INDEX_ANNOTATION)),
        )
    }
}

/// The files to write from output items: relative path -> documents (annotations stripped).
/// `input_paths` are the files the input came from (see [`output_layout`]).
pub fn plan_files(
    items: &[Value],
    input_paths: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Vec<Value>>> {
    Ok(plan_files_numbered(items, input_paths)?
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|(_, d)| d).collect()))
        .collect())
}

/// Like [`plan_files`], every document with the number of its item in `items`.
fn plan_files_numbered(
    items: &[Value],
    input_paths: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Vec<(usize, Value)>>> {
    let mut grouped: BTreeMap<String, Vec<(usize, usize, Value)>> = BTreeMap::new();
    for (n, item) in items.iter().enumerate() {
        let (path, index) = output_layout(item, input_paths);
        let path = path.unwrap_or_else(|| default_path(item));
        let Some(rel) = safe_relative(&path) else {
            return Err(Error::FunctionFailed(format!(
                "the function's output puts a resource at {path:?}, outside the package; nothing was written"
            )));
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let mut item = item.clone();
        strip_layout(&mut item);
        grouped
            .entry(rel)
            .or_default()
            .push((index.unwrap_or(usize::MAX), n, item));
    }
    Ok(grouped
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by_key(|(i, n, _)| (*i, *n));
            (k, v.into_iter().map(|(_, n, d)| (n, d)).collect())
        })
        .collect())
}

/// The file's text from the items' own texts (see [`super::item_text`]) joined with `---`
/// like kpt, when every document has one and the result reads back as `docs`; otherwise the
/// serialised documents.
fn file_text_from(rel: &str, docs: &[(usize, Value)], texts: &[Option<String>]) -> String {
    let values: Vec<Value> = docs.iter().map(|(_, d)| d.clone()).collect();
    if !rel.ends_with(".json") {
        let own: Option<Vec<&str>> = docs
            .iter()
            .map(|(n, _)| texts.get(*n).and_then(|t| t.as_deref()))
            .collect();
        if let Some(own) = own {
            let text = own.join("---\n");
            // Must read back exactly as what the serialiser would write.
            if parse_documents(&text, rel).ok().as_ref() == Some(&values) {
                return text;
            }
        }
    }
    file_text(rel, &values)
}

fn file_text(rel: &str, docs: &[Value]) -> String {
    if rel.ends_with(".json") && docs.len() == 1 {
        let mut s = serde_json::to_string_pretty(&docs[0]).unwrap_or_default();
        s.push('\n');
        s
    } else {
        to_yaml_stream(docs)
    }
}

/// Write the output items into `dir`. `previous` are the files that were read (in-place mode):
/// files that now hold no resource are deleted, files whose resources did not change are left
/// as they are (comments and formatting kept). Every path is checked before anything is
/// written; each file is replaced atomically.
pub fn write_files(
    dir: &Path,
    items: &[Value],
    previous: &BTreeMap<String, Vec<Value>>,
) -> Result<WriteSummary> {
    write_files_with_texts(dir, items, &[], previous)
}

/// Like [`write_files`]; a changed file is written from `texts` (item `n`'s own text, from
/// [`super::item_text::item_texts`]) where every document of the file has one, so that the
/// function's comments and formatting are kept as kpt keeps them.
pub fn write_files_with_texts(
    dir: &Path,
    items: &[Value],
    texts: &[Option<String>],
    previous: &BTreeMap<String, Vec<Value>>,
) -> Result<WriteSummary> {
    let input_paths: BTreeSet<&str> = previous.keys().map(String::as_str).collect();
    let planned = plan_files_numbered(items, &input_paths)?;
    let mut summary = WriteSummary::default();
    let mut staged: Vec<(PathBuf, tempfile::NamedTempFile)> = Vec::new();
    for (rel, numbered) in &planned {
        let docs: Vec<Value> = numbered.iter().map(|(_, d)| d.clone()).collect();
        if previous.get(rel) == Some(&docs) {
            summary.unchanged += 1;
            continue;
        }
        let target = dir.join(rel);
        let parent = target.parent().unwrap_or(dir).to_path_buf();
        // No symlinked directory may lead outside the package.
        let mut cur = dir.to_path_buf();
        for comp in Path::new(rel)
            .parent()
            .into_iter()
            .flat_map(|p| p.components())
        {
            cur.push(comp);
            if let Ok(md) = std::fs::symlink_metadata(&cur)
                && md.file_type().is_symlink()
            {
                return Err(Error::FunctionFailed(format!(
                    "the function's output writes {rel} through the symlink {}; nothing was written",
                    cur.display()
                )));
            }
        }
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".kpr-")
            .tempfile_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        tmp.write_all(file_text_from(rel, numbered, texts).as_bytes())
            .map_err(|e| Error::io(tmp.path(), e))?;
        staged.push((target, tmp));
    }
    for (target, tmp) in staged {
        if let Ok(md) = std::fs::metadata(&target) {
            let _ = std::fs::set_permissions(tmp.path(), md.permissions());
        } else {
            let _ = std::fs::set_permissions(
                tmp.path(),
                std::os::unix::fs::PermissionsExt::from_mode(0o644),
            );
        }
        tmp.persist(&target)
            .map_err(|e| Error::io(&target, e.error))?;
        summary.written += 1;
    }
    let keep: BTreeSet<&String> = planned.keys().collect();
    for rel in previous.keys() {
        if !keep.contains(rel) {
            let p = dir.join(rel);
            std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            summary.deleted += 1;
        }
    }
    Ok(summary)
}

/// What `write_files` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    pub written: usize,
    pub unchanged: usize,
    pub deleted: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_round_trip_and_default_paths() {
        let mut item = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "A"}});
        set_layout(&mut item, "x/y.yaml", 2);
        assert_eq!(layout_of(&item), (Some("x/y.yaml".into()), Some(2)));
        strip_layout(&mut item);
        assert_eq!(
            item,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "A"}})
        );
        assert_eq!(default_path(&item), "configmap_a.yaml");
    }

    #[test]
    fn paths_outside_the_package_are_refused() {
        for bad in ["../x.yaml", "/etc/passwd", "a/../../b.yaml", ""] {
            assert!(safe_relative(bad).is_none(), "{bad}");
        }
        assert_eq!(safe_relative("./a/b.yaml"), Some(PathBuf::from("a/b.yaml")));
        let mut item = json!({"kind": "ConfigMap", "metadata": {"name": "a"}});
        set_layout(&mut item, "../escape.yaml", 0);
        assert!(plan_files(&[item], &BTreeSet::new()).is_err());
    }

    #[test]
    fn a_changed_legacy_path_wins_like_kpt() {
        let inputs: BTreeSet<&str> = ["a.yaml"].into_iter().collect();
        let mut item = json!({"kind": "ConfigMap", "metadata": {"name": "x"}});
        set_layout(&mut item, "a.yaml", 0);
        let ann = item["metadata"]["annotations"].as_object_mut().unwrap();
        ann.insert(LEGACY_PATH_ANNOTATION.into(), json!("moved.yaml"));
        assert_eq!(
            output_layout(&item, &inputs),
            (Some("moved.yaml".into()), Some(0))
        );
        // Only the internal one changed: it wins.
        let mut item = json!({"kind": "ConfigMap", "metadata": {"name": "x"}});
        set_layout(&mut item, "a.yaml", 0);
        let ann = item["metadata"]["annotations"].as_object_mut().unwrap();
        ann.insert(PATH_ANNOTATION.into(), json!("new.yaml"));
        assert_eq!(output_layout(&item, &inputs).0, Some("new.yaml".into()));
    }

    #[test]
    fn own_texts_are_joined_and_a_mismatch_falls_back() {
        let a = json!({"kind": "A"});
        let b = json!({"kind": "B"});
        let docs = vec![(0, a.clone()), (1, b.clone())];
        let texts = vec![Some("kind: A # a\n".into()), Some("kind: B\n".into())];
        assert_eq!(
            file_text_from("x.yaml", &docs, &texts),
            "kind: A # a\n---\nkind: B\n"
        );
        // One item without text, a text that reads back differently, or JSON: serialised.
        let serialised = to_yaml_stream(&[a.clone(), b.clone()]);
        let partial = vec![Some("kind: A # a\n".into()), None];
        assert_eq!(file_text_from("x.yaml", &docs, &partial), serialised);
        let wrong = vec![Some("kind: A # a\n".into()), Some("kind: C\n".into())];
        assert_eq!(file_text_from("x.yaml", &docs, &wrong), serialised);
        let one = vec![(0, a.clone())];
        assert!(file_text_from("x.json", &one, &texts).starts_with('{'));
    }

    #[test]
    fn function_input_from_pairs() {
        let cm = function_input_configmap(&["a=b".into(), "c=d=e".into()]).unwrap();
        assert_eq!(cm["data"], json!({"a": "b", "c": "d=e"}));
        assert!(function_input_configmap(&["novalue".into()]).is_err());
    }
}
