//! Apply OCI image layers into a root filesystem, safely, and cache the result.
//!
//! Every path in a layer is resolved component by component inside the root with
//! `openat(..., O_NOFOLLOW)`: `..` never climbs above the root, absolute symlinks are resolved
//! relative to the root, and the final component is always created with `*at` calls that do not
//! follow symlinks. So no entry, symlink or hard link can write outside the root, whatever the
//! archive says. OCI whiteouts (`.wh.NAME`, `.wh..wh..opq`) are honoured, device nodes and
//! FIFOs are skipped, ownership is not applied (the sandbox maps one user), set-id bits are
//! dropped. Layers are streamed (gzip, zstd or plain tar, detected by magic bytes and checked
//! against the media type); nothing holds a whole layer in memory.
//!
//! Unpacked roots are cached under `CACHE/rootfs/<sha256 of the ordered layer digests>`, built
//! in a temporary directory next to it and renamed into place only when complete. The private
//! `CACHE/rootfs` directory itself is the image cache's (`registry::cache::rootfs_dir`): the
//! command hands it over.

use std::collections::{HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat, readlinkat};
use nix::sys::stat::{Mode, SFlag, fchmod, fstatat, mkdirat};
use nix::unistd::{UnlinkatFlags, linkat, symlinkat, unlinkat};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
pub use crate::runner::oci::LayerSource;

/// Bump when the unpacking rules change, so old cached roots are not reused.
const ROOTFS_FORMAT: &str = "rootfs-v1";
/// Linux's own limit on symlinks followed while resolving one path.
const MAX_SYMLINKS: u32 = 40;

/// What applying one or more layers did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApplyStats {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub hardlinks: u64,
    pub whiteouts: u64,
    pub opaque_dirs: u64,
    /// Character/block devices and FIFOs that were not created.
    pub skipped_special: u64,
    /// Entries refused because their own name is not a plain name (`..`, empty).
    pub rejected: Vec<String>,
}

/// Compression of a layer blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

fn media_type_compression(media_type: &str) -> Option<Compression> {
    let mt = media_type.to_ascii_lowercase();
    if mt.ends_with("+gzip") || mt.ends_with(".gzip") || mt.ends_with("tar.gzip") {
        Some(Compression::Gzip)
    } else if mt.ends_with("+zstd") || mt.ends_with(".zstd") {
        Some(Compression::Zstd)
    } else if mt.ends_with(".tar")
        || mt.ends_with("layer.v1.tar")
        || mt.ends_with(".rootfs.diff.tar")
    {
        Some(Compression::None)
    } else {
        None
    }
}

fn magic_compression(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// The compression of a layer blob, from its first bytes.
pub fn detect_compression(path: &Path) -> Result<Compression> {
    let mut head = [0u8; 4];
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]).map_err(|e| Error::io(path, e))? {
            0 => break,
            k => n += k,
        }
    }
    Ok(magic_compression(&head[..n]))
}

/// Open a layer blob as a stream of tar bytes, decompressing as its magic bytes say. A media
/// type that claims a compression the bytes do not have is an error (a mislabelled or corrupt
/// blob); a plain-tar media type with compressed bytes is accepted, as engines do.
pub fn open_layer(layer: &LayerSource) -> Result<Box<dyn Read>> {
    let file = File::open(&layer.path).map_err(|e| Error::io(&layer.path, e))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let head = reader
        .fill_buf()
        .map_err(|e| Error::io(&layer.path, e))?
        .to_vec();
    let found = magic_compression(&head);
    if let Some(claimed) = media_type_compression(&layer.media_type)
        && claimed != Compression::None
        && claimed != found
    {
        return Err(Error::other(format!(
            "layer {}: media type {} says {:?} but the blob is {:?}; the image is mislabelled or corrupt",
            layer.digest, layer.media_type, claimed, found
        )));
    }
    Ok(match found {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(reader)
                .map_err(|e| Error::other(format!("layer {}: zstd: {e}", layer.digest)))?,
        ),
        Compression::None => Box::new(reader),
    })
}

