//! A YAML node tree that remembers where every node is in the source text (byte offsets), built
//! from granit-parser's events: the one YAML parser in the tree (serde-saphyr, and so kube,
//! read YAML with it). It is the base of the lossless editor: we locate nodes here and splice
//! text; we never re-serialise a document.

use std::collections::HashMap;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span, StructureStyle};
use serde_json::{Map, Number, Value};

/// A parse error with a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} column {}: {}",
            self.line, self.col, self.message
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar {
        value: String,
        style: ScalarStyle,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    Map {
        entries: Vec<(Node, Node)>,
        flow: bool,
    },
    Alias(usize),
}

/// A node with its place in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Byte offset where the node's content starts: after its tag and anchor (`!!str`, `&a`),
    /// at the opening quote or bracket; a block sequence starts at its first item's content, not
    /// at the `-`; a block scalar at its first content line, not at `|`/`>`.
    pub start: usize,
    /// Byte offset just after the node's last content character (trailing blanks, comments and
    /// line breaks excluded). For quoted scalars: after the closing quote; for flow
    /// collections: after the closing bracket.
    pub end: usize,
    /// 0-based column (in characters) of `start`.
    pub col: usize,
    pub anchor: usize,
    /// A tag, if any (`!!str` ...), as handle+suffix.
    pub tag: Option<String>,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The (key, value) entry of a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            NodeKind::Map { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq { items, .. } => Some(items),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map { entries, .. } => Some(entries),
            _ => None,
        }
    }

    pub fn is_flow(&self) -> bool {
        matches!(
            self.kind,
            NodeKind::Seq { flow: true, .. } | NodeKind::Map { flow: true, .. }
        )
    }

    /// Whether the node is an empty plain scalar (a key with no value: `key:`).
    pub fn is_empty_scalar(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { value, style: ScalarStyle::Plain } if value.is_empty())
    }

    /// Follow a path of keys (strings) and sequence indexes.
    pub fn at(&self, path: &[PathSeg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match seg {
                PathSeg::Key(k) => node.get(k)?,
                PathSeg::Index(i) => node.items()?.get(*i)?,
            };
        }
        Some(node)
    }
}

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// One YAML document of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// `None` for an empty document (only comments, or nothing after `---`).
    pub root: Option<Node>,
    /// Byte range of the document in the stream (from its `---` or first content to the
    /// start of the next document marker).
    pub start: usize,
    pub end: usize,
}

