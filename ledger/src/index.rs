//! The content index (FORMAT.md section 7.3): SHA-256 -> the entries of that content, kept
//! in the folder `content/` as sorted runs (`content_run.rs`), each covering a range of
//! seqs. Derived from the log alone; lookups are a few positioned reads per run, take no
//! lock and open nothing but files, so any number of readers use it while a writer runs.
//!
//! The runs in use are a chain from entry 0: the run starting at 0 that reaches furthest,
//! then the one starting where it ends, and so on; where the chain ends is the index's
//! reach. Anything else in the folder (the inputs of a merge not yet deleted, a temporary)
//! is ignored and cleared by the next writer. A writer adds one run per batch after its
//! `COMMIT`, then merges the two newest runs while the older is no more than twice the
//! newer, so each run is more than twice the next: a ledger of n entries has at most
//! log2(n) + 1 runs, and each record is rewritten O(log n) times. A merged run is in place before its inputs go, so a reader that
//! finds a run gone lists the folder again.

use crate::content_run::{self, Record, Run};
use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::log::{HEADER_LEN, LogFile, RECORD_CHECKPOINT, RECORD_ENTRY};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

/// The folder of the runs, inside the ledger folder.
pub const CONTENT_DIR: &str = "content";
/// Entries indexed per run when catching up or rebuilding (40 MB of records in memory).
const CHUNK: usize = 1 << 20;
/// Times a reader lists the folder again when a run it chose was merged away meanwhile.
const RETRIES: u32 = 20;

/// The content index of one ledger.
pub struct Index {
    dir: PathBuf,
    /// The chain of runs from entry 0, in seq order.
    runs: Vec<Run>,
}

