//! Legacy Word files (OLE compound files, [MS-CFB]) have no text fingerprint: their text is
//! not extracted (the `WordDocument` stream's piece table, [MS-DOC] 2.8.35, is not read).
//! They are not compressed, though, so one sentence changed changes a few bytes only, and
//! the fingerprint of their bytes finds the altered copy; another document of the same
//! length and layout is not found.

mod common;

use common::*;
use prov_ingest::{Kind, Limits, Tlsh};
use std::io::Write;
use std::path::Path;

/// The threshold `prov add` and `prov similar` use by default (FORMAT.md 6.9).
const THRESHOLD: u32 = 40;

/// Forty sentences from `nouns` and `verbs`, the 18th replaced by `changed`.
fn article(seed: u64, nouns: &[&str], verbs: &[&str], changed: Option<&str>) -> String {
    let mut state = seed;
    let mut pick = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    let mut out = Vec::new();
    for i in 0..40 {
        let s = format!(
            "The {} {} the {} on day {}, and the {} {} it.",
            nouns[pick(nouns.len())],
            verbs[pick(verbs.len())],
            nouns[pick(nouns.len())],
            1 + pick(28),
            nouns[pick(nouns.len())],
            verbs[pick(verbs.len())],
        );
        out.push(match (i, changed) {
            (17, Some(c)) => c.to_string(),
            _ => s,
        });
    }
    out.join(" ") + "\r"
}

/// A Word 97 file as far as its container goes: a `WordDocument` stream whose text, in
/// 8-bit characters, follows a 1,536-byte File Information Block (zeros here but for its
/// magic number, [MS-DOC] 2.5.2), and a `1Table` stream.
fn write_doc(path: &Path, text: &str) {
    let mut file = cfb::create(path).unwrap();
    let mut word = vec![0u8; 1536];
    word[..2].copy_from_slice(&0xA5ECu16.to_le_bytes());
    word.extend_from_slice(text.as_bytes());
    file.create_stream("/WordDocument")
        .unwrap()
        .write_all(&word)
        .unwrap();
    file.create_stream("/1Table")
        .unwrap()
        .write_all(&[0u8; 512])
        .unwrap();
    file.flush().unwrap();
}

fn printed(path: &Path) -> Tlsh {
    let (found, top) = walk_all(path, &Limits::default());
    assert!(found.is_empty());
    assert_eq!(top.kind, Kind::Ole);
    assert!(top.fingerprints.text.is_none(), "no text read from a .doc");
    top.fingerprints.bytes.expect("a fingerprint of its bytes")
}

#[test]
fn an_altered_legacy_word_file_is_found_by_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let nouns = [
        "minister",
        "contract",
        "ledger",
        "harbour",
        "council",
        "invoice",
        "shipment",
        "auditor",
        "tender",
        "budget",
        "ferry",
        "warehouse",
        "director",
        "committee",
        "report",
        "witness",
    ];
    let verbs = [
        "approved",
        "questioned",
        "signed",
        "delayed",
        "published",
        "rejected",
        "reviewed",
        "funded",
    ];
    let other_nouns = [
        "orchard",
        "recipe",
        "violin",
        "glacier",
        "festival",
        "lantern",
        "meadow",
        "bakery",
        "comet",
        "sculpture",
        "harvest",
        "river",
        "poem",
        "garden",
        "choir",
        "mountain",
    ];
    let other_verbs = [
        "painted", "tasted", "carried", "planted", "sang", "climbed", "baked", "admired",
    ];
    let original = article(1, &nouns, &verbs, None);
    let altered = article(
        1,
        &nouns,
        &verbs,
        Some("No one at the port ever saw the second shipment arrive."),
    );
    let other = article(2, &other_nouns, &other_verbs, None);
    for (name, text) in [
        ("memo.doc", &original),
        ("memo-altered.doc", &altered),
        ("other.doc", &other),
    ] {
        write_doc(&dir.path().join(name), text);
    }
    let a = printed(&dir.path().join("memo.doc"));
    let b = printed(&dir.path().join("memo-altered.doc"));
    let c = printed(&dir.path().join("other.doc"));
    assert!(a.distance(&b) <= THRESHOLD, "altered: {}", a.distance(&b));
    assert!(a.distance(&c) > THRESHOLD, "unrelated: {}", a.distance(&c));
    assert!(b.distance(&c) > THRESHOLD, "unrelated: {}", b.distance(&c));
}
