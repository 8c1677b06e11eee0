//! The audit's last step: the derived sled index must agree with the log, both ways. Every
//! entry of the log is found through the index (by seq and by SHA-256), and the index holds
//! nothing else: its key counts equal what the log implies, so no key can point at an entry
//! that does not match it. Run after the log pass, with that pass's content map freed first.
//!
//! The audit never writes to the ledger folder: sled writes to any database it opens, so the
//! audit opens a private copy of the index, made under the ledger's lock (taken without
//! waiting, and writing nothing) and removed afterwards. An absent or empty index, or one
//! that cannot be copied or opened (in use by a writer, sled's files damaged), is reported
//! as not checked, with the reason.

use crate::audit::Fault;
use crate::audit_rules::Pass;
use crate::entry::Entry;
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

/// Merkle nodes above the leaves that a tree of `size` leaves stores.
fn expected_nodes(size: u64) -> u64 {
    (1..64).map(|level| size >> level).sum()
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
    if let Err(e) = fsys::check_real_dir(&index_dir) {
        pass.report.fault = Some(Fault {
            file: index_dir,
            offset: None,
            seq: None,
            what: e.to_string(),
        });
        return;
    }
    if !index_dir.join("db").is_file() {
        return not_checked(
            pass,
            "the index is empty (the next `prov add` or `prov reindex` builds it)".into(),
        );
    }
    // sled allows one process per index: take the ledger's lock without waiting, so that a
    // running writer is neither blocked nor disturbed.
    let _lock = match fsys::lock_dir(dir) {
        Ok(l) => l,
        Err(Error::InUse(_)) => {
            return not_checked(pass, "the ledger is in use by another prov process".into());
        }
        Err(e) => return not_checked(pass, format!("the ledger cannot be locked ({e})")),
    };
    let copy = match copy_index(&index_dir) {
        Ok(c) => c,
        Err(e) => {
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
    let result = (|| -> std::result::Result<(), Fault> {
        let err = |e: Error| fault(None, e.to_string());
        let indexed = index.log_end().map_err(err)?;
        let size = index.size().map_err(err)?;
        if indexed > pass.report.log_bytes || size > pass.report.entries {
            return Err(fault(
                None,
                format!(
                    "the index covers {indexed} log bytes and {size} entries, but only {} and {} are committed",
                    pass.report.log_bytes, pass.report.entries
                ),
            ));
        }
        // Behind is allowed (a crash between the commit and the index update; the next open
        // catches it up): check the part it has.
        let mut frames = log.frames(HEADER_LEN, indexed).map_err(err)?;
        let (mut seq, mut checkpoints) = (0u64, 0u64);
        while let Some(frame) = frames.next_frame() {
            let frame = frame.map_err(|f| fault(None, f.reason))?;
            if frame.kind == RECORD_CHECKPOINT {
                checkpoints += 1;
                let note = index.checkpoint(seq).map_err(err)?;
                if note.as_deref().map(str::as_bytes) != Some(&frame.payload[..]) {
                    return Err(fault(
                        None,
                        format!("the index's checkpoint at size {seq} differs from the log's"),
                    ));
                }
                continue;
            }
            if index.offset_of(seq).map_err(err)? != Some(frame.offset) {
                return Err(fault(
                    Some(seq),
                    "the index points at the wrong log record".into(),
                ));
            }
            let e =
                Entry::from_bytes(&frame.payload).map_err(|e| fault(Some(seq), e.to_string()))?;
            if !index
                .seqs_for(&e.content.sha256)
                .map_err(err)?
                .contains(&seq)
            {
                return Err(fault(
                    Some(seq),
                    "the index cannot find this entry by its SHA-256".into(),
                ));
            }
            seq += 1;
        }
        if seq != size {
            return Err(fault(
                None,
                format!("the index names {size} entries but covers {seq}"),
            ));
        }
        // The other way: every entry was found where it belongs, so any further key, or any
        // listing beyond one per entry, points at something the log does not hold.
        let counts = index.counts().map_err(err)?;
        if let Some(m) = counts.malformed {
            return Err(fault(None, m));
        }
        let extra = [
            ("seq keys", counts.entries, size),
            ("content listings", counts.listed, size),
            ("Merkle nodes", counts.nodes, expected_nodes(size)),
            ("checkpoints", counts.checkpoints, checkpoints),
        ];
        for (what, found, want) in extra {
            if found != want {
                return Err(fault(
                    None,
                    format!("the index holds {found} {what} where the log implies {want}"),
                ));
            }
        }
        if size == pass.report.entries
            && prov_proofs::root_at(&index, size).map_err(err)? != pass.report.root
        {
            return Err(fault(
                None,
                format!("the index's Merkle nodes give another root at size {size}"),
            ));
        }
        Ok(())
    })();
    pass.report.index_checked = true;
    if let Err(f) = result {
        pass.report.fault = Some(f);
    }
}
