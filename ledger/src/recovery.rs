//! What a writer checks before it signs anything on top of a ledger, and what it does with
//! bytes past `COMMIT`.
//!
//! - **The committed log** is read whole: every record's checksum, every entry in sequence
//!   and chained to the one before, time never decreasing, and the Merkle root of all of
//!   them equal to the root signed in the last checkpoint, which must end the committed log
//!   and carry the ledger's signature. So no damage to a committed byte goes unnoticed by a
//!   writer, and what it signs next extends exactly the tree it signed before.
//! - **The tail past `COMMIT`.** A crash can leave at most one unfinished batch there, never
//!   reported. Complete, fully verified batches (every entry's signature, a signed checkpoint
//!   of their root) are rolled forward: a crash between the log's fsync and the rename of
//!   `COMMIT`, or a `COMMIT` restored from an older copy, leaves them, and they may have been
//!   reported. What follows the last complete batch is cut only if it holds no readable
//!   checkpoint; anything else is damage, refused without touching a byte.

use crate::commit::Commit;
use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::log::{HEADER_LEN, LogFile, RECORD_CHECKPOINT, RECORD_ENTRY};
use prov_proofs::{Checkpoint, Hash, NoteVerifier, TileBuilder};

/// The state of a verified committed log.
#[derive(Clone, Debug)]
pub(crate) struct Verified {
    /// The tree of every committed entry, with its rightmost tiles.
    pub frontier: TileBuilder,
    /// The log offset of the last entry's record (0 when empty).
    pub last_offset: u64,
    /// Leaf hash of the last entry (zeros when empty).
    pub last_leaf: Hash,
    /// Recorded time of the last entry (0 when empty).
    pub last_time: u64,
    /// The last signed checkpoint note, for the committed size.
    pub checkpoint: String,
    /// Every entry's content SHA-256 with its seq, sorted: what the writer checks the
    /// content index against at open and every index answer's count against, so that an
    /// index that forgets or misnames an entry cannot make it sign a second first sighting or
    /// a repeated (content, source) pair.
    pub contents: Vec<([u8; 32], u64)>,
}

/// The seqs of the entries for `sha` in the sorted `contents`, ascending.
pub(crate) fn seqs_in(contents: &[([u8; 32], u64)], sha: &[u8; 32]) -> Vec<u64> {
    let from = contents.partition_point(|c| c.0 < *sha);
    let to = contents.partition_point(|c| c.0 <= *sha);
    contents[from..to].iter().map(|c| c.1).collect()
}

/// What the writer found past `COMMIT` and did about it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tail {
    /// The commit after rolling complete batches forward (the old one if none).
    pub commit: Option<Commit>,
    /// Entries rolled forward.
    pub rolled_entries: u64,
    /// Bytes of an unfinished batch to cut, past the (new) committed end.
    pub cut_bytes: u64,
    /// Where the cut would start: the (new) committed end, or the end of the last complete
    /// signed entry when `unsealed`.
    pub cut_from: u64,
    /// Complete, signed entries continuing the chain past the last complete batch, whose
    /// checkpoint is missing or damaged: they are never cut; the writer seals them with a
    /// checkpoint of its own. The state after them.
    pub unsealed: Option<Verified>,
}

/// Finds a checkpoint record signed by the ledger anywhere in `[from, to)`, without trusting
/// the framing: it looks for the checkpoint's first line (the origin) wherever it stands,
/// and checks the record around it (type, length, CRC) and its signature. Reads the range in
/// windows, so memory stays bounded whatever its size.
fn signed_checkpoint_in(
    log: &LogFile,
    from: u64,
    to: u64,
    verifier: &NoteVerifier,
) -> Result<Option<u64>> {
    use std::os::unix::fs::FileExt;
    const WINDOW: u64 = 4 << 20;
    let needle = format!("{}\n", verifier.name).into_bytes();
    let mut at = from;
    while at < to {
        let end = (at + WINDOW + needle.len() as u64).min(to);
        let mut buf = vec![0u8; (end - at) as usize];
        log.file
            .read_exact_at(&mut buf, at)
            .map_err(Error::io("read", &log.path))?;
        for (i, w) in buf.windows(needle.len()).enumerate() {
            let Some(start) = (at + i as u64).checked_sub(5) else {
                continue;
            };
            if w != needle.as_slice() || start < from {
                continue;
            }
            let Ok(frame) = crate::log::read_frame_at(&log.file, &log.path, start, to) else {
                continue;
            };
            if frame.kind == RECORD_CHECKPOINT && Checkpoint::open(&frame.payload, verifier).is_ok()
            {
                return Ok(Some(start));
            }
        }
        at += WINDOW;
    }
    Ok(None)
}

