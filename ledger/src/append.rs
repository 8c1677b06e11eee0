//! Appending a batch, in three steps each readable on its own: the dedupe decision
//! ([`Ledger::decide`]: reads the content index, writes nothing), building and signing the
//! entries and their checkpoint ([`Ledger::build`]: writes nothing), and the durable commit
//! ([`Ledger::commit_built`], whose storage contract is in `durable.rs`).

use crate::commit::Commit;
use crate::derived::Derived;
use crate::entry::{Content, Entry, Kind, Related};
use crate::error::{Error, Result};
use crate::fingerprints::{Print, PrintKind};
use crate::index::IndexBatch;
use crate::ledger::{Ledger, Mode};
use crate::log::{RECORD_CHECKPOINT, RECORD_ENTRY, encode_frame};
use crate::similar::{
    SIMILAR_BY, SIMILAR_DISTANCE, SIMILAR_TO, SimilarLink, Similarity, Target, tlsh_key,
};
use prov_proofs::Checkpoint;
use std::borrow::Cow;
use std::collections::BTreeMap;

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
    /// The document of the same batch (its index, before this one) in which this one was
    /// found: its entry, new or already recorded, is linked as `contained_in`. For a
    /// container recorded in an earlier batch, put the link in `related` instead.
    pub within_batch: Option<usize>,
    /// Its fingerprints, stored if it is first seen, and the earlier document it resembles,
    /// linked as `similar_to` if it is first seen (`similar.rs`).
    pub similar: Similarity,
}

impl NewDocument {
    /// This document with its same-batch container (entry `seq`) linked in `related`.
    fn resolved(&self, seq: u64) -> NewDocument {
        let mut d = self.clone();
        d.within_batch = None;
        d.related.push(Related {
            relation: crate::location::CONTAINED_IN.into(),
            seq,
        });
        d.related.sort();
        d.related.dedup();
        d
    }

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
            related: match self.within_batch {
                // The link it will get, to an entry that exists by then.
                Some(_) => self.resolved(0).related,
                None => self.related.clone(),
            },
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
    /// The `similar_to` link its new entry records, if it does.
    pub similar: Option<SimilarLink>,
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

impl Ledger {
    /// Records a batch of documents and returns only once it is durable.
    ///
    /// `now_ms` is the recorded time (ms since the Unix epoch). A clock up to
    /// [`CLOCK_TOLERANCE_MS`] behind the previous entry's time is clamped to it, so time never
    /// decreases along the chain; further behind, the append is refused.
    /// New content gets a `first_seen` entry; known content from a new source a `sighting`;
    /// known content from a known source nothing (`AlreadyRecorded`), so re-running an
    /// interrupted ingest is safe. The storage contract is in this module's documentation.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a document breaking a field rule, [`Error::SizeMismatch`] for
    /// known content given with another size, [`Error::ClockBehind`] or
    /// [`Error::ClockBeforeCosignature`] (nothing of the batch is written for any of these), I/O errors from the log (the batch is cut back),
    /// [`Error::CommitUncertain`] and [`Error::NotDurable`] as described above.
    pub fn append(&mut self, docs: &[NewDocument], now_ms: u64) -> Result<AppendReport> {
        for d in docs {
            crate::similar::check_not_measured(&d.related, &d.metadata)?;
        }
        self.ready_to_append(now_ms, !docs.is_empty(), crate::ledger::FORMAT_VERSION)?;
        self.append_once(docs, now_ms)
    }

    /// The checks before any append (documents or a claim): a writer, not poisoned, a clock
    /// not too far behind the last entry or the latest cosignature; and `ledger.json` moved
    /// to at least `format` before anything is appended under its rules.
    pub(crate) fn ready_to_append(&mut self, now_ms: u64, any: bool, format: u32) -> Result<()> {
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
        if self.config.format < format && any {
            self.upgrade_format(format)?;
        }
        self.check_clock_against_evidence(now_ms)
    }

    /// Moves a ledger to `format` before its first append under that format's rules: every
    /// entry of a format 1 ledger keeps to format 2's rules too, and format 3 only adds claim
    /// entries, so only `ledger.json` changes (FORMAT.md section 7). Older `prov` versions
    /// then refuse the ledger with "newer format" instead of misjudging its later entries.
    fn upgrade_format(&mut self, format: u32) -> Result<()> {
        let mut config = self.config.clone();
        config.format = format;
        crate::ledger::write_config(&self.dir, &config)?;
        self.upgraded_from = Some(self.config.format);
        self.seen_cache.clear();
        self.seen_cached = 0;
        self.config = config;
        Ok(())
    }

