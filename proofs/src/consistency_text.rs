//! The consistency-proof text of C2SP tlog-witness `add-checkpoint`
//! (<https://c2sp.org/tlog-witness>): `old <size>`, proof lines, a blank line, the new
//! signed checkpoint. `prov consistency` writes it and `prov verify-consistency` reads it.

use crate::checkpoint::{Checkpoint, parse_decimal};
use crate::consistency::ConsistencyProof;
use crate::error::{Error, Result};
use crate::hash::{Hash, empty_root};
use crate::note::NoteVerifier;

/// tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
const MAX_PROOF_LINES: usize = 63;
/// The largest text accepted, in bytes.
const MAX_BYTES: usize = 4 << 20;

/// A consistency proof from an old size to a new signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsistencyBundle {
    /// The size of the old tree.
    pub old_size: u64,
    /// The proof hashes.
    pub proof: ConsistencyProof,
    /// The new signed checkpoint note, verbatim.
    pub checkpoint: String,
}

impl ConsistencyBundle {
    /// The text form.
    pub fn to_text(&self) -> String {
        let mut out = format!("old {}\n", self.old_size);
        for h in self.proof.hashes() {
            out.push_str(&h.to_base64());
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parses the text form without verifying it.
    ///
    /// # Errors
    /// [`Error::MalformedConsistencyText`] naming the part that is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_BYTES {
            return Err(Error::MalformedConsistencyText("larger than 4 MiB"));
        }
        let text =
            std::str::from_utf8(bytes).map_err(|_| Error::MalformedConsistencyText("not UTF-8"))?;
        let (first, mut rest) = text
            .split_once('\n')
            .ok_or(Error::MalformedConsistencyText("missing 'old' line"))?;
        let old_size = first.strip_prefix("old ").and_then(parse_decimal).ok_or(
            Error::MalformedConsistencyText("first line is not 'old <decimal>'"),
        )?;
        let mut hashes = Vec::new();
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or(Error::MalformedConsistencyText(
                    "missing blank line before the checkpoint",
                ))?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if hashes.len() == MAX_PROOF_LINES {
                return Err(Error::MalformedConsistencyText("more than 63 proof lines"));
            }
            hashes.push(Hash::from_base64(
                line,
                Error::MalformedConsistencyText("proof line is not base64 of 32 bytes"),
            )?);
        }
        if rest.is_empty() {
            return Err(Error::MalformedConsistencyText("missing checkpoint"));
        }
        Ok(Self {
            old_size,
            proof: ConsistencyProof::from_hashes(hashes),
            checkpoint: rest.to_owned(),
        })
    }

    /// Verifies that the new checkpoint is signed by the log's key and extends `old` (a
    /// checkpoint the auditor already trusts, of the same origin and of `old_size` leaves).
    ///
    /// From old size 0 there is nothing to prove (tlog-witness, `add-checkpoint`): the proof
    /// must be empty and the old checkpoint must carry the empty tree's root, and then only
    /// the new checkpoint's signature is checked. Otherwise the proof is checked with
    /// [`Tree::verify_consistency`](crate::Tree::verify_consistency).
    ///
    /// # Errors
    /// [`Error::WrongOrigin`], [`Error::MalformedConsistencyText`] when `old_size` is not the
    /// old checkpoint's size, [`Error::MalformedCheckpoint`] for an old checkpoint of size 0
    /// with another root, [`Error::NonEmptyProof`] for a proof from size 0, checkpoint
    /// errors, then consistency errors.
    pub fn verify(&self, old: &Checkpoint, verifier: &NoteVerifier) -> Result<Checkpoint> {
        if old.origin != verifier.name {
            return Err(Error::WrongOrigin {
                got: old.origin.clone(),
                want: verifier.name.clone(),
            });
        }
        if old.size != self.old_size {
            return Err(Error::MalformedConsistencyText(
                "the proof's 'old' size is not the old checkpoint's size",
            ));
        }
        if old.size == 0 {
            if old.root != empty_root() {
                return Err(Error::MalformedCheckpoint(
                    "size is 0 but the root is not the empty tree's, SHA-256 of nothing",
                ));
            }
            if !self.proof.hashes().is_empty() {
                return Err(Error::NonEmptyProof);
            }
            return Checkpoint::open(self.checkpoint.as_bytes(), verifier);
        }
        let new = Checkpoint::open(self.checkpoint.as_bytes(), verifier)?;
        old.tree().verify_consistency(&new.tree(), &self.proof)?;
        Ok(new)
    }
}
