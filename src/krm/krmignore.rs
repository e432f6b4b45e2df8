//! `.krmignore`, with kpt's rules. Pure: text in, a matcher out.
//!
//! kpt (kyaml's `kio.ignoreFilesMatcher`) matches with `github.com/monochromegane/go-gitignore`
//! and Go's `path/filepath.Match`; this is a port of what those do, which differs from git's
//! own rules in ways a user can see (all checked against kpt 1.0.0-beta.56):
//!
//! - lines are trimmed of spaces (not tabs) at both ends; empty lines and `#...` are skipped;
//!   `\#` starts a pattern with `#`; `!PATTERN` is an exception;
//! - an exception wins wherever it is in the file (not "the last matching line wins");
//! - a pattern that starts with `/` is anchored: it matches a path with exactly as many
//!   components as it has; any other pattern matches the **last** components of the path, as
//!   many as it has (`ig/e.yaml` also ignores `sub/ig/e.yaml`, unlike git);
//! - a trailing `/` makes the pattern match directories only;
//! - a pattern with `*`, `?` or `[` is matched with Go's `filepath.Match` (`*`, `?` never
//!   match `/`; `[^...]` negates, `[!...]` does not; `\` escapes); a malformed one
//!   (`[unclosed`) matches nothing and is not an error; a pattern without those characters is
//!   compared literally (no `\` escapes); `**` is just two `*`.
//!
//! Two kinds of line make kpt crash (`!` alone, `/` alone); they are refused here, with the
//! line number. A line longer than 64 KiB (where Go's line scanner gives up and kpt silently
//! ignores the rest of the file) is refused too.

/// A parsed `.krmignore`.
#[derive(Debug, Default, Clone)]
pub struct KrmIgnore {
    ignore: Patterns,
    accept: Patterns,
}

#[derive(Debug, Default, Clone)]
struct Patterns {
    /// Patterns starting with `/`, matched from the start of the path.
    absolute: Vec<Pattern>,
    /// Other patterns, matched against the end of the path.
    relative: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    /// The number of path components the pattern has.
    depth: usize,
    dir_only: bool,
    /// The pattern without leading and trailing `/`.
    text: String,
    /// Has `*`, `?` or `[`: matched with Go's `filepath.Match`, else compared literally.
    glob: bool,
}

/// The longest line Go's `bufio.Scanner` reads.
const MAX_LINE: usize = 64 * 1024 - 1;

impl KrmIgnore {
    /// Parse the text of a `.krmignore`. The error names the line and what to do.
    pub fn parse(text: &str) -> Result<KrmIgnore, String> {
        let mut out = KrmIgnore::default();
        for (n, raw) in text.split('\n').enumerate() {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.len() > MAX_LINE {
                return Err(format!(
                    "line {} is longer than 64 KiB (kpt ignores the rest of the file from there); shorten it",
                    n + 1
                ));
            }
            let mut line = raw.trim_matches(' ');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with("\\#") {
                line = &line[1..];
            }
            let (set, pattern) = match line.strip_prefix('!') {
                Some(rest) => (&mut out.accept, rest),
                None => (&mut out.ignore, line),
            };
            if pattern.is_empty() || pattern == "/" {
                return Err(format!(
                    "line {}: {line:?} is not a pattern (kpt crashes on it); remove the line or write the name to ignore",
                    n + 1
                ));
            }
            let text = pattern.trim_matches('/');
            let p = Pattern {
                depth: text.matches('/').count() + 1,
                dir_only: pattern.ends_with('/'),
                text: text.to_string(),
                glob: pattern.contains(['*', '?', '[']),
            };
            if pattern.starts_with('/') {
                set.absolute.push(p);
            } else {
                set.relative.push(p);
            }
        }
        Ok(out)
    }

    /// Whether `rel` (relative to the directory of the `.krmignore`, `/`-separated, not empty)
    /// is ignored; `is_dir` for a directory.
    pub fn is_ignored(&self, rel: &str, is_dir: bool) -> bool {
        if rel.is_empty() {
            return false;
        }
        !self.accept.matches(rel, is_dir) && self.ignore.matches(rel, is_dir)
    }
}

