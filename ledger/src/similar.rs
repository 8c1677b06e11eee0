//! Look-alikes: recorded documents whose fingerprints (TLSH, `prov_ingest::Tlsh`) are close
//! to a document's, for `prov similar` and for the `similar_to` link `prov add` records
//! (FORMAT.md section 6.9).
//!
//! Bytes are compared with bytes and text with text; a document's distance to another is the
//! smaller of the two, with the kind that gave it. `prov similar` scans every fingerprint the
//! ledger holds (`docs/PERFORMANCE.md` has its cost), each cut short by a lower bound on the
//! TLSH distance (the number of differing quartile codes); `prov add`, which asks once per
//! new document, goes through an index that finds close fingerprints with high probability
//! (`print_index.rs`).

use crate::entry::{Entry, Kind};
use crate::error::{Error, Result};
use crate::fingerprints::{self, Print, PrintKind};
use crate::ledger::Ledger;
use crate::print_index::PrintIndex;
use prov_ingest::{Fingerprints, Tlsh};

/// The relation `prov add` records from a new document to the earlier one it resembles.
pub const SIMILAR_TO: &str = "similar_to";
/// The metadata key holding that link's TLSH distance (decimal).
pub const SIMILAR_DISTANCE: &str = "similar_to.distance";
/// The metadata key naming the fingerprint that gave it: `text` or `bytes`.
pub const SIMILAR_BY: &str = "similar_to.fingerprint";

/// The distance at or below which documents are said to look alike, unless told otherwise.
///
/// TLSH's paper (Oliver, Cheng and Chen 2013) reports for a cut-off below 40 a false
/// positive rate of 0.07% (with 49.6% of related files detected), and below 100 a rate of
/// 6.43% (94.5% detected): unrelated documents linked to each other would be noise in a
/// signed ledger, so the threshold stays at the low end. An altered copy of a text (one
/// sentence, one cell, one line changed) measures 5 to 15 in tests/e2e/similar.rs, well
/// within it.
pub const DEFAULT_THRESHOLD: u32 = 40;

/// What the walk found of a document's look, and the earlier document it was found to
/// resemble before it was recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Similarity {
    /// Its fingerprints, stored when it is first seen (`fingerprints`).
    pub fingerprints: Fingerprints,
    /// The earlier document to link as `similar_to`, when it is first seen.
    pub link: Option<Resemblance>,
}

/// A document resembling an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resemblance {
    /// The earlier document.
    pub to: Target,
    /// The TLSH distance.
    pub distance: u32,
    /// Which fingerprints gave it.
    pub kind: PrintKind,
}

/// Where the earlier document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// An entry already committed (its first-seen entry).
    Entry(u64),
    /// A document of the same batch, by its index there (before this one): its content's
    /// first-seen entry once the batch is decided.
    Earlier(usize),
}

/// A `similar_to` link recorded in an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimilarLink {
    /// The first-seen entry of the document it resembles.
    pub seq: u64,
    /// The TLSH distance.
    pub distance: u32,
    /// Which fingerprints gave it.
    pub kind: PrintKind,
}

/// A fingerprint's body codes (see [`differing_codes`]).
fn codes(t: &Tlsh) -> [u64; 4] {
    t.body()
}

/// A lower bound on the TLSH distance of two fingerprints, cheap to compute: the body term
/// alone counts at least 1 per quartile code that differs.
fn differing_codes(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    const LOW: u64 = 0x5555_5555_5555_5555;
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = x ^ y;
            ((d | d >> 1) & LOW).count_ones()
        })
        .sum()
}

/// Fingerprints held in memory for comparing, with their bodies' codes, and for `add` an
/// index over them (`print_index.rs`).
#[derive(Default)]
pub struct Prints {
    list: Vec<Print>,
    /// Each fingerprint's kind and body codes, apart and compact: the first test of every
    /// candidate reads only these.
    bodies: Vec<(PrintKind, [u64; 4])>,
    index: Option<PrintIndex>,
}

/// One fingerprint found close to a document's.
#[derive(Clone, Debug)]
pub struct Close {
    /// The first-seen entry it was stored for.
    pub seq: u64,
    /// That entry's SHA-256, as the record says.
    pub sha256: [u8; 32],
    /// The TLSH distance.
    pub distance: u32,
    /// Which fingerprints.
    pub kind: PrintKind,
}

impl Prints {
    /// Holds `prints` for comparing.
    pub fn new(prints: Vec<Print>) -> Prints {
        let mut p = Prints::default();
        p.extend(prints);
        p
    }

