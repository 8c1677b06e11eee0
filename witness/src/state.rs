//! The witness's state: for each log, the latest checkpoint it cosigned, in
//! `logs/<hex SHA-256 of the origin>` (the origin hash of tlog-witness's monitoring path).
//! The file holds that checkpoint as a signed note: the log's signatures as the witness
//! verified them, then the witness's own cosignature line.
//!
//! Storage contract: [`store`] writes `logs/.<hash>.tmp`, fsyncs it, renames it over
//! `logs/<hash>` and fsyncs `logs/`, and only then returns; the caller answers only after
//! that. A crash before the rename leaves the previous state (and no cosignature was given);
//! a crash after it leaves the new state, whether or not the answer was sent. Either way the
//! witness never cosigns two checkpoints that are not one history: every later request is
//! checked against what is on disk.

use crate::error::{Error, Result};
use crate::keyfile::{LOGS, sync_dir};
use prov_proofs::{Checkpoint, Note};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The largest state file read: a note of at most 1 MiB and a cosignature line.
const MAX_STATE: u64 = 2 << 20;

/// A log's stored state.
pub(crate) struct Stored {
    /// The cosigned note, verbatim.
    pub note: String,
    /// Its checkpoint.
    pub checkpoint: Checkpoint,
}

/// `logs/<hex SHA-256 of the origin>`.
pub(crate) fn path_of(dir: &Path, origin: &str) -> PathBuf {
    dir.join(LOGS).join(origin_hash(origin))
}

/// The lower-case hex SHA-256 of an origin (tlog-witness, "Monitor Retrieval Mechanism").
pub(crate) fn origin_hash(origin: &str) -> String {
    hex::encode(Sha256::digest(origin.as_bytes()))
}

/// The stored checkpoint of `origin`, or `None` when the witness never cosigned for it.
///
/// # Errors
/// [`Error::State`] when the file is there but does not read as a checkpoint of that origin;
/// [`Error::Io`].
pub(crate) fn load(dir: &Path, origin: &str) -> Result<Option<Stored>> {
    let path = path_of(dir, origin);
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("open", &path)(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_STATE)
        .read_to_end(&mut bytes)
        .map_err(Error::io("read", &path))?;
    let bad = |reason: String| Error::State {
        path: path.clone(),
        reason,
    };
    let note = Note::parse(&bytes).map_err(|e| bad(e.to_string()))?;
    let checkpoint = Checkpoint::from_text(&note.text).map_err(|e| bad(e.to_string()))?;
    if checkpoint.origin != origin {
        return Err(bad(format!(
            "it is a checkpoint of {:?}",
            checkpoint.origin
        )));
    }
    Ok(Some(Stored {
        note: note.to_text(),
        checkpoint,
    }))
}

/// Replaces the stored checkpoint of `origin` by `note`, durably (this module's contract), as
/// the ledger replaces its files (`prov_ledger`'s `fsys::replace_durably`): the temporary is
/// created new, never through a link (a leftover or a link planted there is removed first).
///
/// # Errors
/// [`Error::Io`]; the previous state is then still in place.
pub(crate) fn store(dir: &Path, origin: &str, note: &str) -> Result<()> {
    let logs = dir.join(LOGS);
    let path = path_of(dir, origin);
    let tmp = logs.join(format!(".{}.tmp", origin_hash(origin)));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .map_err(Error::io("create", &tmp))?;
    f.write_all(note.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(Error::io("write", &tmp))?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(Error::io("rename", &tmp))?;
    sync_dir(&logs)
}
