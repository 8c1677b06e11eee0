//! The audit's last step: the derived sled index must agree with the log. Run after the log
//! pass, with that pass's content map freed first, streaming the log a second time.

use crate::audit::{Fault, Pass};
use crate::entry::Entry;
use crate::error::Error;
use crate::index::Index;
use crate::log::{HEADER_LEN, LogFile, RECORD_CHECKPOINT};
use std::collections::HashMap;
use std::path::Path;

pub(crate) fn check_index(dir: &Path, log: &LogFile, pass: &mut Pass) {
    pass.first_of = HashMap::new();
    let index_dir = dir.join("index");
    let fault = |seq: Option<u64>, what: String| Fault {
        file: index_dir.clone(),
        offset: None,
        seq,
        what: format!("{what}: run `prov reindex` to rebuild the index"),
    };
    let index = match Index::open_or_reset(&index_dir) {
        Ok((i, reset)) => {
            if reset {
                // The log passed; rebuild the derived index from it, then check as usual.
                pass.report.index_rebuilt = true;
                let mut f = prov_proofs::Frontier::new();
                if let Err(e) = i.index_log(log, HEADER_LEN, pass.report.log_bytes, &mut f) {
                    pass.report.fault =
                        Some(fault(None, format!("the index cannot be rebuilt ({e})")));
                    return;
                }
            }
            i
        }
        Err(e) => {
            pass.report.fault = Some(fault(None, format!("the index cannot be opened ({e})")));
            return;
        }
    };
    let result = (|| -> std::result::Result<(), Fault> {
        let err = |e: Error| fault(None, e.to_string());
        let indexed = index.log_end().map_err(err)?;
        if indexed > log.len().unwrap_or(0).min(pass.report.log_bytes) {
            return Err(fault(
                None,
                format!(
                    "the index covers {indexed} log bytes but only {} are committed",
                    pass.report.log_bytes
                ),
            ));
        }
        // Behind is allowed (a crash between commit and index update; the next open catches
        // it up): check the part it has, streaming the log a second time so that the first
        // pass's content map is gone before sled's own memory is in use.
        let size = index.size().map_err(err)?;
        let end = index.log_end().map_err(err)?;
        let mut frames = log.frames(HEADER_LEN, end).map_err(err)?;
        let mut seq = 0u64;
        while let Some(frame) = frames.next_frame() {
            let frame = frame.map_err(|f| fault(None, f.reason))?;
            if frame.kind == RECORD_CHECKPOINT {
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
        if size == pass.report.entries
            && prov_proofs::root_at(&index, size).map_err(err)? != pass.report.root
        {
            return Err(fault(
                None,
                format!("the index's Merkle nodes give another root at size {size}"),
            ));
        }
        for (cp_size, _) in index.checkpoints().map_err(err)? {
            if cp_size > size {
                return Err(fault(
                    None,
                    format!(
                        "the index holds a checkpoint at size {cp_size} beyond its {size} entries"
                    ),
                ));
            }
        }
        Ok(())
    })();
    pass.report.index_checked = true;
    if let Err(f) = result {
        pass.report.fault = Some(f);
    }
}
