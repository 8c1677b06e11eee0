//! Replays every input kept under `tests/vectors/fuzz/<target>/` (seeds and any case a
//! fuzzer ever found) through the same parser and property as `fuzz/fuzz_targets/<target>.rs`.
#![forbid(unsafe_code)]

use prov_ledger::{
    Entry, consistency_from_json, consistency_to_json, inclusion_from_json, inclusion_to_json,
};
use prov_proofs::{Checkpoint, ConsistencyBundle, Note, TlogProof};
use std::path::PathBuf;

fn cases(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/fuzz"
    ))
    .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no cases in {}", dir.display());
    out
}

#[test]
fn note_cases() {
    for (_, data) in cases("note") {
        if let Ok(n) = Note::parse(&data) {
            assert_eq!(n.to_text().as_bytes(), &data[..]);
        }
    }
}

#[test]
fn checkpoint_cases() {
    for (_, data) in cases("checkpoint") {
        if let Ok(text) = std::str::from_utf8(&data)
            && let Ok(cp) = Checkpoint::from_text(text)
        {
            assert_eq!(cp.to_text(), text);
        }
    }
}

#[test]
fn tlog_proof_cases() {
    for (_, data) in cases("tlog_proof") {
        if let Ok(p) = TlogProof::parse(&data) {
            assert_eq!(p.to_text().as_bytes(), &data[..]);
        }
    }
}

#[test]
fn consistency_text_cases() {
    for (_, data) in cases("consistency_text") {
        if let Ok(b) = ConsistencyBundle::parse(&data) {
            assert_eq!(b.to_text().as_bytes(), &data[..]);
        }
    }
}

#[test]
fn entry_cases() {
    let mut decoded = 0;
    for (p, data) in cases("entry") {
        if let Ok(e) = Entry::from_bytes(&data) {
            assert_eq!(e.to_bytes(), data, "{}", p.display());
            decoded += 1;
        }
    }
    assert!(decoded > 0, "no valid entry among the seeds");
}

#[test]
fn json_proof_cases() {
    for (_, data) in cases("json_proof") {
        if let Ok(p) = inclusion_from_json(&data) {
            let again = inclusion_to_json(&p, 0, serde_json::Value::Null).to_string();
            assert_eq!(inclusion_from_json(again.as_bytes()).unwrap(), p);
        }
        if let Ok(b) = consistency_from_json(&data) {
            let again = consistency_to_json(&b, 0).to_string();
            assert_eq!(consistency_from_json(again.as_bytes()).unwrap(), b);
        }
    }
}
