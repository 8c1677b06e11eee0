//! What the page calls (`wasm-bindgen` exports). Each takes strings and bytes and returns one
//! JSON object as a string: a verdict (`verdict.rs`), or a plan of tiles to fetch. The same
//! functions build natively, so the tests call them as the page does.

use crate::consistency_check::{
    plan_consistency, verify_consistency_from_tiles, verify_consistency_text,
};
use crate::proof_check::{Document, Request, verify_proof};
use crate::tiles::{Plan, TILE_CHECKS, TilesRequest, plan_entry, verify_entry_from_tiles};
use crate::verdict::{Checks, Failure, Verdict};
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::wasm_bindgen;

/// SHA-256 of a document fed in slices, so that a file of any size is hashed without being
/// held in memory at once.
#[wasm_bindgen]
#[derive(Default)]
pub struct Sha256Stream {
    hasher: Sha256,
    size: u64,
}

#[wasm_bindgen]
impl Sha256Stream {
    /// A hasher that has seen nothing.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Sha256Stream {
        Sha256Stream::default()
    }

    /// Feeds the next slice of the document.
    pub fn update(&mut self, slice: &[u8]) {
        self.hasher.update(slice);
        self.size += slice.len() as u64;
    }

    /// Bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The SHA-256 of everything fed, as 64 lower-case hex digits.
    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

/// The document the page hashed: `sha256` empty for none.
fn document(sha256: &str, size: u64) -> Result<Option<Document>, String> {
    if sha256.is_empty() {
        return Ok(None);
    }
    let mut d = [0; 32];
    hex::decode_to_slice(sha256, &mut d).map_err(|_| crate::Error::DocumentDigest.to_string())?;
    Ok(Some(Document { sha256: d, size }))
}

fn bad_document(plan: &[(&'static str, &'static str)], e: String) -> String {
    Checks::new(plan)
        .fail(
            Failure::new("document_hash", "The document could not be measured.", e),
            Vec::new(),
        )
        .to_json()
}

/// Verifies a proof file (`.tlog-proof` or `prov prove --json`) under the archive's key, and
/// the document when `doc_sha256` (hex) is not empty. Returns the verdict as JSON.
#[wasm_bindgen]
pub fn verify_proof_file(
    proof: &[u8],
    key: &str,
    witnesses: &str,
    quorum: u32,
    doc_sha256: &str,
    doc_size: u64,
) -> String {
    match document(doc_sha256, doc_size) {
        Ok(document) => verify_proof(&Request {
            proof,
            key,
            witnesses,
            quorum,
            document,
        })
        .to_json(),
        Err(e) => bad_document(crate::PROOF_CHECKS, e),
    }
}

fn plan_json(plan: Result<Plan, Box<Verdict>>) -> String {
    match plan {
        Ok(p) => serde_json::json!({ "plan": p }).to_string(),
        Err(v) => serde_json::json!({ "verdict": v }).to_string(),
    }
}

/// What to fetch from a tiles URL to prove entry `index` under the fetched `checkpoint`:
/// `{"plan": {"tiles": [...], "bundle": {...}}}`, or `{"verdict": ...}` when it cannot be.
#[wasm_bindgen]
pub fn plan_entry_tiles(checkpoint: &str, key: &str, index: u64) -> String {
    plan_json(plan_entry(checkpoint, key, index))
}

/// Verifies entry `index` from fetched tiles (concatenated in the plan's order) and its entry
/// bundle: `{"verdict": ..., "proof": <.tlog-proof text, when proven>}`.
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn verify_entry_tiles(
    checkpoint: &str,
    key: &str,
    witnesses: &str,
    quorum: u32,
    index: u64,
    tiles: &[u8],
    bundle: &[u8],
    doc_sha256: &str,
    doc_size: u64,
) -> String {
    let document = match document(doc_sha256, doc_size) {
        Ok(d) => d,
        Err(e) => return bad_document(TILE_CHECKS, e),
    };
    let req = TilesRequest {
        checkpoint,
        key,
        witnesses,
        quorum,
        index,
        tiles,
        bundle,
        document,
    };
    let (verdict, proof) = verify_entry_from_tiles(&req);
    serde_json::json!({ "verdict": verdict, "proof": proof }).to_string()
}

/// What to fetch to prove that checkpoint `new` extends `old` (both pasted).
#[wasm_bindgen]
pub fn plan_consistency_tiles(old: &str, new: &str, key: &str) -> String {
    plan_json(plan_consistency(old, new, key))
}

/// Verifies that `new` extends `old` with a proof built from the fetched tiles.
#[wasm_bindgen]
pub fn verify_consistency_tiles(old: &str, new: &str, key: &str, tiles: &[u8]) -> String {
    verify_consistency_from_tiles(old, new, key, tiles).to_json()
}

/// Verifies a `prov consistency` text against the older checkpoint, offline.
#[wasm_bindgen]
pub fn verify_consistency_proof(old: &str, text: &str, key: &str) -> String {
    verify_consistency_text(old, text, key).to_json()
}
