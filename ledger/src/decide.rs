//! Step one of an append, the dedupe decision: what each document of a batch becomes
//! (first seen, a sighting, or already recorded from this source), from the content index,
//! each answer checked against the log, and from the documents before it in the batch.

use crate::append::{FirstSeen, NewDocument, Recorded, Status};
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use std::collections::HashMap;

#[derive(Clone)]
pub(crate) struct Seen {
    seq: u64,
    time_ms: u64,
    size: u64,
    source: String,
}

impl Ledger {
    fn seen(&self, sha: &[u8; 32]) -> Result<Vec<Seen>> {
        // The log, read whole at open, says how many entries this content has: none means
        // new content, with no lookup; otherwise the index must list every one of them, not
        // only consistent ones.
        let in_log = crate::recovery::count_in(&self.contents, sha)
            + self.contents_since.get(sha).copied().unwrap_or(0);
        if in_log == 0 {
            return Ok(Vec::new());
        }
        let found = self.lookup(sha)?;
        if found.len() as u64 != in_log {
            return Err(Error::IndexDisagrees {
                reason: format!(
                    "it lists {} entries for content the log records {in_log} times",
                    found.len()
                ),
            });
        }
        Ok(found
            .into_iter()
            .map(|e| Seen {
                seq: e.seq,
                time_ms: e.time_ms,
                size: e.content.size,
                source: e.source,
            })
            .collect())
    }

    /// Step one, the dedupe decision: what each document becomes, from the content index
    /// (checked against the log, see [`Ledger::lookup`]) and the documents before it in the
    /// batch. Reads only; the new entries' seqs and time (`time_ms`) are the ones
    /// [`Ledger::build`] gives them.
    pub(crate) fn decide(&self, docs: &[NewDocument], time_ms: u64) -> Result<Vec<Recorded>> {
        let mut next = self.commit.size;
        let mut pending: HashMap<[u8; 32], Vec<Seen>> = HashMap::new();
        let mut results = Vec::with_capacity(docs.len());
        for doc in docs {
            let mut seen = self.seen(&doc.content.sha256)?;
            seen.extend(
                pending
                    .get(&doc.content.sha256)
                    .cloned()
                    .unwrap_or_default(),
            );
            // Size is part of content: a sighting records the first-seen size, never another.
            if let Some(f) = seen.first()
                && f.size != doc.content.size
            {
                return Err(Error::SizeMismatch {
                    sha256: doc.content.sha256,
                    first: f.seq,
                    recorded: f.size,
                    given: doc.content.size,
                });
            }
            let first = seen.first().map(|s| FirstSeen {
                seq: s.seq,
                time_ms: s.time_ms,
                source: s.source.clone(),
            });
            if let Some(same) = seen.iter().find(|s| s.source == doc.source) {
                results.push(Recorded {
                    status: Status::AlreadyRecorded,
                    seq: same.seq,
                    first_seen: first.unwrap_or_else(|| unreachable_first(same)),
                });
                continue;
            }
            let seq = next;
            next += 1;
            let me = Seen {
                seq,
                time_ms,
                size: doc.content.size,
                source: doc.source.clone(),
            };
            pending
                .entry(doc.content.sha256)
                .or_default()
                .push(me.clone());
            results.push(match first {
                None => Recorded {
                    status: Status::FirstSeen,
                    seq,
                    first_seen: FirstSeen {
                        seq,
                        time_ms,
                        source: me.source,
                    },
                },
                Some(f) => Recorded {
                    status: Status::Sighting,
                    seq,
                    first_seen: f,
                },
            });
        }
        Ok(results)
    }
}

/// An entry recorded from the same source is always after the first sighting, so `first`
/// exists whenever `same` does; this only keeps the types total.
fn unreachable_first(same: &Seen) -> FirstSeen {
    FirstSeen {
        seq: same.seq,
        time_ms: same.time_ms,
        source: same.source.clone(),
    }
}