impl Doc {
    /// The document as JSON (null for an empty document).
    pub fn to_json(&self) -> Value {
        match &self.root {
            Some(root) => {
                let mut anchors = HashMap::new();
                to_json(root, &mut anchors)
            }
            None => Value::Null,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EventKind {
    Alias,
    Scalar,
    SequenceStart,
    MappingStart,
    CollectionEnd,
    Other,
}

enum Frame {
    Seq {
        items: Vec<Node>,
        flow: bool,
        start: usize,
        col: usize,
        anchor: usize,
        tag: Option<String>,
    },
    Map {
        entries: Vec<(Node, Node)>,
        /// Scalar keys seen so far -> where the first one starts (a linear duplicate check).
        seen: HashMap<String, usize>,
        pending_key: Option<Node>,
        flow: bool,
        start: usize,
        col: usize,
        anchor: usize,
        tag: Option<String>,
    },
}

fn tag_string(tag: &Option<std::borrow::Cow<'_, granit_parser::Tag>>) -> Option<String> {
    tag.as_ref()
        .map(|t| format!("{}{}", t.handle(), t.suffix()))
}

/// How many decoded nodes may come from alias expansion, as the YAML decoders of Kubernetes,
/// kubectl and kyaml allow (go-yaml's `allowedAliasRatio`): 99% up to 400,000 decoded nodes,
/// scaling down to 10% at 4,000,000. A 400-byte "billion laughs" file stops here instead of
/// expanding to gigabytes when the document is turned into values.
fn allowed_alias_ratio(decoded: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decoded <= LOW {
        0.99
    } else if decoded >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decoded - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// The alias budget of one document: nodes decoded, and how many of them through aliases
/// (an alias counts itself plus the whole expanded subtree it stands for).
#[derive(Default)]
struct AliasBudget {
    decoded: u64,
    aliased: u64,
}

impl AliasBudget {
    fn node(&mut self) {
        self.decoded = self.decoded.saturating_add(1);
    }
    /// An alias standing for `expanded` nodes; false when the document aliases too much.
    fn alias(&mut self, expanded: u64) -> bool {
        self.decoded = self.decoded.saturating_add(1).saturating_add(expanded);
        self.aliased = self.aliased.saturating_add(expanded);
        !(self.aliased > 100
            && self.decoded > 1000
            && self.aliased as f64 / self.decoded as f64 > allowed_alias_ratio(self.decoded))
    }
}

/// Options for every serde-saphyr read of a file or input: its budget (nodes, depth, ...) and
/// an alias replay limit of 400,000 events, the most alias-driven decodes go-yaml's ratio
/// above ever allows in one document.
pub fn serde_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.alias_limits.max_total_replayed_events = 400_000;
    options
}

/// A serde-saphyr error in one line; a breached budget is named as such (not a syntax error).
pub fn serde_error_line(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("parse error");
    if first.contains("budget breached") || first.contains("alias replay") {
        format!("it is too large or expands aliases too much for a manifest ({first})")
    } else {
        first.to_string()
    }
}

/// Parse a YAML stream into documents with byte positions.
pub fn parse_stream(text: &str) -> Result<Vec<Doc>, YamlError> {
    // Comments are read from the text by the editor and kyaml's reader, never from events.
    let mut options = Options::default();
    options.set_emit_comments(false);
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    // Expanded sizes: of each open collection (parallel to `stack`) and of each anchor.
    let mut sizes: Vec<u64> = Vec::new();
    let mut anchor_sizes: HashMap<usize, u64> = HashMap::new();
    let mut budget = AliasBudget::default();
    let mut root: Option<Node> = None;
    let mut doc_start = 0usize;
    let err = |span: &Span, msg: String| YamlError {
        line: span.start.line(),
        col: span.start.col() + 1,
        message: msg,
    };
    // A byte offset of the text (a string parser always knows it; clamped to the text).
    let byte = |m: &granit_parser::Marker| m.byte_offset().unwrap_or(text.len()).min(text.len());
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(x) => x,
            Err(e) => {
                use granit_parser::ErrorKind as K;
                // A lone surrogate or an escape past U+10FFFF: said as go-yaml's scanner says it
                // (granit marks the scalar's start, as go-yaml's line does).
                let message = match e.kind() {
                    K::MissingLowSurrogate
                    | K::UnpairedLowSurrogate
                    | K::InvalidLowSurrogate
                    | K::InvalidLowSurrogateHexEscape
                    | K::InvalidUnicodeEscape => INVALID_ESCAPE.to_string(),
                    _ => e.info(),
                };
                return Err(YamlError {
                    line: e.marker().line(),
                    col: e.marker().col() + 1,
                    message,
                });
            }
        };
        let s = byte(&span.start);
        let e = byte(&span.end).max(s);
        let event_kind = match &event {
            Event::Alias(_) => EventKind::Alias,
            Event::Scalar(..) => EventKind::Scalar,
            Event::SequenceStart(..) => EventKind::SequenceStart,
            Event::MappingStart(..) => EventKind::MappingStart,
            Event::SequenceEnd | Event::MappingEnd => EventKind::CollectionEnd,
            _ => EventKind::Other,
        };
        let finished: Option<Node> = match event {
            Event::StreamStart | Event::Comment(..) | Event::Anchor(..) => None,
            Event::StreamEnd => break,
            // Not emitted without `emit_unresolved_aliases`; an unknown anchor is an error.
            Event::UnresolvedAlias(name) => {
                return Err(err(&span, format!("unknown anchor \"{name}\"")));
            }
            Event::DocumentStart(..) => {
                budget = AliasBudget::default();
                doc_start = s.min(text.len());
                // An implicit start sits on the first content; take the line start instead so
                // that leading comments belong to the document.
                root = None;
                None
            }
            Event::DocumentEnd => {
                docs.push(Doc {
                    root: root.take(),
                    start: doc_start,
                    end: s,
                });
                None
            }
            Event::Alias(id) => Some(Node {
                kind: NodeKind::Alias(id),
                start: s,
                end: e,
                col: span.start.col(),
                anchor: 0,
                tag: None,
            }),
            Event::Scalar(value, style, anchor, tag) => {
                if style == ScalarStyle::DoubleQuoted && invalid_unicode_escape(&text[s..e]) {
                    // go-yaml's scanner refuses the scalar (kpt: `MalformedYAMLError: yaml:
                    // line N: found invalid Unicode character escape code`, N the scalar's line).
                    return Err(err(&span, INVALID_ESCAPE.to_string()));
                }
                // An absent value (`key:`) is an empty plain scalar with an empty span; granit
                // spells it `~`, a written `~` has a span.
                let value = if style == ScalarStyle::Plain && s == e {
                    String::new()
                } else {
                    value.into_owned()
                };
                let end = match style {
                    ScalarStyle::Literal | ScalarStyle::Folded => {
                        let t = &text[s..e];
                        s + t.trim_end().len()
                    }
                    _ => e,
                };
                Some(Node {
                    kind: NodeKind::Scalar { value, style },
                    start: s,
                    end,
                    col: span.start.col(),
                    anchor,
                    tag: tag_string(&tag),
                })
            }
            Event::SequenceStart(style, anchor, tag) => {
                let flow = style == StructureStyle::Flow;
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    flow,
                    start: s,
                    col: span.start.col(),
                    anchor,
                    tag: tag_string(&tag),
                });
                None
            }
            Event::MappingStart(style, anchor, tag) => {
                let flow = style == StructureStyle::Flow;
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    seen: HashMap::new(),
                    pending_key: None,
                    flow,
                    start: s,
                    col: span.start.col(),
                    anchor,
                    tag: tag_string(&tag),
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    flow,
                    start,
                    col,
                    anchor,
                    tag,
                }) => {
                    let end = if flow {
                        e
                    } else {
                        items.last().map_or(start, |n| n.end)
                    };
                    Some(Node {
                        kind: NodeKind::Seq { items, flow },
                        start,
                        end,
                        col,
                        anchor,
                        tag,
                    })
                }
                _ => return Err(err(&span, "unbalanced sequence".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    flow,
                    start,
                    col,
                    anchor,
                    tag,
                    ..
                }) => {
                    let end = if flow {
                        e
                    } else {
                        entries.last().map_or(start, |(k, v)| v.end.max(k.end))
                    };
                    Some(Node {
                        kind: NodeKind::Map { entries, flow },
                        start,
                        end,
                        col,
                        anchor,
                        tag,
                    })
                }
                _ => return Err(err(&span, "unbalanced mapping".into())),
            },
            // Event is non-exhaustive; presentation events added later carry no node.
            _ => None,
        };
        // The alias budget, before any value is built from the tree.
        let opened = matches!(
            event_kind,
            EventKind::SequenceStart | EventKind::MappingStart
        );
        if opened {
            budget.node();
            sizes.push(1);
        }
        let size = match (&finished, event_kind) {
            (Some(n), EventKind::Alias) => {
                let NodeKind::Alias(id) = n.kind else {
                    unreachable!("an alias event makes an alias node")
                };
                let expanded = anchor_sizes.get(&id).copied().unwrap_or(0);
                if !budget.alias(expanded) {
                    return Err(err(
                        &span,
                        "the document contains excessive aliasing (more alias expansion than Kubernetes' YAML decoder allows)".into(),
                    ));
                }
                Some(expanded.saturating_add(1))
            }
            (Some(_), EventKind::Scalar) => {
                budget.node();
                Some(1)
            }
            (Some(_), EventKind::CollectionEnd) => Some(sizes.pop().unwrap_or(1)),
            _ => None,
        };
        if let (Some(n), Some(size)) = (&finished, size) {
            if n.anchor != 0 {
                anchor_sizes.insert(n.anchor, size);
            }
            if let Some(parent) = sizes.last_mut() {
                *parent = parent.saturating_add(size);
            }
        }
        if let Some(node) = finished {
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map {
                    entries,
                    seen,
                    pending_key,
                    ..
                }) => match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(k) => {
                        // Kubernetes' decoder (and so kubectl apply) refuses a key given twice;
                        // which one would count is unclear, so never edit such a mapping.
                        if let NodeKind::Scalar { value, .. } = &k.kind {
                            if let Some(&first) = seen.get(value) {
                                let line_of = |pos: usize| text[..pos].matches('\n').count() + 1;
                                return Err(YamlError {
                                    line: line_of(k.start),
                                    col: k.col + 1,
                                    message: format!(
                                        "mapping key \"{value}\" is already defined at line {}",
                                        line_of(first)
                                    ),
                                });
                            }
                            seen.insert(value.clone(), k.start);
                        }
                        entries.push((k, node))
                    }
                },
            }
        }
    }
    // Document ranges: make them contiguous (each runs to the next one's start; the first one
    // from the start of the text, so that a leading comment belongs to it).
    let n = docs.len();
    if let Some(first) = docs.first_mut() {
        first.start = 0;
    }
    for i in 0..n {
        let next_start = if i + 1 < n {
            docs[i + 1].start
        } else {
            text.len()
        };
        docs[i].end = next_start;
    }
    Ok(docs)
}

