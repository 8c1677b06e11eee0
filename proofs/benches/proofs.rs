//! Proof generation and verification at 1,000,000 leaves, with every node stored as a log
//! stores them (O(log n) reads per proof). `cargo bench -p prov-proofs`
#![forbid(unsafe_code)]

use criterion::{Criterion, criterion_group, criterion_main};
use prov_proofs::{
    ConsistencyProof, Error, Frontier, Hash, HashReader, InclusionProof, NodeId, Tree, leaf_hash,
};
use std::collections::HashMap;
use std::hint::black_box;

const N: u64 = 1_000_000;

struct Store(HashMap<NodeId, Hash>);

impl HashReader for Store {
    type Error = Error;
    fn read_hashes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Error> {
        ids.iter()
            .map(|id| {
                self.0.get(id).copied().ok_or(Error::IndexOutOfRange {
                    index: id.index,
                    size: N,
                })
            })
            .collect()
    }
}

fn bench(c: &mut Criterion) {
    let mut f = Frontier::new();
    let mut nodes = HashMap::with_capacity(2 * N as usize);
    let leaves: Vec<Hash> = (0..N).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    for l in &leaves {
        nodes.extend(f.append(*l));
    }
    let store = Store(nodes);
    let tree = Tree {
        size: N,
        root: f.root(),
    };
    let old = Tree {
        size: 654_321,
        root: prov_proofs::root_at(&store, 654_321).unwrap(),
    };
    let mut i = 0u64;
    c.bench_function("inclusion generate, 1M leaves", |b| {
        b.iter(|| {
            i = (i + 7919) % N;
            black_box(InclusionProof::generate(&store, i, N).unwrap())
        })
    });
    let p = InclusionProof::generate(&store, 123_456, N).unwrap();
    c.bench_function("inclusion verify, 1M leaves", |b| {
        b.iter(|| {
            tree.verify_inclusion(123_456, &leaves[123_456], black_box(&p))
                .unwrap()
        })
    });
    c.bench_function("consistency generate, 654,321 -> 1M", |b| {
        b.iter(|| black_box(ConsistencyProof::generate(&store, 654_321, N).unwrap()))
    });
    let cp = ConsistencyProof::generate(&store, 654_321, N).unwrap();
    c.bench_function("consistency verify, 654,321 -> 1M", |b| {
        b.iter(|| old.verify_consistency(&tree, black_box(&cp)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
