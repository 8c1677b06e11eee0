//! One recorded document as `prov add --json` prints it and `POST /v1/documents` answers it:
//! what happened (`status`), its entry, its content and where the content was first seen.

use crate::fields::{name_json, rfc3339, set_path};
use prov_ledger::{Ingested, SimilarLink, Status};
use serde_json::{Value, json};

/// The object for one document of an ingest, once its batch is durable: `status`
/// (`first_seen`, `sighting`, `already_recorded`), `seq`, `sha256`, `size`, `first_seen`
/// (`seq`, `time`, `source`), `contained_in`, `name` (and `name_hex` when it is not UTF-8),
/// `similar_to` (the earlier document it was linked to as a look-alike: `seq`, `distance`,
/// `fingerprint`; or null) and `path`, the label the caller gave it (with `path_hex`
/// likewise).
pub fn added_json(d: &Ingested<'_>) -> Value {
    let (doc, r) = (d.document, d.recorded);
    let f = &r.first_seen;
    let mut v = json!({
        "status": r.status.as_str(),
        "seq": r.seq,
        "sha256": hex::encode(doc.content.sha256),
        "size": doc.content.size,
        "first_seen": {"seq": f.seq, "time": rfc3339(f.time_ms), "source": f.source},
        "contained_in": d.contained_in,
        "name": doc.content.name.as_deref().map(name_json),
        "similar_to": similar_json(r.similar.as_ref()),
    });
    if let Some(n) = &doc.content.name
        && std::str::from_utf8(n).is_err()
    {
        v["name_hex"] = Value::String(hex::encode(n));
    }
    // A container: how many of its members were not recorded, as the entry appended now
    // signs it (one already recorded keeps the counts of its first recording: not this walk's).
    if let (Some(n), false) = (
        doc.metadata.get("container.not_recorded"),
        r.status == Status::AlreadyRecorded,
    ) {
        v["members_not_recorded"] = json!(n.parse::<u64>().unwrap_or_default());
    }
    set_path(&mut v, d.label);
    v
}

/// A `similar_to` link as JSON: `seq`, `distance`, `fingerprint` (`text` or `bytes`); null
/// for none.
pub fn similar_json(link: Option<&SimilarLink>) -> Value {
    link.map_or(
        Value::Null,
        |s| json!({"seq": s.seq, "distance": s.distance, "fingerprint": s.kind.as_str()}),
    )
}
