//! The links of `claim_story.rs` held in memory, for a server whose readers ask for them
//! many times a second: for each entry, the later entries that link to it (its related
//! links' targets, a claim's subject). Built by reading the log once and extended by the
//! entries appended since, so an answer reads and checks only the linking entries instead of
//! every entry after the document's first.
//!
//! Nothing in it is trusted more than the log: it only says which entries to read, and each
//! entry read is checked as [`Ledger::links_to`] checks it (its seq and its signature by
//! the ledger's key). An answer from it is the answer of that pass, [`MAX_LINKING`](crate::MAX_LINKING) and
//! [`Story::more`] included (tested against it, past the limit too).

use crate::claim_story::Story;
use crate::entry::{Entry, Kind};
use crate::error::Result;
use crate::ledger::Ledger;
use crate::log::RECORD_ENTRY;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

/// Which entries link to which, for the entries below [`LinkIndex::size`].
///
/// Held as runs, each for a stretch of linking entries, the older before the newer, merged
/// as they grow (a run is merged into the one before it when that one is not more than
/// twice its size, so there are about log2 of the entries of them): a clone shares the runs,
/// so a server hands each snapshot its own index for the cost of a few pointers, and
/// extending it never changes what another snapshot reads.
#[derive(Clone, Debug, Default)]
pub struct LinkIndex {
    size: u64,
    /// The leaf hash of entry `size - 1` as read: the log extended must still hold it, or
    /// the index is of another log (a folder swapped, restored or cut back) and is rebuilt.
    last_leaf: Option<prov_proofs::Hash>,
    runs: Vec<Arc<Run>>,
}

/// For each linked entry, the entries of one stretch linking to it, ascending.
#[derive(Debug, Default)]
struct Run {
    linking: HashMap<u64, Vec<u64>>,
    /// Links filed.
    len: usize,
}

impl Run {
    /// Files `e`'s links.
    fn file(&mut self, e: &Entry) {
        let about = match e.kind {
            Kind::Claim { about, .. } => Some(about),
            _ => None,
        };
        for to in about.into_iter().chain(e.related.iter().map(|r| r.seq)) {
            let from = self.linking.entry(to).or_default();
            if from.last() != Some(&e.seq) {
                from.push(e.seq);
                self.len += 1;
            }
        }
    }

    /// `older` then `newer` as one run (every entry of `newer` follows every one of `older`).
    fn merged(older: &Run, newer: &Run) -> Run {
        let mut linking = older.linking.clone();
        for (to, from) in &newer.linking {
            linking.entry(*to).or_default().extend_from_slice(from);
        }
        Run {
            linking,
            len: older.len + newer.len,
        }
    }
}

impl LinkIndex {
    /// The entries it covers: those below this seq.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The entries linking to `to`, ascending.
    fn linking(&self, to: u64) -> impl Iterator<Item = u64> + '_ {
        self.runs
            .iter()
            .filter_map(move |r| r.linking.get(&to))
            .flatten()
            .copied()
    }

    /// Adds the run of the entries read since the last, merging the runs that grew alike.
    fn push(&mut self, run: Run) {
        if run.len > 0 {
            self.runs.push(Arc::new(run));
        }
        while let [.., older, newer] = &self.runs[..] {
            if older.len > 2 * newer.len {
                break;
            }
            let merged = Run::merged(older, newer);
            self.runs.truncate(self.runs.len() - 2);
            self.runs.push(Arc::new(merged));
        }
    }
}

impl Ledger {
    fn index_mismatch(&self, index: &LinkIndex) -> crate::Error {
        self.damaged(
            None,
            format!(
                "the link index covers {} entries and the log has {}",
                index.size,
                self.size()
            ),
        )
    }

    /// Whether this ledger's log still holds the entries `index` was built from: its entry
    /// `size - 1` has the leaf hash the index read (entries are hash-chained, so the ones
    /// before it are the same too).
    fn holds(&self, index: &LinkIndex) -> Result<bool> {
        let Some(last) = index.size.checked_sub(1) else {
            return Ok(true);
        };
        if index.size > self.size() {
            return Ok(false);
        }
        let offset = self.offsets(last, 1)?;
        let offset = *offset
            .first()
            .ok_or_else(|| self.damaged(None, format!("entry {last} not found")))?;
        let frame = self.frame_of(last, offset)?;
        Ok(index.last_leaf == Some(prov_proofs::leaf_hash(&frame.payload)))
    }

    /// Extends `index` with the committed entries it does not cover yet (all of them for
    /// a new one): each is read and decoded, its signature not checked (answers check the
    /// entries they read). An index of another log (this folder swapped, restored from a
    /// backup or cut back since) is rebuilt from the first entry.
    ///
    /// # Errors
    /// A record that does not read or decode ([`crate::Error::Damaged`]).
    pub fn index_links(&self, index: &mut LinkIndex) -> Result<()> {
        if !self.holds(index)? {
            *index = LinkIndex::default();
        }
        if index.size == self.size() {
            return Ok(());
        }
        let start = self.offsets(index.size, 1)?;
        let start = *start
            .first()
            .ok_or_else(|| self.damaged(None, "entry not found"))?;
        let mut frames = self.log.frames(start, self.commit.log_length)?;
        let mut run = Run::default();
        let mut size = index.size;
        let mut last = None;
        while let Some(frame) = frames.next_frame() {
            let frame = frame.map_err(|f| f.damaged(&self.log.path))?;
            if frame.kind != RECORD_ENTRY {
                continue;
            }
            let e = Entry::from_bytes(&frame.payload)
                .map_err(|err| self.damaged(Some(frame.offset), err.to_string()))?;
            if e.seq != size {
                return Err(self.damaged(
                    Some(frame.offset),
                    format!("entry {} where entry {size} belongs", e.seq),
                ));
            }
            run.file(&e);
            size += 1;
            last = Some(frame.payload);
        }
        index.push(run);
        index.size = size;
        if let Some(payload) = last {
            index.last_leaf = Some(prov_proofs::leaf_hash(&payload));
        }
        Ok(())
    }

    /// [`Ledger::links_to`] answered from `index` (extended to this ledger's size by
    /// [`Ledger::index_links`]): the same story, reading only the linking entries, in seq
    /// order, a claim about a target becoming a target.
    ///
    /// # Errors
    /// As [`Ledger::links_to`]; an index that does not cover the log.
    pub fn links_to_indexed(&self, targets: &[u64], index: &LinkIndex) -> Result<Story> {
        if index.size != self.size() {
            return Err(self.index_mismatch(index));
        }
        let lowest = targets.iter().min().copied();
        let mut targets: HashSet<u64> = targets.iter().copied().collect();
        let mut next: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
        let mut queued: HashSet<u64> = HashSet::new();
        let mut queue = |next: &mut BinaryHeap<Reverse<u64>>, of: u64| {
            for from in index.linking(of) {
                if queued.insert(from) {
                    next.push(Reverse(from));
                }
            }
        };
        for &t in &targets {
            queue(&mut next, t);
        }
        let mut story = Story::default();
        while let Some(Reverse(seq)) = next.pop() {
            // The pass reads only the entries after the lowest target.
            if lowest.is_some_and(|l| seq <= l) {
                continue;
            }
            let offset = self.offsets(seq, 1)?;
            let offset = *offset
                .first()
                .ok_or_else(|| self.damaged(None, format!("entry {seq} not found")))?;
            let frame = self.frame_of(seq, offset)?;
            if self.take_if_linking(seq, &frame, &mut targets, &mut story)? {
                queue(&mut next, seq);
            }
        }
        Ok(story)
    }
}
