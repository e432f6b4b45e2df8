//! The `-f PATH` input of `check`, `patch` (and `remove -f`, `setup -f`) and `explain`: the
//! package reader (`krm::tree`) reads the files, `manifests` parses their documents.

use std::path::Path;

use crate::error::{Error, Result};
use crate::krm::tree;
use crate::manifests::{ManifestFile, Package, Source, display_path};

/// Load a manifest file, a directory (a kpt package, read by the one package reader
/// `krm::tree` as `kpt fn eval` reads it: `Kptfile`, `*.yaml`, `*.yml`, `*.json`, `.krmignore`
/// with kpt's rules, links out of the package and special files skipped with a warning), or
/// `-` for stdin; each file's documents parsed by `manifests`.
pub fn load_manifests(path: &Path) -> Result<Package> {
    if path.as_os_str() == "-" {
        let text = tree::read_stdin("pipe YAML manifests into -f -")?;
        return Package::from_text("-", text);
    }
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        let files = load_dir(path)?;
        if files.is_empty() {
            return Err(Error::not_found(format!(
                "{}: no Kptfile, *.yaml, *.yml or *.json files in this directory; point -f at a manifest file or a kpt package",
                display_path(path)
            )));
        }
        Ok(Package {
            source: Source::Dir(path.to_path_buf()),
            files,
        })
    } else {
        let text = read_text(path)?;
        let rel = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| display_path(path));
        let file = ManifestFile::parse(path.to_path_buf(), rel, text)?;
        Ok(Package {
            source: Source::File(path.to_path_buf()),
            files: vec![file],
        })
    }
}

/// A file named on the command line: followed if it is a link, read whatever it is (a pipe
/// from `<(...)` too), at most `krm::tree::MAX_FILE_BYTES`.
fn read_text(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    tree::read_bounded(path, file, len)
}

fn load_dir(root: &Path) -> Result<Vec<ManifestFile>> {
    let tree = tree::read_tree(root)?;
    tree.warn_skipped();
    tree.eval_files()
        .map(|f| ManifestFile::parse(root.join(&f.rel), f.rel.clone(), f.text.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_dir_walks_a_kpt_package() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("Kptfile"),
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\n",
        )
        .unwrap();
        std::fs::write(root.join("a.yaml"), "kind: A\n").unwrap();
        std::fs::write(root.join("notes.txt"), "x: [").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/b.yml"), "kind: B\n").unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::write(root.join(".git/c.yaml"), "kind: C\n").unwrap();
        std::fs::create_dir(root.join("ignored")).unwrap();
        std::fs::write(root.join("ignored/d.yaml"), "kind: D\n").unwrap();
        std::fs::write(root.join(".krmignore"), "ignored/\n").unwrap();
        let p = load_manifests(root).unwrap();
        let rels: Vec<_> = p.files.iter().map(|f| f.rel_path.as_str()).collect();
        // As kpt fn eval reads it: hidden directories, `.git` included, are read too.
        assert_eq!(rels, vec![".git/c.yaml", "Kptfile", "a.yaml", "sub/b.yml"]);
        assert_eq!(p.objects().len(), 4);
    }

    #[test]
    fn missing_path_is_not_found() {
        let e = load_manifests(Path::new("/nonexistent/x.yaml")).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::NOT_FOUND);
    }
}
