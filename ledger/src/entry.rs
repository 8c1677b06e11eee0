//! The ledger entry (FORMAT.md section 6): what was seen, from where, when, signed.

use crate::claim::Verdict;
use crate::encoding;
use crate::entry_rules;
use crate::error::{Error, Result};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use prov_proofs::{Hash, leaf_hash};
use std::collections::BTreeMap;

/// The entry format version this code writes and reads.
pub const ENTRY_VERSION: u8 = 1;
/// The domain-separation prefix of the signed message (FORMAT.md section 6.3).
pub const SIGNING_DOMAIN: &[u8] = b"prov-entry-v1\n";

/// Whether this is the first time the ledger saw the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Content never recorded before.
    FirstSeen,
    /// Content already recorded, now seen from another source.
    Sighting {
        /// Sequence number of the `FirstSeen` entry for this content.
        first: u64,
    },
    /// A claim about an earlier entry (FORMAT.md section 6.7): it records no document.
    Claim {
        /// The entry the claim is about: a document's entry, or for
        /// [`Verdict::Retracted`] the claim it retracts.
        about: u64,
        /// What is claimed.
        verdict: Verdict,
    },
}

/// What the document is: its digest, size and how it was named.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Content {
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
    /// Size in bytes.
    pub size: u64,
    /// Original file name, as raw bytes (kept losslessly when not UTF-8).
    pub name: Option<Vec<u8>>,
    /// Media type, for example `application/pdf`.
    pub media_type: Option<String>,
    /// Further digests by algorithm name (for example `sha512`), sorted by name.
    pub digests: BTreeMap<String, Vec<u8>>,
}

/// A typed link to an earlier entry, for example `attachment_of` or `altered_copy_of`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Related {
    /// Relation name: lower-case ASCII letters, digits and `_`.
    pub relation: String,
    /// The earlier entry.
    pub seq: u64,
}

/// One signed ledger entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Sequence number, equal to the entry's Merkle leaf index.
    pub seq: u64,
    /// Leaf hash of the previous entry; 32 zero bytes for entry 0.
    pub prev: Hash,
    /// When the ledger recorded it: milliseconds since 1970-01-01T00:00:00Z.
    pub time_ms: u64,
    /// First seen, or a sighting of earlier content.
    pub kind: Kind,
    /// The document's digest and names.
    pub content: Content,
    /// Where it came from, as the archivist says (URL, mailbox, person, drive).
    pub source: String,
    /// Who recorded it.
    pub agent: Option<String>,
    /// Free key/value metadata, such as dates a document claims about itself.
    pub metadata: BTreeMap<String, String>,
    /// Links to earlier entries, sorted.
    pub related: Vec<Related>,
    /// Key ID (signed-note style) of the signing key.
    pub key_id: u32,
    /// Ed25519 signature over [`SIGNING_DOMAIN`] and the unsigned encoding.
    pub signature: [u8; 64],
}

impl Entry {
    /// The bytes that are signed: [`SIGNING_DOMAIN`] followed by the unsigned encoding.
    ///
    /// # Errors
    /// [`Error::Invalid`] when a field breaks a rule of FORMAT.md section 6: such an entry
    /// has no encoding, so nothing could sign or verify it.
    pub fn signed_message(&self) -> Result<Vec<u8>> {
        entry_rules::validate_fields(self)?;
        let mut msg = SIGNING_DOMAIN.to_vec();
        encoding::encode_unsigned(self, &mut msg)?;
        entry_rules::check_size(msg.len() - SIGNING_DOMAIN.len())?;
        Ok(msg)
    }

    /// Fills in `key_id` and `signature`, and returns the leaf data (the whole encoded
    /// entry), encoding the entry once.
    ///
    /// # Errors
    /// [`Error::Invalid`] when a field breaks a rule of FORMAT.md section 6, or a source or
    /// agent holds a bidirectional control or line separator (a rule for new entries only).
    pub fn sign(&mut self, key: &SigningKey, key_id: u32) -> Result<Vec<u8>> {
        self.key_id = key_id;
        self.check_new_text()?;
        let mut msg = self.signed_message()?;
        self.signature = key.sign(&msg).to_bytes();
        msg.drain(..SIGNING_DOMAIN.len());
        msg.extend_from_slice(&self.signature);
        Ok(msg)
    }

