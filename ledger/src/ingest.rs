//! One ingest path for every front end (the `prov` command, a server): documents (files a
//! walk listed, a stream, a hash alone, a manifest) recorded in durable batches, each result
//! handed to the caller's [`Report`] once its batch is committed. Files are hashed on the
//! other core while the previous batch is signed and committed (see `ahead.rs`).
//!
//! Nothing here prints or exits: the caller shows progress and results, and decides what
//! an error means to its user. What [`Ledger::append`] promises holds for each batch:
//! everything reported is durable, and a batch that fails is not recorded at all.

use crate::ahead::Ahead;
use crate::append::{NewDocument, Recorded, Status};
use crate::digest::{FileDigest, WalkedFile, hash_reader};
use crate::entry::{Content, Related};
use crate::error::{Error, Result, hex};
use crate::extract::Extracted;
use crate::ledger::Ledger;
use crate::location::CONTAINED_IN;
use crate::lookalikes;
use crate::manifest::Manifest;
use crate::members;
use crate::prints::Prints;
use crate::queue::Queue;
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::ControlFlow;
use std::os::unix::ffi::OsStrExt;

/// Documents per batch unless the caller says otherwise: each batch is one fsync'd commit
/// and one signed checkpoint.
pub const DEFAULT_BATCH: usize = 4096;

/// What the person recording says about every document of an ingest; each document's
/// content (hash, size, name) comes from the document itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    /// Where the documents came from (required).
    pub source: String,
    /// Who records them.
    pub agent: Option<String>,
    /// Their media type.
    pub media_type: Option<String>,
    /// Key/value metadata.
    pub metadata: BTreeMap<String, String>,
    /// Links to earlier entries.
    pub related: Vec<Related>,
}

impl Fields {
    /// The document with these fields and the given name and content.
    pub fn document(&self, name: Option<Vec<u8>>, digest: FileDigest) -> NewDocument {
        NewDocument {
            content: Content {
                sha256: digest.sha256,
                size: digest.size,
                name,
                media_type: self.media_type.clone(),
                ..Default::default()
            },
            source: self.source.clone(),
            agent: self.agent.clone(),
            metadata: self.metadata.clone(),
            related: self.related.clone(),
            within_batch: None,
            similar: Default::default(),
        }
    }

    /// Checks the fields, with `name`, against every rule the ledger applies when it
    /// records a document, so that bad input is refused before anything is written.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field.
    pub fn validate(&self, name: Option<&[u8]>) -> Result<()> {
        self.related.iter().try_for_each(given_relation)?;
        // Refused here, before any file is read (or uploaded), as well as at the commit.
        crate::similar::check_not_measured(&self.related, &self.metadata)?;
        let placeholder = FileDigest {
            sha256: [0; 32],
            size: 1,
        };
        self.document(name.map(<[u8]>::to_vec), placeholder)
            .validate()
    }
}

/// Refuses a link given by a user (`--related`, a manifest line) whose relation is one the
/// ledger records itself: `contained_in` (a member found inside a container, FORMAT.md 6.4),
/// which `check` tells as where the document was found and which places it (section 8);
/// `evidence` (a claim's, section 6.7). Given by hand they would show as the ledger's own
/// findings.
///
/// # Errors
/// [`Error::Invalid`] naming the relation.
pub fn given_relation(r: &Related) -> Result<()> {
    let why = match r.relation.as_str() {
        CONTAINED_IN => "the link prov records itself when it finds a document inside a container",
        crate::claim::EVIDENCE => "a claim's link to its evidence (`prov claim --evidence`)",
        _ => return Ok(()),
    };
    Err(Error::invalid(
        "related",
        format!(
            "'{}' is {why}: give another relation for a link of your own (such as found_in)",
            r.relation
        ),
    ))
}