    /// Holds `prints` for comparing through an index: much faster for many queries, and a
    /// close fingerprint is found with high probability only (`print_index.rs`).
    pub fn indexed(prints: Vec<Print>) -> Prints {
        let mut p = Prints {
            list: Vec::new(),
            bodies: Vec::new(),
            index: Some(PrintIndex::new()),
        };
        p.extend(prints);
        p
    }

    /// Adds more.
    pub fn extend(&mut self, prints: impl IntoIterator<Item = Print>) {
        for p in prints {
            let c = codes(&p.tlsh);
            if let Some(index) = &mut self.index {
                index.insert(&c);
            }
            self.bodies.push((p.kind, c));
            self.list.push(p);
        }
    }

    /// How many fingerprints are held.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every document within `threshold` of `fp`, at most one per seq (its closer kind),
    /// closest first (then by seq), leaving out `own` content.
    pub fn within(&self, fp: &Fingerprints, threshold: u32, own: Option<&[u8; 32]>) -> Vec<Close> {
        let q = Query::new(fp, threshold, own);
        let mut found: Vec<Close> = Vec::new();
        let mut consider = |i: usize, mine: &(PrintKind, &Tlsh, [u64; 4])| {
            if let (Some(p), Some((kind, c))) = (self.list.get(i), self.bodies.get(i)) {
                found.extend(q.check(mine, p, *kind, c));
            }
        };
        for mine in &q.mine {
            match &self.index {
                // Every fingerprint, or those the index gives (some more than once).
                None => (0..self.list.len()).for_each(|i| consider(i, mine)),
                Some(index) => index.for_each_candidate(&mine.2, |i| consider(i as usize, mine)),
            }
        }
        closest_first(found)
    }

    /// The closest document within `threshold`, if any (see [`Prints::within`]).
    pub fn closest(&self, fp: &Fingerprints, threshold: u32, own: &[u8; 32]) -> Option<Close> {
        self.within(fp, threshold, Some(own)).into_iter().next()
    }
}

/// One document's fingerprints being compared with others'.
struct Query<'a> {
    mine: Vec<(PrintKind, &'a Tlsh, [u64; 4])>,
    threshold: u32,
    own: Option<&'a [u8; 32]>,
}

impl<'a> Query<'a> {
    fn new(fp: &'a Fingerprints, threshold: u32, own: Option<&'a [u8; 32]>) -> Query<'a> {
        let mine = [
            (PrintKind::Text, fp.text.as_ref()),
            (PrintKind::Bytes, fp.bytes.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, t)| t.map(|t| (k, t, codes(t))))
        .collect();
        Query {
            mine,
            threshold,
            own,
        }
    }

    /// `p` (of `kind`, body `c`), if it is within the threshold of `mine` and not `own`.
    fn check(
        &self,
        mine: &(PrintKind, &Tlsh, [u64; 4]),
        p: &Print,
        kind: PrintKind,
        c: &[u64; 4],
    ) -> Option<Close> {
        let (my_kind, t, mc) = mine;
        if *my_kind != kind
            || differing_codes(c, mc) > self.threshold
            || self.own == Some(&p.sha256)
        {
            return None;
        }
        let distance = t.distance(&p.tlsh);
        (distance <= self.threshold).then_some(Close {
            seq: p.seq,
            sha256: p.sha256,
            distance,
            kind,
        })
    }
}

/// One per seq (its closer kind, text on a tie), closest first, then by seq.
fn closest_first(mut found: Vec<Close>) -> Vec<Close> {
    found.sort_by_key(|c| (c.seq, c.distance, c.kind == PrintKind::Bytes));
    found.dedup_by_key(|c| c.seq);
    found.sort_by_key(|c| (c.distance, c.seq));
    found
}

/// A recorded document that looks like the one asked about.
#[derive(Clone, Debug)]
pub struct Lookalike {
    /// Its first-seen entry, read from the log.
    pub entry: Entry,
    /// The TLSH distance.
    pub distance: u32,
    /// Which fingerprints gave it.
    pub kind: PrintKind,
}

/// What [`Ledger::similar`] found.
#[derive(Debug, Default)]
pub struct SimilarReport {
    /// Closest first.
    pub found: Vec<Lookalike>,
    /// How many fingerprints were compared.
    pub compared: u64,
    /// Whether the ledger has a fingerprint file at all.
    pub present: bool,
    /// Records that did not read, or named an entry of other content (not believed).
    pub unbelieved: u64,
}

