//! The golden claim entry (FORMAT.md section 6.8): fixed key, fixed inputs, expected bytes,
//! leaf hash and signature, checked in at `tests/vectors/claim.json` and quoted in
//! `docs/FORMAT.md`. It follows the golden entries 0 and 1 of sections 6.5 and 6.6 in the
//! same chain. Regenerate (after a deliberate format change only) with
//! `PROV_UPDATE_VECTORS=1` and review the diff.
#![forbid(unsafe_code)]

use ed25519_dalek::SigningKey;
use prov_ledger::{CLAIM_REASON, Content, EVIDENCE, Entry, Kind, Related, Verdict};
use prov_proofs::{Hash, NoteVerifier};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// RFC 8032 section 7.1 TEST 1: a public test key, never a real ledger's.
fn golden_key() -> SigningKey {
    let seed =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
    SigningKey::from_bytes(&seed.try_into().unwrap())
}

/// Entry 1's leaf hash (FORMAT.md section 6.6).
const ENTRY_1_LEAF: &str = "df079946f886b1f6ffc709c48cae973290d0e417cd6a00d8efbd7a50b41e704c";

fn golden_claim() -> Entry {
    let key = golden_key();
    let key_id = NoteVerifier::new("example.com/prov", key.verifying_key())
        .unwrap()
        .key_id;
    let mut claim = Entry {
        seq: 2,
        prev: Hash::try_from_slice(&hex::decode(ENTRY_1_LEAF).unwrap()).unwrap(),
        time_ms: 1_767_398_400_000, // 2026-01-03T00:00:00.000Z
        kind: Kind::Claim {
            about: 1,
            verdict: Verdict::Forged,
        },
        content: Content {
            // Entry 1's content: SHA-256("hello\n"), 6 bytes; no name, media type or digest.
            sha256: hex::decode("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
                .unwrap()
                .try_into()
                .unwrap(),
            size: 6,
            ..Content::default()
        },
        source: "verify@newsroom.example".into(),
        agent: None,
        metadata: BTreeMap::from([(CLAIM_REASON.to_owned(), "dates contradict".to_owned())]),
        related: vec![Related {
            relation: EVIDENCE.into(),
            seq: 0,
        }],
        key_id: 0,
        signature: [0; 64],
    };
    let leaf = claim.sign(&key, key_id).unwrap();
    assert_eq!(
        leaf,
        claim.to_bytes().unwrap(),
        "sign returns the leaf data"
    );
    claim
}

fn vectors() -> Value {
    let e = golden_claim();
    json!({
        "key_seed": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "public_key": hex::encode(golden_key().verifying_key().as_bytes()),
        "key_name": "example.com/prov",
        "entries": [{
            "seq": e.seq,
            "signed_message": hex::encode(e.signed_message().unwrap()),
            "leaf_data": hex::encode(e.to_bytes().unwrap()),
            "leaf_hash": e.leaf_hash().unwrap().to_hex(),
            "signature": hex::encode(e.signature),
        }],
    })
}

#[test]
fn golden_claim_is_byte_exact_and_in_format_md() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/claim.json");
    let text = serde_json::to_string_pretty(&vectors()).unwrap() + "\n";
    if std::env::var_os("PROV_UPDATE_VECTORS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap();
    assert!(
        on_disk == text,
        "the claim encoding or signature changed: see tests/vectors/claim.json"
    );
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FORMAT.md")).unwrap();
    let doc_flat: String = doc.split_whitespace().collect();
    let e = golden_claim();
    for (what, want) in [
        ("leaf data", hex::encode(e.to_bytes().unwrap())),
        ("leaf hash", e.leaf_hash().unwrap().to_hex()),
        ("signature", hex::encode(e.signature)),
    ] {
        assert!(
            doc_flat.contains(&want),
            "docs/FORMAT.md lacks the golden claim's {what}: {want}"
        );
    }
    // The field table of section 6.8: each row's bytes, in order, are the leaf data.
    let table = doc
        .split("### 6.8")
        .nth(1)
        .unwrap()
        .split("The whole leaf data")
        .next()
        .unwrap();
    let mut rows = String::new();
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split(" | ").next().unwrap();
        for part in cell.trim_start_matches("| ").split('`').skip(1).step_by(2) {
            rows += part;
        }
    }
    let bytes = hex::encode(e.to_bytes().unwrap());
    assert_eq!(rows, bytes[..bytes.len() - 128], "the table of section 6.8");
}

