//! The derived index in sled (FORMAT.md section 7.3): everything here can be rebuilt from the
//! log alone, and sled's own flush is never relied on for durability.
//!
//! One sled tree, keys by prefix: `m` meta; `s` seq -> log offset || leaf hash; `h` SHA-256
//! -> the seqs of every entry for that content; `n` Merkle node (level >= 1, index) -> hash;
//! `c` tree size -> signed checkpoint. Leaf hashes (level 0) live in the `s` values, and the
//! content index is a point lookup, to keep each append to few sled writes. Each commit is
//! one atomic sled batch, meta included, so the index is always some prefix of the log.

use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::log::{Frame, HEADER_LEN, LogFile, RECORD_CHECKPOINT, RECORD_ENTRY};
use prov_proofs::{Frontier, Hash, HashReader, NodeId};
use std::collections::HashMap;
use std::collections::hash_map::Entry as Entry_;
use std::path::Path;

const META_LOG_END: &[u8] = b"mlog_end";
const META_SIZE: &[u8] = b"msize";
/// Entries applied per sled batch when catching up or rebuilding.
const CHUNK: usize = 20_000;

pub(crate) fn seq_key(seq: u64) -> [u8; 9] {
    let mut k = [b's'; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn sha_key(sha: &[u8; 32]) -> [u8; 33] {
    let mut k = [b'h'; 33];
    k[1..].copy_from_slice(sha);
    k
}

pub(crate) fn node_key(id: NodeId) -> [u8; 10] {
    let mut k = [b'n'; 10];
    k[1] = id.level;
    k[2..].copy_from_slice(&id.index.to_be_bytes());
    k
}

fn cp_key(size: u64) -> [u8; 9] {
    let mut k = [b'c'; 9];
    k[1..].copy_from_slice(&size.to_be_bytes());
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

    /// The log offset of entry `seq`'s record (`None` also for a malformed value).
    pub fn offset_of(&self, seq: u64) -> Result<Option<u64>> {
        Ok(self
            .db()?
            .get(seq_key(seq))?
            .filter(|v| v.len() == 40)
            .and_then(|v| be_u64(v.get(..8)?)))
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

    /// Every issued checkpoint, by size ascending.
    pub fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        self.db()?
            .scan_prefix(b"c")
            .map(|kv| {
                let (k, v) = kv?;
                Ok((
                    be_u64(&k[1..]).unwrap_or_default(),
                    String::from_utf8_lossy(&v).into_owned(),
                ))
            })
            .collect()
    }

    /// The checkpoint issued at `size`, if any.
    pub fn checkpoint(&self, size: u64) -> Result<Option<String>> {
        Ok(self
            .db()?
            .get(cp_key(size))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Catches the index up with the log to its committed end `to` and returns its tree. A
    /// catch-up that fails from where the index ends (not at a record of this log, or out
    /// of sequence) is the index's fault: [`Error::IndexDisagrees`].
    ///
    /// # Errors
    /// [`Error::IndexDisagrees`], I/O and sled errors.
    pub fn catch_up(&self, log: &LogFile, to: u64) -> Result<Frontier> {
        let indexed = self.log_end()?;
        let mut frontier = Frontier::load(self, self.size()?)?;
        if indexed < to {
            self.index_log(log, indexed, to, &mut frontier)
                .map_err(|e| match e {
                    e @ (Error::Io { .. } | Error::Index(_)) => e,
                    e => Error::IndexDisagrees {
                        reason: format!(
                            "it cannot be caught up with the log from where it ends ({e})"
                        ),
                    },
                })?;
        }
        Ok(frontier)
    }

    /// Deletes whatever stands at `path` and builds the index afresh from the log up to
    /// `to`; returns it with its tree.
    ///
    /// # Errors
    /// I/O and sled errors, [`Error::Damaged`] when the log does not index.
    pub fn rebuild(path: &Path, log: &LogFile, to: u64) -> Result<(Index, Frontier)> {
        crate::fsys::remove_any(path)?;
        let index = Index::open(path)?;
        let mut frontier = Frontier::new();
        index.index_log(log, 0, to, &mut frontier)?;
        Ok((index, frontier))
    }

    /// Indexes the log's frames in `[from, to)`, continuing `frontier` (which must be at
    /// the index's size), applying one atomic batch per chunk.
    ///
    /// # Errors
    /// [`Error::Damaged`] when a record does not decode or is out of sequence.
    pub fn index_log(
        &self,
        log: &LogFile,
        from: u64,
        to: u64,
        frontier: &mut Frontier,
    ) -> Result<()> {
        let mut frames = log.frames(from.max(HEADER_LEN), to)?;
        let mut batch = IndexBatch::default();
        let mut pending = 0;
        while let Some(frame) = frames.next_frame() {
            let frame = frame.map_err(|f| Error::Damaged {
                path: log.path.clone(),
                offset: Some(f.offset),
                reason: f.reason,
            })?;
            batch.add_frame(self, &frame, frontier, &log.path)?;
            pending += 1;
            if pending >= CHUNK {
                self.apply(std::mem::take(&mut batch), frame.end(), frontier.size())?;
                pending = 0;
            }
        }
        self.apply(batch, to.max(HEADER_LEN), frontier.size())
    }

    /// Applies a batch atomically, together with the new log end and size.
    pub fn apply(&self, batch: IndexBatch, log_end: u64, size: u64) -> Result<()> {
        let mut b = batch.batch;
        for (sha, seqs) in batch.lists {
            let v: Vec<u8> = seqs.iter().flat_map(|s| s.to_be_bytes()).collect();
            b.insert(&sha_key(&sha)[..], v);
        }
        b.insert(META_LOG_END, &log_end.to_be_bytes());
        b.insert(META_SIZE, &size.to_be_bytes());
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
    batch: sled::Batch,
    /// Full seq lists of the contents this batch touches.
    lists: HashMap<[u8; 32], Vec<u64>>,
}

impl IndexBatch {
    /// Indexes one entry; `nodes` are the Merkle nodes its leaf completed, the leaf first.
    ///
    /// # Errors
    /// Index errors reading the content's earlier entries.
    pub fn add_entry(
        &mut self,
        index: &Index,
        e: &Entry,
        offset: u64,
        nodes: &[(NodeId, Hash)],
    ) -> Result<()> {
        let mut s = [0u8; 40];
        s[..8].copy_from_slice(&offset.to_be_bytes());
        if let Some((_, leaf)) = nodes.first() {
            s[8..].copy_from_slice(&leaf.0);
        }
        self.batch.insert(&seq_key(e.seq), &s[..]);
        let list = match self.lists.entry(e.content.sha256) {
            Entry_::Occupied(o) => o.into_mut(),
            Entry_::Vacant(v) => v.insert(index.seqs_for(&e.content.sha256)?),
        };
        list.push(e.seq);
        for (id, h) in nodes.iter().filter(|(id, _)| id.level > 0) {
            self.batch.insert(&node_key(*id), &h.0);
        }
        Ok(())
    }

    /// Records an issued checkpoint.
    pub fn add_checkpoint(&mut self, size: u64, note: &str) {
        self.batch.insert(&cp_key(size), note.as_bytes());
    }

    /// Indexes one log frame, continuing `frontier`.
    pub fn add_frame(
        &mut self,
        index: &Index,
        frame: &Frame,
        frontier: &mut Frontier,
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
                if e.seq != frontier.size() {
                    return Err(damaged(format!(
                        "entry {} where {} was expected",
                        e.seq,
                        frontier.size()
                    )));
                }
                let nodes = frontier.append(prov_proofs::leaf_hash(&frame.payload));
                self.add_entry(index, &e, frame.offset, &nodes)?;
            }
            RECORD_CHECKPOINT => {
                let note = std::str::from_utf8(&frame.payload)
                    .map_err(|_| damaged("checkpoint is not UTF-8".into()))?;
                self.add_checkpoint(frontier.size(), note);
            }
            k => return Err(damaged(format!("unknown record type {k}"))),
        }
        Ok(())
    }
}

impl HashReader for Index {
    type Error = Error;

    fn read_hashes(&self, ids: &[NodeId]) -> Result<Vec<Hash>> {
        ids.iter()
            .map(|id| {
                let missing = || Error::IndexDisagrees {
                    reason: format!(
                        "it lacks Merkle node level {} index {}, or holds it malformed",
                        id.level, id.index
                    ),
                };
                if id.level == 0 {
                    let v = self.db()?.get(seq_key(id.index))?.ok_or_else(missing)?;
                    // A short value is damage, never a panic.
                    v.get(8..40)
                        .and_then(Hash::try_from_slice)
                        .ok_or_else(missing)
                } else {
                    let v = self.db()?.get(node_key(*id))?.ok_or_else(missing)?;
                    Hash::try_from_slice(&v).ok_or_else(missing)
                }
            })
            .collect()
    }
}