/// The cache key of an unpacked root: the ordered layer digests.
pub fn root_key(layers: &[LayerSource]) -> String {
    let mut h = Sha256::new();
    h.update(ROOTFS_FORMAT.as_bytes());
    h.update(b"\n");
    for l in layers {
        h.update(l.digest.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// Unpack `layers` (bottom first) into `BASE/<key>` unless it is already there (`base`: the
/// cache's private `rootfs/`, see `registry::cache::rootfs_dir`);
/// return the root's path. Built in a temporary sibling and renamed into place atomically, so a
/// half-built root is never used; concurrent callers race harmlessly (the loser discards its copy).
pub fn unpack_cached(base: &Path, layers: &[LayerSource]) -> Result<PathBuf> {
    let final_dir = base.join(root_key(layers));
    if final_dir.is_dir() {
        return Ok(final_dir);
    }
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(base)
        .map_err(|e| Error::io(base, e))?;
    let tmp_path = tmp.path().to_path_buf();
    std::fs::set_permissions(
        &tmp_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .map_err(|e| Error::io(&tmp_path, e))?;
    for layer in layers {
        apply_layer(&tmp_path, layer)?;
    }
    prepare_for_run(&tmp_path)?;
    // Keep the directory: disarm the TempDir, then rename.
    let tmp_path = tmp.keep();
    match std::fs::rename(&tmp_path, &final_dir) {
        Ok(()) => Ok(final_dir),
        Err(_) if final_dir.is_dir() => {
            let _ = std::fs::remove_dir_all(&tmp_path);
            Ok(final_dir)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp_path);
            Err(Error::io(&final_dir, e))
        }
    }
}

/// Make sure the mount points the sandbox needs exist as real directories (`/tmp`, `/proc`,
/// `/dev`), replacing anything else a layer put there. Done once, before the root is cached.
pub fn prepare_for_run(root: &Path) -> Result<()> {
    let rootfd = open_root(root)?;
    for name in ["tmp", "proc", "dev"] {
        let r = (|| -> io::Result<()> {
            match fstatat(rootfd.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                Ok(st)
                    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR =>
                {
                    return Ok(());
                }
                Ok(_) => remove_at(rootfd.as_fd(), OsStr::new(name))?,
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(e.into()),
            }
            mkdirat(rootfd.as_fd(), name, Mode::from_bits_truncate(0o755))?;
            Ok(())
        })();
        r.map_err(|e| Error::other(format!("{}: preparing /{name}: {e}", root.display())))?;
    }
    Ok(())
}

fn open_root(root: &Path) -> Result<OwnedFd> {
    nix::fcntl::open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io(root, e.into()))
}

/// Apply one layer blob on top of the directory `root`.
pub fn apply_layer(root: &Path, layer: &LayerSource) -> Result<ApplyStats> {
    let reader = open_layer(layer)?;
    let rootfd = open_root(root)?;
    apply_tar(rootfd.as_fd(), reader).map_err(|e| {
        Error::other(format!(
            "layer {} ({}): {e}",
            layer.digest,
            layer.path.display()
        ))
    })
}

/// Open the directory `rel` inside `root` (an `O_PATH` descriptor), resolving every component
/// inside the root (symlinks as if `root` were `/`). With `create`, missing directories are made.
/// `Ok(None)` when it does not exist.
pub fn open_dir_in_root(root: &Path, rel: &str, create: bool) -> io::Result<Option<OwnedFd>> {
    let rootfd = nix::fcntl::open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let comps = split_components(rel.as_bytes());
    Ok(match resolve_dir(rootfd.as_fd(), &comps, create)? {
        None => None,
        Some(r) => Some(match r.fd {
            Some(fd) => fd,
            None => rootfd,
        }),
    })
}

/// A directory opened inside the root plus its canonical path (components, no symlinks).
struct Resolved {
    fd: Option<OwnedFd>,
    path: Vec<OsString>,
}

impl Resolved {
    fn fd<'a>(&'a self, root: BorrowedFd<'a>) -> BorrowedFd<'a> {
        match &self.fd {
            Some(fd) => fd.as_fd(),
            None => root,
        }
    }
}

fn split_components(bytes: &[u8]) -> Vec<OsString> {
    bytes
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .map(|c| OsString::from_vec(c.to_vec()))
        .collect()
}

fn is_dir_at(dir: BorrowedFd, name: &OsStr) -> bool {
    matches!(fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW),
        Ok(st) if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR)
}

/// Resolve the directory `comps` inside `root`, following symlinks as if `root` were `/` and
/// never leaving it (`..` at the root stays at the root). With `create`, missing directories
/// are made (0755). Returns `Ok(None)` when a component is missing and `create` is false.
fn resolve_dir(root: BorrowedFd, comps: &[OsString], create: bool) -> io::Result<Option<Resolved>> {
    let mut queue: VecDeque<OsString> = comps.iter().cloned().collect();
    // Stack of (fd, name) from the root down.
    let mut stack: Vec<(OwnedFd, OsString)> = Vec::new();
    let mut links = 0u32;
    while let Some(comp) = queue.pop_front() {
        let bytes = comp.as_bytes();
        if bytes.is_empty() || bytes == b"." {
            continue;
        }
        if bytes == b".." {
            stack.pop();
            continue;
        }
        let cur = stack.last().map(|(fd, _)| fd.as_fd()).unwrap_or(root);
        match openat(
            cur,
            comp.as_os_str(),
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => stack.push((fd, comp)),
            Err(Errno::ENOENT) => {
                if !create {
                    return Ok(None);
                }
                match mkdirat(cur, comp.as_os_str(), Mode::from_bits_truncate(0o755)) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                queue.push_front(comp);
            }
            Err(Errno::ENOTDIR) | Err(Errno::ELOOP) => {
                let st = fstatat(cur, comp.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW)?;
                if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFLNK {
                    return Err(io::Error::new(
                        io::ErrorKind::NotADirectory,
                        format!("{} is not a directory", display_path(&stack, &comp)),
                    ));
                }
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(io::Error::other("too many levels of symbolic links"));
                }
                let target = readlinkat(cur, comp.as_os_str())?;
                let tbytes = target.as_bytes();
                if tbytes.starts_with(b"/") {
                    stack.clear();
                }
                for c in split_components(tbytes).into_iter().rev() {
                    queue.push_front(c);
                }
                // `..` inside the target stays a component: handled above, clamped at the root.
            }
            Err(e) => return Err(e.into()),
        }
    }
    let path = stack.iter().map(|(_, n)| n.clone()).collect();
    let fd = stack.pop().map(|(fd, _)| fd);
    Ok(Some(Resolved { fd, path }))
}

