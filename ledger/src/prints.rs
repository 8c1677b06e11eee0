//! Fingerprints held in memory and compared (`prov add`'s look-alike search, and each
//! record `prov similar` reads): bytes with bytes, text with text, each candidate first
//! judged by a lower bound on the TLSH distance (the quartile codes that differ), then by
//! TLSH's own distance (FORMAT.md 6.9).

use crate::fingerprints::{Print, PrintKind};
use crate::print_index::PrintIndex;
use prov_ingest::{Fingerprints, Tlsh};

/// A fingerprint's body codes (see [`differing_codes`]).
pub(crate) fn codes(t: &Tlsh) -> [u64; 4] {
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
pub(crate) struct Query<'a> {
    pub mine: Vec<(PrintKind, &'a Tlsh, [u64; 4])>,
    threshold: u32,
    own: Option<&'a [u8; 32]>,
}

impl<'a> Query<'a> {
    pub fn new(fp: &'a Fingerprints, threshold: u32, own: Option<&'a [u8; 32]>) -> Query<'a> {
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
    pub fn check(
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
pub(crate) fn closest_first(mut found: Vec<Close>) -> Vec<Close> {
    found.sort_by_key(|c| (c.seq, c.distance, c.kind == PrintKind::Bytes));
    found.dedup_by_key(|c| c.seq);
    found.sort_by_key(|c| (c.distance, c.seq));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similar::DEFAULT_THRESHOLD;

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