/// The fingerprints of a file as `prov add` takes them (looked into within the default
/// limits, its members read and left aside), and its SHA-256.
///
/// # Errors
/// [`Error::Io`] when it cannot be opened or read.
pub fn fingerprint_file(path: &std::path::Path) -> Result<(Fingerprints, [u8; 32])> {
    let top = prov_ingest::walk(path, &prov_ingest::Limits::default(), &mut |_| {
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|e| match e {
        prov_ingest::Error::Read { source, .. } | prov_ingest::Error::Open { source, .. } => {
            Error::io("read", path)(source)
        }
        other => Error::invalid("document", other.to_string()),
    })?;
    Ok((top.fingerprints, top.sha256))
}

impl Ledger {
    /// The fingerprints the ledger holds for its committed entries.
    ///
    /// # Errors
    /// Those of reading `fingerprints`.
    pub fn fingerprints(&self) -> Result<fingerprints::Loaded> {
        fingerprints::load(&self.dir, self.size())
    }

    /// Recorded documents within `threshold` of `fp`, closest first, leaving out the content
    /// `own` (the document asked about, when it is recorded). Each is read from the signed
    /// log: a record whose entry is not a first sighting of its SHA-256 is not believed.
    ///
    /// # Errors
    /// Reading the fingerprint file or the log.
    pub fn similar(
        &self,
        fp: &Fingerprints,
        threshold: u32,
        own: Option<&[u8; 32]>,
    ) -> Result<SimilarReport> {
        // One record at a time, each compared as it is read: constant memory.
        let q = Query::new(fp, threshold, own);
        let mut compared = 0u64;
        let mut close = Vec::new();
        let loaded = fingerprints::scan(&self.dir, self.size(), |p| {
            compared += 1;
            let c = codes(&p.tlsh);
            for mine in &q.mine {
                close.extend(q.check(mine, &p, p.kind, &c));
            }
        })?;
        let close = closest_first(close);
        let mut report = SimilarReport {
            compared,
            present: loaded.present,
            unbelieved: loaded.unreadable,
            ..SimilarReport::default()
        };
        for close in close {
            let entry = self.entry(close.seq)?;
            if entry.content.sha256 != close.sha256 || entry.kind != Kind::FirstSeen {
                report.unbelieved += 1;
                continue;
            }
            report.found.push(Lookalike {
                entry,
                distance: close.distance,
                kind: close.kind,
            });
        }
        Ok(report)
    }

    /// The fingerprints stored for entry `seq`'s content (those of its first-seen entry).
    ///
    /// # Errors
    /// Reading the log or the fingerprint file; [`Error::NoSuchEntry`].
    pub fn fingerprints_of(&self, seq: u64) -> Result<(Entry, Fingerprints)> {
        let entry = self.entry(seq)?;
        let first = match entry.kind {
            Kind::Sighting { first } => first,
            Kind::Claim { about, .. } => {
                return Err(Error::invalid(
                    "entry",
                    format!(
                        "entry {seq} is a claim about entry {about}, not a document: give a document's entry"
                    ),
                ));
            }
            _ => seq,
        };
        let mut fp = Fingerprints::default();
        fingerprints::scan(&self.dir, self.size(), |p| {
            if p.seq == first && p.sha256 == entry.content.sha256 {
                match p.kind {
                    PrintKind::Bytes => fp.bytes = Some(p.tlsh),
                    PrintKind::Text => fp.text = Some(p.tlsh),
                }
            }
        })?;
        Ok((entry, fp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(seed: u32, n: usize) -> Vec<u8> {
        (0..n as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 7) as u8)
            .collect()
    }

    #[test]
    fn the_lower_bound_never_exceeds_the_distance() {
        for s in 0..40 {
            let a = Tlsh::of(&text(s, 600)).unwrap();
            let mut altered = text(s, 600);
            altered[100 + s as usize] ^= 0x55;
            for b in [
                Tlsh::of(&text(s + 1000, 600)).unwrap(),
                Tlsh::of(&altered).unwrap(),
            ] {
                assert!(differing_codes(&codes(&a), &codes(&b)) <= a.distance(&b));
            }
        }
    }

    #[test]
    fn closest_first_own_content_left_out() {
        let base = text(7, 2000);
        let mut near = base.clone();
        near[500] ^= 1;
        let print = |seq, data: &[u8]| Print {
            seq,
            sha256: [seq as u8; 32],
            kind: PrintKind::Bytes,
            tlsh: Tlsh::of(data).unwrap(),
        };
        let prints = Prints::new(vec![
            print(0, &base),
            print(1, &near),
            print(2, &text(99, 2000)),
        ]);
        let fp = Fingerprints {
            bytes: Tlsh::of(&base),
            text: None,
        };
        let all = prints.within(&fp, 1000, None);
        assert_eq!(all[0].seq, 0);
        assert_eq!(all[0].distance, 0);
        let c = prints.closest(&fp, DEFAULT_THRESHOLD, &[0; 32]).unwrap();
        assert_eq!(c.seq, 1);
        assert!(prints.within(&fp, 1000, None).iter().any(|c| c.seq == 2));
    }
}
