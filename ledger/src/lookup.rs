//! Reading a ledger: entries by seq and by content, checkpoints, and proofs, all from
//! O(log n) index reads and single log records.

use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::log::{RECORD_ENTRY, read_frame_at};
use prov_proofs::{ConsistencyBundle, ConsistencyProof, Hash, InclusionProof, TlogProof};

impl Ledger {
    /// The encoded entry (leaf data) `seq`.
    ///
    /// # Errors
    /// [`Error::NoSuchEntry`], or [`Error::Damaged`] when its record cannot be read.
    pub fn entry_bytes(&self, seq: u64) -> Result<Vec<u8>> {
        let offset = match self.index.offset_of(seq)? {
            Some(o) if seq < self.size() => o,
            _ => {
                return Err(Error::NoSuchEntry {
                    seq,
                    size: self.size(),
                });
            }
        };
        let frame = read_frame_at(
            &self.log.file,
            &self.log.path,
            offset,
            self.commit.log_length,
        )?;
        if frame.kind != RECORD_ENTRY {
            return Err(Error::Damaged {
                path: self.log.path.clone(),
                offset: Some(offset),
                reason: "index points at a non-entry record".into(),
            });
        }
        Ok(frame.payload)
    }

    /// Entry `seq`, decoded.
    ///
    /// # Errors
    /// As [`Ledger::entry_bytes`], or [`Error::Damaged`] when it does not decode.
    pub fn entry(&self, seq: u64) -> Result<Entry> {
        let bytes = self.entry_bytes(seq)?;
        let e = Entry::from_bytes(&bytes).map_err(|e| Error::Damaged {
            path: self.log.path.clone(),
            offset: self.index.offset_of(seq).ok().flatten(),
            reason: e.to_string(),
        })?;
        if e.seq != seq {
            return Err(Error::Damaged {
                path: self.log.path.clone(),
                offset: None,
                reason: format!("index maps {seq} to entry {}", e.seq),
            });
        }
        Ok(e)
    }

    /// Every entry for this content: the first-seen entry, then each sighting.
    ///
    /// # Errors
    /// Index or log errors.
    pub fn lookup(&self, sha256: &[u8; 32]) -> Result<Vec<Entry>> {
        self.index
            .seqs_for(sha256)?
            .into_iter()
            .filter(|s| *s < self.size())
            .map(|s| self.entry(s))
            .collect()
    }

    /// Entries `from..from+limit` (fewer at the end of the ledger), read in one pass over
    /// the log. An item is [`Error::Damaged`] where a record does not read or decode, and the
    /// iteration ends there.
    pub fn range(&self, from: u64, limit: u64) -> Box<dyn Iterator<Item = Result<Entry>> + '_> {
        // One index lookup for the first entry, then one sequential read of the log.
        let end = from.saturating_add(limit).min(self.size());
        if from >= end {
            return Box::new(std::iter::empty());
        }
        let frames = self.index.offset_of(from).and_then(|o| {
            self.log
                .frames(o.unwrap_or(self.commit.log_length), self.commit.log_length)
        });
        let mut frames = match frames {
            Ok(f) => f,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let mut seq = from;
        Box::new(std::iter::from_fn(move || {
            while seq < end {
                let damaged = |offset, reason: String| Error::Damaged {
                    path: self.log.path.clone(),
                    offset: Some(offset),
                    reason,
                };
                let frame = match frames.next_frame()? {
                    Ok(f) if f.kind == RECORD_ENTRY => f,
                    Ok(_) => continue,
                    Err(f) => {
                        seq = end;
                        return Some(Err(damaged(f.offset, f.reason)));
                    }
                };
                let e = Entry::from_bytes(&frame.payload)
                    .map_err(|e| damaged(frame.offset, e.to_string()));
                let e = e.and_then(|e| match e.seq == seq {
                    true => Ok(e),
                    false => Err(damaged(
                        frame.offset,
                        format!("entry {} where {seq} belongs", e.seq),
                    )),
                });
                seq = if e.is_ok() { seq + 1 } else { end };
                return Some(e);
            }
            None
        }))
    }

    /// Every issued checkpoint (size, signed note), oldest first.
    ///
    /// # Errors
    /// Index errors.
    pub fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        self.index.checkpoints()
    }

    /// The latest signed checkpoint note.
    ///
    /// # Errors
    /// [`Error::Damaged`] when none is indexed.
    pub fn latest_checkpoint(&self) -> Result<String> {
        self.checkpoint_at(self.size())
    }

    /// The signed checkpoint issued at `size`.
    ///
    /// # Errors
    /// [`Error::NoSuchCheckpoint`].
    pub fn checkpoint_at(&self, size: u64) -> Result<String> {
        match self.index.checkpoint(size)? {
            Some(note) if size <= self.size() => Ok(note),
            _ => Err(Error::NoSuchCheckpoint(size)),
        }
    }

    /// A self-contained tlog-proof of entry `seq` at the checkpoint of `size` (default: the
    /// latest), with the entry bytes in its `extra` line.
    ///
    /// # Errors
    /// [`Error::NoSuchEntry`], [`Error::NoSuchCheckpoint`], index errors.
    pub fn prove(&self, seq: u64, size: Option<u64>) -> Result<TlogProof> {
        let size = size.unwrap_or(self.size());
        let checkpoint = self.checkpoint_at(size)?;
        if seq >= size {
            return Err(Error::NoSuchEntry { seq, size });
        }
        Ok(TlogProof {
            extra: Some(self.entry_bytes(seq)?),
            index: seq,
            proof: InclusionProof::generate(&self.index, seq, size)?,
            checkpoint,
        })
    }

    /// A consistency proof from `old_size` to the checkpoint at `new_size` (default latest).
    /// From old size 0 the proof is empty, as tlog-witness's body format requires.
    ///
    /// # Errors
    /// [`Error::NoSuchCheckpoint`], [`Error::Proof`] when `old_size > new_size`.
    pub fn consistency(&self, old_size: u64, new_size: Option<u64>) -> Result<ConsistencyBundle> {
        let new_size = new_size.unwrap_or(self.size());
        let checkpoint = self.checkpoint_at(new_size)?;
        let proof = if old_size == 0 {
            ConsistencyProof::default()
        } else {
            ConsistencyProof::generate(&self.index, old_size, new_size)?
        };
        Ok(ConsistencyBundle {
            old_size,
            proof,
            checkpoint,
        })
    }

    /// The root of the first `size` entries, from stored nodes.
    ///
    /// # Errors
    /// Index errors.
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        prov_proofs::root_at(&self.index, size.min(self.size()))
    }

    /// Flushes the derived index so the next open is quick (durability never depends on it).
    ///
    /// # Errors
    /// Index errors.
    pub fn flush_index(&self) -> Result<()> {
        self.index.flush()
    }
}
