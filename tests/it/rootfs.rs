//! Layer application (src/rootfs) on real tar/gzip/zstd blobs: whiteouts, opaque directories,
//! links, and a malicious layer that tries every escape.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use porch_registry::sandbox::rootfs::{self, LayerSource};

/// Build a raw tar header with arbitrary (unsanitised) name and link name.
fn header(name: &str, kind: tar::EntryType, link: &str, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    {
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_cksum();
    h
}

enum E<'a> {
    Dir(&'a str),
    File(&'a str, &'a str),
    Sym(&'a str, &'a str),
    Hard(&'a str, &'a str),
    Char(&'a str),
    Fifo(&'a str),
}

fn tar_bytes(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        match e {
            E::Dir(n) => b.append(
                &header(n, tar::EntryType::Directory, "", 0, 0o755),
                &b""[..],
            ),
            E::File(n, c) => b.append(
                &header(n, tar::EntryType::Regular, "", c.len() as u64, 0o644),
                c.as_bytes(),
            ),
            E::Sym(n, t) => b.append(&header(n, tar::EntryType::Symlink, t, 0, 0o777), &b""[..]),
            E::Hard(n, t) => b.append(&header(n, tar::EntryType::Link, t, 0, 0o644), &b""[..]),
            E::Char(n) => b.append(&header(n, tar::EntryType::Char, "", 0, 0o666), &b""[..]),
            E::Fifo(n) => b.append(&header(n, tar::EntryType::Fifo, "", 0, 0o666), &b""[..]),
        }
        .unwrap();
    }
    b.into_inner().unwrap()
}

#[derive(Clone, Copy)]
enum Comp {
    Plain,
    Gzip,
    Zstd,
}

/// Unpack into the cache's private `rootfs/` as `run` does.
fn unpack(cache: &Path, layers: &[LayerSource]) -> porch_registry::error::Result<PathBuf> {
    rootfs::unpack_cached(&porch_registry::registry::cache::rootfs_dir(cache)?, layers)
}

fn write_layer(dir: &Path, n: usize, entries: &[E], comp: Comp) -> LayerSource {
    let raw = tar_bytes(entries);
    let (bytes, mt) = match comp {
        Comp::Plain => (raw, "application/vnd.oci.image.layer.v1.tar"),
        Comp::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&raw).unwrap();
            (
                enc.finish().unwrap(),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        }
        Comp::Zstd => (
            zstd::encode_all(&raw[..], 3).unwrap(),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
    };
    let path = dir.join(format!("layer{n}"));
    std::fs::write(&path, &bytes).unwrap();
    let digest = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
    );
    LayerSource {
        digest,
        media_type: mt.to_string(),
        path,
    }
}

/// Everything under `dir` except `skip`: path -> (kind, content/target, mode).
fn snapshot(dir: &Path, skip: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p == skip {
                continue;
            }
            let md = std::fs::symlink_metadata(&p).unwrap();
            let v = if md.file_type().is_symlink() {
                format!("link {}", std::fs::read_link(&p).unwrap().display())
            } else if md.is_dir() {
                todo.push(p.clone());
                format!("dir {:o}", md.mode())
            } else {
                format!(
                    "file {:o} {}",
                    md.mode(),
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap())
                )
            };
            out.insert(p, v);
        }
    }
    out
}

