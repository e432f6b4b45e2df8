//! The one package reader: a kpt package directory on disk -> its files and its package tree,
//! for every command that reads a directory (`check -f`, `patch -f`, `setup -f`, `remove -f`,
//! `run`, `render`).
//!
//! What is read, as kpt 1.0.0-beta.56 reads a package (kyaml `kio.LocalPackageReader` with
//! kpt's `MatchAllKRM`, `IncludeSubpackages`, `PackageFileName: Kptfile`; checked against
//! `kpt fn eval --exec`):
//!
//! - files named `Kptfile`, `*.yaml`, `*.yml`, `*.json`, in Go's `filepath.Walk` order (names
//!   sorted bytewise in each directory, depth first); hidden files and directories (`.git`
//!   included) are read like any other;
//! - each package (the root, and every directory with a `Kptfile`) has its own `.krmignore`
//!   (rules in [`super::krmignore`]), relative to the package's directory; it covers the
//!   package's own files and directories, not those of its subpackages, and it can ignore a
//!   subpackage's directory as a whole.
//!
//! What is not, where kpt would follow the link or block (issue 9.2): a package is a tree of
//! regular files.
//!
//! - a symbolic link to a regular file inside the package is read under the link's name (as
//!   kpt reads it); a link that leads outside the package, to a directory, to something that
//!   is not a regular file, or nowhere, is skipped; symlinked directories are never entered
//!   (kpt's walk does not enter them either); FIFOs, sockets and devices are skipped;
//! - every file is at most [`MAX_FILE_BYTES`] (an error names the file), read with that bound
//!   so a file growing while it is read cannot exhaust memory;
//! - what was skipped is in [`PackageTree::skipped`]; [`PackageTree::warn_skipped`] prints one
//!   `warning:` line per entry.
//!
//! The tree (for `render`): [`PackageTree::packages`] lists the root (index 0, whether or not it
//! has a `Kptfile`) and every subpackage, each with its direct subpackages sorted by path as
//! kpt's `DirectSubpackages` sorts them. [`PackageTree::package_files`] gives a package's own
//! files (kpt's `Pkg.LocalResources`: its `.krmignore` applied, subpackages excluded).
//! Subpackage discovery follows kpt's `Subpackages`: a subpackage whose directory the parent's
//! `.krmignore` ignores is still a subpackage (kpt `render` renders it) but is marked
//! [`PackageNode::ignored`], and its files are not among [`PackageTree::eval_files`] (what
//! `kpt fn eval` reads). Known difference: kpt's `Subpackages` never looks inside `.git`, its
//! reader does; here a `Kptfile` under `.git` makes a subpackage like the reader sees it.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::krmignore::KrmIgnore;

/// The largest file a package may hold (a function runner request is 6 MiB by default; kpt
/// has no limit, a link to `/dev/zero` used to fill the memory).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Deeper directory nesting is refused (it cannot be a package anyone wrote by hand).
const MAX_DEPTH: usize = 256;

/// The file names kpt reads as resources.
pub fn is_resource_file(name: &str) -> bool {
    name == "Kptfile"
        || name.ends_with(".yaml")
        || name.ends_with(".yml")
        || name.ends_with(".json")
}

/// A package read from disk.
#[derive(Debug, Clone)]
pub struct PackageTree {
    /// The directory as given.
    pub root: PathBuf,
    /// Every file read, in walk order; paths relative to `root`, `/`-separated.
    pub files: Vec<PackageFile>,
    /// `[0]` is the root; then every subpackage, parents before children.
    pub packages: Vec<PackageNode>,
    /// What was not read, and why.
    pub skipped: Vec<Skipped>,
}

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    /// Relative to the tree's root, `/`-separated (the `internal.config.kubernetes.io/path`
    /// kpt gives it when it reads the whole tree).
    pub rel: String,
    pub text: String,
    /// Index into [`PackageTree::packages`] of the package the file belongs to.
    pub package: usize,
}

