//! The one error type of this crate. Messages say what is wrong in technical terms; the
//! verdict (`verdict.rs`) puts them in plain words for the person reading the page.

/// Everything that can go wrong reading the inputs of a verification.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// Leaf data that is not an entry under FORMAT.md 6.2; the text says which rule it breaks.
    #[error("the entry is malformed: {0}")]
    Entry(String),
    /// An entry signature that does not verify under the strict rule of FORMAT.md 2.1.
    #[error("the entry's signature does not verify")]
    EntrySignature,
    /// A proof file that is neither a `.tlog-proof` nor `prov prove --json` output.
    #[error("{0}")]
    ProofFile(String),
    /// A witness key line or quorum that cannot be used.
    #[error("{0}")]
    Witnesses(String),
    /// A document fingerprint from the page that is not 64 hex digits.
    #[error("the document's SHA-256 is not 64 hex digits")]
    DocumentDigest,
    /// Tile bytes from the page that do not match the tiles asked for.
    #[error("{0}")]
    Tiles(String),
    /// An error of the proof library (notes, checkpoints, proofs, tiles).
    #[error(transparent)]
    Proofs(#[from] prov_proofs::Error),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
