//! Where a document was found through its containers: the email it was attached to, the
//! archive the email came in, and that archive's source and time, innermost first
//! ([`crate::lines`] says it in words).
//!
//! Each step follows an entry's `contained_in` link to an earlier entry, read from the log
//! and checked (its signature and place in the chain), so a chain always ends.

use crate::fields::{name_json, rfc3339};
use prov_ledger::{CONTAINED_IN, Entry, Kind, Ledger};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Containers followed at most from one entry (the walk opens at most 64 levels).
const MAX_CHAIN: usize = 64;

/// Entries read while answering, kept for the next document of the same container.
#[derive(Default)]
pub struct Chains {
    read: HashMap<u64, Entry>,
}

impl Chains {
    /// The containers of `e`, innermost first.
    ///
    /// # Errors
    /// A container entry that cannot be read or does not check.
    pub fn of(&mut self, l: &Ledger, e: &Entry) -> prov_ledger::Result<Vec<Entry>> {
        let mut chain: Vec<Entry> = Vec::new();
        let mut at = container_of(e);
        while let Some(seq) = at {
            if chain.len() == MAX_CHAIN || seq >= chain.last().map_or(e.seq, |c| c.seq) {
                break;
            }
            let c = match self.read.get(&seq) {
                Some(c) => c.clone(),
                None => {
                    let c = l.entry(seq)?;
                    self.read.insert(seq, c.clone());
                    c
                }
            };
            at = container_of(&c);
            chain.push(c);
        }
        Ok(chain)
    }
}

/// The entry `e` was found in, if it was found in one.
fn container_of(e: &Entry) -> Option<u64> {
    e.related
        .iter()
        .find(|r| r.relation == CONTAINED_IN)
        .map(|r| r.seq)
}

/// A chain for `--json`: one object per container, innermost first.
pub fn json(chain: &[Entry]) -> Value {
    Value::Array(
        chain
            .iter()
            .map(|c| {
                let mut v = json!({
                    "seq": c.seq,
                    "sha256": hex::encode(c.content.sha256),
                    "name": c.content.name.as_deref().map(name_json),
                    "part": c.metadata.get(prov_ledger::PART_KEY),
                    "source": c.source,
                    "time": rfc3339(c.time_ms),
                });
                if let Some(n) = &c.content.name
                    && std::str::from_utf8(n).is_err()
                {
                    v["name_hex"] = Value::String(hex::encode(n));
                }
                if let Kind::Sighting { first } = c.kind {
                    v["first_seen_seq"] = json!(first);
                }
                v
            })
            .collect(),
    )
}
