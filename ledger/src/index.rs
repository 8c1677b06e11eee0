//! The content index in sled (FORMAT.md section 7.3): SHA-256 -> the entries of that
//! content. Everything here can be rebuilt from the log alone, and sled's own flush is never
//! relied on for durability. The Merkle tree and the entries' offsets are not here: they are
//! in the tiles and `offsets` (`tiles.rs`, `offsets.rs`).
//!
//! One sled tree, keys by prefix: `m` meta (log end, size, index version); `h` SHA-256 ->
//! the seqs of every entry for that content, ascending. Each commit is one atomic sled
//! batch, meta included, so the index is always some prefix of the log.

use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::log::{Frame, HEADER_LEN, LogFile, RECORD_CHECKPOINT, RECORD_ENTRY};
use std::collections::HashMap;
use std::collections::hash_map::Entry as Entry_;
use std::path::Path;

const META_LOG_END: &[u8] = b"mlog_end";
const META_SIZE: &[u8] = b"msize";
const META_VERSION: &[u8] = b"mversion";
/// The index layout this code writes: 2 holds only the content index (1 also held offsets,
/// Merkle nodes and checkpoints, and is rebuilt by a writer).
const INDEX_VERSION: u64 = 2;
/// Entries applied per sled batch when catching up or rebuilding.
const CHUNK: usize = 20_000;

fn sha_key(sha: &[u8; 32]) -> [u8; 33] {
    let mut k = [b'h'; 33];
    k[1..].copy_from_slice(sha);
    k
}

fn be_u64(v: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(v.try_into().ok()?))
}

/// The sled index of one ledger.
pub struct Index {
    /// `None` only while being dropped.
    db: Option<sled::Db>,
}

/// Runs a sled call that may panic (sled 0.34 unwraps some I/O errors of its own, such as a
/// failed fsync in its logger), turning a panic into an error.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Error::Index(sled::Error::Io(std::io::Error::other(
            format!("sled failed while {what} (an I/O error it does not report)"),
        ))))
    })
}

impl Drop for Index {
    /// sled flushes when dropped, and panics if that fails: keep such a panic inside.
    fn drop(&mut self) {
        if let Some(db) = self.db.take() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(db)));
        }
    }
}

impl Index {
    /// Opens (or creates) the index at `path`.
    ///
    /// # Errors
    /// [`Error::Index`] when sled cannot open it.
    pub fn open(path: &Path) -> Result<Index> {
        guarded("opening", || Index::open_inner(path))
    }