/// The runs named in `dir`, as (first, end, path), sorted by first, longest first.
fn listed(dir: &Path) -> Result<Vec<(u64, u64, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io("read", dir)(e)),
    };
    for e in entries {
        let e = e.map_err(Error::io("read", dir))?;
        if let Some((first, end)) = e.file_name().to_str().and_then(content_run::parse_name) {
            out.push((first, end, e.path()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    Ok(out)
}

/// The most runs a writer's chain has for `reach` entries: each run more than twice the next
/// gives at most log2(reach) + 1, and a crash between a run and its merge one more.
fn max_runs(reach: u64) -> u64 {
    u64::from(64 - reach.leading_zeros()) + 2
}

/// The chain from entry 0 through `listed` runs.
fn chain(listed: &[(u64, u64, PathBuf)]) -> Vec<&(u64, u64, PathBuf)> {
    let mut out = Vec::new();
    let mut at = 0;
    // Sorted longest first for each start: the first run starting at `at` reaches furthest.
    while let Some(r) = listed.iter().find(|r| r.0 == at) {
        out.push(r);
        at = r.1;
    }
    out
}

impl Index {
    /// Opens the index of the ledger folder `ledger` for reading: the chain of runs. A
    /// missing folder is an empty index (reach 0). Writes nothing.
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::IndexRefused`] when `content` is not a real folder;
    /// [`Error::IndexDisagrees`] for a run of the wrong length or kind.
    pub fn open(ledger: &Path) -> Result<Index> {
        let dir = ledger.join(CONTENT_DIR);
        match dir.symlink_metadata() {
            Ok(m) if !m.file_type().is_dir() => {
                return Err(Error::IndexRefused {
                    reason: format!(
                        "it is {}, not a folder",
                        crate::fsys::kind_of(m.file_type())
                    ),
                    path: dir,
                });
            }
            _ => {}
        }
        let mut tries = 0;
        'again: loop {
            let listed = listed(&dir)?;
            let chain = chain(&listed);
            let reach = chain.last().map_or(0, |r| r.1);
            if chain.len() as u64 > max_runs(reach) {
                return Err(Error::IndexDisagrees {
                    reason: format!(
                        "{} holds a chain of {} runs for {reach} entries, more than a writer makes",
                        dir.display(),
                        chain.len()
                    ),
                });
            }
            let mut runs = Vec::new();
            for (first, end, path) in chain {
                match Run::open(path.clone(), *first, *end) {
                    Ok(r) => runs.push(r),
                    Err(Error::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound && tries < RETRIES =>
                    {
                        tries += 1;
                        continue 'again;
                    }
                    Err(e) => return Err(e),
                }
            }
            return Ok(Index { dir, runs });
        }
    }

    /// Entries indexed: every seq below this is in exactly one run of the chain.
    pub fn reach(&self) -> u64 {
        self.runs.last().map_or(0, |r| r.end)
    }

    /// The runs of the chain, in seq order.
    pub(crate) fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// The seqs of every indexed entry for this content, ascending.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::IndexDisagrees`] for a malformed run.
    pub fn seqs_for(&self, sha: &[u8; 32]) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        for run in &self.runs {
            out.extend(run.seqs_for(sha)?);
        }
        Ok(out)
    }

    /// The distinct contents of entries below `below` whose SHA-256 starts with `prefix`
    /// (lowercase hex digits), sorted, at most `cap` of them: candidates, each to be looked
    /// up and checked like any other answer.
    ///
    /// # Errors
    /// As [`Index::seqs_for`].
    pub fn contents_with_prefix(
        &self,
        prefix: &str,
        below: u64,
        cap: usize,
    ) -> Result<Vec<[u8; 32]>> {
        let mut out = Vec::new();
        for run in &self.runs {
            out.extend(run.contents_with_prefix(prefix, below, cap)?);
        }
        out.sort_unstable();
        out.dedup();
        out.truncate(cap);
        Ok(out)
    }

    /// Whether the chain's records are exactly `sorted` (every entry's SHA-256 and seq,
    /// sorted, as the writer's verified pass over the log gives them): a record changed,
    /// added, dropped or naming another entry shows here.
    ///
    /// # Errors
    /// [`Error::Io`] reading a run.
    pub fn holds_exactly(&self, sorted: &[Record]) -> Result<bool> {
        if self.reach() != sorted.len() as u64 {
            return Ok(false);
        }
        let mut runs: Vec<_> = self.runs.iter().map(Run::records).collect();
        let mut heap = BinaryHeap::new();
        for (i, r) in runs.iter_mut().enumerate() {
            if let Some(rec) = r.next() {
                heap.push(Reverse((rec?, i)));
            }
        }
        for want in sorted {
            let Some(Reverse((rec, i))) = heap.pop() else {
                return Ok(false);
            };
            if rec != *want {
                return Ok(false);
            }
            if let Some(rec) = runs[i].next() {
                heap.push(Reverse((rec?, i)));
            }
        }
        Ok(heap.is_empty())
    }

    /// Indexes the log's entries from the index's reach to `size` (the committed size),
    /// reading from `offset`, the log offset of entry `reach` (any offset at or before it
    /// that starts a record, `HEADER_LEN` for the start), up to `log_end`.
    ///
    /// # Errors
    /// [`Error::Damaged`] when a record does not decode or is out of sequence; I/O.
    pub fn catch_up(&mut self, log: &LogFile, offset: u64, log_end: u64, size: u64) -> Result<()> {
        let reach = self.reach();
        if reach >= size {
            return Ok(());
        }
        let mut frames = log.frames(offset.max(HEADER_LEN), log_end)?;
        let mut seq = 0u64;
        let mut first = reach;
        let mut batch = IndexBatch::default();
        while let Some(frame) = frames.next_frame() {
            let frame = frame.map_err(|f| f.damaged(&log.path))?;
            let damaged = |reason: String| Error::Damaged {
                path: log.path.clone(),
                offset: Some(frame.offset),
                reason,
            };
            match frame.kind {
                RECORD_CHECKPOINT => continue,
                RECORD_ENTRY => {}
                k => return Err(damaged(format!("unknown record type {k}"))),
            }
            let e = Entry::from_bytes(&frame.payload).map_err(|e| damaged(e.to_string()))?;
            if seq == 0 && e.seq > reach || seq > 0 && e.seq != seq {
                return Err(damaged(format!("entry {} out of sequence", e.seq)));
            }
            seq = e.seq + 1;
            if e.seq < reach {
                continue;
            }
            batch.add_entry(&e);
            if batch.records.len() >= CHUNK || seq == size {
                self.apply(std::mem::take(&mut batch), first)?;
                first = seq;
            }
            if seq == size {
                return Ok(());
            }
        }
        Err(Error::Damaged {
            path: log.path.clone(),
            offset: None,
            reason: format!("the log ends before entry {size}"),
        })
    }

    /// Deletes the index of `ledger` and builds it afresh from the log up to `size` entries
    /// (`log_end` bytes).
    ///
    /// # Errors
    /// As [`Index::catch_up`].
    pub fn rebuild(ledger: &Path, log: &LogFile, log_end: u64, size: u64) -> Result<Index> {
        let dir = ledger.join(CONTENT_DIR);
        crate::fsys::remove_any(&dir)?;
        let mut index = Index { dir, runs: vec![] };
        index.catch_up(log, HEADER_LEN, log_end, size)?;
        Ok(index)
    }

    /// Adds the run of a batch whose first entry is `first` (the index's reach), then merges
    /// the newest runs while the older is no more than twice the newer.
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::IndexDisagrees`] when `first` is not the reach. What was
    /// written stays valid: an error leaves the index behind, never wrong.
    pub fn apply(&mut self, mut batch: IndexBatch, first: u64) -> Result<()> {
        if batch.records.is_empty() {
            return Ok(());
        }
        if first != self.reach() {
            return Err(Error::IndexDisagrees {
                reason: format!(
                    "a batch from entry {first} where it reaches {}",
                    self.reach()
                ),
            });
        }
        self.make_dir()?;
        batch.records.sort_unstable();
        let end = first + batch.records.len() as u64;
        content_run::write(&self.dir, first, end, batch.records.into_iter().map(Ok))?;
        self.runs.push(Run::open(
            self.dir.join(content_run::name(first, end)),
            first,
            end,
        )?);
        while let [.., older, newer] = &self.runs[..] {
            if older.count() > 2 * newer.count() {
                break;
            }
            let (first, end) = (older.first, newer.end);
            content_run::write(&self.dir, first, end, content_run::merged(older, newer))?;
            let merged = Run::open(self.dir.join(content_run::name(first, end)), first, end)?;
            let inputs = self.runs.split_off(self.runs.len() - 2);
            self.runs.push(merged);
            for r in inputs {
                let _ = std::fs::remove_file(&r.path);
            }
        }
        Ok(())
    }

    fn make_dir(&self) -> Result<()> {
        match self.dir.symlink_metadata() {
            Ok(m) if m.file_type().is_dir() => Ok(()),
            Ok(m) => Err(Error::IndexRefused {
                path: self.dir.clone(),
                reason: format!(
                    "it is {}, not a folder",
                    crate::fsys::kind_of(m.file_type())
                ),
            }),
            Err(_) => std::fs::create_dir(&self.dir).map_err(Error::io("create", &self.dir)),
        }
    }

    /// Writer only: removes every run and run temporary of the folder outside the chain (merge
    /// inputs whose deletion a crash stopped, temporaries, runs past `size`; other names are
    /// left alone), and the chain's runs past
    /// `size` (a run is written after its `COMMIT`, so one past it means the log was rolled
    /// back). Best effort: what is left only takes space.
    pub fn clear_leftovers(&mut self, size: u64) {
        while self.runs.last().is_some_and(|r| r.end > size) {
            self.runs.pop();
        }
        let keep: Vec<PathBuf> = self.runs.iter().map(|r| r.path.clone()).collect();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            // Only what a writer makes (runs and their temporaries); anything else is ignored
            // (FORMAT.md 7.3) and left as it is.
            let name = e.file_name();
            let name = name.to_str().unwrap_or_default();
            let ours = content_run::parse_name(name).is_some()
                || name
                    .strip_prefix('.')
                    .and_then(|n| n.strip_suffix(".tmp"))
                    .is_some_and(|n| content_run::parse_name(n).is_some());
            if ours && !keep.contains(&e.path()) {
                let _ = crate::fsys::remove_any(&e.path());
            }
        }
    }
}

/// The records of one batch, added to the index after its commit.
#[derive(Default)]
pub struct IndexBatch {
    records: Vec<Record>,
}

impl IndexBatch {
    /// Indexes one entry.
    pub fn add_entry(&mut self, e: &Entry) {
        self.records.push((e.content.sha256, e.seq));
    }
}
