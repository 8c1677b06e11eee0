//! The other way round: which entries link to given entries. An entry names the earlier
//! entries it relates to (`contained_in`, `altered_copy_of`, a claim's `about` and
//! `evidence`), never the later ones that relate to it, so finding those reads the log.
//!
//! This is one pass over the committed log (FORMAT.md section 6.7: no derived index on disk
//! holds these links; a server keeps them in memory, `link_index.rs`): each record is decoded, and the entries that link to a target are kept,
//! each checked (its seq and its signature by the ledger's key). A claim about a target
//! becomes a target itself, so that its retraction is found in the same pass.

use crate::entry::{Entry, Kind};
use crate::error::Result;
use crate::ledger::Ledger;
use crate::log::{Frame, HEADER_LEN, RECORD_ENTRY};
use std::collections::HashSet;

/// Linking entries kept at most by one pass; past it they are counted in [`Story::more`].
pub const MAX_LINKING: usize = 10_000;

/// The relation a claim has to the entry it is about.
pub const ABOUT: &str = "about";

/// One link from a later entry to an earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The entry that links.
    pub from: u64,
    /// How: a related link's relation, or [`ABOUT`] for a claim's subject.
    pub relation: String,
    /// The entry it links to.
    pub to: u64,
}

/// The entries that link to some targets, and how.
#[derive(Clone, Debug, Default)]
pub struct Story {
    /// The linking entries, in seq order, each checked; at most [`MAX_LINKING`].
    pub linking: Vec<Entry>,
    /// Every link from those entries to a target (or to a claim about one), in seq order.
    pub links: Vec<Link>,
    /// Linking entries found past [`MAX_LINKING`], not kept.
    pub more: u64,
}

/// The links `e` has to `targets`: its related links, and a claim's subject.
fn links_of(e: &Entry, targets: &HashSet<u64>) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    if let Kind::Claim { about, .. } = e.kind
        && targets.contains(&about)
    {
        out.push(Link {
            from: e.seq,
            relation: ABOUT.into(),
            to: about,
        });
    }
    for r in e.related.iter().filter(|r| targets.contains(&r.seq)) {
        out.push(Link {
            from: e.seq,
            relation: r.relation.clone(),
            to: r.seq,
        });
    }
    out
}

impl Ledger {
    /// Every committed entry that links to one of `targets` (or to a claim about one), in
    /// one pass over the log: reading it costs about what `prov log` does, less the
    /// signatures, which are checked only for the entries found.
    ///
    /// # Errors
    /// A record that does not read or decode ([`crate::Error::Damaged`]); a linking entry
    /// whose signature does not verify.
    pub fn links_to(&self, targets: &[u64]) -> Result<Story> {
        let mut targets: HashSet<u64> = targets.iter().copied().collect();
        let mut story = Story::default();
        let Some(&lowest) = targets.iter().min() else {
            return Ok(story);
        };
        let mut frames = self.log.frames(HEADER_LEN, self.commit.log_length)?;
        let mut seq = 0u64;
        while let Some(frame) = frames.next_frame() {
            let frame = frame.map_err(|f| f.damaged(&self.log.path))?;
            if frame.kind != RECORD_ENTRY {
                continue;
            }
            let this = seq;
            seq += 1;
            if this <= lowest {
                continue;
            }
            self.take_if_linking(this, &frame, &mut targets, &mut story)?;
        }
        Ok(story)
    }

    /// One step of the pass (and of `links_to_indexed`): keeps entry `seq` (its `frame`) in
    /// `story` when it links to one of `targets`, checked (seq and signature) first, or
    /// counts it past [`MAX_LINKING`]; a claim kept becomes a target. Returns whether it did.
    pub(crate) fn take_if_linking(
        &self,
        seq: u64,
        frame: &Frame,
        targets: &mut HashSet<u64>,
        story: &mut Story,
    ) -> Result<bool> {
        let e = Entry::from_bytes(&frame.payload)
            .map_err(|err| self.damaged(Some(frame.offset), err.to_string()))?;
        let links = links_of(&e, targets);
        if links.is_empty() {
            return Ok(false);
        }
        if story.linking.len() == MAX_LINKING {
            story.more += 1;
            return Ok(false);
        }
        let e = self.checked_entry(seq, frame)?;
        let claim = e.is_claim();
        if claim {
            targets.insert(e.seq);
        }
        story.links.extend(links);
        story.linking.push(e);
        Ok(claim)
    }
}
