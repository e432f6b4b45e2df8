//! Patch semantics of the fake API server: JSON merge patch (RFC 7386), strategic merge patch
//! (the list merge keys of the fields our tool touches), JSON patch (RFC 6902).

use serde_json::{Map, Value};

/// RFC 7386: objects merge recursively, `null` deletes, everything else (lists too) replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// The merge key of a list field in the core/apps types, as the API's strategic merge patch
/// uses it (`patchMergeKey`). Lists not named here are atomic (replaced as a whole), like
/// `command` and `args`.
pub fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers" | "initContainers" | "ephemeralContainers" => Some("name"),
        "volumes" | "env" | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "ports" => Some("containerPort"),
        "conditions" => Some("type"),
        _ => None,
    }
}

/// Strategic merge patch: like a merge patch, but lists with a merge key are merged item by
/// item (`$patch: delete` on an item removes it), and `$`-directives are not stored.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut clean = p.clone();
        clean.remove("$patch");
        *target = Value::Object(clean);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("object");
    for (k, v) in p {
        if k.starts_with('$') {
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match (merge_key(k), v) {
            (Some(key), Value::Array(items)) => {
                let existing = t.entry(k.clone()).or_insert(Value::Array(vec![]));
                if !existing.is_array() {
                    *existing = Value::Array(vec![]);
                }
                let list = existing.as_array_mut().expect("array");
                for item in items {
                    let id = item.get(key).cloned();
                    let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                    let pos = id
                        .as_ref()
                        .and_then(|id| list.iter().position(|e| e.get(key) == Some(id)));
                    match (pos, delete) {
                        (Some(i), true) => {
                            list.remove(i);
                        }
                        (None, true) => {}
                        (Some(i), false) => strategic_merge(&mut list[i], item),
                        (None, false) => {
                            let mut fresh = Value::Object(Map::new());
                            strategic_merge(&mut fresh, item);
                            list.push(fresh);
                        }
                    }
                }
            }
            _ => strategic_merge(t.entry(k.clone()).or_insert(Value::Null), v),
        }
    }
}

/// RFC 6902 JSON patch (add, remove, replace, test, copy, move). Err(message) on a failed
/// `test` or a missing path.
pub fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops
        .as_array()
        .ok_or("a JSON patch must be a list of operations")?;
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).ok_or("op missing")?;
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or("path missing")?;
        match kind {
            "add" => add(
                target,
                path,
                op.get("value").cloned().ok_or("value missing")?,
            )?,
            "remove" => {
                remove(target, path)?;
            }
            "replace" => {
                remove(target, path)?;
                add(
                    target,
                    path,
                    op.get("value").cloned().ok_or("value missing")?,
                )?;
            }
            "test" => {
                let want = op.get("value").ok_or("value missing")?;
                if target.pointer(path) != Some(want) {
                    return Err(format!("the test operation on {path} failed"));
                }
            }
            "copy" | "move" => {
                let from = op
                    .get("from")
                    .and_then(Value::as_str)
                    .ok_or("from missing")?;
                let v = if kind == "move" {
                    remove(target, from)?
                } else {
                    target.pointer(from).cloned().ok_or("from not found")?
                };
                add(target, path, v)?;
            }
            other => return Err(format!("unknown op {other}")),
        }
    }
    Ok(())
}

fn split(path: &str) -> Result<(String, String), String> {
    let i = path.rfind('/').ok_or_else(|| format!("bad path {path}"))?;
    let last = path[i + 1..].replace("~1", "/").replace("~0", "~");
    Ok((path[..i].to_string(), last))
}

fn add(target: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *target = value;
        return Ok(());
    }
    let (parent, last) = split(path)?;
    let p = target
        .pointer_mut(&parent)
        .ok_or_else(|| format!("path {parent} not found"))?;
    match p {
        Value::Object(m) => {
            m.insert(last, value);
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
            } else {
                let i: usize = last.parse().map_err(|_| format!("bad index {last}"))?;
                if i > a.len() {
                    return Err(format!("index {i} out of range"));
                }
                a.insert(i, value);
            }
        }
        _ => return Err(format!("path {parent} is not a container")),
    }
    Ok(())
}

fn remove(target: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = split(path)?;
    let p = target
        .pointer_mut(&parent)
        .ok_or_else(|| format!("path {parent} not found"))?;
    match p {
        Value::Object(m) => m
            .remove(&last)
            .ok_or_else(|| format!("path {path} not found")),
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| format!("bad index {last}"))?;
            if i >= a.len() {
                return Err(format!("index {i} out of range"));
            }
            Ok(a.remove(i))
        }
        _ => Err(format!("path {parent} is not a container")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_replaces_lists_and_deletes_nulls() {
        let mut t = json!({"a": {"b": 1, "c": [1, 2]}, "d": 1});
        merge_patch(&mut t, &json!({"a": {"c": [3], "b": null}, "d": null}));
        assert_eq!(t, json!({"a": {"c": [3]}}));
    }

    #[test]
    fn strategic_merge_merges_by_key_and_keeps_args_atomic() {
        let mut t = json!({"containers": [{"name": "a", "args": ["x"], "image": "i"}, {"name": "b"}],
                           "volumes": [{"name": "v1"}]});
        strategic_merge(
            &mut t,
            &json!({"containers": [{"name": "a", "args": ["y", "z"]}],
                    "volumes": [{"name": "v2"}, {"name": "v1", "$patch": "delete"}]}),
        );
        assert_eq!(
            t,
            json!({"containers": [{"name": "a", "args": ["y", "z"], "image": "i"}, {"name": "b"}],
                   "volumes": [{"name": "v2"}]})
        );
    }

    #[test]
    fn json_patch_test_guards() {
        let mut t = json!({"metadata": {"resourceVersion": "3"}, "spec": {"a": [1]}});
        assert!(
            json_patch(
                &mut t,
                &json!([{"op": "test", "path": "/metadata/resourceVersion", "value": "2"}])
            )
            .is_err()
        );
        json_patch(
            &mut t,
            &json!([{"op": "add", "path": "/spec/a/-", "value": 2}]),
        )
        .unwrap();
        assert_eq!(t["spec"]["a"], json!([1, 2]));
    }
}
