//! Opening a ledger for writing: the key, the whole committed log verified against its last
//! signed checkpoint, the tail past `COMMIT` rolled forward or cut (`recovery.rs`), and the
//! derived files (tiles, offsets, content index) brought into agreement with the log.

use crate::commit::Commit;
use crate::derived;
use crate::error::{Error, Result};
use crate::fsys;
use crate::index::{CONTENT_DIR, Index};
use crate::keys;
use crate::ledger::{Ledger, Mode, open_log, read_config};
use crate::log::{RECORD_CHECKPOINT, encode_frame};
use crate::offsets::Offsets;
use crate::recovery::{self, Verified};
use crate::tiles::TileFiles;
use prov_proofs::{Checkpoint, NoteSigner};
use std::path::Path;

/// The payload of the (verified) record at `offset`.
fn log_frame_payload(log: &crate::log::LogFile, offset: u64) -> Result<Vec<u8>> {
    let end = log.len()?;
    Ok(crate::log::read_frame_at(&log.file, &log.path, offset, end)?.payload)
}

impl Ledger {
    /// Opens for appending: loads the key, verifies the committed log against its last
    /// signed checkpoint, handles the tail past `COMMIT` (see `recovery.rs`), and brings the
    /// index into agreement with the log, rebuilding it if it disagrees.
    ///
    /// # Errors
    /// As [`Ledger::open`], key errors, and [`Error::Damaged`] for damage the writer must
    /// not build on (nothing is written then).
    pub fn open_writer(dir: &Path) -> Result<Ledger> {
        Self::open_writer_inner(dir, false, None, &|| None)
    }

    /// [`Ledger::open_writer`] with the signing key read from `key_file` when given (a key
    /// kept outside the ledger folder), else from the folder's `key.pem`.
    ///
    /// # Errors
    /// As [`Ledger::open_writer`]; [`Error::KeyMissing`] when there is no key to read.
    pub fn open_writer_with_key(dir: &Path, key_file: Option<&Path>) -> Result<Ledger> {
        Self::open_writer_inner(dir, false, key_file, &|| None)
    }

    /// [`Ledger::open_writer_with_key`] for a key that may be encrypted: `passphrase` is
    /// asked only when it is.
    ///
    /// # Errors
    /// As [`Ledger::open_writer_with_key`]; [`Error::KeyPassphraseNeeded`],
    /// [`Error::KeyPassphraseWrong`].
    pub fn open_writer_unlocking(
        dir: &Path,
        key_file: Option<&Path>,
        passphrase: keys::Passphrase<'_>,
    ) -> Result<Ledger> {
        Self::open_writer_inner(dir, false, key_file, passphrase)
    }

    /// Rebuilds the derived files from the verified log alone: the content index afresh, the
    /// tiles and offsets rewritten in place (each file replaced whole, so readers running
    /// meanwhile keep answering).
    ///
    /// # Errors
    /// As [`Ledger::open_writer`].
    pub fn reindex(dir: &Path) -> Result<Ledger> {
        Self::open_writer_inner(dir, true, None, &|| None)
    }

    /// [`Ledger::reindex`] with the signing key read from `key_file` when given.
    ///
    /// # Errors
    /// As [`Ledger::reindex`]; [`Error::KeyMissing`].
    pub fn reindex_with_key(dir: &Path, key_file: Option<&Path>) -> Result<Ledger> {
        Self::open_writer_inner(dir, true, key_file, &|| None)
    }

    /// [`Ledger::reindex_with_key`] for a key that may be encrypted (see
    /// [`Ledger::open_writer_unlocking`]).
    ///
    /// # Errors
    /// As [`Ledger::open_writer_unlocking`].
    pub fn reindex_unlocking(
        dir: &Path,
        key_file: Option<&Path>,
        passphrase: keys::Passphrase<'_>,
    ) -> Result<Ledger> {
        Self::open_writer_inner(dir, true, key_file, passphrase)
    }

