//! The golden entry vectors: fixed key, fixed inputs, expected bytes, leaf hash and
//! signature, checked in at `tests/vectors/entries.json` and quoted in `docs/FORMAT.md`.
//! A dependency upgrade that changes a single signed byte fails here. Regenerate (after a
//! deliberate format change only) with `PROV_UPDATE_VECTORS=1` and review the diff.
#![forbid(unsafe_code)]

use ed25519_dalek::SigningKey;
use prov_ledger::{Content, Entry, Kind, Related};
use prov_proofs::{Hash, NoteVerifier};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// RFC 8032 section 7.1 TEST 1: a public test key, never a real ledger's.
fn golden_key() -> SigningKey {
    let seed =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
    SigningKey::from_bytes(&seed.try_into().unwrap())
}

fn golden_entries() -> Vec<Entry> {
    let key = golden_key();
    let key_id = NoteVerifier::new("example.com/prov", key.verifying_key())
        .unwrap()
        .key_id;
    let mut first = Entry {
        seq: 0,
        prev: Hash([0; 32]),
        time_ms: 1_767_225_600_123, // 2026-01-01T00:00:00.123Z
        kind: Kind::FirstSeen,
        content: Content {
            // SHA-256("hello\n")
            sha256: hex::decode("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
                .unwrap()
                .try_into()
                .unwrap(),
            size: 6,
            name: Some(b"hello.txt".to_vec()),
            media_type: Some("text/plain".into()),
            digests: BTreeMap::new(),
        },
        source: "https://leaks.example/dump-1".into(),
        agent: None,
        metadata: BTreeMap::new(),
        related: vec![],
        key_id: 0,
        signature: [0; 64],
    };
    let leaf = first.sign(&key, key_id).unwrap();
    assert_eq!(
        leaf,
        first.to_bytes().unwrap(),
        "sign returns the leaf data"
    );
    let mut second = Entry {
        seq: 1,
        prev: first.leaf_hash().unwrap(),
        time_ms: 1_767_312_000_000, // 2026-01-02T00:00:00.000Z
        kind: Kind::Sighting { first: 0 },
        content: Content {
            name: Some(vec![b'r', 0xe9, b'p', b'.', b't', b'x', b't']), // Latin-1 "rép.txt"
            media_type: None,
            digests: BTreeMap::from([("sha512".to_owned(), vec![0xab; 64])]),
            ..first.content.clone()
        },
        source: "mailto:tips@newsroom.example".into(),
        agent: Some("archivist@newsroom.example".into()),
        metadata: BTreeMap::from([
            (
                "claimed_date".to_owned(),
                "Tue, 1 Dec 2025 09:00:00 +0000".to_owned(),
            ),
            ("case".to_owned(), "2026-17".to_owned()),
        ]),
        related: vec![Related {
            relation: "attachment_of".into(),
            seq: 0,
        }],
        key_id: 0,
        signature: [0; 64],
    };
    let leaf = second.sign(&key, key_id).unwrap();
    assert_eq!(
        leaf,
        second.to_bytes().unwrap(),
        "sign returns the leaf data"
    );
    vec![first, second]
}

fn vectors() -> Value {
    let key = golden_key();
    let entries: Vec<Value> = golden_entries()
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "signed_message": hex::encode(e.signed_message().unwrap()),
                "leaf_data": hex::encode(e.to_bytes().unwrap()),
                "leaf_hash": e.leaf_hash().unwrap().to_hex(),
                "signature": hex::encode(e.signature),
            })
        })
        .collect();
    json!({
        "key_seed": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "public_key": hex::encode(key.verifying_key().as_bytes()),
        "key_name": "example.com/prov",
        "entries": entries,
    })
}

#[test]
fn golden_entries_are_byte_exact() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/entries.json");
    let text = serde_json::to_string_pretty(&vectors()).unwrap() + "\n";
    if std::env::var_os("PROV_UPDATE_VECTORS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap();
    assert!(
        on_disk == text,
        "the entry encoding or signature changed: see tests/vectors/entries.json"
    );
    // docs/FORMAT.md quotes both entries' bytes, leaf hashes and signatures (sections 6.5
    // and 6.6: a first-seen entry, and a sighting with digests, metadata and a related link).
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FORMAT.md")).unwrap();
    let doc_flat: String = doc.split_whitespace().collect();
    for e in golden_entries() {
        for (what, want) in [
            ("leaf data", hex::encode(e.to_bytes().unwrap())),
            ("leaf hash", e.leaf_hash().unwrap().to_hex()),
            ("signature", hex::encode(e.signature)),
        ] {
            assert!(
                doc_flat.contains(&want),
                "docs/FORMAT.md lacks golden entry {}'s {what}: {want}",
                e.seq
            );
        }
    }
    // And the field table of the sighting: each row's bytes, in order, are the leaf data.
    let sighting = golden_entries().remove(1);
    let table = doc
        .split("### 6.6")
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
        if let Some(n) = cell.split("` × ").nth(1) {
            let n: usize = n.trim().parse().unwrap();
            let byte = cell.split('`').rev().nth(1).unwrap().to_owned();
            rows += &byte.repeat(n - 1);
        }
    }
    let bytes = hex::encode(sighting.to_bytes().unwrap());
    assert_eq!(rows, bytes[..bytes.len() - 128], "the table of section 6.6");
}

#[test]
fn golden_entries_decode_verify_and_reject_every_bit_flip() {
    let key = golden_key().verifying_key();
    for e in golden_entries() {
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
                "entry {} with bit {bit} flipped still verifies",
                e.seq
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(
            Entry::from_bytes(&longer).is_err(),
            "trailing byte accepted"
        );
        assert!(
            Entry::from_bytes(&bytes[..bytes.len() - 1]).is_err(),
            "truncated entry accepted"
        );
    }
}
