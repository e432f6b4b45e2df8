//! The lossless YAML editor: carries a `runner::plan::Plan` out on the text of a manifest by
//! splicing the original bytes. Every byte outside the lines that have to change stays as it
//! was: other documents, key order, comments, blank lines, quoting and indentation.
//!
//! New list items follow the style found in place (the column of the existing `-`, block or
//! flow `[...]`), new keys follow the document's sequence indentation (`- ` under the key, or
//! indented by two). After editing, the result is parsed again and must equal the plan applied
//! to the parsed Deployment; otherwise nothing is returned (and nothing written).

use serde_json::Value;

use crate::runner::plan::{ListField, Op, Plan};
use crate::runner::yaml::{self, Node, NodeKind, PathSeg, line_end_incl, line_start};
use granit_parser::ScalarStyle;

/// Why an edit could not be made (phrased for the user, without the file name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

type R<T> = std::result::Result<T, EditError>;

fn err<T>(msg: impl Into<String>) -> R<T> {
    Err(EditError(msg.into()))
}

struct Splice {
    start: usize,
    end: usize,
    text: String,
    seq: usize,
}

/// Apply `plan` to the Deployment found at `path` inside the `doc_index`-th non-empty document
/// of `text` (`path` is empty for a top-level Deployment, `items/3` for one inside a
/// ResourceList or List). Returns the new text.
pub fn apply_plan(text: &str, doc_index: usize, path: &[PathSeg], plan: &Plan) -> R<String> {
    if plan.is_empty() {
        return Ok(text.to_string());
    }
    let docs = yaml::parse_stream(text).map_err(|e| EditError(format!("malformed YAML at {e}")))?;
    let doc = docs
        .iter()
        .filter(|d| is_non_empty(d))
        .nth(doc_index)
        .ok_or_else(|| EditError(format!("document {doc_index} not found")))?;
    let new_doc = apply_plan_in_document(&text[doc.start..doc.end], path, plan)?;
    let mut out = String::with_capacity(text.len() + new_doc.len());
    out.push_str(&text[..doc.start]);
    out.push_str(&new_doc);
    out.push_str(&text[doc.end..]);
    Ok(out)
}

/// Whether a document has content (not empty, not a bare null).
pub(crate) fn is_non_empty(d: &yaml::Doc) -> bool {
    match &d.root {
        None => false,
        Some(n) => !matches!(&n.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain }
            if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL")),
    }
}

