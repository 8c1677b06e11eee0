//! The full audit: one streaming pass over the log that strictly checks every entry and
//! checkpoint, then checks the derived index against it. The first fault is located
//! precisely (file, byte offset, entry) rather than returned as an error, so an audit of a
//! damaged ledger still reports what it found.

use crate::entry::{Entry, Kind, SIGNING_DOMAIN};
use crate::error::{Error, Result};
use crate::ledger::read_config;
use crate::log::{Commit, HEADER_LEN, LogFile, RECORD_CHECKPOINT};
use ed25519_dalek::{Signature, VerifyingKey};
use prov_proofs::{Checkpoint, Frontier, Hash, NoteVerifier};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Signatures collected before they are verified, in parallel, and the pass moves on.
const SIG_CHUNK: usize = 4096;
/// Signatures per batch verification.
const SUB_BATCH: usize = 64;

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The file it is in.
    pub file: PathBuf,
    /// Byte offset in that file, where known.
    pub offset: Option<u64>,
    /// The entry concerned: the one at fault, or the one expected where the fault is.
    pub seq: Option<u64>,
    /// What is wrong.
    pub what: String,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(seq) = self.seq {
            write!(f, "entry {seq}: ")?;
        }
        write!(f, "{} (in {}", self.what, self.file.display())?;
        if let Some(o) = self.offset {
            write!(f, " at byte {o}")?;
        }
        write!(f, ")")
    }
}

/// What an audit saw.
#[derive(Clone, Debug, Default)]
pub struct AuditReport {
    /// Entries checked.
    pub entries: u64,
    /// Of which `first_seen`.
    pub first_seen: u64,
    /// Of which sightings.
    pub sightings: u64,
    /// Committed log bytes.
    pub log_bytes: u64,
    /// Recomputed root of all checked entries.
    pub root: Hash,
    /// Recorded time of the first and the last entry.
    pub time_range: Option<(u64, u64)>,
    /// Checkpoints whose signature and root were checked.
    pub checkpoints: u64,
    /// Bytes after the committed end: a tail a crash left.
    pub uncommitted_bytes: u64,
    /// Of those, entries in complete signed batches that the next writer commits (a crash
    /// between the log's fsync and the commit point); the rest is cut.
    pub pending_entries: u64,
    /// Whether the sled index was checked against the log, both ways.
    pub index_checked: bool,
    /// Why the index was not checked (absent, in use, unreadable), when it was not.
    pub index_not_checked: Option<String>,
    /// The first fault, if any. `None` means the ledger audits clean.
    pub fault: Option<Fault>,
}

struct PendingSig {
    seq: u64,
    offset: u64,
    msg: Vec<u8>,
    sig: [u8; 64],
}

pub(crate) struct Pass<'a> {
    log_path: PathBuf,
    key: VerifyingKey,
    verifier: &'a NoteVerifier,
    pub(crate) report: AuditReport,
    frontier: Frontier,
    prev: Hash,
    last_time: u64,
    pub(crate) first_of: HashMap<[u8; 32], u64>,
    pending: Vec<PendingSig>,
    last_checkpoint: Option<u64>,
}

