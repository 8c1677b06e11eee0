//! The RFC 6962 reference tree, published CT proofs, and every proof up to 64 leaves checked
//! against a naive transcription of the RFC's definitions.
#![forbid(unsafe_code)]

mod common;

use common::*;
use prov_proofs::{ConsistencyProof, Error, Frontier, InclusionProof, Tree, root_at};

/// MTH of the first n reference leaves, n = 0..=8, as published with the CT test data.
const REFERENCE_ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn reference_tree_roots_of_every_prefix() {
    let leaves = reference_leaf_hashes();
    let store = NaiveStore(leaves.clone());
    let mut frontier = Frontier::new();
    for (n, want) in REFERENCE_ROOTS.iter().enumerate() {
        let want = hex_hash(want);
        assert_eq!(mth(&leaves[..n]), want, "naive root of {n}");
        assert_eq!(
            root_at(&store, n as u64).unwrap(),
            want,
            "stored root of {n}"
        );
        assert_eq!(frontier.root(), want, "frontier root of {n}");
        if n < leaves.len() {
            frontier.append(leaves[n]);
        }
    }
}

#[test]
fn published_reference_proofs() {
    let store = NaiveStore(reference_leaf_hashes());
    let inclusion_0_8 = [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ];
    let got = InclusionProof::generate(&store, 0, 8).unwrap();
    assert_eq!(got.hashes(), inclusion_0_8.map(hex_hash));
    let consistency: [(u64, u64, &[&str]); 3] = [
        (1, 8, &inclusion_0_8),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (1, 1, &[]),
    ];
    for (old, new, want) in consistency {
        let got = ConsistencyProof::generate(&store, old, new).unwrap();
        let want: Vec<_> = want.iter().map(|h| hex_hash(h)).collect();
        assert_eq!(got.hashes(), want, "consistency {old} -> {new}");
        let (t_old, t_new) = (tree(old), tree(new));
        t_old.verify_consistency(&t_new, &got).unwrap();
    }
}

fn tree(size: u64) -> Tree {
    Tree {
        size,
        root: hex_hash(REFERENCE_ROOTS[size as usize]),
    }
}

/// Every inclusion and consistency proof for every size up to 64 equals the naive one and
/// verifies; the reference tree (the first 8) included.
#[test]
fn every_proof_up_to_64_leaves_matches_the_rfc_definitions() {
    for (name, leaves) in [
        ("reference", reference_leaf_hashes()),
        ("numbered", numbered_leaf_hashes(64)),
    ] {
        let store = NaiveStore(leaves.clone());
        for size in 0..=leaves.len() {
            let t = Tree {
                size: size as u64,
                root: mth(&leaves[..size]),
            };
            for index in 0..size {
                let got = InclusionProof::generate(&store, index as u64, size as u64).unwrap();
                assert_eq!(
                    got.hashes(),
                    path(index, &leaves[..size]),
                    "{name} {index}/{size}"
                );
                t.verify_inclusion(index as u64, &leaves[index], &got)
                    .unwrap_or_else(|e| panic!("{name} inclusion {index}/{size}: {e}"));
            }
            assert_eq!(
                InclusionProof::generate(&store, size as u64, size as u64),
                Err(Error::IndexOutOfRange {
                    index: size as u64,
                    size: size as u64
                })
            );
            if size > 0 {
                assert_eq!(
                    ConsistencyProof::generate(&store, 0, size as u64),
                    Err(Error::ConsistencyFromEmpty { new: size as u64 })
                );
            }
            for old in (0..=size).filter(|&old| old > 0 || size == 0) {
                let got = ConsistencyProof::generate(&store, old as u64, size as u64).unwrap();
                assert_eq!(
                    got.hashes(),
                    proof(old, &leaves[..size]),
                    "{name} {old}->{size}"
                );
                let t_old = Tree {
                    size: old as u64,
                    root: mth(&leaves[..old]),
                };
                t_old
                    .verify_consistency(&t, &got)
                    .unwrap_or_else(|e| panic!("{name} consistency {old}->{size}: {e}"));
            }
        }
    }
}

#[test]
fn rfc_edge_cases() {
    let leaves = numbered_leaf_hashes(8);
    let store = NaiveStore(leaves.clone());
    let t8 = Tree {
        size: 8,
        root: mth(&leaves),
    };
    let t0 = Tree {
        size: 0,
        root: mth(&[]),
    };
    let t5 = Tree {
        size: 5,
        root: mth(&leaves[..5]),
    };
    let empty = ConsistencyProof::default();
    // Size 0: no leaf is in it, and no proof from it to a larger tree exists (RFC 9162
    // 2.1.4.2 needs 0 < first): refused whatever the proof or the old root, never accepted
    // with an empty proof (transparency-dev/merkle `size1-is-zero-*`).
    assert!(
        t0.verify_inclusion(0, &leaves[0], &InclusionProof::default())
            .is_err()
    );
    let some = ConsistencyProof::generate(&store, 5, 8).unwrap();
    let from_empty = Err(Error::ConsistencyFromEmpty { new: 8 });
    assert_eq!(t0.verify_consistency(&t8, &empty), from_empty);
    assert_eq!(t0.verify_consistency(&t8, &some), from_empty);
    let t0_forged = Tree {
        size: 0,
        root: leaves[0],
    };
    assert_eq!(t0_forged.verify_consistency(&t8, &empty), from_empty);
    assert_eq!(
        ConsistencyProof::generate(&store, 0, 8),
        Err(Error::ConsistencyFromEmpty { new: 8 })
    );
    // Equal sizes zero: an empty proof and equal roots (`sizes-are-equal-zero-*`).
    t0.verify_consistency(&t0, &empty).unwrap();
    assert_eq!(ConsistencyProof::generate(&store, 0, 0), Ok(empty.clone()));
    assert_eq!(
        t0.verify_consistency(&t0_forged, &empty),
        Err(Error::RootMismatch)
    );
    assert_eq!(t0.verify_consistency(&t0, &some), Err(Error::NonEmptyProof));
    // Equal sizes: empty proof and equal roots only.
    t8.verify_consistency(&t8, &empty).unwrap();
    assert_eq!(t8.verify_consistency(&t8, &some), Err(Error::NonEmptyProof));
    let forged = Tree {
        size: 8,
        root: leaves[0],
    };
    assert_eq!(
        t8.verify_consistency(&forged, &empty),
        Err(Error::RootMismatch)
    );
    // Shrinking is never consistent.
    assert!(matches!(
        t8.verify_consistency(&t5, &some),
        Err(Error::SizeOrder { .. })
    ));
    assert!(matches!(
        ConsistencyProof::generate(&store, 8, 5),
        Err(Error::SizeOrder { .. })
    ));
    // Index beyond the size.
    let p = InclusionProof::generate(&store, 4, 8).unwrap();
    assert!(matches!(
        t8.verify_inclusion(8, &leaves[4], &p),
        Err(Error::IndexOutOfRange { .. })
    ));
    // Proof bytes must be whole hashes.
    assert_eq!(
        InclusionProof::try_from_bytes(&[0; 33]),
        Err(Error::ProofBytes(33))
    );
    assert_eq!(
        ConsistencyProof::try_from_bytes(&[0; 64])
            .unwrap()
            .hashes()
            .len(),
        2
    );
}