/// A package in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageNode {
    /// Relative to the tree's root, `/`-separated; `""` for the root.
    pub dir: String,
    /// Has a `Kptfile` (always true for subpackages; the root may have none).
    pub has_kptfile: bool,
    pub parent: Option<usize>,
    /// Direct subpackages (indices), sorted by `dir` like kpt's `DirectSubpackages`.
    pub subpackages: Vec<usize>,
    /// An ancestor package's `.krmignore` ignores this package's directory: `kpt fn eval`
    /// reads none of its files, `kpt fn render` still renders it.
    pub ignored: bool,
}

impl PackageNode {
    /// `rel` (relative to the tree's root) made relative to this package's directory.
    pub fn local_path<'a>(&self, rel: &'a str) -> &'a str {
        if self.dir.is_empty() {
            rel
        } else {
            rel.strip_prefix(&self.dir)
                .and_then(|r| r.strip_prefix('/'))
                .unwrap_or(rel)
        }
    }
}

/// Something in the package directory that was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Relative to the tree's root.
    pub rel: String,
    pub why: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A symbolic link whose target is outside the package.
    LinkOutside,
    /// A symbolic link to a directory (never entered).
    LinkToDirectory,
    /// A symbolic link to something that does not exist (or a loop).
    BrokenLink,
    /// Not a regular file (FIFO, socket, device), or a link to one.
    NotRegular(&'static str),
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rel = &self.rel;
        match &self.why {
            SkipReason::LinkOutside => write!(
                f,
                "{rel}: skipped, a symbolic link that leads outside the package (packages are read as trees of regular files); copy the file into the package instead"
            ),
            SkipReason::LinkToDirectory => write!(
                f,
                "{rel}: skipped, a symbolic link to a directory (kpt does not enter those either); copy the directory into the package instead"
            ),
            SkipReason::BrokenLink => write!(
                f,
                "{rel}: skipped, a symbolic link that leads nowhere (or to itself); remove it"
            ),
            SkipReason::NotRegular(kind) => write!(
                f,
                "{rel}: skipped, a {kind}, not a regular file; remove it from the package or list it in .krmignore"
            ),
        }
    }
}

impl PackageTree {
    /// The files `kpt fn eval` reads: all files but those of ignored subpackages.
    pub fn eval_files(&self) -> impl Iterator<Item = &PackageFile> {
        self.files
            .iter()
            .filter(|f| !self.packages[f.package].ignored)
    }

    /// A package's own files (kpt's `LocalResources`), in walk order.
    pub fn package_files(&self, package: usize) -> impl Iterator<Item = &PackageFile> {
        self.files.iter().filter(move |f| f.package == package)
    }

    /// Print one `warning:` line for each thing skipped.
    pub fn warn_skipped(&self) {
        for s in &self.skipped {
            crate::ui::output::warn(s);
        }
    }
}

/// Read the package directory `root`.
pub fn read_tree(root: &Path) -> Result<PackageTree> {
    let meta = std::fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if !meta.is_dir() {
        return Err(Error::usage(format!(
            "{}: not a directory; give a kpt package directory",
            root.display()
        )));
    }
    let real_root = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    let mut w = Walker {
        root,
        real_root: &real_root,
        tree: PackageTree {
            root: root.to_path_buf(),
            files: Vec::new(),
            packages: vec![PackageNode {
                dir: String::new(),
                has_kptfile: false,
                parent: None,
                subpackages: Vec::new(),
                ignored: false,
            }],
            skipped: Vec::new(),
        },
    };
    let root_entries = w.entries("")?;
    w.tree.packages[0].has_kptfile = root_entries.iter().any(|e| e.name == "Kptfile");
    let ignore = w.read_krmignore("")?;
    w.walk_dir("", root_entries, 0, &ignore, false, 0)?;
    let tree = &mut w.tree;
    for i in 0..tree.packages.len() {
        let mut subs = std::mem::take(&mut tree.packages[i].subpackages);
        subs.sort_by(|a, b| tree.packages[*a].dir.cmp(&tree.packages[*b].dir));
        tree.packages[i].subpackages = subs;
    }
    Ok(w.tree)
}

