//! Tree geometry: complete subtrees, stored node hashes, tree roots and the append frontier.
//!
//! Every hash a proof needs is the hash of a range of leaves `[lo, hi)` that is a subtree of
//! the RFC 9162 section 2.1.1 tree. Such a range splits into *complete* subtrees (a power of
//! two leaves, aligned), and those are exactly the nodes a log stores. So a proof is planned
//! as a list of [`NodeId`]s, read in one [`HashReader::read_hashes`] call, and folded.

use crate::error::Error;
use crate::hash::{Hash, empty_root, node_hash};

/// A complete subtree: the `2^level` leaves starting at leaf `index << level`.
///
/// Level 0 nodes are leaf hashes. A log stores the hash of every complete subtree it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves (0 for a leaf).
    pub level: u8,
    /// Position among the nodes of that level, counting from the left.
    pub index: u64,
}

impl NodeId {
    /// The first leaf this node covers.
    pub fn first_leaf(&self) -> u64 {
        self.index << self.level
    }
}

/// Read access to stored node hashes, the only thing proof generation needs.
pub trait HashReader {
    /// The reader's own error; it must be able to carry this crate's errors too.
    type Error: From<Error>;

    /// Returns the hash of each node, in the order asked.
    ///
    /// # Errors
    /// Whatever the storage fails with, including a node it does not have.
    fn read_hashes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Self::Error>;
}

/// A tree head: a size and the root hash of the first `size` leaves.
///
/// Proofs are verified by methods on this, the value an auditor trusts (for example the
/// root and size of a checkpoint whose signature verified).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tree {
    /// Number of leaves.
    pub size: u64,
    /// RFC 9162 section 2.1.1 Merkle Tree Hash of those leaves.
    pub root: Hash,
}

/// The largest power of two strictly smaller than `n` (`n >= 2`), RFC 9162 section 2.1.1's `k`.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The complete subtrees that make up leaves `[lo, hi)`, left to right, largest first.
pub(crate) fn complete_subtrees(mut lo: u64, hi: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    while lo < hi {
        let mut level = if lo == 0 { 63 } else { lo.trailing_zeros() };
        while level > 0 && (hi - lo) < (1u64 << level) {
            level -= 1;
        }
        out.push(NodeId {
            level: level as u8,
            index: lo >> level,
        });
        lo += 1 << level;
    }
    out
}

/// Folds complete-subtree hashes (left to right) into the hash of their whole range.
fn fold_right(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

/// Reads and computes the hash of each leaf range, with one call to the reader.
pub(crate) fn hash_ranges<R: HashReader>(
    reader: &R,
    ranges: &[(u64, u64)],
) -> Result<Vec<Hash>, R::Error> {
    let plans: Vec<Vec<NodeId>> = ranges
        .iter()
        .map(|&(lo, hi)| complete_subtrees(lo, hi))
        .collect();
    let ids: Vec<NodeId> = plans.iter().flatten().copied().collect();
    let hashes = reader.read_hashes(&ids)?;
    if hashes.len() != ids.len() {
        return Err(Error::ProofLength {
            got: hashes.len(),
            want: ids.len(),
        }
        .into());
    }
    let mut at = 0;
    let mut out = Vec::with_capacity(plans.len());
    for plan in &plans {
        let part = &hashes[at..at + plan.len()];
        at += plan.len();
        out.push(fold_right(part).unwrap_or_else(empty_root));
    }
    Ok(out)
}

/// The root of the first `size` leaves, from O(log size) stored hashes.
///
/// # Errors
/// Whatever the reader fails with.
pub fn root_at<R: HashReader>(reader: &R, size: u64) -> Result<Hash, R::Error> {
    if size == 0 {
        return Ok(empty_root());
    }
    Ok(hash_ranges(reader, &[(0, size)])?[0])
}

/// The right edge of a growing tree: the complete subtrees of its leaves, left to right.
///
/// Appending a leaf yields the new complete nodes that a log must store; at most 64 hashes
/// are kept, whatever the size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<(NodeId, Hash)>,
}

impl Frontier {
    /// The frontier of an empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads the frontier of a tree of `size` leaves from stored hashes.
    ///
    /// # Errors
    /// Whatever the reader fails with.
    pub fn load<R: HashReader>(reader: &R, size: u64) -> Result<Self, R::Error> {
        let ids = complete_subtrees(0, size);
        let hashes = reader.read_hashes(&ids)?;
        if hashes.len() != ids.len() {
            return Err(Error::ProofLength {
                got: hashes.len(),
                want: ids.len(),
            }
            .into());
        }
        Ok(Frontier {
            size,
            nodes: ids.into_iter().zip(hashes).collect(),
        })
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; returns every node that became complete, the leaf first.
    pub fn append(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let leaf_id = NodeId {
            level: 0,
            index: self.size,
        };
        let mut created = vec![(leaf_id, leaf)];
        self.nodes.push((leaf_id, leaf));
        while self.nodes.len() >= 2 {
            let (right_id, right) = self.nodes[self.nodes.len() - 1];
            let (left_id, left) = self.nodes[self.nodes.len() - 2];
            if left_id.level != right_id.level {
                break;
            }
            self.nodes.truncate(self.nodes.len() - 2);
            let parent = (
                NodeId {
                    level: left_id.level + 1,
                    index: left_id.index / 2,
                },
                node_hash(&left, &right),
            );
            self.nodes.push(parent);
            created.push(parent);
        }
        self.size += 1;
        created
    }

    /// The root of the tree so far (RFC 9162 section 2.1.1).
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.nodes.iter().map(|(_, h)| *h).collect();
        fold_right(&hashes).unwrap_or_else(empty_root)
    }

    /// The tree head so far.
    pub fn tree(&self) -> Tree {
        Tree {
            size: self.size,
            root: self.root(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_largest_power_of_two_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(1 << 40), 1 << 39);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn complete_subtrees_follow_binary_decomposition() {
        let ids = complete_subtrees(0, 7);
        let spans: Vec<(u8, u64)> = ids.iter().map(|n| (n.level, n.index)).collect();
        assert_eq!(spans, vec![(2, 0), (1, 2), (0, 6)]);
        assert_eq!(complete_subtrees(4, 8), vec![NodeId { level: 2, index: 1 }]);
        assert!(complete_subtrees(5, 5).is_empty());
    }
}
