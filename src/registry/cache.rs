//! The content-addressed blob cache.
//!
//! Layout: `ROOT/blobs/sha256/<hex>` (verified blobs: layers, configs, manifests) and
//! `ROOT/tmp/` (downloads in progress). A blob is streamed into a uniquely named temp file in
//! `tmp/` while its SHA-256 is computed; only when digest and size match is it renamed into
//! `blobs/` (atomic on one filesystem). Two processes downloading the same blob each write
//! their own temp file and the identical content wins either way; a killed download leaves
//! only a temp file, which nothing ever reads (stale ones are swept).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::runner::image_ref::valid_digest;

/// Bytes gathered before a write to the temp file.
const WRITE_BUF: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// The default cache root: `$XDG_CACHE_HOME/kubectl-porch-registry` (or ~/.cache/...).
pub fn default_root() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("kubectl-porch-registry")
}

/// Create `dir` (and missing parents) readable by its owner only (0700), like the blobs in it.
/// An existing directory is left as it is, except the cache's own content directories
/// (`blobs/`, `rootfs/`), which an older version created 0755: narrowed to 0700 when ours.
/// Other users can then list the cache root at most, never an image's content.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            let ours = m.uid() == nix::unistd::geteuid().as_raw();
            let content_dir = matches!(
                dir.file_name().and_then(|n| n.to_str()),
                Some("blobs" | "rootfs")
            );
            if ours && content_dir && m.mode() & 0o077 != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            }
            Ok(())
        }
        _ => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir),
    }
}

/// The cache's private `rootfs/` directory, where unpacked roots live (the command hands it to
/// `sandbox::rootfs::unpack_cached`); made 0700 with the cache root, like the blobs: a private
/// image's files are for its owner only. The function still reads them: the sandbox's user
/// namespace maps `nobody` onto this same owner, and the root is bind-mounted by path before
/// the pivot, so the directories above it are never seen. A `rootfs/` an older version made
/// 0755 is made private now.
pub fn rootfs_dir(cache_dir: &Path) -> Result<PathBuf> {
    let base = cache_dir.join("rootfs");
    private_dir(cache_dir)
        .and_then(|()| private_dir(&base))
        .map_err(|e| Error::io(&base, e))?;
    Ok(base)
}

impl Cache {
    pub fn open(root: &Path) -> Result<Cache> {
        for d in [
            root.to_path_buf(),
            root.join("blobs"),
            root.join("blobs/sha256"),
            root.join("tmp"),
        ] {
            private_dir(&d).map_err(|e| {
                Error::other(format!(
                    "cannot create the cache directory {}: {e}; choose another with --cache-dir",
                    d.display()
                ))
            })?;
        }
        let cache = Cache {
            root: root.to_path_buf(),
        };
        cache.sweep_stale_temps();
        Ok(cache)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a verified blob lives (whether or not it is there).
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        if !valid_digest(digest) {
            return Err(Error::Registry(format!(
                "the registry named a blob with an invalid or unsupported digest '{digest}' (only sha256 is supported)"
            )));
        }
        let hex = &digest["sha256:".len()..];
        Ok(self.root.join("blobs/sha256").join(hex))
    }

