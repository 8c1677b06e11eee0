//! The verdict on a claim's proof (FORMAT.md 6.7 and 6.8): the golden claim as entry 2 of a
//! three-entry log after the golden entries 0 and 1, proven as `prov prove` proves it.

use ed25519_dalek::SigningKey;
use prov_proofs::{Checkpoint, InclusionProof, NoteSigner, TlogProof, leaf_hash, node_hash};
use prov_web_verifier::{Document, Request, verify_proof};
use sha2::{Digest, Sha256};

const KEY: &str = "example.com/prov+ad911d63+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";

fn leaves(file: &str) -> Vec<Vec<u8>> {
    let path = format!("{}/../../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| hex::decode(e["leaf_data"].as_str().unwrap()).unwrap())
        .collect()
}

/// The proof of entry 2, the claim, in the log of entries 0, 1 and 2.
fn claim_proof() -> String {
    let mut l = leaves("entries.json");
    l.extend(leaves("claim.json"));
    let h: Vec<_> = l.iter().map(|b| leaf_hash(b)).collect();
    let left = node_hash(&h[0], &h[1]);
    let secret: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
    let signer = NoteSigner::new("example.com/prov", SigningKey::from_bytes(&secret)).unwrap();
    let checkpoint = Checkpoint {
        origin: "example.com/prov".into(),
        size: 3,
        root: node_hash(&left, &h[2]),
        extensions: Vec::new(),
    };
    TlogProof {
        extra: Some(l[2].clone()),
        index: 2,
        proof: InclusionProof::from_hashes(vec![left]),
        checkpoint: checkpoint.sign(&signer).unwrap().to_text(),
    }
    .to_text()
}

#[test]
fn a_claims_proof_says_who_claimed_what_about_the_document() {
    let proof = claim_proof();
    let v = verify_proof(&Request {
        proof: proof.as_bytes(),
        key: KEY,
        witnesses: "",
        quorum: 0,
        document: Some(Document {
            sha256: Sha256::digest(b"hello\n").into(),
            size: 6,
        }),
    });
    assert!(v.ok, "{v:?}");
    assert_eq!(
        v.headline,
        "Proven: a claim about this exact document was recorded by example.com/prov."
    );
    let text = v.explanation.join(" ");
    assert!(
        text.contains("a claim by verify@newsroom.example: entry 1 is forged."),
        "{text}"
    );
    assert!(
        v.facts
            .contains(&("Claimed by".into(), "verify@newsroom.example".into())),
        "{:?}",
        v.facts
    );
    assert!(
        v.facts
            .contains(&("Kind".into(), "claim: forged about entry 1".into())),
        "{:?}",
        v.facts
    );
}