/// The documents of one ingest.
pub enum Documents<'a> {
    /// Files a [`walk`](crate::walk) listed, recorded under their own names; each is refused
    /// if it is not, or no longer, the file listed.
    Files(&'a [WalkedFile]),
    /// One document read to its end from a stream (stdin, an upload).
    Stream {
        /// The stream.
        reader: Box<dyn Read + 'a>,
        /// How errors name it: `stdin`.
        what: String,
        /// How its result is labelled: `-`.
        label: Vec<u8>,
        /// The name to record.
        name: Option<Vec<u8>>,
    },
    /// One document by its hash alone.
    Digest {
        /// Its SHA-256 and size.
        digest: FileDigest,
        /// How its result is labelled: `sha256:<hex>`.
        label: Vec<u8>,
        /// The name to record.
        name: Option<Vec<u8>>,
    },
    /// Documents by hash alone, from a manifest that [`Manifest::check`] passed; each result
    /// is labelled with the line's name, or `sha256:<hex>` when it has none.
    Manifest(&'a mut Manifest),
    /// Uploads prepared apart ([`Prepared`]), recorded together in commits of
    /// `options.batch` documents (one when they are fewer), reported in order.
    ///
    /// [`Prepared`]: crate::Prepared
    Prepared(Vec<crate::prepared::Prepared>),
}

/// One recorded document, as its [`Report`] sees it.
#[derive(Clone, Copy, Debug)]
pub struct Ingested<'a> {
    /// How the caller named it: its path, manifest name, or `sha256:<hex>`.
    pub label: &'a [u8],
    /// What was recorded.
    pub document: &'a NewDocument,
    /// What happened to it.
    pub recorded: &'a Recorded,
    /// The entry of the container it was found in, if it was found in one.
    pub contained_in: Option<u64>,
}

/// What an ingest tells its caller as it goes.
pub trait Report {
    /// One document's result, in order, once its batch is durable. `Break` stops the
    /// ingest: this batch is recorded, nothing after it is read or recorded.
    fn recorded(&mut self, document: &Ingested<'_>) -> ControlFlow<()>;

    /// A batch is recorded and every result in it reported: `documents` so far.
    fn batch_done(&mut self, documents: u64) {
        let _ = documents;
    }
}

/// How an ingest runs.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Documents per batch (at least 1): each batch is written, fsync'd and committed
    /// before its results are reported. Smaller: less to redo after a crash; larger: faster.
    pub batch: usize,
    /// The time to record, asked before each batch: ms since the Unix epoch.
    pub clock: &'a dyn Fn() -> Result<u64>,
    /// Bytes hashed, called from the hashing threads (for a progress bar).
    pub progress: &'a (dyn Fn(u64) + Sync),
    /// Whether files and streams are looked into, and within which limits: every member of
    /// a container (a zip, a tar, an email, a mailbox...) is then recorded as a document of
    /// its own, linked to its container (`members.rs`). `None`: each is recorded as one
    /// document.
    pub extract: Option<&'a prov_ingest::Limits>,
    /// Link each new document to the earlier one it resembles most within this TLSH
    /// distance (`similar_to`, FORMAT.md 6.9); `None`: no links (fingerprints are stored
    /// either way).
    pub similar: Option<u32>,
}

impl Default for Options<'static> {
    /// Batches of [`DEFAULT_BATCH`], the system clock, no progress.
    fn default() -> Self {
        Options {
            batch: DEFAULT_BATCH,
            clock: &system_time_ms,
            progress: &|_| {},
            extract: None,
            similar: None,
        }
    }
}

/// What an ingest recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Documents never seen before.
    pub first_seen: u64,
    /// Documents seen before from other sources.
    pub sightings: u64,
    /// Documents already recorded from this source.
    pub already_recorded: u64,
    /// Whether the [`Report`] stopped the ingest (everything counted is recorded).
    pub stopped: bool,
}

impl Summary {
    /// Every document recorded (or found already recorded).
    pub fn documents(&self) -> u64 {
        self.first_seen + self.sightings + self.already_recorded
    }
}

