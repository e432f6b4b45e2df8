//! The text of each item of a function's output `ResourceList`, as the function wrote it
//! (comments, quoting and key order kept), de-indented to a top-level document and without the
//! layout annotations — the way `kpt fn eval` writes changed files. Pure: no I/O.
//!
//! Anything this cannot handle safely (JSON or flow-style output, anchors/aliases, tags, tabs,
//! comments outdented from their item, flow-style annotations, a result that does not parse
//! back to the same value) yields `None` for that item, and the caller writes the serialised
//! value instead.

use serde_json::Value;

use crate::manifests::yaml::{self, Node, NodeKind, line_end_incl, line_start};

use super::package::{is_layout_annotation, strip_layout};

/// For every item of `items` (the parsed `items` of the output ResourceList `text`), its text
/// with the layout annotations removed, or `None` where the text path does not apply. The
/// text of item `n` parses (with the project's reader) to `items[n]` minus its layout
/// annotations.
pub fn item_texts(text: &str, items: &[Value]) -> Vec<Option<String>> {
    let none = || vec![None; items.len()];
    let Ok(docs) = yaml::parse_stream(text) else {
        return none();
    };
    let roots: Vec<&Node> = docs.iter().filter_map(|d| d.root.as_ref()).collect();
    let [root] = roots.as_slice() else {
        return none();
    };
    if root.is_flow() {
        return none();
    }
    let Some(seq) = root.get("items") else {
        return none();
    };
    let Some(nodes) = seq.items() else {
        return none();
    };
    if seq.is_flow() || nodes.len() != items.len() {
        return none();
    }
    nodes
        .iter()
        .zip(items)
        .map(|(node, value)| one_item(text, node, value))
        .collect()
}

fn plain_tree(n: &Node) -> bool {
    if n.anchor != 0 || n.tag.is_some() {
        return false;
    }
    match &n.kind {
        NodeKind::Alias(_) => false,
        NodeKind::Scalar { .. } => true,
        NodeKind::Seq { items, .. } => items.iter().all(plain_tree),
        NodeKind::Map { entries, .. } => {
            entries.iter().all(|(k, v)| plain_tree(k) && plain_tree(v))
        }
    }
}

fn one_item(text: &str, node: &Node, value: &Value) -> Option<String> {
    if !matches!(node.kind, NodeKind::Map { flow: false, .. }) || !plain_tree(node) {
        return None;
    }
    let body = deindent(text, node)?;
    let stripped_text = strip_layout_text(&body)?;
    let mut expected = value.clone();
    strip_layout(&mut expected);
    let reparsed: Value = serde_saphyr::from_str_with_options(
        &stripped_text,
        crate::manifests::yaml::serde_options(),
    )
    .ok()?;
    (reparsed == expected).then_some(stripped_text)
}

