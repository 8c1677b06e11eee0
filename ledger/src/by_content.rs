//! Reading entries by content: the content index (`index.rs`) names candidates, and every
//! answer is checked against the entry it names and proven in the signed tree before it is
//! given. Entries past the index's reach are read from the log.

use crate::entry::{Entry, Kind};
use crate::error::Result;
use crate::ledger::Ledger;
use crate::log::{HEADER_LEN, RECORD_ENTRY};
use crate::lookup::disagrees;
use std::collections::{HashMap, HashSet};

impl Ledger {
    /// Every entry for this content: the first-seen entry, then each sighting (claims about
    /// them are not: [`Ledger::links_to`] finds those). With an
    /// index, each answer is checked against its entry and proven included in the latest
    /// signed checkpoint; without one (read-only mode), the log is read through.
    ///
    /// # Errors
    /// [`Error::IndexDisagrees`] when the index names an entry that is not for this content,
    /// or omits the first sighting; log errors as [`Ledger::entry`].
    pub fn lookup(&self, sha256: &[u8; 32]) -> Result<Vec<Entry>> {
        self.lookup_many(&[*sha256])?.remove(0)
    }

    /// [`Ledger::lookup`] of several contents, one answer each, reading the log past the
    /// index's reach (all of it without an index) once for all of them.
    ///
    /// # Errors
    /// Log errors reading past the index's reach; each content's own errors in its answer.
    pub fn lookup_many(&self, shas: &[[u8; 32]]) -> Result<Vec<Result<Vec<Entry>>>> {
        let size = self.size();
        let reach = self.index.as_ref().map_or(0, |i| i.reach().min(size));
        let mut past: HashMap<[u8; 32], Vec<u64>> = HashMap::new();
        // One pass over the entries the index does not reach, for every content asked.
        let wanted: HashSet<&[u8; 32]> = shas.iter().collect();
        self.past_reach(reach, |seq, content| {
            if wanted.contains(&content) {
                past.entry(content).or_default().push(seq);
            }
        })?;
        Ok(shas
            .iter()
            .map(|sha| {
                // Runs are added after their COMMIT: what lies past the size read at open is
                // not this reader's.
                let mut seqs = match &self.index {
                    Some(index) => index.seqs_for(sha)?,
                    None => Vec::new(),
                };
                seqs.retain(|s| *s < reach);
                seqs.extend(past.get(sha).into_iter().flatten());
                self.entries_for(sha, seqs)
            })
            .collect())
    }

    /// The contents whose SHA-256 starts with `prefix` (lowercase hex digits, as `prov log`
    /// prints a hash's start), sorted, at most `cap` of them, from the content index and the
    /// log past its reach. Candidates only: [`Ledger::lookup`] gives a candidate's entries,
    /// checked (one the index names falsely has none).
    ///
    /// # Errors
    /// Index and log errors.
    pub fn contents_with_prefix(&self, prefix: &str, cap: usize) -> Result<Vec<[u8; 32]>> {
        let size = self.size();
        let reach = self.index.as_ref().map_or(0, |i| i.reach().min(size));
        let mut out = match &self.index {
            Some(index) => index.contents_with_prefix(prefix, reach, cap)?,
            None => Vec::new(),
        };
        self.past_reach(reach, |_, content| {
            if crate::content_run::hex_starts_with(&content, prefix) {
                out.push(content);
            }
        })?;
        out.sort_unstable();
        out.dedup();
        out.truncate(cap);
        Ok(out)
    }

    /// Hands each committed entry from `reach` on (those the content index does not reach)
    /// to `each` with its seq and content, in one pass over the log.
    fn past_reach(&self, reach: u64, mut each: impl FnMut(u64, [u8; 32])) -> Result<()> {
        if reach >= self.size() {
            return Ok(());
        }
        let start = match reach {
            0 => HEADER_LEN,
            _ => self.offset_of(reach)?,
        };
        let mut frames = self.log.frames(start, self.commit.log_length)?;
        let mut seq = reach;
        while let Some(frame) = frames.next_frame() {
            let frame = frame.map_err(|f| f.damaged(&self.log.path))?;
            if frame.kind != RECORD_ENTRY {
                continue;
            }
            let content = crate::encoding::peek_content(&frame.payload)
                .ok_or_else(|| self.damaged(Some(frame.offset), "entry does not decode"))?;
            each(seq, content);
            seq += 1;
        }
        Ok(())
    }

    /// The entries `seqs` names for content `sha256`, each checked: it records that content,
    /// the first as first seen and the rest as its sightings in order, and is proven included
    /// in the latest signed checkpoint.
    fn entries_for(&self, sha256: &[u8; 32], seqs: Vec<u64>) -> Result<Vec<Entry>> {
        let mut out: Vec<Entry> = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let frame = self.frame_of(seq, self.offset_of(seq)?)?;
            let e = self.checked_entry(seq, &frame)?;
            // A claim is recorded under the content of the entry it is about (FORMAT.md
            // section 6.7): it is no sighting, and is not part of the answer.
            if let Kind::Claim { about, .. } = e.kind {
                if e.content.sha256 != *sha256 || about >= seq {
                    return Err(disagrees(format!(
                        "it lists entry {seq} for content that entry does not record"
                    )));
                }
                self.check_included(seq, &prov_proofs::leaf_hash(&frame.payload))?;
                continue;
            }
            let first = out.first().map(|f| f.seq);
            let fits = match (first, e.kind) {
                (None, Kind::FirstSeen) => true,
                (Some(f), Kind::Sighting { first }) => {
                    f == first && out.last().is_some_and(|p| p.seq < seq)
                }
                _ => false,
            };
            if e.content.sha256 != *sha256 || !fits {
                return Err(disagrees(format!(
                    "it lists entry {seq} for content that entry does not record, or out of order"
                )));
            }
            self.check_included(seq, &prov_proofs::leaf_hash(&frame.payload))?;
            out.push(e);
        }
        Ok(out)
    }
}