/// Like [`apply_plan`], on the text of exactly one document (a slice of a stream, from its
/// `---` or first line up to the next document). Only this text is parsed, so editing one
/// document of a 10,000-document file costs one document's work.
pub fn apply_plan_in_document(text: &str, path: &[PathSeg], plan: &Plan) -> R<String> {
    if plan.is_empty() {
        return Ok(text.to_string());
    }
    let docs = yaml::parse_stream(text).map_err(|e| EditError(format!("malformed YAML at {e}")))?;
    let mut non_empty = docs.iter().filter(|d| is_non_empty(d));
    let doc = non_empty
        .next()
        .ok_or_else(|| EditError("the document is empty".into()))?;
    if non_empty.next().is_some() {
        return err("internal error: more than one document given to the editor");
    }
    let root = doc.root.as_ref().expect("non-empty");
    let deployment = root
        .at(path)
        .ok_or_else(|| EditError("the Deployment is not where it was found".into()))?;
    let mut expected = json_at(&doc.to_json(), path)
        .ok_or_else(|| EditError("the Deployment is not where it was found".into()))?;
    plan.apply_to_value(&mut expected)
        .map_err(|e| EditError(e.to_string()))?;

    let mut ed = Editor {
        text,
        crlf: text.contains("\r\n"),
        splices: Vec::new(),
        seq_offset: 2,
        map_indent: 2,
    };
    if let Some((k, v)) = deployment.entry("spec")
        && matches!(v.kind, NodeKind::Map { flow: false, .. })
        && col_of(text, v.start) > col_of(text, k.start)
    {
        ed.map_indent = col_of(text, v.start) - col_of(text, k.start);
    }
    let pod = deployment
        .at(&[key("spec"), key("template"), key("spec")])
        .ok_or_else(|| EditError("the Deployment has no spec.template.spec".into()))?;
    let containers = pod
        .get("containers")
        .ok_or_else(|| EditError("the Deployment has no containers".into()))?;
    let container = containers
        .items()
        .and_then(|i| i.get(plan.container_index))
        .ok_or_else(|| EditError("the runner container is missing".into()))?;
    let ancestors = [
        Some(deployment),
        deployment.get("spec"),
        deployment.at(&[key("spec"), key("template")]),
        Some(pod),
        Some(containers),
    ];
    if ancestors.iter().flatten().any(|n| n.anchor != 0)
        || uses_aliases(container)
        || pod.get("volumes").is_some_and(uses_aliases)
    {
        return err(
            "the runner container or its pod spec uses YAML anchors or aliases (&name / *name); \
             a lossless edit cannot tell which copy to change: expand them and retry",
        );
    }
    if pod.is_flow() || container.is_flow() {
        return err(
            "the Deployment's pod spec or container is written in flow style ({...}); \
             lossless edits need block style: reformat it (e.g. with kpt fn eval or yq) and retry",
        );
    }
    if let (Some((k, _)), Some(first)) = (
        pod.entry("containers"),
        containers.items().and_then(|i| i.first()),
    ) && !containers.is_flow()
    {
        let dash = dash_pos(text, first.start);
        ed.seq_offset = col_of(text, dash).saturating_sub(col_of(text, k.start));
    } else if let Some(off) = find_seq_offset(text, root) {
        ed.seq_offset = off;
    }

    for field in [
        ListField::Command,
        ListField::Args,
        ListField::VolumeMounts,
        ListField::Volumes,
    ] {
        let ops: Vec<&Op> = plan.ops.iter().filter(|o| o.field() == field).collect();
        if ops.is_empty() {
            continue;
        }
        let parent = if field.in_container() { container } else { pod };
        ed.field(parent, field, &ops, container)?;
    }
    let out = ed.finish()?;

    // Self-check: the edited text must parse to exactly what the plan says.
    let new_docs = yaml::parse_stream(&out).map_err(|e| {
        EditError(format!(
            "internal error: the edit produced invalid YAML ({e})"
        ))
    })?;
    let got = new_docs
        .iter()
        .find(|d| is_non_empty(d))
        .and_then(|d| json_at(&d.to_json(), path));
    if got.as_ref() != Some(&expected) {
        return err(
            "internal error: the lossless edit did not produce the planned Deployment; \
             nothing was written (please report this with the manifest)",
        );
    }
    Ok(out)
}

fn json_at(v: &Value, path: &[PathSeg]) -> Option<Value> {
    let mut cur = v;
    for seg in path {
        cur = match seg {
            PathSeg::Key(k) => cur.get(k)?,
            PathSeg::Index(i) => cur.get(*i)?,
        };
    }
    Some(cur.clone())
}

fn uses_aliases(n: &Node) -> bool {
    n.anchor != 0
        || match &n.kind {
            NodeKind::Alias(_) => true,
            NodeKind::Scalar { .. } => false,
            NodeKind::Seq { items, .. } => items.iter().any(uses_aliases),
            NodeKind::Map { entries, .. } => entries
                .iter()
                .any(|(k, v)| uses_aliases(k) || uses_aliases(v)),
        }
}

fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.to_string())
}

struct Editor<'a> {
    text: &'a str,
    /// The file uses CRLF line ends: new lines do too.
    crlf: bool,
    splices: Vec<Splice>,
    /// Columns between a key and the `-` of its block sequence (0 or 2, as the file does).
    seq_offset: usize,
    /// Columns between a key and the keys of its block mapping value (2 or 4 ...).
    map_indent: usize,
}

/// Column (bytes from the line start; indentation is ASCII) of a position.
fn col_of(text: &str, pos: usize) -> usize {
    pos - line_start(text, pos)
}

/// The `-` of a block sequence item whose content starts at `item_start`.
fn dash_pos(text: &str, item_start: usize) -> usize {
    let before = &text[..item_start];
    let trimmed = before.trim_end_matches([' ', '\t', '\n', '\r']);
    if trimmed.ends_with('-') {
        trimmed.len() - 1
    } else {
        item_start
    }
}