/// go-yaml's scanner error for a `\\u`/`\\U` escape it refuses.
const INVALID_ESCAPE: &str = "found invalid Unicode character escape code";

/// Whether the source of a double-quoted scalar holds a `\u`/`\U` escape go-yaml's scanner
/// refuses: a surrogate (U+D800..U+DFFF, alone or as a pair: go-yaml never joins them) or a
/// value above U+10FFFF. Other escapes are skipped whole, so `\\udbff` is a backslash and text.
fn invalid_unicode_escape(src: &str) -> bool {
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let len = match b.get(i + 1) {
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => {
                i += 2;
                continue;
            }
        };
        let value = b
            .get(i + 2..i + 2 + len)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        if value.is_some_and(|v| (0xD800..=0xDFFF).contains(&v) || v > 0x10FFFF) {
            return true;
        }
        i += 2 + len;
    }
    false
}

/// JSON value of a node, resolving plain scalars like Kubernetes' YAML decoder would for
/// the types that matter here (null, booleans, integers, floats, strings).
pub fn to_json(node: &Node, anchors: &mut HashMap<usize, Value>) -> Value {
    let v = match &node.kind {
        NodeKind::Scalar { value, style } => {
            let plain = matches!(style, ScalarStyle::Plain);
            match node.tag.as_deref() {
                Some("tag:yaml.org,2002:str") | Some("!!str") => Value::String(value.clone()),
                _ if plain => resolve_plain(value),
                _ => Value::String(value.clone()),
            }
        }
        NodeKind::Seq { items, .. } => {
            Value::Array(items.iter().map(|n| to_json(n, anchors)).collect())
        }
        NodeKind::Map { entries, .. } => {
            let mut m = Map::new();
            for (k, v) in entries {
                let key = match to_json(k, anchors) {
                    Value::String(s) => s,
                    Value::Null => "null".to_string(),
                    other => other.to_string(),
                };
                let value = to_json(v, anchors);
                if key == "<<" {
                    // Merge key: earlier explicit keys win.
                    let sources = match value {
                        Value::Array(a) => a,
                        other => vec![other],
                    };
                    for src in sources {
                        if let Value::Object(src) = src {
                            for (k2, v2) in src {
                                m.entry(k2).or_insert(v2);
                            }
                        }
                    }
                    continue;
                }
                m.insert(key, value);
            }
            Value::Object(m)
        }
        NodeKind::Alias(id) => anchors.get(id).cloned().unwrap_or(Value::Null),
    };
    if node.anchor != 0 {
        anchors.insert(node.anchor, v.clone());
    }
    v
}

