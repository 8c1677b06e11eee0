//! Step one of an append, the dedupe decision: what each document of a batch becomes
//! (first seen, a sighting, or already recorded from this source), from the log's own
//! entries for that content (never the derived files), and from the documents before it in
//! the batch.

use crate::append::{FirstSeen, NewDocument, Recorded, Status};
use crate::entry::Kind;
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
    /// Every entry for this content, from the log itself: the seqs from the verified pass
    /// over the log at open and from this process's commits, each entry read and checked
    /// ([`Ledger::entry`]: its record, signature and place in the chain). The derived files
    /// (content index, tiles) play no part in what the writer signs.
    fn seen(&self, sha: &[u8; 32]) -> Result<Vec<Seen>> {
        let mut seqs = crate::recovery::seqs_in(&self.contents, sha);
        seqs.extend(self.contents_since.get(sha).into_iter().flatten());
        let mut out: Vec<Seen> = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let e = self.entry(seq)?;
            let fits = match (out.first(), e.kind) {
                (None, Kind::FirstSeen) => true,
                (Some(f), Kind::Sighting { first }) => f.seq == first,
                _ => false,
            };
            if e.content.sha256 != *sha || !fits {
                return Err(self.damaged(
                    None,
                    format!("entry {seq} is not the first sighting or a sighting of the content the log read at open gives it"),
                ));
            }
            out.push(Seen {
                seq: e.seq,
                time_ms: e.time_ms,
                size: e.content.size,
                source: e.source,
            });
        }
        Ok(out)
    }

    /// Step one, the dedupe decision: what each document becomes, from the log's entries for
    /// its content and the documents before it in the batch. Reads only; the new entries' seqs and time (`time_ms`) are the ones
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
