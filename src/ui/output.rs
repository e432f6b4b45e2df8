//! Printing Kubernetes objects: a YAML multi-document stream ready for `kubectl apply -f -`,
//! or JSON (one object, or a `v1` `List` when there are several); and the one renderer of the
//! `-o table|json|yaml` reports (`check`, `status`, `pull`).
//!
//! Every write to stdout and stderr goes through here. A closed stdout (`| head`, `| true`)
//! is the end of the output: nothing more is written, the command finishes its flow (a live
//! `setup` is never left half done because nobody reads its progress) and the exit code is
//! the command's own, 0 on success, as ripgrep exits 0 on a broken stdout. A failing write
//! to stderr is ignored: it never panics and never changes the outcome.

use std::fmt::Display;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// How printed Kubernetes objects are written (`-o yaml|json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// A `---` separated YAML stream, ready for `kubectl apply -f -`.
    #[default]
    Yaml,
    /// One JSON object, or a `v1` `List` of several.
    Json,
    /// One `kind[.group]/name` line per object, as kubectl's `-o name` prints them.
    Name,
}

/// How reports (findings, status, pull summaries) are written (`-o table|json|yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// A table for people.
    #[default]
    Table,
    /// JSON for scripts.
    Json,
    /// YAML.
    Yaml,
}

/// Plain (or quoted) scalars like kubectl prints them: no folded `>-` blocks for long
/// base64 values.
fn yaml_options() -> serde_saphyr::SerializerOptions {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    options
}

/// Render objects as YAML (`---` separated documents) or JSON, ending with a newline.
pub fn render_objects(objects: &[Value], format: OutputFormat) -> Result<String> {
    match format {
        OutputFormat::Yaml => {
            let mut out = String::new();
            for (i, obj) in objects.iter().enumerate() {
                if i > 0 {
                    out.push_str("---\n");
                }
                let doc = serde_saphyr::to_string_with_options(obj, yaml_options())
                    .map_err(|e| Error::other(format!("cannot render YAML: {e}")))?;
                out.push_str(&doc);
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            Ok(out)
        }
        OutputFormat::Json => {
            let value = match objects {
                [one] => one.clone(),
                many => serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "List",
                    "metadata": {},
                    "items": many,
                }),
            };
            let mut s = serde_json::to_string_pretty(&value)
                .map_err(|e| Error::other(format!("cannot render JSON: {e}")))?;
            s.push('\n');
            Ok(s)
        }
        OutputFormat::Name => {
            let mut out = String::new();
            for obj in objects {
                out.push_str(&object_name(obj)?);
                out.push('\n');
            }
            Ok(out)
        }
    }
}

/// An object as kubectl's name printer writes it: the kind in lower case, `.group` unless
/// it is the core group, `/`, the name (`<unknown>` when it has none): `secret/x`,
/// `deployment.apps/function-runner`, `cluster.kind.x-k8s.io/<unknown>`.
pub fn object_name(obj: &Value) -> Result<String> {
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            Error::usage(
                "-o name needs Kubernetes objects, and this output is a plain file without a kind; use -o yaml",
            )
        })?;
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let group = match api_version.rsplit_once('/') {
        Some((group, _version)) => group,
        None => "",
    };
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or("<unknown>");
    let kind = kind.to_lowercase();
    Ok(if group.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}.{group}/{name}")
    })
}

/// A report printed with `-o table|json|yaml`: JSON and YAML serialise the value as it is,
/// the table is for people.
pub trait Report: Serialize {
    /// The human form, ending with a newline.
    fn table(&self) -> String;
}

/// Render a report: pretty JSON, YAML, or its table; always ending with a newline.
pub fn render_report<R: Report>(report: &R, format: ReportFormat) -> Result<String> {
    let mut text = match format {
        ReportFormat::Json => serde_json::to_string_pretty(report)
            .map_err(|e| Error::other(format!("cannot render JSON: {e}")))?,
        ReportFormat::Yaml => serde_saphyr::to_string(report)
            .map_err(|e| Error::other(format!("cannot render YAML: {e}")))?,
        ReportFormat::Table => report.table(),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Print a report to stdout (see [`render_report`]).
pub fn print_report<R: Report>(report: &R, format: ReportFormat) -> Result<()> {
    let text = render_report(report, format)?;
    write_stdout(&text)
}

/// Print objects to stdout (see [`render_objects`]). A closed pipe is not an error.
pub fn print_objects(objects: &[Value], format: OutputFormat) -> Result<()> {
    let text = render_objects(objects, format)?;
    write_stdout(&text)
}

/// Set once stdout turned out to be a closed pipe: the output ended there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// The first failed progress line on stdout (not a closed pipe), reported when the command ends.
static STDOUT_FAILURE: Mutex<Option<String>> = Mutex::new(None);

/// Whether stdout is a closed pipe (nothing more is written to it).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Write text to stdout. A closed pipe ends the output quietly (`Ok`, and every later write
/// is skipped); any other failure (a full disk) is an error.
pub fn write_stdout(text: &str) -> Result<()> {
    write_stdout_bytes(text.as_bytes())
}

/// [`write_stdout`] for bytes.
pub fn write_stdout_bytes(bytes: &[u8]) -> Result<()> {
    if stdout_closed() {
        return Ok(());
    }
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    write_stdout_to(&mut lock, bytes)
}

fn write_stdout_to(out: &mut impl std::io::Write, bytes: &[u8]) -> Result<()> {
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(Error::other(format!("cannot write to stdout: {e}"))),
    }
}

/// One progress line of a flow on stdout (`secret/x created`). It never stops the flow; a
/// failure other than a closed pipe is reported by [`finish`] when the command is done.
pub fn stdout_line(line: impl Display) {
    if let Err(e) = write_stdout(&format!("{line}\n")) {
        let mut first = STDOUT_FAILURE.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert(e.to_string());
    }
}

/// `println!` through [`stdout_line`]: for progress lines of a flow.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::ui::output::stdout_line(format_args!($($arg)*))
    };
}