fn find_seq_offset(text: &str, node: &Node) -> Option<usize> {
    match &node.kind {
        NodeKind::Map {
            entries,
            flow: false,
        } => {
            for (k, v) in entries {
                if let NodeKind::Seq { items, flow: false } = &v.kind
                    && let Some(first) = items.first()
                {
                    let d = dash_pos(text, first.start);
                    if line_start(text, d) != line_start(text, k.start) {
                        return Some(col_of(text, d).saturating_sub(col_of(text, k.start)));
                    }
                }
                if let Some(o) = find_seq_offset(text, v) {
                    return Some(o);
                }
            }
            None
        }
        NodeKind::Seq { items, .. } => items.iter().find_map(|i| find_seq_offset(text, i)),
        _ => None,
    }
}

impl<'a> Editor<'a> {
    fn splice(&mut self, start: usize, end: usize, text: String) {
        let text = if self.crlf && text.contains('\n') {
            text.replace("\r\n", "\n").replace('\n', "\r\n")
        } else {
            text
        };
        let seq = self.splices.len();
        self.splices.push(Splice {
            start,
            end,
            text,
            seq,
        });
    }

    fn finish(mut self) -> R<String> {
        self.splices.sort_by_key(|s| (s.start, s.end, s.seq));
        for w in self.splices.windows(2) {
            if w[0].end > w[1].start {
                return err("internal error: overlapping edits");
            }
        }
        let mut out = String::with_capacity(self.text.len() + 256);
        let mut pos = 0;
        for s in &self.splices {
            out.push_str(&self.text[pos..s.start]);
            out.push_str(&s.text);
            pos = s.end;
        }
        out.push_str(&self.text[pos..]);
        Ok(out)
    }

    /// Text to insert at `pos` (a line start): make sure it starts on its own line.
    fn at_line(&self, pos: usize, body: String) -> String {
        if pos == self.text.len() && !self.text.is_empty() && !self.text.ends_with('\n') {
            format!("\n{body}")
        } else {
            body
        }
    }

    fn field(&mut self, parent: &Node, field: ListField, ops: &[&Op], container: &Node) -> R<()> {
        let text = self.text;
        let entry = parent.entry(field.key());
        if ops.iter().any(|o| matches!(o, Op::RemoveKey { .. })) {
            if let Some((k, v)) = entry {
                self.splice(
                    line_start(text, k.start),
                    line_end_incl(text, v.end.max(k.end)),
                    String::new(),
                );
            }
            return Ok(());
        }
        let seq = entry.map(|(_, v)| v).filter(|v| v.items().is_some());
        match seq {
            Some(seq) if seq.is_flow() => self.flow_ops(seq, ops),
            Some(seq) if seq.items().is_some_and(|i| !i.is_empty()) => self.block_ops(seq, ops),
            _ => {
                // No list yet (no key, `key:`, `key: ~`, or an empty `[]`-less form).
                let mut values = Vec::new();
                for o in ops {
                    match o {
                        Op::Insert { values: v, .. } => values.extend(v.iter().cloned()),
                        _ => return err(format!("{} has no item to change", field.key())),
                    }
                }
                let key_col = match parent.entries().and_then(|e| e.first()) {
                    Some((k, _)) => col_of(text, k.start),
                    None => return err("empty mapping"),
                };
                let dash_col = key_col + self.seq_offset;
                let items: String = values
                    .iter()
                    .map(|v| render_block_item(v, dash_col, dash_col + 2, self.map_indent))
                    .collect();
                match entry {
                    Some((k, v)) => {
                        // `key:` with an empty or null value.
                        if !v.is_empty_scalar() {
                            // `key: ~` -> `key:`
                            self.splice(k.end, v.end, ":".to_string());
                        }
                        let pos = line_end_incl(text, k.end.max(v.end));
                        let body = self.at_line(pos, items);
                        self.splice(pos, pos, body);
                    }
                    None => {
                        let after = if field == ListField::Args {
                            container.entry("command").map(|(k, v)| v.end.max(k.end))
                        } else {
                            None
                        };
                        let pos = line_end_incl(text, after.unwrap_or(parent.end));
                        let body = format!("{}{}:\n{items}", " ".repeat(key_col), field.key());
                        let body = self.at_line(pos, body);
                        self.splice(pos, pos, body);
                    }
                }
                Ok(())
            }
        }
    }

