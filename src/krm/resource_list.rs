//! The KRM function contract's types (`config.kubernetes.io/v1` `ResourceList`): results with
//! their references, the layout annotations, and the `functionConfig` ConfigMap's data.
//!
//! Pure: values in, values out. Shared by `fn` (this tool as a KRM function) and `run`
//! (this tool running KRM functions).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::runner::lint::{Finding, Severity};

pub const API_VERSION: &str = "config.kubernetes.io/v1";
pub const KIND: &str = "ResourceList";

/// kpt's layout annotations (current and legacy).
pub const PATH_ANNOTATIONS: [&str; 2] = [
    "internal.config.kubernetes.io/path",
    "config.kubernetes.io/path",
];
pub const INDEX_ANNOTATIONS: [&str; 2] = [
    "internal.config.kubernetes.io/index",
    "config.kubernetes.io/index",
];

/// A `ResourceList` (the function's input and output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResourceList {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub items: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<KrmResult>,
}

impl ResourceList {
    /// Read a `ResourceList` from a parsed document; `Err` says what is wrong (for one line).
    pub fn from_value(v: &Value) -> Result<ResourceList, String> {
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind != KIND {
            return Err(if kind.is_empty() {
                "the input has no kind: a KRM function reads a ResourceList".into()
            } else {
                format!("the input is a {kind}, not a ResourceList")
            });
        }
        match v.get("items") {
            None | Some(Value::Null) | Some(Value::Array(_)) => {}
            Some(_) => return Err("the ResourceList's items is not a list".into()),
        }
        serde_json::from_value(v.clone()).map_err(|e| format!("malformed ResourceList: {e}"))
    }
}

/// `severity` of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultSeverity {
    Error,
    Warning,
    Info,
}

impl From<Severity> for ResultSeverity {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Error => ResultSeverity::Error,
            Severity::Warning => ResultSeverity::Warning,
            Severity::Info => ResultSeverity::Info,
        }
    }
}

/// The object a result is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl ResourceRef {
    pub fn of(item: &Value) -> ResourceRef {
        let s = |p: &str| item.pointer(p).and_then(Value::as_str).map(str::to_string);
        ResourceRef {
            api_version: s("/apiVersion").unwrap_or_default(),
            kind: s("/kind").unwrap_or_default(),
            name: s("/metadata/name").unwrap_or_default(),
            namespace: s("/metadata/namespace").filter(|n| !n.is_empty()),
        }
    }
}

/// A field a result is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_value: Option<Value>,
}

/// The file of the object (from kpt's layout annotations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

/// One entry of `results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KrmResult {
    pub message: String,
    pub severity: ResultSeverity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_ref: Option<ResourceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileRef>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// The file an item came from (kpt's annotations, current first, then legacy).
pub fn file_of(item: &Value) -> Option<FileRef> {
    let ann = item.pointer("/metadata/annotations")?;
    let get = |keys: [&str; 2]| {
        keys.iter()
            .find_map(|k| ann.get(*k).and_then(Value::as_str))
            .map(str::to_string)
    };
    let path = get(PATH_ANNOTATIONS)?;
    let index = get(INDEX_ANNOTATIONS).and_then(|i| i.parse().ok());
    Some(FileRef { path, index })
}

impl KrmResult {
    /// A plain message (no object).
    pub fn message(severity: ResultSeverity, message: impl Into<String>) -> KrmResult {
        KrmResult {
            message: message.into(),
            severity,
            resource_ref: None,
            field: None,
            file: None,
            tags: BTreeMap::new(),
        }
    }

    /// A result about an item.
    pub fn about(severity: ResultSeverity, message: impl Into<String>, item: &Value) -> KrmResult {
        KrmResult {
            resource_ref: Some(ResourceRef::of(item)),
            file: file_of(item),
            ..KrmResult::message(severity, message)
        }
    }

    /// A check finding: message and fix in the message, the rule id in `tags.rule`.
    pub fn from_finding(f: &Finding, items: &[Value]) -> KrmResult {
        let item = f.object_index.and_then(|i| items.get(i));
        let mut r = match item {
            Some(item) => KrmResult::about(f.severity.into(), String::new(), item),
            None => KrmResult::message(f.severity.into(), String::new()),
        };
        r.message = format!("{} [fix: {}]", f.message, f.fix);
        r.field = f.field.as_ref().map(|p| FieldRef {
            path: p.clone(),
            current_value: None,
            proposed_value: None,
        });
        r.tags.insert("rule".into(), f.rule.to_string());
        if item.is_none() {
            r.tags.insert("object".into(), f.object.clone());
        }
        r
    }
}

