//! Where a document was found, and the dedupe rule built on it (FORMAT.md section 8, rule 5).
//!
//! A leak holds the same bytes in many places: one logo attached to a thousand emails, one
//! contract in two folders of a dump. Each place is part of the record, so under ledger
//! format 2 an entry is a duplicate only when its content, its source *and its location* are
//! those of an earlier entry. The location is what tells two places of one source apart:
//! the recorded name (a path relative to the folder or container the document was added
//! from), the containers it was found in (its `contained_in` links) and, for a member a
//! container names by position only (an mbox message, a MIME part), that position
//! (`container.part`). Re-running the same `add` finds every location already recorded.
//!
//! Format 1 ledgers, written before locations were recorded, kept one entry per
//! (content, source): their rule is kept for them.

use crate::entry::Related;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The relation linking a member to the container it was found in.
pub const CONTAINED_IN: &str = "contained_in";

/// The metadata key naming a member's position in its container when no name does.
pub const PART_KEY: &str = "container.part";

/// The ledger format whose rule 5 is (content, source) alone.
pub(crate) const FORMAT_SOURCE_ONLY: u32 = 1;

/// What an entry's place in the dedupe rule is made of.
#[derive(Clone, Copy)]
pub(crate) struct Place<'a> {
    pub source: &'a str,
    pub name: Option<&'a [u8]>,
    pub related: &'a [Related],
    pub metadata: &'a BTreeMap<String, String>,
    /// A container of the same batch, not yet in `related`.
    pub container: Option<u64>,
}

/// The dedupe key of a place: two entries of the same content with equal keys are the same
/// record. A SHA-256 of a length-prefixed encoding, so that no two places share a key.
pub(crate) fn key(format: u32, p: &Place<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut field = |bytes: Option<&[u8]>| match bytes {
        None => h.update([0u8]),
        Some(b) => {
            h.update([1u8]);
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        }
    };
    field(Some(p.source.as_bytes()));
    if format == FORMAT_SOURCE_ONLY {
        return h.finalize().into();
    }
    field(p.name);
    let mut containers: Vec<u64> = p
        .related
        .iter()
        .filter(|r| r.relation == CONTAINED_IN)
        .map(|r| r.seq)
        .chain(p.container)
        .collect();
    containers.sort_unstable();
    containers.dedup();
    let seqs: Vec<u8> = containers.iter().flat_map(|s| s.to_be_bytes()).collect();
    field(Some(&seqs));
    field(p.metadata.get(PART_KEY).map(String::as_bytes));
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place<'a>(
        name: Option<&'a [u8]>,
        related: &'a [Related],
        metadata: &'a BTreeMap<String, String>,
    ) -> Place<'a> {
        Place {
            source: "s",
            name,
            related,
            metadata,
            container: None,
        }
    }

    #[test]
    fn places_differ_by_name_container_and_part_under_format_2_only() {
        let none = BTreeMap::new();
        let mut part = BTreeMap::new();
        part.insert(PART_KEY.to_string(), "3".to_string());
        let inside = [Related {
            relation: CONTAINED_IN.into(),
            seq: 7,
        }];
        let other = [Related {
            relation: "altered_copy_of".into(),
            seq: 7,
        }];
        let a = place(Some(b"a/x.pdf"), &[], &none);
        let variants = [
            place(Some(b"b/x.pdf"), &[], &none),
            place(None, &[], &none),
            place(Some(b"a/x.pdf"), &inside, &none),
            place(Some(b"a/x.pdf"), &[], &part),
        ];
        for v in &variants {
            assert_ne!(key(2, &a), key(2, v));
            assert_eq!(key(1, &a), key(1, v));
        }
        // Relations other than containment are not a place.
        assert_eq!(key(2, &a), key(2, &place(Some(b"a/x.pdf"), &other, &none)));
        // A same-batch container is the same place as the link it becomes.
        let pending = Place {
            container: Some(7),
            ..place(Some(b"a/x.pdf"), &[], &none)
        };
        assert_eq!(key(2, &pending), key(2, &variants[2]));
        // Length prefixes: a name cannot spill into the next field.
        assert_ne!(
            key(2, &place(Some(b""), &[], &none)),
            key(2, &place(None, &[], &none))
        );
    }
}