#[test]
fn multi_layer_whiteouts_opaque_links_and_compressions() {
    let t = tempfile::tempdir().unwrap();
    let l1 = write_layer(
        t.path(),
        1,
        &[
            E::Dir("etc/"),
            E::File("etc/keep", "keep"),
            E::File("etc/gone", "gone"),
            E::Dir("etc/app/"),
            E::File("etc/app/old1", "1"),
            E::File("etc/app/old2", "2"),
            E::Dir("usr/lib/"),
            E::File("usr/lib/libx.so.1", "lib"),
            E::Sym("lib", "usr/lib"),
            E::Hard("etc/keep-hard", "etc/keep"),
            E::File("bin/tool", "#!/bin/sh\n"),
            E::Char("dev/evil-null"),
            E::Fifo("run-fifo"),
        ],
        Comp::Gzip,
    );
    let l2 = write_layer(
        t.path(),
        2,
        &[
            E::File("etc/.wh.gone", ""),
            // Entry of this layer listed before the opaque marker stays.
            E::File("etc/app/new-before", "b"),
            // Its parent directory is created implicitly, also before the marker.
            E::File("etc/app/newsub/f", "n"),
            E::File("etc/app/.wh..wh..opq", ""),
            E::File("etc/app/new-after", "a"),
            // Written through the symlink `lib` -> usr/lib (inside the root).
            E::File("lib/libx.so.2", "lib2"),
            E::File("bin/tool", "replaced"),
        ],
        Comp::Zstd,
    );
    let l3 = write_layer(
        t.path(),
        3,
        &[E::File("usr/.wh.lib", ""), E::File("etc/third", "3")],
        Comp::Plain,
    );
    let cache = t.path().join("cache");
    let layers = vec![l1, l2, l3];
    let root = unpack(&cache, &layers).unwrap();
    assert!(root.starts_with(cache.join("rootfs")));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    assert_eq!(read("etc/keep"), "keep");
    assert!(
        !root.join("etc/gone").exists(),
        "whiteout removes the lower file"
    );
    assert!(
        !root.join("etc/.wh.gone").exists(),
        "whiteout markers are not created"
    );
    let mut app: Vec<_> = std::fs::read_dir(root.join("etc/app"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    app.sort();
    assert_eq!(
        app,
        vec!["new-after", "new-before", "newsub"],
        "opaque dir hides only lower layers"
    );
    assert_eq!(read("etc/app/newsub/f"), "n");
    assert_eq!(read("bin/tool"), "replaced");
    assert_eq!(read("etc/third"), "3");
    // Hard link shares the inode.
    let a = std::fs::metadata(root.join("etc/keep")).unwrap();
    let b = std::fs::metadata(root.join("etc/keep-hard")).unwrap();
    assert_eq!(a.ino(), b.ino());
    // usr/lib whited out by layer 3, the symlink stays dangling.
    assert!(!root.join("usr/lib").exists());
    assert_eq!(
        std::fs::read_link(root.join("lib")).unwrap(),
        PathBuf::from("usr/lib")
    );
    // Devices and FIFOs are skipped.
    assert!(std::fs::symlink_metadata(root.join("dev/evil-null")).is_err());
    assert!(std::fs::symlink_metadata(root.join("run-fifo")).is_err());
    // Mount points for the sandbox exist.
    for d in ["tmp", "proc", "dev"] {
        assert!(root.join(d).is_dir(), "{d}");
    }
    // Cached: the second call reuses the same directory and leaves no temp dirs behind.
    std::fs::write(root.join("marker"), "x").unwrap();
    let again = unpack(&cache, &layers).unwrap();
    assert_eq!(again, root);
    assert!(again.join("marker").exists());
    let leftovers: Vec<_> = std::fs::read_dir(cache.join("rootfs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn malicious_layer_cannot_touch_anything_outside_the_root() {
    let t = tempfile::tempdir().unwrap();
    let outer = t.path().join("outer");
    std::fs::create_dir_all(outer.join("victim-dir")).unwrap();
    std::fs::write(outer.join("victim.txt"), "original").unwrap();
    std::fs::write(outer.join("victim-dir/file"), "original").unwrap();
    std::fs::set_permissions(
        outer.join("victim.txt"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let root = outer.join("root");
    std::fs::create_dir(&root).unwrap();
    let abs_outer = outer.to_str().unwrap().to_string();
    let victim_abs = format!("{abs_outer}/victim.txt");
    let victim_dir_abs = format!("{abs_outer}/victim-dir");
    let blobs = t.path().join("blobs");
    std::fs::create_dir(&blobs).unwrap();
    let l1 = write_layer(
        &blobs,
        1,
        &[
            // Plain `..` escapes.
            E::File("../victim.txt", "pwned"),
            E::File("a/../../victim.txt", "pwned"),
            E::File(
                "../../../../../../../../tmp/porch-rootfs-escape-test",
                "pwned",
            ),
            // Absolute paths.
            E::File(&victim_abs, "pwned"),
            // Symlinked parent pointing outside (absolute and relative), then a file through it.
            E::Sym("abs-link", &victim_dir_abs),
            E::File("abs-link/file", "pwned"),
            E::File("abs-link/new", "pwned"),
            E::Sym("rel-link", "../victim-dir"),
            E::File("rel-link/file", "pwned"),
            E::Sym("deep/up", "../../../../.."),
            E::File("deep/up/victim.txt", "pwned"),
            // Symlink as the final component, then a regular file of the same name: the file
            // replaces the link, never writes through it.
            E::Sym("victim-link", &victim_abs),
            E::File("victim-link", "pwned"),
            // Hard links to outside.
            E::Hard("hard-out", &victim_abs),
            E::Hard("hard-rel", "../victim.txt"),
            // Hard link to a symlink that points outside: links the symlink, not its target.
            E::Sym("to-victim", &victim_abs),
            E::Hard("hard-via-sym", "to-victim"),
            // Whiteouts aiming outside.
            E::File("../.wh.victim.txt", ""),
            E::File("rel-link/.wh.file", ""),
            E::File("abs-link/.wh..wh..opq", ""),
            // Device node.
            E::Char("dev/sda"),
            // The final name itself is `..`.
            E::File("x/..", "pwned"),
        ],
        Comp::Gzip,
    );
    // A second layer writes through a symlink left by the first one.
    let l2 = write_layer(
        &blobs,
        2,
        &[
            E::File("abs-link/second", "pwned"),
            E::Hard("h2", "abs-link/file"),
        ],
        Comp::Plain,
    );
    let before = snapshot(&outer, &root);
    let mut rejected = Vec::new();
    for l in [&l1, &l2] {
        let stats = rootfs::apply_layer(&root, l).unwrap();
        rejected.extend(stats.rejected);
    }
    let after = snapshot(&outer, &root);
    assert_eq!(before, after, "nothing outside the root changed");
    assert!(!Path::new("/tmp/porch-rootfs-escape-test").exists());
    // What landed inside the root instead.
    // `../victim.txt` landed at /victim.txt in the root, and `../.wh.victim.txt` removed it there.
    assert!(!root.join("victim.txt").exists());
    assert!(root.join("a").is_dir() && !root.join("a/victim.txt").exists());
    assert!(root.join("tmp/porch-rootfs-escape-test").exists());
    assert!(root.join(victim_abs.trim_start_matches('/')).exists());
    assert!(
        root.join(victim_dir_abs.trim_start_matches('/'))
            .join("second")
            .exists()
    );
    assert!(
        std::fs::symlink_metadata(root.join("victim-link"))
            .unwrap()
            .is_file()
    );
    assert!(
        std::fs::symlink_metadata(root.join("hard-via-sym"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::symlink_metadata(root.join("dev/sda")).is_err());
    assert!(rejected.iter().any(|r| r == "x/.."), "{rejected:?}");
    // Nothing in the root links to an inode outside it.
    let victim_ino = std::fs::metadata(outer.join("victim.txt")).unwrap().ino();
    for (p, _) in snapshot(&root, Path::new("/nonexistent")) {
        let md = std::fs::symlink_metadata(&p).unwrap();
        assert_ne!(
            md.ino(),
            victim_ino,
            "{} is a hard link to the victim",
            p.display()
        );
    }
}

#[test]
fn mislabelled_blob_is_rejected() {
    let t = tempfile::tempdir().unwrap();
    let mut l = write_layer(t.path(), 1, &[E::File("a", "a")], Comp::Plain);
    l.media_type = "application/vnd.oci.image.layer.v1.tar+gzip".into();
    let root = t.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let err = rootfs::apply_layer(&root, &l).unwrap_err().to_string();
    assert!(err.contains("mislabelled"), "{err}");
    // A truncated gzip stream fails instead of producing a partial cached root.
    let mut l = write_layer(
        t.path(),
        2,
        &[E::File("a", &"x".repeat(100_000))],
        Comp::Gzip,
    );
    let bytes = std::fs::read(&l.path).unwrap();
    l.path = t.path().join("trunc");
    std::fs::write(&l.path, &bytes[..bytes.len() / 2]).unwrap();
    let cache = t.path().join("cache");
    assert!(unpack(&cache, &[l]).is_err());
    let left: Vec<_> = std::fs::read_dir(cache.join("rootfs")).unwrap().collect();
    assert!(left.is_empty(), "no partial root is cached");
}

#[test]
fn concurrent_unpacks_of_the_same_image_agree() {
    let t = tempfile::tempdir().unwrap();
    let big = "y".repeat(1 << 20);
    let layers = vec![
        write_layer(
            t.path(),
            1,
            &[
                E::Dir("a/"),
                E::File("a/big", &big),
                E::File("a/small", "s"),
            ],
            Comp::Gzip,
        ),
        write_layer(t.path(), 2, &[E::File("a/.wh.small", "")], Comp::Zstd),
    ];
    let cache = t.path().join("cache");
    let roots: Vec<PathBuf> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| unpack(&cache, &layers).unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(roots.windows(2).all(|w| w[0] == w[1]), "{roots:?}");
    assert_eq!(
        std::fs::read_to_string(roots[0].join("a/big")).unwrap(),
        big
    );
    assert!(!roots[0].join("a/small").exists());
    let entries: Vec<_> = std::fs::read_dir(cache.join("rootfs"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "one root, no temporary leftovers: {entries:?}"
    );
}
