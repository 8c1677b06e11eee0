//! Helpers shared by the ledger's integration tests: documents by content, a fixed time, and
//! the clean-audit check that follows every injected fault.
#![allow(dead_code)]

use prov_ledger::{Content, Entry, Kind, NewDocument, audit};
use prov_proofs::Hash;
use sha2::{Digest, Sha256};
use std::path::Path;

/// 2026-01-01T00:00:00Z, in ms.
pub const T0: u64 = 1_767_225_600_000;

pub fn sha(content: &str) -> [u8; 32] {
    Sha256::digest(content.as_bytes()).into()
}

/// A document known by its hash alone, `size` bytes.
pub fn raw_doc(sha256: [u8; 32], size: u64, source: &str) -> NewDocument {
    NewDocument {
        content: Content {
            sha256,
            size,
            ..Default::default()
        },
        source: source.into(),
        ..Default::default()
    }
}

/// The document with these bytes, from `source`.
pub fn doc(content: &str, source: &str) -> NewDocument {
    raw_doc(sha(content), content.len() as u64, source)
}

/// Asserts that the ledger at `dir` audits clean.
pub fn clean(dir: &Path) {
    let r = audit(dir, None, &|_, _| {}).unwrap();
    assert!(r.fault.is_none(), "audit: {}", r.fault.unwrap());
}

/// The smallest valid entry at `seq`: first seen, a 2-byte document, source "s", unsigned.
pub fn minimal_entry(seq: u64) -> Entry {
    Entry {
        seq,
        prev: Hash([0; 32]),
        time_ms: T0,
        kind: Kind::FirstSeen,
        content: Content {
            sha256: [6; 32],
            size: 2,
            ..Default::default()
        },
        source: "s".into(),
        agent: None,
        metadata: Default::default(),
        related: vec![],
        key_id: 0,
        signature: [0; 64],
    }
}
