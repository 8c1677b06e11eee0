//! Pure transparency-log logic for `prov`: RFC 6962/9162 Merkle hashing and proofs, and the
//! C2SP text formats that carry them (signed-note, tlog-checkpoint, tlog-proof, and the
//! consistency-proof body of tlog-witness `add-checkpoint`), and the tiles and entry bundles
//! of C2SP tlog-tiles.
//!
//! This crate performs no file or network I/O and keeps no storage: stored node hashes are
//! reached through the small [`HashReader`] trait, so a ledger proves with O(log n) reads
//! and an auditor's tool can link this crate alone.
//!
//! Specifications (copies in `shared/specs/` of the project):
//! - RFC 9162 section 2.1 (hashing, inclusion and consistency proofs);
//! - <https://c2sp.org/signed-note>, <https://c2sp.org/tlog-checkpoint>,
//!   <https://c2sp.org/tlog-proof>, <https://c2sp.org/tlog-witness>,
//!   <https://c2sp.org/tlog-tiles>, <https://c2sp.org/tlog-cosignature>,
//!   <https://c2sp.org/tlog-policy>.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bundle;
mod checkpoint;
mod consistency;
mod consistency_text;
mod cosignature;
mod error;
mod hash;
mod inclusion;
mod note;
mod policy;
mod tile;
mod tlog_proof;
mod tree;

pub use bundle::{MAX_BUNDLE_ENTRY, encode_bundle, parse_bundle};
pub use checkpoint::Checkpoint;
pub use consistency::ConsistencyProof;
pub use consistency_text::ConsistencyBundle;
pub use cosignature::{
    COSIGNATURE_HEADER, COSIGNATURE_V1, Cosignature, CosignerSigner, CosignerVerifier,
    MAX_TIMESTAMP, cosigned_message, cosigner_key_id, verify_cosignatures,
};
pub use error::Error;
pub use hash::{HASH_SIZE, Hash, empty_root, leaf_hash, node_hash};
pub use inclusion::InclusionProof;
pub use note::{
    MAX_NOTE_SIGNATURES, Note, NoteSignature, NoteSigner, NoteVerifier, key_id,
    parse_signature_lines, verifier_key_string,
};
pub use policy::{Policy, PolicyWitness};
pub use tile::{
    TILE_HEIGHT, TILE_WIDTH, Tile, TileBuilder, TileHashReader, TileKind, TileReader,
    partial_tiles, tiles_of,
};
pub use tlog_proof::TlogProof;
pub use tree::{Frontier, HashReader, NodeId, Tree, root_at};
