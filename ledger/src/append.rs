//! Appending a batch: first-seen semantics, signing and a new checkpoint. The durable
//! commit itself, with its storage contract, is in `durable.rs`.

use crate::commit::Commit;
use crate::derived::Derived;
use crate::entry::{Content, Entry, Kind, Related};
use crate::error::{Error, Result};
use crate::index::IndexBatch;
use crate::ledger::{Ledger, Mode};
use crate::log::{RECORD_CHECKPOINT, RECORD_ENTRY, encode_frame};
use prov_proofs::Checkpoint;
use std::collections::{BTreeMap, HashMap};

/// How far the clock may be behind the ledger's last recorded time before an append is
/// refused (within it, the time is clamped so that it never decreases along the chain).
pub const CLOCK_TOLERANCE_MS: u64 = 2 * 60 * 1000;

/// A document to record: its digest and what the archivist says about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewDocument {
    /// Its digest, size, name and media type, as the entry will record them.
    pub content: Content,
    /// Where it came from (required).
    pub source: String,
    /// Who records it.
    pub agent: Option<String>,
    /// Key/value metadata.
    pub metadata: BTreeMap<String, String>,
    /// Links to earlier entries.
    pub related: Vec<Related>,
}

impl NewDocument {
    /// Checks the document against every rule the ledger applies when it records it (as
    /// its first sighting; the entry's other fields are the ledger's own), so that a caller
    /// refuses bad input before anything is written.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field.
    pub fn validate(&self) -> Result<()> {
        Entry {
            seq: u64::MAX,
            prev: Default::default(),
            time_ms: 0,
            kind: Kind::FirstSeen,
            content: self.content.clone(),
            source: self.source.clone(),
            agent: self.agent.clone(),
            metadata: self.metadata.clone(),
            related: self.related.clone(),
            key_id: 0,
            signature: [0; 64],
        }
        .check_signable()
    }
}

/// What happened to one document of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Never seen before: a `first_seen` entry was appended.
    FirstSeen,
    /// Seen before from other sources: a `sighting` entry was appended.
    Sighting,
    /// Already recorded from this source: nothing appended.
    AlreadyRecorded,
}

impl Status {
    /// `first_seen`, `sighting` or `already_recorded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::FirstSeen => "first_seen",
            Status::Sighting => "sighting",
            Status::AlreadyRecorded => "already_recorded",
        }
    }
}

/// When and from where content was first seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstSeen {
    /// The first-seen entry.
    pub seq: u64,
    /// Its recorded time (ms since the Unix epoch, UTC).
    pub time_ms: u64,
    /// Its source.
    pub source: String,
}

/// The result for one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// What happened.
    pub status: Status,
    /// The new entry, or for `AlreadyRecorded` the existing entry from the same source.
    pub seq: u64,
    /// The content's first sighting (this entry itself when `FirstSeen`).
    pub first_seen: FirstSeen,
}

/// The result of a batch: one [`Recorded`] per document, and the checkpoint signed for the
/// new size (`None` when nothing was appended).
#[derive(Clone, Debug)]
pub struct AppendReport {
    /// Per document, in order.
    pub results: Vec<Recorded>,
    /// The new signed checkpoint note.
    pub checkpoint: Option<String>,
}

#[derive(Clone)]
struct Seen {
    seq: u64,
    time_ms: u64,
    size: u64,
    source: String,
}