fn fault_at(log: &LogFile, offset: u64, reason: impl Into<String>) -> Error {
    Error::Damaged {
        path: log.path.clone(),
        offset: Some(offset),
        reason: reason.into(),
    }
}

/// Reads the committed log `[HEADER_LEN, commit.log_length)` and checks it as described in
/// the module documentation. The caller has checked that the file is at least that long.
///
/// # Errors
/// [`Error::Damaged`] naming the first fault and its byte offset.
pub(crate) fn verify_committed(
    log: &LogFile,
    commit: Commit,
    verifier: &NoteVerifier,
) -> Result<Verified> {
    let mut frames = log.frames(HEADER_LEN, commit.log_length)?;
    let mut frontier = TileBuilder::new();
    let mut last_offset = 0;
    let mut last_leaf = Hash::default();
    let mut last_time = 0;
    let mut last_cp: Option<(u64, Vec<u8>)> = None;
    let mut contents = Vec::new();
    while let Some(frame) = frames.next_frame() {
        let frame = frame.map_err(|f| f.damaged(&log.path))?;
        if frame.kind == RECORD_CHECKPOINT {
            last_cp = Some((frame.offset, frame.payload));
            continue;
        }
        last_cp = None;
        let want = frontier.size();
        let (seq, prev, time) = crate::encoding::peek_head(&frame.payload)
            .ok_or_else(|| fault_at(log, frame.offset, "entry record does not decode"))?;
        if seq != want || prev != last_leaf || time < last_time {
            return Err(fault_at(
                log,
                frame.offset,
                format!("entry {seq} does not continue the chain at entry {want}"),
            ));
        }
        contents.push((
            crate::encoding::peek_content(&frame.payload)
                .ok_or_else(|| fault_at(log, frame.offset, "entry record does not decode"))?,
            seq,
        ));
        last_leaf = prov_proofs::leaf_hash(&frame.payload);
        last_time = time;
        last_offset = frame.offset;
        frontier.append(last_leaf);
    }
    contents.sort_unstable();
    let Some((at, note)) = last_cp else {
        return Err(fault_at(
            log,
            commit.log_length,
            "the committed log does not end with a checkpoint",
        ));
    };
    let cp = Checkpoint::open(&note, verifier).map_err(|e| {
        fault_at(
            log,
            at,
            format!("the last checkpoint does not verify with the ledger's key: {e}"),
        )
    })?;
    if frontier.size() != commit.size || cp.size != commit.size {
        return Err(fault_at(
            log,
            at,
            format!(
                "COMMIT names {} entries, the log holds {} and its last checkpoint {}",
                commit.size,
                frontier.size(),
                cp.size
            ),
        ));
    }
    if cp.root != frontier.root() {
        return Err(fault_at(
            log,
            at,
            format!(
                "the entries' Merkle root differs from the one signed at size {}: a committed entry was changed",
                cp.size
            ),
        ));
    }
    let checkpoint =
        String::from_utf8(note).map_err(|_| fault_at(log, at, "checkpoint is not UTF-8"))?;
    Ok(Verified {
        frontier,
        last_offset,
        last_leaf,
        last_time,
        checkpoint,
        contents,
    })
}

