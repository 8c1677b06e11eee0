//! The JSON forms of proofs (FORMAT.md sections 4 and 5): the same facts as the C2SP text
//! forms, as one JSON object for scripts. Parsing is strict and never trusts the content:
//! verification is the proofs crate's job.

use crate::entry::Entry;
use crate::error::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prov_proofs::{ConsistencyBundle, ConsistencyProof, Hash, InclusionProof, TlogProof};
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

fn field<'a>(v: &'a Value, name: &'static str) -> Result<&'a Value> {
    v.get(name)
        .ok_or_else(|| Error::Decode(format!("JSON proof has no {name:?}")))
}

/// `prov prove --json`: `checkpoint`, `leaf_index`, `tree_size`, `entry` (base64 leaf
/// data), `inclusion_proof` (base64 hashes, leaf's sibling first), and `decoded`, given.
pub fn inclusion_to_json(p: &TlogProof, tree_size: u64, decoded: Value) -> Value {
    json!({
        "checkpoint": p.checkpoint,
        "leaf_index": p.index,
        "tree_size": tree_size,
        "entry": STANDARD.encode(p.extra.as_deref().unwrap_or_default()),
        "inclusion_proof": p.proof.hashes().iter().map(Hash::to_base64).collect::<Vec<_>>(),
        "decoded": decoded,
    })
}

/// Parses the JSON inclusion proof into the same [`TlogProof`] the text form gives.
///
/// # Errors
/// [`Error::Decode`] naming the field that is missing or malformed.
pub fn inclusion_from_json(bytes: &[u8]) -> Result<TlogProof> {
    let v = object(bytes)?;
    let entry = field(&v, "entry")?
        .as_str()
        .and_then(|s| STANDARD.decode(s).ok())
        .filter(|e| !e.is_empty() && e.len() <= crate::entry_rules::MAX_ENTRY_BYTES)
        .ok_or_else(|| Error::Decode("JSON entry is not base64 of an entry".into()))?;
    let index = field(&v, "leaf_index")?
        .as_u64()
        .ok_or_else(|| Error::Decode("JSON leaf_index is not a whole number".into()))?;
    let checkpoint = field(&v, "checkpoint")?
        .as_str()
        .ok_or_else(|| Error::Decode("JSON checkpoint is not a string".into()))?;
    Ok(TlogProof {
        extra: Some(entry),
        index,
        proof: InclusionProof::from_hashes(hashes(&v, "inclusion_proof", 64)?),
        checkpoint: checkpoint.to_owned(),
    })
}

/// `prov consistency --json`: `old_size`, `new_size`, `consistency_proof`, `checkpoint`.
pub fn consistency_to_json(b: &ConsistencyBundle, new_size: u64) -> Value {
    json!({
        "old_size": b.old_size,
        "new_size": new_size,
        "consistency_proof": b.proof.hashes().iter().map(Hash::to_base64).collect::<Vec<_>>(),
        "checkpoint": b.checkpoint,
    })
}

/// Parses the JSON consistency proof into the same bundle the text form gives.
///
/// # Errors
/// [`Error::Decode`] naming the field that is missing or malformed.
pub fn consistency_from_json(bytes: &[u8]) -> Result<ConsistencyBundle> {
    let v = object(bytes)?;
    let old_size = field(&v, "old_size")?
        .as_u64()
        .ok_or_else(|| Error::Decode("JSON old_size is not a whole number".into()))?;
    let checkpoint = field(&v, "checkpoint")?
        .as_str()
        .ok_or_else(|| Error::Decode("JSON checkpoint is not a string".into()))?;
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