    /// The rule for new entries only (older ones were recorded before it): no bidirectional
    /// control or line separator in the source or agent.
    fn check_new_text(&self) -> Result<()> {
        entry_rules::check_recorded_text("source", &self.source)?;
        match &self.agent {
            Some(agent) => entry_rules::check_recorded_text("agent", agent),
            None => Ok(()),
        }
    }

    /// Checks every rule [`Entry::sign`] applies, without signing: for refusing bad input
    /// before anything is written.
    ///
    /// # Errors
    /// As [`Entry::sign`].
    pub fn check_signable(&self) -> Result<()> {
        self.check_new_text()?;
        self.validate()
    }

    /// Verifies the signature with RFC 8032 strict verification.
    ///
    /// # Errors
    /// [`Error::Decode`] when the signature does not verify, [`Error::Invalid`] when a field
    /// breaks a rule (the entry has no encoding to verify).
    pub fn verify(&self, key: &VerifyingKey) -> Result<()> {
        let sig = Signature::from_bytes(&self.signature);
        key.verify_strict(&self.signed_message()?, &sig)
            .map_err(|_| Error::Decode(format!("entry {}: signature does not verify", self.seq)))
    }

    /// The leaf data: the whole encoded entry, signature included.
    ///
    /// # Errors
    /// [`Error::Invalid`] when a field breaks a rule of FORMAT.md section 6 (a length or
    /// count over its limit, the whole entry over [`crate::MAX_ENTRY_BYTES`]): the encoder
    /// never truncates, so every leaf data it returns decodes back to this entry.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = self.signed_message()?;
        out.drain(..SIGNING_DOMAIN.len());
        out.extend_from_slice(&self.signature);
        Ok(out)
    }

    /// Strictly decodes leaf data: exactly one encoding is accepted per entry.
    ///
    /// # Errors
    /// [`Error::Decode`] naming the first rule broken.
    pub fn from_bytes(bytes: &[u8]) -> Result<Entry> {
        encoding::decode(bytes)
    }

    /// The Merkle leaf hash of this entry (FORMAT.md section 1).
    ///
    /// # Errors
    /// As [`Entry::to_bytes`].
    pub fn leaf_hash(&self) -> Result<Hash> {
        Ok(leaf_hash(&self.to_bytes()?))
    }

    /// The sequence number of the first-seen entry for this content (for a claim, the
    /// entry it is about).
    pub fn first_seq(&self) -> u64 {
        match self.kind {
            Kind::FirstSeen => self.seq,
            Kind::Sighting { first } => first,
            Kind::Claim { about, .. } => about,
        }
    }

    /// Whether this entry is a claim (it records no document).
    pub fn is_claim(&self) -> bool {
        matches!(self.kind, Kind::Claim { .. })
    }

    /// Checks every field rule of FORMAT.md section 6.2.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field.
    pub fn validate(&self) -> Result<()> {
        entry_rules::validate(self)
    }
}

/// The message an encoded entry's signature covers: [`SIGNING_DOMAIN`] and every byte of the
/// leaf data but the 64-byte signature at its end. `None` when `leaf` is too short to hold one.
pub(crate) fn signed_message_of(leaf: &[u8]) -> Option<Vec<u8>> {
    let unsigned = leaf.get(..leaf.len().checked_sub(64)?)?;
    let mut msg = Vec::with_capacity(SIGNING_DOMAIN.len() + unsigned.len());
    msg.extend_from_slice(SIGNING_DOMAIN);
    msg.extend_from_slice(unsigned);
    Some(msg)
}

/// Verifies, with RFC 8032 strict verification, the signature at the end of encoded leaf
/// data over the bytes before it, without decoding or re-encoding anything. For leaf data a
/// strict decode accepted, this is [`Entry::verify`].
pub(crate) fn verify_encoded(leaf: &[u8], key: &VerifyingKey) -> std::result::Result<(), ()> {
    let msg = signed_message_of(leaf).ok_or(())?;
    let sig: [u8; 64] = leaf[leaf.len() - 64..].try_into().map_err(|_| ())?;
    key.verify_strict(&msg, &Signature::from_bytes(&sig))
        .map_err(|_| ())
}
