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
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// The file's own similarity fingerprints.
    pub fingerprints: prov_ingest::Fingerprints,
}

impl Extracted {
    /// A document that was only hashed.
    pub fn hashed(digest: FileDigest) -> Extracted {
        Extracted {
            digest,
            top: None,
            members: Vec::new(),
            fingerprints: Default::default(),
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
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Extracted> {
    let (file, before) = open_walked(f)?;
    let Some(limits) = limits else {
        // Not looked into: the fingerprint of its bytes only, taken as they are hashed.
        let mut printer = prov_ingest::Printer::new();
        let tee = Printed {
            inner: &file,
            printer: &mut printer,
        };
        let digest = crate::digest::hash_read(tee, &file, &before, &f.path, progress)?;
        let mut x = Extracted::hashed(digest);
        x.fingerprints.bytes = printer.finish();
        return Ok(x);
    };
    let mut members = Vec::new();
    let reached = AtomicU64::new(0);
    let reader = Counted::new(&file, &reached, progress);
    // A zip's own hash is taken through a second position on the file, on another thread.
    let mut twin = Counted::new(&file, &reached, progress);
    let what = f.path.display().to_string();
    let top = prov_ingest::walk_seekable_twin(
        reader,
        Some(&mut twin),
        before.len(),
        &what,
        limits,
        &mut |found| {
            members.push(found);
            ControlFlow::Continue(())
        },
    )
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
        fingerprints: top.fingerprints.clone(),
        top: Some(top),
        members,
    })
}

/// Reads one document from a stream (stdin) and looks for its members. The stream is copied
/// to an unnamed temporary file first (deleted when closed), so that it is looked into as a
/// file is: with random access for a zip or 7z, and with the expansion ratio of the whole walk
/// bounded by its size.
///
/// # Errors
/// [`Error::StreamUnreadable`] when the stream or the temporary file fails.
pub(crate) fn read_stream(
    reader: &mut dyn Read,
    what: &str,
    limits: &Limits,
    progress: &dyn Fn(u64),
) -> Result<Extracted> {
    let unreadable = |source| Error::StreamUnreadable {
        what: what.to_string(),
        source,
    };
    let mut spool = tempfile::tempfile().map_err(unreadable)?;
    let size = std::io::copy(
        &mut Progress {
            inner: reader,
            progress,
        },
        &mut spool,
    )
    .map_err(unreadable)?;
    read_spooled(&spool, 0, size, what, Some(limits))
}

/// Reads one document already spooled: the `len` bytes of `file` from `start` (a part of a
/// request the server spooled with others), hashed and, with `limits`, looked into as a
/// file is.
///
/// # Errors
/// [`Error::StreamUnreadable`] when the file cannot be read.
pub(crate) fn read_spooled(
    file: &File,
    start: u64,
    len: u64,
    what: &str,
    limits: Option<&Limits>,
) -> Result<Extracted> {
    let unreadable = |source| Error::StreamUnreadable {
        what: what.to_string(),
        source,
    };
    let reached = AtomicU64::new(0);
    let window = || Counted::window(file, start, len, &reached);
    // A spool shorter than it was said to be is an error, never a shorter document.
    let short = |read: u64| match read == len {
        true => Ok(()),
        false => Err(unreadable(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("{read} bytes where {len} were spooled"),
        ))),
    };
    let Some(limits) = limits else {
        let mut printer = prov_ingest::Printer::new();
        let digest = crate::digest::hash_reader(
            Printed {
                inner: window(),
                printer: &mut printer,
            },
            &|_| {},
        )
        .map_err(unreadable)?;
        short(digest.size)?;
        let mut x = Extracted::hashed(digest);
        x.fingerprints.bytes = printer.finish();
        return Ok(x);
    };
    let mut members = Vec::new();
    let mut twin = window();
    let top = prov_ingest::walk_seekable_twin(
        window(),
        Some(&mut twin),
        len,
        what,
        limits,
        &mut |found| {
            members.push(found);
            ControlFlow::Continue(())
        },
    )
    .map_err(|e| match e {
        prov_ingest::Error::Read { source, .. } | prov_ingest::Error::Open { source, .. } => {
            unreadable(source)
        }
        other => Error::invalid("limits", other.to_string()),
    })?;
    // A walk stopped by a limit before the end has only a prefix's hash: hash it whole.
    let digest = match top.hashed {
        Hashed::Content => FileDigest {
            sha256: top.sha256,
            size: top.size,
        },
        Hashed::Stored | Hashed::Prefix => {
            crate::digest::hash_reader(window(), &|_| {}).map_err(unreadable)?
        }
    };
    short(digest.size)?;
    Ok(Extracted {
        digest,
        fingerprints: top.fingerprints.clone(),
        top: Some(top),
        members,
    })
}

/// A file read through a position of its own, reporting progress once per byte of the file
/// (a zip is read twice, each time through a `Counted` of its own sharing `reached`: once to
/// hash it, and through its central directory).
struct Counted<'a> {
    file: &'a File,
    /// Where its bytes start in the file, and how many there are (`None`: to the file's
    /// end).
    base: u64,
    len: Option<u64>,
    pos: u64,
    /// The furthest position reported, over every `Counted` of the file.
    reached: &'a AtomicU64,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl<'a> Counted<'a> {
    fn new(
        file: &'a File,
        reached: &'a AtomicU64,
        progress: &'a (dyn Fn(u64) + Sync),
    ) -> Counted<'a> {
        Counted {
            file,
            base: 0,
            len: None,
            pos: 0,
            reached,
            progress,
        }
    }

    /// The `len` bytes of `file` from `start`, as if they were a file of their own.
    fn window(file: &'a File, start: u64, len: u64, reached: &'a AtomicU64) -> Counted<'a> {
        Counted {
            base: start,
            len: Some(len),
            ..Counted::new(file, reached, &|_| {})
        }
    }
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let rest = self.len.map_or(usize::MAX, |len| {
            usize::try_from(len.saturating_sub(self.pos)).unwrap_or(usize::MAX)
        });
        let want = buf.len().min(rest);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.base + self.pos)?;
        self.pos += n as u64;
        let before = self.reached.fetch_max(self.pos, Ordering::Relaxed);
        if self.pos > before {
            (self.progress)(self.pos - before);
        }
        Ok(n)
    }
}

impl Seek for Counted<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let len = match self.len {
            Some(len) => len,
            None => self.file.metadata()?.len(),
        };
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

/// A reader read through a fingerprint printer.
struct Printed<'a, R> {
    inner: R,
    printer: &'a mut prov_ingest::Printer,
}

impl<R: Read> Read for Printed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.printer.update(&buf[..n]);
        Ok(n)
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
