//! An index over TLSH fingerprints for `prov add`, so that finding the look-alikes of a
//! hundred thousand new documents among a million recorded ones is not a hundred thousand
//! scans: locality-sensitive hashing on the fingerprint's body (Indyk and Motwani 1998,
//! bit sampling), which finds close fingerprints with high probability, not certainty.
//!
//! A TLSH body is 128 quartile codes of 2 bits. Each of [`TABLES`] tables keys a fingerprint
//! by [`PER_TABLE`] of its codes, at positions fixed here; fingerprints sharing a key in any
//! table are candidates, and each candidate's distance is then computed exactly. Two
//! fingerprints whose bodies differ in `p` codes share a table's key with probability
//! C(128 - p, 8) / C(128, 8): at least one of 32 tables matches with probability above
//! 0.9999 for p = 20, 0.97 for p = 30 and 0.77 for p = 40 (a distance of 40 has at most 40
//! differing codes, usually fewer). Unrelated fingerprints (a code equal by chance one time
//! in four) are candidates about 32 / 4^8 = 0.05% of the time. Each candidate costs a read
//! from memory the rest of `add` has long since evicted from the caches, so fewer of them
//! outweigh more tables: 20 tables of 7 codes (0.12% of unrelated fingerprints candidates,
//! 0.75 at p = 40) cost more. Memory: 160 bytes per fingerprint (its links and its body) and
//! 8 MiB per index.
//! `prov similar` does not use it: it compares every fingerprint.

/// Tables of the index.
pub(crate) const TABLES: usize = 32;
/// Codes per key.
pub(crate) const PER_TABLE: usize = 8;

/// The code positions of each table: distinct within a table, drawn once by a fixed linear
/// congruential generator (Knuth's MMIX constants), so every run and version agrees.
fn positions() -> [[u8; PER_TABLE]; TABLES] {
    let mut state: u64 = 0x7072_6f76_2d6c_7368; // "prov-lsh"
    let mut out = [[0u8; PER_TABLE]; TABLES];
    for table in &mut out {
        let mut n = 0;
        while n < PER_TABLE {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let p = (state >> 57) as u8; // 0..128
            if !table[..n].contains(&p) {
                table[n] = p;
                n += 1;
            }
        }
    }
    out
}

/// The code at `position` (0..128) of a body held as four u64 (see `similar::codes`).
fn code(body: &[u64; 4], position: u8) -> u32 {
    let p = usize::from(position);
    ((body[p / 32] >> (2 * (p % 32))) & 3) as u32
}

/// Items walked at most per bucket, the latest first (see
/// [`PrintIndex::for_each_candidate`]).
pub(crate) const MAX_PER_BUCKET: usize = 64;

/// Keys per table.
const BUCKETS: usize = 1 << (2 * PER_TABLE);
/// No item. A link is an item's number plus one, so that the buckets start as zeros, which
/// the allocator gets zeroed from the system (untouched pages cost nothing), not 8 MiB
/// written by hand for each `add`.
const NONE: u32 = 0;

/// One item: its body, beside the item filed before it in each table (a link, see [`NONE`]),
/// so that judging a candidate reads the memory that led to it (one or two cache lines, not
/// three).
struct Node {
    body: [u64; 4],
    links: [u32; TABLES],
}

/// The items of each bucket as a chain: the bucket holds its latest item, and each item the
/// one filed before it in each table. Items are numbered from 0 in the order they are filed.
/// No allocation per bucket: 4 bytes per bucket, 4 per item and table, and the body.
pub(crate) struct PrintIndex {
    positions: [[u8; PER_TABLE]; TABLES],
    heads: Vec<u32>,
    nodes: Vec<Node>,
}

impl PrintIndex {
    pub fn new() -> PrintIndex {
        PrintIndex {
            positions: positions(),
            heads: vec![NONE; TABLES * BUCKETS],
            nodes: Vec::new(),
        }
    }

    /// Where each table's bucket for `body` is in `heads`.
    fn slots(&self, body: &[u64; 4]) -> [usize; TABLES] {
        let mut slots = [0usize; TABLES];
        for (t, (slot, ps)) in slots.iter_mut().zip(&self.positions).enumerate() {
            let k = ps
                .iter()
                .fold(0usize, |k, &p| k << 2 | code(body, p) as usize);
            *slot = t * BUCKETS + k;
        }
        slots
    }

    /// Files the next item (numbered as many items as were filed before) under `body`.
    pub fn insert(&mut self, body: &[u64; 4]) {
        let item = u32::try_from(self.nodes.len() + 1).unwrap_or(NONE);
        let mut links = [NONE; TABLES];
        for (link, slot) in links.iter_mut().zip(self.slots(body)) {
            *link = self.heads[slot];
            self.heads[slot] = item;
        }
        self.nodes.push(Node { body: *body, links });
    }

