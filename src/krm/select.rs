//! Resource selection the way kpt does it, for `run --match-*/--exclude-*` and for a Kptfile
//! function's `selectors`/`exclude` in `render`. Pure: items in, items (or indices) out.
//!
//! The rules are kpt 1.0.0-beta.56's (`internal/fnruntime/utils.go`: `SelectInput`, `IsMatch`,
//! `SetResourceIDs`, `MergeWithInput`, `DeleteResourceIDs`; `pkg/api/kptfile/v1` `Selector`):
//!
//! - a [`Selector`] matches a resource when every criterion it sets matches exactly (no
//!   defaulting: `namespace: default` does not match a resource without a namespace; labels and
//!   annotations: every given key present with exactly that value); an empty selector
//!   matches everything;
//! - with no selectors every resource is selected; otherwise a resource is selected once **per
//!   selector that matches it** (kpt sends a resource matched by two selectors twice: see
//!   [`select_input`]); then resources matched by any non-empty exclusion are dropped;
//! - the round trip: before selecting, every input resource gets the annotation
//!   [`RESOURCE_ID_ANNOTATION`] (`"0"`, `"1"`, ... in input order, [`set_resource_ids`]); the
//!   function sees it on the selected resources; [`merge_with_input`] puts the function's output
//!   back among the resources that were not selected, and removes the annotation.
//!
//! A typical use (what `run` does):
//!
//! ```
//! use porch_registry::krm::select::{self, Selector};
//! use serde_json::json;
//! let mut items = vec![
//!     json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
//!     json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "b"}}),
//! ];
//! let selectors = [Selector { kind: "ConfigMap".into(), ..Selector::default() }];
//! select::set_resource_ids(&mut items);
//! let picked = select::select_input(&items, &selectors, &[]);
//! assert_eq!(picked, vec![0]);
//! let to_function: Vec<_> = picked.iter().map(|&i| items[i].clone()).collect();
//! let from_function = to_function; // ... run the function ...
//! let merged = select::merge_with_input(&from_function, &picked, &items);
//! assert_eq!(merged.len(), 2);
//! assert!(merged.iter().all(|i| i["metadata"].get("annotations").is_none()));
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The annotation kpt puts on every input resource while a selection is in force, to find the
/// selected resources again in the function's output.
pub const RESOURCE_ID_ANNOTATION: &str = "internal.config.k8s.io/kpt-resource-id";

/// kpt's `Selector`: the fields of a Kptfile function's `selectors[]`/`exclude[]` entry and of
/// `kpt fn eval --match-*`/`--exclude-*`. An empty string or map means "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Selector {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

impl Selector {
    /// No criterion set (kpt's `IsEmpty`): matches every resource; as an exclusion it is
    /// ignored.
    pub fn is_empty(&self) -> bool {
        self.api_version.is_empty()
            && self.kind.is_empty()
            && self.name.is_empty()
            && self.namespace.is_empty()
            && self.labels.is_empty()
            && self.annotations.is_empty()
    }

    /// kpt's `IsMatch`: every criterion that is set matches exactly.
    pub fn matches(&self, item: &Value) -> bool {
        let field = |want: &str, got: String| want.is_empty() || want == got;
        field(&self.name, scalar(item.pointer("/metadata/name")))
            && field(&self.namespace, scalar(item.pointer("/metadata/namespace")))
            && field(&self.kind, scalar(item.get("kind")))
            && field(&self.api_version, scalar(item.get("apiVersion")))
            && map_matches(&self.labels, item.pointer("/metadata/labels"))
            && map_matches(&self.annotations, item.pointer("/metadata/annotations"))
    }
}

/// A scalar as kyaml's `GetName`/`GetKind`/... read it: the value's text; absent or not a
/// scalar reads as "".
fn scalar(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn map_matches(want: &BTreeMap<String, String>, got: Option<&Value>) -> bool {
    want.iter().all(|(k, v)| {
        got.and_then(|m| m.get(k)).is_some_and(|g| {
            matches!(g, Value::String(_) | Value::Number(_) | Value::Bool(_))
                && scalar(Some(g)) == *v
        })
    })
}

/// kpt's `SelectInput`: the indices into `items` of the resources a function gets, in the
/// order it gets them. With no `selectors`, every item; otherwise, for each item in order, its
/// index once for every selector that matches it (so an item matched by two selectors is
/// listed twice, as kpt sends it twice). Then every index whose item matches a non-empty
/// exclusion is removed.
pub fn select_input(
    items: &[Value],
    selectors: &[Selector],
    exclusions: &[Selector],
) -> Vec<usize> {
    let mut selected = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if selectors.is_empty() {
            selected.push(i);
        } else {
            for s in selectors {
                if s.matches(item) {
                    selected.push(i);
                }
            }
        }
    }
    selected.retain(|&i| {
        !exclusions
            .iter()
            .any(|e| !e.is_empty() && e.matches(&items[i]))
    });
    selected
}