/// `eprintln!` through [`stderr_line`]: never panics.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::ui::output::stderr_line(format_args!($($arg)*))
    };
}

/// Print a `warning: ...` line on stderr.
pub fn warn(msg: impl std::fmt::Display) {
    stderr_line(format_args!("warning: {msg}"));
}

/// Print an informational line on stderr (results go to stdout, chatter to stderr).
pub fn info(msg: impl std::fmt::Display) {
    stderr_line(msg);
}

/// Tell the user when a registry key is written differently from the input
/// (`note: registry X is written as Y: why`).
pub fn note_normalized(n: &crate::runner::dockerconfig::NormalizedKey) {
    if n.changed {
        info(format_args!(
            "note: registry {} is written as {}: {}",
            n.original,
            n.key,
            n.why.join("; ")
        ));
    }
}

/// Whether stderr is a terminal (progress bars only on a terminal).
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

thread_local! {
    /// The context whose work this thread is doing in a run across contexts (see [`tagged`]).
    static CONTEXT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Run `work` with every stderr line it writes on this thread (warnings, notes, progress, a
/// half-way report) starting with `[context] `, as `parallel --tag` tags its jobs' lines: in a
/// run across contexts each line says which cluster it is about. The tag is taken off again
/// when `work` ends, also by a panic.
pub fn tagged<R>(context: &str, work: impl FnOnce() -> R) -> R {
    struct Untag(Option<String>);
    impl Drop for Untag {
        fn drop(&mut self) {
            let before = self.0.take();
            CONTEXT.with(|c| *c.borrow_mut() = before);
        }
    }
    let before = CONTEXT.with(|c| c.borrow_mut().replace(context.to_string()));
    let _untag = Untag(before);
    work()
}

/// A name that came from a file or a server (a kubeconfig context, a server URL), as it is
/// shown in a line or a table cell: control characters (C0, DEL, C1: a newline, an escape
/// sequence) are written as Rust escapes (`\n`, `\u{1b}`), so a name can neither break a
/// line in two nor drive the terminal. JSON output keeps the name as it is.
pub fn printable(name: &str) -> std::borrow::Cow<'_, str> {
    if !name.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `text` with every line tagged `[context] ` (unchanged without a context).
fn tag_lines(context: Option<&str>, text: &str) -> String {
    match context {
        None => text.to_string(),
        Some(c) => {
            let c = printable(c);
            let mut out = String::with_capacity(text.len() + 16);
            for line in text.split_inclusive('\n') {
                out.push_str(&format!("[{c}] {line}"));
            }
            out
        }
    }
}

/// Write text to stderr. Failures are ignored: a closed or full stderr never panics and
/// never changes the outcome. The text is written whole under the lock: lines of other
/// threads (the other clusters of a run across contexts) never come in between; its lines
/// carry the thread's context tag (see [`tagged`]).
pub fn write_stderr(text: &str) {
    let text = CONTEXT.with(|c| tag_lines(c.borrow().as_deref(), text));
    let stderr = std::io::stderr();
    let mut lock = stderr.lock();
    let _ = lock.write_all(text.as_bytes()).and_then(|_| lock.flush());
}

/// One line on stderr (see [`write_stderr`]).
pub fn stderr_line(line: impl Display) {
    write_stderr(&format!("{line}\n"));
}

/// The end of the program: the command's outcome as an exit code, with its one `error:` line;
/// a progress line that could not be written to stdout (other than to a closed pipe) makes a
/// successful command fail with exit code 1.
pub fn finish(outcome: Result<()>) -> ExitCode {
    let pending = STDOUT_FAILURE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    match (outcome, pending) {
        (Ok(()), None) => ExitCode::SUCCESS,
        (Ok(()), Some(msg)) => report_error(&Error::other(msg)),
        (Err(e), _) => report_error(&e),
    }
}

/// Print the one `error:` line of an error on stderr and return its exit code.
pub fn report_error(e: &Error) -> ExitCode {
    stderr_line(format_args!("error: {}", e.one_line()));
    ExitCode::from(e.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tricky() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "x", "namespace": "porch-system",
                "labels": {"a": "true", "b": "1.0", "c": "null", "d": "", "e": "~", "f": "- x",
                           "g": "a: b", "h": "#x", "i": "line1\nline2\n", "j": "0x10", "k": "yes",
                           "l": " lead", "m": "---", "n": "@x", "o": "1e3", "p": "on", "q": "'q'"}},
            "type": "Opaque",
            "data": {"ca.crt": "LS0tLS1CRUdJTi==", "long": "x".repeat(300), "sp": "a b ".repeat(50), ".dockerconfigjson": "eyJhdXRocyI6e319"},
            "list": [1, 2.5, true, null, {"x": []}, {}],
        })
    }

    /// kubectl's name printer (`kubectl label --local -f - -o name` on these objects).
    #[test]
    fn names_from_files_are_shown_without_control_characters() {
        assert_eq!(printable("prod-eu"), "prod-eu");
        assert_eq!(printable("ünïcode ctx"), "ünïcode ctx");
        assert_eq!(printable("a\nb"), "a\\nb");
        assert_eq!(printable("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(printable("x\u{85}y\u{7f}"), "x\\u{85}y\\u{7f}");
        assert_eq!(
            tag_lines(Some("a\nb"), "one\ntwo\n"),
            "[a\\nb] one\n[a\\nb] two\n"
        );
    }

    #[test]
    fn names_as_kubectl_prints_them() {
        let objs = vec![
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"}}),
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"}}),
            json!({"apiVersion": "config.openshift.io/v1", "kind": "Image", "metadata": {"name": "cluster"}}),
            json!({"apiVersion": "kind.x-k8s.io/v1alpha4", "kind": "Cluster"}),
        ];
        assert_eq!(
            render_objects(&objs, OutputFormat::Name).unwrap(),
            "secret/s1\ndaemonset.apps/ds\nimage.config.openshift.io/cluster\ncluster.kind.x-k8s.io/<unknown>\n"
        );
        let e = render_objects(&[json!({"mirrors": {}})], OutputFormat::Name).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
    }

    #[test]
    fn yaml_round_trips_exactly() {
        let objs = vec![tricky(), json!({"kind": "B", "apiVersion": "v1"})];
        let text = render_objects(&objs, OutputFormat::Yaml).unwrap();
        assert!(text.contains("\n---\n"));
        let back: Vec<Value> = serde_saphyr::from_str_multiple(&text).unwrap();
        assert_eq!(back, objs, "{text}");
    }

    #[test]
    fn yaml_keeps_key_order() {
        let text = render_objects(&[tricky()], OutputFormat::Yaml).unwrap();
        let a = text.find("apiVersion").unwrap();
        let k = text.find("kind").unwrap();
        let t = text.find("\ntype").unwrap();
        let d = text.find("\ndata").unwrap();
        assert!(a < k && k < t && t < d, "{text}");
        // long values stay on one line, as kubectl prints them
        assert!(
            text.contains(&format!("  long: {}\n", "x".repeat(300))),
            "{text}"
        );
    }

    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(libc::ENOSPC))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_stdout_ends_the_output_a_full_one_is_an_error() {
        assert!(write_stdout_to(&mut Full, b"x").is_err());
        assert!(!stdout_closed());
        assert!(write_stdout_to(&mut Closed, b"x").is_ok());
        assert!(stdout_closed());
        // Later writes are skipped, whatever stdout is.
        assert!(write_stdout("never written\n").is_ok());
    }

    #[test]
    fn lines_carry_the_context_tag_only_inside_tagged() {
        assert_eq!(tag_lines(None, "a\nb\n"), "a\nb\n");
        assert_eq!(
            tag_lines(Some("prod"), "a\n  b\n"),
            "[prod] a\n[prod]   b\n"
        );
        assert_eq!(tag_lines(Some("p"), "no newline"), "[p] no newline");
        let here = || CONTEXT.with(|c| c.borrow().clone());
        assert_eq!(here(), None);
        tagged("outer", || {
            assert_eq!(here().as_deref(), Some("outer"));
            tagged("inner", || assert_eq!(here().as_deref(), Some("inner")));
            assert_eq!(here().as_deref(), Some("outer"));
            let other = std::thread::spawn(|| CONTEXT.with(|c| c.borrow().clone()));
            assert_eq!(other.join().unwrap(), None, "the tag is the thread's");
        });
        assert_eq!(here(), None);
        let _ = std::panic::catch_unwind(|| tagged("boom", || panic!("x")));
        assert_eq!(here(), None, "a panic takes the tag off too");
    }

    #[test]
    fn json_one_object_or_list() {
        let one = render_objects(&[tricky()], OutputFormat::Json).unwrap();
        let v: Value = serde_json::from_str(&one).unwrap();
        assert_eq!(v, tricky());
        let two = render_objects(&[tricky(), tricky()], OutputFormat::Json).unwrap();
        let v: Value = serde_json::from_str(&two).unwrap();
        assert_eq!(v["kind"], "List");
        assert_eq!(v["items"].as_array().unwrap().len(), 2);
    }
}