    fn block_ops(&mut self, seq: &Node, ops: &[&Op]) -> R<()> {
        let text = self.text;
        let items = seq.items().unwrap_or(&[]);
        let first = &items[0];
        let dash_col = col_of(text, dash_pos(text, first.start));
        // Key column of mapping items, as the list does it (usually dash + 2).
        let key_col = items
            .iter()
            .find(|i| matches!(i.kind, NodeKind::Map { flow: false, .. }))
            .map(|i| {
                let d = dash_pos(text, i.start);
                if line_start(text, d) == line_start(text, i.start) {
                    col_of(text, i.start)
                } else {
                    dash_col + 2
                }
            })
            .unwrap_or(dash_col + 2);
        let item_lines = |i: &Node| {
            let d = dash_pos(text, i.start);
            (line_start(text, d), line_end_incl(text, i.end))
        };
        for op in ops {
            match op {
                Op::Replace { index, value, .. } => {
                    let item = items
                        .get(*index)
                        .ok_or_else(|| EditError("list item out of range".into()))?;
                    match (&item.kind, value) {
                        (NodeKind::Scalar { style, .. }, v) if !v.is_object() && !v.is_array() => {
                            self.splice(item.start, item.end, render_scalar_styled(v, *style));
                        }
                        (NodeKind::Map { flow: true, .. }, v) => {
                            self.splice(item.start, item.end, render_flow(v));
                        }
                        (_, v) => {
                            let (s, e) = item_lines(item);
                            self.splice(
                                s,
                                e,
                                render_block_item(v, dash_col, key_col, self.map_indent),
                            );
                        }
                    }
                }
                Op::Remove { index, .. } => {
                    let item = items
                        .get(*index)
                        .ok_or_else(|| EditError("list item out of range".into()))?;
                    let (s, e) = item_lines(item);
                    self.splice(s, e, String::new());
                }
                Op::Insert { after, values, .. } => {
                    let quote = quote_style(items);
                    let body: String = values
                        .iter()
                        .map(|v| match (v, quote) {
                            (Value::String(_), Some(style)) => format!(
                                "{}- {}\n",
                                " ".repeat(dash_col),
                                render_scalar_styled(v, style)
                            ),
                            _ => render_block_item(v, dash_col, key_col, self.map_indent),
                        })
                        .collect();
                    let pos = match after {
                        Some(k) => {
                            let item = items
                                .get(*k)
                                .ok_or_else(|| EditError("list item out of range".into()))?;
                            item_lines(item).1
                        }
                        None => item_lines(first).0,
                    };
                    let body = self.at_line(pos, body);
                    self.splice(pos, pos, body);
                }
                Op::RemoveKey { .. } => {}
            }
        }
        Ok(())
    }