    /// The path of a cached blob, if present (and of the expected size, when known).
    pub fn get(&self, digest: &str, size: Option<u64>) -> Result<Option<PathBuf>> {
        let p = self.blob_path(digest)?;
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() && size.is_none_or(|s| s == m.len()) => Ok(Some(p)),
            _ => Ok(None),
        }
    }

    /// Where the record of a pulled reference lives (see [`Cache::record_ref`]).
    fn ref_path(&self, image: &str, platform: &str) -> PathBuf {
        let key = sha256_digest(format!("{image}\n{platform}").as_bytes());
        let hex = key.trim_start_matches("sha256:");
        self.root.join("refs").join(format!("{hex}.json"))
    }

    /// Remember what a reference resolved to when it was pulled (digest, config, layers), so
    /// that `--image-pull-policy ifNotPresent|never` can run it with no network request.
    pub fn record_ref(&self, image: &str, platform: &str, record: &serde_json::Value) {
        let p = self.ref_path(image, platform);
        let Some(dir) = p.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir)
            && std::io::Write::write_all(&mut tmp, record.to_string().as_bytes()).is_ok()
        {
            let _ = tmp.persist(&p);
        }
    }

    /// The recorded pull of a reference, when there is one.
    pub fn lookup_ref(&self, image: &str, platform: &str) -> Option<serde_json::Value> {
        let p = self.ref_path(image, platform);
        let bytes = std::fs::read(&p).ok()?;
        if bytes.len() > 1 << 20 {
            return None;
        }
        serde_json::from_slice(&bytes).ok()
    }

    /// Read a small cached blob (manifests, configs).
    pub fn read_small(&self, digest: &str) -> Result<Option<Vec<u8>>> {
        match self.get(digest, None)? {
            Some(p) => {
                let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
                // Small blobs are cheap to re-verify: trust nothing we did not check.
                if sha256_digest(&bytes) == digest {
                    Ok(Some(bytes))
                } else {
                    let _ = std::fs::remove_file(&p);
                    Ok(None)
                }
            }
            None => Ok(None),
        }
    }

    /// Store bytes already in memory (small blobs) after verifying them.
    pub fn put_small(&self, digest: &str, bytes: &[u8]) -> Result<PathBuf> {
        let mut w = self.writer(digest, Some(bytes.len() as u64))?;
        w.write(bytes)?;
        w.finish()
    }

    /// Start writing a blob.
    pub fn writer(&self, digest: &str, size: Option<u64>) -> Result<BlobWriter> {
        let dest = self.blob_path(digest)?;
        let tmp = tempfile::Builder::new()
            .prefix("blob-")
            .suffix(".partial")
            .tempfile_in(self.root.join("tmp"))
            .map_err(|e| {
                Error::other(format!(
                    "cannot write in the cache {}: {e}",
                    self.root.display()
                ))
            })?;
        Ok(BlobWriter {
            buf: Vec::with_capacity(WRITE_BUF.min(size.unwrap_or(WRITE_BUF as u64) as usize)),
            tmp: Some(tmp),
            hasher: Sha256::new(),
            written: 0,
            digest: digest.to_string(),
            size,
            dest,
        })
    }

    /// Remove temp files older than a day (left by killed processes).
    fn sweep_stale_temps(&self) {
        let Ok(rd) = std::fs::read_dir(self.root.join("tmp")) else {
            return;
        };
        let cutoff = SystemTime::now() - Duration::from_secs(24 * 3600);
        for e in rd.flatten() {
            if let Ok(m) = e.metadata()
                && m.modified().is_ok_and(|t| t < cutoff)
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Why a blob was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    TooLarge { expected: u64 },
    SizeMismatch { expected: u64, got: u64 },
    DigestMismatch { expected: String, got: String },
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::TooLarge { expected } => {
                write!(
                    f,
                    "sent more than the {expected} bytes the manifest declares"
                )
            }
            VerifyError::SizeMismatch { expected, got } => {
                write!(f, "sent {got} bytes, the manifest declares {expected}")
            }
            VerifyError::DigestMismatch { expected, got } => {
                write!(f, "content hashes to {got}, not {expected}")
            }
        }
    }
}

/// A blob being streamed into the cache. Dropping it without `finish` deletes the temp file.
pub struct BlobWriter {
    buf: Vec<u8>,
    tmp: Option<tempfile::NamedTempFile>,
    hasher: Sha256,
    written: u64,
    digest: String,
    size: Option<u64>,
    dest: PathBuf,
}

