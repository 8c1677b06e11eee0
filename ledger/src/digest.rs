//! Streaming SHA-256 of documents: constant memory for any size, files hashed in parallel.

use crate::error::{Error, Result};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The largest read: big files are hashed in chunks of this size, in constant memory.
const BUF: usize = 256 * 1024;
/// The smallest read buffer, for files that say they are tiny.
const MIN_BUF: usize = 4 * 1024;

/// A document's SHA-256 and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
    /// Number of bytes.
    pub size: u64,
}

/// Hashes everything `r` yields, calling `progress` with each chunk's length.
///
/// # Errors
/// The reader's error.
pub fn hash_reader(r: impl Read, progress: &dyn Fn(u64)) -> std::io::Result<FileDigest> {
    hash_with_buffer(r, BUF, progress)
}

/// The read buffer for a file of `size` bytes: the whole file and the byte past it (so
/// that the read which sees its end needs no second buffer), within `MIN_BUF..=BUF`.
///
/// Zeroing a 256 KiB buffer per file cost more than hashing a 1 KiB file; a buffer sized to
/// the file costs almost nothing. A file that grows while it is read is still read to its
/// end, in chunks of this size (and then refused as changed).
fn buffer_for(size: u64) -> usize {
    usize::try_from(size.saturating_add(1))
        .unwrap_or(BUF)
        .clamp(MIN_BUF, BUF)
}

/// [`hash_reader`] reading into a buffer of `buf_len` bytes.
fn hash_with_buffer(
    mut r: impl Read,
    buf_len: usize,
    progress: &dyn Fn(u64),
) -> std::io::Result<FileDigest> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; buf_len];
    let mut size = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
        size += n as u64;
        progress(n as u64);
    }
    Ok(FileDigest {
        sha256: h.finalize().into(),
        size,
    })
}

/// What a walk saw of a file: the identity the file opened for hashing must still have.
///
/// The inode's change time moves on every write and every metadata change (restoring the
/// modification time with `utimensat` moves it too), so a file changed in place, or swapped
/// for another file or a symlink, does not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    /// Device of the file system.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Change time: seconds and nanoseconds.
    pub ctime: (i64, i64),
}

