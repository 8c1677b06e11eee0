//! The entry encoding never truncates (issue 10, item 11): every entry that encodes decodes
//! back to itself, and every limit of FORMAT.md section 6.1 is refused at encoding, naming
//! the field, rather than written as bytes that say something else. On da949ea
//! `Entry::to_bytes` returned a 70,000-byte source and 300 digests as bytes that do not
//! decode (a clamped length, a count of 255).
#![forbid(unsafe_code)]

mod common;

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use prov_ledger::{Content, Entry, Error, Kind, MAX_ENTRY_BYTES, Related};
use prov_proofs::Hash;
use std::collections::BTreeMap;

fn base() -> Entry {
    let mut e = common::minimal_entry(5);
    e.prev = Hash([7; 32]);
    e.content.sha256 = [1; 32];
    e.key_id = 0xad91_1d63;
    e.signature = [9; 64];
    e
}

/// `e` encodes and decodes back to itself, byte for byte.
fn round_trips(e: &Entry) {
    let bytes = e.to_bytes().unwrap();
    let back = Entry::from_bytes(&bytes).unwrap();
    assert_eq!(&back, e);
    assert_eq!(back.to_bytes().unwrap(), bytes);
    assert_eq!(e.leaf_hash().unwrap(), prov_proofs::leaf_hash(&bytes));
}

/// `e` has no encoding: to_bytes, signed_message, leaf_hash, sign and validate refuse it,
/// naming `field`.
fn refused(mut e: Entry, field: &str) {
    let named = |r: Result<(), Error>, how: &str| match r {
        Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field, "{how}"),
        other => panic!("{how}: {other:?}, want invalid {field}"),
    };
    named(e.to_bytes().map(drop), "to_bytes");
    named(e.signed_message().map(drop), "signed_message");
    named(e.leaf_hash().map(drop), "leaf_hash");
    named(e.validate(), "validate");
    let key = SigningKey::from_bytes(&[3; 32]);
    named(e.sign(&key, 1).map(drop), "sign");
}

#[test]
fn each_length_limit_is_refused_one_over_and_kept_at_the_limit() {
    type Set = fn(&mut Entry, usize);
    let cases: [(&str, usize, Set); 8] = [
        ("name", 4096, |e, n| e.content.name = Some(vec![b'n'; n])),
        ("media type", 255, |e, n| {
            e.content.media_type = Some("m".repeat(n))
        }),
        ("source", 4096, |e, n| e.source = "s".repeat(n)),
        ("agent", 1024, |e, n| e.agent = Some("a".repeat(n))),
        ("metadata key", 256, |e, n| {
            e.metadata = BTreeMap::from([("k".repeat(n), String::new())])
        }),
        ("metadata value", 4096, |e, n| {
            e.metadata = BTreeMap::from([("k".into(), "v".repeat(n))])
        }),
        ("digest value", 64, |e, n| {
            e.content.digests = BTreeMap::from([("sha512".into(), vec![1; n])])
        }),
        ("relation", 64, |e, n| {
            e.related = vec![Related {
                relation: "r".repeat(n),
                seq: 0,
            }]
        }),
    ];
    for (field, max, set) in cases {
        let mut e = base();
        set(&mut e, max);
        round_trips(&e);
        let mut e = base();
        set(&mut e, max + 1);
        refused(e, field);
    }
    // Far beyond what a u16 length can say: refused, never clamped.
    let mut e = base();
    e.source = "s".repeat(70_000);
    refused(e, "source");
}

#[test]
fn each_count_limit_is_refused_one_over_and_kept_at_the_limit() {
    let digests = |n: usize| {
        (0..n)
            .map(|i| (format!("alg-{i:03}"), vec![1]))
            .collect::<BTreeMap<_, _>>()
    };
    let metadata = |n: usize| {
        (0..n)
            .map(|i| (format!("k{i:03}"), String::new()))
            .collect::<BTreeMap<_, _>>()
    };
    let related = |n: usize| {
        (0..n as u64)
            .map(|seq| Related {
                relation: "r".into(),
                seq,
            })
            .collect::<Vec<_>>()
    };
    let mut e = base();
    e.seq = 1000;
    let at = |f: &dyn Fn(&mut Entry)| {
        let mut e = e.clone();
        f(&mut e);
        e
    };
    round_trips(&at(&|e| e.content.digests = digests(8)));
    refused(at(&|e| e.content.digests = digests(9)), "digests");
    refused(at(&|e| e.content.digests = digests(300)), "digests");
    round_trips(&at(&|e| e.metadata = metadata(256)));
    refused(at(&|e| e.metadata = metadata(257)), "metadata");
    round_trips(&at(&|e| e.related = related(64)));
    refused(at(&|e| e.related = related(65)), "related");
    refused(at(&|e| e.related = related(70_000)), "related");
}

