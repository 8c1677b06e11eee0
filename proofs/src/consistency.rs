//! Consistency proofs: RFC 9162 section 2.1.4 (generation 2.1.4.1, verification 2.1.4.2).

use crate::error::{Error, Result};
use crate::hash::{Hash, hashes_from_bytes, node_hash};
use crate::tree::{HashReader, Tree, hash_ranges, split_point};

/// The hashes that show a tree of `old` leaves is a prefix of a tree of `new` leaves.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ConsistencyProof {
    hashes: Vec<Hash>,
}

impl ConsistencyProof {
    /// Parses concatenated 32-byte hashes.
    ///
    /// # Errors
    /// [`Error::ProofBytes`] when the length is not a multiple of 32.
    pub fn try_from_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Self {
            hashes: hashes_from_bytes(bytes)?,
        })
    }

    /// Wraps already-parsed hashes (for example from proof text lines).
    pub fn from_hashes(hashes: Vec<Hash>) -> Self {
        Self { hashes }
    }

    /// The hashes, in RFC order.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Generates PROOF(old, D[0:new]) (RFC 9162 section 2.1.4.1, defined for
    /// `0 < old < new`); empty when `old == new`.
    ///
    /// # Errors
    /// [`Error::SizeOrder`] when `old > new`, [`Error::ConsistencyFromEmpty`] when
    /// `old == 0 < new`, or what the reader fails with.
    pub fn generate<R: HashReader>(reader: &R, old: u64, new: u64) -> Result<Self, R::Error> {
        if old > new {
            return Err(Error::SizeOrder { old, new }.into());
        }
        if old == 0 && new > 0 {
            return Err(Error::ConsistencyFromEmpty { new }.into());
        }
        let ranges = subproof_ranges(old, new);
        Ok(Self {
            hashes: hash_ranges(reader, &ranges)?,
        })
    }
}

/// The leaf ranges whose hashes form PROOF(old, D[0:new]), in RFC order (2.1.4.1).
pub(crate) fn subproof_ranges(old: u64, new: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    if old == 0 || old >= new {
        return out;
    }
    // Walk SUBPROOF(m, D[lo:hi], b) iteratively; commitments are emitted bottom-up, so
    // collect them on the way down and reverse.
    let (mut m, mut lo, mut hi, mut complete) = (old, 0, new, true);
    let mut tail = Vec::new();
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                out.push((lo, hi));
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            tail.push((lo + k, hi));
            hi = lo + k;
        } else {
            tail.push((lo, lo + k));
            m -= k;
            lo += k;
            complete = false;
        }
    }
    out.extend(tail.into_iter().rev());
    out
}

impl Tree {
    /// Verifies that `new` extends this (old, trusted) tree, RFC 9162 section 2.1.4.2.
    ///
    /// The RFC's algorithm covers `0 < first < second`. Equal sizes (0 included) need an
    /// empty proof and equal roots; an old size of 0 below a larger new size is refused, since
    /// no proof can show anything about it; a smaller new size fails. These are the verdicts
    /// of transparency-dev/merkle's `sizes-are-equal-*` and `size1-is-zero-*` cases.
    ///
    /// # Errors
    /// [`Error::SizeOrder`], [`Error::ConsistencyFromEmpty`], [`Error::NonEmptyProof`],
    /// [`Error::ProofLength`] or [`Error::RootMismatch`].
    pub fn verify_consistency(&self, new: &Tree, proof: &ConsistencyProof) -> Result<()> {
        let (first, second) = (self.size, new.size);
        if first > second {
            return Err(Error::SizeOrder {
                old: first,
                new: second,
            });
        }
        if first == second {
            if !proof.hashes.is_empty() {
                return Err(Error::NonEmptyProof);
            }
            if self.root != new.root {
                return Err(Error::RootMismatch);
            }
            return Ok(());
        }
        if first == 0 {
            return Err(Error::ConsistencyFromEmpty { new: second });
        }
        let want = subproof_ranges(first, second).len();
        if proof.hashes.len() != want {
            return Err(Error::ProofLength {
                got: proof.hashes.len(),
                want,
            });
        }
        let mut path: Vec<Hash> = Vec::with_capacity(want + 1);
        if first.is_power_of_two() {
            path.push(self.root);
        }
        path.extend_from_slice(&proof.hashes);
        let (mut fnode, mut snode) = (first - 1, second - 1);
        while fnode & 1 == 1 {
            fnode >>= 1;
            snode >>= 1;
        }
        let (mut fr, mut sr) = (path[0], path[0]);
        for c in &path[1..] {
            if snode == 0 {
                return Err(Error::RootMismatch);
            }
            if fnode & 1 == 1 || fnode == snode {
                fr = node_hash(c, &fr);
                sr = node_hash(c, &sr);
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            } else {
                sr = node_hash(&sr, c);
            }
            fnode >>= 1;
            snode >>= 1;
        }
        if fr == self.root && sr == new.root && snode == 0 {
            Ok(())
        } else {
            Err(Error::RootMismatch)
        }
    }
}
