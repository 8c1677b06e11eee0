//! `prov add`'s look-alike search (FORMAT.md 6.9): before a batch is appended, each of its
//! documents that has fingerprints is compared with those of the committed documents and of
//! the documents before it in the batch, through the index of `print_index.rs`; the closest
//! within the threshold is the `similar_to` link `append` records if the document is first
//! seen. After the batch, its first-seen documents' fingerprints join the committed ones.

use crate::append::{NewDocument, Recorded, Status};
use crate::error::Result;
use crate::ledger::Ledger;
use crate::prints::Prints;
use crate::similar::{Belief, Resemblance, Target, belief};

/// Committed candidates read from the log at most per document, closest first: a file
/// stuffed with false records costs each document this many entry reads, no more.
const MAX_TRIED: usize = 16;

/// Finds, for each document of a batch that has fingerprints, the closest earlier
/// document within the threshold: a committed one (its record checked against the log)
/// or one before it in the batch. `append` links it if the document is first seen. The
/// batch's fingerprints are left filed in `committed`, pending: the caller settles them
/// once the batch is appended ([`Prints::settle`]), or discards them.
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
    let prints = match committed {
        Some(p) => p,
        None => committed.insert(Prints::indexed(ledger.fingerprints()?.prints)),
    };
    for (i, d) in docs.iter_mut().enumerate() {
        if !printed(d) {
            continue;
        }
        let (committed, earlier) = prints.resemble_then_file(
            &d.similar.fingerprints,
            threshold,
            &d.content.sha256,
            i as u64,
        );
        // The closest record its entry signs (FORMAT.md 6.10): a record of the unsigned file
        // that the log does not bear out is passed over, never linked.
        let mut found = None;
        for c in committed.into_iter().take(MAX_TRIED) {
            match ledger.entry(c.seq) {
                Ok(e) if belief(&e, &c) == Belief::Signed => {
                    found = Some(c);
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    prints.discard_pending();
                    return Err(e);
                }
            }
        }
        let link = match (found, earlier) {
            (Some(c), Some(e)) if e.distance < c.distance => {
                Some((Target::Earlier(e.seq as usize), e))
            }
            (Some(c), _) => Some((Target::Entry(c.seq), c)),
            (None, Some(e)) => Some((Target::Earlier(e.seq as usize), e)),
            (None, None) => None,
        };
        d.similar.link = link.map(|(to, c)| Resemblance {
            to,
            distance: c.distance,
            kind: c.kind,
        });
    }
    Ok(())
}

/// What [`Prints::settle`] needs after a batch is appended: the seq of each document that
/// was first seen, by its position.
pub(crate) fn first_seen(results: &[Recorded]) -> impl Fn(u64) -> Option<u64> + '_ {
    |position| {
        let r = results.get(usize::try_from(position).ok()?)?;
        (r.status == Status::FirstSeen).then_some(r.seq)
    }
}
