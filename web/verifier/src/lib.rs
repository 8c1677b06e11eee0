//! The browser verifier of `prov` proofs (`web/`): everything the page checks, in Rust, built
//! to WebAssembly with `wasm-bindgen` by `web/build.sh` and natively for its tests.
//!
//! It verifies what `prov verify-proof` verifies (FORMAT.md section 4): the checkpoint's
//! signature, the inclusion proof, the entry's own signature, and a document's SHA-256 and
//! size, and the witnesses' cosignatures against the reader's quorum (FORMAT.md section 9),
//! and says what was proven, or which check failed, in plain words. Entries are decoded from
//! FORMAT.md section 6 alone (`entry.rs`), as an independent auditor would; notes,
//! checkpoints, proofs, tiles, cosignatures and witness policies come from `prov-proofs`,
//! which does no I/O. The page reads the
//! files and fetches tiles; this crate only computes.
//!
//! Specifications: FORMAT.md; RFC 9162 section 2.1; <https://c2sp.org/signed-note>,
//! <https://c2sp.org/tlog-checkpoint>, <https://c2sp.org/tlog-proof>,
//! <https://c2sp.org/tlog-tiles>, <https://c2sp.org/tlog-cosignature>,
//! <https://c2sp.org/tlog-policy>.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bindings;
mod consistency_check;
mod display;
mod entry;
mod error;
mod proof_check;
mod proof_file;
mod tiles;
mod verdict;
mod witnesses;

pub use bindings::*;
pub use consistency_check::{
    CONSISTENCY_CHECKS, plan_consistency, verify_consistency_from_tiles, verify_consistency_text,
};
pub use display::utc_time;
pub use entry::{Entry, Kind, MAX_ENTRY, SIGNED_PREFIX};
pub use error::{Error, Result};
pub use proof_check::{Document, PROOF_CHECKS, Request, verify_proof};
pub use proof_file::{MAX_PROOF_FILE, parse_proof};
pub use tiles::{Fetch, Plan, TILE_CHECKS, TilesRequest, plan_entry, verify_entry_from_tiles};
pub use verdict::{Check, Status, Verdict};
pub use witnesses::{Witnessed, Witnesses};
