//! The clock check of an append (issue 14, item 6; `docs/FORMAT.md` section 10, "What
//! counts, and the clock"): the latest time among the verified cosignatures and timestamp
//! tokens the ledger holds ([`Ledger::evidence`]), computed once per writer and again only
//! when the files it comes from change, so that an append does not re-read and re-verify
//! them at every batch.

use crate::cosigned::COSIGNATURES_DIR;
use crate::error::Result;
use crate::evidence::{IndependentBound, Trust};
use crate::ledger::Ledger;
use crate::timestamps::TIMESTAMPS_DIR;
use std::os::unix::fs::MetadataExt as _;

/// A file's modification and change times (seconds, nanoseconds), inode and size.
type FileStamp = (i64, i64, i64, i64, u64, u64);

/// What the clock check last computed, and the state of the files it read: an append
/// re-reads them only when one changed (another process stored a cosignature or token, or
/// the configuration changed), not at every batch.
#[derive(Clone, Debug)]
pub(crate) struct ClockBound {
    stamp: Vec<Option<FileStamp>>,
    latest: Option<IndependentBound>,
}

impl Ledger {
    /// The state of the files the clock check reads: the two folders and the two
    /// configuration files (inode, size, modification and change times).
    fn evidence_stamp(&self) -> Vec<Option<FileStamp>> {
        [
            COSIGNATURES_DIR,
            TIMESTAMPS_DIR,
            crate::witnesses::WITNESSES_FILE,
            crate::tsa_config::TSAS_FILE,
        ]
        .iter()
        .map(|name| {
            let m = self.dir.join(name).symlink_metadata().ok()?;
            Some((
                m.mtime(),
                m.mtime_nsec(),
                m.ctime(),
                m.ctime_nsec(),
                m.ino(),
                m.size(),
            ))
        })
        .collect()
    }

    /// The latest verified cosignature or timestamp (trusted by the ledger's configuration),
    /// computed once and again only when the files it comes from change.
    pub(crate) fn latest_bound(&mut self) -> Result<Option<IndependentBound>> {
        let stamp = self.evidence_stamp();
        if let Some(c) = &self.clock_bound
            && c.stamp == stamp
        {
            return Ok(c.latest.clone());
        }
        let trust = Trust::configured(self)?;
        let latest = self.evidence(&trust)?.latest().cloned();
        self.clock_bound = Some(ClockBound {
            stamp,
            latest: latest.clone(),
        });
        Ok(latest)
    }

    /// Clock sanity (issue 14, item 6): an append whose clock reads earlier than the latest
    /// verified cosignature or TSA genTime the ledger holds is refused, since it would record
    /// entries as seen before a time someone else already vouched the ledger had reached.
    ///
    /// # Errors
    /// [`crate::Error::ClockBeforeCosignature`] or [`crate::Error::ClockBeforeTimestamp`]
    /// with both times; errors reading the evidence.
    pub(crate) fn check_clock_against_evidence(&mut self, now_ms: u64) -> Result<()> {
        let Some(b) = self.latest_bound()? else {
            return Ok(());
        };
        if now_ms >= b.time_ms {
            return Ok(());
        }
        Err(if b.timestamp {
            crate::Error::ClockBeforeTimestamp {
                clock_ms: now_ms,
                stamped_ms: b.time_ms,
                tsa: b.by,
                size: b.size,
            }
        } else {
            crate::Error::ClockBeforeCosignature {
                clock_ms: now_ms,
                cosigned_ms: b.time_ms,
                witness: b.by,
                size: b.size,
            }
        })
    }
}
