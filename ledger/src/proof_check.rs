//! Verifying an offline inclusion proof of an entry (FORMAT.md section 4), every rule in one
//! place, so that `prov verify-proof` and any other Rust verifier reach the same verdict on
//! the same bytes. Only the ledger's verifier key is trusted; nothing in the proof is.

use crate::digest::FileDigest;
use crate::entry::Entry;
use crate::error::{Error, Result};
use prov_proofs::{Checkpoint, NoteVerifier, TlogProof};

/// What a proof proved: the entry, as signed by the ledger's key and included in the tree of
/// a checkpoint that key signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEntry {
    /// The proven entry, decoded strictly and with its signature checked.
    pub entry: Entry,
    /// The signed checkpoint whose tree includes it.
    pub checkpoint: Checkpoint,
    /// Whether a document was given and checked to be the recorded one (SHA-256 and size).
    pub document_checked: bool,
}

/// Verifies a `.tlog-proof` of an entry under the ledger's key `verifier`, in the order of
/// FORMAT.md section 4:
/// 1. the proof carries the entry (its `extra` line); a proof without one is refused;
/// 2. the checkpoint is a signed note with a valid signature by `verifier`, and its origin is
///    the key's name;
/// 3. the audit path leads from the entry's leaf hash at `index` to the checkpoint's root
///    (which needs `index` < the checkpoint's size);
/// 4. the entry decodes strictly (FORMAT.md section 6.2);
/// 5. its seq equals `index`;
/// 6. its key ID is `verifier`'s;
/// 7. its own signature verifies strictly;
/// 8. with `document`, the document's SHA-256 and then its size equal the entry's.
///
/// # Errors
/// The first rule broken: [`Error::ProofWithoutEntry`]; [`Error::Proof`] for the checkpoint
/// and the audit path; [`Error::ProvenEntryMalformed`]; [`Error::EntryNotAtIndex`];
/// [`Error::EntryKeyId`]; [`Error::EntrySignature`]; [`Error::DocumentHash`] or
/// [`Error::DocumentSize`].
pub fn verify_tlog_proof(
    proof: &TlogProof,
    verifier: &NoteVerifier,
    document: Option<&FileDigest>,
) -> Result<VerifiedEntry> {
    let leaf = proof.extra.as_deref().ok_or(Error::ProofWithoutEntry)?;
    let checkpoint = proof.verify(verifier, leaf)?;
    let entry = Entry::from_bytes(leaf).map_err(|e| Error::ProvenEntryMalformed(e.to_string()))?;
    if entry.seq != proof.index {
        return Err(Error::EntryNotAtIndex {
            seq: entry.seq,
            index: proof.index,
        });
    }
    if entry.key_id != verifier.key_id {
        return Err(Error::EntryKeyId {
            entry: entry.key_id,
            key: verifier.key_id,
        });
    }
    entry
        .verify(&verifier.key)
        .map_err(|_| Error::EntrySignature { seq: entry.seq })?;
    let mut verified = VerifiedEntry {
        entry,
        checkpoint,
        document_checked: false,
    };
    if let Some(d) = document {
        verified.check_document(d)?;
    }
    Ok(verified)
}

impl VerifiedEntry {
    /// Rule 8 alone, for a verifier that checks the proof before it spends time hashing a
    /// document: the document's SHA-256, then its size, equal the proven entry's.
    ///
    /// # Errors
    /// [`Error::DocumentHash`] or [`Error::DocumentSize`].
    pub fn check_document(&mut self, d: &FileDigest) -> Result<()> {
        let c = &self.entry.content;
        if d.sha256 != c.sha256 {
            return Err(Error::DocumentHash {
                document: d.sha256,
                entry: c.sha256,
            });
        }
        if d.size != c.size {
            return Err(Error::DocumentSize {
                document: d.size,
                entry: c.size,
            });
        }
        self.document_checked = true;
        Ok(())
    }
}
