//! The entry decoder, written from FORMAT.md section 6 alone, against the project's golden
//! vectors (`tests/vectors/`, which `ledger/tests/golden.rs` checks the ledger against): the
//! two golden entries decode to the fields FORMAT.md 6.5 and 6.6 list, their signed message
//! and signature are the vectors', and the identity-R entry is refused.

use ed25519_dalek::{SigningKey, VerifyingKey};
use prov_proofs::leaf_hash;
use prov_web_verifier::{Entry, Kind, Request, Status, verify_proof};
use serde_json::Value;

fn vectors(name: &str) -> Value {
    let path = format!("{}/../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex_field(v: &Value, field: &str) -> Vec<u8> {
    hex::decode(v[field].as_str().unwrap()).unwrap()
}

/// The RFC 8032 section 7.1 TEST 1 key, FORMAT.md's example key.
fn test_key() -> VerifyingKey {
    let secret: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
    SigningKey::from_bytes(&secret).verifying_key()
}

#[test]
fn golden_entries_decode_to_the_fields_format_md_lists() {
    let v = vectors("entries.json");
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let decoded: Vec<Entry> = entries
        .iter()
        .map(|e| {
            let leaf = hex_field(e, "leaf_data");
            let entry = Entry::decode(&leaf).unwrap();
            assert_eq!(entry.signed_message(), hex_field(e, "signed_message"));
            assert_eq!(entry.signature.to_vec(), hex_field(e, "signature"));
            assert_eq!(leaf_hash(&leaf).0.to_vec(), hex_field(e, "leaf_hash"));
            assert_eq!(entry.seq, e["seq"].as_u64().unwrap());
            entry.verify(&test_key()).unwrap();
            entry
        })
        .collect();
    let hello =
        hex::decode("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03").unwrap();

    // FORMAT.md 6.5.
    let e0 = &decoded[0];
    assert_eq!(e0.prev, [0; 32]);
    assert_eq!(e0.time_ms, 1_767_225_600_123);
    assert_eq!(e0.kind, Kind::FirstSeen);
    assert_eq!(e0.sha256.to_vec(), hello);
    assert_eq!(e0.size, 6);
    assert_eq!(e0.name.as_deref(), Some(&b"hello.txt"[..]));
    assert_eq!(e0.media_type.as_deref(), Some("text/plain"));
    assert!(e0.digests.is_empty());
    assert_eq!(e0.source, "https://leaks.example/dump-1");
    assert_eq!(e0.agent, None);
    assert!(e0.metadata.is_empty() && e0.related.is_empty());
    assert_eq!(e0.key_id, 0xad91_1d63);

    // FORMAT.md 6.6.
    let e1 = &decoded[1];
    assert_eq!(e1.prev.to_vec(), hex_field(&entries[0], "leaf_hash"));
    assert_eq!(e1.time_ms, 1_767_312_000_000);
    assert_eq!(e1.kind, Kind::Sighting(0));
    assert_eq!(e1.sha256.to_vec(), hello);
    assert_eq!(e1.name.as_deref(), Some(&b"r\xe9p.txt"[..]));
    assert_eq!(e1.media_type, None);
    assert_eq!(e1.digests, vec![("sha512".to_owned(), vec![0xab; 64])]);
    assert_eq!(e1.source, "mailto:tips@newsroom.example");
    assert_eq!(e1.agent.as_deref(), Some("archivist@newsroom.example"));
    assert_eq!(
        e1.metadata,
        vec![
            ("case".to_owned(), "2026-17".to_owned()),
            (
                "claimed_date".to_owned(),
                "Tue, 1 Dec 2025 09:00:00 +0000".to_owned()
            ),
        ]
    );
    assert_eq!(e1.related, vec![("attachment_of".to_owned(), 0)]);
}

#[test]
fn every_cut_and_every_extra_byte_is_refused() {
    let v = vectors("entries.json");
    for e in v["entries"].as_array().unwrap() {
        let leaf = hex_field(e, "leaf_data");
        for len in 0..leaf.len() {
            assert!(Entry::decode(&leaf[..len]).is_err(), "cut at {len}");
        }
        let mut longer = leaf.clone();
        longer.push(0);
        let err = Entry::decode(&longer).unwrap_err().to_string();
        assert!(err.contains("follow its signature"), "{err}");
    }
}

/// Any single bit flipped anywhere in a golden entry either breaks a decoding rule or breaks
/// the signature: no flipped entry both decodes and verifies.
#[test]
fn no_flipped_bit_gives_an_entry_that_verifies() {
    let v = vectors("entries.json");
    let key = test_key();
    for e in v["entries"].as_array().unwrap() {
        let leaf = hex_field(e, "leaf_data");
        for bit in 0..leaf.len() * 8 {
            let mut flipped = leaf.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let ok = Entry::decode(&flipped).is_ok_and(|entry| entry.verify(&key).is_ok());
            assert!(!ok, "bit {bit} flipped still verifies");
        }
    }
}

#[test]
fn strict_rules_of_section_6_2() {
    let v = vectors("entries.json");
    let e1 = hex_field(&v["entries"][1], "leaf_data");
    let e0 = hex_field(&v["entries"][0], "leaf_data");
    let refused = |bytes: &[u8], want: &str| {
        let err = Entry::decode(bytes).unwrap_err().to_string();
        assert!(err.contains(want), "{err} lacks {want:?}");
    };
    // Byte offsets of entry 0 (FORMAT.md 6.5): version 0, kind 49, name presence 90.
    let mut b = e0.clone();
    b[0] = 2;
    refused(&b, "format version is 2");
    let mut b = e0.clone();
    b[49] = 3;
    refused(&b, "kind is 3");
    let mut b = e0.clone();
    b[90] = 2;
    refused(&b, "name presence byte is 2");
    // Entry 1 is a sighting of entry 0 (bytes 50..58): of itself, or of a later entry, is refused.
    let mut b = e1.clone();
    b[57] = 1;
    refused(&b, "not before its own seq");
    // Its media type is absent (byte 101, after the 7-byte name at 93..100); the source
    // starts after the digest. Putting a control character in the digest name is refused.
    let sha = e1.windows(6).position(|w| w == b"sha512").unwrap();
    let mut b = e1.clone();
    b[sha] = 0x07;
    refused(&b, "control character");
    // A metadata key with '=' (in `case`, the first key).
    let case = e1.windows(4).position(|w| w == b"case").unwrap();
    let mut b = e1.clone();
    b[case + 1] = b'=';
    refused(&b, "contains '='");
    // Keys out of order: "case" renamed "dase" still sorts before "claimed_date"? No: 'd' > 'c'.
    let mut b = e1.clone();
    b[case] = b'd';
    refused(&b, "metadata keys are not in strictly ascending order");
    // A relation name with a capital letter.
    let rel = e1.windows(13).position(|w| w == b"attachment_of").unwrap();
    let mut b = e1.clone();
    b[rel] = b'A';
    refused(&b, "relation name");
    // A source of blanks only: entry 0's source bytes become spaces.
    let src = e0
        .windows(28)
        .position(|w| w == b"https://leaks.example/dump-1")
        .unwrap();
    let mut b = e0.clone();
    b[src..src + 28].fill(b' ');
    refused(&b, "source is blank");
    // Invalid UTF-8 in a text field (the media type).
    let media = e0.windows(10).position(|w| w == b"text/plain").unwrap();
    let mut b = e0.clone();
    b[media] = 0xff;
    refused(&b, "not valid UTF-8");
    // A name that is not UTF-8 is not a text field: entry 1 decodes (tested above).
}

/// FORMAT.md 2.1 and `tests/vectors/identity_r.json`: an entry signed with R the identity
/// point verifies under the cofactorless equation but is refused by the strict rule; the page
/// names the entry's signature as the failed check.
#[test]
fn the_identity_r_entry_is_refused() {
    let v = vectors("identity_r.json");
    let verdict = verify_proof(&Request {
        proof: v["tlog_proof"].as_str().unwrap().as_bytes(),
        key: v["vkey"].as_str().unwrap(),
        witnesses: "",
        quorum: 0,
        document: None,
    });
    assert!(!verdict.ok);
    assert_eq!(verdict.failed, Some("entry_signature"), "{verdict:?}");
    let passed: Vec<&str> = verdict
        .checks
        .iter()
        .filter(|c| c.status == Status::Passed)
        .map(|c| c.id)
        .collect();
    assert_eq!(
        passed,
        [
            "key",
            "witness_keys",
            "proof_file",
            "checkpoint",
            "inclusion",
            "entry",
            "entry_position",
            "entry_key"
        ]
    );
}

/// The golden claim of FORMAT.md 6.8 decodes to the fields the section lists, verifies, and
/// its claim rules (6.7) hold: a verdict byte past 5 is refused.
#[test]
fn the_golden_claim_decodes_as_format_md_says() {
    let v = vectors("claim.json");
    let leaf = hex_field(&v["entries"][0], "leaf_data");
    let e = Entry::decode(&leaf).unwrap();
    assert_eq!(
        e.kind,
        Kind::Claim {
            about: 1,
            verdict: "forged"
        }
    );
    assert_eq!(e.source, "verify@newsroom.example");
    assert_eq!(e.related, vec![("evidence".to_owned(), 0)]);
    assert_eq!(e.name, None);
    e.verify(&test_key()).unwrap();
    let mut b = leaf.clone();
    b[58] = 6;
    let err = Entry::decode(&b).unwrap_err().to_string();
    assert!(err.contains("verdict is 6"), "{err}");
}
