//! What `run` takes besides the package: the function config (`--fn-config FILE`, `KEY=VALUE`
//! arguments), the checked relative path of an output file, and plain YAML streams (the results file). The package itself is
//! read and written back by [`super::render`] (kpt's reader and writer, comments kept).

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// Parse a YAML (multi-document) or JSON text into its non-empty documents.
pub fn parse_documents(text: &str, what: &str) -> Result<Vec<Value>> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple_with_options(text, crate::runner::yaml::serde_options())
            .map_err(|e| {
                Error::usage(format!(
                    "{what}: not valid YAML: {}; fix the file",
                    crate::runner::yaml::serde_error_line(&e)
                ))
            })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_package_are_refused() {
        for bad in ["../x.yaml", "/etc/passwd", "a/../../b.yaml", ""] {
            assert!(safe_relative(bad).is_none(), "{bad}");
        }
        assert_eq!(safe_relative("./a/b.yaml"), Some(PathBuf::from("a/b.yaml")));
    }

    #[test]
    fn function_input_from_pairs() {
        let cm = function_input_configmap(&["a=b".into(), "c=d=e".into()]).unwrap();
        assert_eq!(cm["data"], json!({"a": "b", "c": "d=e"}));
        assert!(function_input_configmap(&["novalue".into()]).is_err());
    }
}