    fn flow_ops(&mut self, seq: &Node, ops: &[&Op]) -> R<()> {
        let items = seq.items().unwrap_or(&[]);
        let removed: Vec<usize> = ops
            .iter()
            .filter_map(|o| match o {
                Op::Remove { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        for op in ops {
            match op {
                Op::Replace { index, value, .. } => {
                    let item = items
                        .get(*index)
                        .ok_or_else(|| EditError("list item out of range".into()))?;
                    let new = match &item.kind {
                        NodeKind::Scalar { style, .. } if !value.is_object() => {
                            render_scalar_styled(value, *style)
                        }
                        _ => render_flow(value),
                    };
                    self.splice(item.start, item.end, new);
                }
                Op::Insert { after, values, .. } => {
                    let quote = quote_style(items);
                    let parts: Vec<String> = values
                        .iter()
                        .map(|v| match (v, quote) {
                            (Value::String(_), Some(style)) => render_scalar_styled(v, style),
                            _ => render_flow(v),
                        })
                        .collect();
                    let joined = parts.join(", ");
                    match (after, items.is_empty()) {
                        (_, true) => {
                            let open = seq.start + 1;
                            self.splice(open, open, joined);
                        }
                        (Some(k), false) => {
                            let item = items
                                .get(*k)
                                .ok_or_else(|| EditError("list item out of range".into()))?;
                            self.splice(item.end, item.end, format!(", {joined}"));
                        }
                        (None, false) => {
                            self.splice(items[0].start, items[0].start, format!("{joined}, "));
                        }
                    }
                }
                Op::Remove { .. } | Op::RemoveKey { .. } => {}
            }
        }
        // Removals: each kept item keeps its own separator; take out runs of removed items.
        let n = items.len();
        let mut i = 0;
        while i < n {
            if !removed.contains(&i) {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < n && removed.contains(&(j + 1)) {
                j += 1;
            }
            if j + 1 < n {
                self.splice(items[i].start, items[j + 1].start, String::new());
            } else if i > 0 {
                self.splice(items[i - 1].end, items[j].end, String::new());
            } else {
                self.splice(items[i].start, items[j].end, String::new());
            }
            i = j + 1;
        }
        Ok(())
    }
}

/// The quoting a list's scalars share (`"..."` or `'...'`), so new items match them.
fn quote_style(items: &[Node]) -> Option<ScalarStyle> {
    let mut styles = items.iter().filter_map(|i| match &i.kind {
        NodeKind::Scalar { style, .. } => Some(*style),
        _ => None,
    });
    let first = styles.next()?;
    let quoted = matches!(first, ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted);
    (quoted && styles.all(|s| s == first)).then_some(first)
}

/// Whether a string can be written as a plain scalar (and read back as the same string).
fn plain_ok(s: &str, flow: bool) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    if s.chars().any(|c| c.is_control()) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    let second = s.chars().nth(1);
    if "[]{},#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if "-?:".contains(first) && second.is_none_or(|c| c == ' ') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if flow && s.contains(['[', ']', '{', '}', ',']) {
        return false;
    }
    if s == "-" || s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    // Must read back as a string, not null/bool/number.
    let probe = format!("a: {s}\n");
    match yaml::parse_stream(&probe) {
        Ok(d) => d.first().map(|d| d.to_json()) == Some(serde_json::json!({ "a": s })),
        Err(_) => false,
    }
}

fn double_quoted(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

fn render_scalar(v: &Value, flow: bool) -> String {
    match v {
        Value::String(s) if plain_ok(s, flow) => s.clone(),
        Value::String(s) => double_quoted(s),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

fn render_scalar_styled(v: &Value, style: ScalarStyle) -> String {
    match (v, style) {
        (Value::String(s), ScalarStyle::DoubleQuoted) => double_quoted(s),
        (Value::String(s), ScalarStyle::SingleQuoted) if !s.contains('\n') => {
            format!("'{}'", s.replace('\'', "''"))
        }
        _ => render_scalar(v, false),
    }
}

fn render_flow(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        render_scalar(&Value::String(k.clone()), true),
                        render_flow(v)
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(render_flow).collect();
            format!("[{}]", parts.join(", "))
        }
        other => render_scalar(other, true),
    }
}

/// One block sequence item: `-` at `dash_col`, a mapping's keys at `key_col`.
fn render_block_item(v: &Value, dash_col: usize, key_col: usize, mi: usize) -> String {
    let dash = format!("{}-", " ".repeat(dash_col));
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut out = String::new();
            for (i, (k, val)) in m.iter().enumerate() {
                if i == 0 {
                    out.push_str(&dash);
                    out.push_str(&" ".repeat(key_col.saturating_sub(dash_col + 1).max(1)));
                } else {
                    out.push_str(&" ".repeat(key_col));
                }
                out.push_str(&render_key_value(k, val, key_col, mi));
            }
            out
        }
        Value::Array(a) if !a.is_empty() => format!("{dash} {}\n", render_flow(v)),
        other => format!("{dash} {}\n", render_flow(other)),
    }
}

/// `key: value\n` at column `col` (the key's column), nested values in block style.
fn render_key_value(k: &str, v: &Value, col: usize, mi: usize) -> String {
    let key = render_scalar(&Value::String(k.to_string()), false);
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut out = format!("{key}:\n");
            for (k2, v2) in m {
                out.push_str(&" ".repeat(col + mi));
                out.push_str(&render_key_value(k2, v2, col + mi, mi));
            }
            out
        }
        Value::Array(a) if !a.is_empty() => {
            let mut out = format!("{key}:\n");
            for item in a {
                out.push_str(&render_block_item(item, col, col + 2, mi));
            }
            out
        }
        other => format!("{key}: {}\n", render_flow(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::plan::tests::{desired, target};
    use crate::runner::plan::{plan_patch, plan_remove};

    fn patch(text: &str, tls: bool) -> String {
        let docs = super::super::parse_documents(text).unwrap();
        let d = docs.iter().find(|d| d.kind() == "Deployment").unwrap();
        let plan = plan_patch(&d.value, &target(), &desired(tls)).unwrap();
        apply_plan(text, d.index, &[], &plan).unwrap()
    }

    fn remove(text: &str, tls: bool) -> String {
        let docs = super::super::parse_documents(text).unwrap();
        let d = docs.iter().find(|d| d.kind() == "Deployment").unwrap();
        let plan = plan_remove(&d.value, &target(), &desired(tls)).unwrap();
        apply_plan(text, d.index, &[], &plan).unwrap()
    }

    const DOCS_STYLE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: function-runner
spec:
  template:
    spec:
      containers:
      - name: function-runner
        image: runner   # pinned
        args:
        - --pod-namespace=porch-fn-system
";

    #[test]
    fn docs_style_unindented_sequences() {
        let out = patch(DOCS_STYLE, false);
        assert_eq!(
            out,
            "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: function-runner
spec:
  template:
    spec:
      containers:
      - name: function-runner
        image: runner   # pinned
        args:
        - --pod-namespace=porch-fn-system
        - --enable-private-registries=true
        - --registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson
        - --registry-auth-secret-name=registry-auth-secret
        volumeMounts:
        - name: docker-config
          mountPath: /var/tmp/auth-secret
          readOnly: true
      volumes:
      - name: docker-config
        secret:
          secretName: registry-auth-secret
"
        );
        assert_eq!(patch(&out, false), out);
        assert_eq!(remove(&out, false), DOCS_STYLE);
    }

    #[test]
    fn flow_lists_get_flow_items() {
        let text = "kind: Deployment\nmetadata: {name: function-runner}\nspec:\n  template:\n    spec:\n      containers:\n        - name: function-runner\n          args: [\"--port=9445\"]\n          volumeMounts: []\n      volumes: []\n";
        let out = patch(text, false);
        assert!(out.contains("args: [\"--port=9445\", \"--enable-private-registries=true\", \"--registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson\", \"--registry-auth-secret-name=registry-auth-secret\"]"), "{out}");
        assert!(out.contains("volumeMounts: [{name: docker-config, mountPath: /var/tmp/auth-secret, readOnly: true}]"), "{out}");
        assert!(
            out.contains(
                "volumes: [{name: docker-config, secret: {secretName: registry-auth-secret}}]"
            ),
            "{out}"
        );
        assert_eq!(patch(&out, false), out);
        let back = remove(&out, false);
        // Emptied flow lists lose their keys; the rest is as it was.
        assert_eq!(
            back,
            "kind: Deployment\nmetadata: {name: function-runner}\nspec:\n  template:\n    spec:\n      containers:\n        - name: function-runner\n          args: [\"--port=9445\"]\n"
        );
    }

    #[test]
    fn bool_space_and_separate_values_are_rewritten_in_place() {
        let text = "kind: Deployment\nmetadata:\n  name: function-runner\nspec:\n  template:\n    spec:\n      containers:\n        - name: function-runner\n          command:\n            - /server\n            - --enable-private-registries # on\n            - \"true\"\n            - --registry-auth-secret-path\n            - '/old/.dockerconfigjson'\n            - --functions=/functions\n";
        let out = patch(text, false);
        assert!(out.contains("            - --enable-private-registries=true # on\n            - --registry-auth-secret-path\n            - '/var/tmp/auth-secret/.dockerconfigjson'\n            - --functions=/functions\n            - --registry-auth-secret-name=registry-auth-secret\n"), "{out}");
    }

    #[test]
    fn nested_in_a_resource_list() {
        let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: function-runner\n  spec:\n    template:\n      spec:\n        containers:\n        - name: function-runner\n          command: [/server]\n";
        let docs = super::super::parse_documents(text).unwrap();
        let dep = &docs[0].value["items"][1];
        let plan = plan_patch(dep, &target(), &desired(true)).unwrap();
        let path = [PathSeg::Key("items".into()), PathSeg::Index(1)];
        let out = apply_plan(text, 0, &path, &plan).unwrap();
        assert!(out.starts_with("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n"));
        assert!(
            out.contains("command: [/server, --enable-private-registries=true,"),
            "{out}"
        );
        assert!(
            out.contains("\n        volumes:\n        - name: docker-config\n"),
            "{out}"
        );
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let text = DOCS_STYLE.replace('\n', "\r\n");
        let out = patch(&text, true);
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
        assert_eq!(out.replace("\r\n", "\n"), patch(DOCS_STYLE, true));
        assert_eq!(remove(&out, true), text);
    }

    #[test]
    fn comments_between_items_and_empty_keys() {
        let text = "\
kind: Deployment
metadata:
  name: function-runner
spec:
  template:
    spec:
      containers:
        - name: function-runner
          command:
            - /server # the binary
            # - --disabled
            - --port=9445   # gRPC

          volumeMounts:
      volumes: ~
";
        let out = patch(text, false);
        assert_eq!(
            out,
            "\
kind: Deployment
metadata:
  name: function-runner
spec:
  template:
    spec:
      containers:
        - name: function-runner
          command:
            - /server # the binary
            # - --disabled
            - --port=9445   # gRPC
            - --enable-private-registries=true
            - --registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson
            - --registry-auth-secret-name=registry-auth-secret

          volumeMounts:
            - name: docker-config
              mountPath: /var/tmp/auth-secret
              readOnly: true
      volumes:
        - name: docker-config
          secret:
            secretName: registry-auth-secret
"
        );
        assert_eq!(patch(&out, false), out);
    }

    #[test]
    fn plain_scalar_safety() {
        assert!(plain_ok("--enable-private-registries=true", false));
        assert!(plain_ok("/var/tmp/auth-secret", false));
        assert!(!plain_ok("true", false));
        assert!(!plain_ok("123", false));
        assert!(!plain_ok("a: b", false));
        assert!(!plain_ok("- x", false));
        assert!(!plain_ok("a,b", true));
        assert_eq!(
            render_scalar(&Value::String("x y #z".into()), false),
            "\"x y #z\""
        );
    }

    /// Many layouts: every combination must patch to exactly the planned Deployment (the
    /// editor's self-check), be idempotent, and round-trip through remove to the same bytes.
    #[test]
    fn layouts_round_trip() {
        let mut n = 0;
        for seq_off in [0usize, 2] {
            for ind in [2usize, 4] {
                for flags_in in ["command", "args", "binary-only", "none", "flow-args"] {
                    for existing in [false, true] {
                        for tls in [false, true] {
                            for crlf in [false, true] {
                                let text = layout(seq_off, ind, flags_in, existing, crlf);
                                let out = patch(&text, tls);
                                assert_ne!(out, text);
                                assert_eq!(patch(&out, tls), out, "idempotent:\n{out}");
                                assert_eq!(remove(&out, tls), text, "round trip:\n{out}");
                                if crlf {
                                    assert!(!out.replace("\r\n", "").contains('\n'));
                                }
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(n, 160);
    }

    fn layout(seq_off: usize, ind: usize, flags_in: &str, existing: bool, crlf: bool) -> String {
        let i = |level: usize| " ".repeat(level * ind);
        let dash = |level: usize| format!("{}- ", " ".repeat(level * ind + seq_off));
        let item = |level: usize| " ".repeat(level * ind + seq_off + 2);
        let mut t = String::new();
        t.push_str("# leading comment\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n");
        t.push_str(&format!("{}name: sa\n---\n", i(1)));
        t.push_str("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n");
        t.push_str(&format!("{}name: function-runner # the runner\n", i(1)));
        t.push_str(&format!("spec:\n{}template:\n{}spec:\n", i(1), i(2)));
        t.push_str(&format!("{}containers:\n", i(3)));
        // containers items are at level 3 + seq offset; their keys at item(3)
        t.push_str(&format!("{}name: function-runner\n", dash(3)));
        let k = item(3);
        t.push_str(&format!("{k}image: runner:v1  # pinned\n"));
        let kdash = format!("{k}{}- ", " ".repeat(seq_off));
        match flags_in {
            "command" => {
                t.push_str(&format!("{k}command:\n{kdash}/server\n{kdash}--port=9445 # grpc\n\n{kdash}--functions=/f\n"));
            }
            "args" => {
                t.push_str(&format!(
                    "{k}command: [/server]\n{k}args:\n  # note\n{kdash}\"--pod-namespace=fn\"\n"
                ));
            }
            "binary-only" => t.push_str(&format!("{k}command:\n{kdash}/server\n")),
            "flow-args" => t.push_str(&format!("{k}args: [--port=1, '--functions=/f']\n")),
            _ => {}
        }
        if existing {
            t.push_str(&format!(
                "{k}volumeMounts:\n{kdash}name: cache\n{k}{}  mountPath: /cache\n",
                " ".repeat(seq_off)
            ));
        }
        t.push_str(&format!(
            "{k}resources:\n{k}{}limits: {{cpu: 1}}\n",
            " ".repeat(ind)
        ));
        if existing {
            t.push_str(&format!(
                "{}volumes:\n{}name: cache\n{}emptyDir: {{}}\n",
                i(3),
                dash(3),
                item(3)
            ));
        }
        t.push_str(&format!("{}serviceAccountName: sa\n", i(3)));
        t.push_str("---\nkind: ConfigMap\nmetadata:\n  name: after\n");
        if crlf { t.replace('\n', "\r\n") } else { t }
    }

    /// Odd inputs never panic: each gives a plan or an error, and an edit either matches the
    /// plan or is refused.
    #[test]
    fn odd_inputs_do_not_panic() {
        let head =
            "kind: Deployment\nmetadata:\n  name: function-runner\nspec:\n  template:\n    spec:\n";
        let bodies = [
            "      containers: []\n",
            "      containers: [{name: function-runner}]\n",
            "      containers:\n      - name: function-runner\n        command: []\n        args: [serve]\n",
            "      containers:\n      - name: function-runner\n        command: [1, {a: b}]\n        args: [--enable-private-registries, 'false', x]\n",
            "      containers:\n      - function-runner\n",
            "      containers:\n      - name: function-runner\n        volumeMounts: {}\n",
            "      containers:\n      - &c\n        name: function-runner\n        args: [--port=1]\n      initContainers:\n      - *c\n",
            "      containers:\n      - name: function-runner\n        args:\n        - --registry-auth-secret-path\n",
            "      containers:\n      - name: function-runner\n        args:\n        - --\n        - --x\n",
            "      volumes: 3\n      containers:\n      - name: function-runner\n",
        ];
        for b in bodies {
            let text = format!("{head}{b}");
            let docs = super::super::parse_documents(&text).unwrap();
            for tls in [false, true] {
                if let Ok(plan) = plan_patch(&docs[0].value, &target(), &desired(tls)) {
                    let r = apply_plan(&text, 0, &[], &plan);
                    assert!(
                        !matches!(&r, Err(EditError(m)) if m.contains("internal error")),
                        "{r:?}"
                    );
                }
                if let Ok(plan) = plan_remove(&docs[0].value, &target(), &desired(tls)) {
                    let _ = apply_plan(&text, 0, &[], &plan);
                }
            }
        }
    }

    #[test]
    fn anchors_elsewhere_are_fine_anchors_on_the_container_are_refused() {
        let text = "kind: Deployment\nmetadata:\n  name: function-runner\n  labels: &l\n    app: fr\nspec:\n  selector:\n    matchLabels: *l\n  template:\n    spec:\n      containers:\n      - name: function-runner\n        args: [--port=1]\n";
        let out = patch(text, false);
        assert_eq!(remove(&out, false), text);
        let text = "kind: Deployment\nmetadata:\n  name: function-runner\nspec:\n  template:\n    spec:\n      containers:\n      - &c\n        name: function-runner\n      initContainers:\n      - *c\n";
        let docs = super::super::parse_documents(text).unwrap();
        let plan = plan_patch(&docs[0].value, &target(), &desired(false)).unwrap();
        let e = apply_plan(text, 0, &[], &plan).unwrap_err();
        assert!(e.0.contains("anchors or aliases"), "{e}");
    }
}
