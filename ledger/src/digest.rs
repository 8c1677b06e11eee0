//! Streaming SHA-256 of documents: constant memory for any size, files hashed in parallel.

use crate::error::{Error, Result};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

const BUF: usize = 256 * 1024;

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
pub fn hash_reader(mut r: impl Read, progress: &dyn Fn(u64)) -> std::io::Result<FileDigest> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; BUF];
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

/// Hashes a regular file, refusing anything else, and refusing a file whose size or
/// modification time changed while it was read.
///
/// # Errors
/// [`Error::Io`], [`Error::Invalid`] (not a regular file) or [`Error::FileChanged`].
pub fn hash_file(path: &Path, progress: &dyn Fn(u64)) -> Result<FileDigest> {
    let file = File::open(path).map_err(Error::io("open", path))?;
    let before = file.metadata().map_err(Error::io("inspect", path))?;
    if !before.is_file() {
        return Err(Error::invalid(
            "document",
            format!("{} is not a regular file", path.display()),
        ));
    }
    let digest = hash_reader(&file, progress).map_err(Error::io("read", path))?;
    let after = std::fs::metadata(path).map_err(Error::io("inspect", path))?;
    let changed = after.len() != before.len()
        || digest.size != before.len()
        || after.modified().ok() != before.modified().ok();
    if changed {
        return Err(Error::FileChanged(path.to_owned()));
    }
    Ok(digest)
}

/// Hashes many files in parallel, one result per path, in order.
pub fn hash_files(paths: &[PathBuf], progress: &(dyn Fn(u64) + Sync)) -> Vec<Result<FileDigest>> {
    paths
        .par_iter()
        .map(|p| hash_file(p, &|n| progress(n)))
        .collect()
}
