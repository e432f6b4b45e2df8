//! A JSON reader with Go's `encoding/json` semantics, for the files the runner's Go code reads.
//!
//! What it models (Go 1.25 `encoding/json`, read from `scanner.go`, `decode.go`, `fold.go`):
//! - `json.Unmarshal` first checks the whole input (`checkValid`): RFC 8259 syntax, only
//!   whitespace after the value, at most [`MAX_NESTING`] nested arrays/objects
//!   (`maxNestingDepth`). A syntax error wins over every type error.
//! - Strings are decoded as `unquote` does: escapes, surrogate pairs, a lone surrogate or an
//!   invalid UTF-8 byte becomes U+FFFD (one per byte).
//! - Object keys match struct fields exactly, else case-insensitively with Go's fold
//!   (`foldName`: ASCII upper case, other runes `ToUpper(ToLower(r))`), see [`field_eq`].
//! - Values of unknown fields are skipped whatever their type or depth; numbers are never
//!   converted unless a field wants one (so `1e400` in an unknown field is fine).
//!
//! The reader is iterative: nesting costs one byte of stack-free state per level, never a
//! recursive call, and memory is bounded by the input.

use std::fmt;

/// Go's `maxNestingDepth` (encoding/json/scanner.go).
pub const MAX_NESTING: usize = 10_000;

/// A syntax error, as `checkValid` reports it (never quoting the input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the offending character.
    pub offset: usize,
    pub what: &'static str,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (byte {})", self.what, self.offset)
    }
}

/// The kind of the next value, in Go's words for type errors (`UnmarshalTypeError.Value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    pub fn go_name(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Bool => "bool",
            Kind::Null => "null",
        }
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Object,
    Array,
}

/// `checkValid`: the whole input is one JSON value, nested at most [`MAX_NESTING`] deep.
pub fn check_valid(src: &[u8]) -> Result<(), SyntaxError> {
    let err = |offset: usize, what: &'static str| Err(SyntaxError { offset, what });
    let mut stack: Vec<Ctx> = Vec::new();
    let mut i = 0usize;
    let skip_ws = |i: &mut usize| {
        while *i < src.len() && is_ws(src[*i]) {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    'value: loop {
        // A value starts at i.
        let Some(&c) = src.get(i) else {
            return err(i, "unexpected end of JSON input");
        };
        match c {
            b'{' | b'[' => {
                stack.push(if c == b'{' { Ctx::Object } else { Ctx::Array });
                if stack.len() > MAX_NESTING {
                    return err(i, "exceeded max depth");
                }
                i += 1;
                skip_ws(&mut i);
                let close = if c == b'{' { b'}' } else { b']' };
                if src.get(i) == Some(&close) {
                    i += 1;
                    stack.pop();
                } else if c == b'{' {
                    i = object_key(src, i)?;
                    skip_ws(&mut i);
                    continue 'value;
                } else {
                    continue 'value;
                }
            }
            b'"' => i = scan_string(src, i)?,
            b'-' | b'0'..=b'9' => i = scan_number(src, i)?,
            b't' => i = literal(src, i, b"true")?,
            b'f' => i = literal(src, i, b"false")?,
            b'n' => i = literal(src, i, b"null")?,
            _ => return err(i, "invalid character looking for beginning of value"),
        }
        // After a value: close containers or move to the next element.
        loop {
            skip_ws(&mut i);
            match stack.last() {
                None => {
                    if i < src.len() {
                        return err(i, "invalid character after top-level value");
                    }
                    return Ok(());
                }
                Some(ctx) => {
                    let Some(&c) = src.get(i) else {
                        return err(i, "unexpected end of JSON input");
                    };
                    match (ctx, c) {
                        (_, b',') => {
                            i += 1;
                            skip_ws(&mut i);
                            if *ctx == Ctx::Object {
                                i = object_key(src, i)?;
                                skip_ws(&mut i);
                            }
                            continue 'value;
                        }
                        (Ctx::Object, b'}') | (Ctx::Array, b']') => {
                            i += 1;
                            stack.pop();
                        }
                        (Ctx::Object, _) => {
                            return err(i, "invalid character after object key:value pair");
                        }
                        (Ctx::Array, _) => return err(i, "invalid character after array element"),
                    }
                }
            }
        }
    }
}

/// A key and its `:` at `i`; returns the index after the `:`.
fn object_key(src: &[u8], mut i: usize) -> Result<usize, SyntaxError> {
    match src.get(i) {
        Some(b'"') => {}
        None => {
            return Err(SyntaxError {
                offset: i,
                what: "unexpected end of JSON input",
            });
        }
        Some(_) => {
            return Err(SyntaxError {
                offset: i,
                what: "invalid character looking for beginning of object key string",
            });
        }
    }
    i = scan_string(src, i)?;
    while i < src.len() && is_ws(src[i]) {
        i += 1;
    }
    match src.get(i) {
        Some(b':') => Ok(i + 1),
        None => Err(SyntaxError {
            offset: i,
            what: "unexpected end of JSON input",
        }),
        Some(_) => Err(SyntaxError {
            offset: i,
            what: "invalid character after object key",
        }),
    }
}

fn scan_string(src: &[u8], start: usize) -> Result<usize, SyntaxError> {
    let mut i = start + 1;
    loop {
        let Some(&c) = src.get(i) else {
            return Err(SyntaxError {
                offset: i,
                what: "unexpected end of JSON input",
            });
        };
        match c {
            b'"' => return Ok(i + 1),
            b'\\' => match src.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') => {
                    for k in 0..4 {
                        match src.get(i + 2 + k) {
                            Some(h) if h.is_ascii_hexdigit() => {}
                            None => {
                                return Err(SyntaxError {
                                    offset: i + 2 + k,
                                    what: "unexpected end of JSON input",
                                });
                            }
                            Some(_) => {
                                return Err(SyntaxError {
                                    offset: i + 2 + k,
                                    what: "invalid character in \\u hexadecimal character escape",
                                });
                            }
                        }
                    }
                    i += 6;
                }
                None => {
                    return Err(SyntaxError {
                        offset: i + 1,
                        what: "unexpected end of JSON input",
                    });
                }
                Some(_) => {
                    return Err(SyntaxError {
                        offset: i + 1,
                        what: "invalid character in string escape code",
                    });
                }
            },
            c if c < 0x20 => {
                return Err(SyntaxError {
                    offset: i,
                    what: "invalid character in string literal",
                });
            }
            _ => i += 1,
        }
    }
}

