//! Manifests on disk and kpt packages: the documents of the files read (by the one package
//! reader, `krm::tree`, which the command calls: `commands::input::load_manifests`), and
//! lossless YAML edits that carry out a plan, written back atomically.
//!
//! Loading keeps each file's exact text; the documents are exposed as `serde_json::Value`
//! with their file and index, for the checks and the planner. Edits splice the original text
//! (see `edit`), so every byte that does not have to change stays as it was.

pub mod edit;

use crate::runner::yaml;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// Where a package came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Dir(PathBuf),
    Stdin,
}

/// One document of a manifest file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Index among the file's non-empty documents (kpt's `config.kubernetes.io/index`).
    pub index: usize,
    pub value: Value,
    /// Byte range of the document in the file's text.
    pub start: usize,
    pub end: usize,
}

impl Document {
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    pub fn namespace(&self) -> Option<&str> {
        self.value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
    }
}

/// One manifest file, its exact text and its documents.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestFile {
    /// The path on disk (`-` for stdin).
    pub path: PathBuf,
    /// The path relative to the package root (kpt's `internal.config.kubernetes.io/path`); the
    /// file name for a single file; `-` for stdin.
    pub rel_path: String,
    pub text: String,
    pub docs: Vec<Document>,
}

impl ManifestFile {
    /// Parse a file's text. `name` is used in error messages.
    pub fn parse(path: PathBuf, rel_path: String, text: String) -> Result<Self> {
        let docs = parse_documents(&text).map_err(|e| {
            Error::usage(format!(
                "{}: malformed YAML at {e}; fix the file (it must be YAML the API server accepts)",
                display_path(&path)
            ))
        })?;
        Ok(ManifestFile {
            path,
            rel_path,
            text,
            docs,
        })
    }
}

/// The documents of a YAML stream (empty documents skipped).
pub fn parse_documents(text: &str) -> std::result::Result<Vec<Document>, yaml::YamlError> {
    let docs = yaml::parse_stream(text)?;
    let mut out = Vec::new();
    for d in docs {
        if d.root.is_none() {
            continue;
        }
        let value = d.to_json();
        if value.is_null() {
            continue;
        }
        out.push(Document {
            index: out.len(),
            value,
            start: d.start,
            end: d.end,
        });
    }
    Ok(out)
}

/// A loaded set of manifest files.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub source: Source,
    pub files: Vec<ManifestFile>,
}

impl Package {
    /// Every document with its file.
    pub fn documents(&self) -> impl Iterator<Item = (&ManifestFile, &Document)> {
        self.files
            .iter()
            .flat_map(|f| f.docs.iter().map(move |d| (f, d)))
    }

    /// Every document's value, in order (what `check` lints).
    pub fn objects(&self) -> Vec<Value> {
        self.documents().map(|(_, d)| d.value.clone()).collect()
    }

    /// A package from text (stdin or tests).
    pub fn from_text(name: &str, text: String) -> Result<Package> {
        let file = ManifestFile::parse(PathBuf::from(name), name.to_string(), text)?;
        Ok(Package {
            source: Source::Stdin,
            files: vec![file],
        })
    }
}

pub fn display_path(p: &Path) -> String {
    p.display().to_string()
}

/// A Deployment found in a package: its file, its document, and where it sits in the
/// document (empty path for a top-level object, `items/N` inside a `List`/`ResourceList`).
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub file: usize,
    pub doc: usize,
    pub path: Vec<yaml::PathSeg>,
    pub value: Value,
}

impl Found {
    pub fn namespace(&self) -> Option<&str> {
        self.value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
    }
}

fn is_deployment(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("Deployment")
}

