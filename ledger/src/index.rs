//! The derived index in sled (FORMAT.md section 7.3): everything here can be rebuilt from the
//! log alone, and sled's own flush is never relied on for durability.
//!
//! One sled tree, keys by prefix: `m` meta, `s` seq -> log offset, `h` SHA-256 || seq,
//! `n` Merkle node (level, index) -> hash, `c` tree size -> signed checkpoint. Each commit is
//! one atomic sled batch, meta included, so the index is always some prefix of the log.

use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::log::{Frame, HEADER_LEN, LogFile, RECORD_CHECKPOINT, RECORD_ENTRY};
use prov_proofs::{Frontier, Hash, HashReader, NodeId};
use std::path::{Path, PathBuf};

const META_LOG_END: &[u8] = b"mlog_end";
const META_SIZE: &[u8] = b"msize";
/// Entries applied per sled batch when catching up or rebuilding.
const CHUNK: usize = 20_000;

fn seq_key(seq: u64) -> [u8; 9] {
    let mut k = [b's'; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn sha_key(sha: &[u8; 32], seq: u64) -> [u8; 41] {
    let mut k = [b'h'; 41];
    k[1..33].copy_from_slice(sha);
    k[33..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn node_key(id: NodeId) -> [u8; 10] {
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
    db: sled::Db,
    path: PathBuf,
}

impl Index {
    /// Opens (or creates) the index at `path`.
    ///
    /// # Errors
    /// [`Error::Index`] when sled cannot open it.
    pub fn open(path: &Path) -> Result<Index> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(64 << 20)
            .open()?;
        Ok(Index {
            db,
            path: path.to_owned(),
        })
    }

    fn meta(&self, key: &[u8]) -> Result<u64> {
        Ok(self
            .db
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

    /// The log offset of entry `seq`'s record.
    pub fn offset_of(&self, seq: u64) -> Result<Option<u64>> {
        Ok(self.db.get(seq_key(seq))?.and_then(|v| be_u64(&v)))
    }

    /// The sequence numbers of every entry for this content, ascending.
    pub fn seqs_for(&self, sha: &[u8; 32]) -> Result<Vec<u64>> {
        let mut prefix = vec![b'h'];
        prefix.extend_from_slice(sha);
        self.db
            .scan_prefix(prefix)
            .map(|kv| Ok(be_u64(&kv?.0[33..]).unwrap_or_default()))
            .collect()
    }

    /// Every issued checkpoint, by size ascending.
    pub fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        self.db
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
            .db
            .get(cp_key(size))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
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
            batch.add_frame(&frame, frontier, &log.path)?;
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
        let mut b = batch.0;
        b.insert(META_LOG_END, &log_end.to_be_bytes());
        b.insert(META_SIZE, &size.to_be_bytes());
        self.db.apply_batch(b)?;
        Ok(())
    }

    /// Flushes sled to disk (a courtesy for the next open, not a durability promise).
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

/// Index writes collected for one atomic apply.
#[derive(Default)]
pub struct IndexBatch(sled::Batch);

impl IndexBatch {
    /// Indexes one entry; `nodes` are the Merkle nodes its leaf completed.
    pub fn add_entry(&mut self, e: &Entry, offset: u64, nodes: &[(NodeId, Hash)]) {
        self.0.insert(&seq_key(e.seq), &offset.to_be_bytes());
        self.0
            .insert(&sha_key(&e.content.sha256, e.seq)[..], &[][..]);
        for (id, h) in nodes {
            self.0.insert(&node_key(*id), &h.0);
        }
    }

    /// Records an issued checkpoint.
    pub fn add_checkpoint(&mut self, size: u64, note: &str) {
        self.0.insert(&cp_key(size), note.as_bytes());
    }

    /// Indexes one log frame, continuing `frontier`.
    pub fn add_frame(&mut self, frame: &Frame, frontier: &mut Frontier, path: &Path) -> Result<()> {
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
                self.add_entry(&e, frame.offset, &nodes);
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
                let v = self.db.get(node_key(*id))?.ok_or_else(|| Error::Damaged {
                    path: self.path.clone(),
                    offset: None,
                    reason: format!(
                        "index lacks Merkle node level {} index {}",
                        id.level, id.index
                    ),
                })?;
                Hash::try_from_slice(&v).ok_or_else(|| Error::Damaged {
                    path: self.path.clone(),
                    offset: None,
                    reason: "index holds a Merkle node that is not 32 bytes".into(),
                })
            })
            .collect()
    }
}
