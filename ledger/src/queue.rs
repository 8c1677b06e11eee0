//! Planned documents waiting for their commit, across the files of an ingest: a commit holds
//! `batch` documents whichever files they came from, so reading files in small batches (to
//! bound what their members take in memory) never makes commits small.
//!
//! A member names its container by the container's place in the queue (its global index);
//! the container's entry is then a document of the same commit (`within_batch`), or was
//! given its seq by an earlier commit (`contained_in` in `related`).

use crate::append::NewDocument;
use crate::entry::Related;
use crate::location::CONTAINED_IN;
use crate::members::Planned;
use std::collections::VecDeque;

/// Documents planned and not yet committed, and the seqs of those committed.
#[derive(Default)]
pub(crate) struct Queue {
    waiting: VecDeque<Planned>,
    /// The global index of `waiting[0]`.
    next: usize,
    /// The seq each committed document got (new or already recorded), by global index.
    pub seqs: Vec<u64>,
}

impl Queue {
    /// Adds the plan of one file (its containers named by their place in that plan).
    pub fn push_file(&mut self, plan: Vec<Planned>) {
        let base = self.next + self.waiting.len();
        self.waiting.extend(plan.into_iter().map(|mut p| {
            p.container = p.container.map(|c| c + base);
            p
        }));
    }

    /// The next commit: `batch` documents once that many wait, or with `all` whatever
    /// waits; each linked to its container. `None` when there is none yet.
    pub fn take(&mut self, batch: usize, all: bool) -> Option<(Vec<Vec<u8>>, Vec<NewDocument>)> {
        if self.waiting.is_empty() || (!all && self.waiting.len() < batch) {
            return None;
        }
        let start = self.next;
        let n = batch.min(self.waiting.len());
        let (mut labels, mut docs) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for p in self.waiting.drain(..n) {
            let mut doc = p.doc;
            match p.container {
                Some(c) if c >= start => doc.within_batch = Some(c - start),
                Some(c) => {
                    doc.related.push(Related {
                        relation: CONTAINED_IN.into(),
                        seq: self.seqs[c],
                    });
                    doc.related.sort();
                    doc.related.dedup();
                }
                None => {}
            }
            labels.push(p.label);
            docs.push(doc);
        }
        self.next += n;
        Some((labels, docs))
    }
}