    fn open_writer_inner(
        dir: &Path,
        rebuild: bool,
        key_file: Option<&Path>,
        passphrase: keys::Passphrase<'_>,
    ) -> Result<Ledger> {
        let (config, verifier) = read_config(dir)?;
        // The lock comes before anything is touched; nothing is cut by a process without it.
        let dir_handle = fsys::lock_dir_patient(dir, std::time::Duration::from_secs(3))?;
        let (commit, log, len) = open_log(dir, true)?;
        let path = match key_file {
            Some(p) => p.to_owned(),
            None if !fsys::exists(&dir.join("key.pem")) => {
                return Err(Error::KeyMissing {
                    dir: dir.to_owned(),
                });
            }
            None => dir.join("key.pem"),
        };
        let key = keys::load_key_file(&path, passphrase)?;
        let signer = NoteSigner::new(&config.origin, key.clone())?;
        if signer.verifier() != &verifier {
            return Err(Error::KeyMismatch {
                path,
                found: signer.verifier().key_id,
                want: verifier.key_id,
            });
        }
        let mut state: Verified = recovery::verify_committed(&log, commit, &verifier)?;
        let tail = recovery::examine_tail(&log, commit, len, &verifier, &mut state)?;
        let mut commit = tail.commit.unwrap_or(commit);
        // Entries whose checkpoint was lost are sealed with a new one (planned here, written
        // below once nothing can refuse the ledger any more).
        let mut seal = None;
        let mut sealed_entries = 0;
        if let Some(sealed) = &tail.unsealed {
            sealed_entries = sealed.frontier.size() - state.frontier.size();
            let note = Checkpoint {
                origin: config.origin.clone(),
                size: sealed.frontier.size(),
                root: sealed.frontier.root(),
                extensions: vec![],
            }
            .sign(&signer)?
            .to_text();
            let mut frame = Vec::new();
            encode_frame(RECORD_CHECKPOINT, note.as_bytes(), &mut frame);
            commit = Commit {
                log_length: tail.cut_from + frame.len() as u64,
                size: sealed.frontier.size(),
            };
            state = Verified {
                checkpoint: note,
                ..sealed.clone()
            };
            seal = Some(frame);
        }
        let index_dir = dir.join(CONTENT_DIR);
        let tiles = TileFiles::new(dir);
        if rebuild {
            // Whatever stands there is replaced; a link is removed, never followed.
            fsys::remove_any(&index_dir)?;
        }
        let offsets = Offsets::open(dir, true)?
            .ok_or_else(|| Error::invalid("ledger", "cannot create its offsets file"))?;
        // Read the index's extent before anything changes: one ahead of the (rolled
        // forward) commit cannot come of a crash (a run is written after its COMMIT), only
        // of COMMIT and the log restored from an older copy, or of another ledger's index.
        // One that cannot be read (damaged, not a folder) is rebuilt.
        let (index, mut reset) = match Index::open(dir) {
            Ok(index) => (Some(index), false),
            Err(e @ Error::Io { .. }) => return Err(e),
            Err(_) => (None, true),
        };
        let ahead = index.as_ref().is_some_and(|i| i.reach() > commit.size);
        // Ahead and listing the last committed entry under its content: this ledger's own
        // index of a later state, so COMMIT and the log were rolled back: refused. Ahead
        // otherwise: not this log's index (a copy from elsewhere), rebuilt below.
        let last_content = match commit.size {
            0 => None,
            _ => crate::encoding::peek_content(&log_frame_payload(&log, state.last_offset)?),
        };
        let ours = ahead
            && last_content.is_some_and(|c| {
                index
                    .as_ref()
                    .is_some_and(|i| i.seqs_for(&c).is_ok_and(|s| s.contains(&(commit.size - 1))))
            });
        if ours && !rebuild {
            return Err(Error::Damaged {
                path: index_dir,
                offset: None,
                reason: format!(
                    "the index covers more than the log's {} complete entries, which no crash leaves (a COMMIT and log restored from an older copy, or another ledger's index?); nothing was changed: if you restored them from a backup on purpose, run `prov reindex`",
                    commit.size
                ),
            });
        }
        // The derived files of a size are written before the COMMIT that names it.
        let mut io = crate::fsys::Io::default();
        if let Some(frame) = &seal {
            log.truncate(tail.cut_from)?;
            log.write_at_and_sync(tail.cut_from, frame, &mut io)?;
            derived::rebuild(&log, commit.log_length, &tiles, &offsets, &mut io)?;
            commit.write(dir, &dir_handle)?;
        } else {
            if tail.commit.is_some() {
                derived::rebuild(&log, commit.log_length, &tiles, &offsets, &mut io)?;
                commit.write(dir, &dir_handle)?;
            }
            if tail.cut_bytes > 0 {
                log.truncate(commit.log_length)?;
            }
        }
        // `reindex` rewrites every tile and offset in place (each file replaced whole), so
        // readers running meanwhile keep finding the committed ones.
        if rebuild || !derived::reach(&tiles, &offsets, &state)? {
            derived::rebuild(&log, commit.log_length, &tiles, &offsets, &mut io)?;
        } else if offsets.entries()? > commit.size {
            offsets.truncate(commit.size)?;
        }
        let mut l = Ledger::assemble(dir, config, verifier, Mode::Writer, log, commit);
        l.dir_handle = Some(dir_handle);
        l.offsets = Some(offsets);
        l.signer = Some((key, signer));
        l.recovered = tail.cut_bytes;
        l.rolled_forward = tail.rolled_entries;
        l.sealed = sealed_entries;
        l.last_leaf = state.last_leaf;
        l.last_time = state.last_time;
        let cp = Checkpoint::open(state.checkpoint.as_bytes(), &l.verifier)?;
        l.latest = Some((state.checkpoint, cp));
        l.frontier = state.frontier;
        l.contents = state.contents;
        // The index is kept if it agrees with the verified log; otherwise rebuilt.
        let mut kept = match index {
            Some(mut index) if !rebuild && !ahead => {
                index.clear_leftovers(commit.size);
                Some(index)
            }
            _ => None,
        };
        if kept.is_some() {
            l.index = kept.take();
            // Caught up, it must name exactly the contents of the verified log.
            let agrees = l.catch_up_index().and_then(|()| match &l.index {
                Some(index) => index.holds_exactly(&l.contents),
                None => Ok(false),
            });
            match agrees {
                Ok(true) => {}
                Err(e @ Error::Io { .. }) => return Err(e),
                Ok(false) | Err(_) => {
                    l.rebuild_index()?;
                    reset = true;
                }
            }
        } else {
            l.rebuild_index()?;
            reset |= !rebuild;
        }
        // The sled index of ledgers written before the content index (FORMAT.md 7.3) is no
        // longer read: its space is given back.
        let _ = fsys::remove_any(&dir.join("index"));
        l.index_rebuilt = reset;
        Ok(l)
    }
}
