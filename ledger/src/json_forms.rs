//! The JSON forms of proofs (FORMAT.md sections 4 and 5): the same facts as the C2SP text
//! forms, as one JSON object for scripts. Parsing is strict and never trusts the content:
//! verification is the proofs crate's job.

use crate::entry::Entry;
use crate::error::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prov_proofs::{
    Checkpoint, ConsistencyBundle, ConsistencyProof, Hash, InclusionProof, Note, TlogProof,
};
use serde_json::{Value, json};

/// The largest JSON proof accepted, in bytes.
const MAX_JSON: usize = 4 << 20;

fn hashes(v: &Value, field: &'static str, max: usize) -> Result<Vec<Hash>> {
    let bad = |why: &str| Error::Decode(format!("JSON {field}: {why}"));
    let list = v
        .get(field)
        .and_then(Value::as_array)
        .ok_or_else(|| bad("missing or not an array"))?;
    if list.len() > max {
        return Err(bad(&format!("more than {max} hashes")));
    }
    list.iter()
        .map(|h| {
            h.as_str()
                .and_then(|h| Hash::from_base64(h, prov_proofs::Error::ProofBytes(0)).ok())
                .ok_or_else(|| bad("a hash is not base64 of 32 bytes"))
        })
        .collect()
}

fn object(bytes: &[u8]) -> Result<Value> {
    if bytes.len() > MAX_JSON {
        return Err(Error::Decode("JSON proof is larger than 4 MiB".into()));
    }
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| Error::Decode(format!("not JSON: {e}")))?;
    if !v.is_object() {
        return Err(Error::Decode("JSON proof is not an object".into()));
    }
    Ok(v)
}

/// A size the JSON states beside the checkpoint (`tree_size`, `new_size`) must be the size
/// the checkpoint's text gives, the one its signature covers once verified: a proof whose
/// stated size was changed or deleted is refused, never verified against another.
fn stated_size(v: &Value, name: &'static str, checkpoint: &str) -> Result<()> {
    let stated = field(v, name)?
        .as_u64()
        .ok_or_else(|| Error::Decode(format!("JSON {name} is not a whole number")))?;
    let size = checkpoint_size(checkpoint)?;
    if stated != size {
        return Err(Error::Decode(format!(
            "JSON {name} is {stated}, but the checkpoint is for size {size}"
        )));
    }
    Ok(())
}

/// The size line of a signed checkpoint, unverified (the signature is checked later).
fn checkpoint_size(checkpoint: &str) -> Result<u64> {
    let note = Note::parse(checkpoint.as_bytes())?;
    Ok(Checkpoint::from_text(&note.text)?.size)
}

fn field<'a>(v: &'a Value, name: &'static str) -> Result<&'a Value> {
    v.get(name)
        .ok_or_else(|| Error::Decode(format!("JSON proof has no {name:?}")))
}

/// `prov prove --json`: `checkpoint`, `leaf_index`, `tree_size` (the checkpoint's size),
/// `entry` (base64 leaf data), `inclusion_proof` (base64 hashes, leaf's sibling first), and
/// `decoded`, given.
///
/// # Errors
/// [`Error::Proof`] when the checkpoint does not parse (it has no size to state).
pub fn inclusion_to_json(p: &TlogProof, decoded: Value) -> Result<Value> {
    Ok(json!({
        "checkpoint": p.checkpoint,
        "leaf_index": p.index,
        "tree_size": checkpoint_size(&p.checkpoint)?,
        "entry": STANDARD.encode(p.extra.as_deref().unwrap_or_default()),
        "inclusion_proof": p.proof.hashes().iter().map(Hash::to_base64).collect::<Vec<_>>(),
        "decoded": decoded,
    }))
}

/// Parses the JSON inclusion proof into the same [`TlogProof`] the text form gives.
///
/// # Errors
/// [`Error::Decode`] naming the field that is missing or malformed, or a `tree_size` that is
/// not the checkpoint's size; [`Error::Proof`] for a checkpoint that does not parse.
pub fn inclusion_from_json(bytes: &[u8]) -> Result<TlogProof> {
    let v = object(bytes)?;
    let entry = field(&v, "entry")?
        .as_str()
        .and_then(|s| STANDARD.decode(s).ok())
        .filter(|e| !e.is_empty() && e.len() <= crate::entry_rules::MAX_DECODED_ENTRY_BYTES)
        .ok_or_else(|| Error::Decode("JSON entry is not base64 of an entry".into()))?;
    let index = field(&v, "leaf_index")?
        .as_u64()
        .ok_or_else(|| Error::Decode("JSON leaf_index is not a whole number".into()))?;
    let checkpoint = field(&v, "checkpoint")?
        .as_str()
        .ok_or_else(|| Error::Decode("JSON checkpoint is not a string".into()))?;
    stated_size(&v, "tree_size", checkpoint)?;
    Ok(TlogProof {
        extra: Some(entry),
        index,
        proof: InclusionProof::from_hashes(hashes(&v, "inclusion_proof", 64)?),
        checkpoint: checkpoint.to_owned(),
    })
}

/// `prov consistency --json`: `old_size`, `new_size` (the new checkpoint's size),
/// `consistency_proof`, `checkpoint`.
///
/// # Errors
/// [`Error::Proof`] when the checkpoint does not parse (it has no size to state).
pub fn consistency_to_json(b: &ConsistencyBundle) -> Result<Value> {
    Ok(json!({
        "old_size": b.old_size,
        "new_size": checkpoint_size(&b.checkpoint)?,
        "consistency_proof": b.proof.hashes().iter().map(Hash::to_base64).collect::<Vec<_>>(),
        "checkpoint": b.checkpoint,
    }))
}

/// Parses the JSON consistency proof into the same bundle the text form gives.
///
/// # Errors
/// [`Error::Decode`] naming the field that is missing or malformed, or a `new_size` that is
/// not the new checkpoint's size; [`Error::Proof`] for a checkpoint that does not parse.
pub fn consistency_from_json(bytes: &[u8]) -> Result<ConsistencyBundle> {
    let v = object(bytes)?;
    let old_size = field(&v, "old_size")?
        .as_u64()
        .ok_or_else(|| Error::Decode("JSON old_size is not a whole number".into()))?;
    let checkpoint = field(&v, "checkpoint")?
        .as_str()
        .ok_or_else(|| Error::Decode("JSON checkpoint is not a string".into()))?;
    stated_size(&v, "new_size", checkpoint)?;
    Ok(ConsistencyBundle {
        old_size,
        proof: ConsistencyProof::from_hashes(hashes(&v, "consistency_proof", 63)?),
        checkpoint: checkpoint.to_owned(),
    })
}

/// Decodes the entry a proof carries, for people (never trusted by verification).
pub fn decoded_entry(p: &TlogProof) -> Option<Entry> {
    Entry::from_bytes(p.extra.as_deref()?).ok()
}