/// Whether a selection is in force (kpt compares against the input only then: with neither
/// selectors nor exclusions the function's output replaces the input as it is).
pub fn is_selecting(selectors: &[Selector], exclusions: &[Selector]) -> bool {
    selectors.iter().any(|s| !s.is_empty()) || exclusions.iter().any(|e| !e.is_empty())
}

/// kpt's `SetResourceIDs`: [`RESOURCE_ID_ANNOTATION`] = the item's position, on every item.
/// Items that are not mappings are left alone.
pub fn set_resource_ids(items: &mut [Value]) {
    for (i, item) in items.iter_mut().enumerate() {
        let Some(obj) = item.as_object_mut() else {
            continue;
        };
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()));
        let Some(meta) = meta.as_object_mut() else {
            continue;
        };
        let ann = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Default::default()));
        if ann.is_null() {
            *ann = Value::Object(Default::default());
        }
        if let Some(ann) = ann.as_object_mut() {
            ann.insert(RESOURCE_ID_ANNOTATION.into(), Value::String(i.to_string()));
        }
    }
}

fn resource_id(item: &Value) -> Option<&str> {
    item.pointer("/metadata/annotations")?
        .get(RESOURCE_ID_ANNOTATION)?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// kpt's `DeleteResourceIDs`: remove [`RESOURCE_ID_ANNOTATION`] (and an `annotations` map it
/// leaves empty, as kyaml's `ClearAnnotation` does).
pub fn delete_resource_ids(items: &mut [Value]) {
    for item in items {
        let Some(meta) = item.get_mut("metadata").and_then(Value::as_object_mut) else {
            continue;
        };
        let mut empty = false;
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            ann.remove(RESOURCE_ID_ANNOTATION);
            empty = ann.is_empty();
        }
        if empty {
            meta.remove("annotations");
        }
    }
}

/// Where an item of the merged package comes from (see [`merge_plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `input[i]`, not selected: unchanged.
    Input(usize),
    /// `output[j]`: a selected item as the function returned it, or one it created.
    Output(usize),
}

/// kpt's `MergeWithInput`, as positions: the package after a function ran on the `selected`
/// items (indices from [`select_input`]) of `input` (which carries the ids from
/// [`set_resource_ids`]) and returned `output`.
///
/// In input order: an item that was not selected stays as it was; a selected item is replaced
/// by the first output item with its id, or dropped when the output has none (the function
/// deleted it). Then the output items without an id (the ones the function created) follow in
/// output order. Output items carrying an id that was not selected are dropped, as kpt drops
/// them.
pub fn merge_plan(output: &[Value], selected: &[usize], input: &[Value]) -> Vec<Origin> {
    let selected_ids: Vec<Option<&str>> = selected
        .iter()
        .map(|&i| input.get(i).and_then(resource_id))
        .collect();
    let mut result = Vec::new();
    for (i, item) in input.iter().enumerate() {
        let id = resource_id(item);
        if !selected_ids.contains(&id) {
            result.push(Origin::Input(i));
            continue;
        }
        if let Some(j) = output.iter().position(|o| resource_id(o) == id) {
            result.push(Origin::Output(j));
        }
    }
    result.extend(
        output
            .iter()
            .enumerate()
            .filter(|(_, o)| resource_id(o).is_none())
            .map(|(j, _)| Origin::Output(j)),
    );
    result
}

/// [`merge_plan`] carried out, then kpt's `DeleteResourceIDs` on the result.
pub fn merge_with_input(output: &[Value], selected: &[usize], input: &[Value]) -> Vec<Value> {
    let mut result: Vec<Value> = merge_plan(output, selected, input)
        .into_iter()
        .map(|o| match o {
            Origin::Input(i) => input[i].clone(),
            Origin::Output(j) => output[j].clone(),
        })
        .collect();
    delete_resource_ids(&mut result);
    result
}

