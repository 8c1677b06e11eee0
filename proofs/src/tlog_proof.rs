//! C2SP tlog-proof (`c2sp.org/tlog-proof@v1`, <https://c2sp.org/tlog-proof>): an offline
//! inclusion proof file. `prov` puts the leaf data (the encoded entry) in the `extra` line,
//! so the file is self-contained; the extra data is never trusted on its own: its leaf hash
//! must be proven included under a checkpoint signed by a trusted key.

use crate::checkpoint::{Checkpoint, parse_decimal};
use crate::error::{Error, Result};
use crate::hash::{Hash, leaf_hash};
use crate::inclusion::InclusionProof;
use crate::note::NoteVerifier;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const HEADER: &str = "c2sp.org/tlog-proof@v1";
/// An inclusion proof in a 2^64 tree has at most 64 hashes.
const MAX_PROOF_LINES: usize = 64;
/// The largest proof file accepted, in bytes.
const MAX_PROOF_BYTES: usize = 4 << 20;

/// A parsed tlog-proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque extra data (for `prov`: the leaf data).
    pub extra: Option<Vec<u8>>,
    /// Zero-based index of the entry.
    pub index: u64,
    /// The audit path.
    pub proof: InclusionProof,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// The proof file text.
    pub fn to_text(&self) -> String {
        let mut out = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", STANDARD.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in self.proof.hashes() {
            out.push_str(&h.to_base64());
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parses a proof file without verifying it.
    ///
    /// # Errors
    /// [`Error::MalformedTlogProof`] naming the part that is wrong.
    pub fn parse(bytes: &[u8]) -> Result<TlogProof> {
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(Error::MalformedTlogProof("file is larger than 4 MiB"));
        }
        let text =
            std::str::from_utf8(bytes).map_err(|_| Error::MalformedTlogProof("not UTF-8"))?;
        let mut rest = text;
        let mut next_line = |what: &'static str| -> Result<&str> {
            let (line, after) = rest
                .split_once('\n')
                .ok_or(Error::MalformedTlogProof(what))?;
            rest = after;
            Ok(line)
        };
        if next_line("missing header line")? != HEADER {
            return Err(Error::MalformedTlogProof(
                "first line is not c2sp.org/tlog-proof@v1",
            ));
        }
        let mut line = next_line("missing index line")?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            let data = STANDARD
                .decode(b64)
                .map_err(|_| Error::MalformedTlogProof("extra data is not base64"))?;
            if data.is_empty() {
                return Err(Error::MalformedTlogProof("extra line is present but empty"));
            }
            extra = Some(data);
            line = next_line("missing index line")?;
        }
        let index = line.strip_prefix("index ").and_then(parse_decimal).ok_or(
            Error::MalformedTlogProof("index line is not 'index <decimal>'"),
        )?;
        let mut hashes = Vec::new();
        loop {
            let line = next_line("missing blank line before the checkpoint")?;
            if line.is_empty() {
                break;
            }
            if hashes.len() == MAX_PROOF_LINES {
                return Err(Error::MalformedTlogProof("more than 64 proof hashes"));
            }
            hashes.push(Hash::from_base64(
                line,
                Error::MalformedTlogProof("proof line is not base64 of 32 bytes"),
            )?);
        }
        if rest.is_empty() {
            return Err(Error::MalformedTlogProof("missing checkpoint"));
        }
        Ok(TlogProof {
            extra,
            index,
            proof: InclusionProof::from_hashes(hashes),
            checkpoint: rest.to_owned(),
        })
    }

    /// Verifies the proof for `leaf_data` (the entry bytes): the checkpoint's signature by
    /// the log's key, then the inclusion of `leaf_hash(leaf_data)` at `index`.
    ///
    /// # Errors
    /// Checkpoint errors (see [`Checkpoint::open`]), then inclusion errors.
    pub fn verify(&self, verifier: &NoteVerifier, leaf_data: &[u8]) -> Result<Checkpoint> {
        let checkpoint = Checkpoint::open(self.checkpoint.as_bytes(), verifier)?;
        checkpoint
            .tree()
            .verify_inclusion(self.index, &leaf_hash(leaf_data), &self.proof)?;
        Ok(checkpoint)
    }
}