fn scan_number(src: &[u8], start: usize) -> Result<usize, SyntaxError> {
    let bad = |offset: usize| {
        Err(SyntaxError {
            offset,
            what: if offset >= src.len() {
                "unexpected end of JSON input"
            } else {
                "invalid character in numeric literal"
            },
        })
    };
    let digit = |i: usize| src.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = start;
    if src[i] == b'-' {
        i += 1;
    }
    match src.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while digit(i) {
                i += 1;
            }
        }
        _ => return bad(i),
    }
    if src.get(i) == Some(&b'.') {
        i += 1;
        if !digit(i) {
            return bad(i);
        }
        while digit(i) {
            i += 1;
        }
    }
    if matches!(src.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(src.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digit(i) {
            return bad(i);
        }
        while digit(i) {
            i += 1;
        }
    }
    Ok(i)
}

fn literal(src: &[u8], start: usize, word: &[u8]) -> Result<usize, SyntaxError> {
    for (k, &w) in word.iter().enumerate() {
        match src.get(start + k) {
            Some(&c) if c == w => {}
            None => {
                return Err(SyntaxError {
                    offset: start + k,
                    what: "unexpected end of JSON input",
                });
            }
            Some(_) => {
                return Err(SyntaxError {
                    offset: start + k,
                    what: "invalid character in literal",
                });
            }
        }
    }
    Ok(start + word.len())
}

/// Go's `unquote` of a string literal's bytes (without the quotes): escapes decoded, a lone
/// surrogate and every invalid UTF-8 byte replaced by U+FFFD.
fn unquote(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    let hex4 = |at: usize| -> Option<u32> {
        let s = raw.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok()
    };
    while i < raw.len() {
        let c = raw[i];
        if c == b'\\' {
            match raw.get(i + 1) {
                Some(b'u') => {
                    let Some(r) = hex4(i + 2) else {
                        break; // unreachable after check_valid
                    };
                    i += 6;
                    if (0xD800..0xE000).contains(&r) {
                        // A high surrogate followed by \u low surrogate is one rune.
                        if (0xD800..0xDC00).contains(&r)
                            && raw.get(i) == Some(&b'\\')
                            && raw.get(i + 1) == Some(&b'u')
                            && let Some(r2) = hex4(i + 2)
                            && (0xDC00..0xE000).contains(&r2)
                        {
                            let cp = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                            i += 6;
                        } else {
                            out.push('\u{FFFD}');
                        }
                    } else {
                        out.push(char::from_u32(r).unwrap_or('\u{FFFD}'));
                    }
                }
                Some(&e) => {
                    out.push(match e {
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        other => other as char, // " \ /
                    });
                    i += 2;
                }
                None => break,
            }
            continue;
        }
        // A run of raw bytes up to the next escape.
        let end = raw[i..]
            .iter()
            .position(|&b| b == b'\\')
            .map_or(raw.len(), |p| i + p);
        for chunk in raw[i..end].utf8_chunks() {
            out.push_str(chunk.valid());
            // Go's utf8.DecodeRune consumes one byte of an invalid sequence at a time.
            for _ in chunk.invalid() {
                out.push('\u{FFFD}');
            }
        }
        i = end;
    }
    out
}

