//! Step one of an append, the dedupe decision: what each document of a batch becomes
//! (first seen, a sighting, or already recorded from this source at this place), from the
//! log's own entries for that content (never the derived files), and from the documents
//! before it in the batch. The rule is in `location.rs`.

use crate::append::{FirstSeen, NewDocument, Recorded, Status};
use crate::entry::Kind;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::location::{self, Place};
use std::collections::HashMap;

/// The first sighting of a content.
#[derive(Clone)]
struct First {
    seq: u64,
    time_ms: u64,
    size: u64,
    source: String,
}

/// What the committed log holds for one content: its first sighting and the entry at each
/// recorded place. Built from the log's entries for that content, each read and checked, and
/// caught up when entries of it are committed.
#[derive(Default)]
pub(crate) struct Committed {
    first: Option<First>,
    places: HashMap<[u8; 32], u64>,
    /// How many of the content's entries are folded in.
    covered: usize,
}

/// The places kept in memory across batches, at most; past it the cache starts again (a
/// content recorded at more places than this is read again for each batch that holds it).
const MAX_CACHED_PLACES: usize = 1 << 20;

impl Ledger {
    /// The committed entries of this content, caught up with the log: the seqs from the
    /// verified pass over the log at open and from this process's commits, each entry read
    /// and checked ([`Ledger::entry`]: its record, signature and place in the chain). The
    /// derived files (content index, tiles) play no part in what the writer signs.
    fn committed(&mut self, sha: &[u8; 32]) -> Result<&Committed> {
        // How many entries the content has, counted without listing them (a content found at
        // many places is asked for once per document).
        let from = self.contents.partition_point(|c| c.0 < *sha);
        let to = self.contents.partition_point(|c| c.0 <= *sha);
        let since = self.contents_since.get(sha).map_or(0, Vec::len);
        let count = to - from + since;
        let covered = self.seen_cache.get(sha).map_or(0, |c| c.covered);
        if covered < count {
            let mut seqs = crate::recovery::seqs_in(&self.contents, sha);
            seqs.extend(self.contents_since.get(sha).into_iter().flatten());
            if self.seen_cached + seqs.len() - covered > MAX_CACHED_PLACES {
                self.seen_cache.clear();
                self.seen_cached = 0;
            }
            let mut c = self.seen_cache.remove(sha).unwrap_or_default();
            self.seen_cached -= c.places.len();
            for &seq in &seqs[c.covered..] {
                let e = self.entry(seq)?;
                // A claim is recorded under its document's content, at no place of it.
                if e.is_claim() && e.content.sha256 == *sha && c.first.is_some() {
                    continue;
                }
                let fits = match (&c.first, e.kind) {
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
                let place = Place {
                    source: &e.source,
                    name: e.content.name.as_deref(),
                    related: &e.related,
                    metadata: &e.metadata,
                    container: None,
                };
                c.places
                    .entry(location::key(self.config.format, &place))
                    .or_insert(seq);
                c.first.get_or_insert(First {
                    seq,
                    time_ms: e.time_ms,
                    size: e.content.size,
                    source: e.source,
                });
            }
            c.covered = seqs.len();
            self.seen_cached += c.places.len();
            self.seen_cache.insert(*sha, c);
        }
        Ok(self.seen_cache.entry(*sha).or_default())
    }

    /// Step one, the dedupe decision: what each document becomes, from the log's entries for
    /// its content and the documents before it in the batch. Writes nothing to the ledger
    /// (it may cache what it read); the new entries' seqs and time (`time_ms`) are the ones
    /// [`Ledger::build`] gives them. A document's `within_batch` names an earlier document of
    /// the batch, whose entry (new or already recorded) becomes its container.
    pub(crate) fn decide(&mut self, docs: &[NewDocument], time_ms: u64) -> Result<Vec<Recorded>> {
        let format = self.config.format;
        let mut next = self.commit.size;
        // This batch's new entries, by content: the first sighting if new, and their places
        // (`covered` unused).
        let mut pending: HashMap<[u8; 32], Committed> = HashMap::new();
        let mut results: Vec<Recorded> = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            let container = match doc.within_batch {
                None => None,
                Some(k) if k < i => Some(results[k].seq),
                Some(k) => {
                    return Err(Error::invalid(
                        "container",
                        format!(
                            "document {i} of the batch names document {k} as its container, which is not before it"
                        ),
                    ));
                }
            };
            let place = Place {
                source: &doc.source,
                name: doc.content.name.as_deref(),
                related: &doc.related,
                metadata: &doc.metadata,
                container,
            };
            let key = location::key(format, &place);
            let sha = doc.content.sha256;
            // Only the empty document is 0 bytes long: a hash recorded with size 0 would be
            // a size no bytes can have, and would refuse the real document forever.
            if doc.content.size == 0 && sha != EMPTY_SHA256 {
                return Err(Error::invalid(
                    "size",
                    format!(
                        "0 bytes is the size of the empty document alone, and SHA-256 {} is not \
                         its hash: give the document's real size; nothing of this batch was \
                         recorded",
                        crate::error::hex(&sha)
                    ),
                ));
            }
            let committed = self.committed(&sha)?;
            let new = pending.get(&sha);
            let first = committed
                .first
                .clone()
                .or_else(|| new.and_then(|n| n.first.clone()));
            // Size is part of content: a sighting records the first-seen size, never another.
            if let Some(f) = &first
                && f.size != doc.content.size
            {
                return Err(Error::SizeMismatch {
                    sha256: sha,
                    first: f.seq,
                    recorded: f.size,
                    given: doc.content.size,
                });
            }
            let same = committed
                .places
                .get(&key)
                .or_else(|| new.and_then(|n| n.places.get(&key)))
                .copied();
            let first_seen = |f: &First| FirstSeen {
                seq: f.seq,
                time_ms: f.time_ms,
                source: f.source.clone(),
            };
            if let (Some(seq), Some(f)) = (same, &first) {
                results.push(Recorded {
                    status: Status::AlreadyRecorded,
                    seq,
                    first_seen: first_seen(f),
                    similar: None,
                });
                continue;
            }
            let seq = next;
            next += 1;
            let slot = pending.entry(sha).or_default();
            slot.places.insert(key, seq);
            results.push(match first {
                None => {
                    let me = First {
                        seq,
                        time_ms,
                        size: doc.content.size,
                        source: doc.source.clone(),
                    };
                    let recorded = Recorded {
                        status: Status::FirstSeen,
                        seq,
                        first_seen: first_seen(&me),
                        similar: None,
                    };
                    slot.first = Some(me);
                    recorded
                }
                Some(f) => Recorded {
                    status: Status::Sighting,
                    seq,
                    first_seen: first_seen(&f),
                    similar: None,
                },
            });
        }
        Ok(results)
    }
}

/// The SHA-256 of the empty document (FIPS 180-4), the only content of size 0.
const EMPTY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];
