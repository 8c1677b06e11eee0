//! The golden look-alike entry (FORMAT.md section 6.9): a first-seen document that `prov add`
//! linked `similar_to` an earlier one, with the link's distance and fingerprint kind in its
//! metadata. Fixed key, fixed inputs, expected bytes, leaf hash and signature, checked in at
//! `tests/vectors/similar.json` and quoted in `docs/FORMAT.md`. It follows the golden claim
//! of section 6.8 in the same chain. Regenerate (after a deliberate format change only) with
//! `PROV_UPDATE_VECTORS=1` and review the diff.
#![forbid(unsafe_code)]

use ed25519_dalek::SigningKey;
use prov_ledger::{
    Content, Entry, Kind, Related, SIMILAR_BY, SIMILAR_DISTANCE, SIMILAR_TO, TLSH_BYTES, TLSH_TEXT,
};
use prov_proofs::{Hash, NoteVerifier};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// RFC 8032 section 7.1 TEST 1: a public test key, never a real ledger's.
fn golden_key() -> SigningKey {
    let seed =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
    SigningKey::from_bytes(&seed.try_into().unwrap())
}

/// The golden claim's leaf hash (FORMAT.md section 6.8).
const ENTRY_2_LEAF: &str = "668b476cef58cec2fe914aa749eee2353d3f22efe0e0d86627ba1a8a8de031db";

fn golden_lookalike() -> Entry {
    let key = golden_key();
    let key_id = NoteVerifier::new("example.com/prov", key.verifying_key())
        .unwrap()
        .key_id;
    let mut e = Entry {
        seq: 3,
        prev: Hash::try_from_slice(&hex::decode(ENTRY_2_LEAF).unwrap()).unwrap(),
        time_ms: 1_767_484_800_000, // 2026-01-04T00:00:00.000Z
        kind: Kind::FirstSeen,
        content: Content {
            sha256: Sha256::digest(b"hello!\n").into(),
            size: 7,
            name: Some(b"hello2.txt".to_vec()),
            ..Content::default()
        },
        source: "https://leaks.example/dump-2".into(),
        agent: None,
        metadata: BTreeMap::from([
            (SIMILAR_DISTANCE.to_owned(), "12".to_owned()),
            (SIMILAR_BY.to_owned(), "text".to_owned()),
        ]),
        related: vec![Related {
            relation: SIMILAR_TO.into(),
            seq: 0,
        }],
        key_id: 0,
        signature: [0; 64],
    };
    e.sign(&key, key_id).unwrap();
    e
}

/// The memo of golden entry 4 (FORMAT.md section 6.10).
fn memo() -> Vec<u8> {
    (0..60)
        .map(|n| format!("line {n} of the golden memo\n"))
        .collect::<String>()
        .into_bytes()
}

/// Its fingerprints as `prov add` takes them, through the real walk: pins TLSH itself, so a
/// dependency upgrade cannot silently change what is signed.
fn memo_prints() -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("memo.txt");
    std::fs::write(&path, memo()).unwrap();
    let (fp, _) = prov_ledger::fingerprint_file(&path).unwrap();
    (fp.bytes.unwrap().text(), fp.text.unwrap().text())
}

/// Entry 4: a first-seen document whose entry signs its fingerprints (section 6.10).
fn golden_signed_prints() -> Entry {
    let key = golden_key();
    let key_id = NoteVerifier::new("example.com/prov", key.verifying_key())
        .unwrap()
        .key_id;
    let (bytes, text) = memo_prints();
    let memo = memo();
    let mut e = Entry {
        seq: 4,
        prev: golden_lookalike().leaf_hash().unwrap(),
        time_ms: 1_767_571_200_000, // 2026-01-05T00:00:00.000Z
        kind: Kind::FirstSeen,
        content: Content {
            sha256: Sha256::digest(&memo).into(),
            size: memo.len() as u64,
            name: Some(b"memo.txt".to_vec()),
            ..Content::default()
        },
        source: "https://leaks.example/dump-3".into(),
        agent: None,
        metadata: BTreeMap::from([(TLSH_BYTES.to_owned(), bytes), (TLSH_TEXT.to_owned(), text)]),
        related: Vec::new(),
        key_id: 0,
        signature: [0; 64],
    };
    e.sign(&key, key_id).unwrap();
    e
}

fn vectors() -> Value {
    let e = golden_lookalike();
    let f = golden_signed_prints();
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
        }, {
            "seq": f.seq,
            "metadata": f.metadata,
            "signed_message": hex::encode(f.signed_message().unwrap()),
            "leaf_data": hex::encode(f.to_bytes().unwrap()),
            "leaf_hash": f.leaf_hash().unwrap().to_hex(),
            "signature": hex::encode(f.signature),
        }],
    })
}

#[test]
fn golden_lookalike_is_byte_exact_and_in_format_md() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/similar.json");
    let text = serde_json::to_string_pretty(&vectors()).unwrap() + "\n";
    if std::env::var_os("PROV_UPDATE_VECTORS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap();
    assert!(
        on_disk == text,
        "the look-alike entry's encoding or signature changed: see tests/vectors/similar.json"
    );
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FORMAT.md")).unwrap();
    let doc_flat: String = doc.split_whitespace().collect();
    let e = golden_lookalike();
    for (what, want) in [
        ("leaf data", hex::encode(e.to_bytes().unwrap())),
        ("leaf hash", e.leaf_hash().unwrap().to_hex()),
        ("signature", hex::encode(e.signature)),
    ] {
        assert!(
            doc_flat.contains(&want),
            "docs/FORMAT.md lacks the golden look-alike's {what}: {want}"
        );
    }
    let f = golden_signed_prints();
    for (what, want) in [
        ("entry 4's leaf hash", f.leaf_hash().unwrap().to_hex()),
        ("entry 4's tlsh.bytes", f.metadata[TLSH_BYTES].clone()),
        ("entry 4's tlsh.text", f.metadata[TLSH_TEXT].clone()),
    ] {
        assert!(
            doc_flat.contains(&want),
            "docs/FORMAT.md lacks the golden {what}: {want}"
        );
    }
    // The field table of section 6.9: each row's bytes, in order, are the leaf data.
    let table = doc
        .split("### 6.9")
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
    assert_eq!(rows, bytes[..bytes.len() - 128], "the table of section 6.9");
}

#[test]
fn golden_lookalike_decodes_and_verifies() {
    let e = golden_lookalike();
    let bytes = e.to_bytes().unwrap();
    let decoded = Entry::from_bytes(&bytes).unwrap();
    assert_eq!(decoded, e);
    decoded.verify(&golden_key().verifying_key()).unwrap();
    let f = golden_signed_prints();
    let decoded = Entry::from_bytes(&f.to_bytes().unwrap()).unwrap();
    decoded.verify(&golden_key().verifying_key()).unwrap();
    assert_eq!(decoded.metadata[TLSH_BYTES].len(), 72);
}