/// Go's `foldName` of one rune: ASCII letters upper-cased, other runes `ToUpper(ToLower(r))`.
/// Only the runes that fold onto ASCII matter for ASCII field names: U+212A KELVIN SIGN (K),
/// U+017F LONG S (S), U+0131 DOTLESS I and U+0130 I WITH DOT (I).
fn fold_rune(c: char) -> Option<char> {
    match c {
        'a'..='z' => Some(c.to_ascii_uppercase()),
        '\u{212A}' => Some('K'),
        '\u{017F}' => Some('S'),
        '\u{0131}' | '\u{0130}' => Some('I'),
        c if c.is_ascii() => Some(c),
        _ => None,
    }
}

/// Whether a JSON object key selects the struct field named `field` (ASCII), as
/// `encoding/json` matches them: exactly, else by Go's case fold.
pub fn field_eq(key: &str, field: &str) -> bool {
    if key == field {
        return true;
    }
    let mut k = key.chars();
    for f in field.chars() {
        match k.next().and_then(fold_rune) {
            Some(c) if c == f.to_ascii_uppercase() => {}
            _ => return false,
        }
    }
    k.next().is_none()
}

/// A cursor over a document that [`check_valid`] accepted.
pub struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Check the document (syntax and depth, as `json.Unmarshal` does first) and start at it.
    pub fn new(src: &'a [u8]) -> Result<Reader<'a>, SyntaxError> {
        check_valid(src)?;
        Ok(Reader { src, pos: 0 })
    }

    fn ws(&mut self) {
        while self.pos < self.src.len() && is_ws(self.src[self.pos]) {
            self.pos += 1;
        }
    }

    /// `json.NewDecoder(r).Decode(&v)`: only the first value is read (and checked); what
    /// follows it is never looked at. An input of whitespace only is Go's `EOF`.
    pub fn first_value(src: &'a [u8]) -> Result<Reader<'a>, SyntaxError> {
        let mut probe = Reader { src, pos: 0 };
        probe.ws();
        if probe.pos == src.len() {
            return Err(SyntaxError {
                offset: src.len(),
                what: "EOF",
            });
        }
        probe.skip();
        check_valid(&src[..probe.pos])?;
        Ok(Reader {
            src: &src[..probe.pos],
            pos: 0,
        })
    }

    /// The kind of the next value.
    pub fn peek(&mut self) -> Kind {
        self.ws();
        match self.src.get(self.pos) {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Number,
        }
    }

    /// Read a string value (the next value must be a string).
    pub fn string(&mut self) -> String {
        self.ws();
        let start = self.pos;
        let end = scan_string(self.src, start).unwrap_or(self.src.len());
        self.pos = end;
        unquote(&self.src[start + 1..end.saturating_sub(1).max(start + 1)])
    }

    /// Skip the next value, whatever it is, without recursion.
    pub fn skip(&mut self) {
        self.ws();
        let mut depth = 0usize;
        loop {
            let Some(&c) = self.src.get(self.pos) else {
                return;
            };
            match c {
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    self.pos += 1;
                }
                b'"' => self.pos = scan_string(self.src, self.pos).unwrap_or(self.src.len()),
                b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                _ => {
                    while self.pos < self.src.len()
                        && !matches!(
                            self.src[self.pos],
                            b',' | b':' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'
                        )
                    {
                        self.pos += 1;
                    }
                }
            }
            if depth == 0 {
                return;
            }
        }
    }

    /// Visit the elements of the array that is the next value: `f(reader)` must consume each
    /// element (read it or [`Reader::skip`] it).
    pub fn elements(&mut self, mut f: impl FnMut(&mut Reader<'a>)) {
        self.ws();
        self.pos += 1; // '['
        loop {
            self.ws();
            match self.src.get(self.pos) {
                Some(b']') | None => {
                    self.pos += 1;
                    return;
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                _ => f(self),
            }
        }
    }

    /// Visit the members of the object that is the next value: `f(reader, key)` must consume
    /// the member's value (read it or [`Reader::skip`] it).
    pub fn members<E>(
        &mut self,
        mut f: impl FnMut(&mut Reader<'a>, String) -> Result<(), E>,
    ) -> Result<(), E> {
        self.ws();
        self.pos += 1; // '{'
        loop {
            self.ws();
            match self.src.get(self.pos) {
                Some(b'}') | None => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let key = self.string();
            self.ws();
            self.pos += 1; // ':'
            f(self, key)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from Go 1.25 encoding/json: scanner.go (checkValid, maxNestingDepth),
    // decode.go (unquote), fold.go (foldName).

    #[test]
    fn syntax_like_check_valid() {
        for ok in [
            "{}",
            " [1, -0.5e+3, true, false, null, \"x\"] ",
            "{\"a\":{\"b\":[{}]}}",
            "null",
            "1e400",
            "\"\\u00e9\\ud83d\\ude00\"",
        ] {
            assert_eq!(check_valid(ok.as_bytes()), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "{",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "[1,]",
            "01",
            "1.",
            "-",
            "1e",
            "tru",
            "{} x",
            "\"a\u{1}\"",
            "\"\\x\"",
            "\"\\u12g4\"",
            "{1:2}",
            "\u{feff}{}",
            "[1 2]",
        ] {
            assert!(check_valid(bad.as_bytes()).is_err(), "{bad:?}");
        }
        // invalid UTF-8 inside a string is not a syntax error
        assert_eq!(check_valid(b"\"\xff\xfe\""), Ok(()));
        // ...outside one it is
        assert!(check_valid(b"\xff").is_err());
    }

    #[test]
    fn nesting_limit_is_go_s() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(check_valid(nest(MAX_NESTING).as_bytes()), Ok(()));
        let e = check_valid(nest(MAX_NESTING + 1).as_bytes()).unwrap_err();
        assert_eq!(e.what, "exceeded max depth");
        // far deeper input costs no stack
        assert!(check_valid(nest(2_000_000).as_bytes()).is_err());
        let deep_obj = format!("{}1{}", "{\"a\":".repeat(9_000), "}".repeat(9_000));
        assert_eq!(check_valid(deep_obj.as_bytes()), Ok(()));
        let mut r = Reader::new(deep_obj.as_bytes()).unwrap();
        r.skip();
        assert_eq!(r.pos, deep_obj.len());
    }

    #[test]
    fn unquote_replaces_like_go() {
        assert_eq!(unquote(b"a\\nb\\u00e9"), "a\nb\u{e9}");
        assert_eq!(unquote(b"\\ud83d\\ude00"), "\u{1F600}");
        // a lone surrogate becomes U+FFFD; the next escape stands on its own
        assert_eq!(unquote(b"\\ud83dx"), "\u{FFFD}x");
        assert_eq!(unquote(b"\\ud83d\\u0041"), "\u{FFFD}A");
        assert_eq!(unquote(b"\\ude00"), "\u{FFFD}");
        // one U+FFFD per invalid byte (utf8.DecodeRune returns size 1)
        assert_eq!(unquote(b"a\xe2\x82b"), "a\u{FFFD}\u{FFFD}b");
        assert_eq!(unquote(b"\xed\xa0\x80"), "\u{FFFD}\u{FFFD}\u{FFFD}");
        assert_eq!(unquote(b"\xff"), "\u{FFFD}");
    }

    #[test]
    fn field_fold_like_go() {
        assert!(field_eq("auths", "auths"));
        assert!(field_eq("Auths", "auths"));
        assert!(field_eq("AUTHS", "auths"));
        assert!(field_eq("UserName", "username"));
        // runes that fold onto ASCII letters
        assert!(field_eq("auth\u{17F}", "auths"));
        assert!(field_eq(
            "registrytoKen".replace('K', "\u{212A}").as_str(),
            "registrytoken"
        ));
        assert!(!field_eq("auth", "auths"));
        assert!(!field_eq("authss", "auths"));
        assert!(!field_eq("auths ", "auths"));
        assert!(!field_eq("user_name", "username"));
    }

    #[test]
    fn reader_walks_members_and_skips_anything() {
        let doc = br#"{"a": [1, {"x": "}"}], "b": "v\u0041", "c": 1e400, "d": {"e": null}}"#;
        let mut r = Reader::new(doc).unwrap();
        assert_eq!(r.peek(), Kind::Object);
        let mut seen = Vec::new();
        r.members(|r, k| {
            if k == "b" {
                seen.push(format!("b={}", r.string()));
            } else {
                seen.push(format!("{k}:{}", r.peek().go_name()));
                r.skip();
            }
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(seen, ["a:array", "b=vA", "c:number", "d:object"]);
    }
}
