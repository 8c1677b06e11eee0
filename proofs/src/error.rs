//! The one error type of this crate.

/// Everything that can go wrong parsing or verifying a proof, note or checkpoint.
///
/// Messages name the thing that failed; callers add what the user should do.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A leaf index at or beyond the tree size.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof asked between sizes that are not `old <= new`.
    #[error("cannot prove consistency from size {old} to the smaller size {new}")]
    SizeOrder {
        /// The old (claimed smaller) size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// A proof with the wrong number of hashes for its index and size.
    #[error("proof has {got} hashes, but {want} are needed for this index and tree size")]
    ProofLength {
        /// Hashes present.
        got: usize,
        /// Hashes required.
        want: usize,
    },
    /// A proof whose byte length is not a multiple of 32.
    #[error("proof bytes are {0} long, not a whole number of 32-byte hashes")]
    ProofBytes(usize),
    /// A proof that computes a different root than the trusted one.
    #[error("proof does not lead to the trusted root hash")]
    RootMismatch,
    /// A consistency proof that is not empty where it must be: between equal sizes, or in a
    /// tlog-witness text from old size 0.
    #[error("a consistency proof between equal tree sizes, or from size 0, must be empty")]
    NonEmptyProof,
    /// A consistency proof asked or checked from the empty tree to a larger one: RFC 9162
    /// defines none (`0 < first`), and the empty tree is a prefix of every tree.
    #[error(
        "no consistency proof exists from size 0 to size {new}: the empty tree is a prefix of every tree; check the size-{new} checkpoint's signature instead"
    )]
    ConsistencyFromEmpty {
        /// The new size.
        new: u64,
    },
    /// A stored hash the reader could not supply.
    #[error("could not read stored node hashes: {0}")]
    Storage(String),
    /// Text that is not a well-formed signed note.
    #[error("malformed signed note: {0}")]
    MalformedNote(&'static str),
    /// A note whose signature by a trusted key does not verify.
    #[error("signature by key {name}+{key_id:08x} does not verify")]
    BadSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// A note that carries no signature by any trusted key.
    #[error("note is not signed by any trusted key (signed by: {found}; trusted: {trusted})")]
    NoTrustedSignature {
        /// `name+keyid` of each signature found.
        found: String,
        /// `name+keyid` of each trusted key.
        trusted: String,
    },
    /// The same (name, key ID) pair trusted twice, so a signature by it is ambiguous.
    #[error("key {name}+{key_id:08x} is trusted twice: give each trusted key once")]
    DuplicateVerifier {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// A verifier key string that does not parse.
    #[error("malformed verifier key: {0}")]
    MalformedKey(&'static str),
    /// A checkpoint body that does not follow tlog-checkpoint.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    /// A checkpoint whose origin is not the one expected.
    #[error("checkpoint origin is {got:?}, expected {want:?}")]
    WrongOrigin {
        /// Origin found.
        got: String,
        /// Origin expected.
        want: String,
    },
    /// A tlog-proof file that does not follow c2sp.org/tlog-proof@v1.
    #[error("malformed tlog-proof: {0}")]
    MalformedTlogProof(&'static str),
    /// A path that is not a canonical C2SP tlog-tiles tile or entry-bundle path.
    #[error("malformed tile path: {0}")]
    MalformedTilePath(&'static str),
    /// A tile whose bytes are not its width in hashes.
    #[error("tile {tile} is {got} bytes, not {want}")]
    TileSize {
        /// The tile's path.
        tile: String,
        /// Bytes found.
        got: usize,
        /// Bytes its width needs.
        want: usize,
    },
    /// An entry too long for the 16-bit length prefix of a tlog-tiles entry bundle.
    #[error("an entry of {0} bytes does not fit an entry bundle (at most 65,535 bytes)")]
    EntryTooLarge(usize),
    /// Bytes that are not a well-formed entry bundle.
    #[error("malformed entry bundle: {0}")]
    MalformedBundle(&'static str),
    /// A consistency-proof text that does not follow the tlog-witness body format.
    #[error("malformed consistency proof text: {0}")]
    MalformedConsistencyText(&'static str),
    /// A C2SP tlog-policy file that does not follow the spec.
    #[error("malformed policy (line {line}): {reason}")]
    MalformedPolicy {
        /// The line, from 1 (0 for the file as a whole).
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
