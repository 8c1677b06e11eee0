//! `prov add`'s look-alike search (FORMAT.md 6.9): before a batch is appended, each of its
//! documents that has fingerprints is compared with those of the committed documents and of
//! the documents before it in the batch, through the index of `print_index.rs`; the closest
//! within the threshold is the `similar_to` link `append` records if the document is first
//! seen. After the batch, its first-seen documents' fingerprints join the committed ones.

use crate::append::{NewDocument, Recorded, Status};
use crate::error::Result;
use crate::fingerprints::{Print, PrintKind};
use crate::ledger::Ledger;
use crate::prints::Prints;
use crate::similar::{Resemblance, Target};

/// Finds, for each document of a batch that has fingerprints, the closest earlier
/// document within the threshold: a committed one (its record checked against the log)
/// or one before it in the batch. `append` links it if the document is first seen.
pub(crate) fn resemble(
    ledger: &Ledger,
    committed: &mut Option<Prints>,
    threshold: u32,
    docs: &mut [NewDocument],
) -> Result<()> {
    let printed = |d: &NewDocument| {
        let f = &d.similar.fingerprints;
        f.bytes.is_some() || f.text.is_some()
    };
    if !docs.iter().any(printed) {
        return Ok(());
    }
    if committed.is_none() {
        *committed = Some(Prints::indexed(ledger.fingerprints()?.prints));
    }
    let mut batch = Prints::indexed(Vec::new());
    for (i, d) in docs.iter_mut().enumerate() {
        if !printed(d) {
            continue;
        }
        let fp = &d.similar.fingerprints;
        let own = &d.content.sha256;
        let found = committed
            .as_ref()
            .and_then(|p| p.closest(fp, threshold, own));
        let found = match found {
            Some(c) => {
                let e = ledger.entry(c.seq)?;
                (e.content.sha256 == c.sha256 && e.kind == crate::entry::Kind::FirstSeen)
                    .then_some(c)
            }
            None => None,
        };
        let earlier = batch.closest(fp, threshold, own);
        let link = match (found, earlier) {
            (Some(c), Some(e)) if e.distance < c.distance => {
                Some((Target::Earlier(e.seq as usize), e))
            }
            (Some(c), _) => Some((Target::Entry(c.seq), c)),
            (None, Some(e)) => Some((Target::Earlier(e.seq as usize), e)),
            (None, None) => None,
        };
        let mine = prints_of(d, i as u64);
        d.similar.link = link.map(|(to, c)| Resemblance {
            to,
            distance: c.distance,
            kind: c.kind,
        });
        batch.extend(mine);
    }
    Ok(())
}

/// A document's fingerprints as records under `seq`.
pub(crate) fn prints_of(d: &NewDocument, seq: u64) -> Vec<Print> {
    let fp = &d.similar.fingerprints;
    [(PrintKind::Bytes, &fp.bytes), (PrintKind::Text, &fp.text)]
        .into_iter()
        .filter_map(|(kind, t)| {
            t.clone().map(|tlsh| Print {
                seq,
                sha256: d.content.sha256,
                kind,
                tlsh,
            })
        })
        .collect()
}

/// The fingerprints a batch stored: those of its first-seen documents.
pub(crate) fn new_prints(docs: &[NewDocument], results: &[Recorded]) -> Vec<Print> {
    docs.iter()
        .zip(results)
        .filter(|(_, r)| r.status == Status::FirstSeen)
        .flat_map(|(d, r)| prints_of(d, r.seq))
        .collect()
}