    /// The format the ledger had before this process upgraded it, if it did.
    pub fn upgraded_from(&self) -> Option<u32> {
        self.upgraded_from
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
        let time_ms = now_ms.max(self.last_time);
        let mut results = self.decide(docs, time_ms)?;
        let mut resolved: Vec<Cow<'_, NewDocument>> = docs
            .iter()
            .map(|d| match d.within_batch {
                None => Cow::Borrowed(d),
                Some(k) => Cow::Owned(d.resolved(results[k].seq)),
            })
            .collect();
        let prints = link_similar(&mut resolved, &mut results);
        let docs: Vec<&NewDocument> = resolved.iter().map(|d| d.as_ref()).collect();
        let Some(batch) = self.build(&docs, &results, time_ms)? else {
            return Ok(AppendReport {
                results,
                checkpoint: None,
            });
        };
        let note = batch.note.clone();
        // The fingerprints are durable before the commit point (FORMAT.md 7.6).
        self.store_fingerprints(&prints)?;
        self.commit_built(batch)?;
        Ok(AppendReport {
            results,
            checkpoint: Some(note),
        })
    }

    /// Step two, building and signing: the new entries, chained and signed at `time_ms`,
    /// their log records, tiles and offsets, index changes and the checkpoint of the new
    /// size. Writes nothing. `None` when no document needs an entry.
    fn build(
        &self,
        docs: &[&NewDocument],
        results: &[Recorded],
        time_ms: u64,
    ) -> Result<Option<Built>> {
        // Made one at a time as they are signed: a batch's fields are not held twice.
        let entries = docs
            .iter()
            .zip(results)
            .filter(|(_, r)| r.status != Status::AlreadyRecorded)
            .map(|(doc, r)| Entry {
                seq: r.seq,
                prev: Default::default(),
                time_ms,
                kind: match r.status {
                    Status::Sighting => Kind::Sighting {
                        first: r.first_seen.seq,
                    },
                    _ => Kind::FirstSeen,
                },
                content: doc.content.clone(),
                source: doc.source.clone(),
                agent: doc.agent.clone(),
                metadata: doc.metadata.clone(),
                related: doc.related.clone(),
                key_id: 0,
                signature: [0; 64],
            });
        self.build_entries(entries, docs.len(), time_ms)
    }

    /// Chains, stamps (`time_ms`) and signs `entries` (their seqs already the next ones),
    /// with their records, tiles, offsets, index changes and the checkpoint of the new size.
    /// Writes nothing. `None` when there are none.
    pub(crate) fn build_entries(
        &self,
        entries: impl IntoIterator<Item = Entry>,
        count: usize,
        time_ms: u64,
    ) -> Result<Option<Built>> {
        let Some((key, signer)) = &self.signer else {
            return Err(Error::invalid("ledger", "opened read-only"));
        };
        let key_id = self.verifier.key_id;
        let start = self.commit.log_length;
        let mut b = Built {
            frontier: self.frontier.clone(),
            derived: Derived {
                first_seq: self.commit.size,
                ..Derived::default()
            },
            buf: Vec::with_capacity(count * 300),
            index: IndexBatch::default(),
            prev: self.last_leaf,
            time_ms,
            note: String::new(),
            commit: self.commit,
            appended: Vec::with_capacity(count),
        };
        for mut entry in entries {
            entry.prev = b.prev;
            entry.time_ms = time_ms;
            let bytes = entry.sign(key, key_id)?;
            let leaf = prov_proofs::leaf_hash(&bytes);
            b.derived.tiles.extend(b.frontier.append(leaf));
            b.derived.offsets.push(start + b.buf.len() as u64);
            b.index.add_entry(&entry);
            b.appended.push((entry.content.sha256, entry.seq));
            encode_frame(RECORD_ENTRY, &bytes, &mut b.buf);
            b.prev = leaf;
        }
        if b.frontier.size() == self.commit.size {
            return Ok(None);
        }
        b.note = Checkpoint {
            origin: self.config.origin.clone(),
            size: b.frontier.size(),
            root: b.frontier.root(),
            extensions: vec![],
        }
        .sign(signer)?
        .to_text();
        encode_frame(RECORD_CHECKPOINT, b.note.as_bytes(), &mut b.buf);
        b.derived
            .tiles
            .extend(b.frontier.partials_since(self.commit.size));
        b.commit = Commit {
            log_length: start + b.buf.len() as u64,
            size: b.frontier.size(),
        };
        Ok(Some(b))
    }