impl Pass<'_> {
    fn fault(&self, offset: u64, seq: Option<u64>, what: impl Into<String>) -> Fault {
        Fault {
            file: self.log_path.clone(),
            offset: Some(offset),
            seq,
            what: what.into(),
        }
    }

    /// Verifies the pending signatures: sub-batches of [`SUB_BATCH`] with Ed25519 batch
    /// verification, spread over the cores; a sub-batch that fails is re-checked one by one
    /// with `verify_strict` to name its first bad entry.
    fn flush_signatures(&mut self) -> std::result::Result<(), Fault> {
        let key = self.key;
        let first_bad = |chunk: &[PendingSig]| -> Option<usize> {
            let msgs: Vec<&[u8]> = chunk.iter().map(|p| p.msg.as_slice()).collect();
            let sigs: Vec<Signature> = chunk
                .iter()
                .map(|p| Signature::from_bytes(&p.sig))
                .collect();
            let keys = vec![key; chunk.len()];
            if ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
                return None;
            }
            chunk.iter().position(|p| {
                key.verify_strict(&p.msg, &Signature::from_bytes(&p.sig))
                    .is_err()
            })
        };
        let bad = self
            .pending
            .par_chunks(SUB_BATCH)
            .enumerate()
            .filter_map(|(n, chunk)| first_bad(chunk).map(|i| n * SUB_BATCH + i))
            .min();
        let result = match bad {
            Some(i) => {
                let p = &self.pending[i];
                Err(self.fault(p.offset, Some(p.seq), "signature does not verify"))
            }
            None => Ok(()),
        };
        self.pending.clear();
        result
    }

    fn entry(&mut self, offset: u64, payload: Vec<u8>) -> std::result::Result<(), Fault> {
        let want = self.frontier.size();
        let e = Entry::from_bytes(&payload)
            .map_err(|e| self.fault(offset, Some(want), e.to_string()))?;
        let path = self.log_path.clone();
        let at = |what: String| Fault {
            file: path.clone(),
            offset: Some(offset),
            seq: Some(want),
            what,
        };
        if e.seq != want {
            return Err(at(format!(
                "record holds entry {} where entry {want} belongs (removed, reordered or duplicated records)",
                e.seq
            )));
        }
        if e.prev != self.prev {
            return Err(at(
                "previous-entry hash does not match the entry before it (chain broken)".into(),
            ));
        }
        if e.time_ms < self.last_time {
            return Err(at(format!(
                "recorded time {} is earlier than the previous entry's {}",
                e.time_ms, self.last_time
            )));
        }
        if e.key_id != self.verifier.key_id {
            return Err(at(format!(
                "signed by key ID {:08x}, the ledger's is {:08x}",
                e.key_id, self.verifier.key_id
            )));
        }
        match e.kind {
            Kind::FirstSeen => {
                if let Some(first) = self.first_of.insert(e.content.sha256, e.seq) {
                    return Err(at(format!(
                        "content first seen at entry {first} is recorded again as first seen"
                    )));
                }
                self.report.first_seen += 1;
            }
            Kind::Sighting { first } => {
                match self.first_of.get(&e.content.sha256) {
                    Some(f) if *f == first => {}
                    Some(f) => {
                        return Err(at(format!(
                            "sighting refers to entry {first}, but this content was first seen at entry {f}"
                        )));
                    }
                    None => {
                        return Err(at(format!(
                            "sighting refers to entry {first}, which is not an earlier entry for this content"
                        )));
                    }
                }
                self.report.sightings += 1;
            }
        }
        let mut msg = SIGNING_DOMAIN.to_vec();
        msg.extend_from_slice(&payload[..payload.len() - 64]);
        self.pending.push(PendingSig {
            seq: e.seq,
            offset,
            msg,
            sig: e.signature,
        });
        let leaf = prov_proofs::leaf_hash(&payload);
        self.frontier.append(leaf);
        self.prev = leaf;
        self.last_time = e.time_ms;
        let first = self.report.time_range.map_or(e.time_ms, |r| r.0);
        self.report.time_range = Some((first, e.time_ms));
        if self.pending.len() >= SIG_CHUNK {
            self.flush_signatures()?;
        }
        Ok(())
    }

    fn checkpoint(&mut self, offset: u64, payload: &[u8]) -> std::result::Result<(), Fault> {
        let size = self.frontier.size();
        let cp = Checkpoint::open(payload, self.verifier).map_err(|e| {
            self.fault(
                offset,
                None,
                format!("checkpoint following {size} entries: {e}"),
            )
        })?;
        if cp.size != size {
            return Err(self.fault(
                offset,
                Some(cp.size.min(size)), // the first entry missing, or the first one too many
                format!(
                    "checkpoint claims size {} where the log holds {size} entries",
                    cp.size
                ),
            ));
        }
        if cp.root != self.frontier.root() {
            return Err(self.fault(
                offset,
                None,
                format!(
                    "checkpoint at size {size} has a root that differs from the recomputed one"
                ),
            ));
        }
        if self.last_checkpoint.is_some_and(|last| last >= size) {
            return Err(self.fault(
                offset,
                None,
                format!("checkpoint at size {size} does not follow a smaller one"),
            ));
        }
        self.last_checkpoint = Some(size);
        self.report.checkpoints += 1;
        Ok(())
    }
}