/// A plain scalar's value as Kubernetes' decoder reads it.
pub fn resolve_plain_value(s: &str) -> Value {
    resolve_plain(s)
}

fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        // YAML 1.1 booleans too: Kubernetes' decoder (sigs.k8s.io/yaml) reads them so.
        "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        _ => {}
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(u) = s.parse::<u64>() {
            return Value::Number(u.into());
        }
    }
    if let Some(hex) = s.strip_prefix("0x")
        && !hex.is_empty()
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Number(i.into());
    }
    if let Some(oct) = s.strip_prefix("0o")
        && !oct.is_empty()
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Number(i.into());
    }
    let looks_float = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && body
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().any(|b| b.is_ascii_digit());
    if looks_float
        && let Ok(f) = s.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(s.to_string())
}

/// Byte offset of the start of the line holding `pos`.
pub fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// Byte offset just after the line break of the line holding `pos` (or the text's end).
pub fn line_end_incl(text: &str, pos: usize) -> usize {
    text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1)
}

/// The leading whitespace of the line holding `pos`.
pub fn line_indent(text: &str, pos: usize) -> &str {
    let ls = line_start(text, pos);
    let rest = &text[ls..];
    let n = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    &rest[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// go-yaml's allowedAliasRatio (decode.go): 0.99 up to 400,000 decodes, 0.10 from
    /// 4,000,000, linear in between.
    #[test]
    fn alias_ratio_like_go_yaml() {
        assert_eq!(allowed_alias_ratio(1), 0.99);
        assert_eq!(allowed_alias_ratio(400_000), 0.99);
        assert_eq!(allowed_alias_ratio(4_000_000), 0.10);
        assert_eq!(allowed_alias_ratio(9_000_000), 0.10);
        let mid = allowed_alias_ratio(2_200_000);
        assert!((mid - (0.99 - 0.89 * 0.5)).abs() < 1e-9, "{mid}");
    }

    /// The 9-level "billion laughs": refused at the first alias past the budget, before any
    /// value is built (it expanded to gigabytes and aborted).
    pub(crate) fn alias_bomb() -> String {
        let mut s = String::from(
            "kind: ConfigMap\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            s.push_str(&format!("  {}: &{} [{refs}]\n", w[1], w[1]));
        }
        s
    }

    #[test]
    fn alias_bomb_is_refused_before_expanding() {
        let e = parse_stream(&alias_bomb()).unwrap_err();
        assert!(e.message.contains("excessive aliasing"), "{e}");
        // go-yaml's rule gives up once fewer than 1% of the decoded nodes are not aliased:
        // with ~40 plain nodes that is at the 4th alias of level d (each expands to 910
        // nodes: 4,630 aliased of 4,671 decoded), line 6 column 19.
        assert_eq!((e.line, e.col), (6, 19), "{e}");
    }

    #[test]
    fn modest_aliasing_is_fine() {
        let text = "base: &b {x: 1, z: [1, 2, 3]}\none: *b\ntwo: *b\nthree: {<<: *b, x: 2}\n";
        let docs = parse_stream(text).unwrap();
        let v = docs[0].to_json();
        assert_eq!(v["two"]["z"][2], 3, "{v}");
        assert_eq!(v["three"]["x"], 2);
    }

    #[test]
    fn duplicate_keys_among_many_are_found() {
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("k{i}: v\n"));
        }
        text.push_str("k7: again\n");
        let e = parse_stream(&text).unwrap_err();
        assert_eq!(e.line, 20_001, "{e}");
        assert!(
            e.message.contains("\"k7\" is already defined at line 8"),
            "{e}"
        );
    }

    #[test]
    fn spans_and_values() {
        let text = "# head\na:\n  b:\n  - x   # c1\n  - \"y\"\n  c: |\n    lit\n\n  d: [p, 1]\n---\nf: {}\n";
        let docs = parse_stream(text).unwrap();
        assert_eq!(docs.len(), 2);
        let root = docs[0].root.as_ref().unwrap();
        let b = root
            .at(&[PathSeg::Key("a".into()), PathSeg::Key("b".into())])
            .unwrap();
        let items = b.items().unwrap();
        assert_eq!(&text[items[0].start..items[0].end], "x");
        assert_eq!(&text[items[1].start..items[1].end], "\"y\"");
        let c = root.get("a").unwrap().get("c").unwrap();
        assert_eq!(&text[c.start..c.end], "lit");
        let d = root.get("a").unwrap().get("d").unwrap();
        assert!(d.is_flow());
        assert_eq!(&text[d.start..d.end], "[p, 1]");
        assert_eq!(
            docs[0].to_json(),
            serde_json::json!({"a": {"b": ["x", "y"], "c": "lit\n", "d": ["p", 1]}})
        );
        assert_eq!(docs[1].to_json(), serde_json::json!({"f": {}}));
        assert_eq!(&text[docs[1].start..docs[1].end], "---\nf: {}\n");
    }

    /// Spans end at the node's last content character: after the closing quote or bracket
    /// even when a comment follows on the line (the comment is not the value's text), and
    /// start at the content after a tag or an anchor.
    #[test]
    fn spans_stop_before_trailing_comments_and_start_after_properties() {
        let text = "a: 'it''s'   # c\nb: \"x\\\"y\"  # d\nc: [x,\n  y]  # e\nd: {p: 1} # f\nbase: &b {x: 1}\nh: !!str 3\nl: !!binary |\n  aGk=\n";
        let docs = parse_stream(text).unwrap();
        let root = docs[0].root.as_ref().unwrap();
        let src = |k: &str| {
            let n = root.get(k).unwrap();
            &text[n.start..n.end]
        };
        assert_eq!(src("a"), "'it''s'");
        assert_eq!(src("b"), "\"x\\\"y\"");
        assert_eq!(src("c"), "[x,\n  y]");
        assert_eq!(src("d"), "{p: 1}");
        let base = root.get("base").unwrap();
        assert!(base.is_flow() && base.anchor != 0);
        assert_eq!(src("base"), "{x: 1}");
        assert_eq!(src("h"), "3");
        assert_eq!(
            root.get("h").unwrap().tag.as_deref(),
            Some("tag:yaml.org,2002:str")
        );
        assert_eq!(src("l"), "aGk=");
        assert_eq!(root.get("l").unwrap().col, 2);
    }

    /// A key with no value is an empty plain scalar (null), unlike a written `~`, which keeps
    /// its text; both are null as values.
    #[test]
    fn absent_values_are_empty_scalars() {
        let text = "a:\nb: # c\nc: ~\nd: !!str\n";
        let docs = parse_stream(text).unwrap();
        let root = docs[0].root.as_ref().unwrap();
        assert!(root.get("a").unwrap().is_empty_scalar());
        assert!(root.get("b").unwrap().is_empty_scalar());
        assert_eq!(root.get("c").unwrap().as_str(), Some("~"));
        assert!(!root.get("c").unwrap().is_empty_scalar());
        assert_eq!(
            docs[0].to_json(),
            serde_json::json!({"a": null, "b": null, "c": null, "d": ""})
        );
    }

    /// go-yaml's scanner refuses a `\u`/`\U` escape naming a surrogate (a pair too: it never
    /// joins them) or a value above U+10FFFF, on the line where the scalar starts.
    #[test]
    fn surrogate_escapes_are_refused_like_go_yaml() {
        for bad in [
            "a: \"\\udbff\"\n",
            "a: \"\\ud800\\udc00\"\n",
            "a: \"x\\uDFFFy\"\n",
            "a: \"\\U00110000\"\n",
            "a: \"\\U0000d800\"\n",
            "\"\\ud800\": b\n",
            "a: [\"\\udbff\"]\n",
        ] {
            let e = parse_stream(bad).unwrap_err();
            assert_eq!(
                e.message, "found invalid Unicode character escape code",
                "{bad}"
            );
        }
        let e = parse_stream("x: 1\ny:\n  a: \"ok\n    \\udbff\"\n").unwrap_err();
        assert_eq!(e.line, 3);
        for good in [
            "a: \"\\ud7ff\\ue000\\U0010FFFF\"\n",
            "a: \"\\\\udbff\"\n",
            "a: '\\udbff'\n",
            "a: \\udbff\n",
        ] {
            assert!(parse_stream(good).is_ok(), "{good}");
        }
        let docs = parse_stream("a: \"\\\\udbff\"\n").unwrap();
        assert_eq!(docs[0].to_json(), serde_json::json!({"a": "\\udbff"}));
    }

    /// A tab separates a value from its `:` (YAML 1.2 s-separate-in-line; libyaml, and so
    /// go-yaml and kubectl, read it so).
    #[test]
    fn a_tab_after_a_colon_separates() {
        let docs = parse_stream("a:\tb\n").unwrap();
        assert_eq!(docs[0].to_json(), serde_json::json!({"a": "b"}));
    }

    /// Nesting is bounded while parsing (255 block or flow levels), so that no recursive walk
    /// of the tree (values, kyaml's reader, the editor) can run out of stack.
    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse_stream(&flow).unwrap_err();
        assert!(e.message.contains("limit"), "{e}");
        let block: String = (0..10_000)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect::<String>()
            + &" ".repeat(10_000)
            + "x\n";
        let e = parse_stream(&block).unwrap_err();
        assert!(e.message.contains("limit"), "{e}");
        assert_eq!(e.line, 256, "{e}");
        let ok: String = (0..200)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(parse_stream(&ok).is_ok());
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let text = "a: \"é\"\nb: [x]\n";
        let docs = parse_stream(text).unwrap();
        let b = docs[0].root.as_ref().unwrap().get("b").unwrap();
        assert_eq!(&text[b.start..b.end], "[x]");
    }

    #[test]
    fn errors_have_positions() {
        let e = parse_stream("a: [b\nc: d\n").unwrap_err();
        assert!(e.line >= 1);
        let e = parse_stream("a: b\n  c: d\n").unwrap_err();
        assert!(!e.message.is_empty());
    }

    #[test]
    fn scalars_resolve_like_kubernetes() {
        let docs = parse_stream(
            "a: 1\nb: \"1\"\nc: true\nd: ~\ne: 1.5\nf: 0x10\ng: abc\nh: !!str 3\ni: yes\nj: Off\n",
        )
        .unwrap();
        assert_eq!(
            docs[0].to_json(),
            serde_json::json!({"a":1,"b":"1","c":true,"d":null,"e":1.5,"f":16,"g":"abc","h":"3","i":true,"j":false})
        );
    }
}
