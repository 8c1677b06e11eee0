//! The audit's last step: the content index in sled must agree with the log, both ways.
//! Every entry of the log is found through the index by its SHA-256, and the index holds
//! nothing else: no key but its meta and content keys, and no content list naming an entry
//! that does not record that content. Run after the log pass, with that pass's content map freed first.
//!
//! The audit never writes to the ledger folder: sled writes to any database it opens, so the
//! audit opens a private copy of the index, made under the ledger's lock (taken without
//! waiting, and writing nothing) and removed afterwards. An absent or empty index, or one
//! that cannot be copied or opened (in use by a writer, sled's files damaged), is reported
//! as not checked, with the reason.

use crate::audit::Fault;
use crate::audit_rules::Pass;
use crate::error::Error;
use crate::fsys;
use crate::index::Index;
use crate::log::{HEADER_LEN, LogFile, RECORD_CHECKPOINT};
use std::collections::HashMap;
use std::path::Path;

/// Copies the index folder (regular files and folders only) into a new temporary folder.
fn copy_index(from: &Path) -> std::io::Result<tempfile::TempDir> {
    fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::create_dir(to)?;
        for e in std::fs::read_dir(from)? {
            let e = e?;
            let ft = e.file_type()?;
            let dest = to.join(e.file_name());
            if ft.is_dir() {
                copy_dir(&e.path(), &dest)?;
            } else if ft.is_file() {
                std::fs::copy(e.path(), dest)?;
            } else {
                return Err(std::io::Error::other(format!(
                    "{} is not a regular file",
                    e.path().display()
                )));
            }
        }
        Ok(())
    }
    let tmp = tempfile::Builder::new()
        .prefix("prov-audit-index")
        .tempdir()?;
    copy_dir(from, &tmp.path().join("index"))?;
    Ok(tmp)
}

/// What an index error says, without a second "run `prov reindex`".
fn reason_of(e: Error) -> String {
    match e {
        Error::IndexDisagrees { reason } => reason,
        e => e.to_string(),
    }
}

pub(crate) fn check_index(dir: &Path, log: &LogFile, pass: &mut Pass) {
    pass.first_of = HashMap::new();
    let index_dir = dir.join("index");
    let not_checked = |pass: &mut Pass, why: String| pass.report.index_not_checked = Some(why);
    if !fsys::exists(&index_dir) {
        return not_checked(
            pass,
            "there is no index (the next `prov add` or `prov reindex` builds it)".into(),
        );
    }
    if let Err(e) = fsys::check_tree(&index_dir) {
        let (file, what) = match e {
            Error::IndexRefused { path, reason } => (
                path,
                format!("{reason} (refused, not followed): `prov reindex` replaces the index"),
            ),
            e => (index_dir, e.to_string()),
        };
        pass.report.fault = Some(Fault {
            file,
            offset: None,
            seq: None,
            what,
        });
        return;
    }
    if !index_dir.join("db").is_file() {
        return not_checked(
            pass,
            "the index is empty (the next `prov add` or `prov reindex` builds it)".into(),
        );
    }
    // sled allows one process per index: copy it under the ledger's lock, taken without
    // waiting (a running writer is neither blocked nor disturbed) and held only for the copy,
    // together with the COMMIT of that moment, which bounds what the copy may cover.
    let copied = match fsys::lock_dir(dir) {
        Ok(lock) => {
            let now = crate::commit::Commit::read(&dir.join("COMMIT"));
            let copy = copy_index(&index_dir);
            drop(lock);
            (now, copy)
        }
        Err(Error::InUse(_)) => {
            return not_checked(pass, "the ledger is in use by another prov process".into());
        }
        Err(e) => return not_checked(pass, format!("the ledger cannot be locked ({e})")),
    };
    let (committed, copy) = match copied {
        (Ok(now), Ok(copy)) => (now, copy),
        (Err(e), _) => return not_checked(pass, format!("COMMIT cannot be read again ({e})")),
        (_, Err(e)) => {
            return not_checked(
                pass,
                format!("the index cannot be copied to check it ({e})"),
            );
        }
    };
    let index = match Index::open(&copy.path().join("index")) {
        Ok(i) => i,
        Err(e) => {
            return not_checked(
                pass,
                format!("the index cannot be opened ({e}); `prov reindex` rebuilds it"),
            );
        }
    };
    let fault = |seq: Option<u64>, what: String| Fault {
        file: index_dir.clone(),
        offset: None,
        seq,
        what: format!("{what}: run `prov reindex` to rebuild the index"),
    };
    let result = compare(&index, log, committed, &fault);
    pass.report.index_checked = true;
    if let Err(f) = result {
        pass.report.fault = Some(f);
    }
}