impl BlobWriter {
    /// Append a chunk (hashing it on the way).
    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.written += chunk.len() as u64;
        if let Some(s) = self.size
            && self.written > s
        {
            return Err(Error::Registry(format!(
                "blob {}: {}",
                self.digest,
                VerifyError::TooLarge { expected: s }
            )));
        }
        self.hasher.update(chunk);
        // Small network chunks are gathered into one bounded buffer (memory does not grow
        // with the layer) to keep write syscalls few.
        if self.buf.len() + chunk.len() > WRITE_BUF {
            self.flush()?;
        }
        if chunk.len() >= WRITE_BUF {
            return self.write_through(chunk);
        }
        self.buf.extend_from_slice(chunk);
        Ok(())
    }

    fn write_through(&mut self, data: &[u8]) -> Result<()> {
        let tmp = self.tmp.as_mut().expect("writer used after finish");
        tmp.write_all(data)
            .map_err(|e| Error::other(format!("writing to the cache: {e}")))
    }

    fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let r = self.write_through(&buf);
        self.buf = buf;
        self.buf.clear();
        r
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Check digest and size; on success move the blob into place and return its path.
    pub fn finish(mut self) -> Result<PathBuf> {
        self.flush()?;
        match self.verify() {
            Ok(()) => {}
            Err(v) => {
                return Err(Error::Registry(format!("blob {}: {v}", self.digest)));
            }
        }
        let tmp = self.tmp.take().expect("finish called once");
        tmp.persist(&self.dest).map_err(|e| {
            Error::other(format!(
                "cannot move the verified blob to {}: {}",
                self.dest.display(),
                e.error
            ))
        })?;
        Ok(self.dest.clone())
    }

    /// Verify without consuming (exposed for precise error reporting).
    pub fn verify(&self) -> std::result::Result<(), VerifyError> {
        if let Some(s) = self.size
            && s != self.written
        {
            return Err(VerifyError::SizeMismatch {
                expected: s,
                got: self.written,
            });
        }
        let got = format!("sha256:{}", hex::encode(self.hasher.clone().finalize()));
        if got != self.digest {
            return Err(VerifyError::DigestMismatch {
                expected: self.digest.clone(),
                got,
            });
        }
        Ok(())
    }
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verified_blobs_only() {
        let d = tempfile::tempdir().unwrap();
        let c = Cache::open(d.path()).unwrap();
        let data = b"hello world";
        let dg = sha256_digest(data);
        assert!(c.get(&dg, None).unwrap().is_none());
        // wrong content: refused, nothing cached, no temp left
        let mut w = c.writer(&dg, Some(11)).unwrap();
        w.write(b"hello WORLD").unwrap();
        let err = w.finish().unwrap_err().to_string();
        assert!(err.contains("hashes to"), "{err}");
        assert!(c.get(&dg, None).unwrap().is_none());
        assert_eq!(std::fs::read_dir(d.path().join("tmp")).unwrap().count(), 0);
        // too long
        let mut w = c.writer(&dg, Some(5)).unwrap();
        assert!(w.write(data).is_err());
        drop(w);
        // right content in two chunks
        let mut w = c.writer(&dg, Some(11)).unwrap();
        w.write(b"hello ").unwrap();
        w.write(b"world").unwrap();
        let p = w.finish().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), data);
        assert_eq!(c.get(&dg, Some(11)).unwrap(), Some(p.clone()));
        assert!(c.get(&dg, Some(12)).unwrap().is_none(), "size must match");
        assert_eq!(c.read_small(&dg).unwrap().unwrap(), data);
        // a tampered small blob is dropped
        std::fs::write(&p, b"tampered!!!").unwrap();
        assert!(c.read_small(&dg).unwrap().is_none());
        assert!(!p.exists());
    }

    #[test]
    fn buffered_writes_keep_every_byte_in_order() {
        let d = tempfile::tempdir().unwrap();
        let c = Cache::open(d.path()).unwrap();
        let data: Vec<u8> = (0..3 * WRITE_BUF + 12345)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let dg = sha256_digest(&data);
        let mut w = c.writer(&dg, Some(data.len() as u64)).unwrap();
        // small chunks, one chunk bigger than the buffer, small chunks again
        let (a, rest) = data.split_at(WRITE_BUF / 2 + 3);
        let (b, rest) = rest.split_at(WRITE_BUF + 17);
        for ch in a.chunks(8191) {
            w.write(ch).unwrap();
        }
        w.write(b).unwrap();
        for ch in rest.chunks(16384) {
            w.write(ch).unwrap();
        }
        let p = w.finish().unwrap();
        assert_eq!(std::fs::read(p).unwrap(), data);
    }

    #[test]
    fn bad_digest_names() {
        let d = tempfile::tempdir().unwrap();
        let c = Cache::open(d.path()).unwrap();
        assert!(c.blob_path("sha256:../../etc/passwd").is_err());
        assert!(c.blob_path("sha512:abc").is_err());
    }
}
