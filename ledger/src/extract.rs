//! Reading a file for an ingest: hashed, and when it is a container (a zip, a tar, an email,
//! a mailbox...) looked into, its members found and hashed recursively by `prov-ingest`.
//!
//! The file read is the one the walk listed (same device and inode, unchanged while read),
//! as for a plain hash. Its members are read from the bytes of that open file only: nothing
//! is written to disk and no member path is resolved anywhere.

use crate::digest::{FileDigest, WalkedFile, check_unchanged, hash_opened, open_walked};
use crate::error::{Error, Result};
use prov_ingest::{Found, Hashed, Limits, Summary};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::ControlFlow;

/// A file as an ingest read it.
#[derive(Debug)]
pub struct Extracted {
    /// The file's own SHA-256 and size.
    pub digest: FileDigest,
    /// What the walk found of the file itself: its kind, completeness and notes. `None`
    /// when it was not looked into (`--no-extract`).
    pub top: Option<Summary>,
    /// Its members, in the walk's order (a container before its members).
    pub members: Vec<Found>,
}

impl Extracted {
    /// A document that was only hashed.
    pub fn hashed(digest: FileDigest) -> Extracted {
        Extracted {
            digest,
            top: None,
            members: Vec::new(),
        }
    }
}

/// Reads a walked file: hashes it, and with `limits` looks for its members.
///
/// # Errors
/// As [`crate::hash_walked`]: the file is not the one listed, changed while read, or
/// cannot be read.
pub(crate) fn read_walked(
    f: &WalkedFile,
    limits: Option<&Limits>,
    progress: &dyn Fn(u64),
) -> Result<Extracted> {
    let (file, before) = open_walked(f)?;
    let Some(limits) = limits else {
        return Ok(Extracted::hashed(hash_opened(&file, &before, f, progress)?));
    };
    let mut members = Vec::new();
    let reader = Counted {
        file: &file,
        pos: 0,
        reached: 0,
        progress,
    };
    let what = f.path.display().to_string();
    let top = prov_ingest::walk_seekable(reader, before.len(), &what, limits, &mut |found| {
        members.push(found);
        ControlFlow::Continue(())
    })
    .map_err(|e| match e {
        prov_ingest::Error::Read { source, .. } | prov_ingest::Error::Open { source, .. } => {
            Error::io("read", &f.path)(source)
        }
        other => Error::invalid("limits", other.to_string()),
    })?;
    // A walk stopped by a limit before the file's end has only a prefix's hash: the file is
    // then hashed again, whole, and recorded with what was found of it.
    let digest = match top.hashed {
        Hashed::Content => {
            check_unchanged(&file, &before, top.size, &f.path)?;
            FileDigest {
                sha256: top.sha256,
                size: top.size,
            }
        }
        Hashed::Stored | Hashed::Prefix => {
            (&file)
                .seek(SeekFrom::Start(0))
                .map_err(Error::io("read", &f.path))?;
            hash_opened(&file, &before, f, &|_| {})?
        }
    };
    Ok(Extracted {
        digest,
        top: Some(top),
        members,
    })
}

/// Reads one document from a stream (stdin) and looks for its members; the stream is read
/// once, so a walk that could not hash it whole is refused.
///
/// # Errors
/// [`Error::StreamUnreadable`], or [`Error::Invalid`] when a limit stopped the walk before
/// the end of the stream.
pub(crate) fn read_stream(
    reader: &mut dyn Read,
    what: &str,
    limits: &Limits,
    progress: &dyn Fn(u64),
) -> Result<Extracted> {
    let mut members = Vec::new();
    let mut counted = Progress {
        inner: reader,
        progress,
    };
    let top = prov_ingest::walk_reader(&mut counted, limits, &mut |found| {
        members.push(found);
        ControlFlow::Continue(())
    })
    .map_err(|e| match e {
        prov_ingest::Error::Read { source, .. } | prov_ingest::Error::Open { source, .. } => {
            Error::StreamUnreadable {
                what: what.to_string(),
                source,
            }
        }
        other => Error::invalid("limits", other.to_string()),
    })?;
    if top.hashed != Hashed::Content {
        return Err(Error::invalid(
            "document",
            format!(
                "{what} could not be read whole while looking inside it ({}): add it with --no-extract, or raise the limit",
                top.note.as_deref().unwrap_or("a limit was reached")
            ),
        ));
    }
    Ok(Extracted {
        digest: FileDigest {
            sha256: top.sha256,
            size: top.size,
        },
        top: Some(top),
        members,
    })
}

/// A file read through a position of its own, reporting progress once per byte of the file
/// (a zip is read twice: once to hash it, then through its central directory).
struct Counted<'a> {
    file: &'a File,
    pos: u64,
    reached: u64,
    progress: &'a dyn Fn(u64),
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        if self.pos > self.reached {
            (self.progress)(self.pos - self.reached);
            self.reached = self.pos;
        }
        Ok(n)
    }
}

impl Seek for Counted<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let len = self.file.metadata()?.len();
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => len.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

/// A stream reporting its bytes as they are read.
struct Progress<'a> {
    inner: &'a mut dyn Read,
    progress: &'a dyn Fn(u64),
}

impl Read for Progress<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}