impl Ledger {
    fn seen(&self, sha: &[u8; 32]) -> Result<Vec<Seen>> {
        let found = self.lookup(sha)?;
        if !self.index_fresh {
            // The log, read whole at open, says how many entries this content has: the
            // index must list every one of them, not only consistent ones.
            let in_log = crate::recovery::count_in(&self.contents, sha)
                + self.contents_since.get(sha).copied().unwrap_or(0);
            if found.len() as u64 != in_log {
                return Err(Error::IndexDisagrees {
                    reason: format!(
                        "it lists {} entries for content the log records {in_log} times",
                        found.len()
                    ),
                });
            }
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

    /// Records a batch of documents and returns only once it is durable.
    ///
    /// `now_ms` is the recorded time (ms since the Unix epoch). A clock up to
    /// [`CLOCK_TOLERANCE_MS`] behind the previous entry's time is clamped to it, so time never
    /// decreases along the chain; further behind, the append is refused.
    /// New content gets a `first_seen` entry; known content from a new source a `sighting`;
    /// known content from a known source nothing (`AlreadyRecorded`), so re-running an
    /// interrupted ingest is safe. The storage contract is in this module's documentation.
    ///
    /// When an index answer disagrees with the log, the index is rebuilt from the log (see
    /// [`Ledger::index_rebuilt`]) and the batch decided again.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a document breaking a field rule, [`Error::SizeMismatch`] for
    /// known content given with another size, [`Error::ClockBehind`] (nothing of the batch
    /// is written for any of these), I/O errors from the log (the batch is cut back),
    /// [`Error::CommitUncertain`] and [`Error::NotDurable`] as described above.
    pub fn append(&mut self, docs: &[NewDocument], now_ms: u64) -> Result<AppendReport> {
        if self.mode != Mode::Writer || self.signer.is_none() {
            return Err(Error::invalid(
                "ledger",
                "opened read-only; open it for writing to append",
            ));
        }
        if self.poisoned {
            return Err(Error::CommitUncertain {
                dir: self.dir.clone(),
                reason: "an earlier commit of this process ended in an unknown state".into(),
            });
        }
        if !self.clamp_any && now_ms.saturating_add(CLOCK_TOLERANCE_MS) < self.last_time {
            return Err(Error::ClockBehind {
                clock_ms: now_ms,
                ledger_ms: self.last_time,
            });
        }
        if self.index_stale {
            self.catch_up_index()?;
        }
        match self.append_once(docs, now_ms) {
            Err(Error::IndexDisagrees { .. }) => {
                self.rebuild_index()?;
                self.index_rebuilt = true;
                self.append_once(docs, now_ms)
            }
            other => other,
        }
    }

    /// Records entries at the ledger's last recorded time however far the clock is behind
    /// it, instead of refusing: for a ledger whose last entry was stamped by a clock set
    /// ahead, whose later entries can then only carry that time (time never decreases).
    pub fn allow_clock_behind(&mut self, allow: bool) {
        self.clamp_any = allow;
    }

    /// The time of the last entry (ms since the Unix epoch; 0 when empty).
    pub fn last_time_ms(&self) -> u64 {
        self.last_time
    }

    fn append_once(&mut self, docs: &[NewDocument], now_ms: u64) -> Result<AppendReport> {
        let Some((key, signer)) = &self.signer else {
            return Err(Error::invalid("ledger", "opened read-only"));
        };
        let Some(index) = &self.index else {
            return Err(Error::invalid("ledger", "no index"));
        };
        let time_ms = now_ms.max(self.last_time);
        let key_id = self.verifier.key_id;
        let mut frontier = self.frontier.clone();
        let mut derived = Derived {
            first_seq: self.commit.size,
            ..Derived::default()
        };
        let mut prev = self.last_leaf;
        let start = self.commit.log_length;
        let mut buf = Vec::with_capacity(docs.len() * 300);
        let mut batch = IndexBatch::default();
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
                let f = &seen[0];
                let first_seen = FirstSeen {
                    seq: f.seq,
                    time_ms: f.time_ms,
                    source: f.source.clone(),
                };
                results.push(Recorded {
                    status: Status::AlreadyRecorded,
                    seq: same.seq,
                    first_seen,
                });
                continue;
            }
            let seq = frontier.size();
            let mut entry = Entry {
                seq,
                prev,
                time_ms,
                kind: match &first {
                    None => Kind::FirstSeen,
                    Some(f) => Kind::Sighting { first: f.seq },
                },
                content: doc.content.clone(),
                source: doc.source.clone(),
                agent: doc.agent.clone(),
                metadata: doc.metadata.clone(),
                related: doc.related.clone(),
                key_id,
                signature: [0; 64],
            };
            let bytes = entry.sign(key, key_id)?;
            let leaf = prov_proofs::leaf_hash(&bytes);
            derived.tiles.extend(frontier.append(leaf));
            derived.offsets.push(start + buf.len() as u64);
            batch.add_entry(index, &entry)?;
            encode_frame(RECORD_ENTRY, &bytes, &mut buf);
            prev = leaf;
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
            let (status, first_seen) = match first {
                None => (
                    Status::FirstSeen,
                    FirstSeen {
                        seq,
                        time_ms,
                        source: me.source,
                    },
                ),
                Some(f) => (Status::Sighting, f),
            };
            results.push(Recorded {
                status,
                seq,
                first_seen,
            });
        }
        if frontier.size() == self.commit.size {
            return Ok(AppendReport {
                results,
                checkpoint: None,
            });
        }
        let note = Checkpoint {
            origin: self.config.origin.clone(),
            size: frontier.size(),
            root: frontier.root(),
            extensions: vec![],
        }
        .sign(signer)?
        .to_text();
        encode_frame(RECORD_CHECKPOINT, note.as_bytes(), &mut buf);
        derived
            .tiles
            .extend(frontier.partials_since(self.commit.size));
        let commit = Commit {
            log_length: start + buf.len() as u64,
            size: frontier.size(),
        };
        self.commit_batch(&derived, start, &buf, commit)?;
        self.commit = commit;
        self.tiles.remove_partials(&derived.full_tiles());
        for (d, r) in docs.iter().zip(&results) {
            if r.status != Status::AlreadyRecorded {
                *self.contents_since.entry(d.content.sha256).or_default() += 1;
            }
        }
        let cp = Checkpoint::open(note.as_bytes(), &self.verifier)?;
        self.latest = Some((note.clone(), cp));
        self.frontier = frontier;
        self.last_leaf = prev;
        self.last_time = time_ms;
        if let Err(e) = self.sync_dir() {
            // Committed, not known durable: say so first; the index catches up later.
            self.index_stale = true;
            return Err(e);
        }
        self.apply_index(batch);
        Ok(AppendReport {
            results,
            checkpoint: Some(note),
        })
    }
}
