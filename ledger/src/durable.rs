//! The durable commit of a batch, and keeping the derived index in step with it.
//!
//! The storage contract of [`Ledger::append`], step by step (see also `log.rs`):
//! 0. The batch's tiles and offsets are written and fsync'd (`derived.rs`): a committed size
//!    always has its tiles. A failure here leaves `COMMIT` and the log as they were; what
//!    was written lies past the committed size and is replaced by the next batch.
//! 1. Records are written after the committed end and fsync'd. A failure here, or in
//!    writing `COMMIT.tmp`, leaves `COMMIT` as it was: the records are cut back (this
//!    process holds the lock) and the error says nothing was recorded.
//! 2. `COMMIT.tmp` is renamed over `COMMIT`: the commit point. If the rename reports an
//!    error, `COMMIT` is read back: naming the old state, the batch is cut as in 1; naming
//!    the new one, the batch is committed and carries on; unreadable, nothing is cut and
//!    [`Error::CommitUncertain`] says so (the next writer rolls the complete batch forward).
//! 3. The folder is fsync'd. If that fails, the batch stays committed, never cut, and
//!    [`Error::NotDurable`] says exactly that.
//! 4. The batch's run of the content index is written (`index.rs`). If that fails the batch
//!    is still reported: the index is caught up from the log, now or by the next writer, and
//!    lookups meanwhile read the entries past its reach from the log.

use crate::commit::Commit;
use crate::derived::Derived;
use crate::error::{Error, Result};
use crate::fsys::Step;
use crate::index::{Index, IndexBatch};
use crate::ledger::Ledger;

impl Ledger {
    /// Brings the index up to the committed log.
    pub(crate) fn catch_up_index(&mut self) -> Result<()> {
        let reach = match &self.index {
            Some(index) => index.reach(),
            None => return Err(Error::invalid("ledger", "no index")),
        };
        if reach < self.commit.size {
            let offset = match reach {
                0 => crate::log::HEADER_LEN,
                _ => self.offset_of(reach)?,
            };
            if let Some(index) = &mut self.index {
                index.catch_up(&self.log, offset, self.commit.log_length, self.commit.size)?;
            }
        }
        Ok(())
    }

    /// Builds the content index afresh from the (verified) log: at open, when it does not
    /// hold exactly the log's contents, and for `reindex`.
    pub(crate) fn rebuild_index(&mut self) -> Result<()> {
        drop(self.index.take());
        let index = Index::rebuild(
            &self.dir,
            &self.log,
            self.commit.log_length,
            self.commit.size,
        )?;
        self.index = Some(index);
        Ok(())
    }

    /// Steps 0 to 2 of the storage contract: returns once `COMMIT` names the batch.
    pub(crate) fn commit_batch(
        &mut self,
        derived: &Derived,
        start: u64,
        buf: &[u8],
        commit: Commit,
    ) -> Result<()> {
        let cut = |l: &mut Ledger, e: Error| {
            let _ = std::fs::remove_file(l.dir.join("COMMIT.tmp"));
            match l.log.truncate(start) {
                Ok(()) => Error::NotRecorded {
                    source: Box::new(e),
                },
                // Past COMMIT, so the next writer cuts it; say so rather than hide it. This
                // process appends no more: a shorter batch written over the start of those
                // bytes would leave a tail no crash leaves.
                Err(t) => {
                    l.poisoned = true;
                    Error::Io {
                        op: "cut back an uncommitted batch of",
                        path: l.log.path.clone(),
                        source: std::io::Error::other(format!("{e}; then {t}")),
                    }
                }
            }
        };
        let offsets = self
            .offsets
            .as_ref()
            .ok_or_else(|| Error::invalid("ledger", "opened without its offsets file"))?;
        if let Err(e) = derived.write(&self.tiles, offsets, &mut self.io) {
            return Err(Error::NotRecorded {
                source: Box::new(e),
            });
        }
        if let Err(e) = self.log.write_at_and_sync(start, buf, &mut self.io) {
            return Err(cut(self, e));
        }
        if let Err(e) = commit.write_tmp(&self.dir, &mut self.io) {
            return Err(cut(self, e));
        }
        let Err(e) = Commit::rename_into_place(&self.dir, &mut self.io) else {
            return Ok(());
        };
        // Did the rename take effect? COMMIT itself says.
        let path = self.dir.join("COMMIT");
        let read_back = self.io.step(Step::CommitReadBack, || {
            Commit::read(&path).map_err(|e| std::io::Error::other(e.to_string()))
        });
        match read_back {
            Ok(c) if c == commit => Ok(()),
            Ok(c) if c == self.commit => Err(cut(
                self,
                Error::Io {
                    op: "replace",
                    path: self.dir.join("COMMIT"),
                    source: e,
                },
            )),
            _ => {
                self.poisoned = true;
                Err(Error::CommitUncertain {
                    dir: self.dir.clone(),
                    reason: e.to_string(),
                })
            }
        }
    }

    /// Step 3: makes the rename durable; one retry before saying it may not be.
    pub(crate) fn sync_dir(&mut self) -> Result<()> {
        let Some(handle) = &self.dir_handle else {
            return Ok(());
        };
        let first = self.io.step(Step::DirSync, || handle.sync_all());
        match first.or_else(|_| self.io.step(Step::DirSync, || handle.sync_all())) {
            Ok(()) => Ok(()),
            Err(e) => Err(Error::NotDurable {
                size: self.commit.size,
                dir: self.dir.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// Step 4: the batch's run of the content index, whose first entry is `first`; on
    /// failure the index is caught up from the log, now or by the next writer.
    pub(crate) fn apply_index(&mut self, batch: IndexBatch, first: u64) {
        let Some(index) = &mut self.index else { return };
        let applied = self.io.step(Step::IndexApply, || {
            index
                .apply(batch, first)
                .map_err(|e| std::io::Error::other(e.to_string()))
        });
        if applied.is_err() {
            // Behind, never wrong: lookups read past its reach, and the next batch's run (or
            // the next writer) catches it up.
            let _ = self.catch_up_index();
        }
    }
}
