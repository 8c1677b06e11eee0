//! Reading a proof file in either form `prov prove` writes (FORMAT.md section 4): the C2SP
//! `.tlog-proof` text, or its `--json` object (`checkpoint`, `leaf_index`, `tree_size`,
//! `entry`, `inclusion_proof`). Both become the same [`TlogProof`]; nothing in it is trusted.

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use prov_proofs::{Checkpoint, Hash, InclusionProof, Note, TlogProof};
use serde::Deserialize;

/// The largest proof file read, in bytes (a `.tlog-proof` is a few kilobytes; an entry is
/// at most 64 KiB).
pub const MAX_PROOF_FILE: usize = 1 << 20;

/// The fields of `prov prove --json` that verification uses (`decoded` is for people and is
/// never read).
#[derive(Deserialize)]
struct JsonProof {
    checkpoint: String,
    leaf_index: u64,
    tree_size: Option<u64>,
    entry: String,
    inclusion_proof: Vec<String>,
}

/// Parses a proof file, text or JSON.
///
/// # Errors
/// [`Error::ProofFile`] saying what is wrong, or a parse error of the proof library.
pub fn parse_proof(bytes: &[u8]) -> Result<TlogProof> {
    if bytes.len() > MAX_PROOF_FILE {
        return Err(Error::ProofFile(format!(
            "it is {} bytes long, larger than any proof (1 MiB)",
            bytes.len()
        )));
    }
    let start = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied()
        .unwrap_or(0);
    if start == b'{' {
        parse_json(bytes)
    } else {
        Ok(TlogProof::parse(bytes)?)
    }
}

fn parse_json(bytes: &[u8]) -> Result<TlogProof> {
    let bad = |why: String| Error::ProofFile(format!("its JSON form is malformed: {why}"));
    let j: JsonProof = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    let note = Note::parse(j.checkpoint.as_bytes())?;
    let size = Checkpoint::from_text(&note.text)?.size;
    match j.tree_size {
        Some(n) if n == size => {}
        Some(n) => {
            return Err(bad(format!(
                "tree_size is {n}, but its checkpoint's size is {size}"
            )));
        }
        None => return Err(bad("it has no tree_size".into())),
    }
    let extra = STANDARD
        .decode(&j.entry)
        .map_err(|_| bad("entry is not base64".into()))?;
    if extra.is_empty() {
        return Err(bad("entry is empty".into()));
    }
    if j.inclusion_proof.len() > 64 {
        return Err(bad("inclusion_proof has more than 64 hashes".into()));
    }
    let hashes = j
        .inclusion_proof
        .iter()
        .map(|h| {
            Hash::from_base64(
                h,
                prov_proofs::Error::MalformedTlogProof("a proof hash is not base64 of 32 bytes"),
            )
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(TlogProof {
        extra: Some(extra),
        index: j.leaf_index,
        proof: InclusionProof::from_hashes(hashes),
        checkpoint: j.checkpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FORMAT.md section 4's example proof (leaf 3 of the reference tree).
    pub const EXAMPLE: &str = "c2sp.org/tlog-proof@v1\nextra ICE=\nindex 3\n\
ApjRIpBtz8EIkstTpzmS/FufST6kybrbJ7eRtBJ6f+c=\n+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=\n\
a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=\n\nexample.com/prov\n8\n\
XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\
\u{2014} example.com/prov rZEdYyy4xEmcjaQuhMqYg6713avbGftGXmPesfXgV6WDQ+PhoXkEYtQygG92Ejge0SVL3y6Q8n/3PFEyxHt0HgSMoAk=\n";

    #[test]
    fn text_and_json_forms_read_the_same() {
        let text = parse_proof(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(text.index, 3);
        assert_eq!(text.extra.as_deref(), Some(&[0x20, 0x21][..]));
        let checkpoint = EXAMPLE.split_once("\n\n").unwrap().1;
        let json = serde_json::json!({
            "checkpoint": checkpoint,
            "leaf_index": 3,
            "tree_size": 8,
            "entry": "ICE=",
            "inclusion_proof": text.proof.hashes().iter().map(|h| h.to_base64()).collect::<Vec<_>>(),
            "decoded": {"ignored": true},
        });
        let from_json = parse_proof(json.to_string().as_bytes()).unwrap();
        assert_eq!(from_json, text);
    }

    #[test]
    fn a_json_proof_must_name_its_checkpoints_size() {
        let checkpoint = EXAMPLE.split_once("\n\n").unwrap().1;
        for (size, want) in [(Some(7), "tree_size is 7"), (None, "no tree_size")] {
            let json = serde_json::json!({
                "checkpoint": checkpoint, "leaf_index": 3, "tree_size": size,
                "entry": "ICE=", "inclusion_proof": [],
            });
            let e = parse_proof(json.to_string().as_bytes()).unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
    }
}
