//! Appending a batch: first-seen semantics, signing, one fsync, a new checkpoint.

use crate::entry::{Content, Entry, Kind, Related};
use crate::error::{Error, Result};
use crate::index::IndexBatch;
use crate::ledger::Ledger;
use crate::log::{Commit, RECORD_CHECKPOINT, RECORD_ENTRY, encode_frame};
use prov_proofs::Checkpoint;
use std::collections::{BTreeMap, HashMap};

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
    source: String,
}

impl Ledger {
    fn seen(&self, sha: &[u8; 32]) -> Result<Vec<Seen>> {
        Ok(self
            .lookup(sha)?
            .into_iter()
            .map(|e| Seen {
                seq: e.seq,
                time_ms: e.time_ms,
                source: e.source,
            })
            .collect())
    }

    /// Records a batch of documents and returns only once it is durable.
    ///
    /// `now_ms` is the recorded time (ms since the Unix epoch); a clock that went backwards
    /// is clamped to the previous entry's time, so time never decreases along the chain.
    /// New content gets a `first_seen` entry; known content from a new source a `sighting`;
    /// known content from a known source nothing (`AlreadyRecorded`), so re-running an
    /// interrupted ingest is safe. Everything is written, fsync'd and committed (see
    /// `log.rs`) before this returns; on error nothing of the batch is committed.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a document breaking a field rule (nothing is written), I/O
    /// errors from the log (the batch is rolled back).
    pub fn append(&mut self, docs: &[NewDocument], now_ms: u64) -> Result<AppendReport> {
        let Some((key, signer)) = &self.signer else {
            return Err(Error::invalid(
                "ledger",
                "opened read-only; open it for writing to append",
            ));
        };
        let time_ms = now_ms.max(self.last_time);
        let key_id = self.verifier.key_id;
        let mut frontier = self.frontier.clone();
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
            let nodes = frontier.append(leaf);
            batch.add_entry(&self.index, &entry, start + buf.len() as u64, &nodes)?;
            encode_frame(RECORD_ENTRY, &bytes, &mut buf);
            prev = leaf;
            let me = Seen {
                seq,
                time_ms,
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
        batch.add_checkpoint(frontier.size(), &note);
        let commit = Commit {
            log_length: start + buf.len() as u64,
            size: frontier.size(),
        };
        let written = self
            .log
            .write_at_and_sync(start, &buf)
            .and_then(|_| commit.write(&self.dir));
        if let Err(e) = written {
            // Nothing was reported; put the file back as the last commit left it.
            let _ = self.log.truncate(start);
            return Err(e);
        }
        self.commit = commit;
        self.frontier = frontier;
        self.last_leaf = prev;
        self.last_time = time_ms;
        // The batch is durable now. The index is derived: if this fails, the next open
        // catches it up from the log.
        self.index.apply(batch, commit.log_length, commit.size)?;
        Ok(AppendReport {
            results,
            checkpoint: Some(note),
        })
    }
}