    /// Step three, the durable commit (`durable.rs`), then the ledger's state moves on.
    pub(crate) fn commit_built(&mut self, b: Built) -> Result<()> {
        let start = self.commit.log_length;
        self.commit_batch(&b.derived, start, &b.buf, b.commit)?;
        self.commit = b.commit;
        self.tiles.remove_partials(&b.derived.full_tiles());
        for (sha, seq) in &b.appended {
            self.contents_since.entry(*sha).or_default().push(*seq);
        }
        let cp = Checkpoint::open(b.note.as_bytes(), &self.verifier)?;
        self.latest = Some((b.note, cp));
        self.frontier = b.frontier;
        self.last_leaf = b.prev;
        self.last_time = b.time_ms;
        // Committed, not known durable: say so first; the index catches up with the next
        // batch's run (or the next writer).
        self.sync_dir()?;
        self.apply_index(b.index, b.derived.first_seq);
        Ok(())
    }
}

/// Adds to each first-seen document its `similar_to` link (resolved to the first-seen entry
/// of the document it resembles) with the link's distance and kind in its metadata, unless
/// it already has such a link or the entry could not take it; returns the fingerprints to
/// store, those of the first-seen documents.
fn link_similar(docs: &mut [Cow<'_, NewDocument>], results: &mut [Recorded]) -> Vec<Print> {
    let mut prints = Vec::new();
    for i in 0..docs.len() {
        let r = &results[i];
        if r.status != Status::FirstSeen {
            continue;
        }
        // Its fingerprints, signed in its metadata (FORMAT.md 6.10) and stored in the file;
        // none when the entry cannot take them (its limits), as an unsigned one would not
        // be believed.
        let fp = &docs[i].similar.fingerprints;
        if fp.bytes.is_none() && fp.text.is_none() && docs[i].similar.link.is_none() {
            continue;
        }
        let fp = fp.clone();
        let mut signed = docs[i].as_ref().clone();
        let mut mine = Vec::new();
        for (kind, t) in [(PrintKind::Bytes, &fp.bytes), (PrintKind::Text, &fp.text)] {
            if let Some(t) = t {
                signed.metadata.insert(tlsh_key(kind).into(), t.text());
                mine.push(Print {
                    seq: r.seq,
                    sha256: signed.content.sha256,
                    kind,
                    tlsh: t.clone(),
                });
            }
        }
        if !mine.is_empty() && signed.validate().is_ok() {
            docs[i] = Cow::Owned(signed);
            prints.extend(mine);
        }
        let d = &docs[i];
        let Some(link) = d.similar.link else {
            continue;
        };
        let to = match link.to {
            Target::Entry(seq) => seq,
            Target::Earlier(k) if k < i => results[k].first_seen.seq,
            Target::Earlier(_) => continue,
        };
        // A link or key given by hand was refused before (`check_not_measured`).
        if to >= r.seq {
            continue;
        }
        let mut linked = d.as_ref().clone();
        linked.related.push(Related {
            relation: SIMILAR_TO.into(),
            seq: to,
        });
        linked.related.sort();
        linked
            .metadata
            .insert(SIMILAR_DISTANCE.into(), link.distance.to_string());
        linked
            .metadata
            .insert(SIMILAR_BY.into(), link.kind.as_str().into());
        if linked.validate().is_ok() {
            docs[i] = Cow::Owned(linked);
            results[i].similar = Some(SimilarLink {
                seq: to,
                distance: link.distance,
                kind: link.kind,
            });
        }
    }
    prints
}

/// A batch built and signed, not yet written.
pub(crate) struct Built {
    frontier: prov_proofs::TileBuilder,
    derived: Derived,
    buf: Vec<u8>,
    index: IndexBatch,
    prev: prov_proofs::Hash,
    time_ms: u64,
    pub(crate) note: String,
    commit: Commit,
    /// Each new entry's content and seq.
    appended: Vec<([u8; 32], u64)>,
}
