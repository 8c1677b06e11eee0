//! Property tests: prove-then-verify round trips over stored nodes, and every corruption
//! of a proof is rejected.
#![forbid(unsafe_code)]

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use prov_proofs::{
    Checkpoint, ConsistencyProof, Frontier, Hash, InclusionProof, Note, NoteSigner, Tree,
    empty_root, root_at,
};

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut b = h.0;
    b[bit / 8] ^= 1 << (bit % 8);
    Hash(b)
}

/// Short strings that favour the characters note and checkpoint texts treat specially:
/// newline, other C0 controls, DEL, spaces, `+`, the em dash.
fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z./]{1,12}",
        "(?s)[a-c\\n\\t\\r \u{7f}+\u{2014}\u{a0}]{0,6}",
        "(?s).{0,8}",
    ]
}

fn checkpoint() -> impl Strategy<Value = Checkpoint> {
    let root = prop_oneof![Just(empty_root()), any::<[u8; 32]>().prop_map(Hash)];
    let size = prop_oneof![Just(0u64), any::<u64>()];
    (
        tricky_text(),
        size,
        root,
        prop::collection::vec(tricky_text(), 0..3),
    )
        .prop_map(|(origin, size, root, extensions)| Checkpoint {
            origin,
            size,
            root,
            extensions,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Anything `Checkpoint::sign` accepts, `Checkpoint::open` accepts with the signer's
    /// verifier and reads back unchanged, and the note re-parses to its exact bytes.
    #[test]
    fn what_checkpoint_sign_accepts_opens(cp in checkpoint(), own_name in any::<bool>()) {
        let name = if own_name { cp.origin.as_str() } else { "example.com/log" };
        let Ok(signer) = NoteSigner::new(name, SigningKey::from_bytes(&[3; 32])) else {
            return Ok(());
        };
        match cp.sign(&signer) {
            Ok(note) => {
                let bytes = note.to_text();
                prop_assert_eq!(Checkpoint::open(bytes.as_bytes(), signer.verifier()), Ok(cp));
                prop_assert_eq!(Note::parse(bytes.as_bytes()).map(|n| n.to_text()), Ok(bytes));
            }
            // A checkpoint its own origin's signer accepts is refused under another name,
            // as such and not by chance.
            Err(e) if cp.origin != name
                && NoteSigner::new(&cp.origin, SigningKey::from_bytes(&[3; 32]))
                    .is_ok_and(|own| cp.sign(&own).is_ok()) =>
            {
                let wrong_origin = matches!(e, prov_proofs::Error::WrongOrigin { .. });
                prop_assert!(wrong_origin, "{}", e);
            }
            Err(_) => {}
        }
    }

    /// Anything `NoteSigner::sign` accepts, `Note::open` accepts and reads back unchanged.
    #[test]
    fn what_note_sign_accepts_opens(text in "(?s).{0,40}", lines in prop::collection::vec(tricky_text(), 0..4)) {
        let signer = NoteSigner::new("example.com/log", SigningKey::from_bytes(&[4; 32])).unwrap();
        let text = text + &lines.join("\n");
        for candidate in [text.clone(), text.clone() + "\n"] {
            if let Ok(note) = signer.sign(&candidate) {
                let bytes = note.to_text();
                let opened = Note::open(bytes.as_bytes(), &[signer.verifier().clone()]);
                prop_assert_eq!(opened.map(|n| n.text), Ok(candidate));
                prop_assert_eq!(Note::parse(bytes.as_bytes()).map(|n| n.to_text()), Ok(bytes));
            }
        }
    }

    #[test]
    fn inclusion_round_trip_and_corruptions(size in 1u64..3000, seed in any::<u64>(), bit in 0usize..256) {
        let index = seed % size;
        let leaves = numbered_leaf_hashes(size);
        let store = MemoryStore::with_leaves(&leaves);
        let root = root_at(&store, size).unwrap();
        prop_assert_eq!(root, store.frontier.root());
        let t = Tree { size, root };
        let proof = InclusionProof::generate(&store, index, size).unwrap();
        let leaf = leaves[index as usize];
        prop_assert!(t.verify_inclusion(index, &leaf, &proof).is_ok());
        // The wrong leaf, the wrong index, a flipped bit anywhere, a truncated or extended
        // proof, and a swapped root all fail.
        prop_assert!(t.verify_inclusion(index, &flip(&leaf, bit), &proof).is_err());
        if size > 1 {
            prop_assert!(t.verify_inclusion((index + 1) % size, &leaf, &proof).is_err());
        }
        let hashes = proof.hashes().to_vec();
        for i in 0..hashes.len() {
            let mut bad = hashes.clone();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(t.verify_inclusion(index, &leaf, &InclusionProof::from_hashes(bad)).is_err());
        }
        if !hashes.is_empty() {
            let short = InclusionProof::from_hashes(hashes[..hashes.len() - 1].to_vec());
            prop_assert!(t.verify_inclusion(index, &leaf, &short).is_err());
        }
        let mut long = hashes.clone();
        long.push(leaf);
        prop_assert!(t.verify_inclusion(index, &leaf, &InclusionProof::from_hashes(long)).is_err());
        let swapped = Tree { size, root: flip(&root, bit) };
        prop_assert!(swapped.verify_inclusion(index, &leaf, &proof).is_err());
    }

    #[test]
    fn consistency_round_trip_and_corruptions(new in 1u64..3000, seed in any::<u64>(), bit in 0usize..256) {
        let old = 1 + seed % new;
        let leaves = numbered_leaf_hashes(new);
        let store = MemoryStore::with_leaves(&leaves);
        let t_old = Tree { size: old, root: root_at(&store, old).unwrap() };
        let t_new = Tree { size: new, root: root_at(&store, new).unwrap() };
        let proof = ConsistencyProof::generate(&store, old, new).unwrap();
        prop_assert!(t_old.verify_consistency(&t_new, &proof).is_ok());
        let hashes = proof.hashes().to_vec();
        for i in 0..hashes.len() {
            let mut bad = hashes.clone();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(t_old.verify_consistency(&t_new, &ConsistencyProof::from_hashes(bad)).is_err());
        }
        if !hashes.is_empty() {
            let short = ConsistencyProof::from_hashes(hashes[..hashes.len() - 1].to_vec());
            prop_assert!(t_old.verify_consistency(&t_new, &short).is_err());
        }
        let mut long = hashes.clone();
        long.push(t_new.root);
        prop_assert!(t_old.verify_consistency(&t_new, &ConsistencyProof::from_hashes(long)).is_err());
        let forged_new = Tree { size: new, root: flip(&t_new.root, bit) };
        prop_assert!(t_old.verify_consistency(&forged_new, &proof).is_err());
        let forged_old = Tree { size: old, root: flip(&t_old.root, bit) };
        prop_assert!(forged_old.verify_consistency(&t_new, &proof).is_err());
        // From size 0 no proof exists, whatever is offered.
        let t0 = Tree { size: 0, root: prov_proofs::empty_root() };
        prop_assert!(t0.verify_consistency(&t_new, &ConsistencyProof::default()).is_err());
        prop_assert!(t0.verify_consistency(&t_new, &proof).is_err());
        if old < new {
            // Roots swapped between the two heads.
            let a = Tree { size: old, root: t_new.root };
            let b = Tree { size: new, root: t_old.root };
            prop_assert!(a.verify_consistency(&b, &proof).is_err());
        }
    }

    #[test]
    fn frontier_reloads_from_stored_nodes(size in 0u64..3000, extra in 1u64..50) {
        let leaves = numbered_leaf_hashes(size + extra);
        let store = MemoryStore::with_leaves(&leaves[..size as usize]);
        let mut loaded = Frontier::load(&store, size).unwrap();
        prop_assert_eq!(&loaded, &store.frontier);
        let full = MemoryStore::with_leaves(&leaves);
        for l in &leaves[size as usize..] {
            loaded.append(*l);
        }
        prop_assert_eq!(loaded.root(), full.frontier.root());
    }
}
