//! `offsets` (FORMAT.md section 7.4): where each entry's record starts in `entries.log`, so
//! that a reader finds entry `seq` with one read instead of a walk over the log.
//!
//! Entry `seq`'s offset is the big-endian uint64 at byte `8 * seq`. Derived from the log and
//! written (and fsync'd) before the `COMMIT` that names the entries; bytes past `8 * size`
//! are leftovers of a batch that was never committed and are ignored. Nothing read from it is
//! believed: the record it points at must be entry `seq`, checksum and signature included.

use crate::error::{Error, Result};
use crate::fsys::{Io, Step};
use std::fs::File;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The offsets file of a ledger.
pub struct Offsets {
    file: File,
    path: PathBuf,
}

impl Offsets {
    /// Opens it, creating it empty when `write` and it does not exist. `None` when it does not
    /// exist and cannot be created (a reader of a ledger written before it existed).
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Damaged`] when it is not a regular file.
    pub fn open(dir: &Path, write: bool) -> Result<Option<Offsets>> {
        let path = dir.join("offsets");
        let regular = path.symlink_metadata().map(|m| m.file_type().is_file());
        match (write, regular) {
            // Missing, or something else in its place (a link, FIFO, folder): a reader does
            // without it (it walks the log); a writer replaces it (it is derived).
            (false, Ok(false) | Err(_)) => return Ok(None),
            (true, Ok(false)) => crate::fsys::remove_any(&path)?,
            _ => {}
        }
        let file = if write {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                .open(&path)
                .map_err(Error::io("open", &path))?
        } else {
            crate::fsys::open_regular(&path, false)?
        };
        if !file
            .metadata()
            .map_err(Error::io("inspect", &path))?
            .is_file()
        {
            return Err(Error::Damaged {
                path,
                offset: None,
                reason: "it is not a regular file".into(),
            });
        }
        Ok(Some(Offsets { file, path }))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries it has offsets for.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn entries(&self) -> Result<u64> {
        Ok(self
            .file
            .metadata()
            .map_err(Error::io("inspect", &self.path))?
            .len()
            / 8)
    }

    /// The offsets of entries `first..first + count` (fewer past its end).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn get(&self, first: u64, count: u64) -> Result<Vec<u64>> {
        let have = self.entries()?;
        let end = first.saturating_add(count).min(have);
        if first >= end {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; ((end - first) * 8) as usize];
        self.file
            .read_exact_at(&mut buf, first * 8)
            .map_err(Error::io("read", &self.path))?;
        Ok(buf
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap_or_default()))
            .collect())
    }

    /// Writes the offsets of entries from `first` on, and fsyncs them (steps
    /// [`Step::OffsetsWrite`], [`Step::OffsetsSync`]).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn write(&self, first: u64, offsets: &[u64], io: &mut Io) -> Result<()> {
        let bytes: Vec<u8> = offsets.iter().flat_map(|o| o.to_be_bytes()).collect();
        io.step(Step::OffsetsWrite, || {
            self.file.write_all_at(&bytes, first * 8)
        })
        .map_err(Error::io("write", &self.path))?;
        io.step(Step::OffsetsSync, || self.file.sync_data())
            .map_err(Error::io("sync", &self.path))
    }

    /// Cuts it to `entries` offsets, durably.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn truncate(&self, entries: u64) -> Result<()> {
        self.file
            .set_len(entries * 8)
            .and_then(|_| self.file.sync_all())
            .map_err(Error::io("truncate", &self.path))
    }
}
