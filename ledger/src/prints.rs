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

/// Fingerprints held in memory for comparing through an index over them (`print_index.rs`).
pub(crate) struct Prints {
    list: Vec<Print>,
    /// Each fingerprint's kind; `None` for one left out of the search (see [`Prints::settle`]).
    kinds: Vec<Option<PrintKind>>,
    /// The index, which holds each fingerprint's body codes beside its links.
    index: PrintIndex,
    /// Where the fingerprints filed for the batch `add` is preparing start
    /// ([`Prints::resemble_then_file`]); their `seq` is their document's position in the
    /// batch until [`Prints::settle`].
    pending: usize,
    /// The contents whose fingerprints are held (committed, or filed for the batch): a copy
    /// of one is never filed again, so that repeats (sightings) cannot push the original out
    /// of the latest items its buckets keep.
    held: std::collections::HashSet<[u8; 32]>,
    /// Each fingerprint's last search pass ([`Prints::search`]): one the index gives again
    /// in the same pass is judged once. A set of the candidates made per pass instead took
    /// about a quarter of `add`'s time on a mailbox of look-alikes (hashing and growing it).
    judged: Vec<u32>,
    /// The number of the latest pass.
    pass: u32,
}

/// One fingerprint found close to a document's.
#[derive(Clone, Debug)]
pub(crate) struct Close {
    /// The first-seen entry it was stored for.
    pub seq: u64,
    /// That entry's SHA-256, as the record says.
    pub sha256: [u8; 32],
    /// The TLSH distance.
    pub distance: u32,
    /// Which fingerprints.
    pub kind: PrintKind,
    /// The fingerprint the record holds.
    pub tlsh: Tlsh,
}

impl Prints {
    /// Holds `prints` for comparing through an index: much faster than comparing with each
    /// for many queries, and a close fingerprint is found with high probability only
    /// (`print_index.rs`).
    pub(crate) fn indexed(prints: Vec<Print>) -> Prints {
        let mut p = Prints {
            list: Vec::new(),
            kinds: Vec::new(),
            index: PrintIndex::new(),
            pending: 0,
            held: std::collections::HashSet::new(),
            judged: Vec::new(),
            pass: 0,
        };
        p.extend(prints);
        p
    }

    /// Adds more (of committed documents).
    pub(crate) fn extend(&mut self, prints: impl IntoIterator<Item = Print>) {
        for p in prints {
            self.push(p);
        }
        self.pending = self.list.len();
    }

    fn push(&mut self, p: Print) {
        self.index.insert(&codes(&p.tlsh));
        self.kinds.push(Some(p.kind));
        self.judged.push(0);
        self.held.insert(p.sha256);
        self.list.push(p);
    }

    /// Calls `each` with the fingerprints of `fp` that are close to the held fingerprint `i`
    /// (within the threshold, not `own`), for every candidate `i` the index gives.
    fn search(&mut self, q: &Query<'_>, mut each: impl FnMut(usize, Close)) {
        for mine in &q.mine {
            // An item the index gives again (it shares several keys, as close ones do) is
            // judged once: stamped with the pass's number when it is first judged.
            self.pass = self.pass.wrapping_add(1);
            if self.pass == 0 {
                self.judged.fill(0);
                self.pass = 1;
            }
            let (pass, judged) = (self.pass, &mut self.judged);
            let (list, kinds) = (&self.list, &self.kinds);
            let mut consider = |i: usize, c: &[u64; 4]| {
                // Most candidates are dismissed by the lower bound alone, before any stamp.
                if differing_codes(c, &mine.2) > q.threshold {
                    return;
                }
                match judged.get_mut(i) {
                    Some(last) if *last != pass => *last = pass,
                    _ => return,
                }
                if let (Some(p), Some(Some(kind))) = (list.get(i), kinds.get(i)) {
                    q.check(mine, p, *kind, c)
                        .into_iter()
                        .for_each(|f| each(i, f));
                }
            };
            self.index
                .for_each_candidate(&mine.2, |i, c| consider(i as usize, c));
        }
    }

    /// `prov add`'s search for one document (of SHA-256 `own`) of the batch it prepares:
    /// the committed fingerprints within `threshold`, closest first (not one per entry: the
    /// caller believes them against the log first), and the closest document filed before
    /// it for the batch (whose `seq` is that document's position). Then files its
    /// fingerprints for the batch, at `position`, so that later documents find it: one
    /// probe of the index per document, and one insertion.
    pub(crate) fn resemble_then_file(
        &mut self,
        fp: &Fingerprints,
        threshold: u32,
        own: &[u8; 32],
        position: u64,
    ) -> (Vec<Close>, Option<Close>) {
        let (mut committed, mut batch) = (Vec::new(), Vec::new());
        let pending = self.pending;
        // `search` judges each fingerprint once however many tables give it.
        self.search(&Query::new(fp, threshold, Some(own)), |i, f| {
            if i < pending {
                committed.push(f);
            } else {
                batch.push(f);
            }
        });
        committed.sort_by_key(|c| (c.distance, c.seq, c.kind == PrintKind::Bytes));
        let closest = (committed, closest_first(batch).into_iter().next());
        if self.held.contains(own) {
            return closest;
        }
        for (kind, t) in [(PrintKind::Bytes, &fp.bytes), (PrintKind::Text, &fp.text)] {
            if let Some(tlsh) = t {
                self.push(Print {
                    seq: position,
                    sha256: *own,
                    kind,
                    tlsh: tlsh.clone(),
                });
            }
        }
        closest
    }