/// Every Deployment in a package (top-level documents and items of lists).
pub fn deployments(pkg: &Package) -> Vec<Found> {
    let mut out = Vec::new();
    for (fi, f) in pkg.files.iter().enumerate() {
        for d in &f.docs {
            if is_deployment(&d.value) {
                out.push(Found {
                    file: fi,
                    doc: d.index,
                    path: Vec::new(),
                    value: d.value.clone(),
                });
            } else if let Some(items) = d.value.get("items").and_then(Value::as_array) {
                for (i, item) in items.iter().enumerate() {
                    if is_deployment(item) {
                        out.push(Found {
                            file: fi,
                            doc: d.index,
                            path: vec![yaml::PathSeg::Key("items".into()), yaml::PathSeg::Index(i)],
                            value: item.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// The function-runner Deployment of a package: by name (and namespace, when given).
pub fn find_deployment(
    pkg: &Package,
    name: &str,
    namespace: Option<&str>,
    what: &str,
) -> Result<Found> {
    let all = deployments(pkg);
    let named: Vec<&Found> = all
        .iter()
        .filter(|f| f.value.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
        .filter(|f| {
            namespace.is_none_or(|ns| {
                f.namespace().unwrap_or("default") == ns || f.namespace().is_none()
            })
        })
        .collect();
    match named.len() {
        1 => Ok(named[0].clone()),
        0 => {
            let others: Vec<String> = all
                .iter()
                .map(|f| {
                    f.value
                        .pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or("(unnamed)")
                        .to_string()
                })
                .collect();
            let hint = if others.is_empty() {
                "there is no Deployment at all; point -f at the function-runner manifests"
                    .to_string()
            } else {
                format!(
                    "Deployments found: {}; pass --deployment NAME",
                    others.join(", ")
                )
            };
            Err(Error::not_found(format!(
                "{what}: no Deployment named {name}{}; {hint}",
                namespace
                    .map(|n| format!(" in namespace {n}"))
                    .unwrap_or_default()
            )))
        }
        n => {
            let places: Vec<String> = named
                .iter()
                .map(|f| {
                    format!(
                        "{} (namespace {})",
                        pkg.files[f.file].rel_path,
                        f.namespace().unwrap_or("unset")
                    )
                })
                .collect();
            Err(Error::usage(format!(
                "{what}: {n} Deployments are named {name}: {}; pass -n NAMESPACE or point -f at one file",
                places.join(", ")
            )))
        }
    }
}

/// Carry a plan out on the package's text. Returns the new text of every file (changed or
/// not); computes everything before anything is written.
pub fn apply_plan(
    pkg: &Package,
    found: &Found,
    plan: &crate::runner::plan::Plan,
) -> Result<Vec<String>> {
    let mut out: Vec<String> = pkg.files.iter().map(|f| f.text.clone()).collect();
    let file = &pkg.files[found.file];
    let doc = file
        .docs
        .iter()
        .find(|d| d.index == found.doc)
        .ok_or_else(|| Error::other("internal error: document not found"))?;
    let new_doc = edit::apply_plan_in_document(&file.text[doc.start..doc.end], &found.path, plan)
        .map_err(|e| Error::usage(format!("{}: {e}", display_path(&file.path))))?;
    let t = &file.text;
    out[found.file] = format!("{}{}{}", &t[..doc.start], new_doc, &t[doc.end..]);
    Ok(out)
}

/// One-call edit of YAML text (a manifest stream, or a `ResourceList`/`List` whose `items`
/// hold the Deployment, as `fn` gets it): find the Deployment `deployment` (in `namespace` when
/// given), plan with `plan_fn` (`runner::plan::plan_patch` or `plan_remove`), and carry the
/// plan out losslessly. Returns the new text (the same text when the plan is empty) and the
/// plan (for its `changes` and `notes`). `name` is used in messages.
pub fn edit_text(
    name: &str,
    text: &str,
    deployment: &str,
    namespace: Option<&str>,
    plan_fn: impl Fn(&Value) -> Result<crate::runner::plan::Plan>,
) -> Result<(String, crate::runner::plan::Plan)> {
    let pkg = Package::from_text(name, text.to_string())?;
    let found = find_deployment(&pkg, deployment, namespace, name)?;
    let plan = plan_fn(&found.value)?;
    if plan.is_empty() {
        return Ok((text.to_string(), plan));
    }
    let mut texts = apply_plan(&pkg, &found, &plan)?;
    Ok((texts.remove(0), plan))
}

/// The package's texts as one stream (files separated by `---`), for stdout.
pub fn render_stream(texts: &[String]) -> String {
    let mut out = String::new();
    for t in texts {
        if t.trim().is_empty() {
            continue;
        }
        if !out.is_empty() && !t.starts_with("---") {
            out.push_str("---\n");
        }
        out.push_str(t);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Write the files whose text changed (each atomically). Returns the paths written.
/// Every file is checked first (writable as its mode says, unchanged since it was read), so a
/// refusal writes nothing.
pub fn write_changed(pkg: &Package, texts: &[String]) -> Result<Vec<PathBuf>> {
    let changed: Vec<(PathBuf, String, String)> = pkg
        .files
        .iter()
        .zip(texts)
        .filter(|(f, t)| f.text != **t)
        .map(|(f, t)| (f.path.clone(), f.text.clone(), t.clone()))
        .collect();
    for (path, _, _) in &changed {
        check_writable(path)?;
    }
    for (path, before, text) in &changed {
        write_if_unchanged(path, Some(before), text.as_bytes())?;
    }
    Ok(changed.into_iter().map(|(p, _, _)| p).collect())
}

/// Refuse a file its mode does not let us write, as the kernel would refuse a normal user:
/// the owner, group or other write bit that applies (root too: a 0444 file is meant to stay).
pub fn check_writable(path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.mode();
    let uid = nix::unistd::geteuid().as_raw();
    let in_group = meta.gid() == nix::unistd::getegid().as_raw()
        || nix::unistd::getgroups()
            .map(|g| g.iter().any(|g| g.as_raw() == meta.gid()))
            .unwrap_or(false);
    let bit = if uid == meta.uid() || uid == 0 {
        mode & 0o200 != 0 || (uid == 0 && mode & 0o222 != 0)
    } else if in_group {
        mode & 0o020 != 0
    } else {
        mode & 0o002 != 0
    };
    if bit {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "{}: the file is not writable (mode {:04o}); make it writable (chmod u+w) or drop --in-place and redirect the output; nothing was written",
            path.display(),
            mode & 0o7777
        )))
    }
}

/// The temporary file being written, for the SIGINT/SIGTERM handler to remove (a C string
/// leaked on purpose while it is registered; null when there is none).
static TEMP_PATH: std::sync::atomic::AtomicPtr<libc::c_char> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

extern "C" fn remove_temp_and_die(sig: libc::c_int) {
    let p = TEMP_PATH.swap(std::ptr::null_mut(), std::sync::atomic::Ordering::SeqCst);
    // Only async-signal-safe calls: unlink, signal, raise.
    unsafe {
        if !p.is_null() {
            libc::unlink(p);
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

fn install_temp_cleanup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // Keep an ignored signal ignored (nohup).
            unsafe {
                let old = libc::signal(sig, remove_temp_and_die as *const () as libc::sighandler_t);
                if old == libc::SIG_IGN {
                    libc::signal(sig, libc::SIG_IGN);
                }
            }
        }
    });
}

/// SIGINT, SIGTERM and SIGHUP held back (blocked for this thread) while it lives; one that
/// came meanwhile is delivered when it is dropped.
struct SignalsHeld(libc::sigset_t);

impl SignalsHeld {
    fn hold() -> SignalsHeld {
        // SAFETY: sigset_t filled by sigemptyset/sigaddset before use; pthread_sigmask with
        // valid pointers.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut set, sig);
            }
            let mut before: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut before);
            SignalsHeld(before)
        }
    }
}

impl Drop for SignalsHeld {
    fn drop(&mut self) {
        // SAFETY: restores the mask read in `hold`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
    }
}

/// Registers a temp file for removal on SIGINT/SIGTERM while it lives.
struct TempGuard(*mut libc::c_char);

impl TempGuard {
    fn new(path: &Path) -> TempGuard {
        use std::os::unix::ffi::OsStrExt;
        install_temp_cleanup();
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .unwrap_or_default()
            .into_raw();
        TEMP_PATH.store(c, std::sync::atomic::Ordering::SeqCst);
        TempGuard(c)
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        let _ = TEMP_PATH.compare_exchange(
            self.0,
            std::ptr::null_mut(),
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
        );
        // Safety: made by CString::into_raw in new, and no longer reachable by the handler.
        drop(unsafe { std::ffi::CString::from_raw(self.0) });
    }
}

/// Write a file atomically: a temporary file in the same directory, then rename; the
/// original's permissions are kept (new files get 0644).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_if_unchanged(path, None, contents)
}

/// `write_atomic`, and when `before` is given, only if the file still holds `before`: under an
/// exclusive lock on the directory, so that two runs on one file never both replace it (the
/// second finds the first one's change and fails instead of losing it silently).
fn write_if_unchanged(path: &Path, before: Option<&str>, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    check_writable(path)?;
    // The temp file is registered for the signal handler before a signal can come: one that
    // arrives while it is created waits, then removes it.
    install_temp_cleanup();
    let held = SignalsHeld::hold();
    let (mut tmp, _guard) = match tempfile::Builder::new()
        .prefix(".porch-registry-")
        .tempfile_in(dir)
    {
        Ok(t) => {
            let g = TempGuard::new(t.path());
            (t, g)
        }
        Err(e) => return Err(Error::io(dir, e)),
    };
    drop(held);
    tmp.write_all(contents).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    } else {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
    }
    let lock = std::fs::File::open(dir).map_err(|e| Error::io(dir, e))?;
    let _locked = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| Error::io(dir, std::io::Error::from(e)))?;
    if let Some(before) = before {
        let now = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        if now != before.as_bytes() {
            return Err(Error::other(format!(
                "{}: the file changed while this command ran (another run or an editor?); it was not written, so that change is kept; run the command again",
                path.display()
            )));
        }
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Write several files, each atomically. Everything to write is computed before this is
/// called, so an error in the edits leaves every file untouched.
pub fn write_all_atomic(files: &[(PathBuf, String)]) -> Result<()> {
    for (path, _) in files {
        check_writable(path)?;
    }
    for (path, text) in files {
        write_atomic(path, text.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_file_and_index() {
        let p = Package::from_text(
            "-",
            "# c\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n---\n---\nkind: Service\nmetadata:\n  name: b\n"
                .to_string(),
        )
        .unwrap();
        let docs: Vec<_> = p.documents().collect();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].1.index, 0);
        assert_eq!(docs[0].1.kind(), "ServiceAccount");
        assert_eq!(docs[1].1.index, 1);
        assert_eq!(docs[1].1.name(), "b");
    }

    #[test]
    fn malformed_yaml_is_a_usage_error_naming_the_file() {
        let e = Package::from_text("x.yaml", "a: [b\n".to_string()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("x.yaml: malformed YAML at line"), "{msg}");
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
    }

    #[test]
    fn edit_text_patches_a_deployment_inside_a_resource_list() {
        use crate::runner::plan::{DesiredConfig, Target, plan_patch, plan_remove};
        let text = "\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: porch-fn-runner
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: '2-function-runner.yaml'
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: function-runner
    annotations:
      config.kubernetes.io/index: '1'
  spec:
    template:
      spec:
        containers:
        - name: function-runner
          command:
          - /server
          - --pod-namespace=porch-fn-system # comment kept
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  data:
    tls: \"true\"
";
        let target = Target {
            deployment: "function-runner".into(),
            container: "function-runner".into(),
        };
        let desired = DesiredConfig {
            auth_secret_name: "registry-auth-secret".into(),
            auth_mount_path: "/var/tmp/auth-secret".into(),
            registry_auth_secret_name: "registry-auth-secret".into(),
            tls: None,
        };
        let (out, plan) = edit_text("stdin", text, "function-runner", None, |d| {
            plan_patch(d, &target, &desired)
        })
        .unwrap();
        assert!(!plan.is_empty());
        assert!(out.contains("          - --pod-namespace=porch-fn-system # comment kept\n          - --enable-private-registries=true\n"), "{out}");
        assert!(out.ends_with("        volumes:\n        - name: docker-config\n          secret:\n            secretName: registry-auth-secret\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    tls: \"true\"\n"), "{out}");
        let (again, plan) = edit_text("stdin", &out, "function-runner", None, |d| {
            plan_patch(d, &target, &desired)
        })
        .unwrap();
        assert!(plan.is_empty());
        assert_eq!(again, out);
        let (back, _) = edit_text("stdin", &out, "function-runner", None, |d| {
            plan_remove(d, &target, &desired)
        })
        .unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn atomic_write_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.yaml");
        std::fs::write(&p, "a").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&p, b"b").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "b");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
