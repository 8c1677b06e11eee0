//! Inclusion proofs: RFC 9162 section 2.1.3 (generation 2.1.3.1, verification 2.1.3.2).

use crate::error::{Error, Result};
use crate::hash::{Hash, hashes_from_bytes, node_hash};
use crate::tree::{HashReader, Tree, hash_ranges, split_point};

/// An audit path: sibling hashes from the leaf's sibling up to the root's child.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct InclusionProof {
    hashes: Vec<Hash>,
}

impl InclusionProof {
    /// Parses concatenated 32-byte hashes.
    ///
    /// # Errors
    /// [`Error::ProofBytes`] when the length is not a multiple of 32.
    pub fn try_from_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Self {
            hashes: hashes_from_bytes(bytes)?,
        })
    }

    /// Wraps already-parsed hashes (for example from tlog-proof lines).
    pub fn from_hashes(hashes: Vec<Hash>) -> Self {
        Self { hashes }
    }

    /// The hashes, the leaf's sibling first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Generates the proof for leaf `index` in the tree of the first `size` leaves, reading
    /// O(log size) stored hashes in one call.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] when `index >= size`, or what the reader fails with.
    pub fn generate<R: HashReader>(reader: &R, index: u64, size: u64) -> Result<Self, R::Error> {
        if index >= size {
            return Err(Error::IndexOutOfRange { index, size }.into());
        }
        let ranges = path_ranges(index, size);
        Ok(Self {
            hashes: hash_ranges(reader, &ranges)?,
        })
    }
}

/// The leaf ranges whose hashes form PATH(index, D[0:size]), deepest first (2.1.3.1).
pub(crate) fn path_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let (mut lo, mut hi) = (0, size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            out.push((lo + k, hi));
            hi = lo + k;
        } else {
            out.push((lo, lo + k));
            lo += k;
        }
    }
    out.reverse();
    out
}

impl Tree {
    /// Verifies that `leaf` is the hash of leaf `index` of this tree (RFC 9162 section
    /// 2.1.3.2), with the proof's length checked first.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`], [`Error::ProofLength`] or [`Error::RootMismatch`].
    pub fn verify_inclusion(&self, index: u64, leaf: &Hash, proof: &InclusionProof) -> Result<()> {
        if index >= self.size {
            return Err(Error::IndexOutOfRange {
                index,
                size: self.size,
            });
        }
        let want = path_ranges(index, self.size).len();
        if proof.hashes.len() != want {
            return Err(Error::ProofLength {
                got: proof.hashes.len(),
                want,
            });
        }
        let (mut fnode, mut snode) = (index, self.size - 1);
        let mut r = *leaf;
        for p in &proof.hashes {
            if snode == 0 {
                return Err(Error::RootMismatch);
            }
            if fnode & 1 == 1 || fnode == snode {
                r = node_hash(p, &r);
                if fnode & 1 == 0 {
                    while fnode & 1 == 0 && fnode != 0 {
                        fnode >>= 1;
                        snode >>= 1;
                    }
                }
            } else {
                r = node_hash(&r, p);
            }
            fnode >>= 1;
            snode >>= 1;
        }
        if snode == 0 && r == self.root {
            Ok(())
        } else {
            Err(Error::RootMismatch)
        }
    }
}