fn display_path(stack: &[(OwnedFd, OsString)], last: &OsStr) -> String {
    let mut s = String::new();
    for (_, n) in stack {
        s.push('/');
        s.push_str(&n.to_string_lossy());
    }
    s.push('/');
    s.push_str(&last.to_string_lossy());
    s
}

/// Remove `name` in `dir` (a tree, a file or a symlink; never followed).
fn remove_at(dir: BorrowedFd, name: &OsStr) -> io::Result<()> {
    let st = match fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(Errno::ENOENT) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR {
        // std's remove_dir_all does not follow symlinks (openat/unlinkat inside); reach the
        // directory through our own descriptor of its parent.
        let p = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd())).join(name);
        std::fs::remove_dir_all(p)
    } else {
        unlinkat(dir, name, UnlinkatFlags::NoRemoveDir).map_err(Into::into)
    }
}

fn list_dir(dir: BorrowedFd) -> io::Result<Vec<OsString>> {
    let p = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    let mut out = Vec::new();
    for e in std::fs::read_dir(p)? {
        out.push(e?.file_name());
    }
    Ok(out)
}

fn key_of(parent: &[OsString], name: &OsStr) -> Vec<u8> {
    let mut k = Vec::new();
    for c in parent {
        k.push(b'/');
        k.extend_from_slice(c.as_bytes());
    }
    k.push(b'/');
    k.extend_from_slice(name.as_bytes());
    k
}