/// Audits the ledger in `dir`, writing nothing to it (it works on a read-only copy and
/// takes no lock for the log; see `index_check.rs` for the index). With `trusted`, the ledger's key must be that one (an auditor
/// passes the key they trust rather than the one in `ledger.json`). `progress` is called
/// with the committed bytes checked so far.
///
/// # Errors
/// Only when the audit cannot run at all: [`Error::Missing`], [`Error::NotALedger`],
/// [`Error::InUse`], [`Error::NewerFormat`], or `ledger.json` unreadable. Faults in the
/// ledger are returned in [`AuditReport::fault`].
pub fn audit(
    dir: &Path,
    trusted: Option<&NoteVerifier>,
    progress: &dyn Fn(u64, u64),
) -> Result<AuditReport> {
    let (_config, own) = read_config(dir)?;
    let mut report = AuditReport::default();
    let verifier = trusted.unwrap_or(&own);
    if verifier != &own {
        report.fault = Some(Fault {
            file: dir.join("ledger.json"),
            offset: None,
            seq: None,
            what: format!(
                "the ledger's key is {}, not the trusted key {}",
                own.to_vkey(),
                verifier.to_vkey()
            ),
        });
        return Ok(report);
    }
    if verifier.key.is_weak() {
        report.fault = Some(Fault {
            file: dir.join("ledger.json"),
            offset: None,
            seq: None,
            what:
                "the ledger's key is a weak (small-order) Ed25519 key: its signatures prove nothing"
                    .into(),
        });
        return Ok(report);
    }
    let fault_of = |e: Error, file: PathBuf| match e {
        Error::Damaged {
            path,
            offset,
            reason,
        } => Fault {
            file: path,
            offset,
            seq: None,
            what: reason,
        },
        Error::NewerFormat { .. } => Fault {
            file,
            offset: Some(7),
            seq: None,
            what: e.to_string(),
        },
        e => Fault {
            file,
            offset: None,
            seq: None,
            what: e.to_string(),
        },
    };
    let commit = match Commit::read(&dir.join("COMMIT")) {
        Ok(c) => c,
        Err(e) => {
            report.fault = Some(fault_of(e, dir.join("COMMIT")));
            return Ok(report);
        }
    };
    let log_path = dir.join("entries.log");
    let log = match LogFile::open(&log_path, false) {
        Ok(l) => l,
        Err(e) => {
            report.fault = Some(fault_of(e, log_path));
            return Ok(report);
        }
    };
    let len = log.len()?;
    report.log_bytes = commit.log_length;
    report.uncommitted_bytes = len.saturating_sub(commit.log_length);
    let mut pass = Pass {
        log_path: log_path.clone(),
        key: verifier.key,
        verifier,
        report,
        frontier: Frontier::new(),
        prev: Hash::default(),
        last_time: 0,
        // Sized once: growing it doubles the peak memory of a large audit. An entry takes
        // at least ~150 log bytes, so the file's real length bounds what a doctored COMMIT
        // can ask for.
        first_of: HashMap::with_capacity(commit.size.min(commit.log_length.min(len) / 150) as usize),
        pending: Vec::new(),
        last_checkpoint: None,
    };
    let result = scan(&mut pass, &log, len.min(commit.log_length), progress).and_then(|()| {
        if len < commit.log_length {
            return Err(pass.fault(len, Some(pass.frontier.size()), format!("the log ends {} bytes before its last commit (truncated)", commit.log_length - len)));
        }
        if pass.frontier.size() != commit.size || pass.last_checkpoint != Some(commit.size) {
            return Err(pass.fault(commit.log_length, None, format!("the commit marker names {} entries; the log holds {} and its last checkpoint is for {:?}", commit.size, pass.frontier.size(), pass.last_checkpoint)));
        }
        Ok(())
    });
    pass.report.entries = pass.frontier.size();
    pass.report.root = pass.frontier.root();
    if let Err(f) = result {
        pass.report.fault = Some(f);
        return Ok(pass.report);
    }
    // What the next writer will do with the bytes past COMMIT: the same examination.
    let mut state = crate::recovery::Verified {
        frontier: pass.frontier.clone(),
        last_leaf: pass.prev,
        last_time: pass.last_time,
        checkpoint: String::new(),
        seen: Vec::new(),
    };
    match crate::recovery::examine_tail(&log, commit, len, verifier, &mut state) {
        Ok(tail) => pass.report.pending_entries = tail.rolled_entries,
        Err(Error::UnexpectedTail {
            path,
            offset,
            what,
            committed,
        }) => {
            pass.report.fault = Some(Fault {
                file: path,
                offset: Some(offset),
                seq: None,
                what: format!(
                    "{what}, past the committed end {committed}: no crash leaves this; restore from a backup or, if those bytes are not this ledger's, cut the log to {committed} bytes"
                ),
            });
            return Ok(pass.report);
        }
        Err(e) => {
            pass.report.fault = Some(fault_of(e, log_path));
            return Ok(pass.report);
        }
    }
    crate::index_check::check_index(dir, &log, &mut pass);
    Ok(pass.report)
}

fn scan(
    pass: &mut Pass,
    log: &LogFile,
    end: u64,
    progress: &dyn Fn(u64, u64),
) -> std::result::Result<(), Fault> {
    let mut frames = log
        .frames(HEADER_LEN, end)
        .map_err(|e| pass.fault(HEADER_LEN, None, e.to_string()))?;
    let mut last_progress = 0;
    while let Some(frame) = frames.next_frame() {
        let frame = match frame {
            Ok(f) => f,
            Err(f) => {
                pass.flush_signatures()?;
                // Name a bad checkpoint record as such, by the type byte it carries.
                let mut kind = [0u8];
                let size = pass.frontier.size();
                if std::os::unix::fs::FileExt::read_exact_at(&log.file, &mut kind, f.offset)
                    .is_ok_and(|()| kind[0] == RECORD_CHECKPOINT)
                {
                    let what = format!("checkpoint at size {size}: {}", f.reason);
                    return Err(pass.fault(f.offset, None, what));
                }
                return Err(pass.fault(f.offset, Some(size), f.reason));
            }
        };
        let step = if frame.kind == RECORD_CHECKPOINT {
            pass.flush_signatures()
                .and_then(|()| pass.checkpoint(frame.offset, &frame.payload))
        } else {
            pass.entry(frame.offset, frame.payload)
        };
        if let Err(f) = step {
            // An earlier entry's bad signature is the first fault, if there is one.
            pass.flush_signatures()?;
            return Err(f);
        }
        if frames.offset() - last_progress > (4 << 20) {
            last_progress = frames.offset();
            progress(last_progress, end);
        }
    }
    pass.flush_signatures()?;
    progress(end, end);
    Ok(())
}