impl FileId {
    /// The identity in `meta` (from `stat`, `lstat` or `fstat`).
    pub fn of(meta: &Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// A file to hash, as a walk found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkedFile {
    /// Its path.
    pub path: PathBuf,
    /// What the walk saw; the opened file must be this one, unchanged.
    pub id: FileId,
    /// Whether a symlink as the last component may be followed (the path was named on the
    /// command line, or links are followed); otherwise the file is opened with `O_NOFOLLOW`.
    pub follow: bool,
    /// The name to record: its path relative to the folder it was added from (its file name
    /// when it was named itself), raw bytes.
    pub name: Vec<u8>,
}

/// Opens a document for reading. It never blocks (a FIFO is opened non-blocking, then
/// refused by the caller's type check) and, unless `follow`, never follows a symlink in the
/// last component (`O_NOFOLLOW`: a symlink fails with `ELOOP`).
///
/// # Errors
/// The `open` error.
pub fn open_document(path: &Path, follow: bool) -> std::io::Result<File> {
    let mut flags = libc::O_NONBLOCK;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    OpenOptions::new().read(true).custom_flags(flags).open(path)
}

fn open_regular(path: &Path, follow: bool) -> Result<(File, Metadata)> {
    let file = open_document(path, follow).map_err(|e| {
        if !follow && e.raw_os_error() == Some(libc::ELOOP) {
            Error::invalid(
                "document",
                format!(
                    "{} is a symlink now (it was not when its folder was read): add it again, with --follow-symlinks to follow links",
                    path.display()
                ),
            )
        } else {
            Error::io("open", path)(e)
        }
    })?;
    let meta = file.metadata().map_err(Error::io("inspect", path))?;
    if !meta.is_file() {
        return Err(Error::invalid(
            "document",
            format!(
                "{} is not a regular file (a FIFO, socket or device): give a file",
                path.display()
            ),
        ));
    }
    Ok((file, meta))
}

/// Hashes the open file, refusing it when its size, change or modification time moved while
/// it was read, or when fewer or more bytes were read than its size.
fn hash_open(
    file: &File,
    before: &Metadata,
    path: &Path,
    progress: &dyn Fn(u64),
) -> Result<FileDigest> {
    let digest = hash_with_buffer(file, buffer_for(before.len()), progress)
        .map_err(Error::io("read", path))?;
    check_unchanged(file, before, digest.size, path)?;
    Ok(digest)
}

/// Hashes what `r` reads of the open file `before` describes (a reader over it, such as one
/// that fingerprints the bytes too), refusing it as [`hash_open`] does.
pub(crate) fn hash_read(
    r: impl Read,
    file: &File,
    before: &Metadata,
    path: &Path,
    progress: &dyn Fn(u64),
) -> Result<FileDigest> {
    let digest =
        hash_with_buffer(r, buffer_for(before.len()), progress).map_err(Error::io("read", path))?;
    check_unchanged(file, before, digest.size, path)?;
    Ok(digest)
}

/// Refuses a file read whole (`read` bytes) whose size, change or modification time moved
/// since `before` was taken, or that did not hold `read` bytes.
pub(crate) fn check_unchanged(
    file: &File,
    before: &Metadata,
    read: u64,
    path: &Path,
) -> Result<()> {
    let after = file.metadata().map_err(Error::io("inspect", path))?;
    let changed = FileId::of(&after) != FileId::of(before)
        || read != before.len()
        || after.modified().ok() != before.modified().ok();
    if changed {
        return Err(Error::FileChanged(path.to_owned()));
    }
    Ok(())
}

/// Hashes a file named by the user, following symlinks, refusing anything that is not a
/// regular file (without blocking on a FIFO), and refusing a file that changed while it was
/// read.
///
/// # Errors
/// [`Error::Io`], [`Error::Invalid`] (not a regular file) or [`Error::FileChanged`].
pub fn hash_file(path: &Path, progress: &dyn Fn(u64)) -> Result<FileDigest> {
    let (file, before) = open_regular(path, true)?;
    hash_open(&file, &before, path, progress)
}

/// Hashes a file a walk found, checking that the file opened is the one walked (device,
/// inode, size, change time) and that it did not change while it was read. Unless the walk
/// allowed it, a symlink in its place is not followed.
///
/// # Errors
/// As [`hash_file`]; [`Error::Invalid`] when the path is now a symlink or another file,
/// [`Error::FileChanged`] when the file changed since the walk.
pub fn hash_walked(f: &WalkedFile, progress: &dyn Fn(u64)) -> Result<FileDigest> {
    let (file, before) = open_walked(f)?;
    hash_open(&file, &before, &f.path, progress)
}

/// Opens a file a walk found, checking that it is the one walked (see [`hash_walked`]).
pub(crate) fn open_walked(f: &WalkedFile) -> Result<(File, Metadata)> {
    let (file, before) = open_regular(&f.path, f.follow)?;
    let now = FileId::of(&before);
    if (now.dev, now.ino) != (f.id.dev, f.id.ino) {
        return Err(Error::invalid(
            "document",
            format!(
                "{} was replaced by another file after it was listed: add it again",
                f.path.display()
            ),
        ));
    }
    if now != f.id {
        return Err(Error::FileChanged(f.path.clone()));
    }
    Ok((file, before))
}

/// Hashes an open file of a walk (see [`hash_walked`]).
pub(crate) fn hash_opened(
    file: &File,
    before: &Metadata,
    f: &WalkedFile,
    progress: &dyn Fn(u64),
) -> Result<FileDigest> {
    hash_open(file, before, &f.path, progress)
}

/// Hashes many walked files in parallel, one result per file, in order.
pub fn hash_files(
    files: &[WalkedFile],
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<Result<FileDigest>> {
    files
        .par_iter()
        .map(|f| hash_walked(f, &|n| progress(n)))
        .collect()
}
