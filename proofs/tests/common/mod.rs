//! Test-only helpers: a naive, recursive transcription of RFC 9162 section 2.1 to check the
//! real implementation against, and an in-memory [`HashReader`] built on it.
#![allow(dead_code)]

use prov_proofs::{Error, Hash, HashReader, NodeId, empty_root, leaf_hash, node_hash};

/// The RFC 6962 reference leaves used across CT implementations.
pub const REFERENCE_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

pub fn hex_hash(s: &str) -> Hash {
    Hash::try_from_slice(&hex::decode(s).unwrap()).unwrap()
}

pub fn reference_leaf_hashes() -> Vec<Hash> {
    REFERENCE_LEAVES
        .iter()
        .map(|l| leaf_hash(&hex::decode(l).unwrap()))
        .collect()
}

/// Leaves `i` for `i in 0..n`, as leaf hashes of their decimal text.
pub fn numbered_leaf_hashes(n: u64) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(i.to_string().as_bytes()))
        .collect()
}

fn k(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) (2.1.1), over leaf hashes.
pub fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => node_hash(&mth(&leaves[..k(n)]), &mth(&leaves[k(n)..])),
    }
}

/// PATH(m, D[n]) (2.1.3.1).
pub fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = k(n);
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// PROOF(m, D[n]) (2.1.4.1), empty for m == 0 or m == n.
pub fn proof(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    fn sub(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { vec![] } else { vec![mth(leaves)] };
        }
        let k = k(n);
        if m <= k {
            let mut p = sub(m, &leaves[..k], b);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = sub(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]));
            p
        }
    }
    if m == 0 || m >= leaves.len() {
        return vec![];
    }
    sub(m, leaves, true)
}

/// Serves any complete-subtree hash by recomputing it naively.
pub struct NaiveStore(pub Vec<Hash>);

impl HashReader for NaiveStore {
    type Error = Error;
    fn read_hashes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Error> {
        ids.iter()
            .map(|id| {
                let lo = id.first_leaf() as usize;
                let hi = lo + (1usize << id.level);
                if hi > self.0.len() {
                    return Err(Error::IndexOutOfRange {
                        index: hi as u64,
                        size: self.0.len() as u64,
                    });
                }
                Ok(mth(&self.0[lo..hi]))
            })
            .collect()
    }
}

/// A store holding exactly the nodes a log stores: those [`prov_proofs::Frontier`] creates.
pub struct MemoryStore {
    pub nodes: std::collections::HashMap<NodeId, Hash>,
    pub frontier: prov_proofs::Frontier,
}

impl MemoryStore {
    pub fn with_leaves(leaves: &[Hash]) -> Self {
        let mut s = MemoryStore {
            nodes: Default::default(),
            frontier: prov_proofs::Frontier::new(),
        };
        for l in leaves {
            s.nodes.extend(s.frontier.append(*l));
        }
        s
    }
}

impl HashReader for MemoryStore {
    type Error = Error;
    fn read_hashes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Error> {
        ids.iter()
            .map(|id| {
                self.nodes.get(id).copied().ok_or(Error::IndexOutOfRange {
                    index: id.first_leaf(),
                    size: self.frontier.size(),
                })
            })
            .collect()
    }
}

/// Every mangle of a verifier key string: each cut from the front or the back (every
/// substring, in fact), each byte dropped, and each byte replaced by a few other values.
pub fn vkey_mangles(vkey: &str) -> Vec<Vec<u8>> {
    let b = vkey.as_bytes();
    let mut out = Vec::new();
    for i in 0..b.len() {
        for j in i + 1..=b.len() {
            if (i, j) != (0, b.len()) {
                out.push(b[i..j].to_vec());
            }
        }
        let mut dropped = b.to_vec();
        dropped.remove(i);
        out.push(dropped);
        let c = b[i];
        for r in [
            c ^ 0x01,
            c ^ 0x20,
            c.wrapping_add(1),
            c.wrapping_sub(1),
            b'0',
            b'a',
            b'A',
            b'+',
            b'/',
            b'=',
            b' ',
            b'\n',
            0x7f,
            0xff,
        ] {
            if r != c {
                let mut m = b.to_vec();
                m[i] = r;
                out.push(m);
            }
        }
    }
    out
}

/// `tlog_tiles`'s storage: every hash Go's `tlog` stores, in its order.
pub struct CfStore(pub Vec<tlog_tiles::Hash>);

impl tlog_tiles::HashReader for CfStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.0
                    .get(i as usize)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}