impl Patterns {
    fn matches(&self, path: &str, is_dir: bool) -> bool {
        // Anchored: the first `depth` components (with the `/` after them when more follow).
        if !self.absolute.is_empty() {
            let mut depth = 1;
            loop {
                let (part, last) = cut_first(path, depth);
                let dir = last && is_dir;
                if self
                    .absolute
                    .iter()
                    .any(|p| p.depth == depth && p.matches(part, dir))
                {
                    return true;
                }
                if last {
                    break;
                }
                depth += 1;
            }
        }
        if !self.relative.is_empty() {
            let mut depth = 1;
            loop {
                let (part, last) = cut_last(path, depth);
                if self
                    .relative
                    .iter()
                    .any(|p| p.depth == depth && p.matches(part, is_dir))
                {
                    return true;
                }
                if last {
                    break;
                }
                depth += 1;
            }
        }
        false
    }
}

impl Pattern {
    fn matches(&self, part: &str, is_dir: bool) -> bool {
        if self.dir_only && !is_dir {
            return false;
        }
        if self.glob {
            go_match(self.text.as_bytes(), part.as_bytes()) == Ok(true)
        } else {
            self.text == part
        }
    }
}

/// go-gitignore's `cutN`: the path up to and including its `n`-th `/`, and whether that is the
/// whole path.
fn cut_first(path: &str, n: usize) -> (&str, bool) {
    let b = path.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'/' {
            count += 1;
            if count >= n {
                return (&path[..=i], false);
            }
        }
        i += 1;
    }
    (path, true)
}

/// go-gitignore's `cutLastN`: the path after its `n`-th `/` from the end, and whether that is
/// the whole path.
fn cut_last(path: &str, n: usize) -> (&str, bool) {
    let b = path.as_bytes();
    let mut count = 0;
    for i in (0..b.len()).rev() {
        if b[i] == b'/' {
            count += 1;
            if count >= n {
                return (&path[i + 1..], false);
            }
        }
    }
    (path, true)
}

#[derive(Debug, PartialEq, Eq)]
struct BadPattern;

/// Go's `path/filepath.Match` on Unix.
fn go_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, BadPattern> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing * matches the rest unless it has a /.
            return Ok(!name.contains(&b'/'));
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                let (t, ok) = match_chunk(chunk, &name[i + 1..])?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        // Before returning false, check that the rest of the pattern is well formed.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Go's `utf8.DecodeRune`: the rune and its width; (U+FFFD, 1) for a bad byte; (U+FFFD, 0)
/// for nothing.
fn decode_rune(s: &[u8]) -> (u32, usize, bool) {
    if s.is_empty() {
        return (0xFFFD, 0, true);
    }
    let width = match s[0] {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 0,
    };
    if width > 0
        && width <= s.len()
        && let Ok(text) = std::str::from_utf8(&s[..width])
        && let Some(c) = text.chars().next()
    {
        return (c as u32, width, false);
    }
    (0xFFFD, 1, true)
}

fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<(&'a [u8], bool), BadPattern> {
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match chunk[0] {
            b'[' => {
                let mut r = 0u32;
                if !failed {
                    let (c, n, _) = decode_rune(s);
                    r = c;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if chunk.first() == Some(&b'^') {
                    negated = true;
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk[0] == b'-' {
                        let (h, rest) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    let (_, n, _) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            c => {
                let c = if c == b'\\' {
                    chunk = &chunk[1..];
                    match chunk.first() {
                        Some(&c) => c,
                        None => return Err(BadPattern),
                    }
                } else {
                    c
                };
                if !failed {
                    if c != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        Ok((b"", false))
    } else {
        Ok((s, true))
    }
}

fn get_esc(chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    let mut chunk = chunk;
    if chunk.is_empty() || chunk[0] == b'-' || chunk[0] == b']' {
        return Err(BadPattern);
    }
    if chunk[0] == b'\\' {
        chunk = &chunk[1..];
        if chunk.is_empty() {
            return Err(BadPattern);
        }
    }
    let (r, n, bad) = decode_rune(chunk);
    if bad && n == 1 {
        return Err(BadPattern);
    }
    let rest = &chunk[n..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ig(text: &str) -> KrmIgnore {
        KrmIgnore::parse(text).unwrap()
    }

    #[test]
    fn go_filepath_match() {
        // Cases from Go's path/filepath match_test.go.
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", Err(BadPattern)),
            ("[-]", "-", Err(BadPattern)),
            ("[x-]", "x", Err(BadPattern)),
            ("[x-]", "-", Err(BadPattern)),
            ("[x-]", "z", Err(BadPattern)),
            ("[-x]", "x", Err(BadPattern)),
            ("[-x]", "-", Err(BadPattern)),
            ("[-x]", "a", Err(BadPattern)),
            ("\\", "a", Err(BadPattern)),
            ("[a-b-c]", "a", Err(BadPattern)),
            ("[", "a", Err(BadPattern)),
            ("[^", "a", Err(BadPattern)),
            ("[^bc", "a", Err(BadPattern)),
            ("a[", "a", Err(BadPattern)),
            ("a[", "ab", Err(BadPattern)),
            ("a[", "x", Err(BadPattern)),
            ("a/b[", "x", Err(BadPattern)),
            ("*x", "xxx", Ok(true)),
        ];
        for (p, n, want) in cases {
            assert_eq!(&go_match(p.as_bytes(), n.as_bytes()), want, "{p} {n}");
        }
    }

    #[test]
    fn rules_checked_against_kpt() {
        // Each expectation was observed with kpt 1.0.0-beta.56 `fn eval --exec`.
        // An exception wins wherever it is.
        let i = ig("ig/\n!ig\n");
        assert!(!i.is_ignored("ig", true));
        let i = ig("e2.yaml\n!e2.yaml\n");
        assert!(!i.is_ignored("sub/ig/e2.yaml", false));
        // Relative patterns match the last components; anchored ones the first.
        let i = ig("ig/e2.yaml\n");
        assert!(i.is_ignored("sub/ig/e2.yaml", false));
        let i = ig("/ig/e2.yaml\n");
        assert!(!i.is_ignored("sub/ig/e2.yaml", false));
        assert!(i.is_ignored("ig/e2.yaml", false));
        let i = ig("/ig/\n");
        assert!(i.is_ignored("ig", true));
        assert!(!i.is_ignored("sub/ig", true));
        assert!(!i.is_ignored("ig", false));
        // Spaces are trimmed, tabs are not; `\#` escapes a comment; `\.` is literal.
        assert!(ig(" a.yaml \n").is_ignored("a.yaml", false));
        assert!(!ig("a.yaml\t\n").is_ignored("a.yaml", false));
        assert!(ig("\\#x\n").is_ignored("#x", false));
        assert!(!ig("#a.yaml\n").is_ignored("a.yaml", false));
        assert!(!ig("a\\.yaml\n").is_ignored("a.yaml", false));
        // Go's classes: `[^a]` negates, `[!a]` is `!` or `a`; `[unclosed` matches nothing.
        assert!(ig("[^a]*.yaml\n").is_ignored("c.yaml", false));
        assert!(!ig("[^a]*.yaml\n").is_ignored("a.yaml", false));
        assert!(ig("[!a]*.yaml\n").is_ignored("a.yaml", false));
        assert!(!ig("[unclosed\n").is_ignored("[unclosed", false));
        assert!(ig("a.yam?\n").is_ignored("a.yaml", false));
        // `*` matches directories and hidden names too.
        let i = ig("*\n!*.yaml\n");
        assert!(i.is_ignored("sub", true));
        assert!(i.is_ignored("Kptfile", false));
        assert!(!i.is_ignored(".h.yaml", false));
    }

    #[test]
    fn a_class_can_match_the_slash_of_an_anchored_prefix() {
        // go-gitignore compares "a/" (the first component of a/b.yaml with its slash) with
        // an anchored one-component pattern: `[^x]` matches the slash.
        let i = ig("/a[^x]\n");
        assert!(!i.is_ignored("a", true));
        assert!(i.is_ignored("a/b.yaml", false));
    }

    #[test]
    fn lines_kpt_crashes_on_are_refused() {
        for bad in ["!\n", "/\n", "a\n!/\n"] {
            let e = KrmIgnore::parse(bad).unwrap_err();
            assert!(e.contains("is not a pattern"), "{e}");
        }
        let long = format!("{}\n", "a".repeat(70_000));
        assert!(KrmIgnore::parse(&long).unwrap_err().contains("64 KiB"));
        assert!(KrmIgnore::parse("//\n").is_ok());
    }
}
