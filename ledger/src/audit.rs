//! The full audit: one streaming pass over the log that strictly checks every entry and
//! checkpoint, and the tiles and offsets recomputed from it (`audit_tiles.rs`), then checks
//! the content index against it. The first fault is located
//! precisely (file, byte offset, entry) rather than returned as an error, so an audit of a
//! damaged ledger still reports what it found.

use crate::audit_evidence::{AuditTrust, check_evidence};
use crate::audit_rules::Pass;
use crate::commit::Commit;
use crate::error::{Error, Result};
use crate::ledger::read_config;
use crate::log::{HEADER_LEN, LogFile, RECORD_CHECKPOINT};
use prov_proofs::{Hash, NoteVerifier};
use std::fmt;
use std::path::{Path, PathBuf};

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
    /// Of which claims (FORMAT.md section 6.7).
    pub claims: u64,
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
    /// Tiles recomputed from the log and compared with the tile files.
    pub tiles_checked: u64,
    /// Why the tiles and offsets were not checked, when they were not.
    pub tiles_not_checked: Option<String>,
    /// Whether the content index was checked against the log, both ways.
    pub index_checked: bool,
    /// Why the index was not checked (absent, in use, unreadable), when it was not.
    pub index_not_checked: Option<String>,
    /// Stored cosignatures and timestamp tokens that verified (`audit_evidence.rs`).
    pub evidence_verified: u64,
    /// Stored ones by a witness or TSA not trusted: not checked.
    pub evidence_untrusted: u64,
    /// The first fault, if any. `None` means the ledger audits clean.
    pub fault: Option<Fault>,
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
    audit_with(dir, trusted, &AuditTrust::default(), progress)
}

/// [`audit`], with the stored cosignatures and timestamps checked against the witness keys
/// and TSA certificates of `evidence` where it gives them (`audit_evidence.rs`).
///
/// # Errors
/// As [`audit`].
pub fn audit_with(
    dir: &Path,
    trusted: Option<&NoteVerifier>,
    evidence: &AuditTrust,
    progress: &dyn Fn(u64, u64),
) -> Result<AuditReport> {
    let (config, own) = read_config(dir)?;
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
    // An entry takes at least ~150 log bytes, so the bytes the file really holds on disk
    // (not its length, which a sparse file inflates) bound what a doctored COMMIT can ask for.
    let expected = commit
        .size
        .min(commit.log_length.min(log.allocated()?) / 150);
    let mut pass = Pass::new(log_path.clone(), &log, verifier, report, expected);
    pass.format = config.format;
    // The stored cosignatures and timestamps, checked last over the checkpoints this pass reads.
    let read = crate::ledger::Ledger::open_read_only(dir).ok();
    if let Some(l) = &read {
        pass.evidence_sizes = l.evidence_sizes();
    }
    if crate::fsys::exists(&dir.join("offsets")) || crate::fsys::exists(&dir.join("tile")) {
        pass.derived = Some(crate::audit_tiles::TileCheck::new(dir));
    } else {
        pass.report.tiles_not_checked = Some(
            "there are no tiles or offsets (an audit bundle, which leaves them out, or a ledger written before them: there the next `prov add` or `prov reindex` builds them)".into(),
        );
    }
    let result = scan(&mut pass, &log, len.min(commit.log_length), progress).and_then(|()| {
        if len < commit.log_length {
            return Err(pass.fault(len, Some(pass.frontier.size()), format!("the log ends {} bytes before its last commit (truncated)", commit.log_length - len)));
        }
        if pass.frontier.size() != commit.size || pass.last_checkpoint != Some(commit.size) {
            return Err(pass.fault(commit.log_length, None, format!("the commit marker names {} entries; the log holds {} and its last checkpoint is for {}", commit.size, pass.frontier.size(), pass.last_checkpoint.map_or("no size (there is none)".into(), |s| format!("size {s}")))));
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
        last_offset: 0,
        last_leaf: pass.prev,
        last_time: pass.last_time,
        checkpoint: String::new(),
        contents: Vec::new(),
    };
    match crate::recovery::examine_tail(&log, commit, len, verifier, &mut state) {
        Ok(tail) => {
            let unsealed = tail
                .unsealed
                .as_ref()
                .map_or(0, |u| u.frontier.size() - state.frontier.size());
            pass.report.pending_entries = tail.rolled_entries + unsealed;
        }
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
    if let Some(mut d) = pass.derived.take() {
        d.finish(&pass.frontier);
        pass.report.tiles_checked = d.tiles;
        if let Some(f) = d.fault {
            pass.report.fault = Some(f);
            return Ok(pass.report);
        }
    }
    crate::index_check::check_index(dir, &log, &mut pass);
    if let (None, Some(l)) = (&pass.report.fault, &read) {
        let notes = std::mem::take(&mut pass.evidence_notes);
        check_evidence(dir, l, evidence, &notes, &mut pass.report);
    }
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