/// Apply a tar stream to the directory `root`.
pub fn apply_tar(root: BorrowedFd, reader: impl Read) -> io::Result<ApplyStats> {
    let mut stats = ApplyStats::default();
    let mut archive = tar::Archive::new(reader);
    // Paths (canonical) created by this layer: an opaque whiteout keeps them.
    let mut created: HashSet<Vec<u8>> = HashSet::new();
    let mut dir_modes: Vec<(Vec<OsString>, u32)> = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = entry.path_bytes().into_owned();
        let mut comps = split_components(&raw);
        let Some(name) = comps.pop() else {
            // The root itself ("./"): nothing to create.
            continue;
        };
        let shown = String::from_utf8_lossy(&raw).into_owned();
        if name.as_bytes() == b".." {
            stats.rejected.push(shown);
            continue;
        }
        let kind = entry.header().entry_type();
        let nb = name.as_bytes();
        // Whiteouts never create anything, and never create parents.
        if nb.starts_with(b".wh.") {
            let Some(parent) = resolve_dir(root, &comps, false)? else {
                continue;
            };
            if nb == b".wh..wh..opq" {
                stats.opaque_dirs += 1;
                // Lower-layer children go now; this layer's entries (before or after) stay.
                for child in list_dir(parent.fd(root))? {
                    if !created.contains(&key_of(&parent.path, &child)) {
                        remove_at(parent.fd(root), &child)?;
                    }
                }
            } else {
                stats.whiteouts += 1;
                let target = OsStr::from_bytes(&nb[4..]);
                if !target.is_empty() && target != ".." && target != "." {
                    remove_at(parent.fd(root), target)?;
                }
            }
            continue;
        }
        if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
            stats.skipped_special += 1;
            continue;
        }
        if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink()
        {
            continue;
        }
        let parent = resolve_dir(root, &comps, true)?.expect("created");
        let pfd = parent.fd(root);
        let key = key_of(&parent.path, &name);
        let mode = entry.header().mode().unwrap_or(0o644) & 0o1777;
        let existing = fstatat(pfd, name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW).ok();
        let existing_is_dir = existing
            .map(|st| SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR)
            .unwrap_or(false);
        if kind.is_dir() {
            if existing.is_some() && !existing_is_dir {
                remove_at(pfd, &name)?;
            }
            if !existing_is_dir {
                mkdirat(pfd, name.as_os_str(), Mode::from_bits_truncate(0o755))?;
            }
            let mut path = parent.path.clone();
            path.push(name.clone());
            dir_modes.push((path, mode));
            stats.dirs += 1;
        } else if kind.is_symlink() {
            let target = entry
                .link_name_bytes()
                .map(|c| c.into_owned())
                .unwrap_or_default();
            if existing.is_some() {
                remove_at(pfd, &name)?;
            }
            symlinkat(OsStr::from_bytes(&target), pfd, name.as_os_str())?;
            stats.symlinks += 1;
        } else if kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|c| c.into_owned())
                .unwrap_or_default();
            let mut tcomps = split_components(&target);
            let Some(tname) = tcomps.pop() else {
                stats.rejected.push(shown);
                continue;
            };
            if tname.as_bytes() == b".." {
                stats.rejected.push(shown);
                continue;
            }
            let Some(tparent) = resolve_dir(root, &tcomps, false)? else {
                stats.rejected.push(shown);
                continue;
            };
            if is_dir_at(tparent.fd(root), &tname)
                || fstatat(
                    tparent.fd(root),
                    tname.as_os_str(),
                    AtFlags::AT_SYMLINK_NOFOLLOW,
                )
                .is_err()
            {
                stats.rejected.push(shown);
                continue;
            }
            if existing.is_some() {
                remove_at(pfd, &name)?;
            }
            // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself.
            linkat(
                tparent.fd(root),
                tname.as_os_str(),
                pfd,
                name.as_os_str(),
                AtFlags::empty(),
            )
            .map_err(|e| {
                io::Error::other(format!(
                    "hard link {shown} -> {}: {e}",
                    String::from_utf8_lossy(&target)
                ))
            })?;
            stats.hardlinks += 1;
        } else {
            // Regular file (also contiguous and GNU sparse, which tar reads for us).
            if existing.is_some() {
                remove_at(pfd, &name)?;
            }
            let fd = openat(
                pfd,
                name.as_os_str(),
                OFlag::O_WRONLY
                    | OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_CLOEXEC,
                Mode::from_bits_truncate(0o600),
            )?;
            let mut file = File::from(fd);
            io::copy(&mut entry, &mut file)?;
            file.flush()?;
            fchmod(file.as_fd(), Mode::from_bits_truncate(mode & 0o777))?;
            stats.files += 1;
        }
        // The entry and every directory above it belong to this layer now: an opaque
        // marker for any of those directories must keep them.
        let mut prefix = Vec::new();
        for c in &parent.path {
            prefix.push(b'/');
            prefix.extend_from_slice(c.as_bytes());
            created.insert(prefix.clone());
        }
        created.insert(key);
    }
    // Directory modes last (so read-only directories can still be filled); the owner keeps
    // rwx so later layers can be applied without privileges.
    for (path, mode) in dir_modes.into_iter().rev() {
        let mut comps = path;
        let Some(name) = comps.pop() else { continue };
        if let Some(parent) = resolve_dir(root, &comps, false)?
            && let Ok(fd) = openat(
                parent.fd(root),
                name.as_os_str(),
                OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
        {
            fchmod(
                fd.as_fd(),
                Mode::from_bits_truncate((mode & 0o1777) | 0o700),
            )?;
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        build(&mut b);
        b.into_inner().unwrap()
    }

    fn raw_header(name: &[u8], kind: tar::EntryType, link: &[u8], size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        {
            let gnu = h.as_gnu_mut().unwrap();
            gnu.name[..name.len()].copy_from_slice(name);
            gnu.linkname[..link.len()].copy_from_slice(link);
        }
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h
    }

    fn apply(root: &Path, bytes: &[u8]) -> ApplyStats {
        let fd = open_root(root).unwrap();
        apply_tar(fd.as_fd(), bytes).unwrap()
    }

    #[test]
    fn dotdot_symlink_and_absolute_stay_inside() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        std::fs::create_dir(&root).unwrap();
        let data = tar_with(|b| {
            b.append(
                &raw_header(b"../escape1", tar::EntryType::Regular, b"", 1),
                &b"x"[..],
            )
            .unwrap();
            b.append(
                &raw_header(b"/abs", tar::EntryType::Regular, b"", 1),
                &b"x"[..],
            )
            .unwrap();
            b.append(
                &raw_header(b"up", tar::EntryType::Symlink, b"..", 0),
                &b""[..],
            )
            .unwrap();
            b.append(
                &raw_header(b"up/escape2", tar::EntryType::Regular, b"", 1),
                &b"x"[..],
            )
            .unwrap();
        });
        let stats = apply(&root, &data);
        assert!(!outer.path().join("escape1").exists());
        assert!(!outer.path().join("escape2").exists());
        assert!(root.join("escape1").exists());
        assert!(root.join("abs").exists());
        assert!(root.join("escape2").exists());
        assert_eq!(stats.files, 3);
    }
}