/// The `data` of a `functionConfig` ConfigMap as strings (what `kpt fn eval -- k=v` makes).
/// `Err` when the functionConfig is not a ConfigMap-like object with string data.
pub fn function_config_data(fc: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    let Some(fc) = fc.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let kind = fc.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != "ConfigMap" {
        return Err(format!(
            "functionConfig is a {}, expected a ConfigMap (kpt makes one from `-- key=value` arguments)",
            if kind.is_empty() {
                "object without kind"
            } else {
                kind
            }
        ));
    }
    let mut out = BTreeMap::new();
    match fc.get("data") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    Value::Null => String::new(),
                    _ => {
                        return Err(format!(
                            "functionConfig data.{k} is not a string; give it as key=value"
                        ));
                    }
                };
                out.insert(k.clone(), s);
            }
        }
        Some(_) => return Err("functionConfig data is not a mapping".into()),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> Value {
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"function-runner","namespace":"porch-system","annotations":{"internal.config.kubernetes.io/path":"2-function-runner.yaml","internal.config.kubernetes.io/index":"1"}}})
    }

    #[test]
    fn result_from_finding_has_ref_file_field_and_rule() {
        let f = Finding {
            severity: Severity::Error,
            rule: "flag-unknown",
            object: "Deployment/porch-system/function-runner".into(),
            message: "bad".into(),
            fix: "rename".into(),
            object_index: Some(0),
            field: Some("spec.template.spec.containers[0].args[1]".into()),
        };
        let r = KrmResult::from_finding(&f, &[item()]);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({
                "message": "bad [fix: rename]",
                "severity": "error",
                "resourceRef": {"apiVersion":"apps/v1","kind":"Deployment","name":"function-runner","namespace":"porch-system"},
                "field": {"path": "spec.template.spec.containers[0].args[1]"},
                "file": {"path": "2-function-runner.yaml", "index": 1},
                "tags": {"rule": "flag-unknown"}
            })
        );
    }

    #[test]
    fn legacy_annotations_and_no_object() {
        let mut it = item();
        it["metadata"]["annotations"] =
            json!({"config.kubernetes.io/path": "a.yaml", "config.kubernetes.io/index": "0"});
        assert_eq!(
            file_of(&it),
            Some(FileRef {
                path: "a.yaml".into(),
                index: Some(0)
            })
        );
        let f = Finding {
            severity: Severity::Info,
            rule: "deployment-missing",
            object: "Deployment/x/y".into(),
            message: "m".into(),
            fix: "f".into(),
            object_index: None,
            field: None,
        };
        let r = KrmResult::from_finding(&f, &[]);
        assert!(r.resource_ref.is_none());
        assert_eq!(r.tags["object"], "Deployment/x/y");
    }

    #[test]
    fn function_config_data_strings() {
        let fc = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"function-input"},"data":{"tls":"true","auth-mount-path":"/var/tmp/a"}});
        let d = function_config_data(Some(&fc)).unwrap();
        assert_eq!(d["tls"], "true");
        assert!(function_config_data(None).unwrap().is_empty());
        assert!(function_config_data(Some(&json!({"kind":"Secret"}))).is_err());
        assert!(function_config_data(Some(&json!({"kind":"ConfigMap","data":{"a":[1]}}))).is_err());
    }

    #[test]
    fn resource_list_round_trip() {
        let v = json!({"apiVersion":API_VERSION,"kind":KIND,"items":[item()],"functionConfig":{"kind":"ConfigMap"}});
        let rl = ResourceList::from_value(&v).unwrap();
        assert_eq!(rl.items.len(), 1);
        assert_eq!(serde_json::to_value(&rl).unwrap(), v);
        assert!(ResourceList::from_value(&json!({"kind":"List"})).is_err());
        assert!(ResourceList::from_value(&json!({"kind":KIND,"items":{}})).is_err());
    }
}