#[test]
fn golden_claim_decodes_verifies_and_rejects_every_bit_flip() {
    let key = golden_key().verifying_key();
    let e = golden_claim();
    let bytes = e.to_bytes().unwrap();
    let decoded = Entry::from_bytes(&bytes).unwrap();
    assert_eq!(decoded, e);
    decoded.verify(&key).unwrap();
    for bit in 0..bytes.len() * 8 {
        let mut bad = bytes.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let still_valid = Entry::from_bytes(&bad).is_ok_and(|d| d.verify(&key).is_ok());
        assert!(
            !still_valid,
            "the claim with bit {bit} flipped still verifies"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(
        Entry::from_bytes(&longer).is_err(),
        "trailing byte accepted"
    );
}

/// Strict decoding of a claim: a verdict byte no verdict has, a claim about itself or a later
/// entry, a name, media type or digest, or a link that is not `evidence` are each refused.
#[test]
fn claims_that_break_a_rule_are_refused() {
    let e = golden_claim();
    let bytes = e.to_bytes().unwrap();
    // The verdict byte follows the kind byte (offset 49) and the u64 seq.
    assert_eq!(bytes[49], 2);
    assert_eq!(bytes[58], Verdict::Forged.code());
    let mut bad = bytes.clone();
    bad[58] = 6;
    let err = Entry::from_bytes(&bad).unwrap_err().to_string();
    assert!(err.contains("unknown claim verdict 6"), "{err}");
    let mut bad = bytes.clone();
    bad[49] = 3;
    assert!(
        Entry::from_bytes(&bad)
            .unwrap_err()
            .to_string()
            .contains("unknown kind 3")
    );
    let key = golden_key();
    let refused = |mut c: Entry, what: &str| {
        let err = c.sign(&key, 0).unwrap_err().to_string();
        assert!(err.contains(what), "{err}");
    };
    let mut c = golden_claim();
    c.kind = Kind::Claim {
        about: 2,
        verdict: Verdict::Forged,
    };
    refused(c, "not earlier");
    let mut c = golden_claim();
    c.content.name = Some(b"x".to_vec());
    refused(c, "records no document");
    let mut c = golden_claim();
    c.content.media_type = Some("text/plain".into());
    refused(c, "records no document");
    let mut c = golden_claim();
    c.related[0].relation = "altered_copy_of".into();
    refused(c, "are all 'evidence'");
}

/// Every verdict, about the first or the previous entry, with and without evidence, reason
/// and agent: the encoding decodes back to the same claim, and verifies.
#[test]
fn claims_round_trip_through_their_encoding() {
    let key = golden_key();
    for verdict in Verdict::ALL {
        for (seq, about) in [(1, 0), (7, 6), (u64::MAX, u64::MAX - 1)] {
            for evidence in [vec![], vec![0], vec![0, about]] {
                let mut c = golden_claim();
                c.seq = seq;
                c.kind = Kind::Claim { about, verdict };
                c.related = evidence
                    .iter()
                    .map(|&seq| Related {
                        relation: EVIDENCE.into(),
                        seq,
                    })
                    .collect();
                c.related.dedup();
                if evidence.is_empty() {
                    c.metadata.clear();
                    c.agent = Some("archivist".into());
                }
                let bytes = c.sign(&key, 7).unwrap();
                let back = Entry::from_bytes(&bytes).unwrap();
                assert_eq!(back, c);
                assert_eq!(back.to_bytes().unwrap(), bytes);
                back.verify(&key.verifying_key()).unwrap();
            }
        }
    }
}
