//! Printing Kubernetes objects: a YAML multi-document stream ready for `kubectl apply -f -`,
//! or JSON (one object, or a `v1` `List` when there are several); and the one renderer of the
//! `-o table|json|yaml` reports (`check`, `status`, `pull`).

use std::io::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::cli::{OutputFormat, ReportFormat};
use crate::error::{Error, Result};

/// Plain (or quoted) scalars like kubectl prints them: no folded `>-` blocks for long
/// base64 values.
fn yaml_options() -> serde_saphyr::SerializerOptions {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    options
}

/// Render objects as YAML (`---` separated documents) or JSON, ending with a newline.
pub fn render_objects(objects: &[Value], format: OutputFormat) -> Result<String> {
    match format {
        OutputFormat::Yaml => {
            let mut out = String::new();
            for (i, obj) in objects.iter().enumerate() {
                if i > 0 {
                    out.push_str("---\n");
                }
                let doc = serde_saphyr::to_string_with_options(obj, yaml_options())
                    .map_err(|e| Error::other(format!("cannot render YAML: {e}")))?;
                out.push_str(&doc);
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            Ok(out)
        }
        OutputFormat::Json => {
            let value = match objects {
                [one] => one.clone(),
                many => serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "List",
                    "metadata": {},
                    "items": many,
                }),
            };
            let mut s = serde_json::to_string_pretty(&value)
                .map_err(|e| Error::other(format!("cannot render JSON: {e}")))?;
            s.push('\n');
            Ok(s)
        }
    }
}

/// A report printed with `-o table|json|yaml`: JSON and YAML serialise the value as it is,
/// the table is for people.
pub trait Report: Serialize {
    /// The human form, ending with a newline.
    fn table(&self) -> String;
}

/// Render a report: pretty JSON, YAML, or its table; always ending with a newline.
pub fn render_report<R: Report>(report: &R, format: ReportFormat) -> Result<String> {
    let mut text = match format {
        ReportFormat::Json => serde_json::to_string_pretty(report)
            .map_err(|e| Error::other(format!("cannot render JSON: {e}")))?,
        ReportFormat::Yaml => serde_saphyr::to_string(report)
            .map_err(|e| Error::other(format!("cannot render YAML: {e}")))?,
        ReportFormat::Table => report.table(),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Print a report to stdout (see [`render_report`]).
pub fn print_report<R: Report>(report: &R, format: ReportFormat) -> Result<()> {
    let text = render_report(report, format)?;
    write_stdout(&text)
}

/// Print objects to stdout (see [`render_objects`]). A closed pipe is not an error.
pub fn print_objects(objects: &[Value], format: OutputFormat) -> Result<()> {
    let text = render_objects(objects, format)?;
    write_stdout(&text)
}

/// Write text to stdout; a closed pipe (`| head`) is not an error.
pub fn write_stdout(text: &str) -> Result<()> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match lock.write_all(text.as_bytes()).and_then(|_| lock.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::other(format!("cannot write to stdout: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tricky() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "x", "namespace": "porch-system",
                "labels": {"a": "true", "b": "1.0", "c": "null", "d": "", "e": "~", "f": "- x",
                           "g": "a: b", "h": "#x", "i": "line1\nline2\n", "j": "0x10", "k": "yes",
                           "l": " lead", "m": "---", "n": "@x", "o": "1e3", "p": "on", "q": "'q'"}},
            "type": "Opaque",
            "data": {"ca.crt": "LS0tLS1CRUdJTi==", "long": "x".repeat(300), "sp": "a b ".repeat(50), ".dockerconfigjson": "eyJhdXRocyI6e319"},
            "list": [1, 2.5, true, null, {"x": []}, {}],
        })
    }

    #[test]
    fn yaml_round_trips_exactly() {
        let objs = vec![tricky(), json!({"kind": "B", "apiVersion": "v1"})];
        let text = render_objects(&objs, OutputFormat::Yaml).unwrap();
        assert!(text.contains("\n---\n"));
        let back: Vec<Value> = serde_saphyr::from_str_multiple(&text).unwrap();
        assert_eq!(back, objs, "{text}");
    }

    #[test]
    fn yaml_keeps_key_order() {
        let text = render_objects(&[tricky()], OutputFormat::Yaml).unwrap();
        let a = text.find("apiVersion").unwrap();
        let k = text.find("kind").unwrap();
        let t = text.find("\ntype").unwrap();
        let d = text.find("\ndata").unwrap();
        assert!(a < k && k < t && t < d, "{text}");
        // long values stay on one line, as kubectl prints them
        assert!(
            text.contains(&format!("  long: {}\n", "x".repeat(300))),
            "{text}"
        );
    }

    #[test]
    fn json_one_object_or_list() {
        let one = render_objects(&[tricky()], OutputFormat::Json).unwrap();
        let v: Value = serde_json::from_str(&one).unwrap();
        assert_eq!(v, tricky());
        let two = render_objects(&[tricky(), tricky()], OutputFormat::Json).unwrap();
        let v: Value = serde_json::from_str(&two).unwrap();
        assert_eq!(v["kind"], "List");
        assert_eq!(v["items"].as_array().unwrap().len(), 2);
    }
}