/// Examines the bytes past `COMMIT` (`[commit.log_length, len)`), continuing `state`.
/// Complete verified batches advance `state` and the returned commit; see the module
/// documentation for what is cut and what is refused. Writes nothing.
///
/// # Errors
/// [`Error::Damaged`] when the tail holds signed records that cannot be rolled forward.
pub(crate) fn examine_tail(
    log: &LogFile,
    commit: Commit,
    len: u64,
    verifier: &NoteVerifier,
    state: &mut Verified,
) -> Result<Tail> {
    let mut tail = Tail::default();
    if len <= commit.log_length {
        return Ok(tail);
    }
    let mut frames = log.frames(commit.log_length, len)?;
    let mut work = state.clone();
    let mut committed = commit;
    let mut entries_end = commit.log_length;
    let refuse = |offset: u64, what: String| Error::UnexpectedTail {
        path: log.path.clone(),
        committed: commit.log_length,
        offset,
        what,
    };
    while let Some(frame) = frames.next_frame() {
        // A frame that does not read is the torn end of an unfinished batch, unless a
        // signed checkpoint follows it somewhere: then reported records may lie beyond the
        // damage, and nothing may be cut.
        let frame = match frame {
            Ok(frame) => frame,
            Err(f) => {
                if let Some(at) = signed_checkpoint_in(log, f.offset, len, verifier)? {
                    return Err(refuse(
                        f.offset,
                        format!(
                            "a record that does not read ({}), and after it a checkpoint signed by this ledger (byte {at})",
                            f.reason
                        ),
                    ));
                }
                break;
            }
        };
        match frame.kind {
            RECORD_ENTRY => {
                let e = Entry::from_bytes(&frame.payload).map_err(|e| {
                    refuse(frame.offset, format!("an entry that does not decode ({e})"))
                })?;
                let want = work.frontier.size();
                if e.seq != want || e.prev != work.last_leaf || e.time_ms < work.last_time {
                    return Err(refuse(
                        frame.offset,
                        format!(
                            "entry {} that does not continue the chain at entry {want}",
                            e.seq
                        ),
                    ));
                }
                if e.key_id != verifier.key_id
                    || crate::entry::verify_encoded(&frame.payload, &verifier.key).is_err()
                {
                    return Err(refuse(
                        frame.offset,
                        format!("entry {} whose signature does not verify", e.seq),
                    ));
                }
                work.contents.push((e.content.sha256, e.seq));
                work.last_leaf = prov_proofs::leaf_hash(&frame.payload);
                work.last_time = e.time_ms;
                work.last_offset = frame.offset;
                work.frontier.append(work.last_leaf);
                entries_end = frames.offset();
            }
            _ => {
                let cp = Checkpoint::open(&frame.payload, verifier).map_err(|e| {
                    refuse(
                        frame.offset,
                        format!("a checkpoint that does not verify ({e})"),
                    )
                })?;
                if cp.size != work.frontier.size()
                    || cp.root != work.frontier.root()
                    || cp.size == state.frontier.size()
                {
                    return Err(refuse(
                        frame.offset,
                        format!(
                            "a signed checkpoint of size {} that does not match the entries before it",
                            cp.size
                        ),
                    ));
                }
                work.checkpoint = String::from_utf8(frame.payload).unwrap_or_default();
                tail.rolled_entries += work.frontier.size() - state.frontier.size();
                *state = work.clone();
                committed = Commit {
                    log_length: frames.offset(),
                    size: cp.size,
                };
            }
        }
    }
    if committed != commit {
        tail.commit = Some(committed);
        state.contents.sort_unstable();
    }
    tail.cut_from = committed.log_length;
    if work.frontier.size() > state.frontier.size() {
        // Signed entries that lost their checkpoint (a torn write, or damage to it): keep
        // them; only what follows the last of them is cut.
        work.contents.sort_unstable();
        tail.cut_from = entries_end;
        tail.unsealed = Some(work);
    }
    tail.cut_bytes = len - tail.cut_from;
    Ok(tail)
}
