//! Replays every input kept under `tests/vectors/fuzz/<target>/` (seeds and any case a
//! fuzzer ever found) through the same parser and property as `fuzz/fuzz_targets/<target>.rs`.
#![forbid(unsafe_code)]

use prov_ledger::{
    Entry, consistency_from_json, consistency_to_json, inclusion_from_json, inclusion_to_json,
};
use prov_proofs::{
    Checkpoint, ConsistencyBundle, Note, Tile, TileKind, TlogProof, encode_bundle, parse_bundle,
};
use std::path::PathBuf;

/// Runs `check` on every kept input of `target`; `check` asserts its property and returns
/// whether the input parsed. At least one must, or the property went untested.
fn replay(target: &str, check: impl Fn(&[u8]) -> bool) {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/fuzz"
    ))
    .join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let parsed = paths
        .iter()
        .filter(|p| check(&std::fs::read(p).unwrap()))
        .count();
    assert!(
        parsed > 0,
        "no kept input of {target} parses: its round trip went untested"
    );
}

#[test]
fn note_cases() {
    replay("note", |data| {
        Note::parse(data)
            .map(|n| assert_eq!(n.to_text().as_bytes(), data))
            .is_ok()
    });
}

#[test]
fn checkpoint_cases() {
    replay("checkpoint", |data| {
        let Ok(text) = std::str::from_utf8(data) else {
            return false;
        };
        Checkpoint::from_text(text)
            .map(|cp| assert_eq!(cp.to_text(), text))
            .is_ok()
    });
}

#[test]
fn tlog_proof_cases() {
    replay("tlog_proof", |data| {
        TlogProof::parse(data)
            .map(|p| assert_eq!(p.to_text().as_bytes(), data))
            .is_ok()
    });
}

#[test]
fn consistency_text_cases() {
    replay("consistency_text", |data| {
        ConsistencyBundle::parse(data)
            .map(|b| assert_eq!(b.to_text().as_bytes(), data))
            .is_ok()
    });
}

#[test]
fn entry_cases() {
    replay("entry", |data| {
        Entry::from_bytes(data)
            .map(|e| assert_eq!(e.to_bytes().unwrap(), data))
            .is_ok()
    });
}

#[test]
fn json_proof_cases() {
    replay("json_proof", |data| {
        let inclusion = inclusion_from_json(data).map(|p| {
            let again = inclusion_to_json(&p, serde_json::Value::Null)
                .unwrap()
                .to_string();
            assert_eq!(inclusion_from_json(again.as_bytes()).unwrap(), p);
        });
        let consistency = consistency_from_json(data).map(|b| {
            let again = consistency_to_json(&b).unwrap().to_string();
            assert_eq!(consistency_from_json(again.as_bytes()).unwrap(), b);
        });
        inclusion.is_ok() || consistency.is_ok()
    });
}

#[test]
fn tile_path_cases() {
    replay("tile_path", |data| {
        let Ok(text) = std::str::from_utf8(data) else {
            return false;
        };
        let Ok((kind, t)) = Tile::parse_path(text) else {
            return false;
        };
        let again = match kind {
            TileKind::Hashes => t.path(),
            TileKind::Entries => t.entries_path(),
        };
        assert_eq!(again, text);
        true
    });
}

#[test]
fn bundle_cases() {
    replay("bundle", |data| {
        let Ok(entries) = parse_bundle(data) else {
            return false;
        };
        assert_eq!(encode_bundle(entries).unwrap(), data);
        true
    });
}

#[test]
fn text_cases() {
    replay("text", |data| {
        let Some(print) = prov_ingest::text_fingerprint(data) else {
            return false;
        };
        let back = prov_ledger::Tlsh::parse(&print.text()).expect("its text parses");
        assert_eq!(back.distance(&print), 0);
        true
    });
}

#[test]
fn fingerprints_file_cases() {
    replay("fingerprints_file", |data| {
        let Some((size, file)) = data.split_first() else {
            return false;
        };
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(prov_ledger::FINGERPRINTS_FILE), file).unwrap();
        let Ok(loaded) = prov_ledger::load_fingerprints(dir.path(), u64::from(*size)) else {
            return false;
        };
        assert!(file.starts_with(b"PROVFPR\x01"));
        assert!(loaded.prints.iter().all(|p| p.seq < u64::from(*size)));
        !loaded.prints.is_empty()
    });
}

#[test]
fn tsa_token_cases() {
    replay("tsa_token", |data| {
        if let Ok(token) = prov_ledger::token_from_reply(data) {
            assert!(token.len() <= prov_ledger::MAX_TOKEN_BYTES);
        }
        // Nobody's imprint: a kept token never verifies against it.
        assert!(prov_ledger::verify_token(data, &[0u8; 32], None, None).is_err());
        prov_ledger::read_token(data).is_ok()
    });
}
