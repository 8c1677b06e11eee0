//! `COMMIT`: how much of `entries.log` is committed (FORMAT.md section 7.2), written through
//! a temporary file whose rename is the commit point.

use crate::error::{Error, Result};
use crate::fsys::{self, Io, Step};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The committed state named by `COMMIT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit {
    /// Committed bytes of `entries.log`.
    pub log_length: u64,
    /// Entries in that committed prefix.
    pub size: u64,
}

impl Commit {
    pub(crate) fn to_text(self) -> String {
        format!(
            "prov-commit v1\nlog_length {}\nsize {}\n",
            self.log_length, self.size
        )
    }

    /// Reads `COMMIT` (a small regular file, never followed as a link).
    ///
    /// # Errors
    /// [`Error::Damaged`] when it is missing, not a regular file, too large or malformed.
    pub fn read(path: &Path) -> Result<Commit> {
        let bytes = fsys::read_small(path, fsys::MAX_COMMIT_BYTES).map_err(|e| match e {
            Error::Io { source, .. } => Error::Damaged {
                path: path.to_owned(),
                offset: None,
                reason: format!("cannot read the commit marker: {source}"),
            },
            e => e,
        })?;
        let bad = || Error::Damaged {
            path: path.to_owned(),
            offset: None,
            reason: "commit marker is malformed".into(),
        };
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut lines = text.lines();
        if lines.next() != Some("prov-commit v1") {
            return Err(bad());
        }
        let mut field = |name: &str| -> Result<u64> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|v| v.parse().ok())
                .ok_or_else(bad)
        };
        let commit = Commit {
            log_length: field("log_length ")?,
            size: field("size ")?,
        };
        if commit.to_text() != text {
            return Err(bad());
        }
        Ok(commit)
    }

    /// Writes and fsyncs `COMMIT.tmp` (steps [`Step::CommitWrite`], [`Step::CommitSync`]).
    /// The caller renames it over `COMMIT` ([`Commit::rename_into_place`]).
    ///
    /// # Errors
    /// [`Error::Io`]; `COMMIT` itself is untouched.
    pub fn write_tmp(self, dir: &Path, io: &mut Io) -> Result<()> {
        let tmp = dir.join("COMMIT.tmp");
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)
            .map_err(Error::io("create", &tmp))?;
        io.step(Step::CommitWrite, || f.write_all(self.to_text().as_bytes()))
            .map_err(Error::io("write", &tmp))?;
        io.step(Step::CommitSync, || f.sync_all())
            .map_err(Error::io("sync", &tmp))
    }

    /// Renames `COMMIT.tmp` over `COMMIT` (step [`Step::CommitRename`]): the commit point.
    pub fn rename_into_place(dir: &Path, io: &mut Io) -> std::io::Result<()> {
        io.step(Step::CommitRename, || {
            std::fs::rename(dir.join("COMMIT.tmp"), dir.join("COMMIT"))
        })
    }

    /// Replaces `COMMIT` atomically and durably, outside the append path (init, recovery).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn write(self, dir: &Path, dir_handle: &File) -> Result<()> {
        let mut io = Io::default();
        self.write_tmp(dir, &mut io)?;
        Commit::rename_into_place(dir, &mut io)
            .map_err(Error::io("replace", dir.join("COMMIT")))?;
        dir_handle.sync_all().map_err(Error::io("sync", dir))
    }
}