    /// After the batch is appended: the fingerprints filed for it take the seq of their
    /// document's entry when it was first seen (`first_seen(position)`), and are left out of
    /// the search otherwise, as they are not stored.
    pub(crate) fn settle(&mut self, first_seen: impl Fn(u64) -> Option<u64>) {
        for i in self.pending..self.list.len() {
            match first_seen(self.list[i].seq) {
                Some(seq) => self.list[i].seq = seq,
                None => {
                    self.kinds[i] = None;
                    self.held.remove(&self.list[i].sha256);
                }
            }
        }
        self.pending = self.list.len();
    }

    /// Leaves the fingerprints filed for a batch that was not appended out of the search.
    pub(crate) fn discard_pending(&mut self) {
        self.settle(|_| None);
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
        (distance <= self.threshold).then(|| Close {
            seq: p.seq,
            sha256: p.sha256,
            distance,
            kind,
            tlsh: p.tlsh.clone(),
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

    /// Every committed document within `threshold` of `fp`, at most one per seq (its closer
    /// kind), closest first (then by seq), leaving out `own` content.
    fn within(
        p: &mut Prints,
        fp: &Fingerprints,
        threshold: u32,
        own: Option<&[u8; 32]>,
    ) -> Vec<Close> {
        let (mut found, pending) = (Vec::new(), p.pending);
        p.search(&Query::new(fp, threshold, own), |i, f| {
            if i < pending {
                found.push(f);
            }
        });
        closest_first(found)
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
        let unrelated: Vec<u8> = (0..2000u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8)
            .collect();
        let mut prints =
            Prints::indexed(vec![print(0, &base), print(1, &near), print(2, &unrelated)]);
        let fp = Fingerprints {
            bytes: Tlsh::of(&base),
            text: None,
        };
        let all = within(&mut prints, &fp, DEFAULT_THRESHOLD, None);
        assert_eq!(all.iter().map(|c| c.seq).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(all[0].distance, 0);
        let c = within(&mut prints, &fp, DEFAULT_THRESHOLD, Some(&[0; 32]));
        assert_eq!(c.iter().map(|c| c.seq).collect::<Vec<_>>(), [1]);
        // One per seq, its closer kind; then closest first.
        let close = |seq, distance, kind| Close {
            seq,
            sha256: [0; 32],
            distance,
            kind,
            tlsh: Tlsh::of(&base).unwrap(),
        };
        let sorted = closest_first(vec![
            close(5, 30, PrintKind::Bytes),
            close(5, 12, PrintKind::Text),
            close(3, 20, PrintKind::Bytes),
        ]);
        let got: Vec<_> = sorted.iter().map(|c| (c.seq, c.distance)).collect();
        assert_eq!(got, [(5, 12), (3, 20)]);
    }

    /// A batch's documents find the committed ones and those filed before them; once the
    /// batch is settled, only its first-seen documents are found, under their seqs.
    #[test]
    fn a_batch_is_filed_then_settled_or_discarded() {
        let fp = |data: &[u8]| Fingerprints {
            bytes: Tlsh::of(data),
            text: None,
        };
        let base = text(7, 2000);
        let mut near = base.clone();
        near[500] ^= 1;
        let mut nearer = base.clone();
        nearer[900] ^= 1;
        let unrelated: Vec<u8> = (0..2000u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8)
            .collect();
        assert!(
            Tlsh::of(&unrelated)
                .unwrap()
                .distance(&Tlsh::of(&base).unwrap())
                > 100
        );
        let mut prints = Prints::indexed(vec![Print {
            seq: 4,
            sha256: [4; 32],
            kind: PrintKind::Bytes,
            tlsh: Tlsh::of(&unrelated).unwrap(),
        }]);
        let t = DEFAULT_THRESHOLD;
        let (c, e) = prints.resemble_then_file(&fp(&base), t, &[1; 32], 0);
        assert!(c.is_empty() && e.is_none());
        let (c, e) = prints.resemble_then_file(&fp(&near), t, &[2; 32], 1);
        assert!(c.is_empty(), "the committed one is unrelated");
        assert_eq!(e.map(|e| e.seq), Some(0), "the batch's first document");
        assert!(
            within(&mut prints, &fp(&base), t, None).is_empty(),
            "pending"
        );
        // Entry 10 first saw the base; the near copy was a sighting.
        prints.settle(|position| (position == 0).then_some(10));
        let (c, e) = prints.resemble_then_file(&fp(&nearer), t, &[3; 32], 0);
        // Once, though the index gives it from several of its tables.
        assert_eq!(c.iter().map(|c| c.seq).collect::<Vec<_>>(), [10]);
        assert!(e.is_none());
        assert_eq!(
            within(&mut prints, &fp(&near), t, None)
                .iter()
                .map(|c| c.seq)
                .collect::<Vec<_>>(),
            vec![10]
        );
        prints.discard_pending();
        let found = within(&mut prints, &fp(&nearer), t, Some(&[1; 32]));
        assert!(found.is_empty(), "{found:?}");
    }
}
