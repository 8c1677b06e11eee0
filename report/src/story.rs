//! The rest of a document's story, for `check` and `show`: the claims about its entries (in
//! order, each with its retraction if any), the entries that link to them (an altered copy,
//! the members found in it, claims citing it as evidence) and the links its own entries make.
//!
//! The links to an entry are found by one pass over the log ([`Ledger::links_to`], FORMAT.md
//! section 6.7), made once per command for all the documents it answers.

use crate::entry_json::claim_json;
use crate::fields::{name_json, rfc3339};
use prov_ledger::{Entry, Kind, Ledger, Link, LinkIndex, Story, Verdict};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// The links found for every target asked, with their entries by seq.
pub struct Found {
    story: Story,
    by_seq: HashMap<u64, usize>,
}

impl Found {
    /// One pass over the log for all of `targets`.
    ///
    /// # Errors
    /// As [`Ledger::links_to`].
    pub fn read(l: &Ledger, targets: &[u64]) -> prov_ledger::Result<Found> {
        Found::read_with(l, targets, None)
    }

    /// As [`Found::read`], from a link index when the caller keeps one (a server): the
    /// same story, reading only the linking entries.
    ///
    /// # Errors
    /// As [`Ledger::links_to_indexed`].
    pub fn read_with(
        l: &Ledger,
        targets: &[u64],
        links: Option<&LinkIndex>,
    ) -> prov_ledger::Result<Found> {
        let story = match links {
            Some(index) => l.links_to_indexed(targets, index)?,
            None => l.links_to(targets)?,
        };
        let by_seq = story
            .linking
            .iter()
            .enumerate()
            .map(|(i, e)| (e.seq, i))
            .collect();
        Ok(Found { story, by_seq })
    }

    /// Linking entries the pass found past its limit, not shown.
    pub fn more(&self) -> u64 {
        self.story.more
    }

    /// What the log says about `entries` (one document's, or one entry).
    pub fn tell<'a>(&'a self, entries: &'a [Entry]) -> Told<'a> {
        let mut about_us: HashSet<u64> = entries.iter().map(|e| e.seq).collect();
        let mut told = Told {
            entries,
            claims: Vec::new(),
            linked_from: Vec::new(),
            retracted: HashMap::new(),
        };
        for link in &self.story.links {
            let Some(from) = self.by_seq.get(&link.from).map(|&i| &self.story.linking[i]) else {
                continue;
            };
            // The retraction of a claim that links to us (citing us as evidence).
            if link.relation == prov_ledger::ABOUT
                && is_retraction(from)
                && told.linked_from.iter().any(|(_, f)| f.seq == link.to)
            {
                told.retracted.insert(link.to, from);
            }
            if !about_us.contains(&link.to) {
                continue;
            }
            if link.relation != prov_ledger::ABOUT {
                told.linked_from.push((link, from));
                continue;
            }
            about_us.insert(from.seq);
            let retracts = is_retraction(from);
            match told.claims.iter_mut().find(|c| c.claim.seq == link.to) {
                Some(c) if retracts => c.retracted_by = Some(from),
                _ => told.claims.push(ClaimView {
                    claim: from,
                    retracted_by: None,
                }),
            }
        }
        told
    }
}

/// Whether `e` is a claim of verdict `retracted`.
fn is_retraction(e: &Entry) -> bool {
    matches!(
        e.kind,
        Kind::Claim {
            verdict: Verdict::Retracted,
            ..
        }
    )
}

/// A claim's `retracted` and `retracted_by` (`seq`, `by`, `time`, `reason`, or null), for
/// `--json`.
fn retraction_into(v: &mut Value, retracted_by: Option<&Entry>) {
    v["retracted"] = json!(retracted_by.is_some());
    v["retracted_by"] = retracted_by.map_or(Value::Null, |r| {
        json!({
            "seq": r.seq,
            "by": r.source,
            "time": rfc3339(r.time_ms),
            "reason": r.metadata.get(prov_ledger::CLAIM_REASON),
        })
    });
}

