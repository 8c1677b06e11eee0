//! The audit's last step: the content index (`content/`, FORMAT.md section 7.3) must agree
//! with the log, both ways. Every run of its chain holds records in strictly ascending
//! order, each naming an entry of the run's range under that entry's own content, and every
//! entry the chain reaches is found by its SHA-256 exactly once. Run after the log pass,
//! with that pass's content map freed first; it reads the runs and writes nothing, so it
//! needs no lock.
//!
//! An index behind the log is allowed (a crash between a `COMMIT` and the batch's run; the
//! next writer catches it up, and lookups read the entries past it from the log): the part
//! it has is checked. Runs a writer added after the audit read `COMMIT` are checked up to
//! the audited size; an index reaching past `COMMIT` as it stands once the runs are listed is
//! a fault.

use crate::audit::Fault;
use crate::audit_rules::Pass;
use crate::error::Error;
use crate::index::{CONTENT_DIR, Index};
use crate::log::{HEADER_LEN, LogFile, RECORD_CHECKPOINT};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What an index error says, without a second "run `prov reindex`".
fn reason_of(e: Error) -> String {
    match e {
        Error::IndexDisagrees { reason } => reason,
        e => e.to_string(),
    }
}

pub(crate) fn check_index(dir: &Path, log: &LogFile, pass: &mut Pass) {
    pass.first_of = HashMap::new();
    let index_dir = dir.join(CONTENT_DIR);
    if !crate::fsys::exists(&index_dir) {
        let why = match crate::fsys::exists(&dir.join("index")) {
            true => {
                "the ledger has the index of an older prov (sled, `index/`): the next `prov add` or `prov reindex` replaces it"
            }
            false => {
                "there is no content index (an audit bundle leaves it out; in a ledger the next `prov add` or `prov reindex` builds it)"
            }
        };
        pass.report.index_not_checked = Some(why.into());
        return;
    }
    let fault = |file: PathBuf, seq: Option<u64>, what: String| Fault {
        file,
        offset: None,
        seq,
        what: format!("{what}: run `prov reindex` to rebuild the content index"),
    };
    let index = match Index::open(dir) {
        Ok(i) => i,
        Err(Error::IndexRefused { path, reason }) => {
            pass.report.fault = Some(fault(
                path,
                None,
                format!("{reason} (refused, not followed)"),
            ));
            return;
        }
        Err(e) => {
            pass.report.fault = Some(fault(index_dir, None, reason_of(e)));
            return;
        }
    };
    let size = pass.frontier.size();
    // Runs are written after their COMMIT: an index reaching past COMMIT as it stands after
    // the runs were listed comes of no crash (a log rolled back, another ledger's index).
    let now = crate::commit::Commit::read(&dir.join("COMMIT")).map_or(size, |c| c.size);
    if index.reach() > now.max(size) {
        pass.report.index_checked = true;
        pass.report.fault = Some(fault(
            index_dir,
            None,
            format!(
                "it covers {} entries, but only {} are committed (a log restored from an older copy, or another ledger's index)",
                index.reach(),
                now.max(size)
            ),
        ));
        return;
    }
    let result = compare(&index, log, pass.report.log_bytes, size, &fault);
    pass.report.index_checked = true;
    if let Err(f) = result {
        pass.report.fault = Some(f);
    }
}

/// Compares the index's chain of runs with the first `size` entries of the log (which ends
/// at `log_end`), both ways.
fn compare(
    index: &Index,
    log: &LogFile,
    log_end: u64,
    size: u64,
    fault: &dyn Fn(PathBuf, Option<u64>, String) -> Fault,
) -> std::result::Result<(), Fault> {
    let reach = index.reach().min(size);
    let log_fault = |e: Error| fault(log.path.clone(), None, reason_of(e));
    let mut frames = log.frames(HEADER_LEN, log_end).map_err(log_fault)?;
    let mut contents: Vec<[u8; 32]> = Vec::with_capacity(reach as usize);
    while contents.len() < reach as usize {
        let Some(frame) = frames.next_frame() else {
            break;
        };
        let frame = frame.map_err(|f| fault(log.path.clone(), None, f.reason))?;
        if frame.kind == RECORD_CHECKPOINT {
            continue;
        }
        let seq = contents.len() as u64;
        let content = crate::encoding::peek_content(&frame.payload)
            .ok_or_else(|| fault(log.path.clone(), Some(seq), "entry does not decode".into()))?;
        contents.push(content);
    }
    if (contents.len() as u64) < reach {
        // The log changed under the audit (cut by another process since its first pass).
        return Err(Fault {
            file: log.path.clone(),
            offset: None,
            seq: Some(contents.len() as u64),
            what: format!(
                "the log ends before entry {reach}, which the audit's first pass read: it was cut while the audit ran; run `prov audit` again"
            ),
        });
    }
    let mut listed = vec![false; reach as usize];
    for run in index.runs() {
        let mut last = None;
        for r in run.records() {
            let (sha, seq) = r.map_err(|e| fault(run.path.clone(), None, reason_of(e)))?;
            let ok = seq >= run.first
                && seq < run.end
                && last.is_none_or(|l| l < (sha, seq))
                && (seq >= reach || (!listed[seq as usize] && contents[seq as usize] == sha));
            if !ok {
                return Err(fault(
                    run.path.clone(),
                    Some(seq),
                    "the run names an entry for other content, outside its range, out of order or twice".into(),
                ));
            }
            if seq < reach {
                listed[seq as usize] = true;
            }
            last = Some((sha, seq));
        }
    }
    if let Some(s) = listed.iter().position(|l| !l) {
        return Err(fault(
            index
                .runs()
                .iter()
                .find(|r| r.first <= s as u64 && (s as u64) < r.end)
                .map_or_else(|| log.path.clone(), |r| r.path.clone()),
            Some(s as u64),
            "the index cannot find this entry by its SHA-256".into(),
        ));
    }
    Ok(())
}
