//! A real two-entry log for the verdict tests: FORMAT.md's golden entries in a tree signed by
//! the RFC 8032 TEST 1 key, proven as `prov prove` proves, with witness cosignature lines after
//! the log's signature when a test adds them (as `prov prove` does, FORMAT.md section 9).

use ed25519_dalek::SigningKey;
use prov_proofs::{
    Checkpoint, InclusionProof, NoteSignature, NoteSigner, TlogProof, leaf_hash, node_hash,
};
use prov_web_verifier::Document;
use sha2::{Digest, Sha256};

/// The log's verifier key.
pub const KEY: &str = "example.com/prov+ad911d63+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";

fn signer() -> NoteSigner {
    let secret: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
    NoteSigner::new("example.com/prov", SigningKey::from_bytes(&secret)).unwrap()
}

fn leaves() -> Vec<Vec<u8>> {
    let path = format!(
        "{}/../../tests/vectors/entries.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| hex::decode(e["leaf_data"].as_str().unwrap()).unwrap())
        .collect()
}

/// The proof of entry `index` in the two-entry log, as text, its checkpoint carrying the
/// signature lines `cosign` makes from the checkpoint's note text.
pub fn proof_with(index: usize, cosign: impl Fn(&str) -> Vec<NoteSignature>) -> String {
    let l = leaves();
    let hashes = [leaf_hash(&l[0]), leaf_hash(&l[1])];
    let checkpoint = Checkpoint {
        origin: "example.com/prov".into(),
        size: 2,
        root: node_hash(&hashes[0], &hashes[1]),
        extensions: Vec::new(),
    };
    let mut note = checkpoint.sign(&signer()).unwrap();
    let lines = cosign(&note.text);
    note.signatures.extend(lines);
    TlogProof {
        extra: Some(l[index].clone()),
        index: index as u64,
        proof: InclusionProof::from_hashes(vec![hashes[1 - index]]),
        checkpoint: note.to_text(),
    }
    .to_text()
}

/// The proof of entry `index`, with no cosignature.
pub fn proof_of(index: usize) -> String {
    proof_with(index, |_| Vec::new())
}

/// The document entry 0 records.
pub fn hello() -> Document {
    Document {
        sha256: Sha256::digest(b"hello\n").into(),
        size: 6,
    }
}