/// A claim, and the claim that retracted it.
pub struct ClaimView<'a> {
    claim: &'a Entry,
    retracted_by: Option<&'a Entry>,
}

impl ClaimView<'_> {
    fn json(&self) -> Value {
        let mut v = claim_json(self.claim).unwrap_or(Value::Null);
        v["seq"] = json!(self.claim.seq);
        v["time"] = json!(rfc3339(self.claim.time_ms));
        retraction_into(&mut v, self.retracted_by);
        v
    }
}

/// What the log says about some entries besides themselves.
pub struct Told<'a> {
    entries: &'a [Entry],
    claims: Vec<ClaimView<'a>>,
    linked_from: Vec<(&'a Link, &'a Entry)>,
    /// The retractions of the claims in `linked_from`, by the seq of the claim retracted.
    retracted: HashMap<u64, &'a Entry>,
}

impl Told<'_> {
    /// `claims`, `linked_from` (links to the entries) and, with `own`, `related` (the
    /// entries' own links, `seq`, `relation`, `to`), for `--json`; a `similar_to` link has
    /// its `distance` and `fingerprint` too, and a linking entry's name that is not UTF-8
    /// its `name_hex`. [`crate::lines`] makes the human lines from these.
    pub fn json_into(&self, v: &mut Value, own: bool) {
        v["claims"] = Value::Array(self.claims.iter().map(ClaimView::json).collect());
        if own {
            v["related"] = Value::Array(
                self.entries
                    .iter()
                    .flat_map(|e| {
                        e.related.iter().map(|r| {
                            let mut o = json!({"seq": e.seq, "relation": r.relation, "to": r.seq});
                            similarity_of(&mut o, e);
                            o
                        })
                    })
                    .collect(),
            );
        }
        v["linked_from"] = Value::Array(
            self.linked_from
                .iter()
                .map(|(link, from)| {
                    let mut o = json!({
                        "seq": from.seq,
                        "relation": link.relation,
                        "to": link.to,
                        "kind": if from.is_claim() { "claim" } else { "document" },
                        "sha256": hex::encode(from.content.sha256),
                        "name": from.content.name.as_deref().map(name_json),
                        "source": from.source,
                        "time": rfc3339(from.time_ms),
                    });
                    if let Some(n) = &from.content.name
                        && std::str::from_utf8(n).is_err()
                    {
                        o["name_hex"] = json!(hex::encode(n));
                    }
                    if let Some(mut c) = claim_json(from) {
                        retraction_into(&mut c, self.retracted.get(&from.seq).copied());
                        o["claim"] = c;
                    }
                    similarity_of(&mut o, from);
                    o
                })
                .collect(),
        );
    }
}

/// A look-alike's `distance` and `fingerprint` (`text` or `bytes`) as they are recorded in
/// the linking entry's metadata (FORMAT.md 6.9): a number, or the text when it is not one.
fn similar_value(v: &str) -> Value {
    v.parse::<u64>().map_or_else(|_| json!(v), |n| json!(n))
}

/// Sets a `similar_to` link's `distance` and `fingerprint` from the metadata of the entry
/// that makes it (`metadata`, as `--json` prints an entry's); any other link is left as is.
pub fn similarity_into(link: &mut Value, metadata: &Value) {
    if link["relation"] != prov_ledger::SIMILAR_TO {
        return;
    }
    if let Some(d) = metadata[prov_ledger::SIMILAR_DISTANCE].as_str() {
        link["distance"] = similar_value(d);
    }
    if let Some(by) = metadata[prov_ledger::SIMILAR_BY].as_str() {
        link["fingerprint"] = json!(by);
    }
}

/// [`similarity_into`] from the entry itself.
fn similarity_of(link: &mut Value, e: &Entry) {
    if link["relation"] != prov_ledger::SIMILAR_TO {
        return;
    }
    if let Some(d) = e.metadata.get(prov_ledger::SIMILAR_DISTANCE) {
        link["distance"] = similar_value(d);
    }
    if let Some(by) = e.metadata.get(prov_ledger::SIMILAR_BY) {
        link["fingerprint"] = json!(by);
    }
}
