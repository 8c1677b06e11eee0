//! RFC 9162 section 2.1 hashing: SHA-256 with one-byte domain separation.

use crate::error::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use std::fmt;

/// Size in bytes of every hash in this crate (SHA-256).
pub const HASH_SIZE: usize = 32;

/// A SHA-256 value: a leaf hash, an interior node hash or a tree root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl Hash {
    /// The hash as standard base64 (RFC 4648 section 4), as in checkpoints and proofs.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses standard, padded base64 of exactly 32 bytes.
    ///
    /// # Errors
    /// Returns `what` as the error when the text is not canonical base64 of 32 bytes.
    pub fn from_base64(text: &str, what: Error) -> Result<Hash> {
        let bytes = STANDARD.decode(text).map_err(|_| what.clone())?;
        Self::try_from_slice(&bytes).ok_or(what)
    }

    /// Copies a 32-byte slice; `None` for any other length.
    pub fn try_from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; HASH_SIZE]>::try_from(bytes).ok().map(Hash)
    }

    /// Lower-case hex, for people and JSON.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The root of the empty tree: `SHA-256()` (RFC 9162 section 2.1.1).
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// The hash of a leaf: `SHA-256(0x00 || data)` (RFC 9162 section 2.1.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    Hash(h.finalize().into())
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)` (RFC 9162 section 2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// Splits proof bytes into hashes, rejecting a length that is not a multiple of 32.
pub(crate) fn hashes_from_bytes(bytes: &[u8]) -> Result<Vec<Hash>> {
    if !bytes.len().is_multiple_of(HASH_SIZE) {
        return Err(Error::ProofBytes(bytes.len()));
    }
    Ok(bytes
        .chunks_exact(HASH_SIZE)
        .filter_map(Hash::try_from_slice)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn base64_must_be_exactly_32_bytes() {
        let h = leaf_hash(b"x");
        let err = Error::MalformedCheckpoint("bad root");
        assert_eq!(Hash::from_base64(&h.to_base64(), err.clone()), Ok(h));
        assert!(Hash::from_base64("AAAA", err.clone()).is_err());
        assert!(Hash::from_base64("not base64!", err).is_err());
    }
}
