//! kpt-style reporting of a function run: `[RUNNING]`, `[PASS]`/`[FAIL]` with results, stderr
//! and exit code, and the `FunctionResultList` (kpt.dev/v1) for `--results-dir`.

use std::time::Duration;

use serde_json::{Value, json};

/// kpt's duration display: rounded to 100ms, Go's `time.Duration` format.
pub fn format_duration(d: Duration) -> String {
    let tenths = (d.as_millis() + 50) / 100;
    if tenths == 0 {
        return "0s".into();
    }
    if tenths < 10 {
        return format!("{}ms", tenths * 100);
    }
    let total_tenths = tenths;
    let minutes = total_tenths / 600;
    let rem = total_tenths % 600;
    let secs = rem / 10;
    let frac = rem % 10;
    let s = if frac == 0 {
        format!("{secs}s")
    } else {
        format!("{secs}.{frac}s")
    };
    if minutes > 0 {
        format!("{minutes}m{s}")
    } else {
        s
    }
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

/// The block printed after `[PASS]`/`[FAIL]`.
pub fn format_details(results: &[Value], stderr: &[u8], exit_code: Option<i32>) -> String {
    let mut out = String::new();
    if !results.is_empty() {
        out.push_str("  Results:\n");
        for r in results {
            out.push_str("    ");
            out.push_str(&format_result(r));
            out.push('\n');
        }
    }
    if !stderr.is_empty() {
        out.push_str("  Stderr:\n");
        for line in String::from_utf8_lossy(stderr).split('\n') {
            out.push_str(&format!("    {line:?}\n"));
        }
    }
    if let Some(code) = exit_code {
        out.push_str(&format!("  Exit code: {code}\n"));
    }
    out
}

/// The `FunctionResultList` written to `--results-dir/results.yaml`.
pub fn function_result_list(
    image: &str,
    exec: bool,
    results: &[Value],
    stderr: &[u8],
    exit_code: i32,
) -> Value {
    let mut item = serde_json::Map::new();
    item.insert(
        (if exec { "exec" } else { "image" }).into(),
        Value::String(image.to_string()),
    );
    if !stderr.is_empty() {
        item.insert(
            "stderr".into(),
            Value::String(String::from_utf8_lossy(stderr).into_owned()),
        );
    }
    item.insert("exitCode".into(), json!(exit_code));
    if !results.is_empty() {
        item.insert("results".into(), Value::Array(results.to_vec()));
    }
    json!({
        "apiVersion": "kpt.dev/v1",
        "kind": "FunctionResultList",
        "metadata": {"name": "fnresults"},
        "exitCode": if exit_code == 0 { 0 } else { 1 },
        "items": [Value::Object(item)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_kpt() {
        assert_eq!(format_duration(Duration::from_millis(20)), "0s");
        assert_eq!(format_duration(Duration::from_millis(310)), "300ms");
        assert_eq!(format_duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_millis(62_300)), "1m2.3s");
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
        let d = format_details(&[r], b"some stderr\n", Some(3));
        assert_eq!(
            d,
            "  Results:\n    [error] v1/ConfigMap/a data.k: bad thing\n  Stderr:\n    \"some stderr\"\n    \"\"\n  Exit code: 3\n"
        );
    }
}