    /// Calls `each` with every item sharing a key with `body`, and the item's body (an item
    /// sharing several keys, as often).
    ///
    /// At most the [`MAX_PER_BUCKET`] latest items of each bucket: documents that all look
    /// alike (a mailbox of one company's emails, say) share their buckets, and walking each
    /// bucket whole would make an add of n of them cost n² comparisons. A document then finds
    /// the closest among the latest look-alikes, not always among all of them.
    ///
    /// The buckets are walked side by side, one step of each at a time: the reads of one
    /// step do not depend on each other, so the processor waits for memory once per step,
    /// not once per item (each read is one the rest of `add` has evicted from the caches).
    pub fn for_each_candidate(&self, body: &[u64; 4], mut each: impl FnMut(u32, &[u64; 4])) {
        let slots = self.slots(body);
        let mut at = [NONE; TABLES];
        for (a, slot) in at.iter_mut().zip(slots) {
            *a = self.heads[slot];
        }
        for _ in 0..MAX_PER_BUCKET {
            let mut any = false;
            for (t, a) in at.iter_mut().enumerate() {
                let item = a.checked_sub(1);
                if let Some((item, node)) =
                    item.and_then(|i| Some((i, self.nodes.get(i as usize)?)))
                {
                    each(item, &node.body);
                    *a = node.links[t];
                    any = true;
                }
            }
            if !any {
                break;
            }
        }
    }

    /// The items sharing a key with `body`, each once, in ascending order.
    #[cfg(test)]
    pub fn candidates(&self, body: &[u64; 4]) -> Vec<u32> {
        let mut out = Vec::new();
        self.for_each_candidate(body, |i, b| {
            assert_eq!(b, &self.nodes[i as usize].body);
            out.push(i);
        });
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_distinct_within_each_table() {
        for t in positions() {
            let mut s = t.to_vec();
            s.sort_unstable();
            s.dedup();
            assert_eq!(s.len(), PER_TABLE);
            assert!(s.iter().all(|&p| p < 128));
        }
    }

    /// The recall the module documentation states, measured on 2,000 random bodies each
    /// changed in `p` random codes, and how rarely an unrelated body is a candidate.
    #[test]
    fn recall_as_documented() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state
        };
        for (p, want) in [(10, 0.999), (20, 0.995), (30, 0.95), (40, 0.73)] {
            let mut found = 0;
            let mut unrelated = 0;
            let trials = 2000;
            for _ in 0..trials {
                let a = [next(), next(), next(), next()];
                let mut b = a;
                let mut changed = std::collections::HashSet::new();
                while changed.len() < p {
                    changed.insert(next() >> 57);
                }
                for &c in &changed {
                    let c = c as usize;
                    let shift = 2 * (c % 32);
                    let old = (b[c / 32] >> shift) & 3;
                    let new = (old + 1 + next() % 3) & 3;
                    b[c / 32] = (b[c / 32] & !(3 << shift)) | (new << shift);
                }
                let mut index = PrintIndex::new();
                index.insert(&a);
                found += usize::from(!index.candidates(&b).is_empty());
                unrelated += usize::from(
                    !index
                        .candidates(&[next(), next(), next(), next()])
                        .is_empty(),
                );
            }
            let recall = found as f64 / trials as f64;
            assert!(recall >= want, "p = {p}: recall {recall}");
            assert!(
                unrelated < trials / 50,
                "p = {p}: {unrelated} unrelated candidates"
            );
        }
    }

    #[test]
    fn a_body_finds_itself_and_one_that_differs_in_a_few_codes() {
        let mut index = PrintIndex::new();
        let a = [
            0x0123_4567_89ab_cdef,
            0xfedc_ba98_7654_3210,
            0x5555_aaaa_3333_cccc,
            7,
        ];
        index.insert(&a);
        assert_eq!(index.candidates(&a), vec![0]);
        let mut b = a;
        b[0] ^= 0b11; // one code differs
        b[2] ^= 0b1100 << 40;
        assert_eq!(index.candidates(&b), vec![0]);
        assert!(index.candidates(&[!a[0], !a[1], !a[2], !a[3]]).is_empty());
    }

    /// Documents that all look alike: each query walks at most the latest
    /// `MAX_PER_BUCKET` of each bucket, so an add of n of them is not n² comparisons.
    #[test]
    fn a_crowd_of_look_alikes_is_walked_only_so_far() {
        let mut index = PrintIndex::new();
        let body = [1, 2, 3, 4];
        for _ in 0..1000 {
            index.insert(&body);
        }
        let mut walked = 0;
        let mut latest = false;
        index.for_each_candidate(&body, |i, _| {
            walked += 1;
            latest |= i == 999;
        });
        assert_eq!(walked, TABLES * MAX_PER_BUCKET);
        assert!(latest, "the latest look-alike is a candidate");
    }
}