    fn open_inner(path: &Path) -> Result<Index> {
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(32 << 20)
            // The log is the truth; sled's background flush buys nothing but competing I/O.
            .flush_every_ms(None);
        // The caller holds the ledger's exclusive lock, so sled's own lock can only be held
        // by this process's previous handle, whose drop sled may finish on another thread:
        // wait for it briefly rather than fail.
        let mut tries = 0;
        let db = loop {
            match config.open() {
                // sled 0.34 reports its lock as ErrorKind::Other with this text (config.rs).
                Err(sled::Error::Io(e))
                    if e.to_string().contains("could not acquire lock") && tries < 100 =>
                {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                other => break other?,
            }
        };
        Ok(Index { db: Some(db) })
    }

    /// Opens the index, or starts it afresh when sled finds its own files corrupt or
    /// unreadable (a crash can leave them so); only I/O errors stay errors. The index is
    /// derived: the caller catches a fresh one up from the log. Returns whether it was reset.
    ///
    /// # Errors
    /// sled's I/O errors (permissions, a full disk).
    pub fn open_or_reset(path: &Path) -> Result<(Index, bool)> {
        match Index::open(path) {
            Err(Error::Index(
                sled::Error::Corruption { .. }
                | sled::Error::ReportableBug(_)
                | sled::Error::Unsupported(_),
            )) => {
                std::fs::remove_dir_all(path).map_err(Error::io("remove", path))?;
                Ok((Index::open(path)?, true))
            }
            other => Ok((other?, false)),
        }
    }

    fn db(&self) -> Result<&sled::Db> {
        self.db
            .as_ref()
            .ok_or_else(|| Error::invalid("index", "used after it was closed"))
    }

    fn meta(&self, key: &[u8]) -> Result<u64> {
        Ok(self
            .db()?
            .get(key)?
            .and_then(|v| be_u64(&v))
            .unwrap_or_default())
    }

    /// The log offset indexed through (0 for an empty index).
    pub fn log_end(&self) -> Result<u64> {
        self.meta(META_LOG_END)
    }

    /// Entries indexed.
    pub fn size(&self) -> Result<u64> {
        self.meta(META_SIZE)
    }

    /// Whether it is in the layout this code writes (an older one is rebuilt by a writer).
    pub fn is_current(&self) -> Result<bool> {
        Ok(self.meta(META_VERSION)? == INDEX_VERSION)
    }

    /// Every key with this prefix and its value, in key order.
    ///
    /// # Errors
    /// When the index is closed; sled errors come with the items.
    pub fn scan<'a>(
        &'a self,
        prefix: &[u8],
    ) -> Result<impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + use<'a>> {
        Ok(self.db()?.scan_prefix(prefix).map(|kv| {
            let (k, v) = kv?;
            Ok((k.to_vec(), v.to_vec()))
        }))
    }

    /// The sequence numbers of every entry for this content, ascending.
    ///
    /// # Errors
    /// [`Error::IndexDisagrees`] for a malformed value, sled errors.
    pub fn seqs_for(&self, sha: &[u8; 32]) -> Result<Vec<u64>> {
        let Some(v) = self.db()?.get(sha_key(sha))? else {
            return Ok(Vec::new());
        };
        if v.is_empty() || v.len() % 8 != 0 {
            return Err(Error::IndexDisagrees {
                reason: format!("a content key holds a {}-byte value", v.len()),
            });
        }
        Ok(v.chunks_exact(8).filter_map(be_u64).collect())
    }

    /// Catches the index up with the log to its committed end `to`. A
    /// catch-up that fails from where the index ends (not at a record of this log, or out
    /// of sequence) is the index's fault: [`Error::IndexDisagrees`].
    ///
    /// # Errors
    /// [`Error::IndexDisagrees`], I/O and sled errors.
    pub fn catch_up(&self, log: &LogFile, to: u64) -> Result<()> {
        let indexed = self.log_end()?;
        let mut size = self.size()?;
        if indexed < to {
            self.index_log(log, indexed, to, &mut size)
                .map_err(|e| match e {
                    e @ (Error::Io { .. } | Error::Index(_)) => e,
                    e => Error::IndexDisagrees {
                        reason: format!(
                            "it cannot be caught up with the log from where it ends ({e})"
                        ),
                    },
                })?;
        }
        Ok(())
    }

    /// Deletes whatever stands at `path` and builds the index afresh from the log up to
    /// `to`.
    ///
    /// # Errors
    /// I/O and sled errors, [`Error::Damaged`] when the log does not index.
    pub fn rebuild(path: &Path, log: &LogFile, to: u64) -> Result<Index> {
        crate::fsys::remove_any(path)?;
        let index = Index::open(path)?;
        let mut size = 0;
        index.index_log(log, 0, to, &mut size)?;
        Ok(index)
    }

    /// Indexes the log's frames in `[from, to)`, continuing from `size` entries (the
    /// index's size), applying one atomic batch per chunk.
    ///
    /// # Errors
    /// [`Error::Damaged`] when a record does not decode or is out of sequence.
    pub fn index_log(&self, log: &LogFile, from: u64, to: u64, size: &mut u64) -> Result<()> {
        let mut frames = log.frames(from.max(HEADER_LEN), to)?;
        let mut batch = IndexBatch::default();
        let mut pending = 0;
        while let Some(frame) = frames.next_frame() {
            let frame = frame.map_err(|f| f.damaged(&log.path))?;
            batch.add_frame(self, &frame, size, &log.path)?;
            pending += 1;
            if pending >= CHUNK {
                self.apply(std::mem::take(&mut batch), frame.end(), *size)?;
                pending = 0;
            }
        }
        self.apply(batch, to.max(HEADER_LEN), *size)
    }

    /// Applies a batch atomically, together with the new log end and size.
    pub fn apply(&self, batch: IndexBatch, log_end: u64, size: u64) -> Result<()> {
        let mut b = sled::Batch::default();
        for (sha, seqs) in batch.lists {
            let v: Vec<u8> = seqs.iter().flat_map(|s| s.to_be_bytes()).collect();
            b.insert(&sha_key(&sha)[..], v);
        }
        b.insert(META_LOG_END, &log_end.to_be_bytes());
        b.insert(META_SIZE, &size.to_be_bytes());
        b.insert(META_VERSION, &INDEX_VERSION.to_be_bytes());
        guarded("applying a batch", || Ok(self.db()?.apply_batch(b)?))
    }

    /// Flushes sled to disk (a courtesy for the next open, not a durability promise).
    pub fn flush(&self) -> Result<()> {
        guarded("flushing", || {
            self.db()?.flush()?;
            Ok(())
        })
    }
}

/// Index writes collected for one atomic apply.
#[derive(Default)]
pub struct IndexBatch {
    /// Full seq lists of the contents this batch touches.
    lists: HashMap<[u8; 32], Vec<u64>>,
}

impl IndexBatch {
    /// Indexes one entry.
    ///
    /// # Errors
    /// Index errors reading the content's earlier entries.
    pub fn add_entry(&mut self, index: &Index, e: &Entry) -> Result<()> {
        let list = match self.lists.entry(e.content.sha256) {
            Entry_::Occupied(o) => o.into_mut(),
            Entry_::Vacant(v) => v.insert(index.seqs_for(&e.content.sha256)?),
        };
        list.push(e.seq);
        Ok(())
    }

    /// Indexes one log frame, continuing from `size` entries.
    pub fn add_frame(
        &mut self,
        index: &Index,
        frame: &Frame,
        size: &mut u64,
        path: &Path,
    ) -> Result<()> {
        let damaged = |reason: String| Error::Damaged {
            path: path.to_owned(),
            offset: Some(frame.offset),
            reason,
        };
        match frame.kind {
            RECORD_ENTRY => {
                let e = Entry::from_bytes(&frame.payload).map_err(|e| damaged(e.to_string()))?;
                if e.seq != *size {
                    return Err(damaged(format!(
                        "entry {} where {} was expected",
                        e.seq, *size
                    )));
                }
                self.add_entry(index, &e)?;
                *size += 1;
            }
            RECORD_CHECKPOINT => {}
            k => return Err(damaged(format!("unknown record type {k}"))),
        }
        Ok(())
    }
}