/// The system clock, in ms since the Unix epoch: the time an ingest records by default.
///
/// # Errors
/// [`Error::ClockBeforeEpoch`]: no time such a clock gives can be recorded.
pub fn system_time_ms() -> Result<u64> {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => Ok(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        Err(e) => Err(Error::ClockBeforeEpoch {
            seconds: e.duration().as_secs(),
        }),
    }
}

impl Ledger {
    /// Records `documents` with `fields` in batches of `options.batch`, reporting each
    /// result to `report` once its batch is durable. Files are hashed (and refused if they
    /// changed since the walk) on a second thread while the previous batch is signed.
    ///
    /// Re-running an ingest that stopped part-way is safe: what was recorded is reported as
    /// already recorded, and the rest is recorded.
    ///
    /// # Errors
    /// Those of [`Ledger::append`]; [`Error::NotHashed`] for a file that cannot be hashed
    /// (its batch is not recorded, those before it are); [`Error::StreamUnreadable`] and
    /// [`Error::EmptyStream`]; the manifest's errors; the clock's.
    pub fn ingest(
        &mut self,
        documents: Documents<'_>,
        fields: &Fields,
        options: &Options<'_>,
        report: &mut dyn Report,
    ) -> Result<Summary> {
        if options.batch == 0 {
            return Err(Error::invalid("batch", "must be at least 1 document"));
        }
        fields.related.iter().try_for_each(given_relation)?;
        // The index an earlier ingest of this writer left, if nothing was appended since.
        let size = self.size();
        let prints = self
            .prints_kept
            .take()
            .filter(|(_, covers)| *covers == size)
            .map(|(p, _)| p);
        let mut run = Run {
            ledger: self,
            options,
            report,
            summary: Summary::default(),
            queue: Queue::default(),
            prints,
        };
        let flow = match documents {
            Documents::Files(files) => run.files(files, fields)?,
            Documents::Manifest(m) => run.manifest(m, fields)?,
            Documents::Prepared(uploads) => {
                for upload in uploads {
                    run.queue.push_file(upload.plan);
                }
                run.commit_queued(true)?
            }
            Documents::Digest {
                digest,
                label,
                name,
            } => run.commit(vec![label], vec![fields.document(name, digest)])?,
            Documents::Stream {
                mut reader,
                what,
                label,
                name,
            } => {
                let x = match options.extract {
                    Some(limits) => {
                        crate::extract::read_stream(&mut reader, &what, limits, options.progress)?
                    }
                    None => Extracted::hashed(hash_reader(reader, options.progress).map_err(
                        |source| Error::StreamUnreadable {
                            what: what.clone(),
                            source,
                        },
                    )?),
                };
                if x.digest.size == 0 {
                    return Err(Error::EmptyStream { what });
                }
                run.queue
                    .push_file(members::plan(fields, label, name.unwrap_or_default(), x));
                run.commit_queued(true)?
            }
        };
        let (prints, mut summary) = (run.prints, run.summary);
        summary.stopped = flow.is_break();
        self.prints_kept = prints.map(|p| (p, self.size()));
        Ok(summary)
    }
}

/// One ingest in progress.
struct Run<'r, 'o> {
    ledger: &'r mut Ledger,
    options: &'r Options<'o>,
    report: &'r mut dyn Report,
    summary: Summary,
    queue: Queue,
    /// The fingerprints of the committed documents, loaded at the first batch that needs
    /// them and extended as batches commit.
    prints: Option<Prints>,
}

impl Run<'_, '_> {
    /// Records one batch and reports each of its documents.
    fn commit(&mut self, labels: Vec<Vec<u8>>, docs: Vec<NewDocument>) -> Result<ControlFlow<()>> {
        self.commit_seqs(labels, docs, &mut Vec::new())
    }

