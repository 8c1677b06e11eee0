//! `verify_tlog_proof` (issue 10, item 12): every rule `prov verify-proof` applies, in the
//! library, each one shown to refuse a proof that breaks only it. The proofs are of a
//! one-entry tree, whose root is the entry's leaf hash and whose audit path is empty.
#![forbid(unsafe_code)]

mod common;

use ed25519_dalek::SigningKey;
use prov_ledger::{Entry, Error, FileDigest, verify_tlog_proof};
use prov_proofs::{Checkpoint, InclusionProof, NoteSigner, TlogProof, leaf_hash};

const ORIGIN: &str = "example.com/prov";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[4; 32])).unwrap()
}

fn entry(seq: u64) -> Entry {
    common::minimal_entry(seq)
}

/// The proof of `leaf` as the one leaf of a tree, at `index`, signed by `signer()`.
fn proof_of(leaf: Option<Vec<u8>>, index: u64) -> TlogProof {
    let root = leaf_hash(leaf.as_deref().unwrap_or_default());
    let checkpoint = Checkpoint {
        origin: ORIGIN.into(),
        size: 1,
        root,
        extensions: vec![],
    }
    .sign(&signer())
    .unwrap()
    .to_text();
    TlogProof {
        extra: leaf,
        index,
        proof: InclusionProof::from_hashes(vec![]),
        checkpoint,
    }
}

fn signed(mut e: Entry, key: &SigningKey, key_id: u32) -> Vec<u8> {
    e.sign(key, key_id).unwrap()
}

#[test]
fn each_rule_refuses_a_proof_that_breaks_only_it() {
    let s = signer();
    let v = s.verifier().clone();
    let key = SigningKey::from_bytes(&[4; 32]);
    let good = signed(entry(0), &key, v.key_id);
    let doc = |sha256, size| FileDigest { sha256, size };

    let ok =
        verify_tlog_proof(&proof_of(Some(good.clone()), 0), &v, Some(&doc([6; 32], 2))).unwrap();
    assert_eq!(ok.entry, Entry::from_bytes(&good).unwrap());
    assert_eq!(ok.checkpoint.size, 1);
    assert!(ok.document_checked);
    assert!(
        !verify_tlog_proof(&proof_of(Some(good.clone()), 0), &v, None)
            .unwrap()
            .document_checked
    );

    let refused =
        |p: TlogProof, d: Option<FileDigest>| verify_tlog_proof(&p, &v, d.as_ref()).unwrap_err();
    // 1. No entry.
    assert!(matches!(
        refused(proof_of(None, 0), None),
        Error::ProofWithoutEntry
    ));
    // 2. A checkpoint signed by another key.
    let mut other = proof_of(Some(good.clone()), 0);
    let stranger = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[5; 32])).unwrap();
    other.checkpoint = Checkpoint::open(other.checkpoint.as_bytes(), &v)
        .unwrap()
        .sign(&stranger)
        .unwrap()
        .to_text();
    assert!(matches!(refused(other, None), Error::Proof(_)));
    // 3. An index the tree does not have.
    assert!(matches!(
        refused(proof_of(Some(good.clone()), 1), None),
        Error::Proof(_)
    ));
    // 4. Leaf data that is not an entry.
    assert!(matches!(
        refused(proof_of(Some(b"not an entry".to_vec()), 0), None),
        Error::ProvenEntryMalformed(_)
    ));
    // 5. An entry that says it is another one than the leaf it is proven at.
    assert!(matches!(
        refused(proof_of(Some(signed(entry(3), &key, v.key_id)), 0), None),
        Error::EntryNotAtIndex { seq: 3, index: 0 }
    ));
    // 6. Another key ID.
    assert!(matches!(
        refused(proof_of(Some(signed(entry(0), &key, 0x1234_5678)), 0), None),
        Error::EntryKeyId {
            entry: 0x1234_5678,
            ..
        }
    ));
    // 7. The ledger's key ID, another key's signature.
    let forged = signed(entry(0), &SigningKey::from_bytes(&[5; 32]), v.key_id);
    assert!(matches!(
        refused(proof_of(Some(forged), 0), None),
        Error::EntrySignature { seq: 0 }
    ));
    // 8. Another document, by hash, then by size alone.
    assert!(matches!(
        refused(proof_of(Some(good.clone()), 0), Some(doc([7; 32], 2))),
        Error::DocumentHash { .. }
    ));
    assert!(matches!(
        refused(proof_of(Some(good), 0), Some(doc([6; 32], 99))),
        Error::DocumentSize {
            document: 99,
            entry: 2
        }
    ));
}