/// The item's text as a top-level document: from its first key to the end of its last line
/// (a trailing comment on that line included), every line after the first moved left by the
/// item's column.
fn deindent(text: &str, node: &Node) -> Option<String> {
    let col = node.col;
    // The first key must follow `- ` (or the indentation) on its line.
    let first_line = &text[line_start(text, node.start)..node.start];
    if !first_line.chars().all(|c| c == ' ' || c == '-') || first_line.chars().count() != col {
        return None;
    }
    let rest_of_last = &text[node.end..line_end_incl(text, node.end)];
    let tail = rest_of_last
        .trim_end_matches(['\n', '\r'])
        .trim_start_matches(' ');
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    let slice = &text[node.start..line_end_incl(text, node.end)];
    if slice.contains('\r') || slice.contains('\t') {
        return None;
    }
    let pad = " ".repeat(col);
    let mut out = String::with_capacity(slice.len());
    for (i, line) in slice.split_inclusive('\n').enumerate() {
        if i == 0 || line.trim_end_matches('\n').is_empty() {
            out.push_str(line);
        } else if let Some(l) = line.strip_prefix(&pad) {
            out.push_str(l);
        } else if line.trim().is_empty() {
            out.push('\n');
        } else {
            // A line (likely a comment) left of the item: leave it to the serialiser.
            return None;
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

/// Remove the layout annotations (whole lines) from a top-level document; an `annotations:`
/// map left empty goes too, as kpt does.
fn strip_layout_text(doc: &str) -> Option<String> {
    let docs = yaml::parse_stream(doc).ok()?;
    let root = docs.iter().find_map(|d| d.root.as_ref())?;
    let Some(meta) = root.get("metadata") else {
        return Some(doc.to_string());
    };
    let Some((ann_key, ann)) = meta.entry("annotations") else {
        return Some(doc.to_string());
    };
    let entries = match &ann.kind {
        NodeKind::Map {
            entries,
            flow: false,
        } => entries,
        NodeKind::Map { flow: true, .. } => return None,
        _ => return Some(doc.to_string()),
    };
    let layout = |k: &Node| k.as_str().is_some_and(is_layout_annotation);
    if !entries.iter().any(|(k, _)| layout(k)) {
        return Some(doc.to_string());
    }
    // Line ranges to cut.
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    if entries.iter().all(|(k, _)| layout(k)) {
        let (_, last) = entries.last()?;
        cuts.push((line_start(doc, ann_key.start), line_end_incl(doc, last.end)));
    } else {
        for (i, (k, v)) in entries.iter().enumerate() {
            if !layout(k) {
                continue;
            }
            let start = line_start(doc, k.start);
            let end = line_end_incl(doc, v.end.max(k.end));
            // The entry must own its lines.
            if doc[start..k.start].trim() != "" {
                return None;
            }
            if let Some((nk, _)) = entries.get(i + 1)
                && nk.start < end
            {
                return None;
            }
            let after = doc[v.end.max(k.end)..end].trim();
            if !(after.is_empty() || after.starts_with('#')) {
                return None;
            }
            cuts.push((start, end));
        }
    }
    let mut out = String::with_capacity(doc.len());
    let mut pos = 0;
    for (s, e) in cuts {
        out.push_str(&doc[pos..s]);
        pos = e;
    }
    out.push_str(&doc[pos..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items_of(text: &str) -> Vec<Value> {
        let rl: Value = serde_saphyr::from_str(text).unwrap();
        rl["items"].as_array().unwrap().clone()
    }

    #[test]
    fn comments_and_quotes_are_kept_annotations_removed() {
        let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1 # api\n  kind: ConfigMap\n  metadata:\n    name: a\n    annotations:\n      config.kubernetes.io/index: '0'\n      keep: \"yes\" # mine\n      internal.config.kubernetes.io/path: 'cm.yaml'\n      config.kubernetes.io/path: cm.yaml\n      internal.config.kubernetes.io/index: \"0\"\n  data:\n    # the key\n    k: |\n      two\n        lines\n\n    l: x # last\n- kind: ConfigMap\n  metadata:\n    annotations:\n      config.kubernetes.io/path: b.yaml\n    name: b\n  list:\n  - 1\n  -   - 2\nfunctionConfig: {}\n";
        let items = items_of(text);
        let t = item_texts(text, &items);
        assert_eq!(
            t[0].as_deref(),
            Some(
                "apiVersion: v1 # api\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    keep: \"yes\" # mine\ndata:\n  # the key\n  k: |\n    two\n      lines\n\n  l: x # last\n"
            )
        );
        assert_eq!(
            t[1].as_deref(),
            Some("kind: ConfigMap\nmetadata:\n  name: b\nlist:\n- 1\n-   - 2\n")
        );
    }

    #[test]
    fn json_flow_anchors_and_outdented_comments_fall_back() {
        for text in [
            "{\"kind\":\"ResourceList\",\"items\":[{\"kind\":\"A\"}]}",
            "kind: ResourceList\nitems: [{kind: A}]\n",
            "kind: ResourceList\nitems:\n- {kind: A}\n",
            "kind: ResourceList\nitems:\n- kind: A\n  x: &a 1\n  y: *a\n",
            "kind: ResourceList\nitems:\n- kind: A\n# outdented\n  x: 1\n",
            "kind: ResourceList\nitems:\n- kind: A\n  metadata:\n    annotations: {config.kubernetes.io/path: a.yaml}\n",
        ] {
            let items = items_of(text);
            assert_eq!(item_texts(text, &items), vec![None], "{text}");
        }
        // A wrong item count is not trusted either.
        let text = "kind: ResourceList\nitems:\n- kind: A\n";
        assert_eq!(item_texts(text, &[]), Vec::<Option<String>>::new());
        assert_eq!(
            item_texts(text, &[serde_json::json!({"kind": "B"})]),
            vec![None]
        );
    }

    #[test]
    fn indented_sequences_and_a_single_layout_annotation() {
        let text = "kind: ResourceList\nitems:\n  - kind: A\n    metadata:\n      name: x\n      annotations:\n        config.kubernetes.io/path: a.yaml\n    spec:\n      - a\n      - b\n";
        let items = items_of(text);
        assert_eq!(
            item_texts(text, &items)[0].as_deref(),
            Some("kind: A\nmetadata:\n  name: x\nspec:\n  - a\n  - b\n")
        );
    }
}