    /// Records one batch, reports each of its documents and appends their seqs to `seqs`.
    fn commit_seqs(
        &mut self,
        labels: Vec<Vec<u8>>,
        docs: Vec<NewDocument>,
        seqs: &mut Vec<u64>,
    ) -> Result<ControlFlow<()>> {
        let mut docs = docs;
        if let Some(threshold) = self.options.similar {
            lookalikes::resemble(self.ledger, &mut self.prints, threshold, &mut docs)?;
        }
        let appended = (self.options.clock)().and_then(|now| self.ledger.append(&docs, now));
        let appended = match (appended, &mut self.prints) {
            (Ok(a), Some(prints)) => {
                prints.settle(lookalikes::first_seen(&a.results));
                a
            }
            (Ok(a), None) => a,
            (Err(e), prints) => {
                if let Some(p) = prints {
                    p.discard_pending();
                }
                return Err(e);
            }
        };
        seqs.extend(appended.results.iter().map(|r| r.seq));
        // The whole batch is recorded, whatever the reporter does with it.
        for r in &appended.results {
            match r.status {
                Status::FirstSeen => self.summary.first_seen += 1,
                Status::Sighting => self.summary.sightings += 1,
                Status::AlreadyRecorded => self.summary.already_recorded += 1,
            }
        }
        for ((label, document), recorded) in labels.iter().zip(&docs).zip(&appended.results) {
            let contained_in = match document.within_batch {
                Some(k) => appended.results.get(k).map(|r| r.seq),
                None => document
                    .related
                    .iter()
                    .find(|r| r.relation == CONTAINED_IN)
                    .map(|r| r.seq),
            };
            let one = Ingested {
                label,
                document,
                recorded,
                contained_in,
            };
            if self.report.recorded(&one).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        self.report.batch_done(self.summary.documents());
        Ok(ControlFlow::Continue(()))
    }

    fn files(&mut self, files: &[WalkedFile], fields: &Fields) -> Result<ControlFlow<()>> {
        let ahead = Ahead::new(
            files,
            self.options.batch,
            self.options.extract,
            self.options.progress,
        );
        std::thread::scope(|scope| {
            // Without a second thread the caller hashes every batch itself.
            let _ = std::thread::Builder::new()
                .name("prov-hash".into())
                .spawn_scoped(scope, || ahead.run_worker());
            let flow = self.hashed_batches(&ahead, fields);
            ahead.stop();
            flow
        })
    }

    fn hashed_batches(&mut self, ahead: &Ahead<'_>, fields: &Fields) -> Result<ControlFlow<()>> {
        for batch in ahead.batches() {
            let Some(digests) = ahead.next_batch() else {
                break;
            };
            for (f, x) in batch.iter().zip(digests) {
                let x = x.map_err(|e| Error::NotHashed {
                    source: Box::new(e),
                    recorded: self.summary.documents(),
                })?;
                let label = f.path.as_os_str().as_bytes().to_vec();
                self.queue
                    .push_file(members::plan(fields, label, f.name.clone(), x));
            }
            if self.commit_queued(false)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        self.commit_queued(true)
    }

    /// Commits what waits in the queue: full batches, and with `all` the rest.
    fn commit_queued(&mut self, all: bool) -> Result<ControlFlow<()>> {
        while let Some((labels, docs)) = self.queue.take(self.options.batch, all) {
            let mut seqs = std::mem::take(&mut self.queue.seqs);
            let flow = self.commit_seqs(labels, docs, &mut seqs);
            self.queue.seqs = seqs;
            if flow?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    fn manifest(&mut self, m: &mut Manifest, fields: &Fields) -> Result<ControlFlow<()>> {
        let batch = self.options.batch;
        let (mut labels, mut docs) = (Vec::new(), Vec::new());
        for line in m.lines()? {
            let line = line?;
            labels.push(match &line.name {
                Some(n) => n.clone(),
                None => format!("sha256:{}", hex(&line.digest.sha256)).into_bytes(),
            });
            docs.push(line.document(fields));
            if docs.len() == batch {
                let flow = self.commit(std::mem::take(&mut labels), std::mem::take(&mut docs))?;
                if flow.is_break() {
                    return Ok(flow);
                }
            }
        }
        if docs.is_empty() {
            return Ok(ControlFlow::Continue(()));
        }
        self.commit(labels, docs)
    }
}
