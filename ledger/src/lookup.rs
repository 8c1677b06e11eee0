//! Reading entries by seq (by content: `by_content.rs`; checkpoints and proofs: `prove.rs`).
//! Nothing here believes the derived files: every record read is checked (checksum,
//! decoding, its seq, its signature). Records are found through `offsets`, or, for a ledger
//! that has none yet, by walking the log's headers.

use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::log::{Frame, HEADER_LEN, HeaderWalk, RECORD_CHECKPOINT, RECORD_ENTRY, read_frame_at};
use rayon::prelude::*;

/// Entries decoded and verified together when streaming a range.
const RANGE_CHUNK: usize = 1024;

pub(crate) fn disagrees(reason: impl Into<String>) -> Error {
    Error::IndexDisagrees {
        reason: reason.into(),
    }
}

impl Ledger {
    pub(crate) fn damaged(&self, offset: Option<u64>, reason: impl Into<String>) -> Error {
        Error::Damaged {
            path: self.log.path.clone(),
            offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn frame_at(&self, offset: u64) -> Result<Frame> {
        read_frame_at(
            &self.log.file,
            &self.log.path,
            offset,
            self.commit.log_length,
        )
    }

    /// The record of entry `seq` at `offset` (from [`Ledger::offsets`]): a record that does
    /// not read there is the offsets file's fault when it gave the offset (the log is
    /// checked whole by the writer and by `prov audit`).
    pub(crate) fn frame_of(&self, seq: u64, offset: u64) -> Result<Frame> {
        self.frame_at(offset).map_err(|e| match (&self.offsets, e) {
            (Some(o), Error::Damaged { reason, .. }) => Error::TilesDisagree {
                path: o.path().to_owned(),
                reason: format!("it places entry {seq} at byte {offset}, where {reason}"),
            },
            (_, e) => e,
        })
    }

    /// The log offsets of entries `first..first + count` (fewer at the end of the ledger):
    /// from `offsets`, or from one walk over the log's record headers when it does not
    /// cover the committed entries (a ledger no writer of this version has opened yet).
    pub(crate) fn offsets(&self, first: u64, count: u64) -> Result<Vec<u64>> {
        let end = first.saturating_add(count).min(self.size());
        if let Some(offsets) = &self.offsets
            && offsets.entries()? >= self.size()
        {
            return offsets.get(first, end.saturating_sub(first));
        }
        let mut walk = HeaderWalk::new(&self.log, HEADER_LEN, self.commit.log_length)?;
        let (mut n, mut out) = (0u64, Vec::new());
        while n < end {
            let Some((offset, kind, _)) = walk.next_header()? else {
                return Err(self.damaged(
                    Some(self.commit.log_length),
                    format!(
                        "the log holds fewer than the {} committed entries",
                        self.size()
                    ),
                ));
            };
            if kind == RECORD_ENTRY {
                if n >= first {
                    out.push(offset);
                }
                n += 1;
            }
        }
        Ok(out)
    }

    /// The log offset of entry `seq`'s record.
    pub(crate) fn offset_of(&self, seq: u64) -> Result<u64> {
        match self.offsets(seq, 1)?.first() {
            Some(o) if seq < self.size() => Ok(*o),
            _ => Err(Error::NoSuchEntry {
                seq,
                size: self.size(),
            }),
        }
    }

    /// Decodes and checks the record at `offset` as entry `seq`: checksum, type, strict
    /// decoding, its seq, and its signature by the ledger's key.
    pub(crate) fn checked_entry(&self, seq: u64, frame: &Frame) -> Result<Entry> {
        if frame.kind != RECORD_ENTRY {
            return Err(self.wrong_record(seq, frame.offset, "a checkpoint record"));
        }
        let e = Entry::from_bytes(&frame.payload)
            .map_err(|e| self.damaged(Some(frame.offset), e.to_string()))?;
        if e.seq != seq {
            return Err(self.wrong_record(seq, frame.offset, &format!("entry {}", e.seq)));
        }
        if e.key_id != self.verifier.key_id
            || crate::entry::verify_encoded(&frame.payload, &self.verifier.key).is_err()
        {
            return Err(self.damaged(
                Some(frame.offset),
                format!("entry {seq}'s signature does not verify with the ledger's key"),
            ));
        }
        Ok(e)
    }

    fn wrong_record(&self, seq: u64, offset: u64, found: &str) -> Error {
        match &self.offsets {
            Some(o) => Error::TilesDisagree {
                path: o.path().to_owned(),
                reason: format!(
                    "it places entry {seq} at byte {offset}, where the log has {found}"
                ),
            },
            None => self.damaged(Some(offset), format!("{found} where entry {seq} belongs")),
        }
    }

    /// The encoded entry (leaf data) `seq`, checked as [`Ledger::entry`] checks it.
    ///
    /// # Errors
    /// As [`Ledger::entry`].
    pub fn entry_bytes(&self, seq: u64) -> Result<Vec<u8>> {
        let frame = self.frame_of(seq, self.offset_of(seq)?)?;
        self.checked_entry(seq, &frame)?;
        Ok(frame.payload)
    }

    /// Entry `seq`, decoded, its checksum, seq and signature checked.
    ///
    /// # Errors
    /// [`Error::NoSuchEntry`], [`Error::Damaged`] when its record does not read, decode or
    /// verify, [`Error::IndexDisagrees`] when the index points elsewhere.
    pub fn entry(&self, seq: u64) -> Result<Entry> {
        if seq >= self.size() {
            return Err(Error::NoSuchEntry {
                seq,
                size: self.size(),
            });
        }
        // The entry and its neighbours, found together (one walk without the index).
        let first = seq.saturating_sub(1);
        let near = self.offsets(first, 3)?;
        let at = |s: u64| near.get((s - first) as usize).copied();
        let at_seq = at(seq).ok_or_else(|| self.damaged(None, "entry not found"))?;
        let frame = self.frame_of(seq, at_seq)?;
        let e = self.checked_entry(seq, &frame)?;
        // It must sit in the chain: its `prev` is the entry before it's leaf hash, and the
        // entry after it names its leaf hash in turn.
        if let Some(o) = (seq > 0).then(|| at(seq - 1)).flatten() {
            let before = self.frame_of(seq - 1, o)?;
            if e.prev != prov_proofs::leaf_hash(&before.payload) {
                return Err(self.damaged(
                    Some(frame.offset),
                    format!("entry {seq} does not follow entry {}", seq - 1),
                ));
            }
        }
        if let Some(o) = at(seq + 1) {
            let after = self.frame_of(seq + 1, o)?;
            let prev = crate::encoding::peek_head(&after.payload).map(|(_, prev, _)| prev);
            if prev != Some(prov_proofs::leaf_hash(&frame.payload)) {
                return Err(self.damaged(
                    Some(after.offset),
                    format!("entry {} does not follow entry {seq}", seq + 1),
                ));
            }
        }
        Ok(e)
    }

    /// Entries `from..from+limit` (fewer at the end of the ledger), read in one pass over
    /// the log, each checked as [`Ledger::entry`] checks it (signatures in parallel). An item
    /// is an error where a record does not read, decode or verify, and the iteration ends.
    pub fn range(&self, from: u64, limit: u64) -> Box<dyn Iterator<Item = Result<Entry>> + '_> {
        let end = from.saturating_add(limit).min(self.size());
        if from >= end {
            return Box::new(std::iter::empty());
        }
        // The chain is checked along the range: each entry's `prev` is the leaf hash of the
        // one before (for the first, read here); a range from 0 to the end must give the
        // root of the latest signed checkpoint.
        let start = self.offsets(from.saturating_sub(1), if from == 0 { 1 } else { 2 });
        let opened = start.and_then(|o| {
            let prev = match from {
                0 => prov_proofs::Hash::default(),
                _ => prov_proofs::leaf_hash(&self.frame_of(from - 1, o[0])?.payload),
            };
            let at = *o
                .last()
                .ok_or_else(|| self.damaged(None, "entry not found"))?;
            Ok((self.log.frames(at, self.commit.log_length)?, prev))
        });
        let (mut frames, prev) = match opened {
            Ok(f) => f,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let mut prev: Result<prov_proofs::Hash> = Ok(prev);
        let whole = from == 0 && end == self.size();
        let signed_root = self.latest.as_ref().map(|(_, cp)| cp.root);
        let mut tree = prov_proofs::Frontier::new();
        let mut seq = from;
        let mut ready: std::vec::IntoIter<Result<Entry>> = Vec::new().into_iter();
        Box::new(std::iter::from_fn(move || {
            if let Some(item) = ready.next() {
                return Some(item);
            }
            let mut chunk = Vec::with_capacity(RANGE_CHUNK);
            while seq < end && chunk.len() < RANGE_CHUNK {
                match frames.next_frame() {
                    Some(Ok(f)) if f.kind == RECORD_CHECKPOINT => continue,
                    Some(Ok(f)) => {
                        chunk.push((seq, f));
                        seq += 1;
                    }
                    Some(Err(f)) => {
                        chunk.push((
                            seq,
                            Frame {
                                offset: f.offset,
                                kind: 0,
                                payload: vec![],
                            },
                        ));
                        seq = end;
                    }
                    None => seq = end,
                }
            }
            let checked: Vec<Result<Entry>> = chunk
                .par_iter()
                .map(|(s, f)| match f.kind {
                    0 => Err(self.damaged(Some(f.offset), "record does not read")),
                    _ => self.checked_entry(*s, f),
                })
                .collect();
            let mut checked = checked;
            for ((s, f), r) in chunk.iter().zip(checked.iter_mut()) {
                let Ok(e) = r else { break };
                match &prev {
                    Ok(p) if *p == e.prev => {}
                    Ok(_) => {
                        *r = Err(self.damaged(
                            Some(f.offset),
                            format!("entry {s} does not follow the entry before it"),
                        ));
                        break;
                    }
                    Err(_) => {
                        *r = Err(self
                            .damaged(Some(f.offset), "the entry before the range does not read"));
                        break;
                    }
                }
                let leaf = prov_proofs::leaf_hash(&f.payload);
                prev = Ok(leaf);
                if whole {
                    tree.append(leaf);
                }
            }
            let stop = checked.iter().position(|r| r.is_err());
            if stop.is_none()
                && whole
                && seq == end
                && tree.size() == end
                && Some(tree.root()) != signed_root
            {
                checked.push(Err(self.damaged(
                    None,
                    "the entries' Merkle root is not the one signed in the latest checkpoint",
                )));
            }
            if let Some(i) = stop {
                checked.truncate(i + 1);
                seq = end;
            }
            ready = checked.into_iter();
            ready.next()
        }))
    }
}
