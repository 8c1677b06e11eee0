//! The decoder written from FORMAT.md against the ledger's own (`prov_ledger::Entry`), on
//! many mutations of the golden entries: both must accept exactly the same bytes and read the
//! same fields from them. A disagreement is a gap in FORMAT.md or a bug in one of the two.
//! (The ledger crate is only a dev-dependency: it does file I/O and is not built for wasm.)

use prov_web_verifier::{Entry, Kind};

/// The golden entries of FORMAT.md 6.5 and 6.6, then the golden claim of 6.8.
fn goldens() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for file in ["entries.json", "claim.json"] {
        let path = format!("{}/../../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        out.extend(
            v["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| hex::decode(e["leaf_data"].as_str().unwrap()).unwrap()),
        );
    }
    out
}

/// xorshift64*: a fixed sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Asserts both decoders agree on `bytes`; returns whether they accepted it.
fn agree(bytes: &[u8]) -> bool {
    let ours = Entry::decode(bytes);
    let theirs = prov_ledger::Entry::from_bytes(bytes);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.seq, b.seq);
            assert_eq!(a.prev, b.prev.0);
            assert_eq!(a.time_ms, b.time_ms);
            let kind = match b.kind {
                prov_ledger::Kind::FirstSeen => Kind::FirstSeen,
                prov_ledger::Kind::Sighting { first } => Kind::Sighting(first),
                prov_ledger::Kind::Claim { about, verdict } => Kind::Claim {
                    about,
                    verdict: verdict.as_str(),
                },
            };
            assert_eq!(a.kind, kind);
            assert_eq!(a.sha256, b.content.sha256);
            assert_eq!(a.size, b.content.size);
            assert_eq!(a.name, b.content.name);
            assert_eq!(a.media_type, b.content.media_type);
            let digests: Vec<(String, Vec<u8>)> = b.content.digests.clone().into_iter().collect();
            assert_eq!(a.digests, digests);
            assert_eq!(a.source, b.source);
            assert_eq!(a.agent, b.agent);
            let metadata: Vec<(String, String)> = b.metadata.clone().into_iter().collect();
            assert_eq!(a.metadata, metadata);
            let related: Vec<(String, u64)> = b
                .related
                .iter()
                .map(|r| (r.relation.clone(), r.seq))
                .collect();
            assert_eq!(a.related, related);
            assert_eq!(a.key_id, b.key_id);
            assert_eq!(a.signature, b.signature);
            true
        }
        (Err(_), Err(_)) => false,
        _ => panic!(
            "the decoders disagree on {}: FORMAT.md decoder {:?}, ledger {:?}",
            hex::encode(bytes),
            ours.err(),
            theirs.err()
        ),
    }
}

/// Text-field edges a random mutation seldom makes: entry 0's 28-byte source rewritten in
/// place (same length) with C1 controls, DEL, bidirectional controls, separators, and sources
/// that are all `White_Space` (blank) or only look blank (U+200B is not `White_Space`).
#[test]
fn both_decoders_read_text_field_edges_alike() {
    let golden = &goldens()[0];
    assert_eq!(
        goldens().len(),
        3,
        "the golden entries and the golden claim"
    );
    let source = b"https://leaks.example/dump-1";
    let at = golden.windows(28).position(|w| w == source).unwrap();
    let mut seen = [0; 2];
    for text in [
        "\u{85}".repeat(14),
        "\u{7f}".repeat(28),
        format!("{}{}", "\u{202e}", "x".repeat(25)),
        format!("{}{}", "\u{2028}", "x".repeat(25)),
        "\u{a0}".repeat(14),
        format!("{} ", "\u{3000}".repeat(9)),
        format!("{} ", "\u{200b}".repeat(9)),
        format!("{}\t", " ".repeat(27)),
        "\u{1f600}".repeat(7),
    ] {
        assert_eq!(text.len(), 28, "{text:?}");
        let mut b = golden.clone();
        b[at..at + 28].copy_from_slice(text.as_bytes());
        seen[usize::from(agree(&b))] += 1;
    }
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
}

#[test]
fn both_decoders_accept_exactly_the_same_mutations() {
    let goldens = goldens();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut accepted = 0;
    for round in 0..200_000 {
        let mut b = goldens[round % goldens.len()].clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(b.len());
            match rng.below(5) {
                0 => b[at] ^= 1 << rng.below(8),
                1 => b[at] = rng.next() as u8,
                // Small values where lengths, counts, kinds and presence bytes live.
                2 => b[at] = rng.below(4) as u8,
                3 => {
                    b.insert(at, rng.next() as u8);
                }
                _ => {
                    b.remove(at);
                }
            }
        }
        accepted += usize::from(agree(&b));
    }
    // Some mutations (a changed time, hash or signature byte) still decode: the comparison
    // covered accepted entries too.
    assert!(accepted > 1000, "only {accepted} mutations decoded");
}
