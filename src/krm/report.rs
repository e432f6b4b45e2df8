//! kpt's reporting of a function run, one for `run` (kpt fn eval) and `render` (kpt fn
//! render): the `[RUNNING]` / `[PASS]` / `[FAIL]` lines, the results and stderr blocks
//! (kpt 1.0.0-beta.56 `internal/fnruntime/runner.go`: `FunctionRunner.Filter`,
//! `printFnResult`, `printFnExecErr`, `MultiLineFormatter`), and the `FunctionResultList`
//! (kpt.dev/v1) for `--results-dir`.

use std::time::Duration;

use serde_json::{Value, json};

use super::kyaml::{self, KNode, Style};

/// `MultiLineFormatter`'s `FnExecErrorTruncateLines`: lines shown with `--truncate-output`
/// (kpt's default).
pub const TRUNCATE_LINES: usize = 4;

/// kpt's `time.Since(t0).Truncate(100ms)` printed with Go's `time.Duration` format.
pub fn kpt_duration(d: Duration) -> String {
    let tenths = d.as_millis() / 100;
    if tenths == 0 {
        return "0s".into();
    }
    if tenths < 10 {
        return format!("{}ms", tenths * 100);
    }
    let hours = tenths / 36_000;
    let minutes = tenths % 36_000 / 600;
    let rem = tenths % 600;
    let s = if rem.is_multiple_of(10) {
        format!("{}s", rem / 10)
    } else {
        format!("{}.{}s", rem / 10, rem % 10)
    };
    match (hours, minutes) {
        (0, 0) => s,
        (0, m) => format!("{m}m{s}"),
        (h, m) => format!("{h}h{m}m{s}"),
    }
}

/// The `[RUNNING]` line: kpt's, with ` on N resource(s)` when the function has selectors
/// (`DisplayResourceCount`).
pub fn running_line(name: &str, resource_count: Option<usize>) -> String {
    let mut s = format!("[RUNNING] {}", go_quote(name.as_bytes()));
    if let Some(n) = resource_count {
        s.push_str(&format!(" on {n} resource(s)"));
    }
    s.push('\n');
    s
}

/// `[PASS] "NAME" in 1.2s`, its results, its stderr (kpt prints both on success too).
pub fn pass_block(
    name: &str,
    took: &str,
    results: &[Value],
    stderr: &[u8],
    truncate: bool,
) -> String {
    let mut s = format!("[PASS] {} in {took}\n", go_quote(name.as_bytes()));
    s.push_str(&format_results(results, truncate));
    s.push_str(&format_stderr(stderr, truncate));
    s
}

/// `[FAIL] "NAME" in 1.2s`, then for a function that ran and failed (`exit_code`: kpt's
/// `ExecError`) its results, stderr and `  Exit code: N` and a blank line; for a failure
/// kpt finds afterwards (its output), only the results.
pub fn fail_block(
    name: &str,
    took: &str,
    results: &[Value],
    stderr: &[u8],
    exit_code: Option<i32>,
    truncate: bool,
) -> String {
    let mut s = format!("[FAIL] {} in {took}\n", go_quote(name.as_bytes()));
    s.push_str(&format_results(results, truncate));
    if let Some(code) = exit_code {
        s.push_str(&format_stderr(stderr, truncate));
        s.push_str(&format!("  Exit code: {code}\n\n"));
    }
    s
}

/// One result line as kpt prints it: `[severity] apiVersion/Kind/[ns/]name field: message`.
pub fn format_result(r: &Value) -> String {
    let severity = r.get("severity").and_then(Value::as_str).unwrap_or("info");
    let message = r.get("message").and_then(Value::as_str).unwrap_or("");
    let mut head = format!("[{severity}]");
    if let Some(rr) = r.get("resourceRef").filter(|v| v.is_object()) {
        let g = |k: &str| rr.get(k).and_then(Value::as_str).unwrap_or("");
        let mut id = format!("{}/{}/", g("apiVersion"), g("kind"));
        if !g("namespace").is_empty() {
            id.push_str(g("namespace"));
            id.push('/');
        }
        id.push_str(g("name"));
        head.push(' ');
        head.push_str(&id);
    }
    if let Some(path) = r
        .get("field")
        .and_then(|f| f.get("path"))
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        head.push(' ');
        head.push_str(path);
    }
    format!("{head}: {message}")
}

/// kpt's `MultiLineFormatter`: a title, each line indented (Go-quoted for stderr), at most
/// [`TRUNCATE_LINES`] of them unless `truncate` is off (`--truncate-output=false`).
fn multi_line(title: &str, lines: &[&[u8]], quote: bool, truncate: bool) -> String {
    let mut out = format!("  {title}:\n");
    let shown = if truncate {
        lines.len().min(TRUNCATE_LINES)
    } else {
        lines.len()
    };
    for l in &lines[..shown] {
        if quote {
            out.push_str(&format!("    {}\n", go_quote(l)));
        } else {
            out.push_str(&format!("    {}\n", String::from_utf8_lossy(l)));
        }
    }
    if shown < lines.len() {
        out.push_str(&format!(
            "    ...({} line(s) truncated, use '--truncate-output=false' to disable)\n",
            lines.len() - shown
        ));
    }
    out
}

/// The `  Results:` block (none without results). Each result is one line: kpt replaces
/// the newlines of a message with spaces.
pub fn format_results(results: &[Value], truncate: bool) -> String {
    if results.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = results
        .iter()
        .map(|r| format_result(r).replace('\n', " "))
        .collect();
    let lines: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    multi_line("Results", &lines, false, truncate)
}