#[test]
fn the_whole_entry_limit_is_refused_though_each_field_is_within_its_own() {
    let mut e = base();
    // 16 values of 4,096 bytes: every field within its limit, the whole over 64 KiB.
    e.metadata = (0..16)
        .map(|i| (format!("k{i:02}"), "v".repeat(4096)))
        .collect();
    refused(e.clone(), "entry");
    // Trimmed until it fits: the largest entries still round-trip.
    while e.to_bytes().is_err() {
        let (k, mut v) = e.metadata.pop_last().unwrap();
        v.truncate(v.len().saturating_sub(256));
        if !v.is_empty() {
            e.metadata.insert(k, v);
        }
    }
    assert!(e.to_bytes().unwrap().len() > MAX_ENTRY_BYTES - 300);
    round_trips(&e);
}

/// Text of up to `max` characters from a mixed alphabet (ASCII, Latin-1, CJK, emoji), never
/// a control character.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('a'),
            Just(' '),
            Just('='),
            Just('é'),
            Just('文'),
            Just('😀'),
            Just('/')
        ],
        0..=max,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn valid_entry() -> impl Strategy<Value = Entry> {
    let content = (
        any::<[u8; 32]>(),
        any::<u64>(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 1..40)),
        proptest::option::of("[a-z]{1,10}/[a-z.+-]{1,20}"),
        proptest::collection::btree_map(
            "[a-z0-9-]{1,32}",
            proptest::collection::vec(any::<u8>(), 1..=64),
            0..=8,
        ),
    )
        .prop_map(|(sha256, size, name, media_type, mut digests)| {
            digests.remove("sha256");
            Content {
                sha256,
                size,
                name,
                media_type,
                digests,
            }
        });
    let meta = proptest::collection::btree_map(
        text(20).prop_filter("key", |k| !k.is_empty() && !k.contains('=')),
        text(40),
        0..6,
    );
    (
        1u64..1_000_000,
        any::<[u8; 32]>(),
        any::<u64>(),
        any::<bool>(),
        content,
        text(60).prop_filter("not blank", |s| !s.trim().is_empty()),
        proptest::option::of(text(30).prop_filter("not empty", |s| !s.is_empty())),
        meta,
        proptest::collection::btree_set(("[a-z0-9_]{1,64}", any::<u64>()), 0..5),
        (any::<u32>(), any::<[u8; 32]>(), any::<[u8; 32]>()),
    )
        .prop_map(
            |(seq, prev, time_ms, sighting, content, source, agent, metadata, related, k)| {
                let (key_id, sig_a, sig_b) = k;
                let mut signature = [0; 64];
                signature[..32].copy_from_slice(&sig_a);
                signature[32..].copy_from_slice(&sig_b);
                Entry {
                    seq,
                    prev: Hash(prev),
                    time_ms,
                    kind: if sighting {
                        Kind::Sighting { first: seq / 2 }
                    } else {
                        Kind::FirstSeen
                    },
                    content,
                    source,
                    agent,
                    metadata,
                    related: related
                        .into_iter()
                        .map(|(relation, s)| Related {
                            relation,
                            seq: s % seq,
                        })
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                    key_id,
                    signature,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any entry that keeps the rules encodes, and decodes back to itself byte for byte.
    #[test]
    fn every_valid_entry_encodes_and_decodes_back(e in valid_entry()) {
        e.validate().unwrap();
        round_trips(&e);
    }

    /// An entry over any limit has no encoding; one within them all has exactly one.
    #[test]
    fn an_entry_encodes_exactly_when_it_validates(mut e in valid_entry(), grow in 0usize..3, n in 4000usize..4200) {
        match grow {
            0 => e.source = "x".repeat(n),
            1 => e.agent = Some("x".repeat(n / 4)),
            _ => { e.content.name = Some(vec![b'x'; n]); }
        }
        prop_assert_eq!(e.validate().is_ok(), e.to_bytes().is_ok());
        if let Ok(bytes) = e.to_bytes() {
            prop_assert_eq!(Entry::from_bytes(&bytes).unwrap(), e);
        }
    }
}