struct Entry {
    name: String,
    rel: String,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Link,
    Other(&'static str),
}

fn kind_of(ft: std::fs::FileType) -> Kind {
    if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File
    } else if ft.is_symlink() {
        Kind::Link
    } else if ft.is_fifo() {
        Kind::Other("FIFO (named pipe)")
    } else if ft.is_socket() {
        Kind::Other("socket")
    } else if ft.is_block_device() || ft.is_char_device() {
        Kind::Other("device")
    } else {
        Kind::Other("special file")
    }
}

struct Walker<'a> {
    root: &'a Path,
    real_root: &'a Path,
    tree: PackageTree,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

impl Walker<'_> {
    fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.root.to_path_buf()
        } else {
            self.root.join(rel)
        }
    }

    /// The directory's entries, sorted by name bytewise (Go's `filepath.Walk`).
    fn entries(&self, dir: &str) -> Result<Vec<Entry>> {
        let path = self.path(dir);
        let mut out = Vec::new();
        for e in std::fs::read_dir(&path).map_err(|e| Error::io(&path, e))? {
            let e = e.map_err(|err| Error::io(&path, err))?;
            let ft = e.file_type().map_err(|err| Error::io(e.path(), err))?;
            let name = e.file_name().to_string_lossy().into_owned();
            out.push(Entry {
                rel: join(dir, &name),
                name,
                kind: kind_of(ft),
            });
        }
        out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(out)
    }

    /// The `.krmignore` of the package in `dir` (none: ignores nothing).
    fn read_krmignore(&mut self, dir: &str) -> Result<KrmIgnore> {
        let rel = join(dir, ".krmignore");
        let path = self.path(&rel);
        let Ok(md) = std::fs::symlink_metadata(&path) else {
            return Ok(KrmIgnore::default());
        };
        let Some(text) = self.read_entry(&rel, kind_of(md.file_type()))? else {
            return Ok(KrmIgnore::default());
        };
        KrmIgnore::parse(&text).map_err(|e| Error::usage(format!("{}: {e}", path.display())))
    }

    /// Read a file found by the walk: a regular file, or a link to a regular file inside the
    /// package; anything else is recorded as skipped (`None`).
    fn read_entry(&mut self, rel: &str, kind: Kind) -> Result<Option<String>> {
        let path = self.path(rel);
        let target = match kind {
            Kind::File => path.clone(),
            Kind::Dir => return Ok(None),
            Kind::Other(what) => {
                self.skip(rel, SkipReason::NotRegular(what));
                return Ok(None);
            }
            Kind::Link => {
                let Ok(real) = std::fs::canonicalize(&path) else {
                    self.skip(rel, SkipReason::BrokenLink);
                    return Ok(None);
                };
                if !real.starts_with(self.real_root) {
                    self.skip(rel, SkipReason::LinkOutside);
                    return Ok(None);
                }
                match std::fs::symlink_metadata(&real).map(|m| kind_of(m.file_type())) {
                    Ok(Kind::File) => real,
                    Ok(Kind::Dir) => {
                        self.skip(rel, SkipReason::LinkToDirectory);
                        return Ok(None);
                    }
                    Ok(Kind::Other(what)) => {
                        self.skip(rel, SkipReason::NotRegular(what));
                        return Ok(None);
                    }
                    _ => {
                        self.skip(rel, SkipReason::BrokenLink);
                        return Ok(None);
                    }
                }
            }
        };
        read_regular(&path, &target).map(Some)
    }

    fn skip(&mut self, rel: &str, why: SkipReason) {
        self.tree.skipped.push(Skipped {
            rel: rel.to_string(),
            why,
        });
    }

    /// Walk the entries of `dir`, which belongs to package `pkg` (whose directory is
    /// `pkg_dir`-relative ignore rules `ignore`). `ignored`: an ancestor's `.krmignore`
    /// excluded this part of the tree (files are not read, subpackages are still found).
    fn walk_dir(
        &mut self,
        dir: &str,
        entries: Vec<Entry>,
        pkg: usize,
        ignore: &KrmIgnore,
        ignored: bool,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::usage(format!(
                "{}: directories nested more than {MAX_DEPTH} deep; this is not a kpt package",
                self.path(dir).display()
            )));
        }
        let pkg_dir = self.tree.packages[pkg].dir.clone();
        for e in entries {
            let local = if pkg_dir.is_empty() {
                e.rel.as_str()
            } else {
                &e.rel[pkg_dir.len() + 1..]
            };
            match e.kind {
                Kind::Dir => {
                    let dir_ignored = ignored || ignore.is_ignored(local, true);
                    let sub_entries = self.entries(&e.rel)?;
                    if sub_entries.iter().any(|s| s.name == "Kptfile") {
                        let idx = self.tree.packages.len();
                        self.tree.packages.push(PackageNode {
                            dir: e.rel.clone(),
                            has_kptfile: true,
                            parent: Some(pkg),
                            subpackages: Vec::new(),
                            ignored: dir_ignored,
                        });
                        self.tree.packages[pkg].subpackages.push(idx);
                        // An ignored subpackage's files are still read: `render` renders it.
                        let sub_ignore = self.read_krmignore(&e.rel)?;
                        self.walk_dir(&e.rel, sub_entries, idx, &sub_ignore, false, depth + 1)?;
                    } else {
                        self.walk_dir(&e.rel, sub_entries, pkg, ignore, dir_ignored, depth + 1)?;
                    }
                }
                _ => {
                    if ignored || ignore.is_ignored(local, false) {
                        continue;
                    }
                    if !is_resource_file(&e.name) {
                        // Not a resource, but a linked directory may hold some: say so.
                        if e.kind == Kind::Link && self.path(&e.rel).is_dir() {
                            self.skip(&e.rel, SkipReason::LinkToDirectory);
                        }
                        continue;
                    }
                    if let Some(text) = self.read_entry(&e.rel, e.kind)? {
                        self.tree.files.push(PackageFile {
                            rel: e.rel,
                            text,
                            package: pkg,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// Read a regular file (`shown` in messages; `target` the real path, opened without following
/// a link and without blocking), at most [`MAX_FILE_BYTES`], as UTF-8.
pub fn read_regular(shown: &Path, target: &Path) -> Result<String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(target)
        .map_err(|e| Error::io(shown, e))?;
    let md = file.metadata().map_err(|e| Error::io(shown, e))?;
    if !md.is_file() {
        return Err(Error::usage(format!(
            "{}: not a regular file; remove it from the package",
            shown.display()
        )));
    }
    read_bounded(shown, file, md.len())
}

/// Read at most [`MAX_FILE_BYTES`] from `r` as UTF-8 text (`len`: the expected size, for the
/// message when it is already too big).
pub fn read_bounded(shown: &Path, r: impl Read, len: u64) -> Result<String> {
    let too_big = || {
        Error::usage(format!(
            "{}: larger than {} MiB, the most a package file may hold; move it out of the package or list it in .krmignore",
            shown.display(),
            MAX_FILE_BYTES >> 20
        ))
    };
    if len > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    r.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(shown, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|_| {
        Error::usage(format!(
            "{}: not UTF-8 text; manifests must be UTF-8 YAML",
            shown.display()
        ))
    })
}

/// Read stdin, at most [`MAX_FILE_BYTES`], as UTF-8; `hint` says what to pipe in.
pub fn read_stdin(hint: &str) -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::usage(format!("stdin: {e}; {hint}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::usage(format!(
            "stdin: more than {} MiB; {hint} (at most {} MiB)",
            MAX_FILE_BYTES >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|_| Error::usage(format!("stdin: not UTF-8 text; {hint}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn rels(t: &PackageTree) -> Vec<&str> {
        t.eval_files().map(|f| f.rel.as_str()).collect()
    }

    #[test]
    fn walk_order_file_types_and_subpackage_krmignore_like_kpt() {
        // The package of the kpt comparison in tests/it (observed with kpt fn eval).
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        for f in [
            "Kptfile",
            "a.yaml",
            ".h.yaml",
            ".hidden/b.yaml",
            ".git/c.yaml",
            "sub/d.yml",
            "ig/e.yaml",
            "sp/Kptfile",
            "sp/x/f.yaml",
            "sp/g.yaml",
            "sub/j.json",
            "k.yaml.bak",
            "notes.txt",
        ] {
            write(r, f, "kind: X\n");
        }
        write(r, ".krmignore", "ig/\n");
        write(r, "sp/.krmignore", "g.yaml\n");
        let t = read_tree(r).unwrap();
        assert_eq!(
            rels(&t),
            [
                ".git/c.yaml",
                ".h.yaml",
                ".hidden/b.yaml",
                "Kptfile",
                "a.yaml",
                "sp/Kptfile",
                "sp/x/f.yaml",
                "sub/d.yml",
                "sub/j.json"
            ]
        );
        assert_eq!(t.packages.len(), 2);
        assert_eq!(t.packages[1].dir, "sp");
        assert_eq!(t.packages[0].subpackages, vec![1]);
        let own: Vec<&str> = t
            .package_files(1)
            .map(|f| t.packages[1].local_path(&f.rel))
            .collect();
        assert_eq!(own, ["Kptfile", "x/f.yaml"]);
        assert!(t.skipped.is_empty());
    }

    #[test]
    fn an_ignored_subpackage_is_still_in_the_tree() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(r, "Kptfile", "kind: Kptfile\n");
        write(r, "sp/Kptfile", "kind: Kptfile\n");
        write(r, "sp/a.yaml", "kind: A\n");
        write(r, "b-c/Kptfile", "kind: Kptfile\n");
        write(r, ".krmignore", "sp\n");
        let t = read_tree(r).unwrap();
        assert_eq!(rels(&t), ["Kptfile", "b-c/Kptfile"]);
        let sp = t.packages.iter().position(|p| p.dir == "sp").unwrap();
        assert!(t.packages[sp].ignored);
        assert_eq!(t.package_files(sp).count(), 2);
        let dirs: Vec<&str> = t.packages[0]
            .subpackages
            .iter()
            .map(|&i| t.packages[i].dir.as_str())
            .collect();
        assert_eq!(dirs, ["b-c", "sp"]);
    }

    #[test]
    fn links_and_special_files_are_skipped_with_a_reason() {
        let d = tempfile::tempdir().unwrap();
        let outside = d.path().join("outside");
        write(&outside, "secret.json", "{\"auths\": {}}\n");
        let r = d.path().join("pkg");
        write(&r, "a.yaml", "kind: A\n");
        symlink(outside.join("secret.json"), r.join("z.yaml")).unwrap();
        symlink("a.yaml", r.join("inside.yaml")).unwrap();
        symlink(&outside, r.join("dirlink")).unwrap();
        symlink(".", r.join("loop.yaml")).unwrap();
        symlink("self.yaml", r.join("self.yaml")).unwrap();
        symlink("/dev/zero", r.join("zero.yaml")).unwrap();
        nix::unistd::mkfifo(&r.join("fifo.yaml"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let t = read_tree(&r).unwrap();
        assert_eq!(rels(&t), ["a.yaml", "inside.yaml"]);
        let skipped: Vec<(&str, &SkipReason)> =
            t.skipped.iter().map(|s| (s.rel.as_str(), &s.why)).collect();
        assert_eq!(
            skipped,
            [
                ("dirlink", &SkipReason::LinkToDirectory),
                ("fifo.yaml", &SkipReason::NotRegular("FIFO (named pipe)")),
                ("loop.yaml", &SkipReason::LinkToDirectory),
                ("self.yaml", &SkipReason::BrokenLink),
                ("z.yaml", &SkipReason::LinkOutside),
                ("zero.yaml", &SkipReason::LinkOutside),
            ]
        );
        assert!(
            t.skipped[4]
                .to_string()
                .starts_with("z.yaml: skipped, a symbolic link that leads outside the package")
        );
    }

    #[test]
    fn a_bad_krmignore_line_and_a_huge_file_are_errors() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), ".krmignore", "ok\n!\n");
        let e = read_tree(d.path()).unwrap_err().to_string();
        assert!(
            e.contains(".krmignore: line 2: \"!\" is not a pattern"),
            "{e}"
        );
        let e = read_bounded(Path::new("big.yaml"), std::io::repeat(b'a'), 0).unwrap_err();
        assert!(
            e.to_string().starts_with("big.yaml: larger than 64 MiB"),
            "{e}"
        );
    }
}