/// The `  Stderr:` block (none for an empty stderr): every line of the function's stderr
/// (split on `\n`, so output ending in a newline shows a last `""`), Go-quoted.
pub fn format_stderr(stderr: &[u8], truncate: bool) -> String {
    if stderr.is_empty() {
        return String::new();
    }
    let lines: Vec<&[u8]> = stderr.split(|b| *b == b'\n').collect();
    multi_line("Stderr", &lines, true, truncate)
}

/// Go's `strconv.Quote` (what `%q` prints) of raw bytes: invalid UTF-8 as `\xHH`, the
/// C escapes, other control characters as `\xHH` (ASCII) or `\uHHHH`, printable
/// characters (Go's `strconv.IsPrint`, [`super::go_print::is_print`]) as they are.
pub fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{7}' => out.push_str("\\a"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{b}' => out.push_str("\\v"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if super::go_print::is_print(c) => out.push(c),
                c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push_str(&format!("\\U{:08x}", c as u32)),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

/// One item of a `FunctionResultList` (kpt's `fnresult.Result`): `image` or `exec`, the
/// stderr, the exit code and the function's results.
pub fn result_item(
    name: &str,
    exec: bool,
    results: &[Value],
    stderr: &[u8],
    exit_code: i32,
) -> KNode {
    let key = |k: &str| KNode::scalar(k, Style::Plain);
    let mut entries = vec![(
        key(if exec { "exec" } else { "image" }),
        kyaml::string_node(name),
    )];
    if !stderr.is_empty() {
        entries.push((key("stderr"), kyaml::bytes_node(stderr)));
    }
    entries.push((key("exitCode"), KNode::from_json(&json!(exit_code))));
    if !results.is_empty() {
        entries.push((
            key("results"),
            KNode::from_json(&Value::Array(results.to_vec())),
        ));
    }
    KNode::map(entries)
}

/// The `FunctionResultList` written to `--results-dir/results.yaml`: every item in run
/// order, exit code 1 when a function failed.
pub fn function_result_list(items: Vec<KNode>, failed: bool) -> KNode {
    let mut list = KNode::from_json(&json!({
        "apiVersion": "kpt.dev/v1",
        "kind": "FunctionResultList",
        "metadata": {"name": "fnresults"},
        "exitCode": if failed { 1 } else { 0 },
    }));
    list.set("items", KNode::seq(items));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_truncate_like_go() {
        // Go: time.Duration(d).Truncate(100 * time.Millisecond).String()
        assert_eq!(kpt_duration(Duration::from_millis(20)), "0s");
        assert_eq!(kpt_duration(Duration::from_millis(99)), "0s");
        assert_eq!(kpt_duration(Duration::from_millis(399)), "300ms");
        assert_eq!(kpt_duration(Duration::from_millis(1299)), "1.2s");
        assert_eq!(kpt_duration(Duration::from_secs(2)), "2s");
        assert_eq!(kpt_duration(Duration::from_millis(61_000)), "1m1s");
        assert_eq!(kpt_duration(Duration::from_millis(62_350)), "1m2.3s");
        assert_eq!(kpt_duration(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(kpt_duration(Duration::from_millis(3_723_400)), "1h2m3.4s");
    }

    #[test]
    fn results_like_kpt() {
        let r = json!({"message": "bad thing", "severity": "error",
            "resourceRef": {"apiVersion": "v1", "kind": "ConfigMap", "name": "a"},
            "field": {"path": "data.k"}});
        assert_eq!(
            format_result(&r),
            "[error] v1/ConfigMap/a data.k: bad thing"
        );
        assert_eq!(
            format_result(&json!({"message": "hello", "severity": "info"})),
            "[info]: hello"
        );
        assert_eq!(
            fail_block("f", "0s", &[r], b"some stderr\n", Some(3), true),
            "[FAIL] \"f\" in 0s\n  Results:\n    [error] v1/ConfigMap/a data.k: bad thing\n  Stderr:\n    \"some stderr\"\n    \"\"\n  Exit code: 3\n\n"
        );
    }

    #[test]
    fn stderr_is_truncated_to_four_lines_unless_asked_not_to() {
        let err = b"1\n2\n3\n4\n5\n";
        assert_eq!(
            format_stderr(err, true),
            "  Stderr:\n    \"1\"\n    \"2\"\n    \"3\"\n    \"4\"\n    ...(2 line(s) truncated, use '--truncate-output=false' to disable)\n"
        );
        assert_eq!(format_stderr(err, false).lines().count(), 7);
        assert_eq!(format_stderr(b"", true), "");
    }

    #[test]
    fn quoting_is_go_strconv_quote() {
        // Values from Go's strconv.Quote.
        assert_eq!(go_quote(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote(b"\t\r\x07\x08\x0b\x0c\n"), r#""\t\r\a\b\v\f\n""#);
        assert_eq!(go_quote(b"\x01\x7f\xff"), r#""\x01\x7f\xff""#);
        assert_eq!(
            go_quote("é ☺ \u{a0}\u{200b}\u{feff}".as_bytes()),
            r#""é ☺ \u00a0\u200b\ufeff""#
        );
        assert_eq!(
            go_quote("\u{10ffff}\u{1f600}".as_bytes()),
            "\"\\U0010ffff\u{1f600}\""
        );
        assert_eq!(go_quote("\u{85}".as_bytes()), r#""\u0085""#);
    }
}
