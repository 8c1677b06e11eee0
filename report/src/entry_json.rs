//! Entries as JSON (`show --json`, `log --json`, `GET /v1/entries/SEQ`) and claims in one
//! line (FORMAT.md section 6: every field decoded).

use crate::fields::{name_json, rfc3339};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prov_ledger::{Entry, Kind};
use serde_json::{Value, json};

/// An entry as JSON, every field decoded.
pub fn entry_json(e: &Entry) -> Value {
    let (kind, first) = match e.kind {
        Kind::FirstSeen => ("first_seen", Some(e.seq)),
        Kind::Sighting { first } => ("sighting", Some(first)),
        Kind::Claim { .. } => ("claim", None),
    };
    let mut v = json!({
        "seq": e.seq,
        "kind": kind,
        "first_seen_seq": first,
        "time": rfc3339(e.time_ms),
        "time_ms": e.time_ms,
        "sha256": hex::encode(e.content.sha256),
        "size": e.content.size,
        "name": e.content.name.as_deref().map(name_json),
        "media_type": e.content.media_type,
        "digests": e.content.digests.iter().map(|(k, v)| (k.clone(), Value::String(hex::encode(v)))).collect::<serde_json::Map<_, _>>(),
        "source": e.source,
        "agent": e.agent,
        "metadata": e.metadata,
        "related": e.related.iter().map(|r| json!({"relation": r.relation, "seq": r.seq})).collect::<Vec<_>>(),
        "prev": e.prev.to_hex(),
        "leaf_hash": e.leaf_hash().ok().map(|h| h.to_hex()),
        "key_id": format!("{:08x}", e.key_id),
        "signature": STANDARD.encode(e.signature),
    });
    if let Some(name) = &e.content.name
        && std::str::from_utf8(name).is_err()
    {
        v["name_hex"] = Value::String(hex::encode(name));
    }
    if let Some(c) = claim_json(e) {
        v["claim"] = c;
    }
    v
}

/// What a claim entry says, for `--json`: `about`, `verdict`, `by`, `recorded_by` (the
/// entry's agent: the archivist who recorded it, which `by`, the claimant's own words, need
/// not be; null when none), `reason` (or null), `evidence` (seqs) and `metadata` (the
/// claimant's further keys, `--meta`, without the reason); `None` for an entry that is not
/// a claim.
pub fn claim_json(e: &Entry) -> Option<Value> {
    let Kind::Claim { about, verdict } = e.kind else {
        return None;
    };
    Some(json!({
        "about": about,
        "verdict": verdict.as_str(),
        "by": e.source,
        "recorded_by": e.agent,
        "reason": e.metadata.get(prov_ledger::CLAIM_REASON),
        "evidence": evidence(e),
        "metadata": further_metadata(e).collect::<std::collections::BTreeMap<_, _>>(),
    }))
}

/// A claim's metadata but its reason: the claimant's further keys (`prov claim --meta`).
fn further_metadata(e: &Entry) -> impl Iterator<Item = (&String, &String)> {
    e.metadata
        .iter()
        .filter(|(k, _)| *k != prov_ledger::CLAIM_REASON)
}

/// A claim's evidence: the seqs of its `evidence` links.
pub fn evidence(e: &Entry) -> Vec<u64> {
    e.related
        .iter()
        .filter(|r| r.relation == prov_ledger::EVIDENCE)
        .map(|r| r.seq)
        .collect()
}

/// A claim for people, on one line: `forged, by X, at TIME: "REASON"; evidence entries 3, 4`,
/// with `(recorded by AGENT)` after X when an archivist other than X recorded it (through
/// `prov serve`, `by` is what the client wrote, the agent who sent it).
pub fn claim_line(e: &Entry) -> String {
    claim_json(e).map_or_else(String::new, |c| {
        crate::lines::claim_text(&c, &rfc3339(e.time_ms))
    })
}

/// A recorded (or already recorded) claim as `prov claim --json` prints it and `POST
/// /v1/claims` answers it: `status`, `seq`, `time`, `entry` (every field), and the claim's
/// own fields (`about`, `verdict`, `by`, `reason`, `evidence`, `metadata`).
pub fn claimed_json(status: prov_ledger::ClaimStatus, e: &Entry) -> Value {
    let mut v = json!({
        "status": status.as_str(),
        "seq": e.seq,
        "time": rfc3339(e.time_ms),
        "entry": entry_json(e),
    });
    if let (Some(Value::Object(c)), Value::Object(o)) = (claim_json(e), &mut v) {
        o.extend(c);
    }
    v
}
