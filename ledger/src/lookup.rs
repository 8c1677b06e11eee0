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

    /// Entries `from..from+limit` (fewer at the end of the ledger).
    ///
    /// # Errors
    /// As [`Ledger::entry`].
    pub fn range(&self, from: u64, limit: u64) -> impl Iterator<Item = Result<Entry>> + '_ {
        let end = from.saturating_add(limit).min(self.size());
        (from..end).map(|s| self.entry(s))
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
    ///
    /// # Errors
    /// [`Error::NoSuchCheckpoint`], [`Error::Proof`] when `old_size > new_size`.
    pub fn consistency(&self, old_size: u64, new_size: Option<u64>) -> Result<ConsistencyBundle> {
        let new_size = new_size.unwrap_or(self.size());
        let checkpoint = self.checkpoint_at(new_size)?;
        Ok(ConsistencyBundle {
            old_size,
            proof: ConsistencyProof::generate(&self.index, old_size, new_size)?,
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
