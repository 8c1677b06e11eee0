//! One document's answer as `prov check --json` prints it and `GET /v1/documents/{sha256}`
//! answers it: whether it is known, its first sighting and every other, each with the
//! containers it was found in, the earliest independent bound on its first-seen time, the
//! claims about it and the links both ways.

use crate::containers::{self, Chains};
use crate::fields::{name_json, rfc3339, set_path};
use crate::story::{Found, Told};
use prov_ledger::{Entry, Evidence, IndependentBound, Ledger, LinkIndex, Unverified};
use serde_json::{Value, json};

/// One sighting, with the containers it was found in, innermost first.
fn seen(e: &Entry, chain: &[Entry]) -> Value {
    let mut v = json!({
        "seq": e.seq,
        "time": rfc3339(e.time_ms),
        "source": e.source,
        "name": e.content.name.as_deref().map(name_json),
        "part": e.metadata.get(prov_ledger::PART_KEY),
        "containers": containers::json(chain),
    });
    if let Some(n) = &e.content.name
        && std::str::from_utf8(n).is_err()
    {
        v["name_hex"] = Value::String(hex::encode(n));
    }
    v
}

/// The earliest independent bound of a first-seen entry (a timestamp or a cosignature), or
/// null.
pub fn bound_json(b: Option<&IndependentBound>) -> Value {
    match b {
        None => Value::Null,
        Some(b) => json!({
            "kind": if b.timestamp { "timestamp" } else { "cosignature" },
            "by": b.by,
            "time": rfc3339(b.time_ms),
            "checkpoint_size": b.size,
        }),
    }
}

/// A stored cosignature or timestamp that does not count as an independent bound (it does
/// not verify with the keys and certificates the ledger's configuration trusts), for
/// `unverified_evidence`.
pub fn unverified_json(u: &Unverified) -> Value {
    json!({
        "file": u.file,
        "checkpoint_size": u.size,
        "by": u.by,
        "why": u.why,
        "trusted_signer": !u.unknown,
    })
}

/// What the ledger holds on one document, read for its answer.
pub struct Checked<'a> {
    /// How the caller named it: its path, or `sha256:<hex>`.
    pub label: &'a [u8],
    /// Its SHA-256.
    pub sha256: [u8; 32],
    /// Its entries, first seen first (none when unknown).
    pub entries: &'a [Entry],
    /// The containers of each entry, innermost first ([`Chains::of`]).
    pub found_in: &'a [Vec<Entry>],
    /// The claims and links about its entries ([`Found::tell`]).
    pub told: &'a Told<'a>,
    /// The cosignatures and timestamps that count, and those that do not
    /// ([`Ledger::evidence`]).
    pub evidence: &'a Evidence,
}

impl Checked<'_> {
    /// The object `prov check --json` prints: `sha256`, `known`, `first_seen`, `sightings`,
    /// `independent_bound`, `unverified_evidence` (when known), `claims`, `related`,
    /// `linked_from` and `path`.
    pub fn json(&self) -> Value {
        let (first, sightings) = match self.entries.split_first() {
            Some((f, rest)) => (Some(f), rest),
            None => (None, &[][..]),
        };
        let mut v = json!({
            "sha256": hex::encode(self.sha256),
            "known": first.is_some(),
            "first_seen": first.map(|f| seen(f, &self.found_in[0])),
            "sightings": sightings
                .iter()
                .zip(&self.found_in[1.min(self.found_in.len())..])
                .map(|(s, c)| seen(s, c))
                .collect::<Vec<_>>(),
        });
        v["independent_bound"] = bound_json(first.and_then(|f| self.evidence.for_entry(f.seq)));
        if let Some(f) = first {
            v["unverified_evidence"] = self
                .evidence
                .unverified_for(f.seq)
                .map(unverified_json)
                .collect();
        }
        self.told.json_into(&mut v, true);
        set_path(&mut v, self.label);
        v
    }
}

/// The answer for one content by its hash alone, as `prov check --sha256 HEX --json` prints
/// it (labelled `sha256:<hex>`): reads its entries, their containers, the links to them (one
/// pass over the log, or `links`, the index a server keeps) and the independent bounds.
///
/// # Errors
/// Those of [`Ledger::lookup`], [`Ledger::entry`], [`Ledger::links_to`] and
/// the evidence is the caller's ([`Ledger::evidence`], taken once for many answers).
pub fn check_sha256(
    l: &Ledger,
    evidence: &Evidence,
    links: Option<&LinkIndex>,
    sha256: [u8; 32],
) -> prov_ledger::Result<Value> {
    let entries = l
        .lookup_many(&[sha256])?
        .pop()
        .unwrap_or_else(|| Ok(Vec::new()))?;
    let targets: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    let found = Found::read_with(l, &targets, links)?;
    let mut chains = Chains::default();
    let found_in = entries
        .iter()
        .map(|e| chains.of(l, e))
        .collect::<prov_ledger::Result<Vec<_>>>()?;
    let told = found.tell(&entries);
    let label = format!("sha256:{}", hex::encode(sha256)).into_bytes();
    Ok(Checked {
        label: &label,
        sha256,
        entries: &entries,
        found_in: &found_in,
        told: &told,
        evidence,
    }
    .json())
}