/// Compares the index with the log, both ways: the contents of the entries it covers, read
/// from the log, against its content lists.
fn compare(
    index: &Index,
    log: &LogFile,
    committed: crate::commit::Commit,
    fault: &dyn Fn(Option<u64>, String) -> Fault,
) -> std::result::Result<(), Fault> {
    let err = |e: Error| fault(None, reason_of(e));
    let indexed = index.log_end().map_err(err)?;
    let size = index.size().map_err(err)?;
    if indexed > committed.log_length || size > committed.size {
        return Err(fault(
            None,
            format!(
                "the index covers {indexed} log bytes and {size} entries, but only {} and {} are committed",
                committed.log_length, committed.size
            ),
        ));
    }
    // Behind is allowed (a crash between the commit and the index update; the next open
    // catches it up): check the part it has.
    let mut frames = log.frames(HEADER_LEN, indexed).map_err(err)?;
    let held = log.allocated().map_err(err)?;
    let mut contents: Vec<[u8; 32]> =
        Vec::with_capacity(size.min(indexed.min(held) / 150) as usize);
    while let Some(frame) = frames.next_frame() {
        let frame = frame.map_err(|f| fault(None, f.reason))?;
        if frame.kind == RECORD_CHECKPOINT {
            continue;
        }
        let seq = contents.len() as u64;
        let content = crate::encoding::peek_content(&frame.payload)
            .ok_or_else(|| fault(Some(seq), "entry does not decode".into()))?;
        contents.push(content);
    }
    if contents.len() as u64 != size {
        return Err(fault(
            None,
            format!(
                "the index names {size} entries but covers {}",
                contents.len()
            ),
        ));
    }
    // Nothing but meta and content keys (an index of the older layout is rebuilt by a
    // writer; until then its other keys are unused).
    for kv in index.scan(b"").map_err(err)? {
        let (k, _) = kv.map_err(err)?;
        if !matches!(k.first(), Some(b'm' | b'h' | b's' | b'n' | b'c')) {
            return Err(fault(None, "the index holds a key of no known kind".into()));
        }
    }
    // Every content list names only entries of that content, in order, and every entry is
    // listed exactly once.
    let mut listed = vec![false; size as usize];
    for kv in index.scan(b"h").map_err(err)? {
        let (k, v) = kv.map_err(err)?;
        let sha: Option<[u8; 32]> = k.get(1..33).and_then(|p| p.try_into().ok());
        if k.len() != 33 || v.is_empty() || v.len() % 8 != 0 {
            return Err(fault(
                None,
                "a content key or its value is malformed".into(),
            ));
        }
        let mut last = None;
        for s in v.chunks_exact(8) {
            let s = u64::from_be_bytes(s.try_into().unwrap_or_default());
            let ok = s < size
                && last.is_none_or(|l| l < s)
                && !listed[s as usize]
                && Some(contents[s as usize]) == sha;
            if !ok {
                return Err(fault(
                    Some(s),
                    "the index's content listings name an entry for other content, out of order or twice".into(),
                ));
            }
            listed[s as usize] = true;
            last = Some(s);
        }
    }
    if let Some(s) = listed.iter().position(|l| !l) {
        return Err(fault(
            Some(s as u64),
            "the index cannot find this entry by its SHA-256".into(),
        ));
    }
    Ok(())
}