/// `KEY=VALUE` arguments of `--match-labels`/`--match-annotations`/`--exclude-*` as a map.
/// The value is everything after the first `=` (kpt keeps only the text up to a second `=`,
/// and panics on an argument without `=`; here that is an error naming `flag`). A later
/// argument with the same key wins, as in kpt.
pub fn parse_key_values(flag: &str, args: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for a in args {
        match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.insert(k.to_string(), v.to_string());
            }
            _ => {
                return Err(format!(
                    "{flag} {a:?}: expected KEY=VALUE, e.g. {flag} app=web"
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(name: &str, ns: Option<&str>) -> Value {
        let mut v = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
        if let Some(ns) = ns {
            v["metadata"]["namespace"] = json!(ns);
        }
        v
    }

    #[test]
    fn every_set_criterion_must_match_exactly() {
        let mut item = cm("a", None);
        item["metadata"]["labels"] = json!({"app": "web", "tier": "fe"});
        item["metadata"]["annotations"] = json!({"x": "1"});
        assert!(Selector::default().matches(&item));
        let s = |f: fn(&mut Selector)| {
            let mut s = Selector::default();
            f(&mut s);
            s
        };
        assert!(s(|s| s.kind = "ConfigMap".into()).matches(&item));
        assert!(!s(|s| s.kind = "configmap".into()).matches(&item));
        assert!(s(|s| s.api_version = "v1".into()).matches(&item));
        assert!(!s(|s| s.namespace = "default".into()).matches(&item));
        assert!(
            s(|s| {
                s.labels.insert("app".into(), "web".into());
            })
            .matches(&item)
        );
        assert!(
            !s(|s| {
                s.labels.insert("app".into(), "web".into());
                s.labels.insert("missing".into(), "".into());
            })
            .matches(&item)
        );
        assert!(
            s(|s| {
                s.annotations.insert("x".into(), "1".into());
                s.name = "a".into();
            })
            .matches(&item)
        );
        assert!(
            !s(|s| {
                s.annotations.insert("x".into(), "1".into());
                s.name = "b".into();
            })
            .matches(&item)
        );
    }

    #[test]
    fn two_matching_selectors_select_twice_and_exclusions_win() {
        let items = vec![cm("a", Some("x")), cm("b", Some("y")), cm("c", None)];
        let by_ns = Selector {
            namespace: "x".into(),
            ..Default::default()
        };
        let by_kind = Selector {
            kind: "ConfigMap".into(),
            ..Default::default()
        };
        assert_eq!(select_input(&items, &[], &[]), vec![0, 1, 2]);
        assert_eq!(
            select_input(&items, &[by_ns.clone(), by_kind.clone()], &[]),
            vec![0, 0, 1, 2]
        );
        let not_b = Selector {
            name: "b".into(),
            ..Default::default()
        };
        assert_eq!(
            select_input(
                &items,
                std::slice::from_ref(&by_kind),
                std::slice::from_ref(&not_b)
            ),
            vec![0, 2]
        );
        // An empty exclusion excludes nothing; exclusions alone apply to everything.
        assert_eq!(
            select_input(&items, &[], &[Selector::default()]),
            vec![0, 1, 2]
        );
        assert_eq!(
            select_input(&items, &[Selector::default()], &[not_b]),
            vec![0, 2]
        );
        assert!(!is_selecting(
            &[Selector::default()],
            &[Selector::default()]
        ));
        assert!(is_selecting(&[by_kind], &[]));
    }

    #[test]
    fn merge_keeps_unselected_replaces_deletes_and_appends_like_kpt() {
        // Input A B C D; selected A B; output A' E (B deleted, E created) -> A' C D E.
        let mut input = vec![cm("a", None), cm("b", None), cm("c", None), cm("d", None)];
        set_resource_ids(&mut input);
        assert_eq!(
            input[2]["metadata"]["annotations"][RESOURCE_ID_ANNOTATION],
            json!("2")
        );
        let selected = vec![0, 1];
        let mut a2 = input[0].clone();
        a2["data"] = json!({"k": "v"});
        let output = vec![cm("e", None), a2];
        let merged = merge_with_input(&output, &selected, &input);
        let names: Vec<&str> = merged
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["a", "c", "d", "e"]);
        assert_eq!(
            merge_plan(&output, &selected, &input),
            [
                Origin::Output(1),
                Origin::Input(2),
                Origin::Input(3),
                Origin::Output(0)
            ]
        );
        assert_eq!(merged[0]["data"], json!({"k": "v"}));
        assert!(
            merged
                .iter()
                .all(|i| i["metadata"].get("annotations").is_none())
        );
    }

    #[test]
    fn key_values() {
        let m = parse_key_values(
            "--match-labels",
            &["a=b".into(), "c=d=e".into(), "a=z".into()],
        )
        .unwrap();
        assert_eq!(m.get("a").map(String::as_str), Some("z"));
        assert_eq!(m.get("c").map(String::as_str), Some("d=e"));
        let e = parse_key_values("--match-labels", &["novalue".into()]).unwrap_err();
        assert!(
            e.contains("--match-labels \"novalue\": expected KEY=VALUE"),
            "{e}"
        );
    }

    #[test]
    fn selectors_deserialize_from_a_kptfile_entry() {
        let s: Selector = serde_json::from_value(json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "labels": {"app": "web"}
        }))
        .unwrap();
        assert_eq!(s.api_version, "apps/v1");
        assert_eq!(s.labels.get("app").map(String::as_str), Some("web"));
        assert!(s.name.is_empty());
    }
}
